package events

import (
	"encoding/json"
	"reflect"
)

// A TranscriptStatus is the state of a transcript. Daily's three transcript
// pages list different values for the same states, so test it with Finished
// and Failed rather than against one constant. Any other string is kept as
// sent.
type TranscriptStatus string

// Transcript states, in every spelling Daily documents.
const (
	TranscriptStatusInProgress TranscriptStatus = "t_in_progress"
	TranscriptStatusCompleted  TranscriptStatus = "t_completed"
	TranscriptStatusFinished   TranscriptStatus = "t_finished"
	TranscriptStatusFailed     TranscriptStatus = "t_failed"
	TranscriptStatusError      TranscriptStatus = "t_error"
)

// Finished reports whether s says the transcript is done: t_finished or
// t_completed.
func (s TranscriptStatus) Finished() bool {
	return s == TranscriptStatusFinished || s == TranscriptStatusCompleted
}

// Failed reports whether s says the transcript failed: t_failed or t_error.
func (s TranscriptStatus) Failed() bool {
	return s == TranscriptStatusFailed || s == TranscriptStatusError
}

// TranscriptInfo is the info object of the transcript events.
type TranscriptInfo struct {
	// InstanceID is the transcription instance.
	InstanceID string `json:"instanceId,omitempty"`
	// StartTS is when the transcription started; transcript.error only.
	StartTS Time `json:"startTs,omitzero"`
	// EndTS is when the transcription ended; transcript.error only.
	EndTS Time `json:"endTs,omitzero"`
}

// OutParams says where a transcript is written.
type OutParams struct {
	// S3 is the S3 destination; zero when absent.
	S3 TranscriptS3 `json:"s3,omitzero"`
}

// TranscriptS3 is the S3 destination of a transcript.
//
// Daily's documentation spells the role fields externalId and
// assumeRoleArn, and so does the JSON of its generated Ruby SDK, which maps
// external_id to externalId: the snake_case names there are only the SDK's
// attribute names. A delivery with the snake_case keys has not been seen,
// but both spellings decode, and each marshals back in the spelling it
// arrived in.
type TranscriptS3 struct {
	// Key is the object key of the transcript file.
	Key string `json:"key,omitempty"`
	// Bucket is the S3 bucket.
	Bucket string `json:"bucket,omitempty"`
	// Region is the bucket's AWS region.
	Region string `json:"region,omitempty"`
	// ExternalID is the external ID Daily uses when it assumes the
	// customer's IAM role; transcript.error only.
	ExternalID string `json:"externalId,omitempty"`
	// AssumeRoleARN is the ARN of the IAM role Daily assumes to write to
	// the customer's bucket; transcript.error only.
	AssumeRoleARN string `json:"assumeRoleArn,omitempty"`

	snakeExternalID, snakeAssumeRoleARN bool
}

// transcriptS3Wire has both spellings of the role fields; nil means absent.
type transcriptS3Wire struct {
	Key                string  `json:"key,omitempty"`
	Bucket             string  `json:"bucket,omitempty"`
	Region             string  `json:"region,omitempty"`
	ExternalID         *string `json:"externalId,omitempty"`
	AssumeRoleARN      *string `json:"assumeRoleArn,omitempty"`
	SnakeExternalID    *string `json:"external_id,omitempty"`
	SnakeAssumeRoleARN *string `json:"assume_role_arn,omitempty"`
}

// IsZero reports whether s is the zero TranscriptS3: the field was absent.
func (s TranscriptS3) IsZero() bool { return s == TranscriptS3{} }

// Equal reports whether s and t hold the same values, whichever spelling
// their role fields arrived in.
func (s TranscriptS3) Equal(t TranscriptS3) bool {
	s.snakeExternalID, s.snakeAssumeRoleARN = false, false
	t.snakeExternalID, t.snakeAssumeRoleARN = false, false
	return s == t
}

// MarshalJSON writes the role fields in the spelling they arrived in,
// camelCase for a TranscriptS3 built in code.
func (s TranscriptS3) MarshalJSON() ([]byte, error) {
	w := transcriptS3Wire{Key: s.Key, Bucket: s.Bucket, Region: s.Region}
	if s.ExternalID != "" {
		if s.snakeExternalID {
			w.SnakeExternalID = &s.ExternalID
		} else {
			w.ExternalID = &s.ExternalID
		}
	}
	if s.AssumeRoleARN != "" {
		if s.snakeAssumeRoleARN {
			w.SnakeAssumeRoleARN = &s.AssumeRoleARN
		} else {
			w.AssumeRoleARN = &s.AssumeRoleARN
		}
	}
	return json.Marshal(w)
}

// UnmarshalJSON accepts both spellings of the role fields; where both are
// present, the camelCase one wins.
func (s *TranscriptS3) UnmarshalJSON(b []byte) error {
	if null, err := objectOrNull(b, reflect.TypeFor[TranscriptS3]()); null || err != nil {
		return err
	}
	var w transcriptS3Wire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*s = TranscriptS3{Key: w.Key, Bucket: w.Bucket, Region: w.Region}
	switch {
	case w.ExternalID != nil:
		s.ExternalID = *w.ExternalID
	case w.SnakeExternalID != nil:
		s.ExternalID, s.snakeExternalID = *w.SnakeExternalID, true
	}
	switch {
	case w.AssumeRoleARN != nil:
		s.AssumeRoleARN = *w.AssumeRoleARN
	case w.SnakeAssumeRoleARN != nil:
		s.AssumeRoleARN, s.snakeAssumeRoleARN = *w.SnakeAssumeRoleARN, true
	}
	return nil
}

// A TranscriptPayload is the payload of the transcript events. Each event
// sends a subset of the fields; the others stay zero.
type TranscriptPayload struct {
	// ID identifies the transcript; not the envelope's ID.
	ID string `json:"id,omitempty"`
	// Info identifies the transcription instance; zero when absent.
	Info TranscriptInfo `json:"info,omitzero"`
	// RoomID is the room's ID, a UUID. Daily's example of
	// transcript.ready-to-download repeats this key with the room's name;
	// decoding keeps the last value, as encoding/json does.
	RoomID string `json:"room_id,omitempty"`
	// RoomName is the room's name; newer deliveries only.
	RoomName string `json:"room_name,omitempty"`
	// MtgSessionID identifies the meeting session transcribed.
	MtgSessionID string `json:"mtg_session_id,omitempty"`
	// MaxParticipants is the most participants the session allows, as
	// Daily's documentation describes the field; it is not a count of the
	// participants seen.
	MaxParticipants int `json:"max_participants,omitempty"`
	// Duration is the transcript's length so far.
	Duration Duration `json:"duration,omitzero"`
	// ParticipantMinutes is the participant-minutes accumulated; Daily
	// sends whole or fractional numbers.
	ParticipantMinutes float64 `json:"participant_minutes"`
	// Status is the transcript's state; test it with Finished and Failed.
	Status TranscriptStatus `json:"status,omitempty"`
	// OutParams says where the transcript is written; zero when absent.
	OutParams OutParams `json:"out_params,omitzero"`
	// DomainID is the Daily domain; transcript.ready-to-download only.
	DomainID string `json:"domain_id,omitempty"`
	// Error describes the failure; transcript.error only.
	Error string `json:"error,omitempty"`
}

var (
	_ json.Marshaler   = TranscriptS3{}
	_ json.Unmarshaler = (*TranscriptS3)(nil)
)
