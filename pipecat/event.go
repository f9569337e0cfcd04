package pipecat

import (
	"bytes"
	"encoding/json"
	"errors"
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
	EventType, Org, CreatedAt, Data []byte
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
	ev, err := w.decode(body)
	if err != nil && len(w.Data) > 0 && !json.Valid(w.Data) {
		// Whatever else is wrong, a body that is not JSON says so first.
		return nil, invalidJSON(w.Data)
	}
	return ev, err
}

// decode builds the event of the members w found in body.
func (w *wireEnvelope) decode(body []byte) (Event, error) {
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
	if err := env.decodeMembers(*w); err != nil {
		return nil, err
	}
	if len(w.Data) == 0 || w.Data[0] != '{' {
		return nil, fmt.Errorf("%w: %s: data is %s, not an object", ErrInvalidPayload, typ, kind(w.Data))
	}
	if u, ok := ev.(*Unknown); ok {
		if !json.Valid(w.Data) {
			return nil, ErrInvalidJSON // Parse says why
		}
		u.Data = json.RawMessage(bytes.Clone(w.Data))
		return u, nil
	}
	if err := json.Unmarshal(w.Data, ev.data()); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, ErrInvalidJSON // Parse says why
		}
		return nil, fmt.Errorf("%w: %s: data: %w", ErrInvalidField, typ, err)
	}
	return ev, nil
}

// unmarshalEnvelope finds body's members, checking every one but data,
// which its decoder checks, or says why body is no delivery. Of a member
// given twice, the last counts, as with encoding/json.
func unmarshalEnvelope(body []byte, w *wireEnvelope) error {
	err := members(body, func(key, val []byte) error {
		if !json.Valid(key) {
			return errMalformed
		}
		if keyIs(key, "data") {
			if w.Data != nil && !json.Valid(w.Data) {
				return errMalformed // an earlier data, never decoded
			}
			w.Data = val
			return nil
		}
		if !json.Valid(val) {
			return errMalformed
		}
		switch {
		case keyIs(key, "event_type"):
			w.EventType = val
		case keyIs(key, "org"):
			w.Org = val
		case keyIs(key, "created_at"):
			w.CreatedAt = val
		}
		return nil
	})
	if err == nil {
		return nil
	}
	if !json.Valid(body) {
		return invalidJSON(body)
	}
	if i := space(body, 0); body[i] != '{' {
		return fmt.Errorf("%w: got %s", ErrNotObject, kind(body[i:]))
	}
	return ErrInvalidJSON
}

// invalidJSON returns the error of b, which is not valid JSON: it wraps
// ErrInvalidJSON and encoding/json's syntax error.
func invalidJSON(b []byte) error {
	return fmt.Errorf("%w: %w", ErrInvalidJSON, json.Unmarshal(b, new(json.RawMessage)))
}

// eventType returns the event_type member's string.
func eventType(raw []byte) (string, error) {
	switch {
	case len(raw) == 0 || raw[0] == 'n':
		return "", ErrMissingType
	case raw[0] != '"':
		return "", fmt.Errorf("%w: got %s", ErrInvalidType, kind(raw))
	}
	if s := str(raw); s != "" {
		return s, nil
	}
	return "", ErrMissingType
}

// decodeMembers decodes org and created_at into e.
func (e *Envelope) decodeMembers(w wireEnvelope) error {
	switch {
	case len(w.Org) == 0 || w.Org[0] == 'n':
		return fmt.Errorf("%w: %s: org is missing", ErrInvalidField, e.Type)
	case w.Org[0] != '"':
		return fmt.Errorf("%w: %s: org is %s, not a string", ErrInvalidField, e.Type, kind(w.Org))
	}
	e.Org = str(w.Org)
	switch {
	case len(w.CreatedAt) == 0 || w.CreatedAt[0] == 'n':
		return nil
	case w.CreatedAt[0] != '"':
		return fmt.Errorf("%w: %s: created_at is %s, not a string", ErrInvalidField, e.Type, kind(w.CreatedAt))
	}
	s := str(w.CreatedAt)
	// RFC 3339 with any fraction of a second, Z or +00:00; anything else
	// stays in Raw only.
	e.CreatedAt, _ = time.Parse(time.RFC3339Nano, s)
	return nil
}

// kind names the JSON type of the value raw, for errors: "an object",
// "a string", … or "absent".
func kind(raw []byte) string {
	switch t := jsonType(raw); t {
	case "absent", "null":
		return t
	case "object", "array":
		return "an " + t
	case "bool":
		return "a boolean"
	default:
		return "a " + t
	}
}
