package events_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dailywebhooks/events"
)

// secondPinless is a second configuration's secret.
const secondPinless = "c2Vjb25kIHBpbmxlc3MgY29uZmlndXJhdGlvbiBrZXk="

// pinlessRequest returns a POST of body to a room_creation_api, signed
// with secret at ts (no headers when secret is ""), declaring its length.
func pinlessRequest(t testing.TB, secret, ts, body string) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/dialin", strings.NewReader(body))
	if secret != "" {
		sig, err := events.Sign(secret, ts, []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set(events.HeaderPinlessTimestamp, ts)
		r.Header.Set(events.HeaderPinlessSignature, sig)
	}
	return r
}

func now() string      { return strconv.FormatInt(time.Now().Unix(), 10) }
func nowMilli() string { return strconv.FormatInt(time.Now().UnixMilli(), 10) }
func hourAgo() string  { return strconv.FormatInt(time.Now().Add(-time.Hour).Unix(), 10) }
func call(id string) string {
	return `{"To":"+12555599999","From":"+14158483432","callId":"` + id + `","callDomain":"04b89420-cf8b-4ea5-a428-02c40b0e2a59"}`
}

// pinlessRecorder records what a PinlessHandler hands over and reports.
type pinlessRecorder struct {
	mu    sync.Mutex
	calls []string
	errs  []error
	fail  error
	panic bool
}

func (rec *pinlessRecorder) handler(t *testing.T) *events.PinlessHandler {
	t.Helper()
	p, err := events.NewPinlessHandler([]string{pinlessSecret, secondPinless}, func(_ context.Context, c *events.PinlessCall) error {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		rec.calls = append(rec.calls, c.CallID)
		if rec.panic {
			panic("boom")
		}
		return rec.fail
	})
	if err != nil {
		t.Fatal(err)
	}
	p.OnError = func(_ *http.Request, err error) {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		rec.errs = append(rec.errs, err)
	}
	return p
}

func TestPinlessHandlerStatuses(t *testing.T) {
	tests := []struct {
		name      string
		r         func(t *testing.T) *http.Request
		fail      error
		panic     bool
		want      int
		wantCalls int
		wantErr   error
	}{
		{"a call", func(t *testing.T) *http.Request { return pinlessRequest(t, pinlessSecret, now(), call("c-1")) }, nil, false, 200, 1, nil},
		{"signed with the second secret", func(t *testing.T) *http.Request { return pinlessRequest(t, secondPinless, now(), call("c-2")) }, nil, false, 200, 1, nil},
		{"timestamp in milliseconds", func(t *testing.T) *http.Request { return pinlessRequest(t, pinlessSecret, nowMilli(), call("c-3")) }, nil, false, 200, 1, nil},
		{"the test request, Test", func(t *testing.T) *http.Request { return pinlessRequest(t, pinlessSecret, now(), `{"Test":"test"}`) }, nil, false, 200, 0, nil},
		{"the test request, test", func(t *testing.T) *http.Request { return pinlessRequest(t, pinlessSecret, now(), `{"test":"test"}`) }, nil, false, 200, 0, nil},
		{"the test request, no callId", func(t *testing.T) *http.Request {
			return pinlessRequest(t, pinlessSecret, now(), `{"To":"+14152251493"}`)
		}, nil, false, 200, 0, nil},
		{"the test request, unsigned", func(t *testing.T) *http.Request { return pinlessRequest(t, "", "", `{"test":"test"}`) }, nil, false, 401, 0, events.ErrMissingSignature},
		{"a wrong signature", func(t *testing.T) *http.Request {
			r := pinlessRequest(t, pinlessSecret, now(), call("c-4"))
			r.Header.Set(events.HeaderPinlessSignature, "VG10QNZsOVDF8qVr4TZWXe6IbTN+GujibnYXsC8TDFc=")
			return r
		}, nil, false, 401, 0, events.ErrInvalidSignature},
		{"no headers", func(t *testing.T) *http.Request { return pinlessRequest(t, "", "", call("c-5")) }, nil, false, 401, 0, events.ErrMissingSignature},
		{"the /webhooks headers", func(t *testing.T) *http.Request {
			r := pinlessRequest(t, pinlessSecret, now(), call("c-6"))
			r.Header[events.HeaderSignature] = r.Header[events.HeaderPinlessSignature]
			r.Header[events.HeaderTimestamp] = r.Header[events.HeaderPinlessTimestamp]
			r.Header.Del(events.HeaderPinlessSignature)
			r.Header.Del(events.HeaderPinlessTimestamp)
			return r
		}, nil, false, 401, 0, events.ErrMissingSignature},
		{"an hour old", func(t *testing.T) *http.Request { return pinlessRequest(t, pinlessSecret, hourAgo(), call("c-7")) }, nil, false, 401, 0, events.ErrStaleTimestamp},
		{"signed, not JSON", func(t *testing.T) *http.Request { return pinlessRequest(t, pinlessSecret, now(), `{"To":`) }, nil, false, 400, 0, events.ErrInvalidJSON},
		{"signed, not an object", func(t *testing.T) *http.Request { return pinlessRequest(t, pinlessSecret, now(), `["x"]`) }, nil, false, 400, 0, events.ErrNotObject},
		{"over the limit, unsigned", func(t *testing.T) *http.Request {
			return pinlessRequest(t, "", "", `{"x":"`+strings.Repeat("a", events.DefaultMaxBodyBytes)+`"}`)
		}, nil, false, 413, 0, events.ErrBodyTooLarge},
		{"GET", func(t *testing.T) *http.Request { return httptest.NewRequest(http.MethodGet, "/dialin", nil) }, nil, false, 405, 0, nil},
		{"Handle fails", func(t *testing.T) *http.Request { return pinlessRequest(t, pinlessSecret, now(), call("c-8")) }, errors.New("no room"), false, 500, 1, nil},
		{"Handle panics", func(t *testing.T) *http.Request { return pinlessRequest(t, pinlessSecret, now(), call("c-9")) }, nil, true, 500, 1, events.ErrHandlerPanic},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &pinlessRecorder{fail: tt.fail, panic: tt.panic}
			p := rec.handler(t)
			tests := 0
			p.OnTestRequest = func(*http.Request) { tests++ }
			w := httptest.NewRecorder()
			p.ServeHTTP(w, tt.r(t))
			if isTest := strings.HasPrefix(tt.name, "the test request") && tt.want == 200; (tests == 1) != isTest {
				t.Errorf("OnTestRequest told %d times", tests)
			}
			if w.Code != tt.want || len(rec.calls) != tt.wantCalls {
				t.Errorf("status %d, %d calls handled; want %d and %d (errors %v)", w.Code, len(rec.calls), tt.want, tt.wantCalls, rec.errs)
			}
			if tt.wantErr != nil && (len(rec.errs) == 0 || !errors.Is(rec.errs[0], tt.wantErr)) {
				t.Errorf("reported %v, want %v", rec.errs, tt.wantErr)
			}
			for _, err := range rec.errs {
				for _, secret := range []string{pinlessSecret, secondPinless, "+14158483432"} {
					if strings.Contains(err.Error(), secret) {
						t.Errorf("the error %q shows %q", err, secret)
					}
				}
			}
		})
	}
}

// TestPinlessHandlerOnce sends one call again, signed anew, and the same
// request again: Handle sees it once. A call that failed is handled again.
func TestPinlessHandlerOnce(t *testing.T) {
	rec := &pinlessRecorder{}
	p := rec.handler(t)
	first := pinlessRequest(t, pinlessSecret, now(), call("once"))
	replay := first.Clone(context.Background())
	replay.Body = httptest.NewRequest(http.MethodPost, "/", strings.NewReader(call("once"))).Body
	for i, r := range []*http.Request{first, pinlessRequest(t, pinlessSecret, nowMilli(), call("once")), replay} {
		w := httptest.NewRecorder()
		p.ServeHTTP(w, r)
		if w.Code != 200 {
			t.Errorf("request %d: status %d", i, w.Code)
		}
	}
	if len(rec.calls) != 1 || len(rec.errs) != 2 || !errors.Is(rec.errs[0], events.ErrDuplicate) || !errors.Is(rec.errs[1], events.ErrReplay) {
		t.Errorf("%d calls handled, reported %v; want 1, a duplicate and a replay", len(rec.calls), rec.errs)
	}
	rec.fail = errors.New("no room yet")
	p.ServeHTTP(httptest.NewRecorder(), pinlessRequest(t, pinlessSecret, now(), call("retried")))
	rec.fail = nil
	w := httptest.NewRecorder()
	p.ServeHTTP(w, pinlessRequest(t, pinlessSecret, nowMilli(), call("retried")))
	if w.Code != 200 || len(rec.calls) != 3 {
		t.Errorf("a failed call retried: status %d, %d calls handled; want 200 and the retry handled", w.Code, len(rec.calls))
	}
}

// TestPinlessHandlerInProgress sends a call again while the first request
// still handles it: the second waits, and is answered 200 without calling
// Handle once the first succeeded.
func TestPinlessHandlerInProgress(t *testing.T) {
	var n atomic.Int32
	release, entered := make(chan struct{}), make(chan struct{}, 2)
	p, err := events.NewPinlessHandler([]string{pinlessSecret}, func(context.Context, *events.PinlessCall) error {
		n.Add(1)
		entered <- struct{}{}
		<-release
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	p.OnError = func(*http.Request, error) {}
	codes := make(chan int, 2)
	send := func() {
		w := httptest.NewRecorder()
		p.ServeHTTP(w, pinlessRequest(t, pinlessSecret, nowMilli(), call("busy")))
		codes <- w.Code
	}
	go send()
	<-entered // the first handles the call
	go send() // the second waits for it, or, if it comes after, finds it done
	close(release)
	if a, b := <-codes, <-codes; a != 200 || b != 200 || n.Load() != 1 {
		t.Errorf("statuses %d and %d, %d calls handled; want 200, 200 and 1", a, b, n.Load())
	}
}

func TestPinlessHandlerMisconfigured(t *testing.T) {
	if _, err := events.NewPinlessHandler([]string{pinlessSecret}, nil); !errors.Is(err, events.ErrMisconfigured) {
		t.Errorf("NewPinlessHandler without Handle = %v", err)
	}
	if _, err := events.NewPinlessHandler(nil, func(context.Context, *events.PinlessCall) error { return nil }); !errors.Is(err, events.ErrInvalidSecret) {
		t.Errorf("NewPinlessHandler without a secret = %v", err)
	}
	v, _ := events.NewVerifier(events.VerifierConfig{Secrets: []string{pinlessSecret}}) // the /webhooks headers
	var reported error
	p := &events.PinlessHandler{Verifier: v, Handle: func(context.Context, *events.PinlessCall) error { return nil }, OnError: func(_ *http.Request, err error) { reported = err }}
	w := httptest.NewRecorder()
	p.ServeHTTP(w, pinlessRequest(t, pinlessSecret, now(), call("m")))
	if w.Code != 500 || !errors.Is(reported, events.ErrMisconfigured) {
		t.Errorf("a PinlessHandler with a /webhooks Verifier: %d, %v; want 500 and ErrMisconfigured", w.Code, reported)
	}
}

// FuzzPinlessHandler serves any body, signed or not, without panicking:
// the status is one of the table's, and a call reaches Handle only when
// the request was signed and the body parses as one.
func FuzzPinlessHandler(f *testing.F) {
	for _, s := range []string{pinlessBody, `{"Test":"test"}`, `{"To":"+1"}`, `null`, `{"callId":7}`, ``} {
		f.Add([]byte(s), true)
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, body []byte, signed bool) {
		if len(body) > 1<<16 {
			return
		}
		var handled *events.PinlessCall
		p, err := events.NewPinlessHandler([]string{pinlessSecret}, func(_ context.Context, c *events.PinlessCall) error {
			handled = c
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		p.OnError = func(*http.Request, error) {}
		secret := ""
		if signed {
			secret = pinlessSecret
		}
		w := httptest.NewRecorder()
		p.ServeHTTP(w, pinlessRequest(t, secret, now(), string(body)))
		switch w.Code {
		case 200, 400, 401, 413:
		default:
			t.Fatalf("status %d", w.Code)
		}
		if handled != nil {
			if !signed || w.Code != 200 {
				t.Fatalf("a call reached Handle: signed %v, status %d", signed, w.Code)
			}
			if string(handled.Raw()) != string(body) || handled.CallID == "" {
				t.Fatalf("Handle got %+v for %q", handled, body)
			}
		}
	})
}
