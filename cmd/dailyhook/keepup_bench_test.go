package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dailywebhooks/events/eventstest"
	"github.com/dailywebhooks/events/inbox/inboxtest"
)

// The benchmarks of this file drive the built dailyhook listen forwarding to
// a fast local app, as an operator runs it, with a paced sender: they report
// what share of an offered load is acknowledged, how fast, and how soon it
// reaches the app. Run them one at a time, on an otherwise idle machine:
//
//	go test -run '^$' -bench 'Forward/sqlite' -benchtime 1x ./cmd/dailyhook
//	go test -run '^$' -bench 'Forward/replicas' -benchtime 1x ./cmd/dailyhook

// A loadApp answers every forward at once with 200, and records when each
// event first reached it.
type loadApp struct {
	mu    sync.Mutex
	first map[string]time.Time
	hits  int
	url   string
}

func newLoadApp(tb testing.TB) *loadApp {
	a := &loadApp{first: map[string]time.Time{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		id := r.Header.Get("X-Dailyhook-Event-Id")
		a.mu.Lock()
		a.hits++
		if _, ok := a.first[id]; !ok {
			a.first[id] = now
		}
		a.mu.Unlock()
	}))
	tb.Cleanup(srv.Close)
	a.url = srv.URL
	return a
}

// reached returns how many of acked had reached the app by t (all of them,
// for a zero t), and the longest wait from an acknowledgement to the app.
func (a *loadApp) reached(acked map[string]time.Time, t time.Time) (n int, longest time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for id, at := range acked {
		got, ok := a.first[id]
		if !ok || (!t.IsZero() && got.After(t)) {
			continue
		}
		n++
		longest = max(longest, got.Sub(at))
	}
	return n, longest
}

// waitAll waits until every acked delivery reached the app, for at most
// timeout, and returns how many had.
func (a *loadApp) waitAll(acked map[string]time.Time, timeout time.Duration) int {
	deadline := time.Now().Add(timeout)
	for {
		n, _ := a.reached(acked, time.Time{})
		if n == len(acked) || time.Now().After(deadline) {
			return n
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A loadResult is what a paced sender saw.
type loadResult struct {
	start, end time.Time            // of the offered load
	acked      map[string]time.Time // event ID → when its 200 came
	lat        []time.Duration      // of the tries that got 200
	sent       []time.Time          // when each of lat's tries was sent
	failed     map[int]int          // final status of the unacknowledged (0: no answer)
	refused    int                  // tries answered other than 200, retried or not
}

func (r *loadResult) p99() time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	lat := slices.Clone(r.lat)
	slices.Sort(lat)
	return lat[len(lat)*99/100]
}

// sendPaced offers rate deliveries a second for d over conns keep-alive
// connections. Delivery i goes to target(i, 0); when tries > 1, a try
// that gets no 200 is sent again at once to target(i, try).
func sendPaced(rate int, d time.Duration, conns, tries int, target func(i, try int) string) *loadResult {
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, IdleConnTimeout: time.Minute,
	}}
	defer client.CloseIdleConnections()
	r := &loadResult{acked: map[string]time.Time{}, failed: map[int]int{}}
	var mu sync.Mutex
	n := int(d.Seconds() * float64(rate))
	work := make(chan int)
	var wg sync.WaitGroup
	for range conns {
		wg.Go(func() {
			for i := range work {
				id := fmt.Sprintf("load-%d", i)
				body := delivery(id)
				code := 0
				for try := range tries {
					req, _ := eventstest.Signer{Secret: secret}.NewRequest(target(i, try), body)
					t0 := time.Now()
					code = 0
					if resp, err := client.Do(req); err == nil {
						code = resp.StatusCode
						resp.Body.Close()
					}
					now := time.Now()
					mu.Lock()
					if code == http.StatusOK {
						r.acked[id] = now
						r.lat = append(r.lat, now.Sub(t0))
						r.sent = append(r.sent, t0)
					} else {
						r.refused++
					}
					mu.Unlock()
					if code == http.StatusOK {
						break
					}
				}
				if code != http.StatusOK {
					mu.Lock()
					r.failed[code]++
					mu.Unlock()
				}
			}
		})
	}
	r.start = time.Now()
	period := time.Second / time.Duration(rate)
	for i := range n {
		time.Sleep(time.Until(r.start.Add(time.Duration(i) * period))) // pacing
		work <- i
	}
	r.end = time.Now()
	close(work)
	wg.Wait()
	return r
}

// BenchmarkForward offers 1,000 deliveries a second to dailyhook listen
// forwarding to a fast app: for 15 s to one process on SQLite with
// -workers 40, and for 20 s to three replicas on one PostgreSQL server
// with fsync on, -workers 10 each, the second SIGKILLed at 40% of the
// load and started again at 75%; and 300 a second to the three replicas
// for the commits a delivery costs. The load starts once every process
// serves, as a balancer that checks readiness starts sending; the
// restarted replica gets its share from the moment its port accepts
// connections, as one that does not.
func BenchmarkForward(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		for range b.N {
			a := newLoadApp(b)
			p := startProcess(b, "-db", filepath.Join(b.TempDir(), "inbox.db"), "-forward-to", a.url, "-workers", "40")
			p.waitServing(b)
			r := sendPaced(1000, 15*time.Second, 128, 1, func(int, int) string { return p.url })
			reportLoad(b, a, r, 15000)
			p.term()
		}
	})
	b.Run("replicas", func(b *testing.B) {
		for range b.N {
			forwardReplicas(b, 1000, 20*time.Second, true)
		}
	})
	b.Run("replicas-300", func(b *testing.B) {
		for range b.N {
			forwardReplicas(b, 300, 20*time.Second, false)
		}
	})
}

// forwardReplicas offers rate a second for d to three listen replicas on
// one PostgreSQL database, round robin, a refused try sent on to another
// replica. With kill, replica 2 is SIGKILLed at 40% of d and started again
// at 75%.
func forwardReplicas(b *testing.B, rate int, d time.Duration, kill bool) {
	pg := inboxtest.StartPostgresWith(b, inboxtest.PostgresOptions{Durable: true})
	dbURL := pg.NewDatabase(b)
	a := newLoadApp(b)
	args := []string{"-postgres", dbURL, "-forward-to", a.url, "-workers", "10"}
	var (
		mu       sync.Mutex
		replicas []*process
	)
	for range 3 {
		replicas = append(replicas, startProcess(b, args...))
	}
	for _, p := range replicas {
		p.waitServing(b)
	}
	if kill {
		time.AfterFunc(d*40/100, func() {
			mu.Lock()
			p := replicas[1]
			mu.Unlock()
			p.cmd.Process.Signal(syscall.SIGKILL)
		})
		time.AfterFunc(d*75/100, func() {
			p := startProcess(b, args...)
			mu.Lock()
			replicas[1] = p
			mu.Unlock()
		})
	}
	commits := xactCommits(b, dbURL)
	r := sendPaced(rate, d, 128, 6, func(i, try int) string {
		mu.Lock()
		defer mu.Unlock()
		// A refused try goes to one of the two others, alternately, so
		// that a dead replica's share is spread over both.
		return replicas[(i+try*(1+(i/3)%2))%3].url
	})
	reportLoad(b, a, r, int(d.Seconds())*rate)
	b.ReportMetric(float64(xactCommits(b, dbURL)-commits)/float64(len(r.acked)), "commits/delivery")
	mu.Lock()
	defer mu.Unlock()
	for _, p := range replicas {
		p.term()
	}
}

// reportLoad waits until every acknowledged delivery reached the app (for
// at most 3 minutes: a killed replica's deliveries wait for River's
// rescuer), and reports the figures of r.
func reportLoad(b *testing.B, a *loadApp, r *loadResult, offered int) {
	time.Sleep(time.Until(r.end.Add(1500 * time.Millisecond))) // the figure is at end+1.5 s
	atEnd, _ := a.reached(r.acked, r.end)
	by15, _ := a.reached(r.acked, r.end.Add(1500*time.Millisecond))
	all := a.waitAll(r.acked, 3*time.Minute)
	_, longest := a.reached(r.acked, time.Time{})
	acked := float64(len(r.acked))
	b.ReportMetric(100*acked/float64(offered), "%acked")
	b.ReportMetric(acked/r.end.Sub(r.start).Seconds(), "acked/s")
	b.ReportMetric(float64(r.p99().Microseconds())/1000, "p99-ms")
	b.ReportMetric(100*(acked-float64(atEnd))/acked, "%remaining-at-end")
	b.ReportMetric(100*float64(by15)/acked, "%at-app-by-end+1.5s")
	b.ReportMetric(longest.Seconds(), "longest-ack-to-app-s")
	timeline(b, a, r)
	b.Logf("offered %d in %v: acknowledged %d, refused tries %d, unacknowledged by status %v; reached the app: %d at the end, %d by +1.5 s, %d in all (%d forwards)",
		offered, r.end.Sub(r.start).Round(time.Millisecond), len(r.acked), r.refused, r.failed, atEnd, by15, all, a.hits)
	if all < len(r.acked) {
		b.Errorf("%d acknowledged deliveries never reached the app", len(r.acked)-all)
	}
}

// xactCommits returns the commits PostgreSQL counted in url's database.
func xactCommits(b *testing.B, url string) int64 {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int64
	if err := conn.QueryRow(ctx, "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()").Scan(&n); err != nil {
		b.Fatal(err)
	}
	return n
}

// timeline logs, for each second of r from its start, the deliveries
// acknowledged, those that first reached the app, those acknowledged but
// not yet at the app, and the tries sent in it that took over 100 ms to
// get their 200: where a run lost its p99 and its share at the app.
func timeline(b *testing.B, a *loadApp, r *loadResult) {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := int(r.end.Sub(r.start)/time.Second) + 3
	sec := func(t time.Time) int { return min(max(int(t.Sub(r.start)/time.Second), 0), n-1) }
	acked, app, slow := make([]int, n), make([]int, n), make([]int, n)
	for id, at := range r.acked {
		acked[sec(at)]++
		if got, ok := a.first[id]; ok {
			app[sec(got)]++
		}
	}
	for k, l := range r.lat {
		if l > 100*time.Millisecond {
			slow[sec(r.sent[k])]++
		}
	}
	var line strings.Builder
	waiting := 0
	for i := range n {
		waiting += acked[i] - app[i]
		fmt.Fprintf(&line, " %d:%d/%d/%d/%d", i, acked[i], app[i], waiting, slow[i])
	}
	b.Logf("by second (s:acked/at app/waiting/tries over 100 ms):%s", line.String())
}
