package events

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
)

// SIPHeaders are the headers of a caller's SIP INVITE, sent with the dial-in
// events as an object from header name to value.
//
// Daily's examples send string values. SIPHeaders keeps those in a map and
// also keeps the object's JSON, so a header sent in another form (a list for
// a repeated header, say) is not an error and is not lost: Raw has it. A
// SIPHeaders marshals back to the JSON it came from. The zero SIPHeaders
// means the field was absent.
type SIPHeaders struct {
	m   map[string]string
	raw []byte
}

// NewSIPHeaders returns SIPHeaders holding a copy of m.
func NewSIPHeaders(m map[string]string) SIPHeaders {
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return SIPHeaders{m: c}
}

// Get returns the value of the header named name, matched without regard to
// case as SIP header names are, or "" when there is no such string-valued
// header.
func (h SIPHeaders) Get(name string) string {
	if v, ok := h.m[name]; ok {
		return v
	}
	for k, v := range h.m {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// Map returns the string-valued headers. The caller must not modify the
// map.
func (h SIPHeaders) Map() map[string]string { return h.m }

// Raw returns the JSON the headers were decoded from, or nil for headers
// built in code. The caller must not modify it.
func (h SIPHeaders) Raw() json.RawMessage { return h.raw }

// IsZero reports whether h is the zero SIPHeaders: the field was absent.
func (h SIPHeaders) IsZero() bool { return h.m == nil && h.raw == nil }

// Equal reports whether h and g hold the same string-valued headers and,
// where both were decoded, the same JSON but for whitespace.
func (h SIPHeaders) Equal(g SIPHeaders) bool {
	if len(h.m) != len(g.m) || (h.raw != nil && g.raw != nil && !jsonEqual(h.raw, g.raw)) {
		return false
	}
	for k, v := range h.m {
		if w, ok := g.m[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// MarshalJSON returns the JSON h was decoded from, or the map when h was
// built in code.
func (h SIPHeaders) MarshalJSON() ([]byte, error) {
	if h.raw != nil {
		return h.raw, nil
	}
	if h.m == nil {
		return []byte("null"), nil
	}
	return json.Marshal(h.m)
}

// UnmarshalJSON decodes an object of headers. Values that are not strings
// are left out of the map but kept in the raw JSON. A value that is not an
// object or null is an error of type *[json.UnmarshalTypeError].
func (h *SIPHeaders) UnmarshalJSON(b []byte) error {
	null, err := objectOrNull(b, reflect.TypeFor[SIPHeaders]())
	if null || err != nil {
		*h = SIPHeaders{}
		return err
	}
	m := map[string]string{}
	err = walkObject(b, func(key, val []byte) error {
		if val[0] != '"' {
			if !validValue(val) {
				return errMalformed
			}
			return nil // kept in the raw JSON only
		}
		var s string
		if err := json.Unmarshal(val, &s); err != nil {
			return err
		}
		m[string(key)] = s
		return nil
	})
	if err != nil {
		return err
	}
	*h = SIPHeaders{m: m, raw: bytes.Clone(b)}
	return nil
}

var (
	_ json.Marshaler   = SIPHeaders{}
	_ json.Unmarshaler = (*SIPHeaders)(nil)
)
