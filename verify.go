package events

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// The headers Daily sends with every delivery.
const (
	// HeaderSignature carries base64(HMAC-SHA256(secret, timestamp + "." +
	// body)).
	HeaderSignature = "X-Webhook-Signature"
	// HeaderTimestamp carries the timestamp that is part of the signed
	// message. Daily does not document its unit; seconds and milliseconds
	// both occur.
	HeaderTimestamp = "X-Webhook-Timestamp"
)

// Defaults of [VerifierConfig].
const (
	// DefaultTolerance is how far the signed timestamp may be from the
	// verifier's clock, in either direction.
	DefaultTolerance = 5 * time.Minute
	// DefaultMaxBodyBytes bounds the request bodies a [Verifier] reads.
	DefaultMaxBodyBytes = 1 << 20
)

// Verification errors. Their text never contains a secret or a computed
// signature, so it is safe to log or return to a client.
var (
	// ErrInvalidSecret means that a secret given to NewVerifier or Sign is
	// empty or not standard base64.
	ErrInvalidSecret = errors.New("events: invalid webhook secret")
	// ErrMissingSignature means that the X-Webhook-Signature or
	// X-Webhook-Timestamp header is missing or empty.
	ErrMissingSignature = errors.New("events: missing signature headers")
	// ErrInvalidSignature means that the signature matches none of the
	// secrets: the body, the timestamp or the signature was changed, or
	// another secret signed it.
	ErrInvalidSignature = errors.New("events: invalid signature")
	// ErrInvalidTimestamp means that X-Webhook-Timestamp is not a whole
	// number of seconds or milliseconds.
	ErrInvalidTimestamp = errors.New("events: invalid signature timestamp")
	// ErrStaleTimestamp means that the delivery is authentic but its
	// timestamp is outside the tolerance, as for a replayed request.
	ErrStaleTimestamp = errors.New("events: signature timestamp outside the tolerance")
	// ErrUnauthorized means that the Authorization header does not carry
	// the configured basic-auth value.
	ErrUnauthorized = errors.New("events: missing or wrong Authorization header")
	// ErrBodyTooLarge means that the request body exceeds the limit.
	ErrBodyTooLarge = errors.New("events: request body too large")
	// ErrEmptyBody means that a signed request has no body. Daily never
	// sends one: most likely a middleware read the body before the
	// receiver could.
	ErrEmptyBody = errors.New("events: signed request with an empty body")
	// ErrBodyBudget means that reading the body would have taken the
	// bodies being read over their BodyBudget: the request is answered
	// 503 with Retry-After, and nothing more of it is read.
	ErrBodyBudget = errors.New("events: too many request bodies being read at once")
)

// VerifierConfig configures a [Verifier]. The zero value of every field but
// Secrets is the secure default.
type VerifierConfig struct {
	// Secrets are the webhook's hmac secrets in the base64 form Daily shows.
	// At least one is required. Give several while rotating: a delivery
	// signed by any of them verifies, and [Verification] says which.
	Secrets []string
	// Tolerance is how far X-Webhook-Timestamp may be from the clock, in
	// either direction. Zero means DefaultTolerance.
	Tolerance time.Duration
	// DisableTimestampCheck accepts signed deliveries of any age. Only the
	// signature is then checked, so a captured delivery can be replayed.
	DisableTimestampCheck bool
	// Now is the clock the timestamp is checked against. Nil means
	// time.Now. Set it to verify deliveries that were queued and are
	// checked later.
	Now func() time.Time
	// BasicAuth, when not empty, is the basicAuth value of the webhook:
	// requests must then carry "Authorization: Basic " followed by it.
	BasicAuth string
	// MaxBodyBytes bounds the request bodies read by VerifyRequest and
	// [Handler]. Zero means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// CompactFallback also accepts a signature computed over the body
	// with its insignificant whitespace removed, which is what a signer
	// that re-serialises the JSON (JavaScript's JSON.stringify) produces.
	// The raw body is always tried first.
	CompactFallback bool
	// BodyBudget bounds what the bodies being read hold at once, with
	// those of every Verifier that shares it. Nil means
	// SharedBodyBudget(), the process's, of DefaultBodyBudget bytes.
	BodyBudget *BodyBudget
	// Headers names the signature and timestamp headers that
	// VerifyRequest reads. Zero means WebhookHeaders; PinlessHeaders
	// verifies the calls of Daily's pinless dial-in hook, signed the same
	// way.
	Headers Headers
}

// A Verifier checks that deliveries come from Daily. Build one with
// [NewVerifier]; it is safe for concurrent use.
type Verifier struct {
	keys            [][]byte
	tolerance       time.Duration
	checkTimestamp  bool
	now             func() time.Time
	basicAuth       []byte
	maxBody         int64
	compactFallback bool
	headers         Headers
	budget          *BodyBudget
}

// NewVerifier returns a Verifier for c. It returns an error wrapping
// [ErrInvalidSecret] when c has no secret or one that is empty or not
// standard base64, so that a misconfigured receiver fails at start-up
// rather than accepting or refusing every delivery.
func NewVerifier(c VerifierConfig) (*Verifier, error) {
	if len(c.Secrets) == 0 {
		return nil, fmt.Errorf("%w: no secret given", ErrInvalidSecret)
	}
	v := &Verifier{
		tolerance:       c.Tolerance,
		checkTimestamp:  !c.DisableTimestampCheck,
		now:             c.Now,
		maxBody:         c.MaxBodyBytes,
		compactFallback: c.CompactFallback,
		headers:         c.Headers,
		budget:          c.BodyBudget,
	}
	if v.budget == nil {
		v.budget = SharedBodyBudget()
	}
	if v.headers == (Headers{}) {
		v.headers = WebhookHeaders
	}
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
	if c.BasicAuth != "" {
		v.basicAuth = []byte("Basic " + c.BasicAuth)
	}
	return v, nil
}

// decodeSecret decodes a secret in the base64 form Daily shows.
func decodeSecret(s string) ([]byte, error) {
	if s == "" {
		return nil, fmt.Errorf("%w: empty", ErrInvalidSecret)
	}
	key, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(key) == 0 {
		return nil, fmt.Errorf("%w: not standard base64", ErrInvalidSecret)
	}
	return key, nil
}

// A Verification is the result of a successful verification.
type Verification struct {
	// SecretIndex is the index in VerifierConfig.Secrets of the secret
	// that signed the delivery.
	SecretIndex int
	// Timestamp is the signed time, read in seconds or milliseconds by
	// its magnitude; zero when it is not a number and the timestamp check
	// is disabled.
	Timestamp time.Time
}

// Verify checks a delivery: body is the raw request body, signature and
// timestamp the values of the X-Webhook-Signature and X-Webhook-Timestamp
// headers. The signature is compared in constant time against every secret.
// An authentic delivery whose timestamp is outside the tolerance is refused
// with [ErrStaleTimestamp].
//
// The errors wrap [ErrMissingSignature], [ErrInvalidSignature],
// [ErrInvalidTimestamp] or [ErrStaleTimestamp].
func (v *Verifier) Verify(body []byte, signature, timestamp string) (Verification, error) {
	if signature == "" || timestamp == "" {
		return Verification{}, ErrMissingSignature
	}
	// Strict decoding refuses the other spellings of the same bytes
	// (non-zero padding bits), so only the one signature Daily computes
	// verifies.
	got, err := base64.StdEncoding.Strict().DecodeString(signature)
	if err != nil || len(got) != sha256.Size {
		return Verification{}, ErrInvalidSignature
	}
	match := v.match(got, timestamp, body)
	if match < 0 && v.compactFallback {
		var compact bytes.Buffer
		if json.Compact(&compact, body) == nil && !bytes.Equal(compact.Bytes(), body) {
			match = v.match(got, timestamp, compact.Bytes())
		}
	}
	if match < 0 {
		return Verification{}, ErrInvalidSignature
	}
	res := Verification{SecretIndex: match}
	ts, ok := parseTimestamp(timestamp)
	if ok {
		res.Timestamp = ts
	}
	if !v.checkTimestamp {
		return res, nil
	}
	if !ok {
		return Verification{}, ErrInvalidTimestamp
	}
	if d := v.now().Sub(ts); d > v.tolerance || d < -v.tolerance {
		return Verification{}, ErrStaleTimestamp
	}
	return res, nil
}

// match returns the index of the key whose MAC of timestamp.body equals
// got, or -1. Every key is tried, so the time taken does not say which one
// matched.
func (v *Verifier) match(got []byte, timestamp string, body []byte) int {
	match := -1
	for i, key := range v.keys {
		if hmac.Equal(mac(key, timestamp, body), got) && match < 0 {
			match = i
		}
	}
	return match
}

// mac computes HMAC-SHA256(key, timestamp + "." + body).
func mac(key []byte, timestamp string, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(timestamp))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// parseTimestamp reads a timestamp header: whole epoch seconds, or
// milliseconds when above 10^12 (a date in the year 33658 in seconds).
func parseTimestamp(s string) (time.Time, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, false
	}
	if n > 1e12 {
		return time.UnixMilli(n), true
	}
	return time.Unix(n, 0), true
}

// initialBodyBuffer is the most VerifyRequest allocates for a body before its
// bytes arrive: more than any delivery of Daily's measures.
const initialBodyBuffer = 64 << 10

// maxPingBytes bounds the bodies tested for the verification request: it
// is 15 bytes, {"test":"test"}, and this leaves room for white space. A
// larger body is never decoded before its signature verified.
const maxPingBytes = 256

// Receive reads and verifies r as a [Handler] does, and answers every
// request that is not an authentic delivery: 405 for a method other than
// POST, 200 for Daily's verification request (see [RequestStatus] for
// strict), and the status of RequestStatus for a refusal, with the
// connection closed since the body may be unread. It tells refused of
// each refusal, with its status and error, before answering. For an
// authentic delivery it answers nothing, and returns the body, what
// verified it, and true: the caller answers.
//
// Receive is the front of Handler and of the inbox module's endpoint, for
// receivers of one's own that must answer as they do.
func (v *Verifier) Receive(w http.ResponseWriter, r *http.Request, strict bool, refused func(status int, err error)) ([]byte, Verification, bool) {
	refuse := func(status int, err error) {
		if refused != nil {
			refused(status, err)
		}
		w.Header().Set("Connection", "close")
		if status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "1")
		}
		http.Error(w, http.StatusText(status), status)
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		refuse(http.StatusMethodNotAllowed, fmt.Errorf("events: method %s not allowed", r.Method))
		return nil, Verification{}, false
	}
	body, res, err := v.VerifyRequest(r)
	switch status := RequestStatus(err, strict); status {
	case 0:
		return body, res, true
	case http.StatusOK:
		w.WriteHeader(status)
	default:
		refuse(status, err)
	}
	return nil, Verification{}, false
}

// SignatureHeaders returns the signature and timestamp headers of r, under
// the names the Verifier reads (VerifierConfig.Headers).
func (v *Verifier) SignatureHeaders(r *http.Request) (signature, timestamp string) {
	return r.Header.Get(v.headers.Signature), r.Header.Get(v.headers.Timestamp)
}

// checkBasicAuth reports whether r carries the configured basic-auth value,
// comparing in constant time; it reports true when none is configured.
func (v *Verifier) checkBasicAuth(r *http.Request) bool {
	if v.basicAuth == nil {
		return true
	}
	return subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), v.basicAuth) == 1
}

// VerifyRequest reads the body of r and checks that it comes from Daily: the
// basic-auth value if one is configured, then the signature over the raw
// bytes. It returns the body of an authentic delivery, and what verified it.
//
// It reads no more than it must. A body whose Content-Length exceeds
// MaxBodyBytes is refused before any of it is read, so that no 100 Continue
// invites the upload. Nothing but Daily's verification request may come
// unsigned, so an unsigned body is read only as far as that request could
// reach, and no body is decoded before its signature verified.
//
// For the verification request {"test":"test"} of /webhooks (a Verifier
// with WebhookHeaders), which is no event, it
// returns the body with [ErrVerificationRequest] itself when the request
// verified, or with an error wrapping both ErrVerificationRequest and the
// reason when it did not: unsigned, or signed with another secret (see
// [Handler].StrictVerificationRequest for why that can happen).
//
// The other errors wrap [ErrBodyTooLarge], [ErrBodyRead], [ErrEmptyBody],
// [ErrUnauthorized] or one of the errors of [Verifier.Verify].
func (v *Verifier) VerifyRequest(r *http.Request) ([]byte, Verification, error) {
	if !v.checkBasicAuth(r) {
		return nil, Verification{}, ErrUnauthorized
	}
	if r.ContentLength > v.maxBody {
		// Too large to be a delivery, signed or not: 413 before anything
		// is read.
		return nil, Verification{}, ErrBodyTooLarge
	}
	sig, ts := v.SignatureHeaders(r)
	limit := v.maxBody
	if sig == "" || ts == "" {
		limit = min(limit, maxPingBytes)
	}
	body, err := readBody(r, limit, v.budget)
	switch {
	case errors.Is(err, ErrBodyTooLarge) && limit < v.maxBody:
		return nil, Verification{}, ErrMissingSignature
	case err != nil:
		return nil, Verification{}, err
	}
	if len(body) == 0 && sig != "" {
		return nil, Verification{}, ErrEmptyBody
	}
	res, err := v.Verify(body, sig, ts)
	// Daily's verification request is a /webhooks one; a pinless hook has
	// its own test request, which its parser tells.
	if v.headers == WebhookHeaders && len(body) <= maxPingBytes && IsVerificationRequest(body) {
		if err != nil {
			return body, res, errors.Join(ErrVerificationRequest, err)
		}
		return body, res, ErrVerificationRequest
	}
	if err != nil {
		return nil, Verification{}, err
	}
	return body, res, nil
}

// RequestStatus returns the status a [Handler] answers a request with when
// [Verifier.VerifyRequest] returned err for it, so that every receiver
// built on VerifyRequest answers alike:
//
//	0    err is nil: the delivery is authentic, the caller answers it
//	200  Daily's verification request, when it verified or when
//	     strictVerificationRequest is false
//	413  ErrBodyTooLarge
//	503  ErrBodyBudget
//	400  ErrBodyRead or ErrEmptyBody
//	401  anything else: a missing or wrong signature or Authorization,
//	     or a stale timestamp
func RequestStatus(err error, strictVerificationRequest bool) int {
	switch {
	case err == nil:
		return 0
	case err == ErrVerificationRequest, errors.Is(err, ErrVerificationRequest) && !strictVerificationRequest:
		return http.StatusOK
	case errors.Is(err, ErrBodyTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, ErrBodyBudget):
		return http.StatusServiceUnavailable
	case errors.Is(err, ErrBodyRead), errors.Is(err, ErrEmptyBody):
		return http.StatusBadRequest
	}
	return http.StatusUnauthorized
}

// Sign returns the X-Webhook-Signature value Daily sends for body at the
// given X-Webhook-Timestamp value, with secret in the base64 form Daily
// shows. It returns an error wrapping [ErrInvalidSecret] for a secret that
// is empty or not standard base64.
func Sign(secret, timestamp string, body []byte) (string, error) {
	key, err := decodeSecret(secret)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(mac(key, timestamp, body)), nil
}

// NewSecret returns a new random secret of 32 bytes in base64, the form
// Daily's hmac setting takes. Give it to Daily when creating the webhook so
// that the receiver knows the secret before the first request.
func NewSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("events: reading random bytes: %w", err)
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// readBody reads the body of r, at most limit bytes of it, with its
// buffer taken from budget. It returns an error wrapping
// [ErrBodyTooLarge] for a longer body, without reading any of it when its
// declared length is already too long, one wrapping [ErrBodyBudget] when
// the budget has no room for its buffer, or one wrapping [ErrBodyRead].
//
// The buffer follows what arrives, never what is declared: a declared
// length up to initialBodyBuffer gets its buffer at once, with one byte
// more so that reading the end does not grow it; past that, the buffer
// doubles each time it fills, never beyond the declared length or the
// limit. So a request holds at most twice the bytes it sent, plus the
// initial buffer, whatever it declares, signed or not. What it holds while
// it reads is taken from the budget, and given back when it returns.
func readBody(r *http.Request, limit int64, budget *BodyBudget) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if r.ContentLength > limit {
		return nil, ErrBodyTooLarge
	}
	size := r.ContentLength
	if size < 0 || size > initialBodyBuffer {
		size = min(limit, initialBodyBuffer)
	}
	expected := limit
	if r.ContentLength >= 0 {
		expected = min(r.ContentLength, limit)
	}
	small := expected <= SmallBody
	held := size + 1
	if !budget.take(held, small) {
		return nil, ErrBodyBudget
	}
	defer func() { budget.give(held) }()
	buf := make([]byte, 0, held)
	lr := io.LimitedReader{R: r.Body, N: limit + 1}
	for {
		n, err := lr.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBodyRead, err)
		}
		if len(buf) == cap(buf) {
			more := int64(len(buf))
			if rest := r.ContentLength + 1 - int64(len(buf)); rest > 0 {
				more = min(more, rest)
			}
			more = min(more, limit+1-int64(len(buf)))
			// The old buffer is held until the copy is made.
			if !budget.take(int64(len(buf))+more, small) {
				return nil, ErrBodyBudget
			}
			grown := make([]byte, len(buf), int64(len(buf))+more)
			copy(grown, buf)
			budget.give(held)
			held = int64(cap(grown))
			buf = grown
		}
	}
	if int64(len(buf)) > limit {
		return nil, ErrBodyTooLarge
	}
	return buf, nil
}
