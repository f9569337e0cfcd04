package inbox_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/inbox"
	"github.com/riverqueue/river"
)

// TestWorkersCap holds the app's first deliveries until more are stored
// than the inbox has workers: River fetches up to twice Workers, yet no
// more than Workers deliveries are handled at once; a delivery that waits
// over a second for a worker goes back to the queue without losing an
// attempt; and each is handled once, at its first attempt, with the
// whole JobTimeout.
func TestWorkersCap(t *testing.T) {
	const workers, n = 2, 8
	var (
		mu        sync.Mutex
		now, most int
		attempts  = map[string]int{}
		budget    []time.Duration
	)
	hold := make(chan struct{})
	in := openSQLite(t, inbox.Config{Workers: workers, JobTimeout: 10 * time.Second, Handle: func(ctx context.Context, ev events.Event) error {
		mu.Lock()
		now++
		most = max(most, now)
		attempts[ev.Meta().ID] = inbox.Attempt(ctx)
		deadline, _ := ctx.Deadline()
		budget = append(budget, time.Until(deadline))
		mu.Unlock()
		<-hold
		mu.Lock()
		now--
		mu.Unlock()
		return nil
	}})
	snoozed, cancel := inbox.RiverClient[*sql.Tx](in).Subscribe(river.EventKindJobSnoozed)
	defer cancel()
	for i := range n {
		if got := post(t, in, delivery(fmt.Sprint("cap-", i))); got != 200 {
			t.Fatalf("POST = %d", got)
		}
	}
	// Hold the first two until a delivery waited its second for a worker
	// and went back to the queue.
	select {
	case ev := <-snoozed:
		if ev.Job.Attempt != 0 {
			t.Errorf("a delivery went back to the queue at attempt %d, want 0: its wait for a worker counted", ev.Job.Attempt)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no delivery went back to the queue while the workers were busy")
	}
	if got := in.FreeWorkers(); got != 0 {
		t.Errorf("FreeWorkers = %d while both workers are held, want 0", got)
	}
	close(hold)
	waitUntil(t, "every delivery is handled", func() bool {
		st, err := in.Stats(context.Background())
		return err == nil && st.Jobs[inbox.StateHandled] == n
	})
	waitUntil(t, "both workers are free", func() bool { return in.FreeWorkers() == workers })
	mu.Lock()
	defer mu.Unlock()
	if most != workers {
		t.Errorf("%d deliveries handled at once, want %d (Workers)", most, workers)
	}
	if len(attempts) != n {
		t.Errorf("%d deliveries reached the app, want %d", len(attempts), n)
	}
	for id, a := range attempts {
		if a != 1 {
			t.Errorf("%s handled at attempt %d, want 1: the wait for a worker cost an attempt", id, a)
		}
	}
	for _, b := range budget {
		if b < 9*time.Second || b > 10*time.Second {
			t.Errorf("an attempt had %v of its 10 s JobTimeout left as it began", b.Round(time.Millisecond))
		}
	}
}

// waitUntil polls cond until it holds, or fails t after 20 seconds.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
	}
}
