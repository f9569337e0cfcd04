package inbox_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/eventstest"
	"github.com/dailywebhooks/events/inbox"
	"github.com/dailywebhooks/events/inbox/inboxtest"
	"github.com/dailywebhooks/events/inbox/postgres"
)

// send POSTs body to url signed now, and returns the status, or 0 when no
// answer came.
func send(client *http.Client, url string, body []byte) int {
	r, err := eventstest.Signer{Secret: secret}.NewRequest(url, body)
	if err != nil {
		return 0
	}
	resp, err := client.Do(r)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestInboxReplicas runs three receivers with workers on one PostgreSQL
// database. Deliveries are spread across them, a fifth sent twice to two
// of them at once and a seventh twice to the same one; each must be
// handled exactly once.
func TestInboxReplicas(t *testing.T) {
	pg := inboxtest.StartPostgres(t)
	url := pg.NewDatabase(t)
	ctx := context.Background()
	tl := newTally()
	v := newVerifier(t)
	var urls []string
	var first *inbox.Inbox
	for range 3 {
		in, err := postgres.Open(ctx, url, inbox.Config{Verifier: v, Handle: tl.handle(nil), Logger: testLogger(t), Workers: 4})
		if err != nil {
			t.Fatal(err)
		}
		if err := in.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = in
		}
		srv := httptest.NewServer(in)
		t.Cleanup(func() {
			srv.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := in.Stop(ctx); err != nil {
				t.Error(err)
			}
		})
		urls = append(urls, srv.URL)
	}
	const n = 600
	client := &http.Client{Timeout: 10 * time.Second}
	var (
		wg   sync.WaitGroup
		sem  = make(chan struct{}, 16)
		ids  []string
		mu   sync.Mutex
		bad  []string
		sent int
	)
	for i := range n {
		id := fmt.Sprintf("replica-%d", i)
		ids = append(ids, id)
		targets := []string{urls[i%3]}
		if i%5 == 0 {
			targets = append(targets, urls[(i+1)%3])
		}
		if i%7 == 0 {
			// Twice at once to one replica: both may land in one
			// transaction of its batches.
			targets = append(targets, urls[i%3])
		}
		for _, u := range targets {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				status := send(client, u, delivery(id))
				mu.Lock()
				defer mu.Unlock()
				sent++
				if status != 200 {
					bad = append(bad, fmt.Sprintf("%s: %d", id, status))
				}
			}()
		}
	}
	wg.Wait()
	if len(bad) > 0 {
		t.Fatalf("not acknowledged: %v", bad)
	}
	tl.waitHandled(t, ids, 60*time.Second)
	// Settled once every stored delivery is handled: none is left that a
	// second handling could come from.
	waitList(t, first, inbox.Filter{States: []inbox.State{inbox.StateHandled}}, n)
	tl.mu.Lock()
	defer tl.mu.Unlock()
	for _, id := range ids {
		if tl.attempts[id] != 1 {
			t.Errorf("%s handled %d times, want exactly once", id, tl.attempts[id])
		}
	}
	t.Logf("%d events, %d deliveries over 3 replicas", n, sent)
}

// TestPostgresListAndStats runs the listing, the counts and the readiness
// of an inbox on PostgreSQL, whose SQL is its own.
func TestPostgresListAndStats(t *testing.T) {
	pg := inboxtest.StartPostgres(t)
	ctx := context.Background()
	release := make(chan struct{})
	in, err := postgres.Open(ctx, pg.NewDatabase(t), inbox.Config{Verifier: newVerifier(t), Logger: testLogger(t), Workers: 1,
		Handle: func(ctx context.Context, ev events.Event) error {
			<-release
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer in.Stop(ctx)
	before := time.Now()
	for _, id := range []string{"pg-1", "pg-2", "pg-3"} {
		if got := post(t, in, delivery(id)); got != 200 {
			t.Fatalf("POST %s = %d", id, got)
		}
	}
	// One is handled, one more is fetched ahead for the worker (running
	// too), and one is pending; the one fetched ahead goes back to the
	// queue each second the worker stays busy, and is fetched again.
	var st inbox.Stats
	waitUntil(t, "Stats count 2 running and 1 pending", func() bool {
		st, err = in.Stats(ctx)
		return err == nil && st.Jobs[inbox.StateRunning] == 2 && st.Jobs[inbox.StatePending] == 1
	})
	if st.OldestPending.Before(before.Add(-time.Second)) || st.OldestPending.After(time.Now()) {
		t.Errorf("Stats = %+v; want the oldest stored since the test began", st)
	}
	if got, err := in.List(ctx, inbox.Filter{IDs: []string{"pg-2"}}); err != nil || len(got) != 1 || got[0].Delivery.ID != "pg-2" {
		t.Errorf("List of pg-2 = %+v, %v", got, err)
	}
	if err := in.Ready(ctx); err != nil {
		t.Errorf("Ready = %v", err)
	}
	close(release)
	waitList(t, in, inbox.Filter{States: []inbox.State{inbox.StateHandled}}, 3)
}
