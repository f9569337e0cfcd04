package events

// A DialoutPayload is the payload of the dial-out events. Each event sends a
// subset of the fields; the others stay zero.
type DialoutPayload struct {
	// Timestamp is when it happened. Daily's examples send it as a string.
	Timestamp Time `json:"timestamp,omitzero"`
	// SessionID identifies this dial-out session.
	SessionID string `json:"session_id,omitempty"`
	// UserID is the user ID given when the dial-out was started, if any.
	UserID string `json:"user_id,omitempty"`
	// DomainID identifies the Daily domain.
	DomainID string `json:"domain_id,omitempty"`
	// Room is the name of the room.
	Room string `json:"room,omitempty"`
	// Destination is what is called: an E.164 phone number or a SIP URI.
	Destination string `json:"destination,omitempty"`
	// CallerID is the caller ID used for the call.
	CallerID string `json:"caller_id,omitempty"`
	// Origin is undocumented: Daily's examples send it with the calling
	// side, a phone number or Daily's own SIP URI.
	Origin string `json:"origin,omitempty"`
	// ErrorMsg describes the failure of dialout.error, and the problem of
	// dialout.warning when Daily sends one.
	ErrorMsg string `json:"error_msg,omitempty"`
}

// A DialinPayload is the payload of the dial-in events. Each event sends a
// subset of the fields; the others stay zero.
type DialinPayload struct {
	// Timestamp is when it happened. Daily's examples send it as a string.
	Timestamp Time `json:"timestamp,omitzero"`
	// SessionID identifies this dial-in session.
	SessionID string `json:"session_id,omitempty"`
	// DomainID identifies the Daily domain.
	DomainID string `json:"domain_id,omitempty"`
	// Room is the name of the room.
	Room string `json:"room,omitempty"`
	// SIPEndpoint is the SIP address that is ready; dialin.ready only.
	SIPEndpoint string `json:"sip_endpoint,omitempty"`
	// SIPFrom is the caller's SIP address.
	SIPFrom string `json:"sip_from,omitempty"`
	// DisplayName is the caller's display name.
	DisplayName string `json:"display_name,omitempty"`
	// SIPHeaders are the headers of the caller's SIP INVITE.
	SIPHeaders SIPHeaders `json:"sip_headers,omitzero"`
	// ErrorMsg describes the problem of dialin.warning and dialin.error.
	ErrorMsg string `json:"error_msg,omitempty"`
}
