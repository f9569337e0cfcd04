package events

import (
	"bytes"
	"encoding/json"
	"reflect"
)

// A LayoutPreset names a layout of a recording or live stream. The constants
// are the presets Daily documents; any other string is kept as sent.
type LayoutPreset string

// Layout presets.
const (
	LayoutDefault           LayoutPreset = "default"
	LayoutSingleParticipant LayoutPreset = "single-participant"
	LayoutActiveParticipant LayoutPreset = "active-participant"
	LayoutPortrait          LayoutPreset = "portrait"
	LayoutCustom            LayoutPreset = "custom"
)

// A LayoutVariant is the variant of the portrait preset. The constants are
// the values Daily documents; any other string is kept as sent.
type LayoutVariant string

// Portrait variants.
const (
	LayoutVariantVertical LayoutVariant = "vertical"
	LayoutVariantInset    LayoutVariant = "inset"
)

// A Layout is the layout of a recording or live stream, sent with
// recording.started, streaming.started and streaming.updated. Preset selects
// which other fields apply:
//
//   - [LayoutDefault]: MaxCamStreams
//   - [LayoutSingleParticipant]: SessionID
//   - [LayoutActiveParticipant]: none
//   - [LayoutPortrait]: Variant and MaxCamStreams
//   - [LayoutCustom]: CompositionID, CompositionParams and SessionAssets
//
// A Layout decoded from JSON keeps the JSON it came from and marshals back to
// exactly that, so a preset or member this package does not know survives.
// Fields that are zero were absent.
type Layout struct {
	// Preset selects the layout.
	Preset LayoutPreset `json:"preset,omitempty"`
	// MaxCamStreams is the most camera streams shown, for the default and
	// portrait presets; "" when absent. Daily types it as a JSON number,
	// so it may come as 2 or as 2.0: it keeps the text it came with. See
	// [Layout.CamStreams] for its value.
	MaxCamStreams json.Number `json:"max_cam_streams,omitempty"`
	// SessionID is the participant shown by the single-participant preset.
	SessionID string `json:"session_id,omitempty"`
	// Variant is the portrait preset's variant.
	Variant LayoutVariant `json:"variant,omitempty"`
	// CompositionID names the composition of the custom preset.
	CompositionID string `json:"composition_id,omitempty"`
	// CompositionParams maps a parameter name to its value: a string, a
	// number or a boolean, by parameter.
	CompositionParams map[string]CompositionParam `json:"composition_params,omitzero"`
	// SessionAssets maps an asset name to its address.
	SessionAssets map[string]string `json:"session_assets,omitzero"`

	raw []byte
}

// layoutFields is Layout without methods, for the default decoding.
type layoutFields Layout

// Raw returns the JSON the layout was decoded from, or nil for a Layout
// built in code. The caller must not modify it.
func (l Layout) Raw() json.RawMessage { return l.raw }

// IsZero reports whether l is the zero Layout: the field was absent.
func (l Layout) IsZero() bool { return l.Equal(Layout{}) && l.raw == nil }

// CamStreams returns MaxCamStreams as a whole number, and reports whether
// it is one: present, and without a fraction other than zeros (2.0 is 2).
func (l Layout) CamStreams() (int, bool) {
	f, err := l.MaxCamStreams.Float64()
	if err != nil || f != float64(int(f)) {
		return 0, false
	}
	return int(f), true
}

// Equal reports whether l and m have the same typed fields, composition
// parameters compared as JSON; the raw JSON they were decoded from is not
// compared.
func (l Layout) Equal(m Layout) bool {
	l.raw, m.raw = nil, nil
	if len(l.CompositionParams) != len(m.CompositionParams) {
		return false
	}
	for k, v := range l.CompositionParams {
		if w, ok := m.CompositionParams[k]; !ok || !v.Equal(w) {
			return false
		}
	}
	l.CompositionParams, m.CompositionParams = nil, nil
	return reflect.DeepEqual(l, m)
}

// A CompositionParam is the value of one parameter of a custom layout's
// composition. Daily's compositions take strings, numbers and booleans;
// a CompositionParam keeps the JSON it came with, so any other value
// survives too. The zero CompositionParam is absent.
type CompositionParam struct {
	raw json.RawMessage
}

// StringParam returns a composition parameter holding s.
func StringParam(s string) CompositionParam {
	b, _ := json.Marshal(s)
	return CompositionParam{raw: b}
}

// NumberParam returns a composition parameter holding the number n, in
// the shortest form that reads back as n.
func NumberParam(n float64) CompositionParam {
	b, err := json.Marshal(n)
	if err != nil { // NaN or infinity, which JSON cannot hold
		return CompositionParam{}
	}
	return CompositionParam{raw: b}
}

// BoolParam returns a composition parameter holding b.
func BoolParam(b bool) CompositionParam {
	if b {
		return CompositionParam{raw: json.RawMessage("true")}
	}
	return CompositionParam{raw: json.RawMessage("false")}
}

// Str returns the parameter's string, and reports whether it is one.
func (p CompositionParam) Str() (string, bool) {
	if kind(p.raw) != '"' {
		return "", false
	}
	s, ok := jsonString(p.raw)
	return string(s), ok
}

// Number returns the parameter's number with the text it came with, and
// reports whether it is one.
func (p CompositionParam) Number() (json.Number, bool) {
	switch kind(p.raw) {
	case 0, '"', '{', '[', 't', 'f', 'n':
		return "", false
	}
	return json.Number(p.raw), true
}

// Bool returns the parameter's boolean, and reports whether it is one.
func (p CompositionParam) Bool() (value, ok bool) {
	switch kind(p.raw) {
	case 't':
		return true, true
	case 'f':
		return false, true
	}
	return false, false
}

// Raw returns the parameter's JSON, or nil for the zero CompositionParam.
// The caller must not modify it.
func (p CompositionParam) Raw() json.RawMessage { return p.raw }

// Equal reports whether p and q hold the same JSON value, numbers compared
// by their text.
func (p CompositionParam) Equal(q CompositionParam) bool {
	if p.raw == nil || q.raw == nil {
		return p.raw == nil && q.raw == nil
	}
	return jsonEqual(p.raw, q.raw)
}

// MarshalJSON returns the parameter's JSON; null for the zero value.
func (p CompositionParam) MarshalJSON() ([]byte, error) {
	if p.raw == nil {
		return []byte("null"), nil
	}
	return p.raw, nil
}

// UnmarshalJSON keeps a copy of the JSON value b.
func (p *CompositionParam) UnmarshalJSON(b []byte) error {
	if !json.Valid(b) {
		return &json.UnmarshalTypeError{Value: jsonKind(b), Type: reflect.TypeFor[CompositionParam]()}
	}
	p.raw = bytes.Clone(b)
	return nil
}

// jsonEqual reports whether a and b hold the same JSON value: the same
// members and elements, with numbers compared by their text, whatever the
// whitespace, key order or string escapes.
func jsonEqual(a, b []byte) bool {
	if bytes.Equal(a, b) {
		return true
	}
	va, oka := decodeGeneric(a)
	vb, okb := decodeGeneric(b)
	return oka && okb && reflect.DeepEqual(va, vb)
}

// decodeGeneric decodes b into maps, slices and json.Number values.
func decodeGeneric(b []byte) (any, bool) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	return v, d.Decode(&v) == nil
}

// MarshalJSON returns the JSON l was decoded from, or its fields when l was
// built in code.
func (l Layout) MarshalJSON() ([]byte, error) {
	if l.raw != nil {
		return l.raw, nil
	}
	return json.Marshal(layoutFields(l))
}

// UnmarshalJSON decodes a layout object and keeps a copy of it. A value of
// the wrong kind is an error of type *[json.UnmarshalTypeError].
func (l *Layout) UnmarshalJSON(b []byte) error {
	if null, err := objectOrNull(b, reflect.TypeFor[Layout]()); null || err != nil {
		return err
	}
	var f layoutFields
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	f.raw = bytes.Clone(b)
	*l = Layout(f)
	return nil
}

var (
	_ json.Marshaler   = Layout{}
	_ json.Unmarshaler = (*Layout)(nil)
	_ json.Marshaler   = CompositionParam{}
	_ json.Unmarshaler = (*CompositionParam)(nil)
)
