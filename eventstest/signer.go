package eventstest

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/internal/redact"
)

// A Signer signs deliveries the way Daily does, so that tests can send a
// receiver genuinely signed requests. Secret is required; every other zero
// value is a default. It formats and logs with its secrets redacted.
type Signer struct {
	// Secret is the webhook's hmac secret in the base64 form Daily shows.
	Secret string
	// Time is the signing time; the zero Time means now.
	Time time.Time
	// Milliseconds writes X-Webhook-Timestamp in milliseconds rather than
	// seconds; Daily's unit is undocumented and both occur.
	Milliseconds bool
	// BasicAuth, when not empty, is sent as "Authorization: Basic " and
	// the value, as Daily does for a webhook with basicAuth set.
	BasicAuth string
}

// Sign returns the X-Webhook-Timestamp and X-Webhook-Signature values for
// body. It returns an error wrapping [events.ErrInvalidSecret] for a bad
// Secret.
func (s Signer) Sign(body []byte) (timestamp, signature string, err error) {
	t := s.Time
	if t.IsZero() {
		t = time.Now()
	}
	if s.Milliseconds {
		timestamp = strconv.FormatInt(t.UnixMilli(), 10)
	} else {
		timestamp = strconv.FormatInt(t.Unix(), 10)
	}
	signature, err = events.Sign(s.Secret, timestamp, body)
	return timestamp, signature, err
}

// NewRequest returns a signed POST request of body to target, with the
// headers Daily sends. An absolute URL such as "http://127.0.0.1:8080/daily"
// makes a request for an [http.Client]; a path such as "/daily" makes one
// for a handler called directly, as [httptest.NewRequest] does, which an
// http.Client cannot send.
func (s Signer) NewRequest(target string, body []byte) (*http.Request, error) {
	timestamp, signature, err := s.Sign(body)
	if err != nil {
		return nil, err
	}
	r, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(events.HeaderTimestamp, timestamp)
	r.Header.Set(events.HeaderSignature, signature)
	if s.BasicAuth != "" {
		r.Header.Set("Authorization", "Basic "+s.BasicAuth)
	}
	return r, nil
}

// Format writes s with its secret and basic-auth value redacted.
func (s Signer) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "eventstest.Signer{Secret: %s, Time: %v, Milliseconds: %t, BasicAuth: %s}",
		redact.Secret(s.Secret != ""), s.Time, s.Milliseconds, redact.Secret(s.BasicAuth != ""))
}

// LogValue returns s's settings with its secret and basic-auth value
// redacted.
func (s Signer) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Bool("secret", s.Secret != ""),
		slog.Time("time", s.Time),
		slog.Bool("milliseconds", s.Milliseconds),
		slog.Bool("basic_auth", s.BasicAuth != ""),
	)
}

var (
	_ fmt.Formatter  = Signer{}
	_ slog.LogValuer = Signer{}
)
