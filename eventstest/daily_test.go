package eventstest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/eventstest"
	"github.com/dailywebhooks/events/webhooks"
)

// endpoint is a receiver for the fake's deliveries: it verifies them with
// the webhook's secret and answers as fail says.
type endpoint struct {
	srv      *httptest.Server
	secret   atomic.Value // string
	fail     atomic.Int64 // answer 500 to this many more deliveries
	delay    atomic.Int64 // nanoseconds to wait before answering
	pings    atomic.Int64
	received atomic.Int64
}

func newEndpoint(t *testing.T) *endpoint {
	t.Helper()
	e := &endpoint{}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(time.Duration(e.delay.Load()))
		body, _ := io.ReadAll(r.Body)
		if events.IsVerificationRequest(body) {
			e.pings.Add(1)
		}
		if s, _ := e.secret.Load().(string); s != "" {
			v, err := events.NewVerifier(events.VerifierConfig{Secrets: []string{s}})
			if err != nil {
				t.Error(err)
				return
			}
			if _, err := v.Verify(body, r.Header.Get(events.HeaderSignature), r.Header.Get(events.HeaderTimestamp)); err != nil {
				t.Errorf("delivery does not verify with the webhook's hmac: %v", err)
			}
		}
		if e.fail.Add(-1) >= 0 {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		if !events.IsVerificationRequest(body) {
			e.received.Add(1)
		}
	}))
	t.Cleanup(e.srv.Close)
	return e
}

// call makes a REST call to the fake and decodes the answer into out.
func call(t *testing.T, d *eventstest.Daily, method, path, key string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, d.URL+path, rd)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

// instant is a Sleep that records the waits and returns at once.
type instant struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *instant) sleep(_ context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waits = append(s.waits, d)
	return nil
}

func TestDailyREST(t *testing.T) {
	ep := newEndpoint(t)
	d := eventstest.NewDaily(eventstest.DailyConfig{APIKey: "k"})
	defer d.Close()

	var apiErr struct{ Error, Info string }
	if got := call(t, d, "GET", "/webhooks", "", nil, &apiErr); got != 400 || apiErr.Error != "authorization-header-error" {
		t.Errorf("no key: %d %+v, want 400 authorization-header-error", got, apiErr)
	}
	if got := call(t, d, "GET", "/webhooks", "wrong", nil, &apiErr); got != 401 || apiErr.Error != "authentication-error" {
		t.Errorf("wrong key: %d %+v, want 401 authentication-error", got, apiErr)
	}

	var hook map[string]any
	if got := call(t, d, "POST", "/webhooks", "k", map[string]any{"url": ep.srv.URL, "eventTypes": []string{"meeting.started"}}, &hook); got != 200 {
		t.Fatalf("create: %d %v", got, hook)
	}
	for _, field := range []string{"uuid", "url", "hmac", "retryType", "eventTypes", "state", "failedCount", "lastMomentPushed", "domainId", "createdAt", "updatedAt"} {
		if _, ok := hook[field]; !ok {
			t.Errorf("webhook object lacks %q: %v", field, hook)
		}
	}
	if hook["state"] != "ACTIVE" || hook["retryType"] != "circuit-breaker" || hook["hmac"] == "" || ep.pings.Load() != 1 {
		t.Errorf("created %v after %d verification requests; want ACTIVE, circuit-breaker, a generated hmac, one request", hook, ep.pings.Load())
	}
	uuid := hook["uuid"].(string)
	if got := call(t, d, "POST", "/webhooks", "k", map[string]any{"url": ep.srv.URL}, &apiErr); got != 400 {
		t.Errorf("second webhook: %d, want 400: a domain has one", got)
	}
	var list []map[string]any
	if got := call(t, d, "GET", "/webhooks", "k", nil, &list); got != 200 || len(list) != 1 || list[0]["uuid"] != uuid {
		t.Errorf("list: %d %v", got, list)
	}
	if got := call(t, d, "GET", "/webhooks/"+uuid, "k", nil, &hook); got != 200 || hook["uuid"] != uuid {
		t.Errorf("get: %d %v", got, hook)
	}
	if got := call(t, d, "GET", "/webhooks/nope", "k", nil, nil); got != 404 {
		t.Errorf("get of an unknown uuid: %d, want 404", got)
	}
	if got := call(t, d, "POST", "/webhooks/"+uuid, "k", map[string]any{"retryType": "exponential", "hmac": "c2VjcmV0"}, &hook); got != 200 || hook["retryType"] != "exponential" || hook["hmac"] != "c2VjcmV0" || ep.pings.Load() != 2 {
		t.Errorf("update: %d %v after %d verification requests", got, hook, ep.pings.Load())
	}
	for _, bad := range []map[string]any{{"retryType": "sometimes"}, {"hmac": "not base64!"}, {"url": "ftp://x"}} {
		if got := call(t, d, "POST", "/webhooks/"+uuid, "k", bad, &apiErr); got != 400 {
			t.Errorf("update with %v: %d, want 400", bad, got)
		}
	}
	if got := call(t, d, "DELETE", "/webhooks/"+uuid, "k", nil, nil); got != 200 {
		t.Errorf("delete: %d", got)
	}
	if _, ok := d.Webhook(); ok {
		t.Error("the webhook is still there after delete")
	}

	d.RateLimit(1, 2*time.Second)
	req, _ := http.NewRequest("GET", d.URL+"/webhooks", nil)
	req.Header.Set("Authorization", "Bearer k")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "2" {
		t.Errorf("rate limited: %d Retry-After %q, want 429 and 2", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}

func TestDailyVerificationRequest(t *testing.T) {
	tests := []struct {
		name  string
		fail  int64
		delay time.Duration
		want  int
	}{
		{name: "answered", want: 200},
		{name: "refused", fail: 1, want: 400},
		{name: "too slow", delay: 200 * time.Millisecond, want: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep := newEndpoint(t)
			ep.fail.Store(tt.fail)
			ep.delay.Store(int64(tt.delay))
			d := eventstest.NewDaily(eventstest.DailyConfig{VerifyTimeout: 50 * time.Millisecond})
			defer d.Close()
			got := call(t, d, "POST", "/webhooks", d.APIKey, map[string]any{"url": ep.srv.URL, "hmac": "c2VjcmV0"}, nil)
			_, created := d.Webhook()
			if got != tt.want || created != (tt.want == 200) {
				t.Errorf("create: %d, created %t; want %d", got, created, tt.want)
			}
		})
	}
}

// create makes the fake's webhook point at ep, and has ep verify with its
// secret.
func create(t *testing.T, d *eventstest.Daily, ep *endpoint, retryType string, eventTypes ...string) string {
	t.Helper()
	var hook struct{ UUID, HMAC string }
	body := map[string]any{"url": ep.srv.URL, "retryType": retryType}
	if eventTypes != nil {
		body["eventTypes"] = eventTypes
	}
	if got := call(t, d, "POST", "/webhooks", d.APIKey, body, &hook); got != 200 {
		t.Fatalf("create: %d", got)
	}
	ep.secret.Store(hook.HMAC)
	return hook.UUID
}

func TestDailyCircuitBreaker(t *testing.T) {
	ep := newEndpoint(t)
	d := eventstest.NewDaily(eventstest.DailyConfig{})
	defer d.Close()
	uuid := create(t, d, ep, "circuit-breaker")
	ctx := context.Background()

	if err := d.SendType(ctx, events.TypeMeetingStarted); err != nil {
		t.Fatalf("first delivery: %v", err)
	}
	ep.fail.Store(3)
	for i := range 3 {
		if err := d.SendType(ctx, events.TypeMeetingEnded); !errors.Is(err, eventstest.ErrDeliveryFailed) {
			t.Fatalf("failing delivery %d: %v, want ErrDeliveryFailed", i, err)
		}
		h, _ := d.Webhook()
		wantState := webhooks.StateActive
		if i == 2 {
			wantState = webhooks.StateFailed
		}
		if h.FailedCount != i+1 || h.State != wantState {
			t.Errorf("after %d failures: failedCount %d, state %s; want %d, %s", i+1, h.FailedCount, h.State, i+1, wantState)
		}
	}
	before := len(d.Attempts())
	if err := d.SendType(ctx, events.TypeMeetingEnded); !errors.Is(err, eventstest.ErrWebhookFailed) || len(d.Attempts()) != before {
		t.Errorf("send to a FAILED webhook: %v, %d new tries; want ErrWebhookFailed and none", err, len(d.Attempts())-before)
	}
	// Re-activation: an update with the same URL.
	var hook struct{ State string }
	if got := call(t, d, "POST", "/webhooks/"+uuid, d.APIKey, map[string]any{"url": ep.srv.URL}, &hook); got != 200 || hook.State != "ACTIVE" {
		t.Fatalf("re-activate: %d %+v", got, hook)
	}
	if err := d.SendType(ctx, events.TypeMeetingEnded); err != nil {
		t.Errorf("delivery after re-activation: %v", err)
	}
	if h, _ := d.Webhook(); h.FailedCount != 0 || h.LastMomentPushed == nil {
		t.Errorf("after a success: %+v, want failedCount 0 and lastMomentPushed set", h)
	}
	tries := 0
	for _, a := range d.Attempts() {
		if a.Try != 1 {
			t.Errorf("circuit-breaker try %d, want one try per delivery", a.Try)
		}
		tries++
	}
	if tries != 5 || ep.received.Load() != 2 {
		t.Errorf("%d tries, %d received; want 5 and 2", tries, ep.received.Load())
	}
}

func TestDailyExponential(t *testing.T) {
	tests := []struct {
		name      string
		fail      int64
		backoff   time.Duration
		wantErr   error
		wantTries int
		wantWaits string
	}{
		{name: "third try succeeds", fail: 2, wantTries: 3, wantWaits: "[1m0s 2m0s]"},
		{name: "every try fails", fail: 10, wantErr: eventstest.ErrDeliveryFailed, wantTries: 5, wantWaits: "[1m0s 2m0s 4m0s 8m0s]"},
		{name: "waits capped at 15 minutes", fail: 10, backoff: 10 * time.Minute, wantErr: eventstest.ErrDeliveryFailed, wantTries: 5, wantWaits: "[10m0s 15m0s 15m0s 15m0s]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep := newEndpoint(t)
			clock := &instant{}
			d := eventstest.NewDaily(eventstest.DailyConfig{Sleep: clock.sleep, Backoff: tt.backoff})
			defer d.Close()
			create(t, d, ep, "exponential")
			ep.fail.Store(tt.fail)
			err := d.SendType(context.Background(), events.TypeRecordingStarted)
			if !errors.Is(err, tt.wantErr) || (err != nil) != (tt.wantErr != nil) {
				t.Fatalf("Send = %v, want %v", err, tt.wantErr)
			}
			if got := len(d.Attempts()); got != tt.wantTries {
				t.Errorf("%d tries, want %d", got, tt.wantTries)
			}
			if got := fmt.Sprint(clock.waits); got != tt.wantWaits {
				t.Errorf("waits %s, want %s", got, tt.wantWaits)
			}
			if h, _ := d.Webhook(); h.State != "ACTIVE" {
				t.Errorf("state %s, want ACTIVE: exponential never trips the breaker", h.State)
			}
		})
	}
}

func TestDailyAnswerTimeoutAndFilter(t *testing.T) {
	ep := newEndpoint(t)
	d := eventstest.NewDaily(eventstest.DailyConfig{AnswerTimeout: 30 * time.Millisecond})
	defer d.Close()
	create(t, d, ep, "circuit-breaker", "participant.joined")
	ctx := context.Background()
	if err := d.SendType(ctx, events.TypeMeetingStarted); !errors.Is(err, eventstest.ErrNotSubscribed) {
		t.Errorf("unsubscribed type: %v, want ErrNotSubscribed", err)
	}
	ep.delay.Store(int64(100 * time.Millisecond))
	if err := d.SendType(ctx, events.TypeParticipantJoined); !errors.Is(err, eventstest.ErrDeliveryFailed) {
		t.Errorf("slow answer: %v, want ErrDeliveryFailed", err)
	}
	a := d.Attempts()
	if len(a) != 1 || !a[0].Failed || a[0].Type != events.TypeParticipantJoined || !strings.HasPrefix(a[0].ID, "participant.joined-") {
		t.Errorf("attempts %+v, want one failed participant.joined", a)
	}
}

func TestWebhookFormatHidesSecrets(t *testing.T) {
	h := eventstest.Webhook{UUID: "u", HMAC: "c2VjcmV0LWhtYWM=", BasicAuth: "YmFzaWMtc2VjcmV0"}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		if out := fmt.Sprintf(verb, h); strings.Contains(out, h.HMAC) || strings.Contains(out, h.BasicAuth) {
			t.Errorf("%s formats as %q, which shows a secret", verb, out)
		}
	}
	s := eventstest.Signer{Secret: "c2VjcmV0LWhtYWM=", BasicAuth: "YmFzaWMtc2VjcmV0"}
	if out := fmt.Sprintf("%+v %#v", s, s); strings.Contains(out, s.Secret) || strings.Contains(out, s.BasicAuth) {
		t.Errorf("Signer formats as %q, which shows a secret", out)
	}
}

func TestNewDelivery(t *testing.T) {
	now := time.Unix(1_800_000_000, 250e6)
	a, err := eventstest.NewDelivery(events.TypeParticipantJoined, now)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := eventstest.NewDelivery(events.TypeParticipantJoined, now)
	ea, err := events.Parse(a)
	if err != nil {
		t.Fatal(err)
	}
	eb, _ := events.Parse(b)
	if ea.Meta().ID == eb.Meta().ID || !strings.HasPrefix(ea.Meta().ID, "participant.joined-") {
		t.Errorf("IDs %q and %q, want two new ones", ea.Meta().ID, eb.Meta().ID)
	}
	if got := ea.Meta().EventTS.Time(); !got.Equal(now) {
		t.Errorf("event_ts %v, want %v", got, now)
	}
	if _, err := eventstest.NewDelivery("brand.new", now); err == nil {
		t.Error("NewDelivery of an unknown type succeeded")
	}
}
