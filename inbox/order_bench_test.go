package inbox_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/eventstest"
	"github.com/dailywebhooks/events/inbox"
	"github.com/dailywebhooks/events/inbox/inboxtest"
	"github.com/dailywebhooks/events/inbox/postgres"
	"github.com/dailywebhooks/events/inbox/sqlite"
)

// BenchmarkOrder measures what ordering rooms costs: 40 rooms of 5
// events each, sent in one burst, drained by 10 workers and an app that
// takes 20 ms per event, with no OrderKey and with ByRoom and a 200 ms
// OrderWindow, in interleaved rounds, on SQLite and on PostgreSQL. It
// reports each one's drain time (from the first send to the last event
// handled), its deliveries a second, the p99 from receipt to handling,
// and the ordered drain's speed as a share of the unordered one's (the bar
// is 0.5). Run it with:
//
//	go test -run '^$' -bench Order -benchtime 5x ./inbox
func BenchmarkOrder(b *testing.B) {
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			open := orderStore(b, name)
			plain := newDrain(b, open, false)
			ordered := newDrain(b, open, true)
			var plainRuns, orderedRuns []drainResult
			for r := range b.N {
				plainRuns = append(plainRuns, plain.round(b, r))
				orderedRuns = append(orderedRuns, ordered.round(b, r))
			}
			p, o := medianDrain(plainRuns), medianDrain(orderedRuns)
			b.ReportMetric(p.drain.Seconds()*1000, "plain-drain-ms")
			b.ReportMetric(o.drain.Seconds()*1000, "ordered-drain-ms")
			b.ReportMetric(float64(orderRooms*orderEach)/p.drain.Seconds(), "plain-deliveries/s")
			b.ReportMetric(float64(orderRooms*orderEach)/o.drain.Seconds(), "ordered-deliveries/s")
			b.ReportMetric(p.p99.Seconds()*1000, "plain-p99-ms")
			b.ReportMetric(o.p99.Seconds()*1000, "ordered-p99-ms")
			b.ReportMetric(p.drain.Seconds()/o.drain.Seconds(), "ordered/plain")
		})
	}
}

// The load of BenchmarkOrder.
const (
	orderRooms, orderEach = 40, 5
	orderWork             = 20 * time.Millisecond
)

// orderStore returns the opener of an inbox on the store name.
func orderStore(b *testing.B, name string) func(b *testing.B, cfg inbox.Config) *inbox.Inbox {
	if name == "sqlite" {
		return func(b *testing.B, cfg inbox.Config) *inbox.Inbox {
			in, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "order.db"), cfg)
			if err != nil {
				b.Fatal(err)
			}
			return in
		}
	}
	pg := inboxtest.StartPostgres(b)
	return func(b *testing.B, cfg inbox.Config) *inbox.Inbox {
		in, err := postgres.Open(context.Background(), pg.NewDatabase(b), cfg)
		if err != nil {
			b.Fatal(err)
		}
		return in
	}
}

// A drain is an inbox that BenchmarkOrder drains, and what its app saw.
type drain struct {
	srv     *httptest.Server
	mu      sync.Mutex
	handled map[string]time.Time
	done    chan struct{}
	want    int
}

// A drainResult is one round of a drain.
type drainResult struct {
	drain, p99 time.Duration
}

func newDrain(b *testing.B, open func(b *testing.B, cfg inbox.Config) *inbox.Inbox, ordered bool) *drain {
	d := &drain{}
	cfg := inbox.Config{Verifier: newVerifier(b), Workers: 10, Logger: quietLogger(), Handle: func(_ context.Context, ev events.Event) error {
		time.Sleep(orderWork) // the app's work
		d.mu.Lock()
		defer d.mu.Unlock()
		d.handled[ev.Meta().ID] = time.Now()
		if len(d.handled) == d.want {
			close(d.done)
		}
		return nil
	}}
	if ordered {
		cfg.OrderKey, cfg.OrderWindow = inbox.ByRoom, 200*time.Millisecond
	}
	in := open(b, cfg)
	if err := in.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	d.srv = httptest.NewServer(in)
	b.Cleanup(func() { d.srv.Close(); in.Stop(context.Background()) })
	return d
}

// round sends the burst of round r, and waits until it is handled.
func (d *drain) round(b *testing.B, r int) drainResult {
	d.mu.Lock()
	d.handled, d.done, d.want = map[string]time.Time{}, make(chan struct{}), orderRooms*orderEach
	d.mu.Unlock()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: senders}}
	sent := make(map[string]time.Time, orderRooms*orderEach)
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	start := time.Now()
	sem := make(chan struct{}, senders)
	for room := range orderRooms {
		for e := range orderEach {
			id := fmt.Sprintf("%d-r%d-e%d", r, room, e)
			body := fmt.Appendf(nil, `{"version":"1.0.0","type":"participant.joined","id":%q,"event_ts":%d,"payload":{"room":"room-%d-%d","user_name":"u","session_id":%q,"joined_at":%d,"owner":false}}`,
				id, 1708972000+orderEach-e, r, room, id, 1708972000+orderEach-e) // sent latest first
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				req, err := eventstest.Signer{Secret: secret}.NewRequest(d.srv.URL, body)
				if err != nil {
					b.Error(err)
					return
				}
				at := time.Now()
				resp, err := client.Do(req)
				if err != nil || resp.StatusCode != http.StatusOK {
					b.Errorf("POST %s: %v %v", id, err, resp)
					return
				}
				resp.Body.Close()
				mu.Lock()
				sent[id] = at
				mu.Unlock()
			})
		}
	}
	wg.Wait()
	select {
	case <-d.done:
	case <-time.After(2 * time.Minute):
		b.Fatal("the burst was not drained in 2 minutes")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	var last time.Time
	var lat []time.Duration
	for id, at := range d.handled {
		if at.After(last) {
			last = at
		}
		lat = append(lat, at.Sub(sent[id]))
	}
	slices.Sort(lat)
	return drainResult{drain: last.Sub(start), p99: lat[len(lat)*99/100]}
}

// medianDrain returns the round of median drain time.
func medianDrain(rs []drainResult) drainResult {
	slices.SortFunc(rs, func(a, b drainResult) int { return int(a.drain - b.drain) })
	return rs[len(rs)/2]
}
