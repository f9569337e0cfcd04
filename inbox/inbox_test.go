package inbox_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/eventstest"
	"github.com/dailywebhooks/events/inbox"
	"github.com/dailywebhooks/events/inbox/sqlite"
	"github.com/riverqueue/river/rivertype"
)

// secret signs every delivery of these tests.
const secret = "ZGFpbHkgd2ViaG9vayB0ZXN0IGtleSwgMzIgYnl0ZXM="

// quickRetry retries a failed attempt after 10 ms, so that tests of
// retries run in moments.
type quickRetry struct{}

func (quickRetry) NextRetry(*rivertype.JobRow) time.Time {
	return time.Now().Add(10 * time.Millisecond)
}

// quietLogger drops every log, for the benchmarks.
func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// testLogger logs to t.Log, so that a failure explains itself, until t's
// cleanups after it ran.
func testLogger(t testing.TB) *slog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(func() { w.mu.Lock(); w.done = true; w.mu.Unlock() })
	return slog.New(slog.NewTextHandler(w, nil))
}

// A testWriter writes to a test's log.
type testWriter struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimSuffix(string(p), "\n"))
	}
	return len(p), nil
}

// tally records what the user's function saw, per event ID.
type tally struct {
	mu       sync.Mutex
	attempts map[string]int
	handled  map[string]int // successful attempts
	seen     chan string    // each successful ID, when not nil
}

func newTally() *tally {
	return &tally{attempts: map[string]int{}, handled: map[string]int{}, seen: make(chan string, 100_000)}
}

// handle returns a Handle function that fails or panics as fault says for
// each attempt, and records the outcome.
func (tl *tally) handle(fault func(id string, attempt int) error) func(context.Context, events.Event) error {
	return func(ctx context.Context, ev events.Event) error {
		id := ev.Meta().ID
		tl.mu.Lock()
		tl.attempts[id]++
		tl.mu.Unlock()
		if fault != nil {
			if err := fault(id, inbox.Attempt(ctx)); err != nil {
				return err
			}
		}
		tl.mu.Lock()
		tl.handled[id]++
		tl.mu.Unlock()
		tl.seen <- id
		return nil
	}
}

// waitHandled waits until every id in ids was handled, or fails t.
func (tl *tally) waitHandled(t *testing.T, ids []string, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		tl.mu.Lock()
		missing := 0
		for _, id := range ids {
			if tl.handled[id] == 0 {
				missing++
			}
		}
		tl.mu.Unlock()
		if missing == 0 {
			return
		}
		select {
		case <-tl.seen:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatalf("%d of %d events not handled after %v", missing, len(ids), timeout)
		}
	}
}

func newVerifier(t testing.TB) *events.Verifier {
	t.Helper()
	v, err := events.NewVerifier(events.VerifierConfig{Secrets: []string{secret}, MaxBodyBytes: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// openSQLite returns a started SQLite inbox in a temporary folder, stopped
// when t ends.
func openSQLite(t testing.TB, cfg inbox.Config) *inbox.Inbox {
	t.Helper()
	ctx := context.Background()
	if cfg.Verifier == nil {
		cfg.Verifier = newVerifier(t)
	}
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	in, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "inbox.db"), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := in.Stop(ctx); err != nil {
			t.Error(err)
		}
	})
	return in
}

// delivery returns a meeting.started delivery with event ID id.
func delivery(id string) []byte {
	return fmt.Appendf(nil, `{"version":"1.0.0","type":"meeting.started","id":%q,"event_ts":1708526033.049,"payload":{"room":"r","start_ts":1708526032.672}}`, id)
}

// post sends body to h signed now, as Daily does, and returns the status.
func post(t testing.TB, h http.Handler, body []byte) int {
	t.Helper()
	r, err := eventstest.Signer{Secret: secret}.NewRequest("/hook", body)
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code
}

func TestInboxDeliversOnce(t *testing.T) {
	tl := newTally()
	in := openSQLite(t, inbox.Config{Handle: tl.handle(nil)})
	var ids []string
	for i := range 50 {
		id := fmt.Sprintf("ev-%d", i)
		ids = append(ids, id)
		if got := post(t, in, delivery(id)); got != 200 {
			t.Fatalf("POST %s = %d, want 200", id, got)
		}
	}
	// Daily sends some again, signed anew.
	for _, id := range ids[:10] {
		if got := post(t, in, delivery(id)); got != 200 {
			t.Fatalf("second POST %s = %d, want 200", id, got)
		}
	}
	tl.waitHandled(t, ids, 20*time.Second)
	// Settled once every stored delivery is handled: a duplicate would be
	// a stored delivery more.
	waitList(t, in, inbox.Filter{States: []inbox.State{inbox.StateHandled}}, len(ids))
	tl.mu.Lock()
	defer tl.mu.Unlock()
	for _, id := range ids {
		if tl.handled[id] != 1 {
			t.Errorf("%s handled %d times, want once", id, tl.handled[id])
		}
	}
}

// TestInboxBadInput sends each kind of bad delivery and checks its status,
// and that only the authentic ones are stored.
func TestInboxBadInput(t *testing.T) {
	tl := newTally()
	in := openSQLite(t, inbox.Config{Handle: tl.handle(nil)})
	good := delivery("good")
	sign := func(s eventstest.Signer, body []byte) *http.Request {
		r, err := s.NewRequest("/hook", body)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	tests := []struct {
		name       string
		req        *http.Request
		wantStatus int
		wantDead   bool // stored and dead-lettered
	}{
		{name: "tampered", req: func() *http.Request {
			r := sign(eventstest.Signer{Secret: secret}, good)
			r.Body = io.NopCloser(bytes.NewReader(bytes.Replace(good, []byte(`"r"`), []byte(`"x"`), 1)))
			return r
		}(), wantStatus: 401},
		{name: "stale", req: sign(eventstest.Signer{Secret: secret, Time: time.Now().Add(-time.Hour)}, good), wantStatus: 401},
		{name: "unsigned", req: httptest.NewRequest(http.MethodPost, "/hook", bytes.NewReader(good)), wantStatus: 401},
		{name: "oversized", req: sign(eventstest.Signer{Secret: secret}, bytes.Repeat([]byte(" "), 65<<10)), wantStatus: 413},
		{name: "GET", req: httptest.NewRequest(http.MethodGet, "/hook", nil), wantStatus: 405},
		{name: "verification request", req: httptest.NewRequest(http.MethodPost, "/hook", strings.NewReader(`{"test":"test"}`)), wantStatus: 200},
		{name: "malformed", req: sign(eventstest.Signer{Secret: secret}, []byte(`{"version":"1.0.0","type":"meeting.started","id":"malformed","payload":{`)), wantStatus: 200, wantDead: true},
		{name: "major version 2", req: sign(eventstest.Signer{Secret: secret}, []byte(`{"version":"2.0.0","type":"meeting.started","id":"v2","payload":{}}`)), wantStatus: 200, wantDead: true},
		{name: "field of a new shape", req: sign(eventstest.Signer{Secret: secret}, []byte(`{"version":"1.0.0","type":"meeting.started","id":"shape","payload":{"start_ts":{"new":1}}}`)), wantStatus: 200, wantDead: true},
		{name: "unknown type", req: sign(eventstest.Signer{Secret: secret}, []byte(`{"version":"1.0.0","type":"brand.new","id":"new-type","payload":{}}`)), wantStatus: 200},
	}
	wantDead := 0
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			in.ServeHTTP(w, tt.req)
			if w.Code != tt.wantStatus {
				t.Errorf("status %d, want %d", w.Code, tt.wantStatus)
			}
		})
		if tt.wantDead {
			wantDead++
		}
	}
	tl.waitHandled(t, []string{"new-type"}, 10*time.Second)
	ctx := context.Background()
	var dead []inbox.Entry
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		var err error
		if dead, err = in.List(ctx, inbox.Filter{States: []inbox.State{inbox.StateDead}}); err != nil {
			t.Fatal(err)
		}
		if len(dead) >= wantDead {
			break
		}
	}
	if len(dead) != wantDead {
		t.Fatalf("%d dead letters, want %d: %+v", len(dead), wantDead, dead)
	}
	for _, d := range dead {
		if d.Delivery.ParseError == "" || !strings.Contains(d.LastError(), "parsing the stored delivery") || d.Delivery.Body == nil {
			t.Errorf("dead letter %d: parse error %q, last error %q, body %q; want all three", d.JobID, d.Delivery.ParseError, d.LastError(), d.Delivery.Body)
		}
	}
	tl.mu.Lock()
	defer tl.mu.Unlock()
	if len(tl.attempts) != 1 {
		t.Errorf("Handle saw %v, want only the unknown type", tl.attempts)
	}
}

// TestInboxFlakyHandler fails 30% of attempts and panics on 5%: every event
// is handled in the end, or dead-lettered and then recovered by Replay.
func TestInboxFlakyHandler(t *testing.T) {
	tl := newTally()
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(1, 2))
	in := openSQLite(t, inbox.Config{
		MaxAttempts: 3,
		RetryPolicy: quickRetry{},
		Handle: tl.handle(func(id string, attempt int) error {
			mu.Lock()
			roll := rng.Float64()
			mu.Unlock()
			switch {
			case roll < 0.05:
				panic("flaky handler panics")
			case roll < 0.35:
				return errors.New("flaky handler fails")
			}
			return nil
		}),
	})
	var ids []string
	for i := range 300 {
		id := fmt.Sprintf("flaky-%d", i)
		ids = append(ids, id)
		if got := post(t, in, delivery(id)); got != 200 {
			t.Fatalf("POST %s = %d", id, got)
		}
	}
	ctx := context.Background()
	replayed := 0
	deadline := time.Now().Add(60 * time.Second)
	for {
		tl.mu.Lock()
		done := 0
		for _, id := range ids {
			if tl.handled[id] > 0 {
				done++
			}
		}
		tl.mu.Unlock()
		if done == len(ids) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d events handled after a minute", done, len(ids))
		}
		dead, err := in.List(ctx, inbox.Filter{States: []inbox.State{inbox.StateDead}})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range dead {
			if d.Attempts < 3 || d.LastError() == "" {
				t.Errorf("dead letter %s after %d attempts, last error %q", d.Delivery.ID, d.Attempts, d.LastError())
			}
			if n, err := in.Replay(ctx, d.Delivery.ID); err != nil || n != 1 {
				t.Fatalf("Replay(%s) = %d, %v", d.Delivery.ID, n, err)
			}
			replayed++
		}
		time.Sleep(50 * time.Millisecond)
	}
	waitList(t, in, inbox.Filter{States: []inbox.State{inbox.StateHandled}}, len(ids))
	tl.mu.Lock()
	defer tl.mu.Unlock()
	attempts := 0
	for _, id := range ids {
		if tl.handled[id] != 1 {
			t.Errorf("%s handled successfully %d times, want once", id, tl.handled[id])
		}
		attempts += tl.attempts[id]
	}
	if replayed == 0 {
		t.Error("no event was dead-lettered: the test did not exercise Replay")
	}
	t.Logf("%d events, %d attempts, %d replayed from the dead letters", len(ids), attempts, replayed)
	if _, err := in.Replay(ctx, "no-such-event"); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("Replay of an unknown ID = %v, want ErrNotFound", err)
	}
}

// TestInboxAttempt checks that the worker's context carries the attempt.
func TestInboxAttempt(t *testing.T) {
	var mu sync.Mutex
	var seen []int
	tl := newTally()
	in := openSQLite(t, inbox.Config{RetryPolicy: quickRetry{}, Handle: tl.handle(func(_ string, attempt int) error {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, attempt)
		if attempt < 3 {
			return errors.New("not yet")
		}
		return nil
	})})
	post(t, in, delivery("attempts"))
	tl.waitHandled(t, []string{"attempts"}, 10*time.Second)
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(seen) != "[1 2 3]" {
		t.Errorf("attempts seen %v, want [1 2 3]", seen)
	}
}

func TestNewConfigErrors(t *testing.T) {
	v := newVerifier(t)
	handle := func(context.Context, events.Event) error { return nil }
	tests := []struct {
		name string
		cfg  inbox.Config
	}{
		{"no verifier", inbox.Config{Handle: handle}},
		{"no handle", inbox.Config{Verifier: v}},
		{"rescue before timeout", inbox.Config{Verifier: v, Handle: handle, JobTimeout: time.Minute, RescueAfter: time.Second}},
		{"rescue within the wait for a worker", inbox.Config{Verifier: v, Handle: handle, JobTimeout: time.Minute, RescueAfter: time.Minute + 500*time.Millisecond}},
		{"negative timeout", inbox.Config{Verifier: v, Handle: handle, JobTimeout: -time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "x.db"), tt.cfg)
			if !errors.Is(err, inbox.ErrConfig) {
				t.Errorf("sqlite.Open = %v, want ErrConfig", err)
			}
		})
	}
}

func TestExponentialRetry(t *testing.T) {
	p := inbox.ExponentialRetry{Base: time.Second, Max: 10 * time.Second}
	for _, tt := range []struct {
		attempt int
		want    time.Duration
	}{{1, time.Second}, {2, 2 * time.Second}, {3, 4 * time.Second}, {4, 8 * time.Second}, {5, 10 * time.Second}, {40, 10 * time.Second}} {
		got := time.Until(p.NextRetry(&rivertype.JobRow{Attempt: tt.attempt}))
		if got < tt.want*89/100 || got > tt.want*11/10 {
			t.Errorf("attempt %d: retry in %v, want %v ± 10%%", tt.attempt, got, tt.want)
		}
	}
}

// TestInboxStoresBeforeWorkersRun receives with an inbox whose workers
// never started, stops it, and opens the file again with workers: the
// stored delivery is handled then.
func TestInboxStoresBeforeWorkersRun(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "inbox.db")
	tl := newTally()
	cfg := inbox.Config{Verifier: newVerifier(t), Handle: tl.handle(nil), Logger: testLogger(t)}
	receiver, err := sqlite.Open(ctx, path, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := post(t, receiver, delivery("stored-1")); got != 200 {
		t.Fatalf("POST = %d", got)
	}
	if err := receiver.Stop(ctx); err != nil {
		t.Fatalf("Stop of an inbox that never started: %v", err)
	}
	if len(tl.attempts) != 0 {
		t.Fatal("handled without workers")
	}
	worker, err := sqlite.Open(ctx, path, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := worker.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer worker.Stop(ctx)
	tl.waitHandled(t, []string{"stored-1"}, 10*time.Second)
}
