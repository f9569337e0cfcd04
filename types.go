package events

// A Type is a webhook event type, the envelope's "type" string. The
// constants name the types this package decodes into their own Go types; a
// delivery of any other type parses as *[Unknown].
//
// Go type names come from the type string by one rule: each word between
// dots and hyphens is capitalised and the words are joined, so
// "waiting-participant.joined" is [WaitingParticipantJoined] and
// "calltransfer.triggered" is [CalltransferTriggered].
type Type string

// The event types this package decodes.
const (
	TypeMeetingStarted            Type = "meeting.started"
	TypeMeetingEnded              Type = "meeting.ended"
	TypeParticipantJoined         Type = "participant.joined"
	TypeParticipantLeft           Type = "participant.left"
	TypeWaitingParticipantJoined  Type = "waiting-participant.joined"
	TypeWaitingParticipantLeft    Type = "waiting-participant.left"
	TypeRecordingStarted          Type = "recording.started"
	TypeRecordingReadyToDownload  Type = "recording.ready-to-download"
	TypeRecordingError            Type = "recording.error"
	TypeTranscriptStarted         Type = "transcript.started"
	TypeTranscriptReadyToDownload Type = "transcript.ready-to-download"
	TypeTranscriptError           Type = "transcript.error"
	TypeStreamingStarted          Type = "streaming.started"
	TypeStreamingUpdated          Type = "streaming.updated"
	TypeStreamingEnded            Type = "streaming.ended"
	TypeStreamingError            Type = "streaming.error"
	TypeStreamingWarning          Type = "streaming.warning"
	TypeBatchProcessorJobFinished Type = "batch-processor.job-finished"
	TypeBatchProcessorError       Type = "batch-processor.error"
	TypeDialoutConnected          Type = "dialout.connected"
	TypeDialoutAnswered           Type = "dialout.answered"
	TypeDialoutStopped            Type = "dialout.stopped"
	TypeDialoutWarning            Type = "dialout.warning"
	TypeDialoutError              Type = "dialout.error"
	TypeDialinReady               Type = "dialin.ready"
	TypeDialinConnected           Type = "dialin.connected"
	TypeDialinStopped             Type = "dialin.stopped"
	TypeDialinWarning             Type = "dialin.warning"
	TypeDialinError               Type = "dialin.error"
	TypeCalltransferTriggered     Type = "calltransfer.triggered"
	TypeCalltransferInitiated     Type = "calltransfer.initiated"
	TypeCalltransferAnswered      Type = "calltransfer.answered"
	TypeCalltransferCompleted     Type = "calltransfer.completed"
)

// Schema versions of the payloads, as Daily documents them.
const (
	schema100 = "1.0.0"
	schema110 = "1.1.0"
)

// typeInfo describes one event type this package decodes.
type typeInfo struct {
	typ    Type
	schema string
	new    func() Event
}

// catalogue lists every type this package decodes, in the order of Daily's
// documentation.
var catalogue = [...]typeInfo{
	{TypeMeetingStarted, schema100, func() Event { return new(MeetingStarted) }},
	{TypeMeetingEnded, schema100, func() Event { return new(MeetingEnded) }},
	{TypeParticipantJoined, schema100, func() Event { return new(ParticipantJoined) }},
	{TypeParticipantLeft, schema100, func() Event { return new(ParticipantLeft) }},
	{TypeWaitingParticipantJoined, schema100, func() Event { return new(WaitingParticipantJoined) }},
	{TypeWaitingParticipantLeft, schema100, func() Event { return new(WaitingParticipantLeft) }},
	{TypeRecordingStarted, schema100, func() Event { return new(RecordingStarted) }},
	{TypeRecordingReadyToDownload, schema100, func() Event { return new(RecordingReadyToDownload) }},
	{TypeRecordingError, schema100, func() Event { return new(RecordingError) }},
	{TypeTranscriptStarted, schema110, func() Event { return new(TranscriptStarted) }},
	{TypeTranscriptReadyToDownload, schema110, func() Event { return new(TranscriptReadyToDownload) }},
	{TypeTranscriptError, schema110, func() Event { return new(TranscriptError) }},
	{TypeStreamingStarted, schema100, func() Event { return new(StreamingStarted) }},
	{TypeStreamingUpdated, schema100, func() Event { return new(StreamingUpdated) }},
	{TypeStreamingEnded, schema100, func() Event { return new(StreamingEnded) }},
	{TypeStreamingError, schema100, func() Event { return new(StreamingError) }},
	{TypeStreamingWarning, schema100, func() Event { return new(StreamingWarning) }},
	{TypeBatchProcessorJobFinished, schema100, func() Event { return new(BatchProcessorJobFinished) }},
	{TypeBatchProcessorError, schema100, func() Event { return new(BatchProcessorError) }},
	{TypeDialoutConnected, schema100, func() Event { return new(DialoutConnected) }},
	{TypeDialoutAnswered, schema100, func() Event { return new(DialoutAnswered) }},
	{TypeDialoutStopped, schema100, func() Event { return new(DialoutStopped) }},
	{TypeDialoutWarning, schema100, func() Event { return new(DialoutWarning) }},
	{TypeDialoutError, schema100, func() Event { return new(DialoutError) }},
	{TypeDialinReady, schema100, func() Event { return new(DialinReady) }},
	{TypeDialinConnected, schema100, func() Event { return new(DialinConnected) }},
	{TypeDialinStopped, schema100, func() Event { return new(DialinStopped) }},
	{TypeDialinWarning, schema100, func() Event { return new(DialinWarning) }},
	{TypeDialinError, schema100, func() Event { return new(DialinError) }},
	{TypeCalltransferTriggered, schema100, func() Event { return new(CalltransferTriggered) }},
	{TypeCalltransferInitiated, schema100, func() Event { return new(CalltransferInitiated) }},
	{TypeCalltransferAnswered, schema100, func() Event { return new(CalltransferAnswered) }},
	{TypeCalltransferCompleted, schema100, func() Event { return new(CalltransferCompleted) }},
}

// lookup returns the catalogue entry for the type string t, or nil.
func lookup(t []byte) *typeInfo {
	for i := range catalogue {
		if string(catalogue[i].typ) == string(t) {
			return &catalogue[i]
		}
	}
	return nil
}

// Types returns every type this package decodes into its own Go type, in
// the order of Daily's documentation. The caller owns the slice.
func Types() []Type {
	ts := make([]Type, len(catalogue))
	for i := range catalogue {
		ts[i] = catalogue[i].typ
	}
	return ts
}

// Known reports whether this package decodes t into its own Go type.
func (t Type) Known() bool { return lookup([]byte(t)) != nil }

// SchemaVersion returns the payload schema version this package was written
// for, such as "1.0.0", or "" for a type it does not know.
func (t Type) SchemaVersion() string {
	if info := lookup([]byte(t)); info != nil {
		return info.schema
	}
	return ""
}

// RoomName returns the name of the room an event concerns, whichever field
// Daily put it in ("room" or "room_name"), or "" when the event carries none,
// as recording.started and the streaming events other than streaming.error
// do.
func RoomName(ev Event) string {
	if r, ok := ev.(interface{ RoomName() string }); ok {
		return r.RoomName()
	}
	return ""
}
