package term

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode"
)

func TestSafe(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ptcpt-join-1", "ptcpt-join-1"},
		{"salle é 会议 🎥", "salle é 会议 🎥"},
		{"id\nstored meeting.ended FORGED-ID", `id\nstored meeting.ended FORGED-ID`},
		{"a\r\tb", `a\r\tb`},
		{"\x1b]0;pwned\x07", `\x1b]0;pwned\a`},
		{"\x1b[31mred", `\x1b[31mred`},
		{"del\x7f", `del\x7f`},
		{"c1\u009b31m", `c1\u009b31m`},
		{"evil\u202etxt.exe", `evil\u202etxt.exe`},
		{"iso\u2066late", `iso\u2066late`},
		{"line\u2028sep", `line\u2028sep`},
		{"bad\xffutf8", `bad\xffutf8`},
		{"\x00", `\x00`},
		{`back\slash`, `back\slash`},
	}
	for _, tt := range tests {
		if got := Safe(tt.in); got != tt.want {
			t.Errorf("Safe(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzSafe(f *testing.F) {
	f.Add("id\n\x1b]0;x\x07\u202e\xff")
	f.Fuzz(func(t *testing.T, s string) {
		got := Safe(s)
		for _, r := range got {
			if unicode.IsControl(r) || unsafeRune(r) || r == '\uFFFD' && !strings.ContainsRune(s, '\uFFFD') {
				t.Fatalf("Safe(%q) = %q holds %U", s, got, r)
			}
		}
	})
}

func TestJSON(t *testing.T) {
	in := []byte("{\"id\":\"a\u009b31m\u202eb\",\n\"n\":1}\n")
	got := JSON(in)
	if want := "{\"id\":\"a\\u009b31m\\u202eb\",\n\"n\":1}\n"; string(got) != want {
		t.Errorf("JSON = %q, want %q", got, want)
	}
	var a, b any
	if err := json.Unmarshal(in, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(got, &b); err != nil || !reflect.DeepEqual(a, b) {
		t.Errorf("JSON changed the value: %v, %v", b, err)
	}
}
