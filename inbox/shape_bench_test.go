package inbox_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/eventstest"
	"github.com/dailywebhooks/events/inbox"
	"github.com/dailywebhooks/events/inbox/inboxtest"
	"github.com/dailywebhooks/events/inbox/postgres"
	"github.com/dailywebhooks/events/inbox/sqlite"
	"github.com/jackc/pgx/v5"
)

// shapeRound is how many deliveries one round of BenchmarkShape sends.
const shapeRound = 3000

// A shapeStore opens an inbox for BenchmarkShape, and says how many bytes
// its deliveries take on disk, once Stop ran (SQLite) or before (PostgreSQL).
type shapeStore struct {
	name string
	open func(b *testing.B, cfg inbox.Config) (in *inbox.Inbox, bytes func() int64)
}

func shapeStores() []shapeStore {
	sqliteStore := shapeStore{"sqlite", func(b *testing.B, cfg inbox.Config) (*inbox.Inbox, func() int64) {
		path := filepath.Join(b.TempDir(), "shape.db")
		in, err := sqlite.Open(context.Background(), path, cfg)
		if err != nil {
			b.Fatal(err)
		}
		return in, func() int64 {
			in.Stop(context.Background())
			var size int64
			for _, suffix := range []string{"", "-wal", "-shm"} {
				if fi, err := os.Stat(path + suffix); err == nil {
					size += fi.Size()
				}
			}
			return size
		}
	}}
	pg := func(name string, durable bool) shapeStore {
		return shapeStore{name, func(b *testing.B, cfg inbox.Config) (*inbox.Inbox, func() int64) {
			url := inboxtest.StartPostgresWith(b, inboxtest.PostgresOptions{Durable: durable}).NewDatabase(b)
			in, err := postgres.Open(context.Background(), url, cfg)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { in.Stop(context.Background()) })
			return in, func() int64 { return pgQuery(b, url, "SELECT pg_total_relation_size('river_job')") }
		}}
	}
	return []shapeStore{sqliteStore, pg("postgres-fsync", true), pg("postgres-nofsync", false)}
}

// pgQuery returns the one integer that query gives on url.
func pgQuery(b *testing.B, url, query string) int64 {
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int64
	if err := conn.QueryRow(context.Background(), query).Scan(&n); err != nil {
		b.Fatal(err)
	}
	return n
}

// BenchmarkShape measures the whole shape of a durable receiver: an inbox
// with its workers on, running a no-op Handle, against an events.Handler
// that stores nothing, in interleaved rounds of the same run (b.N rounds
// of 3,000 deliveries each, from 32 senders over loopback HTTP), with
// participant.joined deliveries as Daily sends them, on SQLite and on
// PostgreSQL with fsync on (the headline) and off. It reports each one's
// throughput, p50 and p99, the inbox's share of the Handler's throughput,
// and the bytes on disk per stored delivery against the body's. Run it
// with -benchtime 3x or more:
//
//	go test -run '^$' -bench Shape -benchtime 5x ./inbox
func BenchmarkShape(b *testing.B) {
	for _, st := range shapeStores() {
		b.Run(st.name, func(b *testing.B) { benchShape(b, st) })
	}
}

func benchShape(b *testing.B, st shapeStore) {
	v := newVerifier(b)
	plain := httptest.NewServer(&events.Handler{Verifier: v, AllowReplays: true, Handle: nopHandle, OnError: func(*http.Request, error) {}})
	defer plain.Close()
	in, bytes := st.open(b, inbox.Config{Verifier: v, Handle: nopHandle, Logger: quietLogger()})
	if err := in.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	durable := httptest.NewServer(in)
	defer durable.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: senders}}
	body, _ := eventstest.NewDelivery(events.TypeParticipantJoined, time.Now())
	var plainRuns, durableRuns []roundResult
	b.ResetTimer()
	for r := range b.N {
		plainRuns = append(plainRuns, sendRound(b, client, plain.URL, fmt.Sprintf("plain-%d", r)))
		durableRuns = append(durableRuns, sendRound(b, client, durable.URL, fmt.Sprintf("durable-%d", r)))
	}
	b.StopTimer()
	waitHandledAll(b, in, b.N*shapeRound)
	size := bytes()
	p, d := merge(plainRuns), merge(durableRuns)
	b.ReportMetric(p.rate, "handler-deliveries/s")
	b.ReportMetric(d.rate, "inbox-deliveries/s")
	b.ReportMetric(d.rate/p.rate, "inbox/handler")
	b.ReportMetric(p.p50, "handler-p50-ms")
	b.ReportMetric(p.p99, "handler-p99-ms")
	b.ReportMetric(d.p50, "inbox-p50-ms")
	b.ReportMetric(d.p99, "inbox-p99-ms")
	perDelivery := float64(size) / float64(b.N*shapeRound)
	b.ReportMetric(perDelivery, "disk-B/delivery")
	b.ReportMetric(perDelivery/float64(len(body)), "disk/body")
}

// BenchmarkPostgresCommits counts the commits a delivery costs on
// PostgreSQL with fsync on, at a moderate load: 300 deliveries a second
// from 32 senders, each handled by the workers, read from
// pg_stat_database.xact_commit. River's own fetches, completions and
// maintenance count too. Run it with -benchtime 1x (2,000 deliveries):
//
//	go test -run '^$' -bench PostgresCommits -benchtime 1x ./inbox
func BenchmarkPostgresCommits(b *testing.B) {
	const n, rate = 2000, 300
	url := inboxtest.StartPostgresWith(b, inboxtest.PostgresOptions{Durable: true}).NewDatabase(b)
	in, err := postgres.Open(context.Background(), url, inbox.Config{Verifier: newVerifier(b), Handle: nopHandle, Logger: quietLogger()})
	if err != nil {
		b.Fatal(err)
	}
	defer in.Stop(context.Background())
	if err := in.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(in)
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: senders}}
	commits := func() int64 {
		time.Sleep(1500 * time.Millisecond) // PostgreSQL publishes its statistics about every second
		return pgQuery(b, url, "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")
	}
	var total, deliveries int64
	var lat []time.Duration
	b.ResetTimer()
	for range b.N {
		before := commits()
		tick := time.NewTicker(time.Second / rate)
		var wg sync.WaitGroup
		var mu sync.Mutex
		sem := make(chan struct{}, senders)
		for range n {
			<-tick.C
			body, _ := eventstest.NewDelivery(events.TypeParticipantJoined, time.Now())
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done() }()
				t0 := time.Now()
				if send(client, srv.URL, body) != 200 {
					b.Error("a delivery was not answered 200")
				}
				mu.Lock()
				lat = append(lat, time.Since(t0))
				mu.Unlock()
			}()
		}
		wg.Wait()
		tick.Stop()
		deliveries += n
		waitHandledAll(b, in, int(deliveries))
		total += commits() - before
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(total)/float64(deliveries), "commits/delivery")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
}

// roundResult is one round of a load: its rate and latencies.
type roundResult struct {
	rate float64
	lat  []time.Duration
}

// sendRound sends shapeRound new deliveries to url from senders goroutines.
func sendRound(b *testing.B, client *http.Client, url, prefix string) roundResult {
	bodies := make([][]byte, shapeRound)
	for i := range bodies {
		body, err := eventstest.NewDelivery(events.TypeParticipantJoined, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		bodies[i] = body
	}
	var (
		next atomic.Int64
		mu   sync.Mutex
		lat  []time.Duration
		bad  atomic.Int64
		wg   sync.WaitGroup
	)
	start := time.Now()
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for i := int(next.Add(1)) - 1; i < shapeRound; i = int(next.Add(1)) - 1 {
				t0 := time.Now()
				if send(client, url, bodies[i]) != 200 {
					bad.Add(1)
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if n := bad.Load(); n > 0 {
		b.Fatalf("%s: %d deliveries not answered 200", prefix, n)
	}
	return roundResult{rate: shapeRound / time.Since(start).Seconds(), lat: lat}
}

// merged are the rounds of one receiver, summed up.
type merged struct{ rate, p50, p99 float64 }

// merge returns the median rate of rs, and the percentiles of all their
// latencies.
func merge(rs []roundResult) merged {
	var rates []float64
	var lat []time.Duration
	for _, r := range rs {
		rates = append(rates, r.rate)
		lat = append(lat, r.lat...)
	}
	slices.Sort(rates)
	slices.Sort(lat)
	ms := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	return merged{rate: rates[len(rates)/2], p50: ms(0.50), p99: ms(0.99)}
}

// waitHandledAll waits until n deliveries of in are handled.
func waitHandledAll(b *testing.B, in *inbox.Inbox, n int) {
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(50 * time.Millisecond) {
		st, err := in.Stats(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if st.Jobs[inbox.StateHandled] >= int64(n) {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d handled after 2 minutes", st.Jobs[inbox.StateHandled], n)
		}
	}
}
