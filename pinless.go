package events

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
)

// The headers of Daily's pinless dial-in hook: the /webhooks signature
// construction under other names. See [PinlessHeaders].
const (
	// HeaderPinlessSignature carries base64(HMAC-SHA256(secret, timestamp
	// + "." + body)) of a call to room_creation_api.
	HeaderPinlessSignature = "X-Pinless-Signature"
	// HeaderPinlessTimestamp carries the signed timestamp of a call.
	HeaderPinlessTimestamp = "X-Pinless-Timestamp"
)

// Headers names the two headers a Verifier reads: the signature and the
// timestamp it signs.
type Headers struct {
	Signature, Timestamp string
}

// The headers of Daily's two inbound hooks.
var (
	// WebhookHeaders are the headers of /webhooks deliveries, the default.
	WebhookHeaders = Headers{Signature: HeaderSignature, Timestamp: HeaderTimestamp}
	// PinlessHeaders are the headers of pinless dial-in calls to
	// room_creation_api.
	PinlessHeaders = Headers{Signature: HeaderPinlessSignature, Timestamp: HeaderPinlessTimestamp}
)

// Errors of ParsePinlessCall.
var (
	// ErrPinlessTest means that the body is the test request Daily sends
	// to room_creation_api when the configuration is set: a body with a
	// Test or test key, or without a callId. It is no call: answer it 200.
	ErrPinlessTest = errors.New("events: pinless dial-in test request, not a call")
)

// A PinlessCall is a phone or SIP call that Daily holds while its pinless
// dial-in hook, room_creation_api, is asked where to connect it: create or
// pick a room with SIP dial-in, wait for its SIP endpoint (the dialin.ready
// event), then connect the caller with Daily's pinlessCallUpdate, passing
// CallID and CallDomain back unchanged. The hold lasts about two minutes.
//
// It keeps the request's bytes: json.Marshal gives them back, keys this
// package does not know included.
type PinlessCall struct {
	// To is the number dialled, in E.164 form.
	To string `json:"To"`
	// From is the caller's number, in E.164 form.
	From string `json:"From"`
	// CallID is the call's session ID on Daily's SIP network.
	CallID string `json:"callId"`
	// CallDomain is the customer's Daily domain on the SIP network.
	CallDomain string `json:"callDomain"`
	// SIPHeaders are the custom SIP headers of a call through a SIP
	// interconnect; nil when absent.
	SIPHeaders map[string]string `json:"sipHeaders,omitempty"`

	raw []byte
}

// ParsePinlessCall parses the body of a request to room_creation_api, with
// Parse's strictness: it keeps a copy of body. The errors wrap
// [ErrInvalidJSON], [ErrNotObject], [ErrPinlessTest] for Daily's test
// request, in either documented form, or [ErrInvalidField] for a member of
// the wrong JSON type.
func ParsePinlessCall(body []byte) (*PinlessCall, error) {
	if err := syntaxError(body); err != nil {
		return nil, err
	}
	if kind(body[skipSpace(body, 0):]) != '{' {
		return nil, ErrNotObject
	}
	test := false
	err := walkObject(body[skipSpace(body, 0):len(body)-trailingSpace(body)], func(key, _ []byte) error {
		if string(key) == "Test" || string(key) == "test" {
			test = true
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidJSON, err)
	}
	c := &PinlessCall{}
	if err := json.Unmarshal(body, (*plainPinlessCall)(c)); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidField, err)
	}
	if test || c.CallID == "" {
		return nil, ErrPinlessTest
	}
	c.raw = append([]byte(nil), body...)
	return c, nil
}

// plainPinlessCall is PinlessCall without its methods.
type plainPinlessCall PinlessCall

// trailingSpace counts the white space that ends b.
func trailingSpace(b []byte) int {
	n := 0
	for n < len(b) {
		switch b[len(b)-1-n] {
		case ' ', '\t', '\n', '\r':
			n++
		default:
			return n
		}
	}
	return n
}

// Raw returns the request's body, exactly as ParsePinlessCall received
// it, or nil for a call built in code.
func (c *PinlessCall) Raw() json.RawMessage { return c.raw }

// MarshalJSON returns the body the call was parsed from, or its fields
// for a call built in code.
func (c PinlessCall) MarshalJSON() ([]byte, error) {
	if c.raw != nil {
		return append([]byte(nil), c.raw...), nil
	}
	return json.Marshal(plainPinlessCall(c))
}

// LogValue returns the call's ID and domain for log/slog, and not its
// numbers, which are personal.
func (c *PinlessCall) LogValue() slog.Value {
	return slog.GroupValue(slog.String("call_id", c.CallID), slog.String("call_domain", c.CallDomain))
}

var (
	_ json.Marshaler = PinlessCall{}
	_ slog.LogValuer = (*PinlessCall)(nil)
)
