package events_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/eventstest"
	"github.com/google/go-cmp/cmp"
)

// maxFuzzInput caps fuzz inputs at the default body limit of a receiver.
const maxFuzzInput = events.DefaultMaxBodyBytes

// edgeSeeds are inputs every fuzz target starts from besides the golden
// deliveries: odd kinds, deep nesting, huge numbers, invalid UTF-8 and
// duplicate keys.
var edgeSeeds = []string{
	``, `null`, `[]`, `{}`, `true`, `0`, `"x"`, `{"test":"test"}`,
	strings.Repeat(`[`, 20000) + strings.Repeat(`]`, 20000),
	`{"version":"1.0.0","type":"participant.joined","payload":` + strings.Repeat(`{"a":`, 5000) + `1` + strings.Repeat(`}`, 5000) + `}`,
	`{"version":"1.0.0","type":"participant.joined","payload":{"joined_at":1e400,"will_eject_at":123456789012345678901234567890}}`,
	`{"version":"1.0.0","type":"meeting.started","payload":{"start_ts":-0.000000000001,"room":"\xff\xfe"}}`,
	"{\"version\":\"1.0.0\",\"type\":\"meeting.started\",\"payload\":{\"room\":\"\xc3\x28\"}}",
	`{"version":"1.0.0","type":"meeting.started","type":"meeting.ended","payload":{}}`,
	`{"version":"1.0.0","type":"participant.joined","payload":{"permissions":{"canSend":true,"canSend":["video"],"CANSEND":false}}}`,
	`{"version":"1.0.0","Type":"participant.joined","payload":{}}`,
	`{"version":"1.0.0","type":"participant\u002ejoined","payload":{}}`,
	`{"version":"1.0.0","type":"dialin.connected","payload":{"sip_headers":{"a":"b","a":1,"c":[null]}}}`,
	`{"version":"1.1.0","type":"transcript.error","payload":{"out_params":{"s3":{"externalId":"a","external_id":"b"}}}}`,
	`{"version":"1.0.0","type":"recording.started","payload":{"layout":{"preset":"custom","composition_params":{"a":{"b":[1,"2",null]}}}}}`,
	`{"version":"1.0.0","type":"participant.joined","payload":{"permissions":{"canReceive":{"base":{"customVideo":{"*":true}},"byUserId":{"":false}}}}}`,
	// An overridden payload must be valid JSON too.
	`{"version":"1.0.0","type":"meeting.started","payload":x,"payload":{"room":"x"}}`,
	`{"version":"1.0.0","type":"meeting.started","payload":"\q","payload":{"room":"x"}}`,
	`{"version":"1.0.0","type":"meeting.started","payload":[},"payload":{"room":"x"}}`,
	`{"version":"1.0.0","type":"meeting.started","payload":{"a":[1}],"payload":{"room":"x"}}`,
	// The top-level object counts toward the nesting limit.
	`{"version":"1.0.0","type":"meeting.started","a":` + strings.Repeat(`[`, 10000) + strings.Repeat(`]`, 10000) + `,"payload":{}}`,
	`{"version":"1.0.0","type":"meeting.started","a":` + strings.Repeat(`[`, 9999) + strings.Repeat(`]`, 9999) + `,"payload":{}}`,
	`{"version":"1.0.0","type":"meeting.started","payload":{"a":` + strings.Repeat(`[`, 9999) + strings.Repeat(`]`, 9999) + `}}`,
	`{"version":"1.0.0","type":"meeting.started","payload":{"a":` + strings.Repeat(`[`, 9998) + strings.Repeat(`]`, 9998) + `}}`,
}

// addSeeds adds every golden delivery and the edge cases to f.
func addSeeds(f *testing.F) {
	for _, name := range goldenFiles(f) {
		f.Add(readFile(f, name))
	}
	for _, s := range edgeSeeds {
		f.Add([]byte(s))
	}
}

// checkError checks the properties every error of this package has: it
// formats without panicking, its text starts with "events: ", and walking
// its chain does not panic.
func checkError(t *testing.T, err error) {
	t.Helper()
	msg := err.Error()
	if !strings.HasPrefix(msg, "events: ") {
		t.Errorf("error %q does not start with %q", msg, "events: ")
	}
	_ = fmt.Sprintf("%v %+v %q", err, err, err)
	var ve *events.VersionError
	_ = errors.As(err, &ve)
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		_ = te.Error()
	}
	for e := err; e != nil; e = errors.Unwrap(e) {
		_ = e.Error()
	}
}

// payloadOf returns the Payload field of an event.
func payloadOf(ev events.Event) reflect.Value {
	return reflect.ValueOf(ev).Elem().FieldByName("Payload")
}

func FuzzParse(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzInput {
			return
		}
		// A buffer with spare capacity, as a caller reusing a read
		// buffer passes.
		buf := make([]byte, len(data), len(data)+64)
		copy(buf, data)
		ev, err := events.Parse(buf)
		// Parse reads the envelope itself, so check it against
		// encoding/json: it accepts only valid JSON, and reads the
		// envelope as encoding/json does.
		valid := json.Valid(data)
		if !valid && !errors.Is(err, events.ErrInvalidJSON) {
			t.Fatalf("Parse(%q) of invalid JSON = %v, %v; want ErrInvalidJSON", data, ev, err)
		}
		if valid && errors.Is(err, events.ErrInvalidJSON) {
			t.Fatalf("Parse(%q) of valid JSON = %v; want no ErrInvalidJSON", data, err)
		}
		if err != nil {
			if ev != nil {
				t.Fatalf("Parse returned an event and an error %v", err)
			}
			checkError(t, err)
			return
		}
		var ref struct {
			Type string
			ID   string
		}
		if err := json.Unmarshal(data, &ref); err != nil {
			t.Fatalf("Parse accepted %q, which encoding/json refuses: %v", data, err)
		}
		if env := ev.Meta(); string(env.Type) != ref.Type || env.ID != ref.ID {
			t.Fatalf("Parse(%q) envelope type %q id %q; encoding/json reads %q %q", data, env.Type, env.ID, ref.Type, ref.ID)
		}
		if ev == nil {
			t.Fatal("Parse returned neither an event nor an error")
		}
		_ = events.RoomName(ev)
		_ = ev.Meta().Newer()

		// Marshal followed by Parse gives an equal event.
		out, err := json.Marshal(ev)
		if err != nil {
			t.Fatalf("json.Marshal(%T) error: %v", ev, err)
		}
		again, err := events.Parse(out)
		if err != nil {
			t.Fatalf("Parse(json.Marshal(Parse(%q))) error: %v", data, err)
		}
		if diff := cmp.Diff(ev, again, ignoreRaw); diff != "" {
			t.Fatalf("Parse after Marshal mismatch (-first +second):\n%s", diff)
		}

		// The typed payload alone round-trips through its own Marshal
		// and Unmarshal methods. An Unknown's payload is raw JSON, which
		// the event round trip above covers.
		if _, ok := ev.(*events.Unknown); ok {
			return
		}
		p := payloadOf(ev)
		typed, err := json.Marshal(p.Interface())
		if err != nil {
			t.Fatalf("json.Marshal(payload %s) error: %v", p.Type(), err)
		}
		back := reflect.New(p.Type())
		if err := json.Unmarshal(typed, back.Interface()); err != nil {
			t.Fatalf("payload %s: Unmarshal(Marshal) error: %v\n%s", p.Type(), err, typed)
		}
		if diff := cmp.Diff(p.Interface(), back.Elem().Interface(), ignoreRaw); diff != "" {
			t.Fatalf("payload %s round trip mismatch (-parsed +again):\n%s", p.Type(), diff)
		}
	})
}

// fuzzRoundTrip checks a type that decodes a JSON value: whatever json
// accepts into a T must marshal to JSON that decodes to an equal T.
func fuzzRoundTrip[T any](f *testing.F, seeds ...string) {
	for _, s := range append(seeds, edgeSeeds...) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var v T
		if err := json.Unmarshal(data, &v); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				_ = te.Error()
			}
			return
		}
		out, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("Marshal(%T) error: %v", v, err)
		}
		var again T
		if err := json.Unmarshal(out, &again); err != nil {
			t.Fatalf("Unmarshal(Marshal(%s)) = %s: %v", data, out, err)
		}
		if diff := cmp.Diff(v, again, ignoreRaw); diff != "" {
			t.Fatalf("%T round trip of %s mismatch (-first +second):\n%s", v, data, diff)
		}
	})
}

// fuzzExact checks a flexible number type: a value it accepts marshals back
// to exactly the JSON it came from.
func fuzzExact[T interface {
	json.Marshaler
	Valid() bool
}](f *testing.F, use func(T)) {
	for _, s := range []string{`1708972279.96`, `1708972279.960`, `"1728036610"`, `null`, `-0`, `0.5`, `1e9`, `1.5E+3`, `"\u0031"`, `12345678901234567`, `1.1234567891`, `"1.0"`, `"abc"`, `[]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var v T
		if err := json.Unmarshal(data, &v); err != nil {
			return
		}
		use(v)
		out, err := v.MarshalJSON()
		if err != nil {
			t.Fatalf("MarshalJSON error: %v", err)
		}
		if want := bytes.TrimSpace(data); !bytes.Equal(out, want) {
			t.Fatalf("MarshalJSON = %s, want the input %s", out, want)
		}
	})
}

func FuzzTime(f *testing.F) {
	fuzzExact(f, func(tm events.Time) {
		if !tm.Equal(tm) {
			panic(fmt.Sprintf("%v is not Equal to itself", tm))
		}
		switch {
		case tm.IsNull():
			if tm.Valid() || !tm.Time().IsZero() || tm.String() != "null" {
				panic(fmt.Sprintf("null Time: valid %t, time %v, string %q", tm.Valid(), tm.Time(), tm))
			}
		case tm.Valid():
			// Built back from its time.Time, it names the same instant.
			if back := events.NewTime(tm.Time()); !back.Time().Equal(tm.Time()) {
				panic(fmt.Sprintf("NewTime(%v).Time() = %v", tm.Time(), back.Time()))
			}
			if tm.String() == "" {
				panic("a valid Time formats as nothing")
			}
		}
	})
}

func FuzzDuration(f *testing.F) {
	fuzzExact(f, func(d events.Duration) {
		_ = d.Duration()
		_ = d.Seconds()
		_ = d.String()
	})
}

func FuzzGrant(f *testing.F) {
	fuzzRoundTrip[events.CanSend](f, `true`, `false`, `["video","screenVideo"]`, `[]`, `["a",1]`)
}

func FuzzPermissions(f *testing.F) {
	fuzzRoundTrip[events.Permissions](f,
		`{"hasPresence":true,"canSend":true,"canReceive":{"base":true},"canAdmin":false}`,
		`{"canSend":["video"],"canReceive":{"base":{"video":true,"customAudio":{"*":false}},"byUserId":{"u":false},"byParticipantId":{"p":{"audio":true}}},"canAdmin":["transcription"]}`)
}

func FuzzLayout(f *testing.F) {
	fuzzRoundTrip[events.Layout](f, `{"preset":"default","max_cam_streams":4}`, `{"preset":"custom","composition_params":{"a":1},"session_assets":{"x":"y"}}`, `{"preset":"portrait","variant":"inset"}`)
}

func FuzzSIPHeaders(f *testing.F) {
	fuzzRoundTrip[events.SIPHeaders](f, `{"X-A":"1"}`, `{"X-A":["1","2"],"X-B":null}`)
}

func FuzzTranscriptS3(f *testing.F) {
	fuzzRoundTrip[events.TranscriptS3](f, `{"key":"k","externalId":"e"}`, `{"external_id":"e","assume_role_arn":"a"}`)
}

// FuzzVersion checks the version policy against semver itself: Parse
// accepts a version exactly when it is a strict semantic version with
// major 1, and Newer agrees with semver's comparison.
func FuzzVersion(f *testing.F) {
	for _, s := range []string{"1.0.0", "1.1.0", "1.0", "2.0.0", "0.9.9", "1.0.0-beta.1", "1.2.3+build.5", "v1.0.0", "01.0.0", "", "1.0.0.0", "99999999999999999999.0.0"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, version string, transcript bool) {
		typ := events.TypeParticipantJoined
		if transcript {
			typ = events.TypeTranscriptStarted
		}
		vjson, _ := json.Marshal(version)
		body := []byte(`{"version":` + string(vjson) + `,"type":"` + string(typ) + `","payload":{}}`)
		// JSON has no invalid UTF-8: what the delivery carries is the
		// string as encoding/json wrote it.
		_ = json.Unmarshal(vjson, &version)
		ev, err := events.Parse(body)
		sv, serr := semver.StrictNewVersion(version)
		wantOK := serr == nil && sv.Major() == 1
		if (err == nil) != wantOK {
			t.Fatalf("Parse with version %q: err %v, want accepted = %v", version, err, wantOK)
		}
		if err != nil {
			var ve *events.VersionError
			if !errors.As(err, &ve) || ve.Got != version && version != "" {
				t.Fatalf("Parse with version %q: error %v is not a VersionError naming it", version, err)
			}
			checkError(t, err)
			return
		}
		known := semver.MustParse(typ.SchemaVersion())
		if got, want := ev.Meta().Newer(), sv.GreaterThan(known); got != want {
			t.Fatalf("Newer() for %q = %v, want %v", version, got, want)
		}
	})
}

// FuzzVerifyParse drives the whole verify-then-parse path: a body signed
// with the right secret verifies and then parses or fails cleanly; a
// changed signature or body never verifies.
func FuzzVerifyParse(f *testing.F) {
	for _, name := range goldenFiles(f) {
		f.Add(readFile(f, name), int64(1708526033), byte(0))
	}
	for _, s := range edgeSeeds {
		f.Add([]byte(s), int64(1708526033123), byte(7))
	}
	v, err := events.NewVerifier(events.VerifierConfig{Secrets: []string{otherSecret, kaSecret}, DisableTimestampCheck: true})
	if err != nil {
		f.Fatal(err)
	}
	strict, err := events.NewVerifier(events.VerifierConfig{Secrets: []string{kaSecret}, Now: fixedClock(kaTime)})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte, unix int64, flip byte) {
		if len(body) > maxFuzzInput {
			return
		}
		ts := fmt.Sprint(unix)
		sig, err := events.Sign(kaSecret, ts, body)
		if err != nil {
			t.Fatal(err)
		}
		res, err := v.Verify(body, sig, ts)
		if err != nil || res.SecretIndex != 1 {
			t.Fatalf("Verify of a correctly signed body = %+v, %v", res, err)
		}
		// The window check accepts exactly the timestamps within 5
		// minutes of the clock, in seconds or milliseconds.
		_, err = strict.Verify(body, sig, ts)
		at := time.Unix(unix, 0)
		if unix > 1e12 {
			at = time.UnixMilli(unix)
		}
		inWindow := unix >= 0 && at.Sub(kaTime).Abs() <= events.DefaultTolerance
		if (err == nil) != inWindow {
			t.Fatalf("strict Verify at %s: %v, want accepted = %v", ts, err, inWindow)
		}
		if err != nil && !errors.Is(err, events.ErrStaleTimestamp) {
			t.Fatalf("strict Verify at %s: %v, want ErrStaleTimestamp", ts, err)
		}
		// Any change to the signature or the body is refused.
		raw := []byte(sig)
		raw[int(flip)%len(raw)] ^= 1 + flip%7
		if _, err := v.Verify(body, string(raw), ts); !errors.Is(err, events.ErrInvalidSignature) {
			t.Fatalf("Verify with a changed signature %q: %v", raw, err)
		}
		changed := append(bytes.Clone(body), ' '+flip%2)
		if _, err := v.Verify(changed, sig, ts); !errors.Is(err, events.ErrInvalidSignature) {
			t.Fatalf("Verify of a changed body: %v", err)
		}
		if ev, err := events.Parse(body); err != nil {
			checkError(t, err)
		} else if ev == nil {
			t.Fatal("Parse returned neither an event nor an error")
		}
	})
}

// unmarshalers returns a fresh value of every custom json.Unmarshaler of the
// package.
func unmarshalers() []json.Unmarshaler {
	return []json.Unmarshaler{
		new(events.Time), new(events.Duration), new(events.CanSend), new(events.CanAdmin),
		new(events.Access), new(events.CanReceive), new(events.Permissions), new(events.Layout),
		new(events.SIPHeaders), new(events.TranscriptS3),
	}
}

// FuzzUnmarshalJSONDirect calls every custom UnmarshalJSON method directly
// with arbitrary bytes, as code outside encoding/json may: malformed input
// is an error, never a panic, and what is accepted marshals to valid JSON.
func FuzzUnmarshalJSONDirect(f *testing.F) {
	for _, s := range []string{``, `"`, `t`, `nul`, `truex`, `{`, `[`, `[1,`, `{"a"`, `{"a":1,}`, `["video",]`, `"1`, `"\u00"`, `-`, `1.`, `{}x`} {
		f.Add([]byte(s))
	}
	for _, s := range edgeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, u := range unmarshalers() {
			if err := u.UnmarshalJSON(data); err != nil {
				_ = err.Error()
				continue
			}
			out, err := json.Marshal(u)
			if err != nil {
				t.Fatalf("%T accepted %q but does not marshal: %v", u, data, err)
			}
			if !json.Valid(out) {
				t.Fatalf("%T accepted %q and marshals to invalid JSON %q", u, data, out)
			}
		}
	})
}

func TestUnmarshalJSONDirectMalformed(t *testing.T) {
	for _, in := range []string{``, `"`, `t`, `nul`, `truex`, `{`, `[`, `[1,`, `{"a"`, `{"a":1,}`, `"\u00"`, `-`, `1.`, `{}x`} {
		for _, u := range unmarshalers() {
			t.Run(fmt.Sprintf("%T/%s", u, in), func(t *testing.T) {
				if err := u.UnmarshalJSON([]byte(in)); err == nil {
					t.Errorf("(%T).UnmarshalJSON(%q) succeeded, want an error", u, in)
				}
			})
		}
	}
}

// FuzzHandler serves arbitrary bodies, signed or not, with declared
// lengths true, false or absent, through a Handler with the replay check
// and a Dedup store. It checks that the answer is one the status table
// lists, that Handle sees only authentic events that parse, and that a
// repeat of a handled request is answered 200 without reaching Handle.
func FuzzHandler(f *testing.F) {
	for _, name := range goldenFiles(f) {
		f.Add(readFile(f, name), byte(0))
	}
	for _, s := range edgeSeeds {
		f.Add([]byte(s), byte(5))
	}
	f.Add([]byte(`{"test":"test"}`), byte(1))
	f.Add([]byte(`{"test":"test"}`), byte(2))
	v, err := events.NewVerifier(events.VerifierConfig{Secrets: []string{kaSecret}, MaxBodyBytes: 64 << 10})
	if err != nil {
		f.Fatal(err)
	}
	allowed := map[int]bool{200: true, 400: true, 401: true, 409: true, 413: true, 500: true}
	f.Fuzz(func(t *testing.T, body []byte, mode byte) {
		if len(body) > maxFuzzInput {
			return
		}
		var handled []events.Event
		h := &events.Handler{
			Verifier: v,
			Dedup:    &events.MemoryDedup{},
			OnError:  func(*http.Request, error) {},
			Handle: func(_ context.Context, ev events.Event) error {
				handled = append(handled, ev)
				if mode&16 != 0 {
					return errors.New("handler fails")
				}
				return nil
			},
		}
		req, err := eventstest.Signer{Secret: kaSecret}.NewRequest("/hook", body)
		if err != nil {
			t.Fatal(err)
		}
		signed := mode%4 != 1
		if !signed {
			req.Header.Del(events.HeaderSignature)
		}
		switch mode / 4 % 4 {
		case 1:
			req.ContentLength = -1 // chunked
		case 2:
			req.ContentLength = int64(len(body)) + 1000 // declared too long
		}
		serve := func() int {
			r := req.Clone(req.Context())
			r.Body = io.NopCloser(bytes.NewReader(body))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if !allowed[w.Code] {
				t.Fatalf("status %d is not in the status table", w.Code)
			}
			return w.Code
		}
		first := serve()
		_, perr := events.Parse(body)
		wantHandled := signed && perr == nil && first != 413 && first != 400
		if (len(handled) == 1) != wantHandled || len(handled) > 1 {
			t.Fatalf("Handle called %d times for a delivery signed=%t, parse error %v, status %d", len(handled), signed, perr, first)
		}
		if len(handled) == 1 && !bytes.Equal(handled[0].Raw(), body) {
			t.Fatalf("Handle got %q, want the body", handled[0].Raw())
		}
		again := serve()
		if first == 200 && len(handled) == 1 && (again != 200 || len(handled) != 1) {
			t.Fatalf("a repeat of a handled delivery: status %d, Handle called %d times; want 200 and once", again, len(handled))
		}
	})
}
