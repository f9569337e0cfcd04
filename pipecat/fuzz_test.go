package pipecat_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/eventstest"
	"github.com/dailywebhooks/events/pipecat"
)

// FuzzParse parses arbitrary bodies: no panic, and a body that parses
// keeps its bytes, encodes to valid JSON, and parses again to the same
// type.
func FuzzParse(f *testing.F) {
	for _, typ := range pipecat.Types() {
		b, _ := eventstest.PipecatSample(typ)
		f.Add(b)
	}
	for _, s := range []string{``, `null`, `{}`, `{"event_type":"x","org":"o","data":{}}`, `{"event_type":"build.started","org":"o","created_at":"2026-08-25T11:40:32.1+00:00","data":{"commit_sha":null}}`, `{"event_type":1}`, `{"event_type":"spend.limit_reached","org":"o","data":{"limit_cents":1e400}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := pipecat.Parse(body)
		if valid := json.Valid(body); valid == errors.Is(err, events.ErrInvalidJSON) {
			t.Fatalf("Parse(%q) = %v, but json.Valid = %t", body, err, valid)
		}
		if err != nil {
			return
		}
		if !bytes.Equal(ev.Meta().Raw(), body) {
			t.Fatalf("Raw differs from the body")
		}
		out, err := json.Marshal(ev)
		if err != nil || !json.Valid(out) {
			t.Fatalf("json.Marshal = %s, %v", out, err)
		}
		again, err := pipecat.Parse(out)
		if err != nil || again.EventType() != ev.EventType() {
			t.Fatalf("Parse(Marshal) = %v, %v; want a %s", again, err, ev.EventType())
		}
	})
}

// FuzzHandler serves arbitrary bodies, signed or not, under either header
// family: no panic, and only the statuses the Handler documents.
func FuzzHandler(f *testing.F) {
	secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	v, err := pipecat.NewVerifier(pipecat.VerifierConfig{Secrets: []string{secret}, MaxBodyBytes: 64 << 10})
	if err != nil {
		f.Fatal(err)
	}
	h, _ := pipecat.NewHandler(v, func(context.Context, pipecat.Event) error { return nil })
	h.OnError = func(*http.Request, error) {}
	sample, _ := eventstest.PipecatSample(pipecat.TypeSessionStarted)
	f.Add(sample, true, false, "msg_1", "")
	f.Add([]byte(`null`), true, true, "msg_2", "")
	f.Add(sample, false, false, "msg_3", "v1,AAAA")
	f.Fuzz(func(t *testing.T, body []byte, sign, svix bool, id, signature string) {
		r, err := eventstest.PipecatSigner{Secret: secret, ID: id, Svix: svix, Time: time.Now()}.NewRequest("/pipecat", body)
		if err != nil {
			t.Fatal(err)
		}
		if !sign {
			r.Header.Set(pipecat.HeaderSignature, signature)
			r.Header.Set(pipecat.HeaderSvixSignature, signature)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		switch w.Code {
		case 200, 400, 401, 409, 413, 500:
		default:
			t.Fatalf("status %d", w.Code)
		}
	})
}
