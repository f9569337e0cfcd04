package events_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dailywebhooks/events"
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
	sample, _ := events.Sample(events.TypeParticipantJoined)
	signed := func(body []byte, edit ...func(*http.Request)) func(t *testing.T) *http.Request {
		return func(t *testing.T) *http.Request {
			r, err := events.Signer{Secret: kaSecret}.NewRequest("/hook", body)
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
			r, _ := events.Signer{Secret: kaSecret, Milliseconds: true}.NewRequest("/hook", sample)
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
			r, _ := events.Signer{Secret: otherSecret}.NewRequest("/hook", sample)
			return r
		}, wantStatus: 401, wantErr: events.ErrInvalidSignature},
		{name: "missing headers", req: unsigned(http.MethodPost, sample), wantStatus: 401, wantErr: events.ErrMissingSignature},
		{name: "hour-old timestamp", req: func(t *testing.T) *http.Request {
			r, _ := events.Signer{Secret: kaSecret, Time: time.Now().Add(-time.Hour)}.NewRequest("/hook", sample)
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
	sample, _ := events.Sample(events.TypeMeetingStarted)
	send := func() int {
		r, _ := events.Signer{Secret: kaSecret}.NewRequest("/hook", sample)
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
		r, _ := events.Signer{Secret: kaSecret}.NewRequest("/hook", sample)
		h2.ServeHTTP(httptest.NewRecorder(), r)
	}
	if len(rec2.events) != 2 {
		t.Errorf("Handle called %d times for a retried failure, want 2", len(rec2.events))
	}
}

func TestMemoryDedupExpiry(t *testing.T) {
	now := time.Unix(1000, 0)
	d := &events.MemoryDedup{TTL: time.Minute, Now: func() time.Time { return now }}
	tests := []struct {
		name    string
		advance time.Duration
		id      string
		want    bool
	}{
		{"new", 0, "a", true},
		{"seen", 30 * time.Second, "a", false},
		{"other id", 0, "b", true},
		{"expired", 31 * time.Second, "a", true},
		{"b expired too", time.Minute, "b", true},
	}
	for _, tt := range tests {
		now = now.Add(tt.advance)
		if got := d.Claim(tt.id); got != tt.want {
			t.Errorf("%s: Claim(%q) = %v, want %v", tt.name, tt.id, got, tt.want)
		}
	}
	d.Release("b")
	if !d.Claim("b") {
		t.Error("Claim after Release = false, want true")
	}
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
		raw, _ := events.Sample(typ)
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
