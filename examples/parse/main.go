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
	var f []string
	add := func(k string, v any) {
		if s := fmt.Sprint(v); s != "" {
			f = append(f, k+"="+s)
		}
	}
	switch e := ev.(type) {
	case *events.MeetingStarted:
		add("start", e.Payload.StartTS.Time())
	case *events.MeetingEnded:
		add("start", e.Payload.StartTS.Time())
		add("end", e.Payload.EndTS.Time())
	case *events.ParticipantJoined:
		add("user", e.Payload.UserName)
		add("session", e.Payload.SessionID)
		add("canSend.screenVideo", e.Payload.Permissions.CanSend.Allows(events.MediaScreenVideo))
	case *events.ParticipantLeft:
		add("user", e.Payload.UserName)
		add("duration", e.Payload.Duration.Duration())
	case *events.WaitingParticipantJoined:
		add("user", e.Payload.UserName)
	case *events.WaitingParticipantLeft:
		add("user", e.Payload.UserName)
		add("waited", e.Payload.Duration.Duration())
	case *events.RecordingStarted:
		add("recording", e.Payload.RecordingID)
		add("layout", e.Payload.Layout.Preset)
	case *events.RecordingReadyToDownload:
		add("recording", e.Payload.RecordingID)
		add("duration", e.Payload.Duration.Duration())
		add("s3_key", e.Payload.S3Key)
		add("tracks", len(e.Payload.Tracks))
	case *events.RecordingError:
		add("cloud recording error", e.Payload.Action.IsCloudRecordingError())
		add("error", e.Payload.ErrorMsg)
		add("at", e.Payload.Timestamp.Time())
	case *events.TranscriptStarted:
		add("transcript", e.Payload.ID)
		add("status", e.Payload.Status)
	case *events.TranscriptReadyToDownload:
		add("transcript", e.Payload.ID)
		add("s3 key", e.Payload.OutParams.S3.Key)
		add("finished", e.Payload.Status.Finished())
	case *events.TranscriptError:
		add("transcript", e.Payload.ID)
		add("error", e.Payload.Error)
	case *events.StreamingStarted:
		add("instance", e.Payload.InstanceID)
		add("layout", e.Payload.Layout.Preset)
	case *events.StreamingUpdated:
		add("instance", e.Payload.InstanceID)
		add("layout", e.Payload.Layout.Preset)
	case *events.StreamingEnded:
		add("instance", e.Payload.InstanceID)
	case *events.StreamingError:
		add("error", e.Payload.ErrorMessage)
	case *events.StreamingWarning:
		var details bytes.Buffer
		if json.Compact(&details, e.Payload.Details) == nil {
			add("details", details.String())
		}
	case *events.BatchProcessorJobFinished:
		add("job", e.Payload.ID)
		add("preset", e.Payload.Preset)
		add("transcript files", len(e.Payload.Output.Transcription))
	case *events.BatchProcessorError:
		add("job", e.Payload.ID)
		add("error", e.Payload.Error)
	case *events.DialoutConnected:
		add("destination", e.Payload.Destination)
	case *events.DialoutAnswered:
		add("destination", e.Payload.Destination)
	case *events.DialoutStopped:
		add("destination", e.Payload.Destination)
	case *events.DialoutWarning:
		add("session", e.Payload.SessionID)
	case *events.DialoutError:
		add("error", e.Payload.ErrorMsg)
	case *events.DialinReady:
		add("sip_endpoint", e.Payload.SIPEndpoint)
	case *events.DialinConnected:
		add("from", e.Payload.SIPFrom)
		add("headers", e.Payload.SIPHeaders.Map())
	case *events.DialinStopped:
		add("from", e.Payload.SIPFrom)
	case *events.DialinWarning:
		add("warning", e.Payload.ErrorMsg)
	case *events.DialinError:
		add("error", e.Payload.ErrorMsg)
	case *events.CalltransferTriggered:
		add("to", e.Payload.ToEndpoint)
		add("sip refer", e.Payload.SIPRefer())
	case *events.CalltransferInitiated:
		add("to", e.Payload.ToEndpoint)
	case *events.CalltransferAnswered:
		add("to", e.Payload.ToEndpoint)
	case *events.CalltransferCompleted:
		add("to", e.Payload.ToEndpoint)
		add("status", e.Payload.CompleteStatus)
	case *events.Unknown:
		add("payload bytes", len(e.Payload))
	}
	add("room", events.RoomName(ev))
	return strings.Join(f, " ")
}
