package events_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dailywebhooks/events"
)

// The worked example of the pinless dial-in spec (§4).
const (
	pinlessSecret = "9jyatvPWQfBymCGDOYPYKF/TRZXR+08Gj4bvPF78pH0="
	pinlessBody   = `{"To":"+12555599999","From":"+14158483432","callId":"ff1e7130-7752-4304-9cf4-08d2583a41dc","callDomain":"04b89420-cf8b-4ea5-a428-02c40b0e2a59"}`
)

// TestPinlessWorkedExample verifies the spec's worked example, in seconds
// and in milliseconds, with the pinless headers, among two secrets.
func TestPinlessWorkedExample(t *testing.T) {
	tests := []struct {
		name, ts, sig string
		at            time.Time
	}{
		{"seconds", "1744186319", "VG10QNZsOVDF8qVr4TZWXe6IbTN+GujibnYXsC8TDFc=", time.Unix(1744186319, 0)},
		{"milliseconds", "1744186319195", "xQY2JU9Gw5B5IBaAhywvyKsAq6Vb9zRlQeCf+HgDr+o=", time.UnixMilli(1744186319195)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := events.Sign(pinlessSecret, tt.ts, []byte(pinlessBody)); err != nil || got != tt.sig {
				t.Errorf("Sign = %q, %v; want %q", got, err, tt.sig)
			}
			v, err := events.NewVerifier(events.VerifierConfig{
				Secrets: []string{"b3RoZXIgc2VjcmV0IG9mIHRoZSBvdGhlciBjb25maWc=", pinlessSecret},
				Headers: events.PinlessHeaders,
				Now:     func() time.Time { return tt.at.Add(time.Minute) },
			})
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest("POST", "/dialin", strings.NewReader(pinlessBody))
			r.Header.Set(events.HeaderPinlessTimestamp, tt.ts)
			r.Header.Set(events.HeaderPinlessSignature, tt.sig)
			body, res, err := v.VerifyRequest(r)
			if err != nil || string(body) != pinlessBody || res.SecretIndex != 1 || !res.Timestamp.Equal(tt.at) {
				t.Errorf("VerifyRequest = %q, %+v, %v", body, res, err)
			}
			// The /webhooks headers do not verify a pinless verifier's request.
			r = httptest.NewRequest("POST", "/dialin", strings.NewReader(pinlessBody))
			r.Header.Set(events.HeaderTimestamp, tt.ts)
			r.Header.Set(events.HeaderSignature, tt.sig)
			if _, _, err := v.VerifyRequest(r); !errors.Is(err, events.ErrMissingSignature) {
				t.Errorf("VerifyRequest with the /webhooks headers = %v, want ErrMissingSignature", err)
			}
		})
	}
}

func TestParsePinlessCall(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr error
		check   func(*events.PinlessCall) bool
	}{
		{"the spec's call", pinlessBody, nil, func(c *events.PinlessCall) bool {
			return c.To == "+12555599999" && c.From == "+14158483432" && c.CallID == "ff1e7130-7752-4304-9cf4-08d2583a41dc" && c.CallDomain == "04b89420-cf8b-4ea5-a428-02c40b0e2a59" && c.SIPHeaders == nil
		}},
		{"SIP headers and a key of Daily's own", `{"To":"sip:a@b","From":"+1","callId":"c","callDomain":"d","sipHeaders":{"X-My-Header":"v"},"newKey":[1]}`, nil, func(c *events.PinlessCall) bool {
			return c.SIPHeaders["X-My-Header"] == "v"
		}},
		{"the test request, Test", `{"Test":"test"}`, events.ErrPinlessTest, nil},
		{"the test request, test", `{"test":"test","callId":"x"}`, events.ErrPinlessTest, nil},
		{"the test request, no callId", `{"To":"+14152251493"}`, events.ErrPinlessTest, nil},
		{"not JSON", `{"To":`, events.ErrInvalidJSON, nil},
		{"not an object", `["To"]`, events.ErrNotObject, nil},
		{"null", `null`, events.ErrNotObject, nil},
		{"callId of another type", `{"callId":7,"callDomain":"d"}`, events.ErrInvalidField, nil},
		{"sipHeaders of another type", `{"callId":"c","sipHeaders":["x"]}`, events.ErrInvalidField, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := events.ParsePinlessCall([]byte(tt.in))
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("ParsePinlessCall(%s) = %v, want %v", tt.in, err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if !tt.check(c) {
				t.Errorf("ParsePinlessCall(%s) = %+v", tt.in, c)
			}
			out, err := json.Marshal(c)
			if err != nil || string(out) != tt.in {
				t.Errorf("json.Marshal = %s, %v; want the body back", out, err)
			}
		})
	}
	built, _ := json.Marshal(events.PinlessCall{To: "+1", From: "+2", CallID: "c", CallDomain: "d"})
	if string(built) != `{"To":"+1","From":"+2","callId":"c","callDomain":"d"}` {
		t.Errorf("a call built in code marshals as %s", built)
	}
}

// TestVerifyRequestDeclaredTooLarge sends a body declared over the limit,
// unsigned: 413, whoever signs, before anything is read.
func TestVerifyRequestDeclaredTooLarge(t *testing.T) {
	for _, h := range []events.Headers{events.WebhookHeaders, events.PinlessHeaders} {
		v, _ := events.NewVerifier(events.VerifierConfig{Secrets: []string{pinlessSecret}, Headers: h, MaxBodyBytes: 1024})
		r := httptest.NewRequest("POST", "/", bytes.NewReader(make([]byte, 2048)))
		if _, _, err := v.VerifyRequest(r); !errors.Is(err, events.ErrBodyTooLarge) {
			t.Errorf("%v: an unsigned body declared over the limit = %v, want ErrBodyTooLarge", h, err)
		}
	}
}

// FuzzParsePinlessCall parses anything without panicking; a call keeps
// its body byte for byte (Raw), marshals to an equal JSON value
// (encoding/json compacts a Marshaler's output and escapes &, < and >),
// and parses again to the same fields.
func FuzzParsePinlessCall(f *testing.F) {
	for _, s := range []string{pinlessBody, `{"Test":"test"}`, `{"To":"+1"}`, `{"callId":"c","sipHeaders":{"a":"b"}}`, `null`, `[]`, `{"callId":"c","callId":"d"}`, strings.Repeat("[", 10001)} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body) > 1<<20 {
			return
		}
		c, err := events.ParsePinlessCall(body)
		if err != nil {
			_ = err.Error()
			if c != nil {
				t.Fatal("a call with an error")
			}
			return
		}
		if !bytes.Equal(c.Raw(), body) {
			t.Fatalf("Raw = %q, want the body %q", c.Raw(), body)
		}
		out, err := json.Marshal(c)
		var want, got any
		if err != nil || json.Unmarshal(body, &want) != nil || json.Unmarshal(out, &got) != nil || !reflect.DeepEqual(want, got) {
			t.Fatalf("json.Marshal = %q, %v; want a value equal to the body %q", out, err, body)
		}
		again, err := events.ParsePinlessCall(out)
		if err != nil || again.CallID != c.CallID || again.To != c.To || again.From != c.From || again.CallDomain != c.CallDomain || len(again.SIPHeaders) != len(c.SIPHeaders) {
			t.Fatalf("parsed again: %+v, %v; first %+v", again, err, c)
		}
	})
}
