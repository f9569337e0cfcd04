package events

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// The tests of the package's own JSON reader, the helpers of scan.go.

func TestSkipValue(t *testing.T) {
	tests := []struct {
		in   string
		from int
		want int
	}{
		{`"abc"`, 0, 5},
		{`"a\"b",`, 0, 6},
		{`"a\\"x`, 0, 5},
		{`"abc`, 0, -1},
		{`"a\`, 0, -1},
		{`{"a":[1,{"b":"}"}]} ,`, 0, 19},
		{`[[[]]]`, 0, 6},
		{`[[]`, 0, -1},
		{`123,`, 0, 3},
		{`true}`, 0, 4},
		{`null`, 0, 4},
		{`,`, 0, -1},
		{``, 0, -1},
		{`  x`, 5, -1},
		{strings.Repeat(`[`, maxNestingDepth-1) + strings.Repeat(`]`, maxNestingDepth-1), 0, 2 * (maxNestingDepth - 1)},
		{strings.Repeat(`[`, maxNestingDepth) + strings.Repeat(`]`, maxNestingDepth), 0, -1},
	}
	for _, tt := range tests {
		name := tt.in
		if len(name) > 30 {
			name = fmt.Sprintf("%d brackets", len(tt.in)/2)
		}
		t.Run(name, func(t *testing.T) {
			if got := skipValue([]byte(tt.in), tt.from); got != tt.want {
				t.Errorf("skipValue(%q, %d) = %d, want %d", name, tt.from, got, tt.want)
			}
		})
	}
	if got := skipSpace([]byte(" \t\r\nx"), 0); got != 4 {
		t.Errorf("skipSpace = %d, want 4", got)
	}
	if got := skipSpace([]byte("  "), 0); got != 2 {
		t.Errorf("skipSpace of white space alone = %d, want 2", got)
	}
}

func TestWalkObject(t *testing.T) {
	tests := []struct {
		in   string
		want string // key=value pairs, or "malformed"
	}{
		{`{}`, ``},
		{` { "a" : 1 , "b":[true,null], "c":{"d":"e"} } `, `a=1 b=[true,null] c={"d":"e"} `},
		{`{"\u0061":1}`, `a=1 `},
		{`{"a":1,"a":2}`, `a=1 a=2 `},
		{`{"a":1,}`, `malformed`},
		{`{"a" 1}`, `malformed`},
		{`{a:1}`, `malformed`},
		{`{"a":1} x`, `malformed`},
		{`{"a":1`, `malformed`},
		{`[]`, `malformed`},
		{`{"a":}`, `malformed`},
		{`{"\q":1}`, `malformed`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var got strings.Builder
			err := walkObject([]byte(tt.in), func(k, v []byte) error {
				fmt.Fprintf(&got, "%s=%s ", k, v)
				return nil
			})
			if errors.Is(err, errMalformed) {
				got.Reset()
				got.WriteString("malformed")
			} else if err != nil {
				t.Fatal(err)
			}
			if got.String() != tt.want {
				t.Errorf("walkObject(%s) = %q, want %q", tt.in, got.String(), tt.want)
			}
		})
	}
	stop := errors.New("stop")
	if err := walkObject([]byte(`{"a":1,"b":2}`), func(k, _ []byte) error { return stop }); err != stop {
		t.Errorf("walkObject did not stop at fn's error: %v", err)
	}
}

func TestWalkArray(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{`[]`, ``},
		{` [ 1 , "two" ,{"x":[3]} ] `, `1|"two"|{"x":[3]}|`},
		{`[1,]`, `malformed`},
		{`[1 2]`, `malformed`},
		{`[1`, `malformed`},
		{`{}`, `malformed`},
		{`[1] 2`, `malformed`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var got strings.Builder
			err := walkArray([]byte(tt.in), func(v []byte) error {
				got.Write(v)
				got.WriteByte('|')
				return nil
			})
			if errors.Is(err, errMalformed) {
				got.Reset()
				got.WriteString("malformed")
			}
			if got.String() != tt.want {
				t.Errorf("walkArray(%s) = %q, want %q", tt.in, got.String(), tt.want)
			}
		})
	}
}

func TestJSONString(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{`"plain"`, "plain", true},
		{`""`, "", true},
		{`"a\nb"`, "a\nb", true},
		{`"\u00e9t\u00e9"`, "été", true},
		{`"été"`, "été", true},
		{`"\q"`, "", false},
		{`"a`, "", false},
		{`plain`, "", false},
		{"\"\x01\"", "", false},
	}
	for _, tt := range tests {
		got, ok := jsonString([]byte(tt.in))
		if string(got) != tt.want || ok != tt.ok {
			t.Errorf("jsonString(%s) = %q, %t; want %q, %t", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestKinds(t *testing.T) {
	tests := []struct {
		in   string
		kind byte
		name string
	}{
		{`"s"`, '"', "string"}, {`{}`, '{', "object"}, {`[]`, '[', "array"},
		{`true`, 't', "bool"}, {`false`, 'f', "bool"}, {`null`, 'n', "null"},
		{`-1.5`, '-', "number"}, {`7`, '7', "number"},
		{`tru`, 0, "malformed value"}, {`nul`, 0, "malformed value"}, {``, 0, "malformed value"},
	}
	for _, tt := range tests {
		if k, n := kind([]byte(tt.in)), jsonKind([]byte(tt.in)); k != tt.kind || n != tt.name {
			t.Errorf("kind(%q) = %q, %q; want %q, %q", tt.in, k, n, tt.kind, tt.name)
		}
	}
	for _, tt := range []struct {
		key, name string
		want      bool
	}{{"payload", "payload", true}, {"PayLoad", "payload", true}, {"payloads", "payload", false}, {"", "payload", false}} {
		if got := keyIs([]byte(tt.key), tt.name); got != tt.want {
			t.Errorf("keyIs(%q, %q) = %t, want %t", tt.key, tt.name, got, tt.want)
		}
	}
	for _, tt := range []struct {
		in   string
		want bool
	}{{`"ok"`, true}, {`"\q"`, false}, {`[1,2]`, true}, {`[1,]`, false}, {`1e5`, true}, {`01`, false}} {
		if got := validValue([]byte(tt.in)); got != tt.want {
			t.Errorf("validValue(%s) = %t, want %t", tt.in, got, tt.want)
		}
	}
}
