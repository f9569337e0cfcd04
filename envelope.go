package events

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
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

// fill sets the version and type of an event built in code, when they are
// empty, to its Go type's.
func (e *Envelope) fill(t Type, schema string) {
	if e.Type == "" {
		e.Type = t
	}
	if e.Version == "" {
		e.Version = schema
	}
}

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

// envelopeMembers holds the raw values of the envelope's members, found by
// one walk over the top-level object. A nil value means the member was
// absent; where a key appears twice, the last value counts, as with
// encoding/json.
type envelopeMembers struct {
	typ, version, id, eventTS, payload []byte
}

// read walks the top-level object of data, checking its syntax, and keeps
// the members of the envelope. Every member but the payload is checked to be
// valid JSON here; the payload is checked by its decode.
func (m *envelopeMembers) read(data []byte) error {
	if i := skipSpace(data, 0); i >= len(data) || data[i] != '{' {
		return notObject(data)
	}
	err := walkObject(data, func(key, val []byte) error {
		switch {
		case keyIs(key, "payload"):
			// Only the last payload is decoded, so an earlier one is
			// checked here, as encoding/json checks every value.
			if m.payload != nil && !validValue(m.payload) {
				return errMalformed
			}
			m.payload = val
		case !validValue(val):
			return errMalformed
		case keyIs(key, "type"):
			m.typ = val
		case keyIs(key, "version"):
			m.version = val
		case keyIs(key, "id"):
			m.id = val
		case keyIs(key, "event_ts"):
			m.eventTS = val
		}
		return nil
	})
	if err != nil {
		return malformed(data)
	}
	return nil
}

// malformed returns the error for data that the envelope walk found
// malformed: encoding/json's syntax error, or ErrInvalidJSON should
// encoding/json see no error, so that a walk that stops early never lets a
// delivery through half read.
func malformed(data []byte) error {
	if err := syntaxError(data); err != nil {
		return err
	}
	return ErrInvalidJSON
}

// notObject explains data that does not start with an object.
func notObject(data []byte) error {
	if err := syntaxError(data); err != nil {
		return err
	}
	return ErrNotObject
}

// typeName returns the delivery's type, or the error that says why it has
// none.
func (m *envelopeMembers) typeName(data []byte) ([]byte, error) {
	switch {
	case m.typ == nil || m.typ[0] == 'n':
		if IsVerificationRequest(data) {
			return nil, ErrVerificationRequest
		}
		return nil, ErrMissingType
	case m.typ[0] != '"':
		return nil, fmt.Errorf("%w: got %s", ErrInvalidType, jsonKind(m.typ))
	}
	typ, _ := jsonString(m.typ)
	if len(typ) == 0 {
		return nil, ErrMissingType
	}
	return typ, nil
}

// checkedVersion applies the version policy, or with anyVersion set only the
// check that a version present is a string, and returns the version.
func (m *envelopeMembers) checkedVersion(info *typeInfo, anyVersion bool) (string, error) {
	v := m.version
	switch {
	case v != nil && v[0] == '"':
		s, _ := jsonString(v)
		if string(s) == info.schema {
			return info.schema, nil // the common case: no allocation
		}
		version := string(s)
		if anyVersion {
			return version, nil
		}
		return version, checkVersion(info.typ, version, info.schema)
	case v != nil && v[0] != 'n':
		return "", &VersionError{Type: info.typ, Supported: info.schema, Err: ErrInvalidVersion}
	case anyVersion:
		return "", nil
	}
	return "", checkVersion(info.typ, "", info.schema)
}

// idString returns the envelope's id; null or absent gives "".
func (m *envelopeMembers) idString() (string, error) {
	switch {
	case m.id == nil || m.id[0] == 'n':
		return "", nil
	case m.id[0] != '"':
		return "", fmt.Errorf("%w: %w", ErrInvalidField, &json.UnmarshalTypeError{Value: jsonKind(m.id), Type: reflect.TypeFor[string](), Field: "id"})
	}
	s, _ := jsonString(m.id)
	return string(s), nil
}
