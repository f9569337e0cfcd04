package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/eventstest"
	"github.com/dailywebhooks/events/inbox"
	"github.com/dailywebhooks/events/inbox/inboxtest"
	"github.com/dailywebhooks/events/inbox/sqlite"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
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

// TestCompletedEvents handles deliveries on a SQLite file while watching
// River's completer through its client: each job is completed once, in
// the store's commit, and River's completer still reports each as
// completed (it is answered from the store's memory rather than by two
// statements a job).
func TestCompletedEvents(t *testing.T) {
	ctx := context.Background()
	secret, err := events.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	v, err := events.NewVerifier(events.VerifierConfig{Secrets: []string{secret}})
	if err != nil {
		t.Fatal(err)
	}
	in := newStore(t)(t, inbox.Config{Verifier: v, Workers: 4, Handle: func(context.Context, events.Event) error { return nil }})
	completed, cancel := inbox.RiverClient[*sql.Tx](in).Subscribe(river.EventKindJobCompleted)
	defer cancel()
	const n = 30
	for i := range n {
		body := fmt.Appendf(nil, `{"version":"1.0.0","type":"meeting.started","id":"c-%d","event_ts":1708526033.049,"payload":{"room":"r","start_ts":1708526032.672}}`, i)
		r, err := eventstest.Signer{Secret: secret}.NewRequest("/hook", body)
		if err != nil {
			t.Fatal(err)
		}
		w := httptest.NewRecorder()
		in.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			t.Fatalf("POST = %d", w.Code)
		}
	}
	seen := map[int64]bool{}
	timeout := time.After(20 * time.Second)
	for len(seen) < n {
		select {
		case ev := <-completed:
			if ev.Job.State != rivertype.JobStateCompleted || ev.Job.FinalizedAt == nil || seen[ev.Job.ID] {
				t.Errorf("completed event of job %d: state %s, finalized at %v, seen before %v", ev.Job.ID, ev.Job.State, ev.Job.FinalizedAt, seen[ev.Job.ID])
			}
			seen[ev.Job.ID] = true
		case <-timeout:
			t.Fatalf("River's completer reported %d completed jobs of %d", len(seen), n)
		}
	}
	st, err := in.Stats(ctx)
	if err != nil || st.Jobs[inbox.StateHandled] != n {
		t.Errorf("Stats = %+v, %v; want %d handled", st, err, n)
	}
}
