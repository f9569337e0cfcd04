package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

// An Event is one parsed Daily webhook delivery. Its dynamic type is a
// pointer to one of the event structs of this package, such as
// *[ParticipantJoined], or *[Unknown] for a type this package does not know.
// Callers type-switch on it. The set of implementations is closed.
//
// Every event embeds an [Envelope]. json.Marshal of an event made by Parse
// returns the delivery it was parsed from, so nothing is lost, not even
// fields this package does not model; an event built in code, without raw
// bytes, marshals its typed fields.
type Event interface {
	// Meta returns the event's envelope: version, type, id and event time.
	Meta() *Envelope
	// Raw returns the delivery's bytes as received.
	Raw() json.RawMessage

	// payload returns a pointer to the event's Payload field. Being
	// unexported, it also keeps the set of implementations closed.
	payload() any
	// room returns the name of the room, or "".
	room() string
}

//go:generate go run gen.go

// Parse errors. Every error Parse returns wraps one of these or
// [ErrMissingVersion], [ErrInvalidVersion] or [ErrUnsupportedVersion]
// (through a *[VersionError]); use [errors.Is] to tell them apart.
var (
	// ErrInvalidJSON means that the delivery is not valid JSON. The error
	// also wraps the *json.SyntaxError.
	ErrInvalidJSON = errors.New("events: invalid JSON")
	// ErrNotObject means that the delivery is valid JSON but not an object.
	ErrNotObject = errors.New("events: delivery is not a JSON object")
	// ErrVerificationRequest means that the delivery is the {"test":"test"}
	// request Daily sends when a webhook is created or updated. It is not
	// an event; answer it with 200. See [IsVerificationRequest].
	ErrVerificationRequest = errors.New("events: verification request, not an event")
	// ErrMissingType means that the delivery has no type, or an empty or
	// null one.
	ErrMissingType = errors.New("events: missing event type")
	// ErrInvalidType means that the type is not a JSON string.
	ErrInvalidType = errors.New("events: invalid event type")
	// ErrInvalidPayload means that the payload is not a JSON object.
	ErrInvalidPayload = errors.New("events: payload is not a JSON object")
	// ErrInvalidField means that a field holds a JSON value of the wrong
	// kind, such as a number where a string belongs. The error also wraps
	// the *json.UnmarshalTypeError, whose Field names the field's path.
	ErrInvalidField = errors.New("events: invalid field")
)

// A Parser parses deliveries. Its zero value is ready to use and applies the
// defaults; [Parse] uses it.
type Parser struct {
	// AnyVersion makes the parser decode deliveries of any schema version,
	// a missing, invalid or other major version included, on a best-effort
	// basis: fields whose meaning changed may decode wrongly or fail. By
	// default, the version policy of the package documentation applies.
	AnyVersion bool
}

// Parse parses one delivery with the default [Parser].
func Parse(data []byte) (Event, error) {
	return Parser{}.Parse(data)
}

// Parse parses one delivery: the raw request body Daily sent. It returns a
// pointer to the event struct for the delivery's type, or an *[Unknown] for
// a type this package does not know, which is never an error.
//
// Parse keeps a copy of data; the caller may reuse data afterwards. It reads
// the envelope itself and decodes the payload once, with encoding/json,
// straight into the struct of the delivery's type.
//
// The errors wrap [ErrInvalidJSON], [ErrNotObject], [ErrVerificationRequest],
// [ErrMissingType], [ErrInvalidType], [ErrInvalidPayload] or
// [ErrInvalidField], or are a *[VersionError].
func (p Parser) Parse(data []byte) (Event, error) {
	var m envelopeMembers
	if err := m.read(data); err != nil {
		return nil, err
	}
	ev, err := m.decode(data, p.AnyVersion)
	if err != nil {
		if m.payload != nil {
			// Report malformed JSON first, wherever it is.
			if serr := syntaxError(m.payload); serr != nil {
				return nil, serr
			}
		}
		return nil, err
	}
	return ev, nil
}

// decode builds the event from the members read from data.
func (m *envelopeMembers) decode(data []byte, anyVersion bool) (Event, error) {
	typ, err := m.typeName(data)
	if err != nil {
		return nil, err
	}
	info := lookup(typ)
	var ev Event
	if info == nil {
		ev = new(Unknown)
		info = &typeInfo{typ: Type(typ)}
		anyVersion = true // no schema to compare with
	} else {
		ev = info.new()
	}
	version, err := m.checkedVersion(info, anyVersion)
	if err != nil {
		return nil, err
	}
	raw := bytes.Clone(data)
	env := ev.Meta()
	env.raw = raw
	env.Version = version
	env.Type = info.typ
	if env.ID, err = m.idString(); err != nil {
		return nil, err
	}
	if m.eventTS != nil {
		if err := env.EventTS.UnmarshalJSON(m.eventTS); err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrInvalidField, typ, withField(err, "event_ts"))
		}
	}
	if err := decodePayload(ev, typ, m.payload, inCopy(raw, data, m.payload)); err != nil {
		return nil, err
	}
	return ev, nil
}

// inCopy returns the bytes of the subslice sub of data in dup, a copy of
// data, or nil for a nil sub. The capacities tell where sub starts.
func inCopy(dup, data, sub []byte) []byte {
	if sub == nil {
		return nil
	}
	at := cap(data) - cap(sub)
	return dup[at : at+len(sub)]
}

// decodePayload decodes the payload member b into ev. For an *Unknown the
// payload is kept as rawCopy, the same bytes in the event's own copy of the
// delivery.
func decodePayload(ev Event, typ []byte, b, rawCopy []byte) error {
	if b == nil {
		return nil
	}
	if b[0] != '{' {
		if !json.Valid(b) {
			return syntaxError(b)
		}
		if string(b) != "null" {
			return fmt.Errorf("%w: %s: got %s", ErrInvalidPayload, typ, jsonKind(b))
		}
		if u, ok := ev.(*Unknown); ok {
			u.Payload = rawCopy
		}
		return nil
	}
	if u, ok := ev.(*Unknown); ok {
		if !json.Valid(b) {
			return syntaxError(b)
		}
		u.Payload = rawCopy
		return nil
	}
	if err := json.Unmarshal(b, ev.payload()); err != nil {
		return decodeError(typ, err)
	}
	return nil
}

// decodeError wraps an error from decoding the payload in the sentinel that
// says which part of the delivery was wrong, with the field's path made
// whole.
func decodeError(typ []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("%w: %w", ErrInvalidJSON, se)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		te.Field = strings.TrimSuffix("payload."+te.Field, ".")
	}
	return fmt.Errorf("%w: %s: %w", ErrInvalidField, typ, err)
}

// IsVerificationRequest reports whether body is the request Daily sends to
// check an endpoint when a webhook is created or updated: a JSON object
// whose "test" member is the string "test". It parses body rather than
// comparing bytes, so whitespace and key order do not matter. A body that
// also has a "type" member is an event, not a verification request.
func IsVerificationRequest(body []byte) bool {
	var v struct {
		Test *string         `json:"test"`
		Type json.RawMessage `json:"type"`
	}
	if json.Unmarshal(body, &v) != nil || v.Test == nil || v.Type != nil {
		return false
	}
	return *v.Test == "test"
}

// Unknown is a delivery of a type this package does not decode into its
// own Go type, most likely one Daily added after this package was written.
// It keeps the envelope and the payload as raw JSON. Parse returns it rather
// than an error, because an endpoint that fails on new events gets switched
// off by Daily. The version policy does not apply to it.
type Unknown struct {
	Envelope
	// Payload is the payload as raw JSON, or nil when absent.
	Payload json.RawMessage `json:"payload,omitzero"`
}

func (e *Unknown) payload() any { return &e.Payload }
func (e *Unknown) room() string { return "" }

// LogValue returns e's type, ID and time for log/slog, and nothing of its
// payload.
func (e *Unknown) LogValue() slog.Value { return e.logValue("") }

// MarshalJSON returns the delivery e was parsed from, or e's typed fields
// when e was built in code.
func (e Unknown) MarshalJSON() ([]byte, error) {
	type plain Unknown
	return marshalEvent(e.raw, plain(e))
}
