package postgres_test

import (
	"context"
	"testing"

	"github.com/dailywebhooks/events/inbox"
	"github.com/dailywebhooks/events/inbox/inboxtest"
	"github.com/dailywebhooks/events/inbox/postgres"
	"github.com/jackc/pgx/v5"
)

// newStore returns the suites' opener of a new database on pg.
func newStore(pg *inboxtest.Postgres) func(t *testing.T) inboxtest.Opener {
	return func(t *testing.T) inboxtest.Opener {
		url := pg.NewDatabase(t)
		return inboxtest.Starting(func(ctx context.Context, cfg inbox.Config) (*inbox.Inbox, error) {
			return postgres.Open(ctx, url, cfg)
		})
	}
}

// TestConformance runs the store suite on a PostgreSQL database of a
// server the test starts.
func TestConformance(t *testing.T) {
	inboxtest.TestStore(t, newStore(inboxtest.StartPostgres(t)))
}

// TestOrderRiverUI runs the suite of what River's UI can do to an ordered
// room on a PostgreSQL database of a server the test starts.
func TestOrderRiverUI(t *testing.T) {
	inboxtest.TestOrderRiverUI(t, newStore(inboxtest.StartPostgres(t)),
		func(in *inbox.Inbox) inboxtest.RiverJobs { return inbox.RiverClient[pgx.Tx](in) })
}

// TestRiverEvents runs the suite of River's completion events on a
// PostgreSQL database of a server the test starts.
func TestRiverEvents(t *testing.T) {
	inboxtest.TestRiverEvents(t, newStore(inboxtest.StartPostgres(t)),
		func(in *inbox.Inbox) inboxtest.RiverJobs { return inbox.RiverClient[pgx.Tx](in) })
}
