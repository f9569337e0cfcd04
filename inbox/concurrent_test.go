package inbox_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/inbox"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"
)

// TestConcurrentCommits runs a store with Concurrent whose commit of a
// receipt is held, as a slow database would hold it: a worker's completion
// commits beside it, and the worker is free. (With one writer, the
// completion would wait for the receipt's commit, which it would share.)
func TestConcurrentCommits(t *testing.T) {
	hold := make(chan struct{})    // closed: receipts commit
	held := make(chan struct{}, 1) // a receipts commit waits for hold
	completed := make(chan int64, 1)
	var holding atomic.Bool
	handling := make(chan struct{})
	var once sync.Once
	done := make(chan struct{})
	in := concurrentInbox(t, func(params []river.InsertManyParams, _ []*river.Job[inbox.Delivery]) {
		if len(params) > 0 && holding.Load() {
			held <- struct{}{}
			<-hold
		}
	}, func(_ []river.InsertManyParams, jobs []*river.Job[inbox.Delivery]) {
		for _, job := range jobs {
			completed <- job.ID
		}
	}, func(context.Context, events.Event) error {
		once.Do(func() { close(handling) })
		<-done
		return nil
	})
	if got := post(t, in, delivery("first")); got != 200 {
		t.Fatalf("POST = %d", got)
	}
	<-handling
	holding.Store(true)
	second := make(chan int, 1)
	go func() { second <- post(t, in, delivery("second")) }()
	<-held // the second delivery's commit is held
	close(done)
	select {
	case <-completed:
	case <-time.After(20 * time.Second):
		t.Error("the completion waited for the receipt's commit, with Concurrent")
	}
	close(hold)
	if got := <-second; got != 200 {
		t.Errorf("POST = %d", got)
	}
}

// TestCompletionsRide runs a store with Concurrent while receipts come: a
// worker's completion waits for the receipts' next commit and is
// committed in it, a transaction fewer, rather than in one of its own.
func TestCompletionsRide(t *testing.T) {
	waiting := make(chan struct{}, 10)
	// Long enough that only a receipt ends the wait.
	inbox.SetRide(t, time.Minute, func() { waiting <- struct{}{} })
	var (
		mu   sync.Mutex
		rode = map[string]bool{} // event ID → its completion rode
	)
	release := make(chan struct{})
	in := concurrentInbox(t, nil, func(params []river.InsertManyParams, jobs []*river.Job[inbox.Delivery]) {
		mu.Lock()
		defer mu.Unlock()
		for _, job := range jobs {
			rode[job.Args.ID] = len(params) > 0
		}
	}, func(_ context.Context, ev events.Event) error {
		if ev.Meta().ID == "first" {
			close(release)
		}
		return nil
	})
	if got := post(t, in, delivery("first")); got != 200 {
		t.Fatalf("POST = %d", got)
	}
	<-release
	select { // the first delivery's completion waits for a receipt
	case <-waiting:
	case <-time.After(30 * time.Second):
		t.Fatal("the first delivery's completion did not wait for a receipt")
	}
	if got := post(t, in, delivery("second")); got != 200 {
		t.Fatalf("POST = %d", got)
	}
	stopInbox(in)
	mu.Lock()
	defer mu.Unlock()
	if r, ok := rode["first"]; !ok || !r {
		t.Errorf("the first delivery's completion: committed %v, with the second's receipt %v; want with it", ok, r)
	}
}

// concurrentInbox starts an inbox with two workers that handle with
// handle, on a store with Concurrent whose commits call before and after
// (see commitVia), and stops it when t ends.
func concurrentInbox(t *testing.T, before, after func([]river.InsertManyParams, []*river.Job[inbox.Delivery]), handle func(context.Context, events.Event) error) *inbox.Inbox {
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "c.db")+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	var client *river.Client[*sql.Tx]
	in, err := inbox.NewStore(ctx, inbox.Store[*sql.Tx]{Driver: riversqlite.New(db), Commit: commitVia(db, &client, before, after), Concurrent: true},
		inbox.Config{Verifier: newVerifier(t), Logger: testLogger(t), Workers: 2, Handle: handle})
	if err != nil {
		t.Fatal(err)
	}
	client = inbox.RiverClient[*sql.Tx](in)
	if err := in.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopInbox(in) })
	return in
}

// stopInbox stops in, waiting at most 10 s.
func stopInbox(in *inbox.Inbox) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	in.Stop(ctx)
}

// commitVia returns a store's Commit on db through *client, which calls
// before, when not nil, first, and after once it committed.
func commitVia(db *sql.DB, client **river.Client[*sql.Tx], before, after func([]river.InsertManyParams, []*river.Job[inbox.Delivery])) func(context.Context, []river.InsertManyParams, []*river.Job[inbox.Delivery]) ([]*rivertype.JobInsertResult, error) {
	return func(ctx context.Context, params []river.InsertManyParams, jobs []*river.Job[inbox.Delivery]) ([]*rivertype.JobInsertResult, error) {
		if before != nil {
			before(params, jobs)
		}
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return nil, err
		}
		defer tx.Rollback()
		var res []*rivertype.JobInsertResult
		if len(params) > 0 {
			if res, err = (*client).InsertManyTx(ctx, tx, params); err != nil {
				return nil, err
			}
		}
		for _, job := range jobs {
			if _, err := river.JobCompleteTx[*riversqlite.Driver](ctx, tx, job); err != nil {
				return nil, err
			}
		}
		if err := tx.Commit(); err != nil {
			return nil, err
		}
		after(params, jobs)
		return res, nil
	}
}
