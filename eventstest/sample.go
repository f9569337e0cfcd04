package eventstest

import (
	"crypto/rand"
	"embed"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/dailywebhooks/events"
)

// samples holds one delivery per type: Daily's documented example where
// there is a complete one, and otherwise one built from the field tables
// of the documentation. They are also the golden files of the events
// package's tests.
//
//go:embed testdata/*.json
var samples embed.FS

// Sample returns a sample delivery of type t, for tests of code that
// handles events, and reports whether there is one; there is for every
// type in [events.Types]. Each call returns a new copy. The deliveries are
// Daily's documented examples where a complete one exists, anonymised, and
// otherwise follow the documented field tables.
func Sample(t events.Type) ([]byte, bool) {
	if !t.Known() {
		return nil, false
	}
	b, err := samples.ReadFile("testdata/" + string(t) + ".json")
	return b, err == nil
}

// NewDelivery returns the sample delivery of type t as a new event: with an
// event ID of its own and event_ts at now, so that receivers that drop
// duplicates by ID take it. Its members are in the order encoding/json
// writes a map's keys.
func NewDelivery(t events.Type, now time.Time) ([]byte, error) {
	body, ok := Sample(t)
	if !ok {
		return nil, fmt.Errorf("eventstest: no sample of type %q", t)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, err
	}
	m["id"], _ = json.Marshal(string(t) + "-" + newUUID())
	m["event_ts"] = json.RawMessage(strconv.FormatFloat(float64(now.UnixMilli())/1000, 'f', 3, 64))
	return json.Marshal(m)
}

// newUUID returns a random version 4 UUID.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
