// Package dialin is a client for the parts of Daily's REST API that pinless
// dial-in uses: the configurations (/domain-dialin-config) that send calls
// to a room_creation_api, and pinlessCallUpdate, which connects a held call
// to a room. Its REST core (auth, errors, 429s, no redirects) is the one
// the webhooks package uses.
//
// Every configuration written carries an hmac: the caller's, or one this
// package generates and returns. Daily generates a new secret on every
// write that lacks one, which would silently break the verification of
// the calls (see events.PinlessHandler).
package dialin

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/internal/redact"
	"github.com/dailywebhooks/events/internal/rest"
)

// DefaultBaseURL is Daily's REST API.
const DefaultBaseURL = "https://api.daily.co/v1"

// TypePinless is the type of a pinless dial-in configuration.
const TypePinless = "pinless_dialin"

// An APIError is an error answer of Daily's REST API, the same type as the
// webhooks package's. Its text never contains the API key.
type APIError = rest.APIError

// ErrRedirect wraps the error of a call answered with a redirect, which is
// never followed.
var ErrRedirect = rest.ErrRedirect

// A Client calls Daily's dial-in API. Build one with [NewClient]; it is
// safe for concurrent use. It formats with its API key redacted.
type Client struct {
	// BaseURL is the API's base; NewClient sets DefaultBaseURL.
	BaseURL string
	// HTTPClient makes the calls; nil means http.DefaultClient.
	HTTPClient *http.Client
	// MaxRetryWait bounds how long a call waits, in all, on 429 answers
	// before it gives up with the *APIError. NewClient sets a minute; zero
	// tries no call again. The retries follow the rules of
	// webhooks.Client: the answer's Retry-After, never sooner than a
	// second, 5 tries at most.
	MaxRetryWait time.Duration

	apiKey string
}

// NewClient returns a Client that authenticates with apiKey.
func NewClient(apiKey string) *Client {
	return &Client{BaseURL: DefaultBaseURL, MaxRetryWait: time.Minute, apiKey: apiKey}
}

// Format writes c without its API key.
func (c *Client) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "dialin.Client{BaseURL: %s, APIKey: %s}", c.BaseURL, redact.Secret(c.apiKey != ""))
}

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	caller := rest.Caller{Pkg: "dialin", BaseURL: c.BaseURL, HTTPClient: c.HTTPClient, MaxRetryWait: c.MaxRetryWait, APIKey: c.apiKey}
	return caller.Do(ctx, method, path, in, out)
}

// PinlessCallUpdate connects the call Daily holds, of callID and
// callDomain as the PinlessCall gave them, to the room's SIP URI (the
// sipEndpoint of its dialin-ready event, or its sip_uri.endpoint). Call it
// only once the room's SIP endpoint is ready: before, Daily drops the call.
func (c *Client) PinlessCallUpdate(ctx context.Context, callID, callDomain, sipURI string) error {
	in := map[string]string{"callId": callID, "callDomain": callDomain, "sipUri": sipURI}
	return c.do(ctx, http.MethodPost, "/dialin/pinlessCallUpdate", in, nil)
}

// A Config is a dial-in configuration of the domain, with Daily's JSON
// names. It formats and logs with its hmac redacted.
type Config struct {
	// ID identifies the configuration; Daily sets it.
	ID string `json:"id,omitempty"`
	// Type is TypePinless for pinless dial-in; CreateConfig sets it when
	// empty.
	Type string `json:"type,omitempty"`
	// PhoneNumber is the number, in E.164 form. Required for pinless.
	PhoneNumber string `json:"phone_number,omitempty"`
	// NamePrefix prefixes the names of the rooms.
	NamePrefix string `json:"name_prefix,omitempty"`
	// RoomCreationAPI is the URL Daily POSTs each call to.
	RoomCreationAPI string `json:"room_creation_api,omitempty"`
	// HoldMusicURL is a public MP3, under 10 MB and 60 s.
	HoldMusicURL string `json:"hold_music_url,omitempty"`
	// TimeoutConfig is what Daily says when nobody connects the call.
	TimeoutConfig *TimeoutConfig `json:"timeout_config,omitempty"`
	// HMAC is the secret Daily signs the calls with, base64; see
	// events.PinlessHandler. Writes always send one.
	HMAC string `json:"hmac,omitempty"`
	// SIPURI is the configuration's SIP URI, as Daily returns it.
	SIPURI string `json:"sip_uri,omitempty"`
}

// TimeoutConfig is the message of a call nobody connected in time.
type TimeoutConfig struct {
	// Message is what Daily plays to a caller nobody connected in time;
	// empty means Daily's default.
	Message string `json:"message,omitempty"`
}

// Format writes cfg with its hmac redacted.
func (cfg Config) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "dialin.Config{ID: %s, Type: %s, PhoneNumber: %s, RoomCreationAPI: %s, HMAC: %s}",
		cfg.ID, cfg.Type, cfg.PhoneNumber, redact.URL(cfg.RoomCreationAPI), redact.Secret(cfg.HMAC != ""))
}

// LogValue returns cfg without its hmac.
func (cfg Config) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", cfg.ID), slog.String("type", cfg.Type), slog.String("room_creation_api", redact.URL(cfg.RoomCreationAPI)))
}

// configWire is Config as the API's request body carries it, hmac
// included: Config's own JSON encoding redacts it.
type configWire Config

// MarshalJSON encodes cfg with its hmac redacted, so that a log never
// shows it, as slog's JSON handler logs a []Config; the client sends the
// hmac through a wire type of its own. An empty hmac stays empty.
func (cfg Config) MarshalJSON() ([]byte, error) {
	if cfg.HMAC != "" {
		cfg.HMAC = redact.Mark
	}
	return json.Marshal(configWire(cfg))
}

// withHMAC returns cfg with an hmac: its own, or a new one.
func withHMAC(cfg Config) (Config, error) {
	if cfg.HMAC != "" {
		return cfg, nil
	}
	secret, err := events.NewSecret()
	cfg.HMAC = secret
	return cfg, err
}

// CreateConfig creates a dial-in configuration, of type TypePinless when
// cfg.Type is empty. It sends cfg.HMAC, or a new secret when it is empty;
// the returned Config carries the secret sent, whatever Daily's answer
// shows, so that the caller can verify the calls.
func (c *Client) CreateConfig(ctx context.Context, cfg Config) (*Config, error) {
	if cfg.Type == "" {
		cfg.Type = TypePinless
	}
	return c.write(ctx, http.MethodPost, "/domain-dialin-config", cfg)
}

// UpdateConfig changes the configuration id, sending cfg.HMAC, or a new
// secret when it is empty, returned as CreateConfig does.
func (c *Client) UpdateConfig(ctx context.Context, id string, cfg Config) (*Config, error) {
	return c.write(ctx, http.MethodPut, "/domain-dialin-config/"+url.PathEscape(id), cfg)
}

func (c *Client) write(ctx context.Context, method, path string, cfg Config) (*Config, error) {
	cfg, err := withHMAC(cfg)
	if err != nil {
		return nil, err
	}
	var out Config
	if err := c.do(ctx, method, path, configWire(cfg), &out); err != nil {
		return nil, err
	}
	out.HMAC = cfg.HMAC
	return &out, nil
}

// GetConfig returns the configuration id.
func (c *Client) GetConfig(ctx context.Context, id string) (*Config, error) {
	var out Config
	if err := c.do(ctx, http.MethodGet, "/domain-dialin-config/"+url.PathEscape(id), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListConfigs returns the domain's dial-in configurations. It reads
// Daily's list form, {"data": [...]}, or a bare array.
func (c *Client) ListConfigs(ctx context.Context) ([]Config, error) {
	var raw json.RawMessage
	if err := c.do(ctx, http.MethodGet, "/domain-dialin-config", nil, &raw); err != nil {
		return nil, err
	}
	var list []Config
	if err := json.Unmarshal(raw, &list); err == nil {
		return list, nil
	}
	var page struct {
		Data []Config `json:"data"`
	}
	if err := json.Unmarshal(raw, &page); err != nil {
		return nil, fmt.Errorf("dialin: GET /domain-dialin-config: decoding the answer: %w", err)
	}
	return page.Data, nil
}

// DeleteConfig deletes the configuration id.
func (c *Client) DeleteConfig(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/domain-dialin-config/"+url.PathEscape(id), nil, nil)
}

var (
	_ fmt.Formatter  = Config{}
	_ slog.LogValuer = Config{}
	_ json.Marshaler = Config{}
)

// A Room is a room created for a pinless dial-in call: what connecting
// the call needs of Daily's room object.
type Room struct {
	// Name is the room's name.
	Name string
	// URL is the room's URL.
	URL string
	// SIPEndpoint is the room's SIP endpoint, the sipUri that
	// PinlessCallUpdate takes, once the room's SIP worker is ready (Daily
	// sends dialin.ready then).
	SIPEndpoint string
}

// RoomParams describe a room with SIP dial-in.
type RoomParams struct {
	// Name is the room's name; "" lets Daily choose one.
	Name string
	// DisplayName is the caller's name in the room. Zero means "Caller".
	DisplayName string
}

// CreateDialinRoom creates a room with SIP dial-in (properties.sip with
// sip_mode "dial-in" and one endpoint), for a held pinless call, and
// returns its SIP endpoint. The endpoint takes the call only once it is
// ready: PinlessCallUpdate before then makes Daily drop the call, so retry
// it, or wait for dialin.ready, within the hold.
func (c *Client) CreateDialinRoom(ctx context.Context, p RoomParams) (*Room, error) {
	in := map[string]any{"properties": map[string]any{"sip": map[string]any{
		"display_name": cmp.Or(p.DisplayName, "Caller"), "sip_mode": "dial-in", "num_endpoints": 1,
	}}}
	if p.Name != "" {
		in["name"] = p.Name
	}
	var out struct {
		Name   string `json:"name"`
		URL    string `json:"url"`
		SIPURI *struct {
			Endpoint string `json:"endpoint"`
		} `json:"sip_uri"`
		Config struct {
			SIPURI *struct {
				Endpoint string `json:"endpoint"`
			} `json:"sip_uri"`
		} `json:"config"`
	}
	if err := c.do(ctx, http.MethodPost, "/rooms", in, &out); err != nil {
		return nil, err
	}
	room := &Room{Name: out.Name, URL: out.URL}
	switch {
	case out.Config.SIPURI != nil:
		room.SIPEndpoint = out.Config.SIPURI.Endpoint
	case out.SIPURI != nil:
		room.SIPEndpoint = out.SIPURI.Endpoint
	}
	if room.SIPEndpoint == "" {
		return room, fmt.Errorf("dialin: POST /rooms: the room %s has no SIP endpoint", room.Name)
	}
	return room, nil
}

// BaseURLFromEnv returns DAILY_API_URL, or DefaultBaseURL when it is not
// set: the base of a Client that follows the environment, as dailyhook
// does. A Client reads no environment unless its user asks, as here.
func BaseURLFromEnv() string {
	if u := os.Getenv("DAILY_API_URL"); u != "" {
		return strings.TrimRight(u, "/")
	}
	return DefaultBaseURL
}
