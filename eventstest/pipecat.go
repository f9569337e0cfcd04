package eventstest

import (
	"bytes"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/dailywebhooks/events/internal/redact"
	"github.com/dailywebhooks/events/pipecat"
)

// pipecatSamples holds one delivery per Pipecat Cloud event type: the
// documented example where there is one, and otherwise one built from the
// documented field tables, as the specification constructs them.
//
//go:embed testdata/pipecat/*.json
var pipecatSamples embed.FS

// PipecatSample returns a sample delivery of Pipecat Cloud's event type t,
// and reports whether there is one; there is for every type in
// [pipecat.Types]. Each call returns a new copy.
func PipecatSample(t string) ([]byte, bool) {
	b, err := pipecatSamples.ReadFile("testdata/pipecat/" + t + ".json")
	return b, err == nil
}

// NewPipecatSecret returns a new random signing secret in the form Pipecat
// Cloud's dashboard shows: "whsec_" and the base64 of 32 bytes.
func NewPipecatSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

// A PipecatSigner signs deliveries the way Pipecat Cloud does, by the
// Standard Webhooks scheme, so that tests can send a receiver genuinely
// signed requests. Secret is required; every other zero value is a
// default. It formats, logs and encodes with its secret redacted.
type PipecatSigner struct {
	// Secret is the endpoint's signing secret, "whsec_" and base64.
	Secret string
	// Time is the signing time; the zero Time means now.
	Time time.Time
	// ID is the message id; "" means a new "msg_" id for each request.
	ID string
	// Svix sends the headers under the svix- names, as the one delivery
	// on record did, rather than the webhook- names.
	Svix bool
	// Test marks the delivery as a test event (Webhook-Test: true).
	Test bool
}

// Sign returns the message id, the timestamp and the signature of body.
func (s PipecatSigner) Sign(body []byte) (id, timestamp, signature string, err error) {
	t := s.Time
	if t.IsZero() {
		t = time.Now()
	}
	id = s.ID
	if id == "" {
		b := make([]byte, 16)
		rand.Read(b)
		id = "msg_" + base64.RawURLEncoding.EncodeToString(b)
	}
	timestamp = strconv.FormatInt(t.Unix(), 10)
	signature, err = pipecat.Sign(s.Secret, id, timestamp, body)
	return id, timestamp, signature, err
}

// NewRequest returns a signed POST request of body to target, with the
// headers Pipecat Cloud sends; target is an absolute URL for an
// http.Client, or a path for a handler called directly.
func (s PipecatSigner) NewRequest(target string, body []byte) (*http.Request, error) {
	id, ts, sig, err := s.Sign(body)
	if err != nil {
		return nil, err
	}
	r, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	r.Header.Set("Content-Type", "application/json")
	names := [3]string{pipecat.HeaderID, pipecat.HeaderTimestamp, pipecat.HeaderSignature}
	if s.Svix {
		names = [3]string{pipecat.HeaderSvixID, pipecat.HeaderSvixTimestamp, pipecat.HeaderSvixSignature}
	}
	r.Header.Set(names[0], id)
	r.Header.Set(names[1], ts)
	r.Header.Set(names[2], sig)
	if s.Test {
		r.Header.Set(pipecat.HeaderTest, "true")
	}
	return r, nil
}

// Format writes s with its secret redacted.
func (s PipecatSigner) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "eventstest.PipecatSigner{Secret: %s, Time: %v, ID: %s, Svix: %t, Test: %t}", redact.Secret(s.Secret != ""), s.Time, s.ID, s.Svix, s.Test)
}

// LogValue returns s's settings without its secret.
func (s PipecatSigner) LogValue() slog.Value {
	return slog.GroupValue(slog.Bool("secret", s.Secret != ""), slog.String("id", s.ID), slog.Bool("svix", s.Svix), slog.Bool("test", s.Test))
}

// MarshalJSON encodes s with its secret redacted.
func (s PipecatSigner) MarshalJSON() ([]byte, error) {
	return fmt.Appendf(nil, `{"secret":%q,"id":%q,"svix":%t,"test":%t}`, redact.Secret(s.Secret != ""), s.ID, s.Svix, s.Test), nil
}
