package events

import (
	"encoding/json"
	"log/slog"
	"math"
	"reflect"
	"strconv"
	"time"
)

// form records how a flexible number arrived, so that it marshals back the
// same way.
type form uint8

const (
	formAbsent form = iota // the zero value: the field was not in the delivery
	formNull               // JSON null
	formNumber             // a JSON number
	formString             // a JSON string holding a number
)

// number is a decimal count of seconds as Daily sends it: a JSON number,
// whole or fractional, a JSON string holding such a number, or null.
//
// Common values (no exponent, at most 18 integer and 9 fractional digits) are
// held exactly in sec, nsec and digits and rebuilt byte for byte on output,
// without allocating. Anything else keeps its text in text.
type number struct {
	form   form
	neg    bool
	digits uint8  // fractional digits as written, 0 to 9
	nsec   uint32 // fractional part in nanoseconds
	sec    uint64 // integer part
	text   string // the JSON text as sent, quotes included, when sec, nsec and digits cannot rebuild it
}

// maxIntDigits keeps sec below 10^18, inside int64 and time.Unix's range.
const maxIntDigits = 18

// unmarshal decodes the JSON value b. t names the Go type in errors.
func (n *number) unmarshal(b []byte, t reflect.Type) error {
	switch kind(b) {
	case 'n':
		*n = number{form: formNull}
		return nil
	case '"':
		s, ok := jsonString(b)
		if !ok {
			return &json.UnmarshalTypeError{Value: "malformed string", Type: t}
		}
		v, ok := parseNumber(s)
		if !ok {
			return &json.UnmarshalTypeError{Value: "non-numeric string", Type: t}
		}
		if v.text != "" || len(s) != len(b)-2 {
			v.text = string(b) // keep the quotes and any escapes as sent
		}
		v.form = formString
		*n = v
		return nil
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		v, ok := parseNumber(b)
		if !ok {
			return &json.UnmarshalTypeError{Value: "number " + string(b), Type: t}
		}
		v.form = formNumber
		*n = v
		return nil
	}
	return &json.UnmarshalTypeError{Value: jsonKind(b), Type: t}
}

// parseNumber parses s, which must follow the JSON number grammar. It
// reports false for anything else and for values whose integer part does not
// fit in 18 digits.
func parseNumber(s []byte) (number, bool) {
	var n number
	i := 0
	if i < len(s) && s[i] == '-' {
		n.neg = true
		i++
	}
	start := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	intDigits := i - start
	if intDigits == 0 || (intDigits > 1 && s[start] == '0') {
		return number{}, false
	}
	exact := intDigits <= maxIntDigits
	if exact {
		for _, c := range s[start:i] {
			n.sec = n.sec*10 + uint64(c-'0')
		}
	}
	i, fracExact, ok := n.fraction(s, i)
	if !ok {
		return number{}, false
	}
	i, hasExp, ok := exponent(s, i)
	if !ok || i != len(s) {
		return number{}, false
	}
	if exact && fracExact && !hasExp {
		return n, true
	}
	return numberFromFloat(s, n.neg)
}

// fraction parses the fraction of s that starts at i, if there is one,
// into n. It returns the index after it, whether it has at most 9 digits
// (and so is exact), and false for a '.' without digits.
func (n *number) fraction(s []byte, i int) (next int, exact, ok bool) {
	if i >= len(s) || s[i] != '.' {
		return i, true, true
	}
	i++
	fstart := i
	for i < len(s) && isDigit(s[i]) {
		if d := i - fstart; d < 9 {
			n.nsec = n.nsec*10 + uint32(s[i]-'0')
		}
		i++
	}
	fd := i - fstart
	switch {
	case fd == 0:
		return i, false, false
	case fd > 9:
		return i, false, true
	}
	n.digits = uint8(fd)
	n.nsec *= uint32(pow10[9-fd])
	return i, true, true
}

// exponent skips the exponent of s that starts at i, if there is one. It
// returns the index after it, whether there was one, and false for an 'e'
// without digits.
func exponent(s []byte, i int) (next int, found, ok bool) {
	if i >= len(s) || (s[i] != 'e' && s[i] != 'E') {
		return i, false, true
	}
	i++
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	estart := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i, true, i != estart
}

// numberFromFloat returns the number s, with an exponent, a long fraction
// or a long integer: its text is kept, and its value taken from a float,
// rounded to the nanosecond. neg is whether s starts with '-'.
func numberFromFloat(s []byte, neg bool) (number, bool) {
	f, err := strconv.ParseFloat(string(s), 64)
	if err != nil || math.Abs(f) >= 1e18 {
		return number{}, false
	}
	a := math.Abs(f)
	sec, frac := math.Modf(a)
	nsec := math.Round(frac * 1e9)
	if nsec >= 1e9 {
		sec++
		nsec = 0
	}
	return number{neg: f < 0 || neg, sec: uint64(sec), nsec: uint32(nsec), digits: 9, text: string(s)}, true
}

var pow10 = [...]uint64{1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// marshal appends n as it arrived.
func (n number) marshal() []byte {
	switch n.form {
	case formNumber, formString:
	default:
		return []byte("null")
	}
	if n.text != "" {
		return []byte(n.text) // quotes included for the string form
	}
	b := make([]byte, 0, 32)
	if n.form == formString {
		b = append(b, '"')
	}
	b = n.appendText(b)
	if n.form == formString {
		b = append(b, '"')
	}
	return b
}

// appendText appends the number's text without quotes.
func (n number) appendText(b []byte) []byte {
	if n.text != "" {
		if s, ok := jsonString([]byte(n.text)); ok {
			return append(b, s...) // the string form, unquoted
		}
		return append(b, n.text...)
	}
	if n.neg {
		b = append(b, '-')
	}
	b = strconv.AppendUint(b, n.sec, 10)
	if n.digits > 0 {
		b = append(b, '.')
		frac := uint64(n.nsec) / pow10[9-n.digits]
		var tmp [9]byte
		for i := int(n.digits) - 1; i >= 0; i-- {
			tmp[i] = byte('0' + frac%10)
			frac /= 10
		}
		b = append(b, tmp[:n.digits]...)
	}
	return b
}

// valid reports whether n holds a value (neither absent nor null).
func (n number) valid() bool { return n.form == formNumber || n.form == formString }

// split returns the signed seconds and nanoseconds of n.
func (n number) split() (sec, nsec int64) {
	sec, nsec = int64(n.sec), int64(n.nsec)
	if n.neg {
		return -sec, -nsec
	}
	return sec, nsec
}

// fromParts builds an exact number in the JSON number form.
func fromParts(neg bool, sec uint64, nsec uint32) number {
	n := number{form: formNumber, neg: neg, sec: sec, nsec: nsec}
	if nsec != 0 {
		n.digits = 9
		for d := nsec; d%10 == 0; d /= 10 {
			n.digits--
		}
	}
	return n
}

// A Time is a point in time that Daily sends as Unix epoch seconds: a JSON
// number, whole or fractional, a JSON string holding such a number, or null.
//
// A Time remembers the form it arrived in and marshals back to exactly that
// form and text: a string stays a string, 1708972279.960 keeps its trailing
// zero and null stays null. Its text is kept whole; its value, which Time
// and Duration methods return, is exact to the nanosecond for a plain
// decimal of at most 9 fraction digits, which is what Daily sends. A number
// in exponent form, with more fraction digits, or beyond what an int64 of
// nanoseconds holds is read through a float64, and its value can be off by
// a few hundred nanoseconds.
//
// The zero Time means the field was absent from the delivery. Its methods,
// like those of a null Time, are safe to call and report no time.
type Time struct {
	n number
}

// NewTime returns t as a Time in the JSON number form, with as many
// fractional digits as t needs (none for a whole second).
func NewTime(t time.Time) Time {
	sec, nsec := t.Unix(), t.Nanosecond()
	if sec < 0 && nsec > 0 {
		// Epoch times before 1970 are rare enough to give up the
		// exact form for them.
		sec++
		nsec = 1e9 - nsec
		return Time{fromParts(true, uint64(-sec), uint32(nsec))}
	}
	if sec < 0 {
		return Time{fromParts(true, uint64(-sec), 0)}
	}
	return Time{fromParts(false, uint64(sec), uint32(nsec))}
}

// NewTimeString returns t as a Time in the JSON string form some of
// Daily's events use, such as "1708526033".
func NewTimeString(t time.Time) Time {
	n := NewTime(t).n
	n.form = formString
	return Time{n}
}

// NullTime returns the Time that marshals as JSON null, as Daily sends a
// time that is not set.
func NullTime() Time { return Time{number{form: formNull}} }

// Time returns the instant t holds, in UTC. It returns the zero [time.Time]
// when t is absent or null.
func (t Time) Time() time.Time {
	if !t.n.valid() {
		return time.Time{}
	}
	return time.Unix(t.n.split()).UTC()
}

// Valid reports whether t holds a time, that is, it was neither absent nor
// null.
func (t Time) Valid() bool { return t.n.valid() }

// IsNull reports whether the delivery sent null for t.
func (t Time) IsNull() bool { return t.n.form == formNull }

// IsZero reports whether t is the zero Time, meaning that the field was
// absent. A null Time is not zero: it marshals back as null. The omitzero
// JSON option uses this method.
func (t Time) IsZero() bool { return t.n.form == formAbsent }

// Quoted reports whether Daily sent t as a JSON string.
func (t Time) Quoted() bool { return t.n.form == formString }

// Equal reports whether t and u hold the same value in the same JSON form
// and text. To compare instants only, compare the results of [Time.Time].
func (t Time) Equal(u Time) bool { return t.n == u.n }

// LogValue returns t for log/slog as a time, which slog's handlers write in
// RFC 3339, or as "null" or "" when t is null or absent.
func (t Time) LogValue() slog.Value {
	switch {
	case t.Valid():
		return slog.TimeValue(t.Time())
	case t.IsNull():
		return slog.StringValue("null")
	}
	return slog.StringValue("")
}

// String returns the epoch seconds as sent, without quotes, or "null" when
// absent or null.
func (t Time) String() string {
	if !t.n.valid() {
		return "null"
	}
	return string(t.n.appendText(nil))
}

// MarshalJSON returns t in the form it arrived in.
func (t Time) MarshalJSON() ([]byte, error) { return t.n.marshal(), nil }

// UnmarshalJSON accepts a JSON number, a JSON string holding a number, or
// null. Any other value, a non-numeric string included, is an error of type
// *[json.UnmarshalTypeError].
func (t *Time) UnmarshalJSON(b []byte) error { return t.n.unmarshal(b, timeType) }

// A Duration is a length of time that Daily sends as seconds: a JSON number,
// whole or fractional, a JSON string holding such a number, or null.
//
// Like [Time], a Duration marshals back in the form and text it arrived in,
// and its zero value means the field was absent.
type Duration struct {
	n number
}

// NewDuration returns d as a Duration in the JSON number form.
func NewDuration(d time.Duration) Duration {
	neg := d < 0
	u := uint64(d)
	if neg {
		u = -u
	}
	return Duration{fromParts(neg, u/1e9, uint32(u%1e9))}
}

// Duration returns the length d holds. It returns 0 when d is absent or
// null, and saturates at the largest or smallest [time.Duration] for values
// beyond about 292 years.
func (d Duration) Duration() time.Duration {
	if !d.n.valid() {
		return 0
	}
	const maxSec = uint64(math.MaxInt64 / int64(time.Second))
	if d.n.sec > maxSec {
		if d.n.neg {
			return math.MinInt64
		}
		return math.MaxInt64
	}
	sec, nsec := d.n.split()
	return time.Duration(sec)*time.Second + time.Duration(nsec)
}

// Seconds returns the length d holds in seconds, or 0 when absent or null.
func (d Duration) Seconds() float64 {
	if !d.n.valid() {
		return 0
	}
	sec, nsec := d.n.split()
	return float64(sec) + float64(nsec)/1e9
}

// Valid reports whether d holds a length, that is, it was neither absent nor
// null.
func (d Duration) Valid() bool { return d.n.valid() }

// IsNull reports whether the delivery sent null for d.
func (d Duration) IsNull() bool { return d.n.form == formNull }

// IsZero reports whether d is the zero Duration, meaning that the field was
// absent. A zero-length Duration that was sent is not zero.
func (d Duration) IsZero() bool { return d.n.form == formAbsent }

// Quoted reports whether Daily sent d as a JSON string.
func (d Duration) Quoted() bool { return d.n.form == formString }

// Equal reports whether d and e hold the same value in the same JSON form
// and text.
func (d Duration) Equal(e Duration) bool { return d.n == e.n }

// LogValue returns d for log/slog as a duration, or as "null" or "" when d
// is null or absent.
func (d Duration) LogValue() slog.Value {
	switch {
	case d.Valid():
		return slog.DurationValue(d.Duration())
	case d.IsNull():
		return slog.StringValue("null")
	}
	return slog.StringValue("")
}

// String returns the duration as time.Duration writes it ("1m5.159s"), or
// "null" when absent or null; MarshalJSON gives the seconds as sent.
func (d Duration) String() string {
	if !d.n.valid() {
		return "null"
	}
	return d.Duration().String()
}

// MarshalJSON returns d in the form it arrived in.
func (d Duration) MarshalJSON() ([]byte, error) { return d.n.marshal(), nil }

// UnmarshalJSON accepts a JSON number, a JSON string holding a number, or
// null. Any other value is an error of type *[json.UnmarshalTypeError].
func (d *Duration) UnmarshalJSON(b []byte) error { return d.n.unmarshal(b, durationType) }

var (
	timeType     = reflect.TypeFor[Time]()
	durationType = reflect.TypeFor[Duration]()
)

var (
	_ json.Marshaler   = Time{}
	_ json.Unmarshaler = (*Time)(nil)
	_ json.Marshaler   = Duration{}
	_ json.Unmarshaler = (*Duration)(nil)
)
