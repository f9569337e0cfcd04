package events

import (
	"encoding/json"
	"log/slog"
)

// An Envelope holds the members that every Daily delivery has around its
// payload. Every event type embeds one, so after a type switch its fields
// read as e.ID or e.EventTS; without a type switch, [Event] gives it through
// its Meta method.
type Envelope struct {
	// Version is the schema version of the payload, such as "1.0.0". See
	// the version policy in the package documentation.
	Version string `json:"version"`
	// Type is the event type, such as "participant.joined".
	Type Type `json:"type"`
	// ID identifies the event. Daily documents it inconsistently and it
	// may be empty. Its leading segment names the webhook configuration;
	// treat the rest as opaque.
	ID string `json:"id,omitempty"`
	// EventTS is when Daily sent the webhook, usually slightly after the
	// event's own time in the payload. It is zero when absent.
	EventTS Time `json:"event_ts,omitzero"`

	raw []byte
}

// Meta returns e itself. Every event type embeds an Envelope, so Meta gives
// the envelope of any [Event] without a type switch.
func (e *Envelope) Meta() *Envelope { return e }

// Raw returns the delivery's bytes exactly as Parse received them, so that
// fields this package does not model can still be read. The caller must not
// modify them. Raw returns nil for an event that was not made by Parse.
func (e *Envelope) Raw() json.RawMessage { return e.raw }

// Newer reports whether the delivery's version is a valid semantic version
// above the schema version this package knows for its type: Daily has added
// to the payload since this package was written, and the additions are only
// in [Envelope.Raw]. It reports false for unknown types.
func (e *Envelope) Newer() bool { return newer(e.Version, e.Type.SchemaVersion()) }

// marshalEvent returns the raw delivery when there is one, and otherwise
// marshals the typed fields v, a copy of the event without its methods.
func marshalEvent(raw []byte, v any) ([]byte, error) {
	if raw != nil {
		return raw, nil
	}
	return json.Marshal(v)
}

// logValue returns the envelope's type, ID and time, and room when it is
// not empty, as a slog group: what identifies an event in a log, without
// personal fields or raw bytes.
func (e *Envelope) logValue(room string) slog.Value {
	attrs := make([]slog.Attr, 0, 4)
	attrs = append(attrs, slog.String("type", string(e.Type)), slog.String("id", e.ID))
	if room != "" {
		attrs = append(attrs, slog.String("room", room))
	}
	if e.EventTS.Valid() {
		attrs = append(attrs, slog.Time("event_ts", e.EventTS.Time()))
	}
	return slog.GroupValue(attrs...)
}
