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
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "c.db")+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	defer db.Close()
	var client *river.Client[*sql.Tx]
	hold := make(chan struct{})    // closed: receipts commit
	held := make(chan struct{}, 1) // a receipts commit waits for hold
	completed := make(chan int64, 1)
	var holding atomic.Bool
	commit := func(ctx context.Context, params []river.InsertManyParams, jobs []*river.Job[inbox.Delivery]) ([]*rivertype.JobInsertResult, error) {
		if len(params) > 0 && holding.Load() {
			held <- struct{}{}
			<-hold
		}
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return nil, err
		}
		defer tx.Rollback()
		var res []*rivertype.JobInsertResult
		if len(params) > 0 {
			if res, err = client.InsertManyTx(ctx, tx, params); err != nil {
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
		for _, job := range jobs {
			completed <- job.ID
		}
		return res, nil
	}
	handling := make(chan struct{})
	var once sync.Once
	done := make(chan struct{})
	in, err := inbox.NewStore(ctx, inbox.Store[*sql.Tx]{Driver: riversqlite.New(db), Commit: commit, Concurrent: true},
		inbox.Config{Verifier: newVerifier(t), Logger: testLogger(t), Workers: 1, Handle: func(context.Context, events.Event) error {
			once.Do(func() { close(handling) })
			<-done
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	client = inbox.RiverClient[*sql.Tx](in)
	if err := in.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		in.Stop(ctx)
	}()
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
