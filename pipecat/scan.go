package pipecat

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
)

// The envelope is read in one walk that finds where each top-level
// member's key and value start and end; every member but data is then
// checked by encoding/json, and data is checked as it is decoded, so that
// no byte is validated twice.

// errMalformed is the walk's error for a body that is no JSON object.
var errMalformed = errors.New("malformed")

// members calls fn with each key (still quoted) and value of the object b
// holds, and returns errMalformed when b is not an object of that shape,
// or fn's error. The keys and values are not checked here.
func members(b []byte, fn func(key, val []byte) error) error {
	i := space(b, 0)
	if i == len(b) || b[i] != '{' {
		return errMalformed
	}
	i = space(b, i+1)
	if i < len(b) && b[i] == '}' {
		return trailing(b, i+1)
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return errMalformed
		}
		k := i
		if i = skip(b, i); i < 0 {
			return errMalformed
		}
		key := b[k:i]
		if i = space(b, i); i >= len(b) || b[i] != ':' {
			return errMalformed
		}
		v := space(b, i+1)
		if i = skip(b, v); i < 0 {
			return errMalformed
		}
		if err := fn(key, b[v:i]); err != nil {
			return err
		}
		switch i = space(b, i); {
		case i >= len(b):
			return errMalformed
		case b[i] == '}':
			return trailing(b, i+1)
		case b[i] != ',':
			return errMalformed
		}
		i = space(b, i+1)
	}
}

// trailing returns errMalformed when anything but white space follows i.
func trailing(b []byte, i int) error {
	if space(b, i) != len(b) {
		return errMalformed
	}
	return nil
}

// space returns the index of the first byte at or after i that is not
// JSON white space.
func space(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skip returns the index just past the JSON value that starts at i, or -1
// when it does not end: it finds the end of a string, of brackets in
// balance, or of a literal, without checking what lies between.
func skip(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		for i++; i < len(b); i++ {
			switch b[i] {
			case '\\':
				i++
			case '"':
				return i + 1
			}
		}
		return -1
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				if i = skip(b, i); i < 0 {
					return -1
				}
				i--
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
		return -1
	}
	start := i
	for ; i < len(b); i++ {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\r', '\n':
			return nonEmpty(start, i)
		}
	}
	return nonEmpty(start, i)
}

// nonEmpty returns end, or -1 for an empty literal.
func nonEmpty(start, end int) int {
	if end == start {
		return -1
	}
	return end
}

// str returns the string that the valid JSON string quoted holds: without
// an escape, its bytes as they are; with one, as encoding/json reads it.
func str(quoted []byte) string {
	inner := quoted[1 : len(quoted)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return string(inner)
	}
	var s string
	json.Unmarshal(quoted, &s)
	return s
}

// keyIs reports whether the quoted key is name, which has no escape.
func keyIs(quoted []byte, name string) bool {
	return len(quoted) == len(name)+2 && string(quoted[1:len(quoted)-1]) == name
}

// jsonType names the JSON type of the value b ("absent" for none), as
// encoding/json's errors do.
func jsonType(b []byte) string {
	if len(b) == 0 {
		return "absent"
	}
	switch b[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	}
	return "number"
}

var (
	stringType = reflect.TypeFor[string]()
	floatType  = reflect.TypeFor[float64]()
)

// decodeString decodes a JSON string into s; null leaves it, and another
// JSON type is an error, as encoding/json's.
func decodeString(b []byte, s *string) error {
	switch {
	case b[0] == '"':
		*s = str(b)
		return nil
	case b[0] == 'n':
		return nil
	}
	return &json.UnmarshalTypeError{Value: jsonType(b), Type: stringType}
}

// decodeFloat decodes a JSON number into f.
func decodeFloat(b []byte, f *float64) error {
	if b[0] == '-' || '0' <= b[0] && b[0] <= '9' {
		v, err := strconv.ParseFloat(string(b), 64)
		if err != nil {
			return &json.UnmarshalTypeError{Value: "number " + string(b), Type: floatType}
		}
		*f = v
		return nil
	}
	return &json.UnmarshalTypeError{Value: jsonType(b), Type: floatType}
}
