package postgres_test

import (
	"context"
	"testing"

	"github.com/dailywebhooks/events/inbox"
	"github.com/dailywebhooks/events/inbox/inboxtest"
	"github.com/dailywebhooks/events/inbox/postgres"
)

// TestConformance runs the store suite on a PostgreSQL database of a
// server the test starts.
func TestConformance(t *testing.T) {
	pg := inboxtest.StartPostgres(t)
	inboxtest.TestStore(t, func(t *testing.T) inboxtest.Opener {
		url := pg.NewDatabase(t)
		return inboxtest.Starting(func(ctx context.Context, cfg inbox.Config) (*inbox.Inbox, error) {
			return postgres.Open(ctx, url, cfg)
		})
	})
}
