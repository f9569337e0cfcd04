package events_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/eventstest"
)

// recorder collects what a Handler hands to Handle and OnError.
type recorder struct {
	mu     sync.Mutex
	events []events.Event
	errs   []error
	fail   error // returned by Handle
}

func (rec *recorder) handle(_ context.Context, ev events.Event) error {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.events = append(rec.events, ev)
	return rec.fail
}

func (rec *recorder) onError(_ *http.Request, err error) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.errs = append(rec.errs, err)
}

func newTestHandler(t *testing.T, rec *recorder, edit func(*events.Handler)) *events.Handler {
	t.Helper()
	v, err := events.NewVerifier(events.VerifierConfig{Secrets: []string{kaSecret}, MaxBodyBytes: 4096})
	if err != nil {
		t.Fatal(err)
	}
	h := &events.Handler{Verifier: v, Handle: rec.handle, OnError: rec.onError}
	if edit != nil {
		edit(h)
	}
	return h
}

func TestHandlerStatuses(t *testing.T) {
	sample, _ := eventstest.Sample(events.TypeParticipantJoined)
	signed := func(body []byte, edit ...func(*http.Request)) func(t *testing.T) *http.Request {
		return func(t *testing.T) *http.Request {
			r, err := eventstest.Signer{Secret: kaSecret}.NewRequest("/hook", body)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range edit {
				e(r)
			}
			return r
		}
	}
	unsigned := func(method string, body []byte) func(t *testing.T) *http.Request {
		return func(t *testing.T) *http.Request {
			return httptest.NewRequest(method, "/hook", bytes.NewReader(body))
		}
	}
	tests := []struct {
		name       string
		req        func(t *testing.T) *http.Request
		edit       func(*events.Handler)
		fail       error
		wantStatus int
		wantEvents int
		wantErr    error // reported to OnError; nil means nothing reported
	}{
		{name: "valid delivery", req: signed(sample), wantStatus: 200, wantEvents: 1},
		{name: "milliseconds timestamp", req: func(t *testing.T) *http.Request {
			r, _ := eventstest.Signer{Secret: kaSecret, Milliseconds: true}.NewRequest("/hook", sample)
			return r
		}, wantStatus: 200, wantEvents: 1},
		{name: "unknown type is handed over", req: signed([]byte(`{"version":"1.0.0","type":"brand.new","id":"n1","payload":{}}`)), wantStatus: 200, wantEvents: 1},
		{name: "unknown type acknowledged when Handle fails", req: signed([]byte(`{"version":"1.0.0","type":"brand.new","id":"n1","payload":{}}`)), fail: errors.New("boom"), wantStatus: 200, wantEvents: 1, wantErr: errAny},
		{name: "unsupported version acknowledged", req: signed([]byte(`{"version":"2.0.0","type":"participant.joined","id":"p2","payload":{}}`)), wantStatus: 200, wantErr: events.ErrUnsupportedVersion},
		{name: "undecodable acknowledged", req: signed([]byte(`{"version":"1.0.0","type":"participant.joined","payload":{"joined_at":"noon"}}`)), wantStatus: 200, wantErr: events.ErrInvalidField},
		{name: "not JSON acknowledged", req: signed([]byte(`not json`)), wantStatus: 200, wantErr: events.ErrInvalidJSON},
		{name: "signed verification request", req: signed([]byte(`{"test":"test"}`)), wantStatus: 200},
		{name: "unsigned verification request", req: unsigned(http.MethodPost, []byte(`{"test":"test"}`)), wantStatus: 200},
		{name: "unsigned verification request, strict", req: unsigned(http.MethodPost, []byte(`{"test":"test"}`)), edit: func(h *events.Handler) { h.StrictVerificationRequest = true }, wantStatus: 401, wantErr: events.ErrMissingSignature},
		{name: "signed verification request, strict", req: signed([]byte(`{"test":"test"}`)), edit: func(h *events.Handler) { h.StrictVerificationRequest = true }, wantStatus: 200},
		{name: "body changed after signing", req: signed(sample, func(r *http.Request) {
			r.Body = io.NopCloser(bytes.NewReader(bytes.Replace(sample, []byte("testuser"), []byte("intruder"), 1)))
		}), wantStatus: 401, wantErr: events.ErrInvalidSignature},
		{name: "other secret", req: func(t *testing.T) *http.Request {
			r, _ := eventstest.Signer{Secret: otherSecret}.NewRequest("/hook", sample)
			return r
		}, wantStatus: 401, wantErr: events.ErrInvalidSignature},
		{name: "missing headers", req: unsigned(http.MethodPost, sample), wantStatus: 401, wantErr: events.ErrMissingSignature},
		{name: "hour-old timestamp", req: func(t *testing.T) *http.Request {
			r, _ := eventstest.Signer{Secret: kaSecret, Time: time.Now().Add(-time.Hour)}.NewRequest("/hook", sample)
			return r
		}, wantStatus: 401, wantErr: events.ErrStaleTimestamp},
		{name: "garbage signature", req: signed(sample, func(r *http.Request) { r.Header.Set(events.HeaderSignature, "garbage") }), wantStatus: 401, wantErr: events.ErrInvalidSignature},
		{name: "too large", req: signed(bytes.Repeat([]byte("x"), 8<<10)), wantStatus: 413, wantErr: events.ErrBodyTooLarge},
		{name: "GET", req: unsigned(http.MethodGet, nil), wantStatus: 405, wantErr: errAny},
		{name: "Handle fails", req: signed(sample), fail: errors.New("database down"), wantStatus: 500, wantEvents: 1, wantErr: errAny},
		{name: "Handle fails, acknowledged", req: signed(sample), fail: errors.New("database down"), edit: func(h *events.Handler) { h.HandleErrorStatus = http.StatusOK }, wantStatus: 200, wantEvents: 1, wantErr: errAny},
		{name: "no verifier", req: signed(sample), edit: func(h *events.Handler) { h.Verifier = nil }, wantStatus: 500, wantErr: events.ErrMisconfigured},
		{name: "no Handle", req: signed(sample), edit: func(h *events.Handler) { h.Handle = nil }, wantStatus: 500, wantErr: events.ErrMisconfigured},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{fail: tt.fail}
			h := newTestHandler(t, rec, tt.edit)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, tt.req(t))
			if w.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d (errors reported: %v)", w.Code, tt.wantStatus, rec.errs)
			}
			if len(rec.events) != tt.wantEvents {
				t.Errorf("Handle called %d times, want %d", len(rec.events), tt.wantEvents)
			}
			switch {
			case tt.wantErr == nil && len(rec.errs) > 0:
				t.Errorf("OnError got %v, want nothing", rec.errs)
			case tt.wantErr != nil && len(rec.errs) != 1:
				t.Errorf("OnError got %v, want one error", rec.errs)
			case tt.wantErr != nil && tt.wantErr != errAny && !errors.Is(rec.errs[0], tt.wantErr):
				t.Errorf("OnError got %v, want %v", rec.errs[0], tt.wantErr)
			}
			if body := w.Body.String(); strings.Contains(body, kaSecret) || strings.Contains(body, "events:") {
				t.Errorf("response body %q exposes details", body)
			}
		})
	}
}

// errAny in a test table means that some error must be reported.
var errAny = errors.New("any error")

func TestHandlerDedup(t *testing.T) {
	rec := &recorder{}
	dedup := &events.MemoryDedup{TTL: time.Minute}
	h := newTestHandler(t, rec, func(h *events.Handler) { h.Dedup = dedup })
	sample, _ := eventstest.Sample(events.TypeMeetingStarted)
	send := func() int {
		r, _ := eventstest.Signer{Secret: kaSecret}.NewRequest("/hook", sample)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	if got := send(); got != 200 {
		t.Fatalf("first delivery status = %d", got)
	}
	if got := send(); got != 200 {
		t.Fatalf("duplicate delivery status = %d", got)
	}
	if len(rec.events) != 1 {
		t.Errorf("Handle called %d times for a duplicate, want 1", len(rec.events))
	}

	// A failed delivery is released, so Daily's retry is handled.
	rec2 := &recorder{fail: errors.New("down")}
	h2 := newTestHandler(t, rec2, func(h *events.Handler) { h.Dedup = &events.MemoryDedup{} })
	for range 2 {
		r, _ := eventstest.Signer{Secret: kaSecret}.NewRequest("/hook", sample)
		h2.ServeHTTP(httptest.NewRecorder(), r)
	}
	if len(rec2.events) != 2 {
		t.Errorf("Handle called %d times for a retried failure, want 2", len(rec2.events))
	}
}

// mapDedup is a DedupStore that is a struct value holding a map, which Go
// cannot compare: a Handler must never compare it with ==.
type mapDedup struct {
	mu     *sync.Mutex
	states map[string]events.ClaimState
}

func (d mapDedup) Claim(_ context.Context, key string) (events.ClaimState, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if st, ok := d.states[key]; ok {
		return st, nil
	}
	d.states[key] = events.ClaimInProgress
	return events.ClaimAcquired, nil
}

func (d mapDedup) Done(_ context.Context, key string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.states[key] = events.ClaimHandled
	return nil
}

func (d mapDedup) Release(_ context.Context, key string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.states, key)
	return nil
}

// TestHandlerValueDedupStore runs a Handler whose Dedup is an
// uncomparable value: a repeated event and a replayed request are each
// answered 200, reported as what they are, and handled once.
func TestHandlerValueDedupStore(t *testing.T) {
	rec := &recorder{}
	store := mapDedup{mu: &sync.Mutex{}, states: map[string]events.ClaimState{}}
	h := newTestHandler(t, rec, func(h *events.Handler) { h.Dedup = store })
	sample, _ := eventstest.Sample(events.TypeMeetingStarted)
	first := signedRequest(t, sample, time.Now())
	replayed := first.Clone(context.Background())
	replayed.Body = io.NopCloser(bytes.NewReader(sample))
	tests := []struct {
		name    string
		r       *http.Request
		wantErr error
	}{
		{"first delivery", first, nil},
		{"the same event signed anew", signedRequest(t, sample, time.Now().Add(time.Second)), events.ErrDuplicate},
		{"the first request replayed", replayed, events.ErrReplay},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec.errs = nil
			w := httptest.NewRecorder()
			h.ServeHTTP(w, tt.r)
			if w.Code != 200 {
				t.Errorf("status = %d, want 200", w.Code)
			}
			if tt.wantErr == nil {
				if len(rec.errs) != 0 {
					t.Errorf("reported %v, want nothing", rec.errs)
				}
				return
			}
			if len(rec.errs) != 1 || !errors.Is(rec.errs[0], tt.wantErr) {
				t.Errorf("reported %v, want %v", rec.errs, tt.wantErr)
			}
		})
	}
	if len(rec.events) != 1 {
		t.Errorf("Handle called %d times, want 1", len(rec.events))
	}
	if st := store.states[eventID(t, sample)]; st != events.ClaimHandled {
		t.Errorf("the event's claim is %v, want handled", st)
	}
}

// eventID returns the event ID of a delivery.
func eventID(t *testing.T, body []byte) string {
	t.Helper()
	ev, err := events.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	return ev.Meta().ID
}

func TestMux(t *testing.T) {
	var joined, left, fallback []string
	var m events.Mux
	events.On(&m, func(_ context.Context, e *events.ParticipantJoined) error {
		joined = append(joined, e.Payload.UserName)
		return nil
	})
	events.On(&m, func(_ context.Context, e *events.ParticipantLeft) error {
		left = append(left, e.Payload.UserName)
		return errors.New("left failed")
	})
	for _, typ := range []events.Type{events.TypeParticipantJoined, events.TypeParticipantLeft, events.TypeMeetingStarted} {
		raw, _ := eventstest.Sample(typ)
		ev, err := events.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		err = m.Handle(context.Background(), ev)
		if (err != nil) != (typ == events.TypeParticipantLeft) {
			t.Errorf("Handle(%s) error = %v", typ, err)
		}
	}
	if len(joined) != 1 || len(left) != 1 {
		t.Errorf("joined %v, left %v; want one each", joined, left)
	}
	m.Fallback = func(_ context.Context, ev events.Event) error {
		fallback = append(fallback, string(ev.Meta().Type))
		return nil
	}
	ev, _ := events.Parse([]byte(`{"type":"brand.new","payload":{}}`))
	if err := m.Handle(context.Background(), ev); err != nil || len(fallback) != 1 {
		t.Errorf("Fallback: err %v, calls %v", err, fallback)
	}
}

// discard is a Handle function that keeps nothing, for benchmarks.
func (rec *recorder) discard(context.Context, events.Event) error { return nil }

// signedRequest returns sample signed at time at, as Daily sends it.
func signedRequest(t testing.TB, body []byte, at time.Time) *http.Request {
	t.Helper()
	r, err := eventstest.Signer{Secret: kaSecret, Time: at}.NewRequest("/hook", body)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestHandlerPanic(t *testing.T) {
	sample, _ := eventstest.Sample(events.TypeMeetingStarted)
	errValue := errors.New("nil map")
	tests := []struct {
		name  string
		value any
		is    error // besides ErrHandlerPanic
	}{
		{name: "string", value: "boom"},
		{name: "error", value: errValue, is: errValue},
	}
	for _, tt := range tests {
		for _, dedup := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/dedup=%t", tt.name, dedup), func(t *testing.T) {
				calls := 0
				rec := &recorder{}
				h := newTestHandler(t, rec, func(h *events.Handler) {
					if dedup {
						h.Dedup = &events.MemoryDedup{}
					}
					h.Handle = func(context.Context, events.Event) error {
						calls++
						if calls == 1 {
							panic(tt.value)
						}
						return nil
					}
				})
				at := time.Now()
				w := httptest.NewRecorder()
				h.ServeHTTP(w, signedRequest(t, sample, at))
				if w.Code != 500 {
					t.Errorf("status after a panic = %d, want 500", w.Code)
				}
				var pe *events.PanicError
				if len(rec.errs) != 1 || !errors.As(rec.errs[0], &pe) || !errors.Is(rec.errs[0], events.ErrHandlerPanic) {
					t.Fatalf("OnError got %v, want a *PanicError wrapping ErrHandlerPanic", rec.errs)
				}
				if tt.is != nil && !errors.Is(rec.errs[0], tt.is) {
					t.Errorf("OnError got %v, want it to wrap the panic value %v", rec.errs[0], tt.is)
				}
				if pe.Value != tt.value || !strings.Contains(string(pe.Stack), "TestHandlerPanic") {
					t.Errorf("PanicError value %v, stack:\n%s\nwant %v and a stack through the test", pe.Value, pe.Stack, tt.value)
				}
				// The retry, the same signed request, is handled: the
				// panic released every claim.
				w = httptest.NewRecorder()
				h.ServeHTTP(w, signedRequest(t, sample, at))
				if w.Code != 200 || calls != 2 {
					t.Errorf("retry after a panic: status %d, Handle called %d times; want 200 and 2", w.Code, calls)
				}
			})
		}
	}
}

func TestHandlerAbortPanic(t *testing.T) {
	sample, _ := eventstest.Sample(events.TypeMeetingStarted)
	calls := 0
	h := newTestHandler(t, &recorder{}, func(h *events.Handler) {
		h.Handle = func(context.Context, events.Event) error {
			calls++
			if calls == 1 {
				panic(http.ErrAbortHandler)
			}
			return nil
		}
	})
	at := time.Now()
	func() {
		defer func() {
			if p := recover(); p != http.ErrAbortHandler {
				t.Errorf("recovered %v, want http.ErrAbortHandler passed on", p)
			}
		}()
		h.ServeHTTP(httptest.NewRecorder(), signedRequest(t, sample, at))
	}()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, signedRequest(t, sample, at))
	if w.Code != 200 || calls != 2 {
		t.Errorf("retry after an aborted attempt: status %d, %d calls; want 200 and 2", w.Code, calls)
	}
}

// TestHandlerInProgress sends a delivery while another attempt at the same
// event is running, in both orders of outcome, for a repeat of the same
// signed request and, with Dedup, for the same event ID signed anew.
func TestHandlerInProgress(t *testing.T) {
	sample, _ := eventstest.Sample(events.TypeMeetingStarted)
	tests := []struct {
		name        string
		firstFails  bool
		wait        time.Duration // InProgressWait
		release     bool          // let the first attempt end while the second waits
		wantStatus  int           // of the second delivery
		wantCalls   int           // Handle calls in all
		wantSuccess int           // of which succeeded
		wantErr     error         // reported for the second delivery
	}{
		{name: "first succeeds", release: true, wait: 10 * time.Second, wantStatus: 200, wantCalls: 1, wantSuccess: 1, wantErr: errAny},
		{name: "first fails, second takes over", firstFails: true, release: true, wait: 10 * time.Second, wantStatus: 200, wantCalls: 2, wantSuccess: 1},
		{name: "first outlasts the wait", wait: 20 * time.Millisecond, wantStatus: 409, wantCalls: 1, wantSuccess: 1, wantErr: events.ErrInProgress},
	}
	for _, tt := range tests {
		for _, same := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/same request=%t", tt.name, same), func(t *testing.T) {
				var (
					mu               sync.Mutex
					calls, successes int
					errs             []error
				)
				started := make(chan struct{})
				unblock := make(chan struct{})
				waiting, once := make(chan struct{}), sync.Once{}
				defer events.SetClaimWaitsHook(func() { once.Do(func() { close(waiting) }) })()
				h := newTestHandler(t, &recorder{}, func(h *events.Handler) {
					h.InProgressWait = tt.wait
					if !same {
						h.Dedup = &events.MemoryDedup{}
					}
					h.OnError = func(_ *http.Request, err error) {
						mu.Lock()
						defer mu.Unlock()
						errs = append(errs, err)
					}
					h.Handle = func(context.Context, events.Event) error {
						mu.Lock()
						calls++
						n := calls
						mu.Unlock()
						if n == 1 {
							close(started)
							<-unblock
							if tt.firstFails {
								return errors.New("first attempt failed")
							}
						}
						mu.Lock()
						successes++
						mu.Unlock()
						return nil
					}
				})
				at := time.Now()
				first := make(chan int)
				go func() {
					w := httptest.NewRecorder()
					h.ServeHTTP(w, signedRequest(t, sample, at))
					first <- w.Code
				}()
				<-started
				second := make(chan int)
				go func() {
					at2 := at
					if !same {
						at2 = at.Add(-time.Second) // a new signature, the same event ID
					}
					w := httptest.NewRecorder()
					h.ServeHTTP(w, signedRequest(t, sample, at2))
					second <- w.Code
				}()
				var secondStatus int
				if tt.release {
					<-waiting // the second is waiting
					close(unblock)
					secondStatus = <-second
				} else {
					secondStatus = <-second
					close(unblock)
				}
				firstStatus := <-first
				wantFirst := 200
				if tt.firstFails {
					wantFirst = 500
				}
				mu.Lock()
				defer mu.Unlock()
				if firstStatus != wantFirst || secondStatus != tt.wantStatus {
					t.Errorf("statuses %d, %d; want %d, %d (errors %v)", firstStatus, secondStatus, wantFirst, tt.wantStatus, errs)
				}
				if calls != tt.wantCalls || successes != tt.wantSuccess {
					t.Errorf("Handle called %d times, %d succeeded; want %d, %d", calls, successes, tt.wantCalls, tt.wantSuccess)
				}
				if tt.wantErr == events.ErrInProgress && (len(errs) != 1 || !errors.Is(errs[0], events.ErrInProgress)) {
					t.Errorf("reported %v, want ErrInProgress", errs)
				}
				// Whatever happened, the event is now handled: a
				// further delivery is answered 200 without Handle.
				calls0 := calls
				mu.Unlock()
				w := httptest.NewRecorder()
				h.ServeHTTP(w, signedRequest(t, sample, at))
				mu.Lock()
				if w.Code != 200 || calls != calls0 {
					t.Errorf("delivery after the event was handled: status %d, %d more calls", w.Code, calls-calls0)
				}
			})
		}
	}
}

func TestHandlerReplays(t *testing.T) {
	sample, _ := eventstest.Sample(events.TypeMeetingStarted)
	at := time.Now()
	tests := []struct {
		name       string
		edit       func(*events.Handler)
		sends      []time.Time // signing times of the same body, in order
		fail       bool        // Handle fails every time
		wantCalls  int
		wantReplay int // ErrReplay reports
	}{
		{name: "replay refused", sends: []time.Time{at, at, at}, wantCalls: 1, wantReplay: 2},
		{name: "replays allowed", edit: func(h *events.Handler) { h.AllowReplays = true }, sends: []time.Time{at, at}, wantCalls: 2},
		{name: "re-signed delivery is another delivery", sends: []time.Time{at, at.Add(-time.Second)}, wantCalls: 2},
		{name: "repeat of a failure is a retry", sends: []time.Time{at, at}, fail: true, wantCalls: 2},
		{name: "capacity forgets the oldest", edit: func(h *events.Handler) { h.ReplayCapacity = 1 }, sends: []time.Time{at, at.Add(-time.Second), at}, wantCalls: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			if tt.fail {
				rec.fail = errors.New("down")
			}
			h := newTestHandler(t, rec, tt.edit)
			for _, ts := range tt.sends {
				h.ServeHTTP(httptest.NewRecorder(), signedRequest(t, sample, ts))
			}
			replays := 0
			for _, err := range rec.errs {
				if errors.Is(err, events.ErrReplay) {
					replays++
				}
			}
			if len(rec.events) != tt.wantCalls || replays != tt.wantReplay {
				t.Errorf("Handle called %d times, %d replays reported (%v); want %d, %d", len(rec.events), replays, rec.errs, tt.wantCalls, tt.wantReplay)
			}
		})
	}
}

func TestHandlerReplayWindow(t *testing.T) {
	// A replay is refused for as long as its timestamp is accepted: the
	// tolerance after the signed time.
	sample, _ := eventstest.Sample(events.TypeMeetingStarted)
	clock := time.Unix(1_800_000_000, 0)
	v, err := events.NewVerifier(events.VerifierConfig{Secrets: []string{kaSecret}, Tolerance: time.Minute, Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	h := &events.Handler{Verifier: v, Handle: rec.handle, OnError: rec.onError}
	signedAt := clock.Add(50 * time.Second) // a sender clock ahead of ours
	for _, step := range []time.Duration{0, 60 * time.Second, 49 * time.Second} {
		clock = clock.Add(step)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, signedRequest(t, sample, signedAt))
		if w.Code != 200 {
			t.Fatalf("at +%v: status %d", step, w.Code)
		}
	}
	if len(rec.events) != 1 {
		t.Errorf("Handle called %d times within the window, want 1", len(rec.events))
	}
}

func TestHandlerConfig(t *testing.T) {
	sample, _ := eventstest.Sample(events.TypeMeetingStarted)
	tests := []struct {
		status   int
		wantMisc bool
	}{
		{0, false}, {200, false}, {400, false}, {429, false}, {503, false}, {599, false},
		{42, true}, {1000, true}, {302, true}, {204, true}, {600, true}, {-1, true},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.status), func(t *testing.T) {
			rec := &recorder{}
			h := newTestHandler(t, rec, func(h *events.Handler) { h.HandleErrorStatus = tt.status })
			w := httptest.NewRecorder()
			h.ServeHTTP(w, signedRequest(t, sample, time.Now()))
			misc := len(rec.errs) == 1 && errors.Is(rec.errs[0], events.ErrMisconfigured)
			if misc != tt.wantMisc || (misc && w.Code != 500) || (!misc && w.Code != 200) {
				t.Errorf("HandleErrorStatus %d: status %d, errors %v; want misconfigured %t", tt.status, w.Code, rec.errs, tt.wantMisc)
			}
		})
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func TestHandlerReadsNoMoreThanNeeded(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 1<<20)
	tests := []struct {
		name       string
		declared   bool // Content-Length set
		signed     bool
		strict     bool
		wantStatus int
		wantErr    error
		maxRead    int64
	}{
		{name: "declared too large", declared: true, signed: true, wantStatus: 413, wantErr: events.ErrBodyTooLarge, maxRead: 0},
		{name: "chunked too large", signed: true, wantStatus: 413, wantErr: events.ErrBodyTooLarge, maxRead: 4096 + 1},
		{name: "unsigned, declared too large", declared: true, wantStatus: 413, wantErr: events.ErrBodyTooLarge, maxRead: 0},
		{name: "unsigned, chunked", wantStatus: 401, wantErr: events.ErrMissingSignature, maxRead: 257},
		{name: "unsigned, strict", strict: true, wantStatus: 401, wantErr: events.ErrMissingSignature, maxRead: 257},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			h := newTestHandler(t, rec, func(h *events.Handler) { h.StrictVerificationRequest = tt.strict })
			body := &countingReader{r: bytes.NewReader(big)}
			r := signedRequest(t, big, time.Now())
			if !tt.signed {
				r.Header.Del(events.HeaderSignature)
			}
			r.Body = io.NopCloser(body)
			r.ContentLength = -1
			if tt.declared {
				r.ContentLength = int64(len(big))
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.wantStatus || len(rec.errs) != 1 || !errors.Is(rec.errs[0], tt.wantErr) {
				t.Errorf("status %d, errors %v; want %d, %v", w.Code, rec.errs, tt.wantStatus, tt.wantErr)
			}
			if body.n > tt.maxRead {
				t.Errorf("read %d bytes of the body, want at most %d", body.n, tt.maxRead)
			}
			if got := w.Header().Get("Connection"); got != "close" {
				t.Errorf("Connection: %q, want close", got)
			}
		})
	}
}

// errReader fails every read.
type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

func TestHandlerBodyReadError(t *testing.T) {
	sample, _ := eventstest.Sample(events.TypeMeetingStarted)
	rec := &recorder{}
	h := newTestHandler(t, rec, nil)
	r := signedRequest(t, sample, time.Now())
	r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(sample[:10]), errReader{}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 400 || len(rec.errs) != 1 || !errors.Is(rec.errs[0], events.ErrBodyRead) || !errors.Is(rec.errs[0], io.ErrUnexpectedEOF) {
		t.Errorf("status %d, errors %v; want 400 and ErrBodyRead wrapping the read error", w.Code, rec.errs)
	}
}

// TestHandlerDefaultLogging checks that without OnError, what is not
// handled reaches slog.Default with its type and ID, never its body.
func TestHandlerDefaultLogging(t *testing.T) {
	var buf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	defer slog.SetDefault(prev)

	v, err := events.NewVerifier(events.VerifierConfig{Secrets: []string{kaSecret}})
	if err != nil {
		t.Fatal(err)
	}
	h := &events.Handler{Verifier: v, Handle: func(context.Context, events.Event) error { return errors.New("db down") }}
	body := []byte(`{"version":"1.0.0","type":"meeting.started","id":"ev-42","payload":{"room":"secret-room-name","start_ts":1}}`)
	h.ServeHTTP(httptest.NewRecorder(), signedRequest(t, body, time.Now()))
	bad := []byte(`{"version":"1.0.0","type":"meeting.started","id":"ev-43","payload":{"room":"secret-room-name","start_ts":"noon"}}`)
	h.ServeHTTP(httptest.NewRecorder(), signedRequest(t, bad, time.Now()))
	logged := buf.String()
	for _, want := range []string{`"level":"ERROR"`, `"type":"meeting.started"`, `"id":"ev-42"`, "db down", "ErrInvalidField", "start_ts"} {
		if want == "ErrInvalidField" {
			want = "invalid field"
		}
		if !strings.Contains(logged, want) {
			t.Errorf("log lacks %q:\n%s", want, logged)
		}
	}
	if strings.Contains(logged, "secret-room-name") {
		t.Errorf("log shows the body:\n%s", logged)
	}
}

// countingListener counts the bytes its connections read.
type countingListener struct {
	net.Listener
	n atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c, n: &l.n}, nil
}

type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// TestHandlerDeclaredTooLargeOverTCP sends requests that declare huge
// bodies to a real server: the answer must be 413 before any of the body
// is read, and no 100 Continue may invite the upload.
func TestHandlerDeclaredTooLargeOverTCP(t *testing.T) {
	tests := []struct {
		name     string
		length   int64
		expect   bool // Expect: 100-continue
		sendBody bool
	}{
		{name: "10 GiB, Expect 100-continue", length: 10 << 30, expect: true},
		{name: "100 MiB, body sent at once", length: 100 << 20, sendBody: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			h := newTestHandler(t, rec, nil) // MaxBodyBytes 4096
			srv := httptest.NewUnstartedServer(h)
			ln := &countingListener{Listener: srv.Listener}
			srv.Listener = ln
			srv.Start()
			defer srv.Close()

			conn, err := net.Dial("tcp", srv.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(10 * time.Second))
			ts, sig, _ := eventstest.Signer{Secret: kaSecret}.Sign([]byte("{}"))
			head := fmt.Sprintf("POST /hook HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s: %s\r\n%s: %s\r\n",
				tt.length, events.HeaderTimestamp, ts, events.HeaderSignature, sig)
			if tt.expect {
				head += "Expect: 100-continue\r\n"
			}
			head += "\r\n"
			if _, err := io.WriteString(conn, head); err != nil {
				t.Fatal(err)
			}
			var sent atomic.Int64
			if tt.sendBody {
				go func() {
					chunk := bytes.Repeat([]byte("x"), 64<<10)
					for sent.Load() < tt.length {
						n, err := conn.Write(chunk)
						sent.Add(int64(n))
						if err != nil {
							return
						}
					}
				}()
			}
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 413 || !resp.Close {
				t.Errorf("answer %d, close %t; want 413 and Connection: close (a 100 Continue invites the upload)", resp.StatusCode, resp.Close)
			}
			conn.Close()
			srv.Close() // wait for the server to finish with the connection
			// The server reads in 4 KiB buffers: the head and at most one
			// buffer of the body may have been read, and no more.
			if got, limit := ln.n.Load(), int64(len(head)+4096); got > limit {
				t.Errorf("server read %d bytes, want at most %d (head and one buffer); the client sent %d", got, limit, sent.Load())
			}
			if len(rec.errs) != 1 || !errors.Is(rec.errs[0], events.ErrBodyTooLarge) {
				t.Errorf("reported %v, want ErrBodyTooLarge", rec.errs)
			}
		})
	}
}

// TestHandlerFaultRun sends events whose first attempt panics, fails
// slowly or succeeds slowly, from clients that give up after a timeout and
// retry, as Daily's exponential mode does. Every event must be handled
// successfully exactly once, and a replay of every request sent must not
// reach Handle again.
func TestHandlerFaultRun(t *testing.T) {
	if testing.Short() {
		t.Skip("the fault run takes a few seconds")
	}
	tests := []struct {
		name   string
		dedup  bool
		resign bool // each retry is signed anew, with a new timestamp
	}{
		{name: "default settings, retries repeat the request"},
		{name: "dedup, retries repeat the request", dedup: true},
		{name: "dedup, retries signed anew", dedup: true, resign: true},
	}
	const (
		numEvents     = 120
		slow          = 250 * time.Millisecond
		clientTimeout = 100 * time.Millisecond
		retries       = 3
	)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var (
				mu        sync.Mutex
				attempts  = map[string]int{}
				successes = map[string]int{}
			)
			v, err := events.NewVerifier(events.VerifierConfig{Secrets: []string{kaSecret}})
			if err != nil {
				t.Fatal(err)
			}
			h := &events.Handler{
				Verifier: v,
				OnError:  func(*http.Request, error) {},
				Handle: func(_ context.Context, ev events.Event) error {
					id := ev.Meta().ID
					mu.Lock()
					attempts[id]++
					first := attempts[id] == 1
					mu.Unlock()
					var kind int
					fmt.Sscanf(id, "ev-%d", &kind)
					if first {
						switch kind % 4 {
						case 1:
							panic("first attempt panics")
						case 2:
							time.Sleep(slow)
							return errors.New("first attempt fails slowly")
						case 3:
							time.Sleep(slow)
						}
					}
					mu.Lock()
					successes[id]++
					mu.Unlock()
					return nil
				},
			}
			if tt.dedup {
				h.Dedup = &events.MemoryDedup{}
			}
			var serving atomic.Int32 // requests in the handler, abandoned ones included
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				serving.Add(1)
				defer serving.Add(-1)
				h.ServeHTTP(w, r)
			}))
			defer srv.Close()
			client := &http.Client{Timeout: clientTimeout}

			type sent struct {
				body     []byte
				ts, sig  string
				answered int
			}
			var (
				capMu    sync.Mutex
				captured []sent
			)
			send := func(body []byte, at time.Time) int {
				s := eventstest.Signer{Secret: kaSecret, Time: at, Milliseconds: true}
				r, err := s.NewRequest(srv.URL, body)
				if err != nil {
					t.Error(err)
					return 0
				}
				c := sent{body: body, ts: r.Header.Get(events.HeaderTimestamp), sig: r.Header.Get(events.HeaderSignature)}
				resp, err := client.Do(r)
				if err == nil {
					c.answered = resp.StatusCode
					resp.Body.Close()
				}
				capMu.Lock()
				captured = append(captured, c)
				capMu.Unlock()
				return c.answered
			}
			var wg sync.WaitGroup
			sem := make(chan struct{}, 32)
			for i := range numEvents {
				wg.Add(1)
				sem <- struct{}{}
				go func() {
					defer wg.Done()
					defer func() { <-sem }()
					body := fmt.Appendf(nil, `{"version":"1.0.0","type":"meeting.started","id":"ev-%d","event_ts":1,"payload":{"room":"r","start_ts":1}}`, i)
					at := time.Now()
					for try := 0; try <= retries; try++ {
						if tt.resign {
							at = at.Add(time.Millisecond)
						}
						if send(body, at) == 200 {
							return
						}
						time.Sleep(20 * time.Millisecond)
					}
				}()
			}
			wg.Wait()
			// The first attempts whose clients gave up end in their time.
			for deadline := time.Now().Add(10 * time.Second); serving.Load() > 0; time.Sleep(10 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("%d requests still in the handler", serving.Load())
				}
			}

			mu.Lock()
			for i := range numEvents {
				id := fmt.Sprintf("ev-%d", i)
				if successes[id] != 1 {
					t.Errorf("%s (kind %d): handled successfully %d times in %d attempts, want once", id, i%4, successes[id], attempts[id])
				}
			}
			calls := 0
			for _, n := range attempts {
				calls += n
			}
			mu.Unlock()

			// Replay every request that was sent, answered or not.
			replay := &http.Client{Timeout: 5 * time.Second}
			for _, c := range captured {
				r, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(c.body))
				r.Header.Set(events.HeaderTimestamp, c.ts)
				r.Header.Set(events.HeaderSignature, c.sig)
				resp, err := replay.Do(r)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Errorf("replay answered %d, want 200", resp.StatusCode)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			again := 0
			for _, n := range attempts {
				again += n
			}
			if again != calls {
				t.Errorf("replaying %d requests called Handle %d more times, want none", len(captured), again-calls)
			}
			t.Logf("%d events, %d requests, %d Handle calls", numEvents, len(captured), calls)
		})
	}
}

func TestVerificationFrom(t *testing.T) {
	sample, _ := eventstest.Sample(events.TypeMeetingStarted)
	v, err := events.NewVerifier(events.VerifierConfig{Secrets: []string{otherSecret, kaSecret}})
	if err != nil {
		t.Fatal(err)
	}
	var got events.Verification
	var ok bool
	h := &events.Handler{Verifier: v, Handle: func(ctx context.Context, _ events.Event) error {
		got, ok = events.VerificationFrom(ctx)
		return nil
	}}
	at := time.Unix(time.Now().Unix(), 0)
	h.ServeHTTP(httptest.NewRecorder(), signedRequest(t, sample, at))
	if !ok || got.SecretIndex != 1 || !got.Timestamp.Equal(at) {
		t.Errorf("VerificationFrom = %+v, %t; want secret 1 at %v", got, ok, at)
	}
	if _, ok := events.VerificationFrom(context.Background()); ok {
		t.Error("VerificationFrom(context.Background()) reports a verification")
	}
}

func TestOnRefusesInterfaces(t *testing.T) {
	defer func() {
		p := recover()
		if msg, _ := p.(string); !strings.Contains(msg, "Mux.Fallback") {
			t.Errorf("On with an interface type: recovered %v, want a panic that points to Mux.Fallback", p)
		}
	}()
	var m events.Mux
	events.On(&m, func(context.Context, events.Event) error { return nil })
}

func TestNewHandler(t *testing.T) {
	v, err := events.NewVerifier(events.VerifierConfig{Secrets: []string{kaSecret}})
	if err != nil {
		t.Fatal(err)
	}
	handle := func(context.Context, events.Event) error { return nil }
	if _, err := events.NewHandler(nil, handle); !errors.Is(err, events.ErrMisconfigured) {
		t.Errorf("NewHandler without a Verifier = %v, want ErrMisconfigured", err)
	}
	if _, err := events.NewHandler(v, nil); !errors.Is(err, events.ErrMisconfigured) {
		t.Errorf("NewHandler without Handle = %v, want ErrMisconfigured", err)
	}
	h, err := events.NewHandler(v, handle)
	if err != nil {
		t.Fatal(err)
	}
	sample, _ := eventstest.Sample(events.TypeMeetingStarted)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, signedRequest(t, sample, time.Now()))
	if w.Code != 200 {
		t.Errorf("status %d, want 200", w.Code)
	}
}
