package events

import (
	"encoding/json"
	"reflect"
)

// A RecordingAction labels what happened to a recording. The constants are
// the values Daily documents or sends; any other string is kept as sent.
type RecordingAction string

// Recording actions.
const (
	RecordingActionStartCloudRecording RecordingAction = "start-cloud-recording"
	// RecordingActionCloudRecordingError is the spelling Daily's example
	// delivery of recording.error uses.
	RecordingActionCloudRecordingError RecordingAction = "cloud-recording-error"
	// RecordingActionCloudRecordingErr is the misspelt value Daily's
	// documentation lists for recording.error.
	RecordingActionCloudRecordingErr RecordingAction = "clourd-recording-err"
)

// IsCloudRecordingError reports whether a is a cloud recording error, in
// either of the spellings Daily uses.
func (a RecordingAction) IsCloudRecordingError() bool {
	return a == RecordingActionCloudRecordingError || a == RecordingActionCloudRecordingErr
}

// A RecordingType is the kind of a recording. The constants are the values
// Daily documents or sends; any other string is kept as sent.
type RecordingType string

// Recording types.
const (
	RecordingTypeCloud          RecordingType = "cloud"
	RecordingTypeRawTracks      RecordingType = "raw-tracks"
	RecordingTypeCloudAudioOnly RecordingType = "cloud-audio-only"
)

// A RecordingStatus is the state of a recording. The constant is the value
// Daily documents; any other string is kept as sent.
type RecordingStatus string

// Recording states.
const (
	RecordingStatusFinished RecordingStatus = "finished"
)

// A TrackType is the kind of media in a raw track. The constants are the
// values Daily documents; any other string is kept as sent.
type TrackType string

// Track types.
const (
	TrackTypeAudio TrackType = "audio"
	TrackTypeVideo TrackType = "video"
)

// A Track is one file of a raw-tracks recording.
type Track struct {
	// Size is the size of the file in bytes.
	Size int64 `json:"size,omitempty"`
	// Type is the kind of media in the track.
	Type TrackType `json:"type,omitempty"`
	// S3Key is the object key of the file in S3.
	S3Key string `json:"s3Key,omitempty"`
}

// A RecordingStartedPayload is the payload of recording.started. It names no
// room.
type RecordingStartedPayload struct {
	// RecordingID identifies the recording.
	RecordingID string `json:"recording_id,omitempty"`
	// Action labels what happened.
	Action RecordingAction `json:"action,omitempty"`
	// Layout is the layout in use; zero when absent.
	Layout Layout `json:"layout,omitzero"`
	// StartedBy is the participant (session) ID of whoever started it.
	StartedBy string `json:"started_by,omitempty"`
	// InstanceID is the recording instance given when it was started.
	InstanceID string `json:"instance_id,omitempty"`
	// StartTS is when the recording started.
	StartTS Time `json:"start_ts,omitzero"`
}

// A RecordingReadyPayload is the payload of recording.ready-to-download.
type RecordingReadyPayload struct {
	// Type is the kind of recording; not the envelope's type.
	Type RecordingType `json:"type,omitempty"`
	// RecordingID identifies the recording.
	RecordingID string `json:"recording_id,omitempty"`
	// RoomName is the name of the room.
	RoomName string `json:"room_name,omitempty"`
	// StartTS is when the recording started.
	StartTS Time `json:"start_ts,omitzero"`
	// Status is the state of the recording.
	Status RecordingStatus `json:"status,omitempty"`
	// MaxParticipants is how many participants were recorded.
	MaxParticipants int `json:"max_participants,omitempty"`
	// Duration is the length of the recording.
	Duration Duration `json:"duration,omitzero"`
	// S3Key is the object key of the recording in S3.
	S3Key string `json:"s3_key,omitempty"`
	// Tracks lists the files of a raw-tracks recording. It is nil when
	// absent or null, as Daily sends it for other recordings or when role
	// permissions were removed; TracksNull tells the two apart.
	Tracks []Track `json:"tracks,omitzero"`
	// TracksNull reports whether tracks was sent as null. An event built
	// in code with TracksNull set and no Tracks marshals "tracks": null.
	TracksNull bool `json:"-"`
	// ShareToken is undocumented: it appears in Daily's example delivery
	// with no stated meaning.
	ShareToken string `json:"share_token,omitempty"`
}

// UnmarshalJSON decodes the payload, noting a null tracks in TracksNull.
func (p *RecordingReadyPayload) UnmarshalJSON(b []byte) error {
	type plain RecordingReadyPayload
	var v struct {
		plain
		Tracks json.RawMessage `json:"tracks"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*p = RecordingReadyPayload(v.plain)
	switch kind(v.Tracks) {
	case 0:
		if v.Tracks != nil {
			return &json.UnmarshalTypeError{Value: jsonKind(v.Tracks), Type: reflect.TypeFor[[]Track](), Field: "tracks"}
		}
	case 'n':
		p.TracksNull = true
	default:
		if err := json.Unmarshal(v.Tracks, &p.Tracks); err != nil {
			return withField(err, "tracks")
		}
	}
	return nil
}

// MarshalJSON writes the payload, with "tracks": null when TracksNull is
// set and there are no Tracks.
func (p RecordingReadyPayload) MarshalJSON() ([]byte, error) {
	type plain RecordingReadyPayload
	if p.TracksNull && p.Tracks == nil {
		return json.Marshal(struct {
			plain
			Tracks *[]Track `json:"tracks"`
		}{plain: plain(p)})
	}
	return json.Marshal(plain(p))
}

// A RecordingErrorPayload is the payload of recording.error.
type RecordingErrorPayload struct {
	// Action labels the error; test it with IsCloudRecordingError, since
	// Daily spells it two ways.
	Action RecordingAction `json:"action,omitempty"`
	// ErrorMsg describes the failure.
	ErrorMsg string `json:"error_msg,omitempty"`
	// InstanceID identifies the recording instance.
	InstanceID string `json:"instance_id,omitempty"`
	// RoomName is the name of the room.
	RoomName string `json:"room_name,omitempty"`
	// Timestamp is when the error was raised. Daily sends it as a string.
	Timestamp Time `json:"timestamp,omitzero"`
}
