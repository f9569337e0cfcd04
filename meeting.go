package events

// A Meeting is the payload of the meeting events.
type Meeting struct {
	// StartTS is when the meeting started.
	StartTS Time `json:"start_ts,omitzero"`
	// EndTS is when the meeting ended; zero for meeting.started.
	EndTS Time `json:"end_ts,omitzero"`
	// MeetingID identifies this meeting instance.
	MeetingID string `json:"meeting_id,omitempty"`
	// Room is the name of the room.
	Room string `json:"room,omitempty"`
}

// MeetingStarted is sent when a call begins: the first participant has
// entered a room.
//
// The webhook event name is "meeting.started".
//
// Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/meeting-started
type MeetingStarted struct {
	Envelope

	// Payload is the event's payload.
	Payload Meeting `json:"payload"`
}

// MeetingEnded is sent after the last participant has left a call. Daily may
// hold it back for about 20 seconds in case someone reconnects.
//
// The webhook event name is "meeting.ended".
//
// Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/meeting-ended
type MeetingEnded struct {
	Envelope

	// Payload is the event's payload.
	Payload Meeting `json:"payload"`
}
