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
