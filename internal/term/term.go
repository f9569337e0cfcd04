// Package term makes untrusted strings safe to print on a terminal or in a
// line-oriented log: a delivery's type, ID or room, an app's error, a
// phone number.
package term

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Safe returns s with every control character escaped as Go escapes it in
// a quoted string (\n, \x1b, \u202e, …): C0 and C1 controls, DEL, the
// Unicode bidirectional overrides and isolates that reorder what a terminal
// shows, and bytes that are not UTF-8. A string with none is returned as it
// is, without allocating. A forged "\nstored …" can then not start a line
// of its own, and an escape sequence cannot retitle or recolour a
// terminal.
func Safe(s string) string {
	i := strings.IndexFunc(s, unsafeRune)
	if i < 0 && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\x`)
			b.WriteString(strconv.FormatUint(uint64(s[0])>>4, 16))
			b.WriteString(strconv.FormatUint(uint64(s[0])&0xf, 16))
		case unsafeRune(r):
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[:size])
		}
		s = s[size:]
	}
	return b.String()
}

// unsafeInJSON reports whether r is unsafe and may stand raw in valid
// JSON: the controls below U+0020 are escaped in strings, and white space
// outside them.
func unsafeInJSON(r rune) bool { return r >= 0x7f && unsafeRune(r) }

// unsafeRune reports whether r is a control character, or a bidirectional
// formatting character.
func unsafeRune(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true
	case r == 0x2028, r == 0x2029: // line and paragraph separators
		return true
	}
	return false
}

// JSON returns the JSON text b with the characters Safe escapes written as
// \uXXXX escapes: the same JSON value, safe on a terminal. encoding/json
// escapes only the controls below U+0020 (and, by default, U+2028 and
// U+2029); a C1 control or a bidirectional override would reach the
// terminal raw. Outside strings, valid JSON holds none of them.
func JSON(b []byte) []byte {
	s := string(b)
	if strings.IndexFunc(s, unsafeInJSON) < 0 {
		return b
	}
	var out strings.Builder
	out.Grow(len(b) + 16)
	for _, r := range s {
		if unsafeInJSON(r) {
			out.WriteString(`\u`)
			h := strconv.FormatUint(uint64(r), 16)
			out.WriteString(strings.Repeat("0", 4-len(h)) + h)
			continue
		}
		out.WriteRune(r)
	}
	return []byte(out.String())
}
