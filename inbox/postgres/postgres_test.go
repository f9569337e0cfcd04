package postgres_test

import (
	"context"
	"testing"

	"github.com/dailywebhooks/events/inbox"
	"github.com/dailywebhooks/events/inbox/inboxtest"
	"github.com/dailywebhooks/events/inbox/postgres"
	"github.com/jackc/pgx/v5"
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

// TestOrderCancel runs the suite's cancel of a room's failing delivery on
// a PostgreSQL database of a server the test starts.
func TestOrderCancel(t *testing.T) {
	url := inboxtest.StartPostgres(t).NewDatabase(t)
	inboxtest.TestOrderCancel(t, inboxtest.Starting(func(ctx context.Context, cfg inbox.Config) (*inbox.Inbox, error) {
		return postgres.Open(ctx, url, cfg)
	}), func(ctx context.Context, in *inbox.Inbox, jobID int64) error {
		_, err := inbox.RiverClient[pgx.Tx](in).JobCancel(ctx, jobID)
		return err
	})
}
