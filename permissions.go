package events

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
)

// Permissions says what a participant may do in a call. Daily spells its
// keys in camelCase although the rest of the payload is snake_case.
type Permissions struct {
	// HasPresence reports whether other participants can see this one.
	HasPresence bool `json:"hasPresence"`
	// CanSend says which kinds of media the participant may send.
	CanSend CanSend `json:"canSend,omitzero"`
	// CanReceive says which media the participant may receive.
	CanReceive CanReceive `json:"canReceive,omitzero"`
	// CanAdmin says which administrative powers the participant holds.
	CanAdmin CanAdmin `json:"canAdmin,omitzero"`
}

// UnmarshalJSON decodes a permissions object. It walks the object itself
// rather than through reflection, because every participant event carries
// one. Keys match as encoding/json matches them; unknown keys are ignored,
// though their values are still checked to be valid JSON for callers other
// than encoding/json. A value of the wrong kind is an error of type *[json.UnmarshalTypeError]
// whose Field names it.
func (p *Permissions) UnmarshalJSON(b []byte) error {
	if null, err := objectOrNull(b, permissionsType); null || err != nil {
		return err
	}
	return walkObject(b, func(key, val []byte) error {
		switch {
		case keyIs(key, "hasPresence"):
			return withField(unmarshalBool(val, &p.HasPresence), "hasPresence")
		case keyIs(key, "canSend"):
			return withField(p.CanSend.UnmarshalJSON(val), "canSend")
		case keyIs(key, "canReceive"):
			return withField(p.CanReceive.UnmarshalJSON(val), "canReceive")
		case keyIs(key, "canAdmin"):
			return withField(p.CanAdmin.UnmarshalJSON(val), "canAdmin")
		case !validValue(val):
			return errMalformed
		}
		return nil
	})
}

// unmarshalBool decodes a JSON boolean into *v; null leaves *v alone.
func unmarshalBool(b []byte, v *bool) error {
	switch kind(b) {
	case 't':
		*v = true
	case 'f':
		*v = false
	case 'n':
	default:
		return &json.UnmarshalTypeError{Value: jsonKind(b), Type: reflect.TypeFor[bool]()}
	}
	return nil
}

// A Media is a kind of media a participant sends or receives. The constants
// are the values Daily documents; any other string is kept as sent.
type Media string

// Kinds of media.
const (
	MediaVideo       Media = "video"
	MediaAudio       Media = "audio"
	MediaScreenVideo Media = "screenVideo"
	MediaScreenAudio Media = "screenAudio"
	MediaCustomVideo Media = "customVideo"
	MediaCustomAudio Media = "customAudio"
)

// An AdminRole is an administrative power a participant may hold. The
// constants are the values Daily documents; any other string is kept as
// sent.
type AdminRole string

// Administrative powers.
const (
	AdminParticipants  AdminRole = "participants"
	AdminStreaming     AdminRole = "streaming"
	AdminTranscription AdminRole = "transcription"
)

// CanSend is the canSend permission: true (all media), false (none), or a
// list of the kinds of media allowed. Ask it with Allows:
// p.CanSend.Allows(events.MediaScreenVideo).
type CanSend = Grant[Media]

// CanAdmin is the canAdmin permission: true (every power), false (none), or
// a list of the powers held. Ask it with Allows:
// p.CanAdmin.Allows(events.AdminTranscription).
type CanAdmin = Grant[AdminRole]

// grantState is the form a Grant arrived in.
type grantState uint8

const (
	grantAbsent grantState = iota
	grantNull
	grantNone // false
	grantAll  // true
	grantList // an array, possibly empty
)

// A Grant is a permission that Daily sends either as a boolean, meaning all
// or nothing, or as a list of the things allowed. It cannot hold both forms
// at once, and it marshals back to the form it arrived in.
//
// The zero Grant means the field was absent; like a null one, it allows
// nothing.
type Grant[T ~string] struct {
	state grantState
	list  []T
}

// GrantAll returns the Grant sent as true.
func GrantAll[T ~string]() Grant[T] { return Grant[T]{state: grantAll} }

// GrantNone returns the Grant sent as false.
func GrantNone[T ~string]() Grant[T] { return Grant[T]{state: grantNone} }

// GrantList returns the Grant sent as a list of the given values, which may
// be empty.
func GrantList[T ~string](values ...T) Grant[T] {
	return Grant[T]{state: grantList, list: append([]T{}, values...)}
}

// Allows reports whether g allows v: g is true, or g is a list that holds v.
func (g Grant[T]) Allows(v T) bool {
	return g.state == grantAll || (g.state == grantList && slices.Contains(g.list, v))
}

// All reports whether g was sent as true.
func (g Grant[T]) All() bool { return g.state == grantAll }

// None reports whether g allows nothing: it was sent as false or as an empty
// list, or it is absent or null.
func (g Grant[T]) None() bool {
	return g.state != grantAll && len(g.list) == 0
}

// List returns the values of a Grant sent as a list, and reports whether it
// was sent as one. The caller must not modify the slice.
func (g Grant[T]) List() ([]T, bool) { return g.list, g.state == grantList }

// IsZero reports whether g is the zero Grant: the field was absent.
func (g Grant[T]) IsZero() bool { return g.state == grantAbsent }

// IsNull reports whether the delivery sent null.
func (g Grant[T]) IsNull() bool { return g.state == grantNull }

// Equal reports whether g and h are the same form with the same values in
// the same order.
func (g Grant[T]) Equal(h Grant[T]) bool {
	return g.state == h.state && slices.Equal(g.list, h.list)
}

// MarshalJSON returns g in the form it arrived in: true, false, a list, or
// null when absent or null.
func (g Grant[T]) MarshalJSON() ([]byte, error) {
	switch g.state {
	case grantAll:
		return []byte("true"), nil
	case grantNone:
		return []byte("false"), nil
	case grantList:
		if g.list == nil {
			return []byte("[]"), nil
		}
		return json.Marshal(g.list)
	}
	return []byte("null"), nil
}

// UnmarshalJSON accepts true, false, null or an array of strings. Any other
// value is an error of type *[json.UnmarshalTypeError].
func (g *Grant[T]) UnmarshalJSON(b []byte) error {
	switch kind(b) {
	case 'n':
		*g = Grant[T]{state: grantNull}
	case 't':
		*g = Grant[T]{state: grantAll}
	case 'f':
		*g = Grant[T]{state: grantNone}
	case '[':
		list := make([]T, 0, 6)
		err := walkArray(b, func(elem []byte) error {
			s, ok := jsonString(elem)
			if !ok {
				return errNotString
			}
			list = append(list, T(s))
			return nil
		})
		if err != nil {
			return &json.UnmarshalTypeError{Value: "array with a non-string element", Type: reflect.TypeFor[Grant[T]]()}
		}
		*g = Grant[T]{state: grantList, list: list}
	default:
		return &json.UnmarshalTypeError{Value: jsonKind(b), Type: reflect.TypeFor[Grant[T]]()}
	}
	return nil
}

var errNotString = errors.New("events: list element is not a string")

// CanReceive is the canReceive permission: which media the participant may
// receive from others. Base applies to everyone; ByUserID and
// ByParticipantID override it for the users and participants they name.
type CanReceive struct {
	// Base is the default for every sender. Zero means absent.
	Base Access `json:"base,omitzero"`
	// ByUserID maps a user ID to the access that overrides Base for that
	// user's media. Nil means absent.
	ByUserID map[string]Access `json:"byUserId,omitzero"`
	// ByParticipantID maps a participant (session) ID to the access that
	// overrides Base and ByUserID for that participant's media. Nil means
	// absent.
	ByParticipantID map[string]Access `json:"byParticipantId,omitzero"`
}

// UnmarshalJSON decodes a canReceive object, walking it as
// [Permissions.UnmarshalJSON] does.
func (c *CanReceive) UnmarshalJSON(b []byte) error {
	if null, err := objectOrNull(b, canReceiveType); null || err != nil {
		return err
	}
	return walkObject(b, func(key, val []byte) error {
		switch {
		case keyIs(key, "base"):
			return withField(c.Base.UnmarshalJSON(val), "base")
		case keyIs(key, "byUserId"):
			return withField(unmarshalAccessMap(val, &c.ByUserID), "byUserId")
		case keyIs(key, "byParticipantId"):
			return withField(unmarshalAccessMap(val, &c.ByParticipantID), "byParticipantId")
		case !validValue(val):
			return errMalformed
		}
		return nil
	})
}

// unmarshalAccessMap decodes an object of [Access] values into *m.
func unmarshalAccessMap(b []byte, m *map[string]Access) error {
	if null, err := objectOrNull(b, reflect.TypeFor[map[string]Access]()); null || err != nil {
		return err
	}
	if *m == nil {
		*m = map[string]Access{}
	}
	return walkObject(b, func(key, val []byte) error {
		var a Access
		if err := a.UnmarshalJSON(val); err != nil {
			return withField(err, string(key))
		}
		(*m)[string(key)] = a
		return nil
	})
}

// IsZero reports whether c is the zero CanReceive: the field was absent.
func (c CanReceive) IsZero() bool {
	return c.Base.IsZero() && c.ByUserID == nil && c.ByParticipantID == nil
}

// Allows reports whether the participant may receive media m from the
// sender with the given user ID and participant ID: the most specific
// entry that mentions m decides, the participant's first, then the user's,
// then Base. Either ID may be empty.
func (c CanReceive) Allows(userID, participantID string, m Media) bool {
	if a, ok := c.ByParticipantID[participantID]; ok && participantID != "" {
		if v, ok := a.lookup(m); ok {
			return v
		}
	}
	if a, ok := c.ByUserID[userID]; ok && userID != "" {
		if v, ok := a.lookup(m); ok {
			return v
		}
	}
	v, _ := c.Base.lookup(m)
	return v
}

// accessState is the form an Access arrived in.
type accessState uint8

const (
	accessAbsent accessState = iota
	accessNull
	accessNone // false
	accessAll  // true
	accessMap  // a media map
)

// An Access is a position of canReceive that Daily sends either as a
// boolean, meaning all media or none, or as an object that says media by
// media ([MediaAccess]). It marshals back to
// the form it arrived in. The zero Access means the field was absent.
type Access struct {
	state accessState
	media MediaAccess
}

// AccessAll returns the Access sent as true.
func AccessAll() Access { return Access{state: accessAll} }

// AccessNone returns the Access sent as false.
func AccessNone() Access { return Access{state: accessNone} }

// AccessByMedia returns the Access sent as an object that says media by
// media, m.
func AccessByMedia(m MediaAccess) Access { return Access{state: accessMap, media: m} }

// Media returns what an Access sent as an object says media by media, and
// reports whether it was sent so.
func (a Access) Media() (MediaAccess, bool) { return a.media, a.state == accessMap }

// All reports whether a was sent as true.
func (a Access) All() bool { return a.state == accessAll }

// Allows reports whether a allows media m: a is true, or a map that sets m
// to true. For the custom kinds, a map allows m when its "*" entry is true.
func (a Access) Allows(m Media) bool {
	v, _ := a.lookup(m)
	return v
}

// lookup returns what a says about m and whether it says anything.
func (a Access) lookup(m Media) (allowed, ok bool) {
	switch a.state {
	case accessAll:
		return true, true
	case accessNone:
		return false, true
	case accessMap:
		return a.media.lookup(m)
	}
	return false, false
}

// IsZero reports whether a is the zero Access: the field was absent.
func (a Access) IsZero() bool { return a.state == accessAbsent }

// IsNull reports whether the delivery sent null.
func (a Access) IsNull() bool { return a.state == accessNull }

// Equal reports whether a and b are the same form with the same values.
func (a Access) Equal(b Access) bool {
	return a.state == b.state && a.media.equal(b.media)
}

// MarshalJSON returns a in the form it arrived in.
func (a Access) MarshalJSON() ([]byte, error) {
	switch a.state {
	case accessAll:
		return []byte("true"), nil
	case accessNone:
		return []byte("false"), nil
	case accessMap:
		return json.Marshal(a.media)
	}
	return []byte("null"), nil
}

// UnmarshalJSON accepts true, false, null or a [MediaAccess] object. Any other value is
// an error of type *[json.UnmarshalTypeError].
func (a *Access) UnmarshalJSON(b []byte) error {
	switch kind(b) {
	case 'n':
		*a = Access{state: accessNull}
	case 't':
		*a = Access{state: accessAll}
	case 'f':
		*a = Access{state: accessNone}
	case '{':
		var m MediaAccess
		if err := json.Unmarshal(b, &m); err != nil {
			return err
		}
		*a = Access{state: accessMap, media: m}
	default:
		return &json.UnmarshalTypeError{Value: jsonKind(b), Type: reflect.TypeFor[Access]()}
	}
	return nil
}

// A MediaAccess says media by media what may be received: the object form
// of an [Access]. In canReceive's base
// every key is normally present; in the overrides any may be missing, and a
// nil field means the key was absent, so the less specific entry decides.
type MediaAccess struct {
	// Video is camera video; nil when absent.
	Video *bool `json:"video,omitzero"`
	// Audio is microphone audio; nil when absent.
	Audio *bool `json:"audio,omitempty"`
	// ScreenVideo is screen-share video; nil when absent.
	ScreenVideo *bool `json:"screenVideo,omitempty"`
	// ScreenAudio is screen-share audio; nil when absent.
	ScreenAudio *bool `json:"screenAudio,omitempty"`
	// CustomVideo maps a custom track name to whether it may be received;
	// the key "*" stands for every custom video track.
	CustomVideo map[string]bool `json:"customVideo,omitzero"`
	// CustomAudio is CustomVideo's counterpart for custom audio tracks.
	CustomAudio map[string]bool `json:"customAudio,omitzero"`
}

// lookup returns what m says about media k and whether it says anything.
func (m MediaAccess) lookup(k Media) (allowed, ok bool) {
	var p *bool
	switch k {
	case MediaVideo:
		p = m.Video
	case MediaAudio:
		p = m.Audio
	case MediaScreenVideo:
		p = m.ScreenVideo
	case MediaScreenAudio:
		p = m.ScreenAudio
	case MediaCustomVideo:
		v, ok := m.CustomVideo["*"]
		return v, ok
	case MediaCustomAudio:
		v, ok := m.CustomAudio["*"]
		return v, ok
	}
	if p == nil {
		return false, false
	}
	return *p, true
}

// equal compares m and n by value.
func (m MediaAccess) equal(n MediaAccess) bool { return reflect.DeepEqual(m, n) }

var (
	permissionsType = reflect.TypeFor[Permissions]()
	canReceiveType  = reflect.TypeFor[CanReceive]()
)

var (
	_ json.Unmarshaler = (*Permissions)(nil)
	_ json.Unmarshaler = (*CanReceive)(nil)
	_ json.Marshaler   = CanSend{}
	_ json.Unmarshaler = (*CanSend)(nil)
	_ json.Marshaler   = Access{}
	_ json.Unmarshaler = (*Access)(nil)
)
