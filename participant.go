package events

// A NetworkQuality is a participant's network quality as Daily rates it. The
// constants are the values Daily documents; any other string is kept as
// sent.
type NetworkQuality string

// Network quality ratings.
const (
	NetworkQualityUnknown NetworkQuality = "unknown"
	NetworkQualityGood    NetworkQuality = "good"
	NetworkQualityWarning NetworkQuality = "warning"
	NetworkQualityBad     NetworkQuality = "bad"
)

// A Participant is the payload of the participant and waiting-participant
// events: who joined, left or is knocking, and what they may do. A string
// field that is empty was absent or empty.
type Participant struct {
	// JoinedAt is when the participant entered the call, or began waiting
	// for the waiting-participant events.
	JoinedAt Time `json:"joined_at,omitzero"`
	// SessionID is the participant's ID for this visit; every join gets a
	// new one.
	SessionID string `json:"session_id,omitempty"`
	// Room is the name of the room.
	Room string `json:"room,omitempty"`
	// UserID is the user ID, normally from the meeting token. Without one,
	// Daily uses the session ID.
	UserID string `json:"user_id,omitempty"`
	// UserName is the display name.
	UserName string `json:"user_name,omitempty"`
	// Owner reports whether the participant has owner rights in the room.
	Owner bool `json:"owner"`
	// NetworkQualityState is the participant's network quality. Daily
	// documents it but its own examples leave it out.
	NetworkQualityState NetworkQuality `json:"networkQualityState,omitempty"`
	// WillEjectAt is when Daily will remove the participant. It is often
	// null: test it with Valid.
	WillEjectAt Time `json:"will_eject_at,omitzero"`
	// Permissions says what the participant may do.
	Permissions Permissions `json:"permissions,omitzero"`
}

// A ParticipantLeftPayload is the payload of participant.left and
// waiting-participant.left: the [Participant] plus how long they stayed.
type ParticipantLeftPayload struct {
	Participant
	// Duration is how long the participant was in the call, or waited for
	// waiting-participant.left.
	Duration Duration `json:"duration,omitzero"`
}
