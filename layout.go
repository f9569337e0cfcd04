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
	// MaxCamStreams is the most camera streams shown, for the default and portrait presets; zero when absent.
	MaxCamStreams int `json:"max_cam_streams,omitempty"`
	// SessionID is the participant shown by the single-participant preset.
	SessionID string `json:"session_id,omitempty"`
	// Variant is the portrait preset's variant.
	Variant LayoutVariant `json:"variant,omitempty"`
	// CompositionID names the composition of the custom preset.
	CompositionID string `json:"composition_id,omitempty"`
	// CompositionParams maps a parameter name to its value, whose JSON type
	// varies by parameter: the values are kept as raw JSON.
	CompositionParams map[string]json.RawMessage `json:"composition_params,omitzero"`
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

// Equal reports whether l and m have the same typed fields, composition
// parameters compared as JSON; the raw JSON they were decoded from is not
// compared.
func (l Layout) Equal(m Layout) bool {
	l.raw, m.raw = nil, nil
	if len(l.CompositionParams) != len(m.CompositionParams) {
		return false
	}
	for k, v := range l.CompositionParams {
		if w, ok := m.CompositionParams[k]; !ok || !jsonEqual(v, w) {
			return false
		}
	}
	l.CompositionParams, m.CompositionParams = nil, nil
	return reflect.DeepEqual(l, m)
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
)
