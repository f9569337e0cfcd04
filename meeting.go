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
