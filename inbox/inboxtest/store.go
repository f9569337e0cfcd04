package inboxtest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/eventstest"
	"github.com/dailywebhooks/events/inbox"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// An Opener opens an inbox over one store, the same store at each call, for
// t; the inbox is stopped when t ends. cfg's Verifier, Handle and Logger
// are set.
type Opener func(t *testing.T, cfg inbox.Config) *inbox.Inbox

// TestStore is the conformance suite of an inbox store: what every store
// package of this module must do, run by each in its own tests. newStore
// returns an Opener of a new, empty store. It covers receiving (a
// delivery stored once however often it is re-sent), committing and
// completing (each event handled once), listing, replaying and purging
// dead deliveries (the state checked in the statement that changes it),
// the counts, readiness, a restart that handles what was left pending, and
// ordered rooms (TestOrder).
func TestStore(t *testing.T, newStore func(t *testing.T) Opener) {
	t.Run("receive and handle once", func(t *testing.T) { testReceive(t, newStore(t)) })
	t.Run("dead, replay, purge", func(t *testing.T) { testDead(t, newStore(t)) })
	t.Run("restart handles the pending", func(t *testing.T) { testRestart(t, newStore(t)) })
	t.Run("order", func(t *testing.T) { TestOrder(t, newStore) })
}

// kit is what the suite's tests send and count with.
type kit struct {
	secret string
	mu     sync.Mutex
	calls  map[string]int
	fail   func(id string) error
}

func newKit(t *testing.T) *kit {
	secret, err := events.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	return &kit{secret: secret, calls: map[string]int{}}
}

// config returns the config of an inbox that handles through k.
func (k *kit) config(t *testing.T, workers int) inbox.Config {
	v, err := events.NewVerifier(events.VerifierConfig{Secrets: []string{k.secret}})
	if err != nil {
		t.Fatal(err)
	}
	return inbox.Config{Verifier: v, Workers: workers, MaxAttempts: 2, RetryPolicy: now{},
		Handle: func(_ context.Context, ev events.Event) error {
			k.mu.Lock()
			defer k.mu.Unlock()
			k.calls[ev.Meta().ID]++
			if k.fail != nil {
				return k.fail(ev.Meta().ID)
			}
			return nil
		}}
}

// now retries at once.
type now struct{}

func (now) NextRetry(*rivertype.JobRow) time.Time { return time.Now() }

// post sends in a delivery of event id, signed now, and returns the status.
func (k *kit) post(t *testing.T, in http.Handler, id string) int {
	t.Helper()
	body := fmt.Appendf(nil, `{"version":"1.0.0","type":"meeting.started","id":%q,"event_ts":1708526033.049,"payload":{"room":"conformance","start_ts":1708526032.672}}`, id)
	r, err := eventstest.Signer{Secret: k.secret}.NewRequest("/hook", body)
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	in.ServeHTTP(w, r)
	return w.Code
}

// waitState waits until f lists n deliveries in state, or fails t.
func waitState(t *testing.T, in *inbox.Inbox, state inbox.State, n int) []inbox.Entry {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		got, err := in.List(context.Background(), inbox.Filter{States: []inbox.State{state}})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d deliveries %s, want %d", len(got), state, n)
		}
	}
}

func testReceive(t *testing.T, open Opener) {
	k := newKit(t)
	in := open(t, k.config(t, 4))
	if err := in.Ready(context.Background()); err != nil {
		t.Fatalf("Ready = %v", err)
	}
	const n = 20
	for i := range n {
		if got := k.post(t, in, fmt.Sprint("conf-", i)); got != 200 {
			t.Fatalf("POST = %d", got)
		}
	}
	for i := range 5 { // Daily sends some again, signed anew
		if got := k.post(t, in, fmt.Sprint("conf-", i)); got != 200 {
			t.Fatalf("POST again = %d", got)
		}
	}
	handled := waitState(t, in, inbox.StateHandled, n)
	if handled[0].Delivery.Type != "meeting.started" || handled[0].Delivery.Room != "conformance" || handled[0].Room() != "conformance" {
		t.Errorf("a stored delivery reads %+v", handled[0].Delivery)
	}
	k.mu.Lock()
	for i := range n {
		if got := k.calls[fmt.Sprint("conf-", i)]; got != 1 {
			t.Errorf("conf-%d handled %d times, want once", i, got)
		}
	}
	k.mu.Unlock()
	st, err := in.Stats(context.Background())
	if err != nil || st.Jobs[inbox.StateHandled] != n || !st.OldestPending.IsZero() {
		t.Errorf("Stats = %+v, %v; want %d handled and nothing pending", st, err, n)
	}
}

func testDead(t *testing.T, open Opener) {
	k := newKit(t)
	k.fail = func(string) error { return errors.New("the app is down") }
	cfg := k.config(t, 4)
	in := open(t, cfg)
	for i := range 6 {
		if got := k.post(t, in, fmt.Sprint("dead-", i)); got != 200 {
			t.Fatalf("POST = %d", got)
		}
	}
	dead := waitState(t, in, inbox.StateDead, 6)
	if dead[0].Attempts != 2 || dead[0].LastError() == "" {
		t.Errorf("a dead delivery: %d attempts, last error %q", dead[0].Attempts, dead[0].LastError())
	}
	k.mu.Lock()
	k.fail = nil
	k.mu.Unlock()
	if n, err := in.Replay(context.Background(), "dead-0"); n != 1 || err != nil {
		t.Fatalf("Replay = %d, %v", n, err)
	}
	if _, err := in.Replay(context.Background(), "dead-0"); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("a second Replay of a delivery no longer dead = %v, want ErrNotFound", err)
	}
	if n, err := in.ReplayDead(context.Background(), inbox.Filter{IDs: []string{"dead-1"}}); n != 1 || err != nil {
		t.Fatalf("ReplayDead = %d, %v", n, err)
	}
	waitState(t, in, inbox.StateHandled, 2)
	if n, err := in.Purge(context.Background(), 0); n != 4 || err != nil {
		t.Errorf("Purge = %d, %v; want the 4 still dead", n, err)
	}
	if got, _ := in.List(context.Background(), inbox.Filter{}); len(got) != 2 {
		t.Errorf("%d deliveries after the purge, want the 2 replayed and handled", len(got))
	}
}

func testRestart(t *testing.T, open Opener) {
	k := newKit(t)
	receiver := open(t, k.config(t, -1)) // receives, handles nothing
	for i := range 5 {
		if got := k.post(t, receiver, fmt.Sprint("later-", i)); got != 200 {
			t.Fatalf("POST = %d", got)
		}
	}
	waitState(t, receiver, inbox.StatePending, 5)
	if err := receiver.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	worker := open(t, k.config(t, 2))
	waitState(t, worker, inbox.StateHandled, 5)
}

// Starting returns an Opener over open, a store package's Open of one
// store: it logs through t.Log, starts the workers of an inbox that runs
// some, and stops the inbox when t ends.
func Starting(open func(ctx context.Context, cfg inbox.Config) (*inbox.Inbox, error)) Opener {
	return func(t *testing.T, cfg inbox.Config) *inbox.Inbox {
		t.Helper()
		if cfg.Logger == nil {
			cfg.Logger = slog.New(slog.NewTextHandler(logWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
		}
		in, err := open(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Workers >= 0 {
			if err := in.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := in.Stop(ctx); err != nil {
				t.Error(err)
			}
		})
		return in
	}
}

// A logWriter writes to a test's log.
type logWriter struct{ t *testing.T }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// TestRiverEvents handles deliveries while watching River's completer
// through the River client that jobs returns of an inbox: each job is
// completed once, in the store's commit, and River still reports each as
// completed to its subscribers (the store answers River's completer for
// the jobs it completed, rather than have River's driver look them up).
func TestRiverEvents(t *testing.T, newStore func(t *testing.T) Opener, jobs func(in *inbox.Inbox) RiverJobs) {
	k := newKit(t)
	in := newStore(t)(t, k.config(t, 4))
	completed, cancel := jobs(in).Subscribe(river.EventKindJobCompleted)
	defer cancel()
	const n = 30
	for i := range n {
		if got := k.post(t, in, fmt.Sprint("event-", i)); got != 200 {
			t.Fatalf("POST = %d", got)
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
	st, err := in.Stats(context.Background())
	if err != nil || st.Jobs[inbox.StateHandled] != n {
		t.Errorf("Stats = %+v, %v; want %d handled", st, err, n)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	for id, calls := range k.calls {
		if calls != 1 {
			t.Errorf("%s handled %d times, want once", id, calls)
		}
	}
}
