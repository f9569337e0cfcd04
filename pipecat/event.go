package pipecat

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/dailywebhooks/events"
)

// The errors of Parse are the root package's, so that errors.Is treats a
// bad delivery alike whichever hook sent it.
var (
	// ErrInvalidJSON: the body is not valid JSON.
	ErrInvalidJSON = events.ErrInvalidJSON
	// ErrNotObject: the body is JSON, but not an object.
	ErrNotObject = events.ErrNotObject
	// ErrMissingType: event_type is absent, null or empty.
	ErrMissingType = events.ErrMissingType
	// ErrInvalidType: event_type is not a string.
	ErrInvalidType = events.ErrInvalidType
	// ErrInvalidPayload: data is absent or not an object.
	ErrInvalidPayload = events.ErrInvalidPayload
	// ErrInvalidField: a documented field, org or created_at included,
	// is absent where it is required or has the wrong JSON type.
	ErrInvalidField = events.ErrInvalidField
)

// An Event is a parsed delivery: one of the pointer types of this package,
// such as *BuildSucceeded, or *Unknown.
type Event interface {
	// EventType returns the delivery's event_type.
	EventType() string
	// Meta returns the envelope: org, created_at and the raw delivery.
	Meta() *Envelope
}

// event is what every event type of this package has.
type event interface {
	Event
	data() any
}

// The Envelope is what every delivery carries around its data.
type Envelope struct {
	// Type is the event_type, as the delivery wrote it.
	Type string
	// Org is the organization's name (not an id).
	Org string
	// CreatedAt is when the event was emitted, the same on every retry;
	// zero when the delivery had none, or one that is not an RFC 3339
	// time (Raw keeps it as it came). The webhook-timestamp header is
	// the time of the attempt instead.
	CreatedAt time.Time

	raw []byte
}

// Meta returns e itself.
func (e *Envelope) Meta() *Envelope { return e }

// Raw returns the delivery's bytes as they were received, or nil for an
// event built in code.
func (e *Envelope) Raw() json.RawMessage { return e.raw }

// marshal returns the raw delivery, or for an event built in code the
// envelope around data.
func (e *Envelope) marshal(data any) ([]byte, error) {
	if e.raw != nil {
		return e.raw, nil
	}
	var created *string
	if !e.CreatedAt.IsZero() {
		s := e.CreatedAt.UTC().Format("2006-01-02T15:04:05.000Z07:00")
		created = &s
	}
	return json.Marshal(struct {
		EventType string  `json:"event_type"`
		Org       string  `json:"org"`
		CreatedAt *string `json:"created_at,omitempty"`
		Data      any     `json:"data"`
	}{e.Type, e.Org, created, data})
}

// Unknown is an event of a type this version does not know. It is not an
// error: Pipecat Cloud adds event types, and an endpoint subscribed to a
// new one must not fail on it.
type Unknown struct {
	Envelope
	// Data is the data member as it was received.
	Data json.RawMessage
}

// EventType returns the delivery's event_type.
func (e *Unknown) EventType() string { return e.Type }

func (e *Unknown) data() any { return &e.Data }

// MarshalJSON returns the delivery's bytes as they were received.
func (e Unknown) MarshalJSON() ([]byte, error) { return e.marshal(e.Data) }

// wireEnvelope holds the members of a delivery, undecoded.
type wireEnvelope struct {
	EventType json.RawMessage `json:"event_type"`
	Org       json.RawMessage `json:"org"`
	CreatedAt json.RawMessage `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

// Parse decodes a delivery of Pipecat Cloud's webhooks: the pointer type of
// its event_type, or *Unknown for a type this version does not know. The
// event keeps body's bytes (copied), which Raw and json.Marshal give back.
//
// It is strict where a handler would otherwise act on a wrong value: a
// body that is not a JSON object, an event_type or org that is absent or
// not a string, a data member that is not an object, and a documented
// field of the wrong JSON type are errors, which wrap the root package's
// sentinels (ErrInvalidJSON, ErrNotObject, ErrMissingType, ErrInvalidType,
// ErrInvalidPayload, ErrInvalidField). It is lenient where the
// specification is: absent fields, null in fields that only some events
// carry, unknown fields, any fraction of a second in created_at, and any
// JSON number in the cents fields are accepted.
func Parse(body []byte) (Event, error) {
	var w wireEnvelope
	if err := unmarshalEnvelope(body, &w); err != nil {
		return nil, err
	}
	typ, err := eventType(w.EventType)
	if err != nil {
		return nil, err
	}
	var ev event = &Unknown{}
	if mk, ok := catalogue[typ]; ok {
		ev = mk()
	}
	env := ev.Meta()
	env.Type, env.raw = typ, bytes.Clone(body)
	if err := env.decodeMembers(w); err != nil {
		return nil, err
	}
	if len(w.Data) == 0 || w.Data[0] != '{' {
		return nil, fmt.Errorf("%w: %s: data is %s, not an object", ErrInvalidPayload, typ, kind(w.Data))
	}
	if u, ok := ev.(*Unknown); ok {
		u.Data = json.RawMessage(bytes.Clone(w.Data))
		return u, nil
	}
	if err := json.Unmarshal(w.Data, ev.data()); err != nil {
		return nil, fmt.Errorf("%w: %s: data: %w", ErrInvalidField, typ, err)
	}
	return ev, nil
}

// unmarshalEnvelope decodes body's members into w, or says why body is no
// delivery.
func unmarshalEnvelope(body []byte, w *wireEnvelope) error {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] != '{' {
		if !json.Valid(body) {
			return fmt.Errorf("%w: %w", ErrInvalidJSON, json.Unmarshal(body, new(any)))
		}
		return fmt.Errorf("%w: got %s", ErrNotObject, kind(trimmed))
	}
	if err := json.Unmarshal(body, w); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidJSON, err)
	}
	return nil
}

// eventType returns the event_type member's string.
func eventType(raw json.RawMessage) (string, error) {
	switch {
	case len(raw) == 0 || raw[0] == 'n':
		return "", ErrMissingType
	case raw[0] != '"':
		return "", fmt.Errorf("%w: got %s", ErrInvalidType, kind(raw))
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil || s == "" {
		return "", ErrMissingType
	}
	return s, nil
}

// decodeMembers decodes org and created_at into e.
func (e *Envelope) decodeMembers(w wireEnvelope) error {
	switch {
	case len(w.Org) == 0 || w.Org[0] == 'n':
		return fmt.Errorf("%w: %s: org is missing", ErrInvalidField, e.Type)
	case w.Org[0] != '"':
		return fmt.Errorf("%w: %s: org is %s, not a string", ErrInvalidField, e.Type, kind(w.Org))
	}
	json.Unmarshal(w.Org, &e.Org)
	switch {
	case len(w.CreatedAt) == 0 || w.CreatedAt[0] == 'n':
		return nil
	case w.CreatedAt[0] != '"':
		return fmt.Errorf("%w: %s: created_at is %s, not a string", ErrInvalidField, e.Type, kind(w.CreatedAt))
	}
	var s string
	json.Unmarshal(w.CreatedAt, &s)
	// RFC 3339 with any fraction of a second, Z or +00:00; anything else
	// stays in Raw only.
	e.CreatedAt, _ = time.Parse(time.RFC3339Nano, s)
	return nil
}

// kind names the JSON type of the value raw, for errors.
func kind(raw []byte) string {
	if len(raw) == 0 {
		return "absent"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}
