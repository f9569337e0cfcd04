package pipecat_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/eventstest"
	"github.com/dailywebhooks/events/pipecat"
)

// recorder counts what a Handler hands to its function, and fails or
// panics on demand.
type recorder struct {
	mu    sync.Mutex
	calls map[string]int // by message id
	tests int
	fail  string // "error" or "panic" for the next call
}

func (rec *recorder) handle(ctx context.Context, ev pipecat.Event) error {
	h, _ := pipecat.HeadersFrom(ctx)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.calls[h.ID]++
	if pipecat.IsTest(ctx) {
		rec.tests++
	}
	switch f := rec.fail; {
	case f == "error":
		rec.fail = ""
		return errors.New("the app is down")
	case f == "panic":
		rec.fail = ""
		panic("the app panicked")
	}
	return nil
}

func (rec *recorder) count(id string) int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.calls[id]
}

// TestHandlerStatuses drives a Handler through every status, with both
// header families, a delivery signed twice of which one signature is
// valid, stale timestamps both ways, a repeated id with a new timestamp
// and signature, failures and panics that a retry gets past, and test
// deliveries.
func TestHandlerStatuses(t *testing.T) {
	secret := eventstest.NewPipecatSecret()
	now := time.Now()
	v, err := pipecat.NewVerifier(pipecat.VerifierConfig{Secrets: []string{secret}, MaxBodyBytes: 4096})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{calls: map[string]int{}}
	h, err := pipecat.NewHandler(v, rec.handle)
	if err != nil {
		t.Fatal(err)
	}
	h.OnError = func(*http.Request, error) {}
	sample, _ := eventstest.PipecatSample(pipecat.TypeBuildSucceeded)
	send := func(s eventstest.PipecatSigner, body string, edit func(*http.Request)) int {
		t.Helper()
		r, err := s.NewRequest("/pipecat", []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		if edit != nil {
			edit(r)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	signer := func(id string) eventstest.PipecatSigner { return eventstest.PipecatSigner{Secret: secret, ID: id} }
	other := eventstest.PipecatSigner{Secret: eventstest.NewPipecatSecret(), ID: "msg_forged"}
	tests := []struct {
		name  string
		s     eventstest.PipecatSigner
		body  string
		edit  func(*http.Request)
		want  int
		calls map[string]int // expected calls by id after the request
	}{
		{"webhook- headers", signer("msg_1"), string(sample), nil, 200, map[string]int{"msg_1": 1}},
		{"the same message again, new timestamp and signature", eventstest.PipecatSigner{Secret: secret, ID: "msg_1", Time: now.Add(time.Minute)}, string(sample), nil, 200, map[string]int{"msg_1": 1}},
		{"svix- headers", eventstest.PipecatSigner{Secret: secret, ID: "msg_2", Svix: true}, string(sample), nil, 200, map[string]int{"msg_2": 1}},
		{"a wrong secret", other, string(sample), nil, 401, map[string]int{"msg_forged": 0}},
		{"two signatures, one valid", signer("msg_3"), string(sample), func(r *http.Request) {
			_, _, forged, _ := eventstest.PipecatSigner{Secret: eventstest.NewPipecatSecret(), ID: "msg_3", Time: now}.Sign([]byte(sample))
			r.Header.Set(pipecat.HeaderSignature, forged+" "+r.Header.Get(pipecat.HeaderSignature))
		}, 200, map[string]int{"msg_3": 1}},
		{"stale: 6 minutes old", eventstest.PipecatSigner{Secret: secret, ID: "msg_4", Time: now.Add(-6 * time.Minute)}, string(sample), nil, 401, map[string]int{"msg_4": 0}},
		{"stale: 6 minutes ahead", eventstest.PipecatSigner{Secret: secret, ID: "msg_5", Time: now.Add(6 * time.Minute)}, string(sample), nil, 401, map[string]int{"msg_5": 0}},
		{"no signature", signer("msg_6"), string(sample), func(r *http.Request) { r.Header.Del(pipecat.HeaderSignature) }, 401, map[string]int{"msg_6": 0}},
		{"mixed families", signer("msg_7"), string(sample), func(r *http.Request) {
			r.Header.Set(pipecat.HeaderSvixSignature, r.Header.Get(pipecat.HeaderSignature))
			r.Header.Del(pipecat.HeaderSignature)
		}, 401, map[string]int{"msg_7": 0}},
		{"an empty body", signer("msg_8"), "", nil, 400, map[string]int{"msg_8": 0}},
		{"null", signer("msg_9"), "null", nil, 400, map[string]int{"msg_9": 0}},
		{"data not an object", signer("msg_10"), `{"event_type":"build.started","org":"o","data":[]}`, nil, 400, map[string]int{"msg_10": 0}},
		{"a field of the wrong type", signer("msg_11"), `{"event_type":"build.started","org":"o","data":{"build_id":1}}`, nil, 400, map[string]int{"msg_11": 0}},
		{"too large", signer("msg_12"), `{"event_type":"build.started","org":"o","data":{"x":"` + strings.Repeat("x", 5000) + `"}}`, nil, 413, map[string]int{"msg_12": 0}},
		{"GET", signer("msg_13"), string(sample), func(r *http.Request) { r.Method = "GET" }, 405, map[string]int{"msg_13": 0}},
		{"a test delivery", eventstest.PipecatSigner{Secret: secret, ID: "msg_test", Test: true}, string(sample), nil, 200, map[string]int{"msg_test": 0}},
		{"a test delivery, forged", eventstest.PipecatSigner{Secret: eventstest.NewPipecatSecret(), ID: "msg_test2", Test: true}, string(sample), nil, 401, map[string]int{"msg_test2": 0}},
		{"an unknown type", signer("msg_14"), `{"event_type":"brand.new","org":"o","data":{}}`, nil, 200, map[string]int{"msg_14": 1}},
	}
	for _, tt := range tests {
		if got := send(tt.s, tt.body, tt.edit); got != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, got, tt.want)
		}
		for id, n := range tt.calls {
			if got := rec.count(id); got != n {
				t.Errorf("%s: %d calls for %s, want %d", tt.name, got, id, n)
			}
		}
	}
	// A failure and a panic: 500, and the retry, same id, calls again.
	for _, failure := range []string{"error", "panic"} {
		id := "msg_" + failure
		rec.mu.Lock()
		rec.fail = failure
		rec.mu.Unlock()
		if got := send(signer(id), string(sample), nil); got != 500 {
			t.Errorf("a %s: status %d, want 500", failure, got)
		}
		if got := send(eventstest.PipecatSigner{Secret: secret, ID: id, Time: now.Add(2 * time.Second)}, string(sample), nil); got != 200 || rec.count(id) != 2 {
			t.Errorf("the retry after a %s: status %d, %d calls; want 200 and 2", failure, got, rec.count(id))
		}
	}
	// An unknown type is acknowledged even when the function fails.
	rec.mu.Lock()
	rec.fail = "error"
	rec.mu.Unlock()
	if got := send(signer("msg_new"), `{"event_type":"brand.new","org":"o","data":{}}`, nil); got != 200 {
		t.Errorf("an unknown type that fails: status %d, want 200", got)
	}
	// Tests reach the function only when asked.
	h.HandleTests = true
	if got := send(eventstest.PipecatSigner{Secret: secret, ID: "msg_test3", Test: true}, string(sample), nil); got != 200 || rec.tests != 1 {
		t.Errorf("a test delivery with HandleTests: status %d, %d tests seen; want 200 and 1", got, rec.tests)
	}
}

// TestHandlerBodyBudget: a body over the Verifier's limit is 413 before
// the budget is consulted; one over the budget is 503 with Retry-After.
func TestHandlerBodyBudget(t *testing.T) {
	secret := eventstest.NewPipecatSecret()
	budget := events.NewBodyBudget(256 << 10)
	v, _ := pipecat.NewVerifier(pipecat.VerifierConfig{Secrets: []string{secret}, MaxBodyBytes: 8 << 20, BodyBudget: budget})
	h, _ := pipecat.NewHandler(v, func(context.Context, pipecat.Event) error { return nil })
	h.OnError = func(*http.Request, error) {}
	big := `{"event_type":"build.started","org":"o","data":{"x":"` + strings.Repeat("x", 300<<10) + `"}}`
	r, _ := eventstest.PipecatSigner{Secret: secret}.NewRequest("/pipecat", []byte(big))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 503 || w.Header().Get("Retry-After") == "" {
		t.Errorf("a body over the budget: %d, Retry-After %q; want 503 with it", w.Code, w.Header().Get("Retry-After"))
	}
	huge := httptest.NewRequest("POST", "/pipecat", strings.NewReader("{}"))
	huge.ContentLength = 9 << 20
	w = httptest.NewRecorder()
	h.ServeHTTP(w, huge)
	if w.Code != 413 {
		t.Errorf("a body declared over 8 MiB: %d, want 413", w.Code)
	}
}

// TestNewHandler refuses a missing Verifier or function.
func TestNewHandler(t *testing.T) {
	v, _ := pipecat.NewVerifier(pipecat.VerifierConfig{Secrets: []string{specSecret}})
	if _, err := pipecat.NewHandler(nil, func(context.Context, pipecat.Event) error { return nil }); !errors.Is(err, events.ErrMisconfigured) {
		t.Errorf("no Verifier: %v", err)
	}
	if _, err := pipecat.NewHandler(v, nil); !errors.Is(err, events.ErrMisconfigured) {
		t.Errorf("no function: %v", err)
	}
}
