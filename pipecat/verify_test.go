package pipecat_test

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/pipecat"
)

// The worked example of the specification (§3.4).
const (
	specSecret  = "whsec_AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcY"
	specSecret2 = "whsec_ZWZnaGlqa2xtbm9wcXJzdHV2d3h5ent8"
	specID      = "msg_2tGqK8nVx4ZcP1wRb7YdLm3Hs9E"
	specTS      = "1744186319"
	specBody    = `{"event_type":"spend.limit_cleared","org":"acme-co","created_at":"2025-04-09T08:11:59.000Z","data":{"previous_limit_cents":10000}}`
	specSig     = "v1,hAnV6w8tqtSmOTUprHe4qLYHXDSL5YOPv9pMD3DRti0="
	specSig2    = "v1,jdbI7EN5hJ5wnM6SW+bdGiE02yM/483oaQbGIQnfD88="
)

var specTime = time.Unix(1744186319, 0)

func TestSign(t *testing.T) {
	tests := []struct {
		name, secret, id, ts, body, want string
	}{
		{"the worked example", specSecret, specID, specTS, specBody, specSig},
		{"the second secret", specSecret2, specID, specTS, specBody, specSig2},
		{"a re-serialised body", specSecret, specID, specTS, strings.Replace(specBody, `":10000`, `": 10000`, 1), "v1,Outfw7Um8Y5FAIAgja6ryDgfNa35jG6UHF8eqP6kVqw="},
		{"another timestamp", specSecret, specID, "1744186320", specBody, "v1,BlX9J6PPNtK6CAFAKCG98k/XXXe8EahAZDdlczM66fA="},
		{"the Standard Webhooks vector", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", `{"test": 2432232314}`, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="},
		{"a secret without padding", "whsec_AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcY", specID, specTS, specBody, specSig},
		{"a secret without its prefix", "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcY", specID, specTS, specBody, specSig},
	}
	for _, tt := range tests {
		got, err := pipecat.Sign(tt.secret, tt.id, tt.ts, []byte(tt.body))
		if err != nil || got != tt.want {
			t.Errorf("%s: Sign = %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
	// 33 bytes encode without padding in 44 characters; 32 need one "=".
	unpadded := "whsec_" + strings.TrimRight("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwAAAAAAAAAAA=", "=")
	if _, err := pipecat.NewVerifier(pipecat.VerifierConfig{Secrets: []string{unpadded}}); err != nil {
		t.Errorf("a secret without base64 padding: %v", err)
	}
}

func TestNewVerifierSecrets(t *testing.T) {
	for _, secrets := range [][]string{nil, {}, {""}, {"whsec_"}, {"whsec_not base64!"}, {specSecret, "whsec_%%%"}} {
		_, err := pipecat.NewVerifier(pipecat.VerifierConfig{Secrets: secrets})
		if !errors.Is(err, events.ErrInvalidSecret) {
			t.Errorf("NewVerifier(%q) = %v, want ErrInvalidSecret", secrets, err)
		}
		if err != nil && strings.Contains(err.Error(), "%%%") {
			t.Errorf("the error shows the secret: %v", err)
		}
	}
	if _, err := pipecat.NewVerifier(pipecat.VerifierConfig{Secrets: []string{specSecret}, MaxBodyBytes: 9 << 20}); !errors.Is(err, events.ErrMisconfigured) {
		t.Errorf("MaxBodyBytes of 9 MiB = %v, want ErrMisconfigured", err)
	}
}

func TestVerify(t *testing.T) {
	at := func(d time.Duration) func() time.Time { return func() time.Time { return specTime.Add(d) } }
	h := pipecat.Headers{ID: specID, Timestamp: specTS, Signature: specSig}
	with := func(edit func(*pipecat.Headers)) pipecat.Headers { c := h; edit(&c); return c }
	tests := []struct {
		name    string
		secrets []string
		now     func() time.Time
		h       pipecat.Headers
		body    string
		want    error
	}{
		{"the worked example", []string{specSecret}, at(0), h, specBody, nil},
		{"4m59s later", []string{specSecret}, at(4*time.Minute + 59*time.Second), h, specBody, nil},
		{"5m01s later", []string{specSecret}, at(5*time.Minute + time.Second), h, specBody, events.ErrStaleTimestamp},
		{"5m01s earlier", []string{specSecret}, at(-5*time.Minute - time.Second), h, specBody, events.ErrStaleTimestamp},
		{"a real clock", []string{specSecret}, nil, h, specBody, events.ErrStaleTimestamp},
		{"rotation: the second secret signs", []string{specSecret, specSecret2}, at(0), with(func(h *pipecat.Headers) { h.Signature = specSig2 }), specBody, nil},
		{"two signatures, the second valid", []string{specSecret}, at(0), with(func(h *pipecat.Headers) { h.Signature = specSig2 + " " + specSig }), specBody, nil},
		{"two signatures, repeated spaces", []string{specSecret}, at(0), with(func(h *pipecat.Headers) { h.Signature = "  v1a,xyz   " + specSig + "  " }), specBody, nil},
		{"only another version", []string{specSecret}, at(0), with(func(h *pipecat.Headers) { h.Signature = "v1a," + specSig[3:] }), specBody, events.ErrInvalidSignature},
		{"a signature of another secret", []string{specSecret2}, at(0), h, specBody, events.ErrInvalidSignature},
		{"a re-serialised body", []string{specSecret}, at(0), h, strings.Replace(specBody, `":10000`, `": 10000`, 1), events.ErrInvalidSignature},
		{"another timestamp", []string{specSecret}, at(0), with(func(h *pipecat.Headers) { h.Timestamp = "1744186320" }), specBody, events.ErrInvalidSignature},
		{"another id", []string{specSecret}, at(0), with(func(h *pipecat.Headers) { h.ID = "msg_other" }), specBody, events.ErrInvalidSignature},
		{"a cut signature", []string{specSecret}, at(0), with(func(h *pipecat.Headers) { h.Signature = specSig[:20] }), specBody, events.ErrInvalidSignature},
		{"milliseconds", []string{specSecret}, at(0), with(func(h *pipecat.Headers) { h.Timestamp = "1744186319000" }), specBody, events.ErrInvalidTimestamp},
		{"a signed timestamp", []string{specSecret}, at(0), with(func(h *pipecat.Headers) { h.Timestamp = "-1744186319" }), specBody, events.ErrInvalidTimestamp},
		{"no id", []string{specSecret}, at(0), with(func(h *pipecat.Headers) { h.ID = "" }), specBody, events.ErrMissingSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := pipecat.NewVerifier(pipecat.VerifierConfig{Secrets: tt.secrets, Now: tt.now})
			if err != nil {
				t.Fatal(err)
			}
			err = v.Verify(tt.h, []byte(tt.body))
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), specSig[3:]) {
				t.Errorf("the error shows the signature: %v", err)
			}
		})
	}
}

// TestHeadersOf takes one whole family, webhook- first, and never mixes
// them.
func TestHeadersOf(t *testing.T) {
	tests := []struct {
		name   string
		header map[string]string
		want   pipecat.Headers
		ok     bool
	}{
		{"webhook-", map[string]string{"webhook-id": "a", "webhook-timestamp": "1", "webhook-signature": "s"}, pipecat.Headers{ID: "a", Timestamp: "1", Signature: "s"}, true},
		{"svix-", map[string]string{"svix-id": "a", "svix-timestamp": "1", "svix-signature": "s"}, pipecat.Headers{ID: "a", Timestamp: "1", Signature: "s", Svix: true}, true},
		{"both: webhook- wins", map[string]string{"webhook-id": "a", "webhook-timestamp": "1", "webhook-signature": "s", "svix-id": "b", "svix-timestamp": "2", "svix-signature": "t"}, pipecat.Headers{ID: "a", Timestamp: "1", Signature: "s"}, true},
		{"a partial webhook- family and a whole svix-", map[string]string{"webhook-id": "a", "svix-id": "b", "svix-timestamp": "2", "svix-signature": "t"}, pipecat.Headers{ID: "b", Timestamp: "2", Signature: "t", Svix: true}, true},
		{"mixed, neither whole", map[string]string{"webhook-id": "a", "svix-timestamp": "2", "svix-signature": "t"}, pipecat.Headers{}, false},
		{"none", nil, pipecat.Headers{}, false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("POST", "/", nil)
		for k, v := range tt.header {
			r.Header.Set(k, v)
		}
		got, ok := pipecat.HeadersOf(r)
		if ok != tt.ok || ok && got != tt.want {
			t.Errorf("%s: HeadersOf = %+v, %t; want %+v, %t", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}
