package events_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/dailywebhooks/events"
)

func TestTimeUnmarshal(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		want      time.Time
		valid     bool
		null      bool
		quoted    bool
		wantText  string
		wantError bool
	}{
		{name: "integer", in: `1708526032`, want: time.Unix(1708526032, 0), valid: true, wantText: "1708526032"},
		{name: "fraction", in: `1708526032.672`, want: time.Unix(1708526032, 672e6), valid: true, wantText: "1708526032.672"},
		{name: "trailing zero kept", in: `1708972279.960`, want: time.Unix(1708972279, 960e6), valid: true, wantText: "1708972279.960"},
		{name: "nanoseconds", in: `1.123456789`, want: time.Unix(1, 123456789), valid: true, wantText: "1.123456789"},
		{name: "zero", in: `0`, want: time.Unix(0, 0), valid: true, wantText: "0"},
		{name: "negative", in: `-1.5`, want: time.Unix(-2, 5e8), valid: true, wantText: "-1.5"},
		{name: "exponent", in: `1.7e9`, want: time.Unix(1700000000, 0), valid: true, wantText: "1.7e9"},
		{name: "long fraction", in: `1.1234567891`, want: time.Unix(1, 123456789), valid: true, wantText: "1.1234567891"},
		{name: "numeric string", in: `"1728036610"`, want: time.Unix(1728036610, 0), valid: true, quoted: true, wantText: "1728036610"},
		{name: "fractional string", in: `"1728036610.25"`, want: time.Unix(1728036610, 25e7), valid: true, quoted: true, wantText: "1728036610.25"},
		{name: "escaped string", in: `"\u0031\u0032"`, want: time.Unix(12, 0), valid: true, quoted: true, wantText: "12"},
		{name: "null", in: `null`, null: true, wantText: "null"},
		{name: "word", in: `"soon"`, wantError: true},
		{name: "empty string", in: `""`, wantError: true},
		{name: "spaced string", in: `" 12"`, wantError: true},
		{name: "leading zero string", in: `"012"`, wantError: true},
		{name: "hex string", in: `"0x10"`, wantError: true},
		{name: "bool", in: `true`, wantError: true},
		{name: "array", in: `[1]`, wantError: true},
		{name: "object", in: `{}`, wantError: true},
		{name: "too large", in: `1e300`, wantError: true},
		{name: "too many digits", in: `12345678901234567890`, wantError: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got events.Time
			err := json.Unmarshal([]byte(tt.in), &got)
			if tt.wantError {
				var te *json.UnmarshalTypeError
				if !errors.As(err, &te) {
					t.Fatalf("Unmarshal(%s) error = %v, want *json.UnmarshalTypeError", tt.in, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Unmarshal(%s) error: %v", tt.in, err)
			}
			if !got.Time().Equal(tt.want) || (tt.want.IsZero() != got.Time().IsZero()) {
				t.Errorf("Unmarshal(%s).Time() = %v, want %v", tt.in, got.Time(), tt.want)
			}
			if got.Valid() != tt.valid || got.IsNull() != tt.null || got.Quoted() != tt.quoted || got.IsZero() {
				t.Errorf("Unmarshal(%s): Valid, IsNull, Quoted, IsZero = %v, %v, %v, %v; want %v, %v, %v, false",
					tt.in, got.Valid(), got.IsNull(), got.Quoted(), got.IsZero(), tt.valid, tt.null, tt.quoted)
			}
			if s := got.String(); s != tt.wantText {
				t.Errorf("Unmarshal(%s).String() = %q, want %q", tt.in, s, tt.wantText)
			}
			out, err := json.Marshal(got)
			if err != nil || string(out) != tt.in {
				t.Errorf("Marshal(Unmarshal(%s)) = %s, %v; want the input unchanged", tt.in, out, err)
			}
		})
	}
}

func TestTimeZero(t *testing.T) {
	var z events.Time
	if !z.IsZero() || z.Valid() || z.IsNull() || !z.Time().IsZero() || z.String() != "null" {
		t.Errorf("zero Time: IsZero %v Valid %v IsNull %v Time %v String %q", z.IsZero(), z.Valid(), z.IsNull(), z.Time(), z.String())
	}
	var s struct {
		T events.Time `json:"t,omitzero"`
	}
	if out, _ := json.Marshal(s); string(out) != `{}` {
		t.Errorf("absent Time with omitzero marshals to %s, want {}", out)
	}
}

func TestNewTime(t *testing.T) {
	tests := []struct {
		name string
		in   time.Time
		want string
	}{
		{"whole", time.Unix(1708526032, 0), "1708526032"},
		{"millis", time.Unix(1708526032, 672e6), "1708526032.672"},
		{"nanos", time.Unix(1, 1), "1.000000001"},
		{"before epoch", time.Unix(-2, 5e8), "-1.5"},
		{"before epoch whole", time.Unix(-3, 0), "-3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := events.NewTime(tt.in)
			out, _ := json.Marshal(got)
			if string(out) != tt.want || !got.Time().Equal(tt.in) {
				t.Errorf("NewTime(%v) = %s (%v), want %s", tt.in, out, got.Time(), tt.want)
			}
		})
	}
}

func TestDuration(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    time.Duration
		seconds float64
	}{
		{"whole", `65`, 65 * time.Second, 65},
		{"fraction", `65.159`, 65*time.Second + 159*time.Millisecond, 65.159},
		{"string", `"0"`, 0, 0},
		{"negative", `-0.5`, -500 * time.Millisecond, -0.5},
		{"saturates", `999999999999999999`, time.Duration(1<<63 - 1), 999999999999999999},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d events.Duration
			if err := json.Unmarshal([]byte(tt.in), &d); err != nil {
				t.Fatalf("Unmarshal(%s) error: %v", tt.in, err)
			}
			if d.Duration() != tt.want || d.Seconds() != tt.seconds || !d.Valid() {
				t.Errorf("Unmarshal(%s) = %v (%v s, valid %v), want %v", tt.in, d.Duration(), d.Seconds(), d.Valid(), tt.want)
			}
			if out, _ := json.Marshal(d); string(out) != tt.in {
				t.Errorf("Marshal = %s, want %s", out, tt.in)
			}
		})
	}
	var null events.Duration
	if err := json.Unmarshal([]byte(`null`), &null); err != nil || !null.IsNull() || null.Valid() || null.Duration() != 0 {
		t.Errorf("null Duration: err %v IsNull %v Valid %v", err, null.IsNull(), null.Valid())
	}
	var bad events.Duration
	var te *json.UnmarshalTypeError
	if err := json.Unmarshal([]byte(`"1m"`), &bad); !errors.As(err, &te) {
		t.Errorf(`Unmarshal("1m") error = %v, want *json.UnmarshalTypeError`, err)
	}
	if got := events.NewDuration(1500 * time.Millisecond).String(); got != "1.5s" {
		t.Errorf("NewDuration(1.5s) = %s, want 1.5s", got)
	}
	var sent events.Duration
	json.Unmarshal([]byte(`65.159`), &sent)
	if got, js := fmt.Sprint(sent), fmt.Sprint(mustMarshal(t, sent)); got != "1m5.159s" || js != "65.159" {
		t.Errorf("a duration of 65.159 s prints %q and encodes %q, want 1m5.159s and 65.159", got, js)
	}
	if got := events.NewDuration(-2 * time.Second).Duration(); got != -2*time.Second {
		t.Errorf("NewDuration(-2s).Duration() = %v", got)
	}
}

func mustMarshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
