package eventstest

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/dailywebhooks/events"
)

// The known-answer vector of the events package's tests, computed with
// OpenSSL.
const (
	kaSecret    = "ZGFpbHkgd2ViaG9vayB0ZXN0IGtleSwgMzIgYnl0ZXM="
	kaBody      = `{"version":"1.0.0","type":"meeting.started","id":"met-sta-1","payload":{"start_ts":1708526032.672,"meeting_id":"m-1","room":"r"},"event_ts":1708526033.049}`
	kaSignature = "/YQ1+UYf2IRo20qerNEqwr7QVaiyoj0AmtY9UUZgoC8="
)

var kaTime = time.Unix(1708526033, 0)

func TestSigner(t *testing.T) {
	tests := []struct {
		name   string
		signer Signer
		wantTS string
	}{
		{"seconds", Signer{Secret: kaSecret, Time: kaTime}, "1708526033"},
		{"milliseconds", Signer{Secret: kaSecret, Time: kaTime.Add(250 * time.Millisecond), Milliseconds: true}, "1708526033250"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts, sig, err := tt.signer.Sign([]byte(kaBody))
			if err != nil || ts != tt.wantTS {
				t.Fatalf("Sign = %q, %q, %v; want timestamp %q", ts, sig, err, tt.wantTS)
			}
			want, _ := events.Sign(kaSecret, ts, []byte(kaBody))
			if sig != want {
				t.Errorf("Sign signature = %q, want %q", sig, want)
			}
		})
	}
	ts, _, err := Signer{Secret: kaSecret}.Sign(nil)
	if n, _ := strconv.ParseInt(ts, 10, 64); err != nil || time.Since(time.Unix(n, 0)).Abs() > time.Minute {
		t.Errorf("Signer with zero Time signed at %s, want now", ts)
	}
	if _, err := (Signer{}).NewRequest("/", nil); !errors.Is(err, events.ErrInvalidSecret) {
		t.Errorf("Signer without a secret: %v, want ErrInvalidSecret", err)
	}
	r, err := Signer{Secret: kaSecret}.NewRequest("/hook", []byte(kaBody))
	if err != nil || r.Method != http.MethodPost || r.Header.Get(events.HeaderSignature) == "" {
		t.Fatalf("NewRequest = %v, %v", r, err)
	}
	// The request works against a handler called directly, too.
	rec := httptest.NewRecorder()
	v, _ := events.NewVerifier(events.VerifierConfig{Secrets: []string{kaSecret}})
	(&events.Handler{Verifier: v, Handle: func(_ context.Context, _ events.Event) error { return nil }}).ServeHTTP(rec, r)
	if rec.Code != http.StatusOK {
		t.Errorf("handler status = %d, want 200", rec.Code)
	}
}

func TestSignerKnownAnswer(t *testing.T) {
	_, sig, err := Signer{Secret: kaSecret, Time: kaTime}.Sign([]byte(kaBody))
	if err != nil || sig != kaSignature {
		t.Errorf("Sign = %q, %v; want %q", sig, err, kaSignature)
	}
}
