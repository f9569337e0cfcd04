package events

// A Type is a webhook event type, the envelope's "type" string. The
// constants name the types this package decodes into their own Go types; a
// delivery of any other type parses as *[Unknown].
//
// Go type names come from the type string by one rule: each word between
// dots and hyphens is capitalised and the words are joined, so
// "waiting-participant.joined" is [WaitingParticipantJoined] and
// "calltransfer.triggered" is [CalltransferTriggered].
type Type string

// typeInfo describes one event type this package decodes.
type typeInfo struct {
	typ    Type
	schema string
	new    func() Event
}

// lookup returns the catalogue entry for the type string t, or nil.
func lookup(t []byte) *typeInfo {
	for i := range catalogue {
		if string(catalogue[i].typ) == string(t) {
			return &catalogue[i]
		}
	}
	return nil
}

// Types returns every type this package decodes into its own Go type, in
// the order of Daily's documentation. The caller owns the slice.
func Types() []Type {
	ts := make([]Type, len(catalogue))
	for i := range catalogue {
		ts[i] = catalogue[i].typ
	}
	return ts
}

// Known reports whether this package decodes t into its own Go type.
func (t Type) Known() bool { return lookup([]byte(t)) != nil }

// SchemaVersion returns the payload schema version this package was written
// for, such as "1.0.0", or "" for a type it does not know.
func (t Type) SchemaVersion() string {
	if info := lookup([]byte(t)); info != nil {
		return info.schema
	}
	return ""
}

// RoomName returns the name of the room an event concerns, whichever field
// Daily put it in ("room" or "room_name"), or "" when the event carries none,
// as recording.started and the streaming events other than streaming.error
// do.
func RoomName(ev Event) string {
	if ev == nil {
		return ""
	}
	return ev.room()
}
