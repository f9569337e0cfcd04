package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/dailywebhooks/events/inbox"
	"github.com/dailywebhooks/events/inbox/inboxtest"
	"github.com/dailywebhooks/events/inbox/sqlite"
)

// newStore is the suites' opener of a new SQLite file.
func newStore(t *testing.T) inboxtest.Opener {
	path := filepath.Join(t.TempDir(), "conformance.db")
	return inboxtest.Starting(func(ctx context.Context, cfg inbox.Config) (*inbox.Inbox, error) {
		return sqlite.Open(ctx, path, cfg)
	})
}

// TestConformance runs the store suite on a SQLite file.
func TestConformance(t *testing.T) {
	inboxtest.TestStore(t, newStore)
}

// TestOrderRiverUI runs the suite of what River's UI can do to an ordered
// room on a SQLite file.
func TestOrderRiverUI(t *testing.T) {
	inboxtest.TestOrderRiverUI(t, newStore, func(in *inbox.Inbox) inboxtest.RiverJobs { return inbox.RiverClient[*sql.Tx](in) })
}

// TestRiverEvents runs the suite of River's completion events on a SQLite
// file.
func TestRiverEvents(t *testing.T) {
	inboxtest.TestRiverEvents(t, newStore, func(in *inbox.Inbox) inboxtest.RiverJobs { return inbox.RiverClient[*sql.Tx](in) })
}
