package postgres

import (
	"context"
	"log/slog"
	"testing"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/inbox"
	"github.com/dailywebhooks/events/inbox/inboxtest"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
)

// TestApplied checks the one query by which Open skips River's migrator
// and the ordered rooms' index: each must be reported only when there.
func TestApplied(t *testing.T) {
	ctx := context.Background()
	pg := inboxtest.StartPostgres(t)
	_, v := NewTestVerifier(t)
	migrated := func(t *testing.T, url string) {
		in, err := Open(ctx, url, inbox.Config{Verifier: v, Handle: func(context.Context, events.Event) error { return nil },
			Logger: NewTestLogger(t)})
		if err != nil {
			t.Fatal(err)
		}
		if err := in.Stop(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name              string
		setup             func(t *testing.T, url string, pool *pgxpool.Pool)
		migrated, indexed bool
	}{
		{"an empty database", func(*testing.T, string, *pgxpool.Pool) {}, false, false},
		{"every migration applied", func(t *testing.T, url string, _ *pgxpool.Pool) { migrated(t, url) }, true, true},
		{"the last migration missing", func(t *testing.T, url string, pool *pgxpool.Pool) {
			migrated(t, url)
			if _, err := pool.Exec(ctx, `DELETE FROM river_migration WHERE version = (SELECT max(version) FROM river_migration WHERE line = 'main')`); err != nil {
				t.Fatal(err)
			}
		}, false, true},
		{"another line only", func(t *testing.T, url string, pool *pgxpool.Pool) {
			migrated(t, url)
			if _, err := pool.Exec(ctx, `UPDATE river_migration SET line = 'other'`); err != nil {
				t.Fatal(err)
			}
		}, false, true},
		{"the index dropped", func(t *testing.T, url string, pool *pgxpool.Pool) {
			migrated(t, url)
			if _, err := pool.Exec(ctx, `DROP INDEX dailyhook_order_index`); err != nil {
				t.Fatal(err)
			}
		}, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := pg.NewDatabase(t)
			pool, err := pgxpool.New(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			defer pool.Close()
			tc.setup(t, url, pool)
			migrated, indexed := applied(ctx, pool, riverpgxv5.New(pool))
			if migrated != tc.migrated || indexed != tc.indexed {
				t.Errorf("applied = %v, %v; want %v, %v", migrated, indexed, tc.migrated, tc.indexed)
			}
		})
	}
}

// NewTestVerifier returns a new secret, and a Verifier of it, for this
// package's tests.
func NewTestVerifier(t *testing.T) (string, *events.Verifier) {
	secret, err := events.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	v, err := events.NewVerifier(events.VerifierConfig{Secrets: []string{secret}})
	if err != nil {
		t.Fatal(err)
	}
	return secret, v
}

// NewTestLogger returns a logger that writes to t.Log.
func NewTestLogger(t *testing.T) *slog.Logger { return slog.New(slog.NewTextHandler(tlog{t}, nil)) }

// tlog writes a logger's lines to t.Log.
type tlog struct{ t *testing.T }

func (l tlog) Write(p []byte) (int, error) { l.t.Log(string(p)); return len(p), nil }

// TestWarm checks that warm opens the pool's connections up to MaxConns
// less one, whatever it finds open, idle or held, and holds none after.
func TestWarm(t *testing.T) {
	ctx := context.Background()
	url := inboxtest.StartPostgres(t).NewDatabase(t)
	for _, tc := range []struct {
		name              string
		idle, held, total int
	}{
		{"none open", 0, 0, 3},
		{"two idle", 2, 0, 3},
		{"three idle", 3, 0, 3},
		{"one held, one idle", 1, 1, 3},
		{"three held, one idle", 1, 3, 4},
		{"all held", 0, 4, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pool, err := pgxpool.New(ctx, url+"&pool_max_conns=4")
			if err != nil {
				t.Fatal(err)
			}
			defer pool.Close()
			var conns []*pgxpool.Conn
			for range tc.idle + tc.held {
				c, err := pool.Acquire(ctx)
				if err != nil {
					t.Fatal(err)
				}
				conns = append(conns, c)
			}
			for _, c := range conns[:tc.idle] {
				c.Release()
			}
			warm(pool)
			st := pool.Stat()
			if st.TotalConns() != int32(tc.total) || st.AcquiredConns() != int32(tc.held) {
				t.Errorf("after warm: %d connections, %d acquired; want %d, %d", st.TotalConns(), st.AcquiredConns(), tc.total, tc.held)
			}
			for _, c := range conns[tc.idle:] {
				c.Release()
			}
		})
	}
}
