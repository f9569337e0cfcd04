package sqlite_test

import (
	"context"
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
