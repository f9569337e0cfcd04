package inbox_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/inbox"
	"github.com/dailywebhooks/events/inbox/inboxtest"
	"github.com/dailywebhooks/events/inbox/postgres"
	"github.com/dailywebhooks/events/inbox/sqlite"
	"github.com/riverqueue/river/rivertype"
)

// An opener opens an inbox over one store, the same on each call.
type opener func(t *testing.T, cfg inbox.Config) *inbox.Inbox

// storeOpeners returns an opener of a fresh SQLite file and one of a fresh
// PostgreSQL database, where PostgreSQL is installed.
func storeOpeners(t *testing.T) map[string]func(t *testing.T) opener {
	open := func(t *testing.T, cfg inbox.Config, openFn func(context.Context, inbox.Config) (*inbox.Inbox, error)) *inbox.Inbox {
		t.Helper()
		if cfg.Verifier == nil {
			cfg.Verifier = newVerifier(t)
		}
		if cfg.Logger == nil {
			cfg.Logger = testLogger(t)
		}
		if cfg.Handle == nil {
			cfg.Handle = func(context.Context, events.Event) error { return errors.New("handles nothing") }
		}
		in, err := openFn(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Workers >= 0 {
			if err := in.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		t.Cleanup(func() { stop(t, in) })
		return in
	}
	return map[string]func(t *testing.T) opener{
		"sqlite": func(t *testing.T) opener {
			path := filepath.Join(t.TempDir(), "inbox.db")
			return func(t *testing.T, cfg inbox.Config) *inbox.Inbox {
				return open(t, cfg, func(ctx context.Context, cfg inbox.Config) (*inbox.Inbox, error) { return sqlite.Open(ctx, path, cfg) })
			}
		},
		"postgres": func(t *testing.T) opener {
			url := inboxtest.StartPostgres(t).NewDatabase(t)
			return func(t *testing.T, cfg inbox.Config) *inbox.Inbox {
				return open(t, cfg, func(ctx context.Context, cfg inbox.Config) (*inbox.Inbox, error) { return postgres.Open(ctx, url, cfg) })
			}
		},
	}
}

// deadStore stores n deliveries that all fail their one attempt, and
// returns an inbox over the same store that runs no workers.
func deadStore(t *testing.T, open opener, n int) *inbox.Inbox {
	t.Helper()
	in := open(t, inbox.Config{MaxAttempts: 1, Workers: 8})
	for i := range n {
		if got := post(t, in, delivery(fmt.Sprint("dead-", i))); got != 200 {
			t.Fatalf("POST = %d", got)
		}
	}
	waitList(t, in, inbox.Filter{States: []inbox.State{inbox.StateDead}}, n)
	stop(t, in)
	return open(t, inbox.Config{Workers: -1, MaxAttempts: 3})
}

// TestReplayPurgeRace runs a purge of the dead deliveries beside a replay
// of them, and two replays at once: each delivery is replayed or purged,
// once, and no replayed delivery is purged.
func TestReplayPurgeRace(t *testing.T) {
	const n = 200
	for name, store := range storeOpeners(t) {
		t.Run(name+"/replay beside purge", func(t *testing.T) {
			in := deadStore(t, store(t), n)
			var replayed, purged int
			race(t,
				func() error {
					var err error
					replayed, err = in.ReplayDead(context.Background(), inbox.Filter{})
					return err
				},
				func() error { var err error; purged, err = in.Purge(context.Background(), 0); return err })
			t.Logf("replayed %d, purged %d", replayed, purged)
			if replayed+purged != n {
				t.Errorf("replayed %d + purged %d = %d, want %d", replayed, purged, replayed+purged, n)
			}
			all, err := in.List(context.Background(), inbox.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(all) != replayed {
				t.Errorf("%d deliveries remain, want the %d replayed", len(all), replayed)
			}
			for _, e := range all {
				if e.State != inbox.StatePending || e.Attempts != 1 || e.MaxAttempts != 2 || len(e.Errors) != 1 {
					t.Fatalf("a replayed delivery: state %s, attempts %d of %d, %d errors; want pending, 1 of 2 (the budget it had), its error kept", e.State, e.Attempts, e.MaxAttempts, len(e.Errors))
				}
			}
		})
		t.Run(name+"/two replays", func(t *testing.T) {
			in := deadStore(t, store(t), n)
			var a, b int
			race(t,
				func() error { var err error; a, err = in.ReplayDead(context.Background(), inbox.Filter{}); return err },
				func() error { var err error; b, err = in.ReplayDead(context.Background(), inbox.Filter{}); return err })
			t.Logf("replayed %d and %d", a, b)
			if a+b != n {
				t.Errorf("replayed %d + %d = %d, want %d", a, b, a+b, n)
			}
			if got, err := in.Purge(context.Background(), 0); got != 0 || err != nil {
				t.Errorf("Purge after the replays = %d, %v; want 0: nothing is dead", got, err)
			}
			if err := in.ReplayJob(context.Background(), 1); !errors.Is(err, inbox.ErrNotDead) {
				t.Errorf("ReplayJob of a pending job = %v, want ErrNotDead", err)
			}
		})
	}
}

// TestChangeStaleListing lists the dead deliveries, lets another replay
// or purge them, then changes what it listed, as a purge or replay racing
// another does: nothing that is no longer dead is purged or replayed.
func TestChangeStaleListing(t *testing.T) {
	const n = 20
	ctx := context.Background()
	for name, store := range storeOpeners(t) {
		t.Run(name, func(t *testing.T) {
			in := deadStore(t, store(t), n)
			var ids []int64
			for _, e := range waitList(t, in, inbox.Filter{States: []inbox.State{inbox.StateDead}}, n) {
				ids = append(ids, e.JobID)
			}
			if got, err := in.ReplayDead(ctx, inbox.Filter{IDs: []string{"dead-0", "dead-1", "dead-2"}}); got != 3 || err != nil {
				t.Fatalf("ReplayDead of 3 = %d, %v", got, err)
			}
			if done, err := in.PurgeJobs(ctx, ids); len(done) != n-3 || err != nil {
				t.Errorf("purging the %d listed, 3 of them replayed since: purged %d, %v; want %d", n, len(done), err, n-3)
			}
			if got := waitList(t, in, inbox.Filter{}, 3); got[0].State != inbox.StatePending {
				t.Errorf("a replayed delivery is %s after the purge", got[0].State)
			}
			if done, err := in.ReplayJobs(ctx, ids); len(done) != 0 || err != nil {
				t.Errorf("replaying the %d listed, purged or replayed since: replayed %d, %v; want 0", n, len(done), err)
			}
		})
	}
}

// race runs fns at once, and fails t on an error but ErrNotDead, which
// reports what another took.
func race(t *testing.T, fns ...func() error) {
	t.Helper()
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, len(fns))
	for i, fn := range fns {
		wg.Go(func() { <-start; errs[i] = fn() })
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		if err != nil && !errors.Is(err, inbox.ErrNotDead) {
			t.Fatal(err)
		}
		if err != nil {
			t.Log(err)
		}
	}
}

// TestReplayFreshBudget dead-letters a delivery after its 3 attempts,
// replays it while the app still fails twice more, and sees it handled on
// the third attempt after the replay, its earlier attempts still listed.
func TestReplayFreshBudget(t *testing.T) {
	for name, store := range storeOpeners(t) {
		t.Run(name, func(t *testing.T) {
			open := store(t)
			var calls atomic.Int32
			handled := make(chan struct{})
			in := open(t, inbox.Config{MaxAttempts: 3, RetryPolicy: quickRetry{}, Handle: func(ctx context.Context, ev events.Event) error {
				if calls.Add(1) <= 5 {
					return fmt.Errorf("attempt %d fails", inbox.Attempt(ctx))
				}
				close(handled)
				return nil
			}})
			post(t, in, delivery("again"))
			waitList(t, in, inbox.Filter{States: []inbox.State{inbox.StateDead}}, 1)
			if n, err := in.Replay(context.Background(), "again"); n != 1 || err != nil {
				t.Fatalf("Replay = %d, %v", n, err)
			}
			select {
			case <-handled:
			case <-time.After(20 * time.Second):
				t.Fatalf("the replayed delivery was not handled: %d calls", calls.Load())
			}
			got := waitList(t, in, inbox.Filter{States: []inbox.State{inbox.StateHandled}}, 1)[0]
			if got.Attempts != 6 || len(got.Errors) != 5 || !strings.Contains(got.Errors[4].Error, "attempt 5 fails") {
				t.Errorf("handled after %d attempts with %d errors, want 6 and 5", got.Attempts, len(got.Errors))
			}
		})
	}
}

// TestRetryingState fails the first attempt of a delivery whose next one
// is an hour away, which River keeps retryable, and of one whose next is
// 3 s away, which River keeps available: both read retrying in List and
// in Stats. (A replayed dead delivery reads pending until an attempt after
// the replay fails: TestReplayPurgeRace.)
func TestRetryingState(t *testing.T) {
	for name, store := range storeOpeners(t) {
		t.Run(name, func(t *testing.T) {
			open := store(t)
			in := open(t, inbox.Config{MaxAttempts: 3, Workers: 4, RetryPolicy: splitRetry{},
				Handle: func(ctx context.Context, ev events.Event) error {
					return fmt.Errorf("attempt %d fails", inbox.Attempt(ctx))
				}})
			post(t, in, delivery("far"))
			post(t, in, delivery("near"))
			got := waitList(t, in, inbox.Filter{States: []inbox.State{inbox.StateRetrying}}, 2)
			for _, e := range got {
				if e.Attempts != 1 {
					t.Errorf("retrying: %s after %d attempts", e.Delivery.ID, e.Attempts)
				}
			}
			st, err := in.Stats(context.Background())
			if err != nil || st.Jobs[inbox.StateRetrying] != 2 || st.Jobs[inbox.StatePending] != 0 {
				t.Errorf("Stats = %+v, %v; want 2 retrying and none pending", st, err)
			}
			if p, _ := in.List(context.Background(), inbox.Filter{States: []inbox.State{inbox.StatePending}}); len(p) != 0 {
				t.Errorf("%d pending, want none", len(p))
			}
		})
	}
}

// splitRetry schedules the retry of event "near" 3 s away, which River
// keeps available, and the others' an hour away, which it keeps
// retryable.
type splitRetry struct{}

func (splitRetry) NextRetry(job *rivertype.JobRow) time.Time {
	if strings.Contains(string(job.EncodedArgs), `\"near\"`) {
		return time.Now().Add(3 * time.Second)
	}
	return time.Now().Add(time.Hour)
}
