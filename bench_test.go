package events_test

import (
	"encoding/json"
	"testing"

	"github.com/dailywebhooks/events"
)

// floorParticipantJoined is the floor Parse is measured against: a plain
// struct that already knows the delivery's type, with no custom types.
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

func BenchmarkFloor(b *testing.B) {
	data := readFile(b, "testdata/participant.joined.json")
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		var v floorParticipantJoined
		if err := json.Unmarshal(data, &v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseParticipantJoined(b *testing.B) {
	data := readFile(b, "testdata/participant.joined.json")
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := events.Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}
