package inbox_test

import (
	"encoding/json"
	"testing"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/inbox"
)

// FuzzByRoom hands ByRoom whatever parses, of any type, known or not: it
// never panics, and a room it gives is the payload's room or room_name.
func FuzzByRoom(f *testing.F) {
	f.Add([]byte(`{"version":"1.0.0","type":"participant.joined","id":"a","event_ts":1708972279.961,"payload":{"room":"r","user_name":"u","session_id":"s","joined_at":1708972279.96,"owner":false}}`))
	f.Add([]byte(`{"version":"1.0.0","type":"recording.error","id":"b","event_ts":1708972279.961,"payload":{"action":"clourd-recording-err","error_msg":"x","instance_id":"i","room_name":"rn","timestamp":1708972279}}`))
	f.Add([]byte(`{"version":"1.0.0","type":"room.renamed","id":"c","event_ts":1,"payload":{"room":"new"}}`))
	f.Add([]byte(`{"version":"1.0.0","type":"room.renamed","id":"d","event_ts":1,"payload":{"room":7,"room_name":"n"}}`))
	f.Add([]byte(`{"version":"1.0.0","type":"room.renamed","id":"e","event_ts":1,"payload":[1,2]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := events.Parse(body)
		if err != nil {
			return
		}
		room := inbox.ByRoom(ev)
		if room == "" {
			return
		}
		// Decoded as the parser decodes: names match without regard to
		// case, and the last of a repeated name wins.
		var env struct {
			Payload struct {
				Room     json.RawMessage `json:"room"`
				RoomName json.RawMessage `json:"room_name"`
			} `json:"payload"`
		}
		if err := json.Unmarshal(ev.Raw(), &env); err != nil {
			t.Fatalf("ByRoom = %q of a delivery whose payload is not an object: %v", room, err)
		}
		for _, raw := range []json.RawMessage{env.Payload.Room, env.Payload.RoomName} {
			var s string
			if json.Unmarshal(raw, &s) == nil && s == room {
				return
			}
		}
		t.Fatalf("ByRoom = %q, neither the payload's room nor its room_name: %s", room, ev.Raw())
	})
}
