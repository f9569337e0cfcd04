package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
)

// The helpers below find the bounds of JSON values without decoding them.
// They never read past the end of their input and report -1 where a value
// does not end; checking the values is left to their callers.

// skipSpace returns the index of the first byte at or after i that is not
// JSON white space.
func skipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// skipString returns the index after the string that starts at data[i], or
// -1 if it does not end.
func skipString(data []byte, i int) int {
	for i++; i < len(data); i++ {
		switch data[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return -1
}

// maxNestingDepth is how deeply encoding/json lets arrays and objects nest.
const maxNestingDepth = 10000

// skipValue returns the index after the value that starts at data[i], or -1
// if there is none. Nested objects and arrays are skipped by counting
// brackets outside strings, without recursion, so deep nesting costs no
// stack. Structure inside them is checked later by the decoder, but not
// their depth: skipValue returns -1 for a value that, as a member of an
// object or array, nests deeper than encoding/json allows.
func skipValue(data []byte, i int) int {
	if i >= len(data) {
		return -1
	}
	switch data[i] {
	case '"':
		return skipString(data, i)
	case '{', '[':
		depth := 0
		for ; i < len(data); i++ {
			switch data[i] {
			case '"':
				i = skipString(data, i)
				if i < 0 {
					return -1
				}
				i--
			case '{', '[':
				// The value is inside an object or array, which
				// takes one level of encoding/json's limit.
				if depth++; depth >= maxNestingDepth {
					return -1
				}
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return -1
	}
	// A literal: a number, true, false or null. It ends at the first byte
	// that cannot belong to one.
	start := i
	for i < len(data) {
		switch c := data[i]; {
		case c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if i == start {
				return -1
			}
			return i
		}
		i++
	}
	if i == start {
		return -1
	}
	return i
}

// walkObject calls fn for each member of the JSON object b, in order, with
// the key (decoded as encoding/json decodes it) and the raw value. b must
// hold the object alone, white space around it aside. walkObject checks the
// object's punctuation and keys; values are only delimited, and checking
// them is left to fn. It stops at the first error fn returns.
func walkObject(b []byte, fn func(key, val []byte) error) error {
	i, done, err := openValue(b, '{', '}')
	for !done && err == nil {
		if i >= len(b) || b[i] != '"' {
			return errMalformed
		}
		kstart := i
		if i = skipString(b, i); i < 0 {
			return errMalformed
		}
		key, ok := jsonString(b[kstart:i])
		if !ok {
			return errMalformed
		}
		i = skipSpace(b, i)
		if i >= len(b) || b[i] != ':' {
			return errMalformed
		}
		i = skipSpace(b, i+1)
		vstart := i
		if i = skipValue(b, i); i < 0 {
			return errMalformed
		}
		if err := fn(key, b[vstart:i]); err != nil {
			return err
		}
		i, done, err = afterItem(b, i, '}')
	}
	return err
}

// walkArray calls fn for each element of the JSON array b, in order, with
// the raw element. Like walkObject, it checks the punctuation only.
func walkArray(b []byte, fn func(elem []byte) error) error {
	i, done, err := openValue(b, '[', ']')
	for !done && err == nil {
		start := i
		if i = skipValue(b, i); i < 0 {
			return errMalformed
		}
		if err := fn(b[start:i]); err != nil {
			return err
		}
		i, done, err = afterItem(b, i, ']')
	}
	return err
}

// openValue reads the opening bracket of the object or array b and returns
// the index of its first item, or reports done for an empty one.
func openValue(b []byte, opening, closing byte) (i int, done bool, err error) {
	i = skipSpace(b, 0)
	if i >= len(b) || b[i] != opening {
		return 0, false, errMalformed
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == closing {
		return 0, true, endOfValue(b, i+1)
	}
	return i, false, nil
}

// afterItem reads what follows an item that ends at i: a comma, and it
// returns the index of the next item, or the closing bracket, and it
// reports done.
func afterItem(b []byte, i int, closing byte) (next int, done bool, err error) {
	i = skipSpace(b, i)
	if i >= len(b) {
		return 0, false, errMalformed
	}
	switch b[i] {
	case ',':
		return skipSpace(b, i+1), false, nil
	case closing:
		return 0, true, endOfValue(b, i+1)
	}
	return 0, false, errMalformed
}

// endOfValue checks that only white space follows index i of b, where a
// value ended.
func endOfValue(b []byte, i int) error {
	if skipSpace(b, i) != len(b) {
		return errMalformed
	}
	return nil
}

// validValue reports whether the delimited value b is valid JSON. Strings,
// the values most often checked, are checked by jsonString, which reads the common
// ones without allocating.
func validValue(b []byte) bool {
	if b[0] == '"' {
		_, ok := jsonString(b)
		return ok
	}
	return json.Valid(b)
}

// kind returns the first byte of the JSON value b, which tells its kind, or
// 0 for an empty b or a true, false or null that is spelt wrong.
// encoding/json hands UnmarshalJSON methods only valid values; kind lets
// them refuse anything else, when called directly, without panicking.
func kind(b []byte) byte {
	if len(b) == 0 {
		return 0
	}
	switch b[0] {
	case 't':
		if string(b) != "true" {
			return 0
		}
	case 'f':
		if string(b) != "false" {
			return 0
		}
	case 'n':
		if string(b) != "null" {
			return 0
		}
	}
	return b[0]
}

// jsonKind names the kind of the JSON value b for error messages.
func jsonKind(b []byte) string {
	switch kind(b) {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	case 0:
		return "malformed value"
	}
	return "number"
}

// objectOrNull reports whether the JSON value b, for a field of type t that
// decodes from an object, is null. For anything but an object or null it
// returns a *json.UnmarshalTypeError naming t.
func objectOrNull(b []byte, t reflect.Type) (null bool, err error) {
	switch kind(b) {
	case 'n':
		return true, nil
	case '{':
		return false, nil
	}
	return false, &json.UnmarshalTypeError{Value: jsonKind(b), Type: t}
}

// errMalformed is returned by walkObject and walkArray for input that is not
// a well-formed JSON object or array.
var errMalformed = errors.New("events: malformed JSON object")

// keyIs reports whether the object key k names the field name, matched the
// way encoding/json matches keys: exactly, or else case-insensitively.
func keyIs(k []byte, name string) bool {
	return string(k) == name || bytes.EqualFold(k, []byte(name))
}

// withField prefixes the Field of a *json.UnmarshalTypeError with name, so
// that the decoder reports the whole path of a value an UnmarshalJSON method
// decoded by hand.
func withField(err error, name string) error {
	if te, ok := err.(*json.UnmarshalTypeError); ok {
		if te.Field == "" {
			te.Field = name
		} else {
			te.Field = name + "." + te.Field
		}
	}
	return err
}

// jsonString returns the contents of the JSON string b, escapes undone, and
// reports whether b is a valid JSON string. Strings of printable ASCII, the
// usual case, are returned without copying.
func jsonString(b []byte) ([]byte, bool) {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return nil, false
	}
	s := b[1 : len(b)-1]
	for _, c := range s {
		if c < 0x20 || c == '\\' || c == '"' || c >= 0x80 {
			var u string
			if json.Unmarshal(b, &u) != nil {
				return nil, false
			}
			return []byte(u), true
		}
	}
	return s, true
}

// syntaxError returns an error wrapping ErrInvalidJSON and the
// *json.SyntaxError that encoding/json reports for data, or nil when data is
// valid JSON.
func syntaxError(data []byte) error {
	if json.Valid(data) {
		return nil
	}
	var v any
	err := json.Unmarshal(data, &v)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("%w: %w", ErrInvalidJSON, se)
	}
	return ErrInvalidJSON
}
