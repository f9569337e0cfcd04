package events_test

import (
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/dailywebhooks/events"
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
	data := readFile(b, "testdata/participant.joined.json")
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
		data, _ := events.Sample(typ)
		bench(string(typ), data)
	}
	bench("unknown", readFile(b, "testdata/variants/unknown.future-type.json"))
}

// BenchmarkVerifyParse verifies the signature of the documented
// participant.joined delivery and then parses it.
func BenchmarkVerifyParse(b *testing.B) {
	data := readFile(b, "testdata/participant.joined.json")
	now := time.Now()
	v, err := events.NewVerifier(events.VerifierConfig{Secrets: []string{kaSecret}, Now: fixedClock(now)})
	if err != nil {
		b.Fatal(err)
	}
	ts, sig, err := events.Signer{Secret: kaSecret, Time: now}.Sign(data)
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
	data := readFile(b, "testdata/participant.joined.json")
	v, err := events.NewVerifier(events.VerifierConfig{Secrets: []string{kaSecret}})
	if err != nil {
		b.Fatal(err)
	}
	h := &events.Handler{Verifier: v, Handle: (&recorder{}).discard}
	signer := events.Signer{Secret: kaSecret}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
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
