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

// TestConformance runs the store suite on a SQLite file.
func TestConformance(t *testing.T) {
	inboxtest.TestStore(t, func(t *testing.T) inboxtest.Opener {
		path := filepath.Join(t.TempDir(), "conformance.db")
		return inboxtest.Starting(func(ctx context.Context, cfg inbox.Config) (*inbox.Inbox, error) {
			return sqlite.Open(ctx, path, cfg)
		})
	})
}

// TestOrderCancel runs the suite's cancel of a room's failing delivery on
// a SQLite file.
func TestOrderCancel(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cancel.db")
	inboxtest.TestOrderCancel(t, inboxtest.Starting(func(ctx context.Context, cfg inbox.Config) (*inbox.Inbox, error) {
		return sqlite.Open(ctx, path, cfg)
	}), func(ctx context.Context, in *inbox.Inbox, jobID int64) error {
		_, err := inbox.RiverClient[*sql.Tx](in).JobCancel(ctx, jobID)
		return err
	})
}
