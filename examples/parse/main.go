// Command parse parses Daily webhook deliveries and prints what it finds.
//
// Usage:
//
//	go run ./examples/parse [file ...]
//
// With no arguments it parses the package's sample delivery of every event
// type. With "-" it reads one delivery from standard input. For each
// delivery it prints the type, the Go type, the id, the main fields, and
// whether the version is newer than the package knows. It exits with status
// 1 after printing the error of any delivery that does not parse.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/eventstest"
)

func main() {
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: parse [file ...]   (no file: the samples; -: standard input)")
	}
	flag.Parse()
	ok := true
	for name, body := range inputs(flag.Args()) {
		if body == nil {
			ok = false
			continue
		}
		if err := show(os.Stdout, name, body); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
			ok = false
		}
	}
	if !ok {
		os.Exit(1)
	}
}

// inputs yields each delivery to parse with its name. A body that cannot be
// read is reported and yielded as nil.
func inputs(args []string) func(yield func(string, []byte) bool) {
	return func(yield func(string, []byte) bool) {
		if len(args) == 0 {
			for _, t := range events.Types() {
				body, _ := eventstest.Sample(t)
				if !yield("sample "+string(t), body) {
					return
				}
			}
			return
		}
		for _, name := range args {
			var body []byte
			var err error
			if name == "-" {
				body, err = io.ReadAll(io.LimitReader(os.Stdin, 1<<20))
				name = "stdin"
			} else {
				body, err = os.ReadFile(name)
			}
			if err != nil {
				fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
				body = nil
			}
			if !yield(name, body) {
				return
			}
		}
	}
}

// show parses one delivery and prints a line about it.
func show(w io.Writer, name string, body []byte) error {
	ev, err := events.Parse(body)
	if err != nil {
		return err
	}
	env := ev.Meta()
	newer := ""
	if env.Newer() {
		newer = fmt.Sprintf(" (version %s is newer than the known %s)", env.Version, env.Type.SchemaVersion())
	}
	fmt.Fprintf(w, "%-28s %-34s id=%s%s\n", env.Type, fmt.Sprintf("%T", ev), env.ID, newer)
	if fields := mainFields(ev); fields != "" {
		fmt.Fprintf(w, "    %s\n", fields)
	}
	return nil
}

// mainFields describes the fields a reader of each event cares most about.
func mainFields(ev events.Event) string {
	var f fields
	for _, family := range []func(*fields, events.Event) bool{peopleFields, recordingFields, streamingFields, telephonyFields} {
		if family(&f, ev) {
			break
		}
	}
	f.add("room", events.RoomName(ev))
	return strings.Join(f, " ")
}

// fields are "key=value" descriptions.
type fields []string

// add describes v as k, unless it prints empty.
func (f *fields) add(k string, v any) {
	if s := fmt.Sprint(v); s != "" {
		*f = append(*f, k+"="+s)
	}
}

// peopleFields describes the events of the meeting and its participants, and reports whether ev is one.
func peopleFields(f *fields, ev events.Event) bool {
	switch e := ev.(type) {
	case *events.MeetingStarted:
		f.add("start", e.Payload.StartTS.Time())
	case *events.MeetingEnded:
		f.add("start", e.Payload.StartTS.Time())
		f.add("end", e.Payload.EndTS.Time())
	case *events.ParticipantJoined:
		f.add("user", e.Payload.UserName)
		f.add("session", e.Payload.SessionID)
		f.add("canSend.screenVideo", e.Payload.Permissions.CanSend.Allows(events.MediaScreenVideo))
	case *events.ParticipantLeft:
		f.add("user", e.Payload.UserName)
		f.add("duration", e.Payload.Duration.Duration())
	case *events.WaitingParticipantJoined:
		f.add("user", e.Payload.UserName)
	case *events.WaitingParticipantLeft:
		f.add("user", e.Payload.UserName)
		f.add("waited", e.Payload.Duration.Duration())
	default:
		return false
	}
	return true
}

// recordingFields describes the events of recordings and transcripts, and reports whether ev is one.
func recordingFields(f *fields, ev events.Event) bool {
	switch e := ev.(type) {
	case *events.RecordingStarted:
		f.add("recording", e.Payload.RecordingID)
		f.add("layout", e.Payload.Layout.Preset)
	case *events.RecordingReadyToDownload:
		f.add("recording", e.Payload.RecordingID)
		f.add("duration", e.Payload.Duration.Duration())
		f.add("s3_key", e.Payload.S3Key)
		f.add("tracks", len(e.Payload.Tracks))
	case *events.RecordingError:
		f.add("cloud recording error", e.Payload.Action.IsCloudRecordingError())
		f.add("error", e.Payload.ErrorMsg)
		f.add("at", e.Payload.Timestamp.Time())
	case *events.TranscriptStarted:
		f.add("transcript", e.Payload.ID)
		f.add("status", e.Payload.Status)
	case *events.TranscriptReadyToDownload:
		f.add("transcript", e.Payload.ID)
		f.add("s3 key", e.Payload.OutParams.S3.Key)
		f.add("finished", e.Payload.Status.Finished())
	case *events.TranscriptError:
		f.add("transcript", e.Payload.ID)
		f.add("error", e.Payload.Error)
	default:
		return false
	}
	return true
}

// streamingFields describes the events of live streams and batch jobs, and reports whether ev is one.
func streamingFields(f *fields, ev events.Event) bool {
	switch e := ev.(type) {
	case *events.StreamingStarted:
		f.add("instance", e.Payload.InstanceID)
		f.add("layout", e.Payload.Layout.Preset)
	case *events.StreamingUpdated:
		f.add("instance", e.Payload.InstanceID)
		f.add("layout", e.Payload.Layout.Preset)
	case *events.StreamingEnded:
		f.add("instance", e.Payload.InstanceID)
	case *events.StreamingError:
		f.add("error", e.Payload.ErrorMessage)
	case *events.StreamingWarning:
		var details bytes.Buffer
		if json.Compact(&details, e.Payload.Details) == nil {
			f.add("details", details.String())
		}
	case *events.BatchProcessorJobFinished:
		f.add("job", e.Payload.ID)
		f.add("preset", e.Payload.Preset)
		f.add("transcript files", len(e.Payload.Output.Transcription))
	case *events.BatchProcessorError:
		f.add("job", e.Payload.ID)
		f.add("error", e.Payload.Error)
	default:
		return false
	}
	return true
}

// telephonyFields describes the events of dial-out, dial-in and call transfers, and unknown events, and reports whether ev is one.
func telephonyFields(f *fields, ev events.Event) bool {
	switch e := ev.(type) {
	case *events.DialoutConnected:
		f.add("destination", e.Payload.Destination)
	case *events.DialoutAnswered:
		f.add("destination", e.Payload.Destination)
	case *events.DialoutStopped:
		f.add("destination", e.Payload.Destination)
	case *events.DialoutWarning:
		f.add("session", e.Payload.SessionID)
	case *events.DialoutError:
		f.add("error", e.Payload.ErrorMsg)
	case *events.DialinReady:
		f.add("sip_endpoint", e.Payload.SIPEndpoint)
	case *events.DialinConnected:
		f.add("from", e.Payload.SIPFrom)
		f.add("headers", e.Payload.SIPHeaders.Map())
	case *events.DialinStopped:
		f.add("from", e.Payload.SIPFrom)
	case *events.DialinWarning:
		f.add("warning", e.Payload.ErrorMsg)
	case *events.DialinError:
		f.add("error", e.Payload.ErrorMsg)
	case *events.CalltransferTriggered:
		f.add("to", e.Payload.ToEndpoint)
		f.add("sip refer", e.Payload.SIPRefer())
	case *events.CalltransferInitiated:
		f.add("to", e.Payload.ToEndpoint)
	case *events.CalltransferAnswered:
		f.add("to", e.Payload.ToEndpoint)
	case *events.CalltransferCompleted:
		f.add("to", e.Payload.ToEndpoint)
		f.add("status", e.Payload.CompleteStatus)
	case *events.Unknown:
		f.add("payload bytes", len(e.Payload))
	default:
		return false
	}
	return true
}
