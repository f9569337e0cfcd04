// Package webhooks is a client for Daily's /webhooks REST API: create the
// domain's webhook with your own secret, read it, change it, delete it,
// and keep it active when Daily's circuit breaker switches it off.
//
// Daily tries each delivery of a webhook with the default retry type
// (circuit-breaker) once, and after three failed deliveries in a row sets
// its state to FAILED and sends nothing more until the webhook is updated.
// [Client.KeepActive] watches for that and re-activates it.
package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/internal/redact"
	"github.com/dailywebhooks/events/internal/rest"
)

// DefaultBaseURL is Daily's REST API.
const DefaultBaseURL = "https://api.daily.co/v1"

// A State is a webhook's state. Values other than the constants are kept
// as Daily sends them.
type State string

// The states Daily documents.
const (
	StateActive   State = "ACTIVE"
	StateFailed   State = "FAILED"
	StateInactive State = "INACTIVE"
)

// A RetryType is a webhook's retry policy. Values other than the constants
// are kept as Daily sends them.
type RetryType string

// The retry types Daily documents.
const (
	// RetryCircuitBreaker tries each delivery once and switches the
	// webhook to FAILED after three failures in a row. Daily's default.
	RetryCircuitBreaker RetryType = "circuit-breaker"
	// RetryExponential tries each delivery up to 5 times with backoff up
	// to 15 minutes, then drops it; the webhook never becomes FAILED.
	RetryExponential RetryType = "exponential"
)

// A Webhook is a domain's webhook, as Daily returns it. It formats and
// logs with its HMAC and BasicAuth redacted.
type Webhook struct {
	// UUID identifies the webhook.
	UUID string
	// URL is where deliveries are POSTed.
	URL string
	// HMAC is the signing secret, base64.
	HMAC string
	// BasicAuth is the value Daily sends in "Authorization: Basic", or "".
	BasicAuth string
	// RetryType is the retry policy.
	RetryType RetryType
	// EventTypes are the event types delivered; empty means all.
	EventTypes []events.Type
	// State says whether deliveries flow.
	State State
	// FailedCount counts failed deliveries.
	FailedCount int
	// LastMomentPushed is when the last delivery was sent; zero if never.
	LastMomentPushed time.Time
	// DomainID is the owning domain.
	DomainID string
	// CreatedAt and UpdatedAt are when the webhook was created and last
	// changed; zero when Daily sent none.
	CreatedAt, UpdatedAt time.Time
}

// wireWebhook is a Webhook as JSON carries it.
type wireWebhook struct {
	UUID             string        `json:"uuid"`
	URL              string        `json:"url"`
	HMAC             string        `json:"hmac"`
	BasicAuth        *string       `json:"basicAuth"`
	RetryType        RetryType     `json:"retryType"`
	EventTypes       []events.Type `json:"eventTypes"`
	State            State         `json:"state"`
	FailedCount      int           `json:"failedCount"`
	LastMomentPushed *string       `json:"lastMomentPushed"`
	DomainID         string        `json:"domainId"`
	CreatedAt        *string       `json:"createdAt"`
	UpdatedAt        *string       `json:"updatedAt"`
}

// UnmarshalJSON decodes Daily's webhook object; its times are ISO 8601.
func (w *Webhook) UnmarshalJSON(b []byte) error {
	var v wireWebhook
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*w = Webhook{UUID: v.UUID, URL: v.URL, HMAC: v.HMAC, RetryType: v.RetryType, EventTypes: v.EventTypes, State: v.State, FailedCount: v.FailedCount, DomainID: v.DomainID}
	if v.BasicAuth != nil {
		w.BasicAuth = *v.BasicAuth
	}
	for _, t := range []struct {
		in  *string
		out *time.Time
		key string
	}{{v.LastMomentPushed, &w.LastMomentPushed, "lastMomentPushed"}, {v.CreatedAt, &w.CreatedAt, "createdAt"}, {v.UpdatedAt, &w.UpdatedAt, "updatedAt"}} {
		if t.in == nil || *t.in == "" {
			continue
		}
		parsed, err := parseTime(*t.in)
		if err != nil {
			return fmt.Errorf("webhooks: %s: %w", t.key, err)
		}
		*t.out = parsed
	}
	return nil
}

// MarshalJSON encodes w as Daily's webhook object, with its hmac and
// basicAuth redacted: JSON is how slog's JSON handler logs a slice or a
// struct that holds a Webhook, so the secrets never reach a log that way.
// An empty secret stays empty.
func (w Webhook) MarshalJSON() ([]byte, error) {
	v := wireWebhook{UUID: w.UUID, URL: w.URL, HMAC: redactedOr(w.HMAC), RetryType: w.RetryType, EventTypes: w.EventTypes, State: w.State, FailedCount: w.FailedCount, DomainID: w.DomainID}
	if w.BasicAuth != "" {
		mark := redact.Mark
		v.BasicAuth = &mark
	}
	for _, t := range []struct {
		in  time.Time
		out **string
	}{{w.LastMomentPushed, &v.LastMomentPushed}, {w.CreatedAt, &v.CreatedAt}, {w.UpdatedAt, &v.UpdatedAt}} {
		if !t.in.IsZero() {
			s := t.in.UTC().Format(time.RFC3339Nano)
			*t.out = &s
		}
	}
	return json.Marshal(v)
}

// parseTime reads an ISO 8601 time in the forms Daily uses.
func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("not an ISO 8601 time: %q", s)
}

// Format writes w with its HMAC and BasicAuth redacted.
func (w Webhook) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "webhooks.Webhook{UUID: %s, URL: %s, HMAC: %s, BasicAuth: %s, RetryType: %s, EventTypes: %v, State: %s, FailedCount: %d}",
		w.UUID, redact.URL(w.URL), redact.Secret(w.HMAC != ""), redact.Secret(w.BasicAuth != ""), w.RetryType, w.EventTypes, w.State, w.FailedCount)
}

// LogValue returns w without its secrets.
func (w Webhook) LogValue() slog.Value {
	return slog.GroupValue(slog.String("uuid", w.UUID), slog.String("url", redact.URL(w.URL)), slog.String("state", string(w.State)), slog.Int("failed_count", w.FailedCount))
}

// Params are the fields of a create or update call. A zero field is left
// out: on update, it keeps its value.
type Params struct {
	// URL is where deliveries go. Required to create.
	URL string `json:"url,omitempty"`
	// HMAC is the signing secret, base64; see events.NewSecret. Daily
	// generates one on create when it is empty.
	HMAC string `json:"hmac,omitempty"`
	// BasicAuth is sent by Daily in "Authorization: Basic".
	BasicAuth string `json:"basicAuth,omitempty"`
	// RetryType is the retry policy; Daily's default is
	// RetryCircuitBreaker.
	RetryType RetryType `json:"retryType,omitempty"`
	// EventTypes are the event types to deliver; empty means all.
	EventTypes []events.Type `json:"eventTypes,omitempty"`
}

// paramsWire is Params as the API's request body carries it, secrets
// included: Params' own JSON encoding redacts them.
type paramsWire Params

// MarshalJSON encodes p with its hmac and basicAuth redacted, so that a
// log never shows them; the client sends the secrets through a wire type
// of its own.
func (p Params) MarshalJSON() ([]byte, error) {
	p.HMAC, p.BasicAuth = redactedOr(p.HMAC), redactedOr(p.BasicAuth)
	return json.Marshal(paramsWire(p))
}

// redactedOr returns redact.Mark for a secret that is set, or "".
func redactedOr(secret string) string {
	if secret == "" {
		return ""
	}
	return redact.Mark
}

// Format writes p with its HMAC and BasicAuth redacted.
func (p Params) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "webhooks.Params{URL: %s, HMAC: %s, BasicAuth: %s, RetryType: %s, EventTypes: %v}", redact.URL(p.URL), redact.Secret(p.HMAC != ""), redact.Secret(p.BasicAuth != ""), p.RetryType, p.EventTypes)
}

// LogValue returns p without its secrets, for log/slog.
func (p Params) LogValue() slog.Value {
	types := make([]string, len(p.EventTypes))
	for i, t := range p.EventTypes {
		types[i] = string(t)
	}
	return slog.GroupValue(
		slog.String("url", redact.URL(p.URL)),
		slog.String("hmac", redact.Secret(p.HMAC != "")),
		slog.String("basic_auth", redact.Secret(p.BasicAuth != "")),
		slog.String("retry_type", string(p.RetryType)),
		slog.Any("event_types", types),
	)
}

// An APIError is an error answer of Daily's REST API: the call, the HTTP
// status, Daily's error code and reason. Its text never contains the API
// key. It is the same type as the errors of Daily's other clients.
type APIError = rest.APIError

// Errors of this package.
var (
	// ErrNoWebhook is returned by KeepActive when the domain has no
	// webhook.
	ErrNoWebhook = errors.New("webhooks: the domain has no webhook")
	// ErrRedirect wraps the error of a call answered with a redirect. The
	// client follows none: a redirect could send the API key elsewhere,
	// or over plain HTTP.
	ErrRedirect = rest.ErrRedirect
	// ErrInterval is returned by KeepActive for an interval that is not
	// positive.
	ErrInterval = errors.New("webhooks: the interval must be positive")
)

// A Client calls Daily's /webhooks API. Build one with [NewClient]; it is
// safe for concurrent use. It formats with its API key redacted.
type Client struct {
	// BaseURL is the API's base; NewClient sets DefaultBaseURL.
	BaseURL string
	// HTTPClient makes the calls; nil means http.DefaultClient.
	HTTPClient *http.Client
	// MaxRetryWait bounds how long a call waits, in all, on 429 answers
	// before it gives up with the *APIError. NewClient sets a minute; zero
	// tries no call again.
	//
	// A call answered 429 is tried again after the answer's Retry-After,
	// and never sooner than a second; without a usable Retry-After (none,
	// in the past, or out of range), after 1, 2, 4 and then 8 seconds. It
	// is tried 5 times at most.
	MaxRetryWait time.Duration

	apiKey string
}

// NewClient returns a Client that authenticates with apiKey.
func NewClient(apiKey string) *Client {
	return &Client{BaseURL: DefaultBaseURL, MaxRetryWait: time.Minute, apiKey: apiKey}
}

// Format writes c without its API key.
func (c *Client) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "webhooks.Client{BaseURL: %s, APIKey: %s}", c.BaseURL, redact.Secret(c.apiKey != ""))
}

// do makes one API call through the REST core shared with Daily's other
// clients.
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	caller := rest.Caller{Pkg: "webhooks", BaseURL: c.BaseURL, HTTPClient: c.HTTPClient, MaxRetryWait: c.MaxRetryWait, APIKey: c.apiKey}
	return caller.Do(ctx, method, path, in, out)
}

// Create creates the domain's webhook. Daily first sends the verification
// request to p.URL and refuses with a 400 *APIError when no 200 comes back
// within a few seconds.
func (c *Client) Create(ctx context.Context, p Params) (*Webhook, error) {
	var w Webhook
	if err := c.do(ctx, http.MethodPost, "/webhooks", paramsWire(p), &w); err != nil {
		return nil, err
	}
	return &w, nil
}

// List returns the domain's webhooks; a domain has one at most today.
func (c *Client) List(ctx context.Context) ([]Webhook, error) {
	var ws []Webhook
	if err := c.do(ctx, http.MethodGet, "/webhooks", nil, &ws); err != nil {
		return nil, err
	}
	return ws, nil
}

// Get returns the webhook uuid. Daily's generated SDK types the answer as
// an array, so a one-element array is accepted too.
func (c *Client) Get(ctx context.Context, uuid string) (*Webhook, error) {
	var raw json.RawMessage
	if err := c.do(ctx, http.MethodGet, "/webhooks/"+url.PathEscape(uuid), nil, &raw); err != nil {
		return nil, err
	}
	var w Webhook
	if len(raw) > 0 && raw[0] == '[' {
		var ws []Webhook
		if err := json.Unmarshal(raw, &ws); err != nil {
			return nil, fmt.Errorf("webhooks: decoding the answer: %w", err)
		}
		if len(ws) != 1 {
			return nil, fmt.Errorf("webhooks: GET /webhooks/%s: %d webhooks in the answer, want 1", uuid, len(ws))
		}
		return &ws[0], nil
	}
	if err := json.Unmarshal(raw, &w); err != nil {
		return nil, fmt.Errorf("webhooks: decoding the answer: %w", err)
	}
	return &w, nil
}

// Update changes the fields of the webhook uuid that p sets, and with
// them re-activates it. Daily sends the verification request first, as on
// Create.
func (c *Client) Update(ctx context.Context, uuid string, p Params) (*Webhook, error) {
	var w Webhook
	if err := c.do(ctx, http.MethodPost, "/webhooks/"+url.PathEscape(uuid), paramsWire(p), &w); err != nil {
		return nil, err
	}
	return &w, nil
}

// Delete deletes the webhook uuid.
func (c *Client) Delete(ctx context.Context, uuid string) error {
	return c.do(ctx, http.MethodDelete, "/webhooks/"+url.PathEscape(uuid), nil, nil)
}

// Reactivate switches the webhook uuid back on after Daily's circuit
// breaker set it to FAILED: an update with its own URL, as Daily
// documents. Its endpoint must answer the verification request.
func (c *Client) Reactivate(ctx context.Context, uuid string) (*Webhook, error) {
	w, err := c.Get(ctx, uuid)
	if err != nil {
		return nil, err
	}
	return c.Update(ctx, uuid, Params{URL: w.URL})
}

// A Check is what one poll of [Client.KeepActive] found and did.
type Check struct {
	// Time is when the poll ran.
	Time time.Time
	// Webhook is the webhook as the poll found it, or after its
	// re-activation; nil when it could not be read.
	Webhook *Webhook
	// Reactivated reports whether the poll found the webhook FAILED and
	// re-activated it.
	Reactivated bool
	// Err is why the poll or the re-activation failed, or nil.
	Err error
}

// KeepActive polls the webhook uuid every interval, and re-activates it
// whenever Daily's circuit breaker has set it to FAILED, until ctx is done;
// it returns ctx's error. An empty uuid means the domain's webhook,
// whichever it is at each poll. report is told of every poll that found the
// webhook FAILED or failed itself; nil means they are logged with
// slog.Default(). The first poll runs at once. It returns an error
// wrapping [ErrInterval], at once, for an interval that is not positive.
func (c *Client) KeepActive(ctx context.Context, uuid string, interval time.Duration, report func(Check)) error {
	if interval <= 0 {
		return fmt.Errorf("%w: %v", ErrInterval, interval)
	}
	if report == nil {
		report = logCheck
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if ch := c.check(ctx, uuid); ch.Reactivated || ch.Err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			report(ch)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// check runs one poll of KeepActive.
func (c *Client) check(ctx context.Context, uuid string) Check {
	ch := Check{Time: time.Now()}
	var w *Webhook
	if uuid == "" {
		ws, err := c.List(ctx)
		switch {
		case err != nil:
			ch.Err = err
			return ch
		case len(ws) == 0:
			ch.Err = ErrNoWebhook
			return ch
		}
		w = &ws[0]
	} else if w, ch.Err = c.Get(ctx, uuid); ch.Err != nil {
		return ch
	}
	ch.Webhook = w
	if w.State != StateFailed {
		return ch
	}
	updated, err := c.Update(ctx, w.UUID, Params{URL: w.URL})
	if err != nil {
		ch.Err = fmt.Errorf("webhooks: re-activating %s: %w", w.UUID, err)
		return ch
	}
	ch.Webhook, ch.Reactivated = updated, true
	return ch
}

// logCheck logs a Check with slog.Default().
func logCheck(ch Check) {
	if ch.Err != nil {
		slog.Default().Error("webhooks: keeping the webhook active", "err", ch.Err)
		return
	}
	slog.Default().Warn("webhooks: re-activated the webhook after Daily's circuit breaker switched it off", "webhook", ch.Webhook)
}

var (
	_ slog.LogValuer = Params{}
	_ slog.LogValuer = Webhook{}
	_ json.Marshaler = Params{}
	_ json.Marshaler = Webhook{}
	_ fmt.Formatter  = Params{}
)

// BaseURLFromEnv returns DAILY_API_URL, or DefaultBaseURL when it is not
// set: the base of a Client that follows the environment, as dailyhook
// does. A Client reads no environment unless its user asks, as here.
func BaseURLFromEnv() string {
	if u := os.Getenv("DAILY_API_URL"); u != "" {
		return strings.TrimRight(u, "/")
	}
	return DefaultBaseURL
}
