package events

import "encoding/json"

// A StreamingPayload is the payload of streaming.started, streaming.updated
// and streaming.ended. It names no room.
type StreamingPayload struct {
	// Timestamp is when the stream started, was updated or ended.
	Timestamp Time `json:"timestamp,omitzero"`
	// InstanceID identifies the streaming instance.
	InstanceID string `json:"instance_id,omitempty"`
	// DomainID identifies the Daily domain.
	DomainID string `json:"domain_id,omitempty"`
	// Layout is the layout in use; zero when absent, as for
	// streaming.ended.
	Layout Layout `json:"layout,omitzero"`
}

// A StreamingErrorPayload is the payload of streaming.error.
type StreamingErrorPayload struct {
	// Timestamp is when it happened, epoch seconds.
	Timestamp Time `json:"timestamp,omitzero"`
	// InstanceID identifies the streaming instance.
	InstanceID string `json:"instance_id,omitempty"`
	// ErrorMessage describes the failure (error_message, not error_msg).
	ErrorMessage string `json:"error_message,omitempty"`
	// RoomName is the name of the room.
	RoomName string `json:"room_name,omitempty"`
	// DomainID identifies the Daily domain.
	DomainID string `json:"domain_id,omitempty"`
}

// A StreamingWarningPayload is the payload of streaming.warning. Daily
// documents only that it has a details object with the endpoints concerned;
// the other fields are expected by analogy with streaming.error and are
// zero when absent.
type StreamingWarningPayload struct {
	// Details describes the warning. Its shape is undocumented beyond an
	// "endpoints" member, so it is kept as raw JSON; nil when absent.
	Details json.RawMessage `json:"details,omitzero"`
	// Timestamp is when it happened, epoch seconds.
	Timestamp Time `json:"timestamp,omitzero"`
	// InstanceID identifies the streaming instance.
	InstanceID string `json:"instance_id,omitempty"`
	// DomainID identifies the Daily domain.
	DomainID string `json:"domain_id,omitempty"`
	// RoomName is the name of the room.
	RoomName string `json:"room_name,omitempty"`
}
