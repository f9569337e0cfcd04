package eventstest

import (
	"embed"

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
