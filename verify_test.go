package events_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/eventstest"
)

// The known-answer vector was computed outside this package, with OpenSSL:
//
//	KEY='daily webhook test key, 32 bytes'
//	printf '%s' "$KEY" | base64          # the secret as Daily shows it
//	printf '%s.%s' 1708526033 "$BODY" | openssl dgst -sha256 -hmac "$KEY" -binary | base64
//
// where BODY is kaBody below; Python's hmac module gives the same value.
const (
	kaSecret    = "ZGFpbHkgd2ViaG9vayB0ZXN0IGtleSwgMzIgYnl0ZXM="
	kaTimestamp = "1708526033"
	kaBody      = `{"version":"1.0.0","type":"meeting.started","id":"met-sta-1","payload":{"start_ts":1708526032.672,"meeting_id":"m-1","room":"r"},"event_ts":1708526033.049}`
	kaSignature = "/YQ1+UYf2IRo20qerNEqwr7QVaiyoj0AmtY9UUZgoC8="
)

// otherSecret is a second valid secret, for rotation and wrong-secret cases.
const otherSecret = "c2Vjb25kIHNlY3JldCBmb3Igcm90YXRpb24gdGVzdHM="

var kaTime = time.Unix(1708526033, 0)

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

func TestSignKnownAnswer(t *testing.T) {
	got, err := events.Sign(kaSecret, kaTimestamp, []byte(kaBody))
	if err != nil || got != kaSignature {
		t.Fatalf("Sign = %q, %v; want %q", got, err, kaSignature)
	}
	v, err := events.NewVerifier(events.VerifierConfig{Secrets: []string{kaSecret}, Now: fixedClock(kaTime)})
	if err != nil {
		t.Fatal(err)
	}
	res, err := v.Verify([]byte(kaBody), kaSignature, kaTimestamp)
	if err != nil || res.SecretIndex != 0 || !res.Timestamp.Equal(kaTime) {
		t.Errorf("Verify(known answer) = %+v, %v", res, err)
	}
}

func TestNewVerifierErrors(t *testing.T) {
	tests := []struct {
		name    string
		secrets []string
	}{
		{"none", nil},
		{"empty", []string{""}},
		{"not base64", []string{"not base64!"}},
		{"url alphabet", []string{"-_-_"}},
		{"one bad among good", []string{kaSecret, "%%%"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := events.NewVerifier(events.VerifierConfig{Secrets: tt.secrets})
			if !errors.Is(err, events.ErrInvalidSecret) || v != nil {
				t.Fatalf("NewVerifier(%q) = %v, %v; want ErrInvalidSecret", tt.secrets, v, err)
			}
			for _, s := range tt.secrets {
				if s != "" && strings.Contains(err.Error(), s) {
					t.Errorf("error %q contains the secret", err)
				}
			}
		})
	}
	if _, err := events.Sign("", "1", nil); !errors.Is(err, events.ErrInvalidSecret) {
		t.Errorf("Sign with an empty secret: %v, want ErrInvalidSecret", err)
	}
}

func TestVerify(t *testing.T) {
	body := []byte(kaBody)
	sign := func(secret string, ts string, b []byte) string {
		s, err := events.Sign(secret, ts, b)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	ms := strconv.FormatInt(kaTime.UnixMilli(), 10)
	tests := []struct {
		name       string
		config     events.VerifierConfig
		body       []byte
		signature  string
		timestamp  string
		wantErr    error
		wantSecret int
	}{
		{name: "valid", body: body, signature: kaSignature, timestamp: kaTimestamp},
		{name: "milliseconds", body: body, signature: sign(kaSecret, ms, body), timestamp: ms},
		{name: "second secret during rotation", config: events.VerifierConfig{Secrets: []string{otherSecret, kaSecret}}, body: body, signature: kaSignature, timestamp: kaTimestamp, wantSecret: 1},
		{name: "body changed", body: bytes.Replace(body, []byte(`"r"`), []byte(`"x"`), 1), signature: kaSignature, timestamp: kaTimestamp, wantErr: events.ErrInvalidSignature},
		{name: "timestamp changed", body: body, signature: kaSignature, timestamp: "1708526034", wantErr: events.ErrInvalidSignature},
		{name: "other secret", body: body, signature: sign(otherSecret, kaTimestamp, body), timestamp: kaTimestamp, wantErr: events.ErrInvalidSignature},
		{name: "garbage signature", body: body, signature: "not-a-signature", timestamp: kaTimestamp, wantErr: events.ErrInvalidSignature},
		{name: "short signature", body: body, signature: "AAAA", timestamp: kaTimestamp, wantErr: events.ErrInvalidSignature},
		{name: "non-canonical base64 of the right bytes", body: body, signature: "/YQ1+UYf2IRo20qerNEqwr7QVaiyoj0AmtY9UUZgoC9=", timestamp: kaTimestamp, wantErr: events.ErrInvalidSignature},
		{name: "hex signature", body: body, signature: "fd8435f9461fd88468db4a9eacd12ac2bed055a8b2a23d009ad63d5146602c2f", timestamp: kaTimestamp, wantErr: events.ErrInvalidSignature},
		{name: "no signature", body: body, timestamp: kaTimestamp, wantErr: events.ErrMissingSignature},
		{name: "no timestamp", body: body, signature: kaSignature, wantErr: events.ErrMissingSignature},
		{name: "hour old", config: events.VerifierConfig{Now: fixedClock(kaTime.Add(time.Hour))}, body: body, signature: kaSignature, timestamp: kaTimestamp, wantErr: events.ErrStaleTimestamp},
		{name: "from the future", config: events.VerifierConfig{Now: fixedClock(kaTime.Add(-6 * time.Minute))}, body: body, signature: kaSignature, timestamp: kaTimestamp, wantErr: events.ErrStaleTimestamp},
		{name: "inside a custom tolerance", config: events.VerifierConfig{Tolerance: 2 * time.Hour, Now: fixedClock(kaTime.Add(time.Hour))}, body: body, signature: kaSignature, timestamp: kaTimestamp},
		{name: "check disabled", config: events.VerifierConfig{DisableTimestampCheck: true, Now: fixedClock(kaTime.Add(1000 * time.Hour))}, body: body, signature: kaSignature, timestamp: kaTimestamp},
		{name: "non-numeric timestamp", body: body, signature: sign(kaSecret, "yesterday", body), timestamp: "yesterday", wantErr: events.ErrInvalidTimestamp},
		{name: "non-numeric timestamp, check disabled", config: events.VerifierConfig{DisableTimestampCheck: true}, body: body, signature: sign(kaSecret, "x", body), timestamp: "x"},
		{name: "re-serialised body rejected by default", body: []byte(strings.ReplaceAll(kaBody, ",", ", ")), signature: kaSignature, timestamp: kaTimestamp, wantErr: events.ErrInvalidSignature},
		{name: "re-serialised body with compact fallback", config: events.VerifierConfig{CompactFallback: true}, body: []byte(strings.ReplaceAll(kaBody, ",", ", ")), signature: kaSignature, timestamp: kaTimestamp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.config
			if c.Secrets == nil {
				c.Secrets = []string{kaSecret}
			}
			if c.Now == nil {
				c.Now = fixedClock(kaTime.Add(30 * time.Second))
			}
			v, err := events.NewVerifier(c)
			if err != nil {
				t.Fatal(err)
			}
			res, err := v.Verify(tt.body, tt.signature, tt.timestamp)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify = %+v, %v; want error %v", res, err, tt.wantErr)
			}
			if err != nil {
				msg := err.Error()
				for _, secret := range []string{kaSecret, otherSecret, kaSignature} {
					if strings.Contains(msg, secret) {
						t.Errorf("error %q leaks a secret or signature", msg)
					}
				}
				return
			}
			if res.SecretIndex != tt.wantSecret {
				t.Errorf("Verify matched secret %d, want %d", res.SecretIndex, tt.wantSecret)
			}
		})
	}
}

// TestVerifyErrorNeverLeaksTheSignature checks every error of a wrong
// signature for the signature that would have been valid.
func TestVerifyErrorNeverLeaksTheSignature(t *testing.T) {
	v, err := events.NewVerifier(events.VerifierConfig{Secrets: []string{kaSecret}, Now: fixedClock(kaTime)})
	if err != nil {
		t.Fatal(err)
	}
	for _, sig := range []string{"", "x", "AAAA", kaSignature[:10], strings.ToLower(kaSignature)} {
		_, err := v.Verify([]byte(kaBody), sig, kaTimestamp)
		if err == nil || strings.Contains(err.Error(), kaSignature) || strings.Contains(err.Error(), kaSecret) {
			t.Errorf("Verify(signature %q) = %v", sig, err)
		}
	}
}

func TestVerifyRequest(t *testing.T) {
	v, err := events.NewVerifier(events.VerifierConfig{Secrets: []string{kaSecret}, BasicAuth: "s3cr3t", MaxBodyBytes: 1024, Now: fixedClock(kaTime)})
	if err != nil {
		t.Fatal(err)
	}
	signer := eventstest.Signer{Secret: kaSecret, Time: kaTime, BasicAuth: "s3cr3t"}
	tests := []struct {
		name     string
		signer   eventstest.Signer
		body     []byte
		edit     func(*http.Request)
		wantErr  error
		wantBody bool // a body is returned with the error
	}{
		{name: "valid", signer: signer, body: []byte(kaBody), wantBody: true},
		{name: "no basic auth", signer: eventstest.Signer{Secret: kaSecret, Time: kaTime}, body: []byte(kaBody), wantErr: events.ErrUnauthorized},
		{name: "wrong basic auth", signer: eventstest.Signer{Secret: kaSecret, Time: kaTime, BasicAuth: "guess"}, body: []byte(kaBody), wantErr: events.ErrUnauthorized},
		{name: "too large", signer: signer, body: bytes.Repeat([]byte(" "), 2048), wantErr: events.ErrBodyTooLarge},
		{name: "too large without Content-Length", signer: signer, body: bytes.Repeat([]byte(" "), 2048), edit: func(r *http.Request) { r.ContentLength = -1 }, wantErr: events.ErrBodyTooLarge},
		{name: "headers removed", signer: signer, body: []byte(kaBody), edit: func(r *http.Request) { r.Header.Del(events.HeaderSignature) }, wantErr: events.ErrMissingSignature},
		{name: "unsigned, longer than the ping", signer: signer, body: bytes.Repeat([]byte(" "), 300), edit: func(r *http.Request) { r.Header.Del(events.HeaderSignature); r.ContentLength = -1 }, wantErr: events.ErrMissingSignature},
		{name: "body read by a middleware", signer: signer, body: []byte(kaBody), edit: func(r *http.Request) { io.ReadAll(r.Body) }, wantErr: events.ErrEmptyBody},
		{name: "verification request", signer: signer, body: []byte(`{"test":"test"}`), wantErr: events.ErrVerificationRequest, wantBody: true},
		{name: "unsigned verification request", signer: signer, body: []byte(` { "test" : "test" } `), edit: func(r *http.Request) { r.Header.Del(events.HeaderTimestamp) }, wantErr: events.ErrMissingSignature, wantBody: true},
		{name: "verification request, other secret", signer: eventstest.Signer{Secret: otherSecret, Time: kaTime, BasicAuth: "s3cr3t"}, body: []byte(`{"test":"test"}`), wantErr: events.ErrInvalidSignature, wantBody: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := tt.signer.NewRequest("http://example.com/hook", tt.body)
			if err != nil {
				t.Fatal(err)
			}
			if tt.edit != nil {
				tt.edit(r)
			}
			body, res, err := v.VerifyRequest(r)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("VerifyRequest error = %v, want %v", err, tt.wantErr)
			}
			if got := body != nil; got != tt.wantBody || (got && !bytes.Equal(body, tt.body)) {
				t.Errorf("VerifyRequest body = %q, want the request's: %t", body, tt.wantBody)
			}
			// The verification request that verified is told by the
			// sentinel itself; one that did not wraps the reason too.
			verified := err == nil || err == events.ErrVerificationRequest
			if wantVerified := tt.wantErr == nil || tt.wantErr == events.ErrVerificationRequest; verified != wantVerified {
				t.Errorf("VerifyRequest error %v: verified %t, want %t", err, verified, wantVerified)
			}
			if verified && res.Timestamp.IsZero() {
				t.Errorf("VerifyRequest verification = %+v, want the timestamp", res)
			}
		})
	}
}

func TestNewSecret(t *testing.T) {
	a, err := events.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := events.NewSecret()
	if a == b {
		t.Error("NewSecret returned the same secret twice")
	}
	if _, err := events.NewVerifier(events.VerifierConfig{Secrets: []string{a}}); err != nil {
		t.Errorf("NewVerifier(NewSecret()) error: %v", err)
	}
}

// TestSecretsNeverFormat formats and logs every value that holds a secret,
// a key or a basic-auth value, and finds none of them in the output.
func TestSecretsNeverFormat(t *testing.T) {
	const basic = "dXNlcjpwYXNzd29yZC1zZWNyZXQ="
	cfg := events.VerifierConfig{Secrets: []string{kaSecret, otherSecret}, BasicAuth: basic}
	v, err := events.NewVerifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := base64.StdEncoding.DecodeString(kaSecret)
	signer := eventstest.Signer{Secret: kaSecret, BasicAuth: basic}
	h := &events.Handler{Verifier: v, Handle: func(context.Context, events.Event) error { return nil }}
	// Forms in which a secret could show: base64, the raw key as text,
	// and the raw key as fmt prints a byte slice.
	forbidden := []string{kaSecret, otherSecret, basic, string(key), strings.Trim(fmt.Sprint(key), "[]"), fmt.Sprintf("%x", key)}
	values := map[string]any{
		"VerifierConfig": cfg, "*VerifierConfig": &cfg, "*Verifier": v,
		"Signer": signer, "*Signer": &signer, "*Handler": h,
	}
	for name, val := range values {
		var outs []string
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
			outs = append(outs, fmt.Sprintf(verb, val))
		}
		outs = append(outs, fmt.Sprint(val), fmt.Sprintf("%v", []any{val}), fmt.Sprintf("%+v", struct{ V any }{val}))
		for _, newHandler := range []func(io.Writer) slog.Handler{
			func(w io.Writer) slog.Handler { return slog.NewJSONHandler(w, nil) },
			func(w io.Writer) slog.Handler { return slog.NewTextHandler(w, nil) },
		} {
			var buf bytes.Buffer
			slog.New(newHandler(&buf)).Info("config", "value", val)
			outs = append(outs, buf.String())
		}
		for _, out := range outs {
			for _, secret := range forbidden {
				if strings.Contains(out, secret) {
					t.Errorf("%s formats as %q, which shows a secret", name, out)
				}
			}
		}
	}
	// The redacted forms still say what is set.
	if got := fmt.Sprint(v); !strings.Contains(got, "2 redacted") || !strings.Contains(got, "basic auth: [redacted]") {
		t.Errorf("fmt.Sprint(verifier) = %q, want the number of keys and that basic auth is set", got)
	}
}

func TestRequestStatus(t *testing.T) {
	unverifiedPing := errors.Join(events.ErrVerificationRequest, events.ErrMissingSignature)
	tests := []struct {
		err    error
		strict bool
		want   int
	}{
		{nil, false, 0},
		{events.ErrVerificationRequest, true, 200},
		{unverifiedPing, false, 200},
		{unverifiedPing, true, 401},
		{events.ErrBodyTooLarge, false, 413},
		{fmt.Errorf("%w: %w", events.ErrBodyRead, io.ErrUnexpectedEOF), false, 400},
		{events.ErrEmptyBody, false, 400},
		{events.ErrStaleTimestamp, false, 401},
		{events.ErrUnauthorized, false, 401},
	}
	for _, tt := range tests {
		if got := events.RequestStatus(tt.err, tt.strict); got != tt.want {
			t.Errorf("RequestStatus(%v, %t) = %d, want %d", tt.err, tt.strict, got, tt.want)
		}
	}
}
