//go:build ignore

// gen writes events_gen.go: the catalogue of event types and the methods
// every event type has in the same form. Run it with go generate; .ci/run
// checks that its output is committed.
package main

import (
	"bytes"
	"go/format"
	"log"
	"os"
	"strconv"
	"strings"
	"text/template"
)

// events is the table the code is generated from, in the order of Daily's
// documentation: the type, the payload schema version, the payload field
// that holds the room's name ("" when the event carries none), the Go type
// of the payload, and the doc comment of the event's Go type.
var events = []struct{ Typ, Schema, Room, Payload, Doc string }{
	{
		Typ: "meeting.started", Schema: "1.0.0", Room: "Room", Payload: "Meeting",
		Doc: `MeetingStarted is sent when a call begins: the first participant has
entered a room.

The webhook event name is "meeting.started".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/meeting-started`,
	},
	{
		Typ: "meeting.ended", Schema: "1.0.0", Room: "Room", Payload: "Meeting",
		Doc: `MeetingEnded is sent after the last participant has left a call. Daily may
hold it back for about 20 seconds in case someone reconnects.

The webhook event name is "meeting.ended".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/meeting-ended`,
	},
	{
		Typ: "participant.joined", Schema: "1.0.0", Room: "Room", Payload: "Participant",
		Doc: `ParticipantJoined is sent when someone enters a call.

The webhook event name is "participant.joined".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/participant-joined`,
	},
	{
		Typ: "participant.left", Schema: "1.0.0", Room: "Room", Payload: "ParticipantLeftPayload",
		Doc: `ParticipantLeft is sent when someone who was in a call leaves it.

The webhook event name is "participant.left".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/participant-left`,
	},
	{
		Typ: "waiting-participant.joined", Schema: "1.0.0", Room: "Room", Payload: "Participant",
		Doc: `WaitingParticipantJoined is sent when someone starts knocking to be let
into a room. If they are let in, a [ParticipantJoined] follows; if they
give up, a [WaitingParticipantLeft].

The webhook event name is "waiting-participant.joined".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/waiting-participant-joined`,
	},
	{
		Typ: "waiting-participant.left", Schema: "1.0.0", Room: "Room", Payload: "ParticipantLeftPayload",
		Doc: `WaitingParticipantLeft is sent when someone who was knocking leaves before
being let in. Someone let in who later leaves produces [ParticipantLeft].

The webhook event name is "waiting-participant.left".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/waiting-participant-left`,
	},
	{
		Typ: "recording.started", Schema: "1.0.0", Room: "", Payload: "RecordingStartedPayload",
		Doc: `RecordingStarted is sent when Daily begins a recording, whether started
from daily-js, the REST API or Daily Prebuilt.

The webhook event name is "recording.started".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/recording-started`,
	},
	{
		Typ: "recording.ready-to-download", Schema: "1.0.0", Room: "RoomName", Payload: "RecordingReadyPayload",
		Doc: `RecordingReadyToDownload is sent once a recording has finished with a
non-zero duration and its file is in S3.

The webhook event name is "recording.ready-to-download".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/recording-ready-to-download`,
	},
	{
		Typ: "recording.error", Schema: "1.0.0", Room: "RoomName", Payload: "RecordingErrorPayload",
		Doc: `RecordingError is sent when a recording fails, before it starts or while
it runs. A [RecordingStarted] or [RecordingReadyToDownload] may still
follow.

The webhook event name is "recording.error".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/recording-error`,
	},
	{
		Typ: "transcript.started", Schema: "1.1.0", Room: "RoomName", Payload: "TranscriptPayload",
		Doc: `TranscriptStarted is sent when Daily begins transcribing, started from
daily-js, the REST API or another client. Its schema version is 1.1.0.

The webhook event name is "transcript.started".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/transcript-started`,
	},
	{
		Typ: "transcript.ready-to-download", Schema: "1.1.0", Room: "RoomName", Payload: "TranscriptPayload",
		Doc: `TranscriptReadyToDownload is sent once a transcript has finished with a
non-zero duration and its file is in S3. Its schema version is 1.1.0.

The webhook event name is "transcript.ready-to-download".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/transcript-ready-to-download`,
	},
	{
		Typ: "transcript.error", Schema: "1.1.0", Room: "RoomName", Payload: "TranscriptPayload",
		Doc: `TranscriptError is sent when transcription fails, before it starts or
while it runs. Its schema version is 1.1.0.

The webhook event name is "transcript.error".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/transcript-error`,
	},
	{
		Typ: "streaming.started", Schema: "1.0.0", Room: "", Payload: "StreamingPayload",
		Doc: `StreamingStarted is sent when a live stream begins, started from daily-js
or the REST API.

The webhook event name is "streaming.started".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/streaming-started`,
	},
	{
		Typ: "streaming.updated", Schema: "1.0.0", Room: "", Payload: "StreamingPayload",
		Doc: `StreamingUpdated is sent when a change to a running live stream has been
processed. It confirms the processing, not that the change took effect.

The webhook event name is "streaming.updated".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/streaming-updated`,
	},
	{
		Typ: "streaming.ended", Schema: "1.0.0", Room: "", Payload: "StreamingPayload",
		Doc: `StreamingEnded is sent when a live stream stops.

The webhook event name is "streaming.ended".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/streaming-ended`,
	},
	{
		Typ: "streaming.error", Schema: "1.0.0", Room: "RoomName", Payload: "StreamingErrorPayload",
		Doc: `StreamingError is sent when a live stream fails to start or fails while
running. Other streaming events may still follow.

The webhook event name is "streaming.error".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/streaming-error`,
	},
	{
		Typ: "streaming.warning", Schema: "1.0.0", Room: "RoomName", Payload: "StreamingWarningPayload",
		Doc: `StreamingWarning is sent when something goes wrong with a live stream that
keeps running: the media server rejected an endpoint update, one RTMP
destination was dropped, or a layout option could not be applied.

The webhook event name is "streaming.warning".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/streaming-warning`,
	},
	{
		Typ: "batch-processor.job-finished", Schema: "1.0.0", Room: "", Payload: "BatchJob",
		Doc: `BatchProcessorJobFinished is sent when a batch-processor job finishes.

The webhook event name is "batch-processor.job-finished".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/batch-processor-job-finished`,
	},
	{
		Typ: "batch-processor.error", Schema: "1.0.0", Room: "", Payload: "BatchJob",
		Doc: `BatchProcessorError is sent when a batch-processor job ends in error.

The webhook event name is "batch-processor.error".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/batch-processor-error`,
	},
	{
		Typ: "dialout.connected", Schema: "1.0.0", Room: "Room", Payload: "DialoutPayload",
		Doc: `DialoutConnected is sent when an outbound call started with daily-js or
the REST API has reached the far end, which is now ringing.

The webhook event name is "dialout.connected".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/dialout-connected`,
	},
	{
		Typ: "dialout.answered", Schema: "1.0.0", Room: "Room", Payload: "DialoutPayload",
		Doc: `DialoutAnswered is sent when the far end of an outbound call picks up.

The webhook event name is "dialout.answered".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/dialout-answered`,
	},
	{
		Typ: "dialout.stopped", Schema: "1.0.0", Room: "Room", Payload: "DialoutPayload",
		Doc: `DialoutStopped is sent when an outbound call ends, usually because whoever
started it stopped it.

The webhook event name is "dialout.stopped".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/dialout-stopped`,
	},
	{
		Typ: "dialout.warning", Schema: "1.0.0", Room: "Room", Payload: "DialoutPayload",
		Doc: `DialoutWarning is sent on a problem that does not end an outbound call.

The webhook event name is "dialout.warning".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/dialout-warning`,
	},
	{
		Typ: "dialout.error", Schema: "1.0.0", Room: "Room", Payload: "DialoutPayload",
		Doc: `DialoutError is sent when an outbound call fails while connecting.

The webhook event name is "dialout.error".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/dialout-error`,
	},
	{
		Typ: "dialin.ready", Schema: "1.0.0", Room: "Room", Payload: "DialinPayload",
		Doc: `DialinReady is sent when a SIP endpoint configured on a room can take an
inbound call; once for each endpoint.

The webhook event name is "dialin.ready".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/dialin-ready`,
	},
	{
		Typ: "dialin.connected", Schema: "1.0.0", Room: "Room", Payload: "DialinPayload",
		Doc: `DialinConnected is sent when an inbound SIP or phone caller has been
connected to the room.

The webhook event name is "dialin.connected".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/dialin-connected`,
	},
	{
		Typ: "dialin.stopped", Schema: "1.0.0", Room: "Room", Payload: "DialinPayload",
		Doc: `DialinStopped is sent when an inbound SIP or phone call ends.

The webhook event name is "dialin.stopped".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/dialin-stopped`,
	},
	{
		Typ: "dialin.warning", Schema: "1.0.0", Room: "Room", Payload: "DialinPayload",
		Doc: `DialinWarning is sent on a problem that does not end an inbound call.

The webhook event name is "dialin.warning".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/dialin-warning`,
	},
	{
		Typ: "dialin.error", Schema: "1.0.0", Room: "Room", Payload: "DialinPayload",
		Doc: `DialinError is sent when an inbound call fails.

The webhook event name is "dialin.error".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/dialin-error`,
	},
	{
		Typ: "calltransfer.triggered", Schema: "1.0.0", Room: "Room", Payload: "CalltransferPayload",
		Doc: `CalltransferTriggered is sent when Daily has accepted a request to
transfer a SIP call.

The webhook event name is "calltransfer.triggered".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/calltransfer-triggered`,
	},
	{
		Typ: "calltransfer.initiated", Schema: "1.0.0", Room: "Room", Payload: "CalltransferPayload",
		Doc: `CalltransferInitiated is sent when Daily has sent the transfer's SIP
request, taken the SIP user out of the room and connected the call to the
target.

The webhook event name is "calltransfer.initiated".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/calltransfer-initiated`,
	},
	{
		Typ: "calltransfer.answered", Schema: "1.0.0", Room: "Room", Payload: "CalltransferPayload",
		Doc: `CalltransferAnswered is sent when the transfer target picks up. Daily does
not send it for SIP REFER transfers.

The webhook event name is "calltransfer.answered".

Daily API docs: https://docs.daily.co/reference/rest-api/webhooks/events/calltransfer-answered`,
	},
	{
		Typ: "calltransfer.completed", Schema: "1.0.0", Room: "Room", Payload: "CalltransferPayload",
		Doc: `CalltransferCompleted is sent when the transfer target ended the
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

// roomExpr returns the Go expression of e's room: the payload's field, or
// "" for an event without one.
func roomExpr(field string) string {
	if field == "" {
		return `""`
	}
	return "e.Payload." + field
}

// comment turns text into the lines of a // comment.
func comment(text string) string {
	return "// " + strings.ReplaceAll(text, "\n", "\n// ")
}

// tmpl is the generated file; format.Source settles its spacing.
var tmpl = template.Must(template.New("events_gen.go").Funcs(template.FuncMap{
	"goName": goName, "roomExpr": roomExpr, "comment": comment, "quote": strconv.Quote,
}).Parse(`// Code generated by "go run gen.go"; DO NOT EDIT.

package events

import "log/slog"

// The event types this package decodes.
const (
{{- range .}}
	Type{{goName .Typ}} Type = {{quote .Typ}}
{{- end}}
)

// catalogue lists every type this package decodes, in the order of Daily's
// documentation.
var catalogue = [...]typeInfo{
{{- range .}}
	{Type{{goName .Typ}}, {{quote .Schema}}, func() Event { return new({{goName .Typ}}) }},
{{- end}}
}
{{range .}}{{$n := goName .Typ}}
{{comment .Doc}}
type {{$n}} struct {
	Envelope

	// Payload holds the event's fields, the delivery's "payload" member.
	Payload {{.Payload}} ` + "`json:\"payload\"`" + `
}

func (e *{{$n}}) payload() any  { return &e.Payload }
func (e *{{$n}}) room() string { return {{roomExpr .Room}} }

// MarshalJSON returns the delivery e was parsed from, even if e was edited
// since, or e's typed fields when e was built in code, with the version and
// type filled in when they are empty; see [Event].
func (e {{$n}}) MarshalJSON() ([]byte, error) {
	type plain {{$n}}
	e.fill(Type{{$n}}, {{quote .Schema}})
	return marshalEvent(e.raw, plain(e))
}

// LogValue returns e's type, ID, room and time for log/slog, and none of
// its personal fields.
func (e *{{$n}}) LogValue() slog.Value { return e.logValue(e.room()) }
{{end}}`))

func main() {
	var b bytes.Buffer
	if err := tmpl.Execute(&b, events); err != nil {
		log.Fatal(err)
	}
	out, err := format.Source(b.Bytes())
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile("events_gen.go", out, 0o644); err != nil {
		log.Fatal(err)
	}
}
