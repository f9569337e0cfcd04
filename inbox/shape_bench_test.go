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
	"github.com/dailywebhooks/events/inbox/sqlite"
)

// shapeRound is how many deliveries one round of BenchmarkShape sends.
const shapeRound = 3000

// BenchmarkShape measures the whole shape of a durable receiver: an inbox
// on SQLite with its workers on, running a no-op Handle, against an
// events.Handler that stores nothing, in interleaved rounds of the same
// run (b.N rounds of 3,000 deliveries each, from 32 senders over loopback
// HTTP), with participant.joined deliveries as Daily sends them. It
// reports each one's throughput, p50 and p99, the inbox's share of the
// Handler's throughput, and the bytes on disk per stored delivery, counted
// after Stop, against the body's. Run it with -benchtime 3x or more:
//
//	go test -run '^$' -bench Shape -benchtime 5x ./inbox
func BenchmarkShape(b *testing.B) {
	v := newVerifier(b)
	plain := httptest.NewServer(&events.Handler{Verifier: v, AllowReplays: true, Handle: nopHandle, OnError: func(*http.Request, error) {}})
	defer plain.Close()
	path := filepath.Join(b.TempDir(), "shape.db")
	in, err := sqlite.Open(context.Background(), path, inbox.Config{Verifier: v, Handle: nopHandle, Logger: quietLogger()})
	if err != nil {
		b.Fatal(err)
	}
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
	if err := in.Stop(context.Background()); err != nil {
		b.Fatal(err)
	}
	size := 0
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if fi, err := os.Stat(path + suffix); err == nil {
			size += int(fi.Size())
			b.Logf("%s%s: %d bytes", filepath.Base(path), suffix, fi.Size())
			if keep := os.Getenv("SHAPE_KEEP"); keep != "" && suffix == "" {
				data, _ := os.ReadFile(path)
				os.WriteFile(keep, data, 0o644)
			}
		}
	}
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
