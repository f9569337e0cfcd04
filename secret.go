package events

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"

	"github.com/dailywebhooks/events/internal/redact"
)

// The values that hold a secret, a key or a basic-auth value format and log
// without it, whatever the verb: %v, %+v, %#v, %s, or slog.

// Format writes c with its secrets and basic-auth value redacted.
func (c VerifierConfig) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "events.VerifierConfig{Secrets: %s, Tolerance: %v, DisableTimestampCheck: %t, BasicAuth: %s, MaxBodyBytes: %d, CompactFallback: %t}",
		redact.List(len(c.Secrets)), c.Tolerance, c.DisableTimestampCheck, redact.Secret(c.BasicAuth != ""), c.MaxBodyBytes, c.CompactFallback)
}

// LogValue returns c's settings with its secrets and basic-auth value
// redacted.
func (c VerifierConfig) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Int("secrets", len(c.Secrets)),
		slog.Duration("tolerance", c.Tolerance),
		slog.Bool("disable_timestamp_check", c.DisableTimestampCheck),
		slog.Bool("basic_auth", c.BasicAuth != ""),
		slog.Int64("max_body_bytes", c.MaxBodyBytes),
		slog.Bool("compact_fallback", c.CompactFallback),
	)
}

// MarshalJSON encodes c's settings with its secrets and basic-auth value
// redacted, as LogValue gives them: slog's JSON handler encodes a slice or
// a struct that holds a VerifierConfig with encoding/json.
func (c VerifierConfig) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Secrets               string `json:"secrets"`
		Tolerance             string `json:"tolerance"`
		DisableTimestampCheck bool   `json:"disable_timestamp_check"`
		BasicAuth             string `json:"basic_auth"`
		MaxBodyBytes          int64  `json:"max_body_bytes"`
		CompactFallback       bool   `json:"compact_fallback"`
	}{redact.List(len(c.Secrets)), c.Tolerance.String(), c.DisableTimestampCheck, redact.Secret(c.BasicAuth != ""), c.MaxBodyBytes, c.CompactFallback})
}

// String describes v by its settings, without its keys.
func (v *Verifier) String() string {
	if v == nil {
		return "events.Verifier(nil)"
	}
	return fmt.Sprintf("events.Verifier{keys: %s, tolerance: %v, timestamp check: %t, basic auth: %s, max body: %d, compact fallback: %t}",
		redact.List(len(v.keys)), v.tolerance, v.checkTimestamp, redact.Secret(v.basicAuth != nil), v.maxBody, v.compactFallback)
}

// Format writes v as String does, whatever the verb.
func (v *Verifier) Format(f fmt.State, _ rune) { io.WriteString(f, v.String()) }

// LogValue returns v's settings without its keys.
func (v *Verifier) LogValue() slog.Value {
	if v == nil {
		return slog.StringValue("events.Verifier(nil)")
	}
	return slog.GroupValue(
		slog.Int("keys", len(v.keys)),
		slog.Duration("tolerance", v.tolerance),
		slog.Bool("timestamp_check", v.checkTimestamp),
		slog.Bool("basic_auth", v.basicAuth != nil),
		slog.Int64("max_body_bytes", v.maxBody),
		slog.Bool("compact_fallback", v.compactFallback),
	)
}

var (
	_ fmt.Formatter  = VerifierConfig{}
	_ slog.LogValuer = VerifierConfig{}
	_ json.Marshaler = VerifierConfig{}
	_ fmt.Formatter  = (*Verifier)(nil)
	_ slog.LogValuer = (*Verifier)(nil)
)
