package webhooks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
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

// receiver is the user's endpoint: an events.Handler with the secret the
// user chose, that fails while down is set.
type receiver struct {
	srv     *httptest.Server
	down    atomic.Bool
	mu      sync.Mutex
	handled []string
}

func newReceiver(t *testing.T, secret string) *receiver {
	t.Helper()
	v, err := events.NewVerifier(events.VerifierConfig{Secrets: []string{secret}})
	if err != nil {
		t.Fatal(err)
	}
	rc := &receiver{}
	h := &events.Handler{
		Verifier: v,
		OnError:  func(*http.Request, error) {},
		Handle: func(_ context.Context, ev events.Event) error {
			if rc.down.Load() {
				return errors.New("down")
			}
			rc.mu.Lock()
			defer rc.mu.Unlock()
			rc.handled = append(rc.handled, string(ev.Meta().Type))
			return nil
		},
	}
	rc.srv = httptest.NewServer(h)
	t.Cleanup(rc.srv.Close)
	return rc
}

func newClient(d *eventstest.Daily) *webhooks.Client {
	c := webhooks.NewClient(d.APIKey)
	c.BaseURL = d.URL
	return c
}

// TestFullCircle creates a webhook with the user's own secret, has the
// fake Daily send events, makes the endpoint fail three times so that the
// circuit breaker sets the webhook to FAILED, and watches KeepActive bring
// it back so that events flow again.
func TestFullCircle(t *testing.T) {
	d := eventstest.NewDaily(eventstest.DailyConfig{})
	defer d.Close()
	secret, err := events.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	rc := newReceiver(t, secret)
	c := newClient(d)
	ctx := context.Background()

	w, err := c.Create(ctx, webhooks.Params{URL: rc.srv.URL, HMAC: secret, EventTypes: []events.Type{events.TypeMeetingStarted, events.TypeMeetingEnded}})
	if err != nil {
		t.Fatal(err)
	}
	if w.State != webhooks.StateActive || w.HMAC != secret || w.RetryType != webhooks.RetryCircuitBreaker || w.CreatedAt.IsZero() || len(w.EventTypes) != 2 {
		t.Fatalf("created %+v", w)
	}
	if err := d.SendType(ctx, events.TypeMeetingStarted); err != nil {
		t.Fatalf("first delivery: %v", err)
	}

	rc.down.Store(true)
	for range 3 {
		d.SendType(ctx, events.TypeMeetingEnded)
	}
	got, err := c.Get(ctx, w.UUID)
	if err != nil || got.State != webhooks.StateFailed || got.FailedCount != 3 {
		t.Fatalf("after three failures: %+v, %v; want FAILED", got, err)
	}
	if err := d.SendType(ctx, events.TypeMeetingEnded); !errors.Is(err, eventstest.ErrWebhookFailed) {
		t.Fatalf("send to a FAILED webhook: %v", err)
	}
	rc.down.Store(false)

	checks := make(chan webhooks.Check, 10)
	kctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- c.KeepActive(kctx, "", 10*time.Millisecond, func(ch webhooks.Check) { checks <- ch }) }()
	select {
	case ch := <-checks:
		if !ch.Reactivated || ch.Err != nil || ch.Webhook.State != webhooks.StateActive {
			t.Fatalf("KeepActive reported %+v, want a re-activation", ch)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("KeepActive did not re-activate the webhook")
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("KeepActive returned %v, want context.Canceled", err)
	}
	if err := d.SendType(ctx, events.TypeMeetingEnded); err != nil {
		t.Fatalf("delivery after re-activation: %v", err)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if fmt.Sprint(rc.handled) != "[meeting.started meeting.ended]" {
		t.Errorf("the endpoint handled %v, want meeting.started then meeting.ended", rc.handled)
	}
}

func TestClientCalls(t *testing.T) {
	d := eventstest.NewDaily(eventstest.DailyConfig{})
	defer d.Close()
	rc := newReceiver(t, "c2VjcmV0")
	c := newClient(d)
	ctx := context.Background()

	if ws, err := c.List(ctx); err != nil || len(ws) != 0 {
		t.Fatalf("List of none = %v, %v", ws, err)
	}
	w, err := c.Create(ctx, webhooks.Params{URL: rc.srv.URL, HMAC: "c2VjcmV0", RetryType: webhooks.RetryExponential, BasicAuth: "dXNlcjpwYXNz"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Create(ctx, webhooks.Params{URL: rc.srv.URL}); !isAPIError(err, 400, "invalid-request-error") {
		t.Errorf("second Create = %v, want a 400 invalid-request-error", err)
	}
	ws, err := c.List(ctx)
	if err != nil || len(ws) != 1 || ws[0].UUID != w.UUID || ws[0].BasicAuth != "dXNlcjpwYXNz" {
		t.Errorf("List = %+v, %v", ws, err)
	}
	up, err := c.Update(ctx, w.UUID, webhooks.Params{EventTypes: []events.Type{events.TypeRecordingReadyToDownload}})
	if err != nil || up.RetryType != webhooks.RetryExponential || len(up.EventTypes) != 1 || up.EventTypes[0] != events.TypeRecordingReadyToDownload {
		t.Errorf("Update = %+v, %v; want the event types changed and the rest kept", up, err)
	}
	if re, err := c.Reactivate(ctx, w.UUID); err != nil || re.State != webhooks.StateActive {
		t.Errorf("Reactivate = %+v, %v", re, err)
	}
	if err := c.Delete(ctx, w.UUID); err != nil {
		t.Errorf("Delete = %v", err)
	}
	if _, err := c.Get(ctx, w.UUID); !isAPIError(err, 404, "") {
		t.Errorf("Get after Delete = %v, want a 404 *APIError", err)
	}
	// A URL whose endpoint does not answer the verification request.
	if _, err := c.Create(ctx, webhooks.Params{URL: "http://127.0.0.1:1/nothing"}); !isAPIError(err, 400, "invalid-request-error") {
		t.Errorf("Create with a dead URL = %v, want a 400", err)
	}
	kctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var reports []webhooks.Check
	err = c.KeepActive(kctx, "", time.Millisecond, func(ch webhooks.Check) {
		reports = append(reports, ch)
		cancel()
	})
	if !errors.Is(err, context.Canceled) || len(reports) != 1 || !errors.Is(reports[0].Err, webhooks.ErrNoWebhook) {
		t.Errorf("KeepActive without a webhook = %v, reported %+v; want ErrNoWebhook reported", err, reports)
	}
}

func isAPIError(err error, status int, code string) bool {
	var ae *webhooks.APIError
	return errors.As(err, &ae) && ae.StatusCode == status && (code == "" || ae.Code == code)
}

func TestAPIErrorsNeverShowTheKey(t *testing.T) {
	d := eventstest.NewDaily(eventstest.DailyConfig{})
	defer d.Close()
	const key = "sk-very-secret-api-key"
	c := webhooks.NewClient(key)
	c.BaseURL = d.URL
	_, err := c.List(context.Background())
	if !isAPIError(err, 401, "authentication-error") {
		t.Fatalf("List with a wrong key = %v, want a 401 authentication-error", err)
	}
	for _, out := range []string{err.Error(), fmt.Sprintf("%+v %#v", err, err), fmt.Sprintf("%v %+v %#v", c, c, c)} {
		if strings.Contains(out, key) {
			t.Errorf("%q shows the API key", out)
		}
	}
	w := webhooks.Webhook{UUID: "u", HMAC: "c2VjcmV0LWhtYWM=", BasicAuth: "YmFzaWM="}
	p := webhooks.Params{HMAC: w.HMAC, BasicAuth: w.BasicAuth}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("params", "params", p, "webhook", w)
	if !strings.Contains(logged.String(), `"hmac":"[redacted]"`) {
		t.Errorf("the log %s does not say that the hmac is set", logged.String())
	}
	for _, out := range []string{fmt.Sprintf("%v %+v %#v", w, w, w), fmt.Sprintf("%v %+v %#v", p, p, p), logged.String()} {
		if strings.Contains(out, w.HMAC) || strings.Contains(out, w.BasicAuth) {
			t.Errorf("%q shows a secret", out)
		}
	}
}

func TestRateLimit(t *testing.T) {
	d := eventstest.NewDaily(eventstest.DailyConfig{})
	defer d.Close()
	c := newClient(d)
	ctx := context.Background()

	d.RateLimit(2, time.Second)
	start := time.Now()
	if _, err := c.List(ctx); err != nil {
		t.Fatalf("List after two 429s = %v", err)
	}
	if waited := time.Since(start); waited < 2*time.Second {
		t.Errorf("waited %v, want the two Retry-After seconds", waited)
	}

	c.MaxRetryWait = 500 * time.Millisecond
	d.RateLimit(1, time.Second)
	if _, err := c.List(ctx); !isAPIError(err, 429, "rate-limit-error") {
		t.Errorf("List with a Retry-After over MaxRetryWait = %v, want the 429", err)
	}
}

func TestGetAcceptsAnArray(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `[{"uuid":"u1","url":"https://x.example/hook","hmac":"c2VjcmV0","basicAuth":null,"retryType":"exponential","eventTypes":["participant.joined","brand.new"],"state":"INACTIVE","failedCount":2,"lastMomentPushed":"2023-05-05T15:21:32.000Z","domainId":"d1","createdAt":"2023-05-04T10:00:00Z","updatedAt":"2023-05-05 15:21:32"}]`)
	}))
	defer srv.Close()
	c := webhooks.NewClient("k")
	c.BaseURL = srv.URL
	w, err := c.Get(context.Background(), "u1")
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2023, 5, 5, 15, 21, 32, 0, time.UTC)
	if w.UUID != "u1" || w.State != webhooks.StateInactive || w.FailedCount != 2 || !w.LastMomentPushed.Equal(want) || !w.UpdatedAt.Equal(want) || w.EventTypes[1] != "brand.new" || w.BasicAuth != "" {
		t.Errorf("Get = %+v", *w)
	}
	// It marshals back to Daily's field names.
	out, _ := json.Marshal(w)
	for _, field := range []string{`"uuid"`, `"retryType"`, `"eventTypes"`, `"failedCount"`, `"lastMomentPushed"`, `"domainId"`, `"createdAt"`, `"updatedAt"`} {
		if !strings.Contains(string(out), field) {
			t.Errorf("json.Marshal lacks %s: %s", field, out)
		}
	}
}
