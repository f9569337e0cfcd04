package inbox_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dailywebhooks/events/eventstest"
	"github.com/dailywebhooks/events/inbox"
	"github.com/dailywebhooks/events/inbox/inboxtest"
	"github.com/dailywebhooks/events/inbox/postgres"
	"github.com/dailywebhooks/events/inbox/sqlite"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	_ "modernc.org/sqlite"
)

// senders is how many clients send at once in the benchmarks.
const senders = 32

// store opens one kind of database for a benchmark: an inbox on it, and a
// bare River client on it for the floor.
type store struct {
	name  string
	inbox func(b *testing.B, cfg inbox.Config) http.Handler
	floor func(b *testing.B) func(ctx context.Context, d inbox.Delivery) error
}

func stores(b *testing.B) []store {
	sqlitePath := func(b *testing.B) string { return filepath.Join(b.TempDir(), "bench.db") }
	// The server lives as long as the top-level benchmark: a
	// sub-benchmark's function runs several times, each with its own
	// cleanups.
	top := b
	var pg *inboxtest.Postgres
	pgURL := func(b *testing.B) string {
		if pg == nil {
			pg = inboxtest.StartPostgres(top)
		}
		return pg.NewDatabase(b)
	}
	return []store{
		{
			name: "sqlite",
			inbox: func(b *testing.B, cfg inbox.Config) http.Handler {
				in, err := sqlite.Open(context.Background(), sqlitePath(b), cfg)
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { in.Stop(context.Background()) })
				return in
			},
			floor: func(b *testing.B) func(context.Context, inbox.Delivery) error {
				// The same file settings as sqlite.Open, through a throwaway
				// inbox that runs the migrations.
				path := sqlitePath(b)
				in, err := sqlite.Open(context.Background(), path, inbox.Config{Verifier: newVerifier(b), Handle: nopHandle, Workers: -1, Logger: quietLogger()})
				if err != nil {
					b.Fatal(err)
				}
				in.Stop(context.Background())
				db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)")
				if err != nil {
					b.Fatal(err)
				}
				db.SetMaxOpenConns(1)
				b.Cleanup(func() { db.Close() })
				return floorInsert(b, riversqlite.New(db))
			},
		},
		{
			name: "postgres",
			inbox: func(b *testing.B, cfg inbox.Config) http.Handler {
				in, err := postgres.Open(context.Background(), pgURL(b), cfg)
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { in.Stop(context.Background()) })
				return in
			},
			floor: func(b *testing.B) func(context.Context, inbox.Delivery) error {
				url := pgURL(b)
				in, err := postgres.Open(context.Background(), url, inbox.Config{Verifier: newVerifier(b), Handle: nopHandle, Workers: -1, Logger: quietLogger()})
				if err != nil {
					b.Fatal(err)
				}
				in.Stop(context.Background())
				pool, err := pgxpool.New(context.Background(), url)
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(pool.Close)
				return floorInsert(b, riverpgxv5.New(pool))
			},
		},
	}
}

func nopHandle(context.Context, eventsEvent) error { return nil }

// floorInsert returns a bare River insert of a delivery, unique by key as
// the inbox inserts it, through an insert-only client.
func floorInsert[TTx any](b *testing.B, driver riverDriver[TTx]) func(context.Context, inbox.Delivery) error {
	workers := river.NewWorkers()
	river.AddWorker(workers, river.WorkFunc(func(context.Context, *river.Job[inbox.Delivery]) error { return nil }))
	client, err := river.NewClient(driver, &river.Config{Workers: workers, Logger: quietLogger()})
	if err != nil {
		b.Fatal(err)
	}
	opts := &river.InsertOpts{Queue: inbox.DefaultQueue, UniqueOpts: river.UniqueOpts{ByArgs: true}}
	return func(ctx context.Context, d inbox.Delivery) error {
		_, err := client.Insert(ctx, d, opts)
		return err
	}
}

// load runs b.N operations from senders goroutines and reports the rate
// and the latency percentiles.
func load(b *testing.B, op func(i int) error) {
	var (
		next  atomic.Int64
		mu    sync.Mutex
		lat   = make([]time.Duration, 0, b.N)
		wg    sync.WaitGroup
		first error
	)
	b.ResetTimer()
	start := time.Now()
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					break
				}
				t0 := time.Now()
				err := op(i)
				mine = append(mine, time.Since(t0))
				if err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if first != nil {
		b.Fatal(first)
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "deliveries/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

// BenchmarkAck measures durable acknowledgements: signed deliveries POSTed
// over loopback HTTP by 32 concurrent senders to an inbox that only
// receives, each answered 200 once committed.
func BenchmarkAck(b *testing.B) {
	for _, s := range stores(b) {
		b.Run(s.name, func(b *testing.B) {
			h := s.inbox(b, inbox.Config{Verifier: newVerifier(b), Handle: nopHandle, Workers: -1, Logger: quietLogger()})
			srv := httptest.NewServer(h)
			defer srv.Close()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: senders}}
			run := time.Now().UnixNano()
			load(b, func(i int) error {
				if got := send(client, srv.URL, delivery(fmt.Sprintf("ack-%d-%d", run, i))); got != 200 {
					return fmt.Errorf("status %d", got)
				}
				return nil
			})
		})
	}
}

// BenchmarkFloorInsert is the floor of BenchmarkAck: a bare River Insert
// of the same job, unique by key, from 32 goroutines on the same database.
func BenchmarkFloorInsert(b *testing.B) {
	for _, s := range stores(b) {
		b.Run(s.name, func(b *testing.B) {
			insert := s.floor(b)
			run := time.Now().UnixNano()
			body := delivery("floor")
			ctx := context.Background()
			load(b, func(i int) error {
				id := fmt.Sprintf("floor-%d-%d", run, i)
				return insert(ctx, inbox.Delivery{Key: inbox.IDKey(id), ID: id, Type: "meeting.started", ReceivedAt: time.Now(), Body: body})
			})
		})
	}
}

// BenchmarkIdleWake measures, on SQLite, the time from the 200 of a
// delivery to an idle inbox to its Handle: each delivery comes alone,
// 100 ms after the last was handled. It reports the median and the
// longest (idle-p50-ms, idle-max-ms).
//
//	go test -run '^$' -bench IdleWake -benchtime 20x ./inbox
func BenchmarkIdleWake(b *testing.B) {
	handled := make(chan time.Time, 1)
	in := openSQLite(b, inbox.Config{Handle: func(context.Context, eventsEvent) error {
		handled <- time.Now()
		return nil
	}})
	srv := httptest.NewServer(in)
	defer srv.Close()
	var lat []time.Duration
	for i := 0; b.Loop(); i++ {
		time.Sleep(100 * time.Millisecond) // idle: longer than any poll
		r, _ := eventstest.Signer{Secret: secret}.NewRequest(srv.URL, delivery(fmt.Sprint("idle-", i)))
		resp, err := http.DefaultClient.Do(r)
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("POST: %v %v", resp, err)
		}
		acked := time.Now()
		resp.Body.Close()
		lat = append(lat, (<-handled).Sub(acked))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "idle-p50-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "idle-max-ms")
}
