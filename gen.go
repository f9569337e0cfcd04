//go:build ignore

// gen writes events_gen.go: the catalogue of event types and the methods
// every event type has in the same form. Run it with go generate; .ci/run
// checks that its output is committed.
package main

import (
	"bytes"
	"fmt"
	"go/format"
	"log"
	"os"
	"strings"
)

// events is the table the code is generated from, in the order of Daily's
// documentation: the type, the payload schema version, the payload field
// that holds the room's name ("" when the event carries none), the Go type
// of the payload, and the doc comment of the event's Go type.
var events = []struct{ typ, schema, room, payload, doc string }{
	{
		typ: "meeting.started", schema: "1.0.0", room: "Room", payload: "Meeting",
		doc: `MeetingStarted is sent when a call begins: the first participant has
entered a room.

The webhook event name is "meeting.started".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/meeting-started`,
	},
	{
		typ: "meeting.ended", schema: "1.0.0", room: "Room", payload: "Meeting",
		doc: `MeetingEnded is sent after the last participant has left a call. Daily may
hold it back for about 20 seconds in case someone reconnects.

The webhook event name is "meeting.ended".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/meeting-ended`,
	},
	{
		typ: "participant.joined", schema: "1.0.0", room: "Room", payload: "Participant",
		doc: `ParticipantJoined is sent when someone enters a call.

The webhook event name is "participant.joined".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/participant-joined`,
	},
	{
		typ: "participant.left", schema: "1.0.0", room: "Room", payload: "ParticipantLeftPayload",
		doc: `ParticipantLeft is sent when someone who was in a call leaves it.

The webhook event name is "participant.left".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/participant-left`,
	},
	{
		typ: "waiting-participant.joined", schema: "1.0.0", room: "Room", payload: "Participant",
		doc: `WaitingParticipantJoined is sent when someone starts knocking to be let
into a room. If they are let in, a [ParticipantJoined] follows; if they
give up, a [WaitingParticipantLeft].

The webhook event name is "waiting-participant.joined".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/waiting-participant-joined`,
	},
	{
		typ: "waiting-participant.left", schema: "1.0.0", room: "Room", payload: "ParticipantLeftPayload",
		doc: `WaitingParticipantLeft is sent when someone who was knocking leaves before
being let in. Someone let in who later leaves produces [ParticipantLeft].

The webhook event name is "waiting-participant.left".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/waiting-participant-left`,
	},
	{
		typ: "recording.started", schema: "1.0.0", room: "", payload: "RecordingStartedPayload",
		doc: `RecordingStarted is sent when Daily begins a recording, whether started
from daily-js, the REST API or Daily Prebuilt.

The webhook event name is "recording.started".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/recording-started`,
	},
	{
		typ: "recording.ready-to-download", schema: "1.0.0", room: "RoomName", payload: "RecordingReadyPayload",
		doc: `RecordingReadyToDownload is sent once a recording has finished with a
non-zero duration and its file is in S3.

The webhook event name is "recording.ready-to-download".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/recording-ready-to-download`,
	},
	{
		typ: "recording.error", schema: "1.0.0", room: "RoomName", payload: "RecordingErrorPayload",
		doc: `RecordingError is sent when a recording fails, before it starts or while
it runs. A [RecordingStarted] or [RecordingReadyToDownload] may still
follow.

The webhook event name is "recording.error".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/recording-error`,
	},
	{
		typ: "transcript.started", schema: "1.1.0", room: "RoomName", payload: "TranscriptPayload",
		doc: `TranscriptStarted is sent when Daily begins transcribing, started from
daily-js, the REST API or another client. Its schema version is 1.1.0.

The webhook event name is "transcript.started".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/transcript-started`,
	},
	{
		typ: "transcript.ready-to-download", schema: "1.1.0", room: "RoomName", payload: "TranscriptPayload",
		doc: `TranscriptReadyToDownload is sent once a transcript has finished with a
non-zero duration and its file is in S3. Its schema version is 1.1.0.

The webhook event name is "transcript.ready-to-download".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/transcript-ready-to-download`,
	},
	{
		typ: "transcript.error", schema: "1.1.0", room: "RoomName", payload: "TranscriptPayload",
		doc: `TranscriptError is sent when transcription fails, before it starts or
while it runs. Its schema version is 1.1.0.

The webhook event name is "transcript.error".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/transcript-error`,
	},
	{
		typ: "streaming.started", schema: "1.0.0", room: "", payload: "StreamingPayload",
		doc: `StreamingStarted is sent when a live stream begins, started from daily-js
or the REST API.

The webhook event name is "streaming.started".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/streaming-started`,
	},
	{
		typ: "streaming.updated", schema: "1.0.0", room: "", payload: "StreamingPayload",
		doc: `StreamingUpdated is sent when a change to a running live stream has been
processed. It confirms the processing, not that the change took effect.

The webhook event name is "streaming.updated".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/streaming-updated`,
	},
	{
		typ: "streaming.ended", schema: "1.0.0", room: "", payload: "StreamingPayload",
		doc: `StreamingEnded is sent when a live stream stops.

The webhook event name is "streaming.ended".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/streaming-ended`,
	},
	{
		typ: "streaming.error", schema: "1.0.0", room: "RoomName", payload: "StreamingErrorPayload",
		doc: `StreamingError is sent when a live stream fails to start or fails while
running. Other streaming events may still follow.

The webhook event name is "streaming.error".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/streaming-error`,
	},
	{
		typ: "streaming.warning", schema: "1.0.0", room: "RoomName", payload: "StreamingWarningPayload",
		doc: `StreamingWarning is sent when something goes wrong with a live stream that
keeps running: the media server rejected an endpoint update, one RTMP
destination was dropped, or a layout option could not be applied.

The webhook event name is "streaming.warning".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/streaming-warning`,
	},
	{
		typ: "batch-processor.job-finished", schema: "1.0.0", room: "", payload: "BatchJob",
		doc: `BatchProcessorJobFinished is sent when a batch-processor job finishes.

The webhook event name is "batch-processor.job-finished".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/batch-processor-job-finished`,
	},
	{
		typ: "batch-processor.error", schema: "1.0.0", room: "", payload: "BatchJob",
		doc: `BatchProcessorError is sent when a batch-processor job ends in error.

The webhook event name is "batch-processor.error".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/batch-processor-error`,
	},
	{
		typ: "dialout.connected", schema: "1.0.0", room: "Room", payload: "DialoutPayload",
		doc: `DialoutConnected is sent when an outbound call started with daily-js or
the REST API has reached the far end, which is now ringing.

The webhook event name is "dialout.connected".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/dialout-connected`,
	},
	{
		typ: "dialout.answered", schema: "1.0.0", room: "Room", payload: "DialoutPayload",
		doc: `DialoutAnswered is sent when the far end of an outbound call picks up.

The webhook event name is "dialout.answered".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/dialout-answered`,
	},
	{
		typ: "dialout.stopped", schema: "1.0.0", room: "Room", payload: "DialoutPayload",
		doc: `DialoutStopped is sent when an outbound call ends, usually because whoever
started it stopped it.

The webhook event name is "dialout.stopped".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/dialout-stopped`,
	},
	{
		typ: "dialout.warning", schema: "1.0.0", room: "Room", payload: "DialoutPayload",
		doc: `DialoutWarning is sent on a problem that does not end an outbound call.

The webhook event name is "dialout.warning".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/dialout-warning`,
	},
	{
		typ: "dialout.error", schema: "1.0.0", room: "Room", payload: "DialoutPayload",
		doc: `DialoutError is sent when an outbound call fails while connecting.

The webhook event name is "dialout.error".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/dialout-error`,
	},
	{
		typ: "dialin.ready", schema: "1.0.0", room: "Room", payload: "DialinPayload",
		doc: `DialinReady is sent when a SIP endpoint configured on a room can take an
inbound call; once for each endpoint.

The webhook event name is "dialin.ready".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/dialin-ready`,
	},
	{
		typ: "dialin.connected", schema: "1.0.0", room: "Room", payload: "DialinPayload",
		doc: `DialinConnected is sent when an inbound SIP or phone caller has been
connected to the room.

The webhook event name is "dialin.connected".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/dialin-connected`,
	},
	{
		typ: "dialin.stopped", schema: "1.0.0", room: "Room", payload: "DialinPayload",
		doc: `DialinStopped is sent when an inbound SIP or phone call ends.

The webhook event name is "dialin.stopped".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/dialin-stopped`,
	},
	{
		typ: "dialin.warning", schema: "1.0.0", room: "Room", payload: "DialinPayload",
		doc: `DialinWarning is sent on a problem that does not end an inbound call.

The webhook event name is "dialin.warning".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/dialin-warning`,
	},
	{
		typ: "dialin.error", schema: "1.0.0", room: "Room", payload: "DialinPayload",
		doc: `DialinError is sent when an inbound call fails.

The webhook event name is "dialin.error".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/dialin-error`,
	},
	{
		typ: "calltransfer.triggered", schema: "1.0.0", room: "Room", payload: "CalltransferPayload",
		doc: `CalltransferTriggered is sent when Daily has accepted a request to
transfer a SIP call.

The webhook event name is "calltransfer.triggered".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/calltransfer-triggered`,
	},
	{
		typ: "calltransfer.initiated", schema: "1.0.0", room: "Room", payload: "CalltransferPayload",
		doc: `CalltransferInitiated is sent when Daily has sent the transfer's SIP
request, taken the SIP user out of the room and connected the call to the
target.

The webhook event name is "calltransfer.initiated".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/calltransfer-initiated`,
	},
	{
		typ: "calltransfer.answered", schema: "1.0.0", room: "Room", payload: "CalltransferPayload",
		doc: `CalltransferAnswered is sent when the transfer target picks up. Daily does
not send it for SIP REFER transfers.

The webhook event name is "calltransfer.answered".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/calltransfer-answered`,
	},
	{
		typ: "calltransfer.completed", schema: "1.0.0", room: "Room", payload: "CalltransferPayload",
		doc: `CalltransferCompleted is sent when the transfer target ended the
transferred call.

The webhook event name is "calltransfer.completed".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/calltransfer-completed`,
	},
}

// goName applies the package's naming rule: each word between dots and
// hyphens capitalised, the words joined.
func goName(typ string) string {
	var b strings.Builder
	for _, w := range strings.FieldsFunc(typ, func(r rune) bool { return r == '.' || r == '-' }) {
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	return b.String()
}

func main() {
	var b bytes.Buffer
	b.WriteString(`// Code generated by "go run gen.go"; DO NOT EDIT.

package events

import "log/slog"

// The event types this package decodes.
const (
`)
	for _, e := range events {
		fmt.Fprintf(&b, "\tType%s Type = %q\n", goName(e.typ), e.typ)
	}
	b.WriteString(`)

// catalogue lists every type this package decodes, in the order of Daily's
// documentation.
var catalogue = [...]typeInfo{
`)
	for _, e := range events {
		fmt.Fprintf(&b, "\t{Type%s, %q, func() Event { return new(%s) }},\n", goName(e.typ), e.schema, goName(e.typ))
	}
	b.WriteString("}\n")
	for _, e := range events {
		n := goName(e.typ)
		room := `""`
		if e.room != "" {
			room = "e.Payload." + e.room
		}
		b.WriteString("\n// " + strings.ReplaceAll(e.doc, "\n", "\n// ") + "\n")
		fmt.Fprintf(&b, `type %[1]s struct {
	Envelope

	// Payload holds the event's fields, the delivery's "payload" member.
	Payload %[4]s `+"`json:\"payload\"`"+`
}
`, n, room, e.schema, e.payload)
		fmt.Fprintf(&b, `
func (e *%[1]s) payload() any  { return &e.Payload }
func (e *%[1]s) room() string { return %[2]s }

// MarshalJSON returns the delivery e was parsed from, even if e was edited
// since, or e's typed fields when e was built in code, with the version and
// type filled in when they are empty; see [Event].
func (e %[1]s) MarshalJSON() ([]byte, error) {
	type plain %[1]s
	e.fill(Type%[1]s, %[3]q)
	return marshalEvent(e.raw, plain(e))
}

// LogValue returns e's type, ID, room and time for log/slog, and none of
// its personal fields.
func (e *%[1]s) LogValue() slog.Value { return e.logValue(e.room()) }
`, n, room, e.schema)
	}
	out, err := format.Source(b.Bytes())
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile("events_gen.go", out, 0o644); err != nil {
		log.Fatal(err)
	}
}
