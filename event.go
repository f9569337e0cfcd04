package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
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

	sealed()
}

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
	// ErrInvalidType means that the type is not a JSON string, or that the
	// object names it more than once with different values.
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
// Parse keeps a copy of data; the caller may reuse data afterwards. It
// decodes data once, after a small scan that finds the type.
//
// The errors wrap [ErrInvalidJSON], [ErrNotObject], [ErrVerificationRequest],
// [ErrMissingType], [ErrInvalidType], [ErrInvalidPayload] or
// [ErrInvalidField], or are a *[VersionError].
func (p Parser) Parse(data []byte) (Event, error) {
	typ, ver, ok := scanEnvelope(data)
	if !ok || !typ.found || typ.null || !typ.str || len(typ.val) == 0 {
		return nil, envelopeError(data, typ, ok)
	}
	info := lookup(typ.val)
	var ev Event
	if info == nil {
		ev = new(Unknown)
	} else {
		if !p.AnyVersion {
			if err := checkMember(info, ver); err != nil {
				if serr := syntaxError(data); serr != nil {
					return nil, serr
				}
				return nil, err
			}
		}
		ev = info.new()
	}
	if err := json.Unmarshal(data, ev); err != nil {
		return nil, decodeError(typ.val, err)
	}
	if u, ok := ev.(*Unknown); ok && len(u.Payload) > 0 && u.Payload[0] != '{' && string(u.Payload) != "null" {
		return nil, fmt.Errorf("%w: %s: got %s", ErrInvalidPayload, typ.val, jsonKind(u.Payload))
	}
	env := ev.Meta()
	if string(env.Type) != string(typ.val) {
		// The decoder took a later duplicate, or a key spelled in
		// another case, over the member the scan found.
		return nil, fmt.Errorf("%w: type given twice: %q and %q", ErrInvalidType, typ.val, env.Type)
	}
	if info != nil && !p.AnyVersion && env.Version != string(ver.val) {
		if err := checkVersion(info.typ, env.Version, info.schema); err != nil {
			return nil, err
		}
	}
	env.raw = bytes.Clone(data)
	return ev, nil
}

// checkMember applies the version policy to the version member the scan
// found.
func checkMember(info *typeInfo, ver member) error {
	switch {
	case ver.str && string(ver.val) == info.schema:
		return nil
	case !ver.found, ver.null:
		return checkVersion(info.typ, "", info.schema)
	case !ver.str:
		return &VersionError{Type: info.typ, Supported: info.schema, Err: ErrInvalidVersion}
	}
	return checkVersion(info.typ, string(ver.val), info.schema)
}

// envelopeError explains why data has no usable type.
func envelopeError(data []byte, typ member, scanned bool) error {
	if err := syntaxError(data); err != nil {
		return err
	}
	switch {
	case !scanned:
		return ErrNotObject
	case IsVerificationRequest(data):
		return ErrVerificationRequest
	case typ.found && !typ.str && !typ.null:
		return ErrInvalidType
	}
	return ErrMissingType
}

// syntaxError returns an error wrapping ErrInvalidJSON when data is not
// valid JSON.
func syntaxError(data []byte) error {
	if json.Valid(data) {
		return nil
	}
	var v struct{}
	err := json.Unmarshal(data, &v)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("%w: %w", ErrInvalidJSON, se)
	}
	return ErrInvalidJSON
}

// decodeError wraps an error from json.Unmarshal in the sentinel that says
// which part of the delivery was wrong.
func decodeError(typ []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("%w: %w", ErrInvalidJSON, se)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		switch te.Field {
		case "payload":
			return fmt.Errorf("%w: %s: got %s", ErrInvalidPayload, typ, te.Value)
		case "type":
			return fmt.Errorf("%w: %w", ErrInvalidType, te)
		case "version":
			t := Type(typ)
			return &VersionError{Type: t, Supported: t.SchemaVersion(), Err: ErrInvalidVersion}
		}
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
	Payload json.RawMessage `json:"payload,omitempty"`
}

func (*Unknown) sealed() {}

// MarshalJSON returns the delivery e was parsed from, or e's typed fields
// when e was built in code.
func (e Unknown) MarshalJSON() ([]byte, error) {
	type plain Unknown
	return marshalEvent(e.raw, plain(e))
}
