package events_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/eventstest"
)

// floorParticipantJoined is the floor Parse is measured against: a plain
// struct that already knows the delivery's type, with no custom types, into
// which encoding/json decodes the documented participant.joined delivery.
// Nothing can decode that delivery into Go values for less.
type floorParticipantJoined struct {
	Version string  `json:"version"`
	Type    string  `json:"type"`
	ID      string  `json:"id"`
	EventTS float64 `json:"event_ts"`
	Payload struct {
		Room        string  `json:"room"`
		UserID      string  `json:"user_id"`
		UserName    string  `json:"user_name"`
		SessionID   string  `json:"session_id"`
		JoinedAt    float64 `json:"joined_at"`
		WillEjectAt float64 `json:"will_eject_at"`
		Owner       bool    `json:"owner"`
		Permissions struct {
			HasPresence bool `json:"hasPresence"`
			CanSend     bool `json:"canSend"`
			CanReceive  struct {
				Base bool `json:"base"`
			} `json:"canReceive"`
			CanAdmin bool `json:"canAdmin"`
		} `json:"permissions"`
	} `json:"payload"`
}

// BenchmarkFloor decodes the documented participant.joined delivery with
// one json.Unmarshal into floorParticipantJoined.
func BenchmarkFloor(b *testing.B) {
	data := readFile(b, "eventstest/testdata/participant.joined.json")
	b.Run("participant.joined", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			var v floorParticipantJoined
			if err := json.Unmarshal(data, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkParse parses the sample delivery of every type, and an unknown
// type.
func BenchmarkParse(b *testing.B) {
	bench := func(name string, data []byte) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := events.Parse(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	for _, typ := range events.Types() {
		data, _ := eventstest.Sample(typ)
		bench(string(typ), data)
	}
	bench("unknown", readFile(b, "testdata/variants/unknown.future-type.json"))
}

// BenchmarkVerifyParse verifies the signature of the documented
// participant.joined delivery and then parses it.
func BenchmarkVerifyParse(b *testing.B) {
	data := readFile(b, "eventstest/testdata/participant.joined.json")
	now := time.Now()
	v, err := events.NewVerifier(events.VerifierConfig{Secrets: []string{kaSecret}, Now: fixedClock(now)})
	if err != nil {
		b.Fatal(err)
	}
	ts, sig, err := eventstest.Signer{Secret: kaSecret, Time: now}.Sign(data)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := v.Verify(data, sig, ts); err != nil {
			b.Fatal(err)
		}
		if _, err := events.Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHandler serves one signed participant.joined delivery through
// the Handler, request building included.
func BenchmarkHandler(b *testing.B) {
	data := readFile(b, "eventstest/testdata/participant.joined.json")
	v, err := events.NewVerifier(events.VerifierConfig{Secrets: []string{kaSecret}})
	if err != nil {
		b.Fatal(err)
	}
	h := &events.Handler{Verifier: v, Handle: (&recorder{}).discard}
	// Each request is signed at another millisecond, so that none is a
	// replay: every one takes the whole path, the replay check included.
	signer := eventstest.Signer{Secret: kaSecret, Milliseconds: true}
	start := time.Now()
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	i := 0
	for b.Loop() {
		signer.Time = start.Add(time.Duration(i%250_000) * time.Millisecond)
		i++
		r, err := signer.NewRequest("/hook", data)
		if err != nil {
			b.Fatal(err)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatalf("status %d", w.Code)
		}
	}
}

// An unsigned or wrongly signed body must cost a Handler no more than the
// HMAC of it: BenchmarkHMAC is the floor for BenchmarkHandlerForged.
const forgedSize = 1 << 20

// forgedBody is a JSON-looking body of forgedSize bytes, the worst case
// for a receiver that decoded bodies before verifying them.
func forgedBody() []byte {
	body := []byte(`{"test":"test","pad":"`)
	body = append(body, bytes.Repeat([]byte("a"), forgedSize-len(body)-2)...)
	return append(body, `"}`...)
}

// BenchmarkHMAC computes the signature of a 1 MiB body.
func BenchmarkHMAC(b *testing.B) {
	body := forgedBody()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := events.Sign(kaSecret, "1700000000", body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHandlerForged serves a 1 MiB body with a wrong signature: the
// body is read, its HMAC computed and compared, and nothing decoded.
func BenchmarkHandlerForged(b *testing.B) {
	body := forgedBody()
	v, err := events.NewVerifier(events.VerifierConfig{Secrets: []string{kaSecret}, MaxBodyBytes: 2 * forgedSize})
	if err != nil {
		b.Fatal(err)
	}
	h := &events.Handler{Verifier: v, Handle: (&recorder{}).discard, OnError: func(*http.Request, error) {}}
	sig, _ := events.Sign(otherSecret, "1700000000", body)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, "/hook", bytes.NewReader(body))
		r.Header.Set(events.HeaderTimestamp, strconv.FormatInt(time.Now().Unix(), 10))
		r.Header.Set(events.HeaderSignature, sig)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusUnauthorized {
			b.Fatalf("status %d", w.Code)
		}
	}
}
