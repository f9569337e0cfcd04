package events

import (
	"bytes"
	"net/http"
	"strconv"
	"time"
)

// A Signer signs deliveries the way Daily does, so that tests can send a
// receiver genuinely signed requests. Its zero value is not useful: Secret
// is required. All its fields are exported, so any test can build one.
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
// body. It returns an error wrapping [ErrInvalidSecret] for a bad Secret.
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
	signature, err = Sign(s.Secret, timestamp, body)
	return timestamp, signature, err
}

// NewRequest returns a signed POST request of body to url, with the headers
// Daily sends. It suits both an http.Client and a handler called directly,
// as with net/http/httptest.
func (s Signer) NewRequest(url string, body []byte) (*http.Request, error) {
	timestamp, signature, err := s.Sign(body)
	if err != nil {
		return nil, err
	}
	r, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(HeaderTimestamp, timestamp)
	r.Header.Set(HeaderSignature, signature)
	if s.BasicAuth != "" {
		r.Header.Set("Authorization", "Basic "+s.BasicAuth)
	}
	return r, nil
}
