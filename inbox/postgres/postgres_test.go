package postgres_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/eventstest"
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

// TestWakeOwnWorkers stores deliveries in a replica whose workers poll
// once a minute: they are handled at once, woken by the commit that
// stored them, and no insert notification reaches PostgreSQL, where every
// replica's listener would have a transaction for each.
func TestWakeOwnWorkers(t *testing.T) {
	ctx := context.Background()
	url := inboxtest.StartPostgres(t).NewDatabase(t)
	secret, v := postgres.NewTestVerifier(t)
	handled := make(chan string, 10)
	in, err := postgres.Open(ctx, url, inbox.Config{Verifier: v, Workers: 2, PollInterval: time.Minute,
		Logger: postgres.NewTestLogger(t),
		Handle: func(_ context.Context, ev events.Event) error { handled <- ev.Meta().ID; return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer in.Stop(ctx)
	listener, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close(ctx)
	if _, err := listener.Exec(ctx, `LISTEN "public.river_insert"`); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		id := fmt.Sprint("wake-", i)
		body := fmt.Appendf(nil, `{"version":"1.0.0","type":"meeting.started","id":%q,"event_ts":1708526033.049,"payload":{"room":"wake","start_ts":1708526032.672}}`, id)
		r, err := eventstest.Signer{Secret: secret}.NewRequest("/hook", body)
		if err != nil {
			t.Fatal(err)
		}
		w := httptest.NewRecorder()
		in.ServeHTTP(w, r)
		if w.Code != 200 {
			t.Fatalf("POST = %d", w.Code)
		}
		select {
		case got := <-handled:
			if got != id {
				t.Fatalf("handled %s, want %s", got, id)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("%s not handled: its commit did not wake the workers", id)
		}
	}
	// Notifications come in the order of their commits: the marker's
	// is the first unless a delivery's commit notified.
	if _, err := listener.Exec(ctx, `SELECT pg_notify('public.river_insert', '{"queue": "marker"}')`); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	n, err := listener.WaitForNotification(wctx)
	if err != nil {
		t.Fatal(err)
	}
	if n.Payload != `{"queue": "marker"}` {
		t.Errorf("a commit notified River's insert topic (%q): every replica would have a transaction to read it", n.Payload)
	}
}
