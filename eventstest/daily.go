package eventstest

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/internal/redact"
	"github.com/dailywebhooks/events/webhooks"
)

// Errors of [Daily.Send].
var (
	// ErrWebhookFailed means that the webhook is FAILED: the circuit
	// breaker stopped every delivery until the webhook is updated.
	ErrWebhookFailed = errors.New("eventstest: webhook is FAILED; nothing is sent until it is re-activated")
	// ErrNotSubscribed means that the webhook's eventTypes leave out the
	// delivery's type, so Daily would not send it.
	ErrNotSubscribed = errors.New("eventstest: webhook is not subscribed to the event type")
	// ErrDeliveryFailed means that every try of a delivery failed, and
	// Daily dropped it.
	ErrDeliveryFailed = errors.New("eventstest: delivery failed")
)

// DefaultAPIKey is the API key of a fake Daily whose config sets none.
const DefaultAPIKey = "eventstest-api-key"

// DailyConfig configures a fake Daily. Every zero value is a default.
type DailyConfig struct {
	// APIKey is the bearer key the REST API requires. Zero means
	// DefaultAPIKey.
	APIKey string
	// DomainID is the domainId of the webhooks. Zero means "domain-1".
	DomainID string
	// VerifyTimeout is how long the endpoint may take to answer the
	// verification request when a webhook is created or updated. Zero
	// means 5 seconds.
	VerifyTimeout time.Duration
	// AnswerTimeout is how long the endpoint may take to answer a
	// delivery; a slower answer is a failure. Zero means 5 seconds.
	AnswerTimeout time.Duration
	// Backoff is the wait after the first failed try of the exponential
	// retry type; it doubles after each further one, up to MaxBackoff.
	// Zero means a minute.
	Backoff time.Duration
	// MaxBackoff caps the waits of the exponential retry type. Zero means
	// 15 minutes, Daily's figure.
	MaxBackoff time.Duration
	// Sleep waits between the tries of a delivery. Nil means a real wait;
	// tests pass one that returns at once, or waits a scaled time.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock of timestamps and signatures. Nil means time.Now.
	Now func() time.Time
	// Client sends deliveries and verification requests. Nil means a
	// client of its own.
	Client *http.Client
	// Listener, when not nil, is where the fake serves, rather than a
	// local port of its own: "dailyhook dev" serves on the address it is
	// given.
	Listener net.Listener
	// Logger, when not nil, is told of each API call, with its status,
	// and each delivery attempt, with its outcome.
	Logger *slog.Logger
	// SIPReadyAfter is how long after its creation a room's SIP endpoint
	// becomes ready, and dialin.ready goes through the webhook. Zero means
	// DefaultSIPReadyAfter.
	SIPReadyAfter time.Duration
	// PipecatURL, when not empty, is the endpoint of an organization's
	// Pipecat Cloud webhook, to which SendPipecat delivers, signed with
	// PipecatSecret ("whsec_" and base64).
	PipecatURL, PipecatSecret string
}

// A Webhook is the webhook object of a fake Daily, with Daily's JSON
// names. It formats with its secrets redacted.
type Webhook struct {
	UUID      string             `json:"uuid"`                // UUID identifies the webhook.
	URL       string             `json:"url"`                 // URL is where deliveries go.
	HMAC      string             `json:"hmac"`                // HMAC is the signing secret, base64.
	BasicAuth string             `json:"basicAuth,omitempty"` // BasicAuth is sent in "Authorization: Basic", when set.
	RetryType webhooks.RetryType `json:"retryType"`           // RetryType is webhooks.RetryCircuitBreaker or webhooks.RetryExponential.
	// EventTypes are the types delivered; empty means all.
	EventTypes  []events.Type  `json:"eventTypes"`
	State       webhooks.State `json:"state"`       // State is webhooks.StateActive or webhooks.StateFailed.
	FailedCount int            `json:"failedCount"` // FailedCount counts failed tries.
	// LastMomentPushed is when the last delivery succeeded; nil before.
	LastMomentPushed *time.Time `json:"lastMomentPushed"`
	DomainID         string     `json:"domainId"`  // DomainID is DailyConfig.DomainID.
	CreatedAt        time.Time  `json:"createdAt"` // CreatedAt is when the webhook was created.
	UpdatedAt        time.Time  `json:"updatedAt"` // UpdatedAt is when it last changed.
}

// Format writes w with its hmac and basic-auth value redacted.
func (w Webhook) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "eventstest.Webhook{UUID: %s, URL: %s, HMAC: %s, BasicAuth: %s, RetryType: %s, EventTypes: %v, State: %s, FailedCount: %d}",
		w.UUID, w.URL, redact.Secret(w.HMAC != ""), redact.Secret(w.BasicAuth != ""), w.RetryType, w.EventTypes, w.State, w.FailedCount)
}

// LogValue returns w without its secrets.
func (w Webhook) LogValue() slog.Value {
	return slog.GroupValue(slog.String("uuid", w.UUID), slog.String("url", w.URL), slog.String("state", string(w.State)), slog.Int("failed_count", w.FailedCount))
}

// An Attempt is one try at a delivery, as the fake Daily recorded it.
type Attempt struct {
	// ID is the delivery's event ID.
	ID string
	// Type is the delivery's event type.
	Type events.Type
	// Try counts the tries of this delivery, from 1.
	Try int
	// Status is the answer's status, or 0 when none came in time.
	Status int
	// Err is why no answer came, or nil.
	Err error
	// Latency is how long the answer took.
	Latency time.Duration
	// Failed reports whether Daily counts the try as a failure: a status
	// other than 200, no answer, or one slower than AnswerTimeout.
	Failed bool
	// At is when the try was sent.
	At time.Time
}

// A Daily is a fake of Daily's side of webhooks, for tests: it serves the
// /webhooks REST endpoints as Daily documents them, keeps the domain's one
// webhook, and sends it signed deliveries under the webhook's retry type.
// Build one with [NewDaily] and Close it when done.
type Daily struct {
	// URL is the base URL of the REST API, in the form of Daily's
	// https://api.daily.co/v1: the webhooks are at URL + "/webhooks".
	URL string
	// APIKey is the bearer key the REST API requires.
	APIKey string

	cfg      DailyConfig
	srv      *httptest.Server
	mu       sync.Mutex
	hook     *Webhook
	attempts []Attempt
	limited  int           // REST calls still to answer 429
	retryIn  time.Duration // their Retry-After
	dial     *dialin       // the pinless dial-in configurations and held calls
}

// NewDaily starts a fake Daily on a local port.
func NewDaily(cfg DailyConfig) *Daily {
	if cfg.APIKey == "" {
		cfg.APIKey = DefaultAPIKey
	}
	if cfg.DomainID == "" {
		cfg.DomainID = "domain-1"
	}
	cfg.VerifyTimeout = cmp.Or(cfg.VerifyTimeout, 5*time.Second)
	cfg.AnswerTimeout = cmp.Or(cfg.AnswerTimeout, 5*time.Second)
	cfg.Backoff = cmp.Or(cfg.Backoff, time.Minute)
	cfg.MaxBackoff = cmp.Or(cfg.MaxBackoff, 15*time.Minute)
	cfg.SIPReadyAfter = cmp.Or(cfg.SIPReadyAfter, DefaultSIPReadyAfter)
	if cfg.Sleep == nil {
		cfg.Sleep = sleep
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{}
	}
	d := &Daily{cfg: cfg, APIKey: cfg.APIKey}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/webhooks", d.create)
	mux.HandleFunc("GET /v1/webhooks", d.list)
	mux.HandleFunc("GET /v1/webhooks/{uuid}", d.get)
	mux.HandleFunc("POST /v1/webhooks/{uuid}", d.update)
	mux.HandleFunc("DELETE /v1/webhooks/{uuid}", d.delete)
	mux.HandleFunc("POST "+MeetingsPath, d.playMeeting)
	d.dialinRoutes(mux)
	mux.HandleFunc("POST "+PipecatPath, d.sendPipecatEndpoint)
	d.srv = httptest.NewUnstartedServer(d.logCalls(d.authorize(mux)))
	if cfg.Listener != nil {
		d.srv.Listener.Close()
		d.srv.Listener = cfg.Listener
	}
	d.srv.Start()
	d.URL = d.srv.URL + "/v1"
	return d
}

// MeetingsPath is the fake's own endpoint, which no Daily has: a POST of a
// MeetingSpec plays the meeting (see Daily.PlayMeeting) and answers, once
// every delivery had its last attempt, with the MeetingResult. It takes
// the API key as the other endpoints do. Any language's HTTP client can
// play a meeting through it.
const MeetingsPath = "/v1/_dev/meetings"

// playMeeting serves MeetingsPath.
func (d *Daily) playMeeting(w http.ResponseWriter, r *http.Request) {
	var spec MeetingSpec
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&spec); err != nil {
		apiError(w, http.StatusBadRequest, "json-parsing-error", "invalid JSON body")
		return
	}
	res, err := d.PlayMeeting(r.Context(), spec)
	switch {
	case errors.Is(err, ErrMeetingSpec), errors.Is(err, ErrNoWebhookToPlay):
		apiError(w, http.StatusBadRequest, "invalid-request-error", err.Error())
		return
	case err != nil:
		apiError(w, http.StatusInternalServerError, "server-error", err.Error())
		return
	}
	writeJSON(w, res)
}

// logCalls logs each API call with its status, when a Logger is set.
func (d *Daily) logCalls(next http.Handler) http.Handler {
	if d.cfg.Logger == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		d.cfg.Logger.Info("api call", "method", r.Method, "path", r.URL.Path, "status", rec.status)
	})
}

// statusRecorder remembers the status written through it.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(status int) {
	s.status = status
	s.ResponseWriter.WriteHeader(status)
}

// sleep waits d, or less when ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close shuts the fake down.
func (d *Daily) Close() { d.srv.Close() }

// Webhook returns a copy of the domain's webhook, and reports whether
// there is one.
func (d *Daily) Webhook() (Webhook, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.hook == nil {
		return Webhook{}, false
	}
	return d.hook.clone(), true
}

// Attempts returns every try at a delivery so far, in order.
func (d *Daily) Attempts() []Attempt {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]Attempt(nil), d.attempts...)
}

// RateLimit makes the next n REST calls answer 429 with a Retry-After of
// retryAfter, as Daily does for a client over its rate limit.
func (d *Daily) RateLimit(n int, retryAfter time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.limited, d.retryIn = n, retryAfter
}

func (w *Webhook) clone() Webhook {
	c := *w
	c.EventTypes = append([]events.Type(nil), w.EventTypes...)
	if w.LastMomentPushed != nil {
		t := *w.LastMomentPushed
		c.LastMomentPushed = &t
	}
	return c
}

// apiError writes one of Daily's error answers.
func apiError(w http.ResponseWriter, status int, code, info string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": code, "info": info})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// authorize requires the bearer API key, and answers 429 while RateLimit
// says so.
func (d *Daily) authorize(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		limited := d.limited > 0
		if limited {
			d.limited--
		}
		retryIn := d.retryIn
		d.mu.Unlock()
		if limited {
			w.Header().Set("Retry-After", strconv.Itoa(int(retryIn.Round(time.Second)/time.Second)))
			apiError(w, http.StatusTooManyRequests, "rate-limit-error", "too many requests")
			return
		}
		auth := r.Header.Get("Authorization")
		key, ok := strings.CutPrefix(auth, "Bearer ")
		switch {
		case auth == "" || !ok:
			apiError(w, http.StatusBadRequest, "authorization-header-error", "bad Authorization header format")
		case key != d.APIKey:
			apiError(w, http.StatusUnauthorized, "authentication-error", "bad API key")
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// params is the body of a create or update call; a nil field was absent.
type params struct {
	URL        *string             `json:"url"`
	BasicAuth  *string             `json:"basicAuth"`
	RetryType  *webhooks.RetryType `json:"retryType"`
	EventTypes *[]events.Type      `json:"eventTypes"`
	HMAC       *string             `json:"hmac"`
}

// readParams decodes and checks a create or update body.
func readParams(w http.ResponseWriter, r *http.Request) (params, bool) {
	var p params
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&p); err != nil {
		apiError(w, http.StatusBadRequest, "json-parsing-error", "invalid JSON body")
		return p, false
	}
	if p.URL != nil {
		u, err := url.Parse(*p.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			apiError(w, http.StatusBadRequest, "invalid-request-error", "url must be an http or https URL")
			return p, false
		}
	}
	if p.RetryType != nil && *p.RetryType != webhooks.RetryCircuitBreaker && *p.RetryType != webhooks.RetryExponential {
		apiError(w, http.StatusBadRequest, "invalid-request-error", "retryType must be circuit-breaker or exponential")
		return p, false
	}
	if p.HMAC != nil {
		if k, err := base64.StdEncoding.DecodeString(*p.HMAC); err != nil || len(k) == 0 {
			apiError(w, http.StatusBadRequest, "invalid-request-error", "hmac must be base64")
			return p, false
		}
	}
	return p, true
}

// apply sets the fields of p on h.
func (p params) apply(h *Webhook) {
	if p.URL != nil {
		h.URL = *p.URL
	}
	if p.BasicAuth != nil {
		h.BasicAuth = *p.BasicAuth
	}
	if p.RetryType != nil {
		h.RetryType = *p.RetryType
	}
	if p.EventTypes != nil {
		h.EventTypes = append([]events.Type(nil), *p.EventTypes...)
	}
	if p.HMAC != nil {
		h.HMAC = *p.HMAC
	}
}

func (d *Daily) create(w http.ResponseWriter, r *http.Request) {
	p, ok := readParams(w, r)
	if !ok {
		return
	}
	if p.URL == nil {
		apiError(w, http.StatusBadRequest, "invalid-request-error", "url is required")
		return
	}
	d.mu.Lock()
	exists := d.hook != nil
	d.mu.Unlock()
	if exists {
		apiError(w, http.StatusBadRequest, "invalid-request-error", "a domain may have only one webhook")
		return
	}
	now := d.cfg.Now().UTC()
	h := Webhook{UUID: newUUID(), RetryType: webhooks.RetryCircuitBreaker, EventTypes: []events.Type{}, State: webhooks.StateActive, DomainID: d.cfg.DomainID, CreatedAt: now, UpdatedAt: now}
	p.apply(&h)
	if h.HMAC == "" {
		secret, err := events.NewSecret()
		if err != nil {
			apiError(w, http.StatusInternalServerError, "server-error", "generating the hmac")
			return
		}
		h.HMAC = secret
	}
	if !d.verifyEndpoint(w, r.Context(), h) {
		return
	}
	d.mu.Lock()
	if d.hook != nil {
		d.mu.Unlock()
		apiError(w, http.StatusBadRequest, "invalid-request-error", "a domain may have only one webhook")
		return
	}
	d.hook = &h
	out := h.clone()
	d.mu.Unlock()
	writeJSON(w, webhookWire(out))
}

func (d *Daily) list(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	out := []webhookWire{}
	if d.hook != nil {
		out = append(out, webhookWire(d.hook.clone()))
	}
	d.mu.Unlock()
	writeJSON(w, out)
}

// find returns a copy of the webhook of the request's uuid, or answers 404.
func (d *Daily) find(w http.ResponseWriter, r *http.Request) (Webhook, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.hook == nil || d.hook.UUID != r.PathValue("uuid") {
		apiError(w, http.StatusNotFound, "not-found", "no webhook with that uuid")
		return Webhook{}, false
	}
	return d.hook.clone(), true
}

func (d *Daily) get(w http.ResponseWriter, r *http.Request) {
	if h, ok := d.find(w, r); ok {
		writeJSON(w, webhookWire(h))
	}
}

// update changes the webhook and re-activates it, once its endpoint
// answered the verification request.
func (d *Daily) update(w http.ResponseWriter, r *http.Request) {
	h, ok := d.find(w, r)
	if !ok {
		return
	}
	p, ok := readParams(w, r)
	if !ok {
		return
	}
	p.apply(&h)
	if !d.verifyEndpoint(w, r.Context(), h) {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.hook == nil || d.hook.UUID != h.UUID {
		apiError(w, http.StatusNotFound, "not-found", "no webhook with that uuid")
		return
	}
	h.State, h.FailedCount, h.UpdatedAt = webhooks.StateActive, 0, d.cfg.Now().UTC()
	h.LastMomentPushed = d.hook.LastMomentPushed
	d.hook = &h
	writeJSON(w, webhookWire(h.clone()))
}

func (d *Daily) delete(w http.ResponseWriter, r *http.Request) {
	h, ok := d.find(w, r)
	if !ok {
		return
	}
	d.mu.Lock()
	d.hook = nil
	d.mu.Unlock()
	writeJSON(w, map[string]any{"deleted": true, "uuid": h.UUID})
}

// verifyEndpoint sends the signed verification request to h's URL, as
// Daily does before it creates or updates a webhook, and answers 400 when
// no 200 came within VerifyTimeout.
func (d *Daily) verifyEndpoint(w http.ResponseWriter, ctx context.Context, h Webhook) bool {
	ctx, cancel := context.WithTimeout(ctx, d.cfg.VerifyTimeout)
	defer cancel()
	status, _, err := d.post(ctx, h, []byte(`{"test":"test"}`))
	if err != nil || status != http.StatusOK {
		apiError(w, http.StatusBadRequest, "invalid-request-error", fmt.Sprintf("the webhook url did not answer the verification request with 200 within %v", d.cfg.VerifyTimeout))
		return false
	}
	return true
}

// post signs body with h's secret and POSTs it to h's URL with Daily's
// headers, and returns the status and how long the answer took.
func (d *Daily) post(ctx context.Context, h Webhook, body []byte) (int, time.Duration, error) {
	req, err := Signer{Secret: h.HMAC, Time: d.cfg.Now(), BasicAuth: h.BasicAuth}.NewRequest(h.URL, body)
	if err != nil {
		return 0, 0, err
	}
	req = req.WithContext(ctx)
	start := time.Now()
	resp, err := d.cfg.Client.Do(req)
	if err != nil {
		return 0, time.Since(start), err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	return resp.StatusCode, time.Since(start), nil
}

// SendType sends a new delivery of type t, from [NewDelivery], as
// [Daily.Send] does.
func (d *Daily) SendType(ctx context.Context, t events.Type) error {
	body, err := NewDelivery(t, d.cfg.Now())
	if err != nil {
		return err
	}
	return d.Send(ctx, body)
}

// Send signs body and POSTs it to the webhook with Daily's headers,
// following the webhook's retryType, and returns nil once a try was
// answered 200 in time:
//
//   - circuit-breaker: one try. Failures in a row count in failedCount,
//     and the third switches the state to FAILED: nothing more is sent
//     until the webhook is updated (re-activated).
//   - exponential: up to 5 tries, waiting Backoff after the first failure
//     and twice as long after each further one, up to MaxBackoff; then the
//     delivery is dropped. failedCount counts the failures; the state
//     never becomes FAILED.
//
// A success sets failedCount back to 0. Each try is signed anew and
// recorded (see [Daily.Attempts]). The error wraps [webhooks.ErrNoWebhook],
// [ErrWebhookFailed], [ErrNotSubscribed] or [ErrDeliveryFailed].
func (d *Daily) Send(ctx context.Context, body []byte) error {
	var env struct {
		ID   string      `json:"id"`
		Type events.Type `json:"type"`
	}
	json.Unmarshal(body, &env)
	d.mu.Lock()
	if d.hook == nil {
		d.mu.Unlock()
		return webhooks.ErrNoWebhook
	}
	h := d.hook.clone()
	d.mu.Unlock()
	if h.State == webhooks.StateFailed {
		return ErrWebhookFailed
	}
	if len(h.EventTypes) > 0 && !slices.Contains(h.EventTypes, env.Type) {
		return fmt.Errorf("%w: %s", ErrNotSubscribed, env.Type)
	}
	tries := 1
	if h.RetryType == webhooks.RetryExponential {
		tries = 5
	}
	wait := d.cfg.Backoff
	var last string
	for try := 1; try <= tries; try++ {
		at := d.cfg.Now()
		actx, cancel := context.WithTimeout(ctx, d.cfg.AnswerTimeout)
		status, latency, err := d.post(actx, h, body)
		cancel()
		failed := err != nil || status != http.StatusOK || latency > d.cfg.AnswerTimeout
		// A try cut short by the caller's ctx is not Daily's to count.
		if !failed || ctx.Err() == nil {
			d.record(Attempt{ID: env.ID, Type: env.Type, Try: try, Status: status, Err: err, Latency: latency, Failed: failed, At: at}, h.UUID)
		}
		if !failed {
			return nil
		}
		last = fmt.Sprintf("status %d", status)
		if err != nil {
			last = err.Error()
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		d.mu.Lock()
		stopped := d.hook == nil || d.hook.State == webhooks.StateFailed
		d.mu.Unlock()
		if stopped || try == tries {
			break
		}
		if err := d.cfg.Sleep(ctx, wait); err != nil {
			return err
		}
		wait = min(2*wait, d.cfg.MaxBackoff)
	}
	return fmt.Errorf("%w: %s %s after %d tries: %s", ErrDeliveryFailed, env.Type, env.ID, tries, last)
}

// record keeps a try and counts it on the webhook.
func (d *Daily) record(a Attempt, uuid string) {
	if d.cfg.Logger != nil {
		d.cfg.Logger.Info("delivery attempt", "type", a.Type, "id", a.ID, "status", a.Status, "failed", a.Failed, "err", a.Err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.attempts = append(d.attempts, a)
	h := d.hook
	if h == nil || h.UUID != uuid {
		return
	}
	if !a.Failed {
		h.FailedCount = 0
		t := a.At.UTC()
		h.LastMomentPushed = &t
		return
	}
	h.FailedCount++
	if h.RetryType != webhooks.RetryExponential && h.FailedCount >= 3 {
		h.State = webhooks.StateFailed
	}
}
