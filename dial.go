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

// DialoutConnected is sent when an outbound call started with daily-js or
// the REST API has reached the far end, which is now ringing.
//
// The webhook event name is "dialout.connected".
//
// Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/dialout-connected
type DialoutConnected struct {
	Envelope

	// Payload is the event's payload.
	Payload DialoutPayload `json:"payload"`
}

// DialoutAnswered is sent when the far end of an outbound call picks up.
//
// The webhook event name is "dialout.answered".
//
// Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/dialout-answered
type DialoutAnswered struct {
	Envelope

	// Payload is the event's payload.
	Payload DialoutPayload `json:"payload"`
}

// DialoutStopped is sent when an outbound call ends, usually because whoever
// started it stopped it.
//
// The webhook event name is "dialout.stopped".
//
// Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/dialout-stopped
type DialoutStopped struct {
	Envelope

	// Payload is the event's payload.
	Payload DialoutPayload `json:"payload"`
}

// DialoutWarning is sent on a problem that does not end an outbound call.
//
// The webhook event name is "dialout.warning".
//
// Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/dialout-warning
type DialoutWarning struct {
	Envelope

	// Payload is the event's payload.
	Payload DialoutPayload `json:"payload"`
}

// DialoutError is sent when an outbound call fails while connecting.
//
// The webhook event name is "dialout.error".
//
// Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/dialout-error
type DialoutError struct {
	Envelope

	// Payload is the event's payload.
	Payload DialoutPayload `json:"payload"`
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

// DialinReady is sent when a SIP endpoint configured on a room can take an
// inbound call; once for each endpoint.
//
// The webhook event name is "dialin.ready".
//
// Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/dialin-ready
type DialinReady struct {
	Envelope

	// Payload is the event's payload.
	Payload DialinPayload `json:"payload"`
}

// DialinConnected is sent when an inbound SIP or phone caller has been
// connected to the room.
//
// The webhook event name is "dialin.connected".
//
// Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/dialin-connected
type DialinConnected struct {
	Envelope

	// Payload is the event's payload.
	Payload DialinPayload `json:"payload"`
}

// DialinStopped is sent when an inbound SIP or phone call ends.
//
// The webhook event name is "dialin.stopped".
//
// Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/dialin-stopped
type DialinStopped struct {
	Envelope

	// Payload is the event's payload.
	Payload DialinPayload `json:"payload"`
}

// DialinWarning is sent on a problem that does not end an inbound call.
//
// The webhook event name is "dialin.warning".
//
// Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/dialin-warning
type DialinWarning struct {
	Envelope

	// Payload is the event's payload.
	Payload DialinPayload `json:"payload"`
}

// DialinError is sent when an inbound call fails.
//
// The webhook event name is "dialin.error".
//
// Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/dialin-error
type DialinError struct {
	Envelope

	// Payload is the event's payload.
	Payload DialinPayload `json:"payload"`
}
