package events

// A TransferStatus says how a call transfer ended. The constants are the
// values Daily documents; any other string is kept as sent.
type TransferStatus string

// Call transfer outcomes.
const (
	TransferStatusCompleted TransferStatus = "completed"
	TransferStatusFailed    TransferStatus = "failed"
	TransferStatusBusy      TransferStatus = "busy"
	TransferStatusNoAnswer  TransferStatus = "no-answer"
	TransferStatusCanceled  TransferStatus = "canceled"
)

// A CalltransferPayload is the payload of the call-transfer events. Each
// event sends a subset of the fields; the others stay zero.
type CalltransferPayload struct {
	// DomainID identifies the Daily domain.
	DomainID string `json:"domain_id,omitempty"`
	// Room is the name of the room.
	Room string `json:"room,omitempty"`
	// Timestamp is when it happened. Daily's examples send it as a string.
	Timestamp Time `json:"timestamp,omitzero"`
	// SessionID is the participant (session) ID of the SIP participant
	// whose call is transferred.
	SessionID string `json:"session_id,omitempty"`
	// MtgSessionID identifies the room's meeting session.
	MtgSessionID string `json:"mtg_session_id,omitempty"`
	// ToEndpoint and FromEndpoint are the SIP endpoints the call is
	// transferred to and from.
	ToEndpoint string `json:"to_endpoint,omitempty"`
	// FromEndpoint is the SIP endpoint the call is transferred from.
	FromEndpoint string `json:"from_endpoint,omitempty"`
	// IsSIPRefer reports whether the transfer uses SIP REFER; nil when
	// absent, as from calltransfer.answered and calltransfer.completed.
	// [CalltransferPayload.SIPRefer] reads it.
	IsSIPRefer *bool `json:"is_sip_refer,omitempty"`
	// CompleteStatus says how the transfer ended;
	// calltransfer.completed only, and documented only in Daily's OpenAPI.
	CompleteStatus TransferStatus `json:"complete_status,omitempty"`
	// ReferSIPResponseCode is the SIP response to the REFER request, such
	// as "202"; SIP REFER transfers only.
	ReferSIPResponseCode string `json:"refer_sip_response_code,omitempty"`
	// NotifySIPResponseCode is the last SIP status reported through
	// NOTIFY; SIP REFER transfers only.
	NotifySIPResponseCode string `json:"notify_sip_response_code,omitempty"`
}

// SIPRefer reports whether the transfer uses SIP REFER: false when
// IsSIPRefer is absent.
func (p CalltransferPayload) SIPRefer() bool { return p.IsSIPRefer != nil && *p.IsSIPRefer }

// CalltransferTriggered is sent when Daily has accepted a request to
// transfer a SIP call.
//
// The webhook event name is "calltransfer.triggered".
//
// Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/calltransfer-triggered
type CalltransferTriggered struct {
	Envelope

	// Payload is the event's payload.
	Payload CalltransferPayload `json:"payload"`
}

// CalltransferInitiated is sent when Daily has sent the transfer's SIP
// request, taken the SIP user out of the room and connected the call to the
// target.
//
// The webhook event name is "calltransfer.initiated".
//
// Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/calltransfer-initiated
type CalltransferInitiated struct {
	Envelope

	// Payload is the event's payload.
	Payload CalltransferPayload `json:"payload"`
}

// CalltransferAnswered is sent when the transfer target picks up. Daily does
// not send it for SIP REFER transfers.
//
// The webhook event name is "calltransfer.answered".
//
// Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/calltransfer-answered
type CalltransferAnswered struct {
	Envelope

	// Payload is the event's payload.
	Payload CalltransferPayload `json:"payload"`
}

// CalltransferCompleted is sent when the transfer target ended the
// transferred call.
//
// The webhook event name is "calltransfer.completed".
//
// Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/calltransfer-completed
type CalltransferCompleted struct {
	Envelope

	// Payload is the event's payload.
	Payload CalltransferPayload `json:"payload"`
}
