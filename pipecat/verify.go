package pipecat

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/internal/redact"
)

// Limits of a Verifier.
const (
	// DefaultTolerance is how far a delivery's webhook-timestamp may be
	// from the clock, either way, as Standard Webhooks prescribes.
	DefaultTolerance = 5 * time.Minute
	// DefaultMaxBodyBytes bounds the bodies a Verifier reads by default.
	// Pipecat Cloud's deliveries measure a few hundred bytes.
	DefaultMaxBodyBytes = 1 << 20
	// MaxBodyBytes is the most a Verifier may be configured to read.
	MaxBodyBytes = 8 << 20
)

// The header names of a delivery: Standard Webhooks' own, and the svix-
// family that the one delivery on record carried.
const (
	HeaderID              = "Webhook-Id"
	HeaderTimestamp       = "Webhook-Timestamp"
	HeaderSignature       = "Webhook-Signature"
	HeaderSvixID          = "Svix-Id"
	HeaderSvixTimestamp   = "Svix-Timestamp"
	HeaderSvixSignature   = "Svix-Signature"
	HeaderTest            = "Webhook-Test"
	secretPrefix          = "whsec_"
	signatureVersionV1    = "v1"
	signatureVersionFirst = signatureVersionV1 + ","
)

// The errors of verification are the root package's, so that errors.Is
// treats a refused delivery alike whichever hook sent it.
var (
	// ErrInvalidSecret: a secret is empty, only "whsec_", or not base64.
	ErrInvalidSecret = events.ErrInvalidSecret
	// ErrMissingSignature: one header of the family is missing.
	ErrMissingSignature = events.ErrMissingSignature
	// ErrInvalidTimestamp: webhook-timestamp is not decimal seconds.
	ErrInvalidTimestamp = events.ErrInvalidTimestamp
	// ErrStaleTimestamp: webhook-timestamp is more than the tolerance
	// from the clock, either way.
	ErrStaleTimestamp = events.ErrStaleTimestamp
	// ErrInvalidSignature: no v1 signature matches any secret.
	ErrInvalidSignature = events.ErrInvalidSignature
	// ErrBodyTooLarge: the body is longer than MaxBodyBytes.
	ErrBodyTooLarge = events.ErrBodyTooLarge
)

// VerifierConfig configures a Verifier. Every zero value but Secrets is a
// default. It formats, logs and encodes with its secrets redacted.
type VerifierConfig struct {
	// Secrets are the endpoint's signing secrets, "whsec_" and base64, as
	// the dashboard shows them; base64 without padding is accepted, and
	// so is a secret without the prefix. Give several while moving to a
	// new endpoint: a signature by any of them is accepted. Required.
	Secrets []string
	// Tolerance is how far webhook-timestamp may be from the clock,
	// either way. Zero means DefaultTolerance.
	Tolerance time.Duration
	// Now is the clock. Nil means time.Now.
	Now func() time.Time
	// MaxBodyBytes bounds the bodies read: zero means
	// DefaultMaxBodyBytes, and it may not exceed MaxBodyBytes.
	MaxBodyBytes int64
	// BodyBudget bounds what the bodies being read hold at once, shared
	// with every Verifier of either hook that has the same. Nil means
	// events.SharedBodyBudget(), the process's.
	BodyBudget *events.BodyBudget
}

// A Verifier checks that deliveries come from Pipecat Cloud, by the
// Standard Webhooks scheme. Build one with [NewVerifier]; it is safe for
// concurrent use.
type Verifier struct {
	keys      [][]byte
	tolerance time.Duration
	now       func() time.Time
	maxBody   int64
	budget    *events.BodyBudget
}

// NewVerifier returns a Verifier for c. It returns an error wrapping
// ErrInvalidSecret for no secret, or one that is empty, "whsec_" alone, or
// not base64, and one wrapping events.ErrMisconfigured for a MaxBodyBytes
// over MaxBodyBytes.
func NewVerifier(c VerifierConfig) (*Verifier, error) {
	if len(c.Secrets) == 0 {
		return nil, fmt.Errorf("%w: no secret given", ErrInvalidSecret)
	}
	if c.MaxBodyBytes > MaxBodyBytes {
		return nil, fmt.Errorf("%w: MaxBodyBytes %d is over %d", events.ErrMisconfigured, c.MaxBodyBytes, MaxBodyBytes)
	}
	v := &Verifier{tolerance: c.Tolerance, now: c.Now, maxBody: c.MaxBodyBytes, budget: c.BodyBudget}
	for i, s := range c.Secrets {
		key, err := decodeSecret(s)
		if err != nil {
			return nil, fmt.Errorf("%w (secret %d)", err, i)
		}
		v.keys = append(v.keys, key)
	}
	if v.tolerance <= 0 {
		v.tolerance = DefaultTolerance
	}
	if v.now == nil {
		v.now = time.Now
	}
	if v.maxBody <= 0 {
		v.maxBody = DefaultMaxBodyBytes
	}
	if v.budget == nil {
		v.budget = events.SharedBodyBudget()
	}
	return v, nil
}

// decodeSecret decodes a "whsec_" secret: standard base64, with or
// without padding.
func decodeSecret(s string) ([]byte, error) {
	b64 := strings.TrimPrefix(s, secretPrefix)
	if b64 == "" {
		return nil, fmt.Errorf("%w: empty", ErrInvalidSecret)
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		key, err = base64.RawStdEncoding.DecodeString(b64)
	}
	if err != nil || len(key) == 0 {
		// The error says nothing of the secret, not even where it broke.
		return nil, fmt.Errorf("%w: not base64", ErrInvalidSecret)
	}
	return key, nil
}

// Sign returns the webhook-signature value that Pipecat Cloud sends for
// body, with message id and timestamp (decimal Unix seconds), signed with
// secret: "v1," and the base64 of HMAC-SHA256(key, id.timestamp.body).
func Sign(secret, id, timestamp string, body []byte) (string, error) {
	key, err := decodeSecret(secret)
	if err != nil {
		return "", err
	}
	return signatureVersionFirst + base64.StdEncoding.EncodeToString(mac(key, id, timestamp, body)), nil
}

// mac computes HMAC-SHA256(key, id + "." + timestamp + "." + body).
func mac(key []byte, id, timestamp string, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(id))
	h.Write([]byte{'.'})
	h.Write([]byte(timestamp))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Headers are the three signature headers of a delivery, of one family.
type Headers struct {
	// ID is the message id, the same on every retry: the key to
	// deduplicate on.
	ID string
	// Timestamp is the attempt's time, decimal Unix seconds.
	Timestamp string
	// Signature is one or more space-separated "v1,<base64>" entries.
	Signature string
	// Svix reports that they came under the svix- names.
	Svix bool
}

// HeadersOf returns the signature headers of r: the webhook- family when
// all three are present, or else the svix- family when all three are, and
// false when neither family is whole. The families are never mixed.
func HeadersOf(r *http.Request) (Headers, bool) {
	h := Headers{ID: r.Header.Get(HeaderID), Timestamp: r.Header.Get(HeaderTimestamp), Signature: r.Header.Get(HeaderSignature)}
	if h.ID != "" && h.Timestamp != "" && h.Signature != "" {
		return h, true
	}
	h = Headers{ID: r.Header.Get(HeaderSvixID), Timestamp: r.Header.Get(HeaderSvixTimestamp), Signature: r.Header.Get(HeaderSvixSignature), Svix: true}
	return h, h.ID != "" && h.Timestamp != "" && h.Signature != ""
}

// Verify checks that the signature headers h sign body with one of the
// secrets, within the tolerance of the clock. The comparison takes the
// same time whatever matches. It returns nil, or an error wrapping
// ErrMissingSignature, ErrInvalidTimestamp, ErrStaleTimestamp or
// ErrInvalidSignature; no error text shows a secret or a signature.
func (v *Verifier) Verify(h Headers, body []byte) error {
	if h.ID == "" || h.Timestamp == "" || h.Signature == "" {
		return ErrMissingSignature
	}
	ts, err := parseTimestamp(h.Timestamp)
	if err != nil {
		return err
	}
	if err := v.matches(h, body); err != nil {
		return err
	}
	if d := v.now().Sub(ts); d > v.tolerance || d < -v.tolerance {
		return fmt.Errorf("%w: %v from the clock, over %v", ErrStaleTimestamp, d.Round(time.Second), v.tolerance)
	}
	return nil
}

// matches reports, as an error, whether a v1 entry of h's signature signs
// body with one of the secrets. Every pair is compared, in constant time.
func (v *Verifier) matches(h Headers, body []byte) error {
	wants := make([][]byte, len(v.keys))
	for i, key := range v.keys {
		wants[i] = mac(key, h.ID, h.Timestamp, body)
	}
	entries, found := 0, 0
	var sig [33]byte // 44 base64 characters hold 33 bytes at most
	for rest := h.Signature; rest != ""; {
		var e string
		e, rest, _ = strings.Cut(strings.TrimLeft(rest, " "), " ")
		version, value, ok := strings.Cut(e, ",")
		if !ok || version != signatureVersionV1 || len(value) != 44 {
			continue
		}
		n, err := base64.StdEncoding.Decode(sig[:], []byte(value))
		if err != nil || n != sha256.Size {
			continue
		}
		entries++
		for _, want := range wants {
			if hmac.Equal(want, sig[:n]) {
				found++
			}
		}
	}
	switch {
	case entries == 0:
		return fmt.Errorf("%w: no v1 signature of 32 bytes in the header", ErrInvalidSignature)
	case found == 0:
		return ErrInvalidSignature
	}
	return nil
}

// parseTimestamp reads decimal Unix seconds, digits only.
func parseTimestamp(s string) (time.Time, error) {
	if strings.TrimLeft(s, "0123456789") != "" || len(s) > 12 {
		return time.Time{}, fmt.Errorf("%w: not decimal Unix seconds", ErrInvalidTimestamp)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: not decimal Unix seconds", ErrInvalidTimestamp)
	}
	return time.Unix(n, 0), nil
}

// VerifyRequest reads r's body, within MaxBodyBytes and the body budget,
// and verifies it by its signature headers, of either family. It returns
// the body and the headers of an authentic delivery; the errors are
// Verify's, and the root package's ErrBodyTooLarge, ErrBodyBudget and
// ErrBodyRead. A body declared over MaxBodyBytes is refused before any of
// it is read, and an unsigned one is not read at all.
func (v *Verifier) VerifyRequest(r *http.Request) ([]byte, Headers, error) {
	if r.ContentLength > v.maxBody {
		return nil, Headers{}, ErrBodyTooLarge
	}
	h, ok := HeadersOf(r)
	if !ok {
		return nil, Headers{}, ErrMissingSignature
	}
	body, err := v.budget.ReadBody(r, v.maxBody)
	if err != nil {
		return nil, h, err
	}
	if err := v.Verify(h, body); err != nil {
		return nil, h, err
	}
	return body, h, nil
}

// Format writes c with its secrets redacted.
func (c VerifierConfig) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "pipecat.VerifierConfig{Secrets: %s, Tolerance: %v, MaxBodyBytes: %d}", redact.List(len(c.Secrets)), c.Tolerance, c.MaxBodyBytes)
}

// LogValue returns c's settings without its secrets.
func (c VerifierConfig) LogValue() slog.Value {
	return slog.GroupValue(slog.Int("secrets", len(c.Secrets)), slog.Duration("tolerance", c.Tolerance), slog.Int64("max_body_bytes", c.MaxBodyBytes))
}

// MarshalJSON encodes c's settings with its secrets redacted.
func (c VerifierConfig) MarshalJSON() ([]byte, error) {
	return fmt.Appendf(nil, `{"secrets":%q,"tolerance":%q,"max_body_bytes":%d}`, redact.List(len(c.Secrets)), c.Tolerance.String(), c.MaxBodyBytes), nil
}

// String describes v by its settings, without its keys.
func (v *Verifier) String() string {
	if v == nil {
		return "pipecat.Verifier(nil)"
	}
	return fmt.Sprintf("pipecat.Verifier{keys: %s, tolerance: %v, max body: %d}", redact.List(len(v.keys)), v.tolerance, v.maxBody)
}

// Format writes v as String does, whatever the verb.
func (v *Verifier) Format(f fmt.State, _ rune) { fmt.Fprint(f, v.String()) }

// LogValue returns v's settings without its keys.
func (v *Verifier) LogValue() slog.Value { return slog.StringValue(v.String()) }
