package eventstest

import (
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/dailywebhooks/events/internal/redact"
)

// The fake Daily's values that hold a secret (an hmac, a basic-auth value,
// an API key) encode, format and log without it, as the production types
// do: slog's JSON handler encodes a slice or a nested struct with
// encoding/json. The fake's own answers carry the secrets, as Daily's do,
// through the wire types below.

// webhookWire and dialinConfigWire are the objects as the fake's API
// answers carry them, secrets included.
type (
	webhookWire      Webhook
	dialinConfigWire DialinConfig
)

// mark returns redact.Mark for a secret that is set, or "".
func mark(secret string) string {
	if secret == "" {
		return ""
	}
	return redact.Mark
}

// MarshalJSON encodes w with its hmac and basic-auth value redacted.
func (w Webhook) MarshalJSON() ([]byte, error) {
	w.HMAC, w.BasicAuth = mark(w.HMAC), mark(w.BasicAuth)
	return json.Marshal(webhookWire(w))
}

// MarshalJSON encodes c with its hmac redacted.
func (c DialinConfig) MarshalJSON() ([]byte, error) {
	c.HMAC = mark(c.HMAC)
	return json.Marshal(dialinConfigWire(c))
}

// Format writes c with its hmac redacted.
func (c DialinConfig) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "eventstest.DialinConfig{ID: %s, Type: %s, PhoneNumber: %s, RoomCreationAPI: %s, HMAC: %s, SIPURI: %s}",
		c.ID, c.Type, c.PhoneNumber, c.RoomCreationAPI, redact.Secret(c.HMAC != ""), c.SIPURI)
}

// LogValue returns c without its hmac.
func (c DialinConfig) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", c.ID), slog.String("phone_number", c.PhoneNumber), slog.String("room_creation_api", c.RoomCreationAPI))
}

// MarshalJSON encodes s with its secret and basic-auth value redacted.
func (s Signer) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Secret       string `json:"secret"`
		Time         string `json:"time"`
		Milliseconds bool   `json:"milliseconds"`
		BasicAuth    string `json:"basic_auth"`
	}{redact.Secret(s.Secret != ""), fmt.Sprint(s.Time), s.Milliseconds, redact.Secret(s.BasicAuth != "")})
}

// MarshalJSON encodes c's settings with its API key redacted.
func (c DailyConfig) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		APIKey        string `json:"api_key"`
		DomainID      string `json:"domain_id"`
		VerifyTimeout string `json:"verify_timeout"`
		AnswerTimeout string `json:"answer_timeout"`
	}{redact.Secret(c.APIKey != ""), c.DomainID, c.VerifyTimeout.String(), c.AnswerTimeout.String()})
}

// Format writes c's settings with its API key redacted.
func (c DailyConfig) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "eventstest.DailyConfig{APIKey: %s, DomainID: %s, VerifyTimeout: %v, AnswerTimeout: %v, Backoff: %v, MaxBackoff: %v}",
		redact.Secret(c.APIKey != ""), c.DomainID, c.VerifyTimeout, c.AnswerTimeout, c.Backoff, c.MaxBackoff)
}

// LogValue returns c's settings without its API key.
func (c DailyConfig) LogValue() slog.Value {
	return slog.GroupValue(slog.Bool("api_key", c.APIKey != ""), slog.String("domain_id", c.DomainID), slog.Duration("verify_timeout", c.VerifyTimeout), slog.Duration("answer_timeout", c.AnswerTimeout))
}

// MarshalJSON encodes d as its URL, with its API key redacted.
func (d *Daily) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		URL    string `json:"url"`
		APIKey string `json:"api_key"`
	}{d.URL, redact.Secret(d.APIKey != "")})
}

// Format writes d as its URL, with its API key redacted.
func (d *Daily) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "eventstest.Daily{URL: %s, APIKey: %s}", d.URL, redact.Secret(d.APIKey != ""))
}

// LogValue returns d's URL, without its API key.
func (d *Daily) LogValue() slog.Value {
	return slog.GroupValue(slog.String("url", d.URL))
}

var (
	_ json.Marshaler = Webhook{}
	_ json.Marshaler = DialinConfig{}
	_ json.Marshaler = Signer{}
	_ json.Marshaler = DailyConfig{}
	_ json.Marshaler = (*Daily)(nil)
	_ fmt.Formatter  = DialinConfig{}
	_ fmt.Formatter  = DailyConfig{}
	_ fmt.Formatter  = (*Daily)(nil)
	_ slog.LogValuer = DialinConfig{}
	_ slog.LogValuer = DailyConfig{}
	_ slog.LogValuer = (*Daily)(nil)
)
