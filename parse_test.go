package events_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// decodeAs decodes the JSON text s into a T, for building expected values
// of the types that remember their JSON form.
func decodeAs[T any](t testing.TB, s string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("json.Unmarshal(%s, %T) error: %v", s, v, err)
	}
	return v
}

func env(t testing.TB, typ events.Type, version, id, eventTS string) events.Envelope {
	return events.Envelope{Version: version, Type: typ, ID: id, EventTS: decodeAs[events.Time](t, eventTS)}
}

// ignoreRaw compares events field by field: the raw delivery is left out
// and raw JSON fields compare as JSON, whitespace aside.
var ignoreRaw = cmp.Options{
	cmpopts.IgnoreUnexported(events.Envelope{}),
	cmp.Comparer(func(a, b json.RawMessage) bool {
		if bytes.Equal(a, b) {
			return true
		}
		va, erra := genericJSON(a)
		vb, errb := genericJSON(b)
		return erra == nil && errb == nil && reflect.DeepEqual(va, vb)
	}),
}

// genericJSON decodes b into maps, slices and json.Number values, so that
// two texts compare by value whatever their whitespace, order or escapes.
func genericJSON(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	err := d.Decode(&v)
	return v, err
}

func boolPtr(b bool) *bool { return &b }

// A goldenCase is a golden delivery and the event it must parse to.
type goldenCase struct {
	name string
	file string
	want events.Event
}

// runGoldenTable parses each golden file and compares the event with the
// expected one, field by field.
func runGoldenTable(t *testing.T, tests []goldenCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := events.Parse(readFile(t, tt.file))
			if err != nil {
				t.Fatalf("Parse(%s) error: %v", tt.file, err)
			}
			if diff := cmp.Diff(tt.want, got, ignoreRaw); diff != "" {
				t.Errorf("Parse(%s) mismatch (-want +got):\n%s", tt.file, diff)
			}
		})
	}
}

func TestParseGolden(t *testing.T) {
	simplePerms := events.Permissions{
		HasPresence: true,
		CanSend:     events.GrantAll[events.Media](),
		CanReceive:  events.CanReceive{Base: events.AccessAll()},
		CanAdmin:    events.GrantNone[events.AdminRole](),
	}
	lobbyPerms := events.Permissions{
		CanSend:    events.GrantNone[events.Media](),
		CanReceive: events.CanReceive{Base: events.AccessNone()},
		CanAdmin:   events.GrantNone[events.AdminRole](),
	}
	tests := []goldenCase{
		{
			name: "meeting.started",
			file: "eventstest/testdata/meeting.started.json",
			want: &events.MeetingStarted{
				Envelope: env(t, events.TypeMeetingStarted, "1.0.0", "met-sta-f2aa1ade-ff80-464c-b46e-50ffa577d48d-1708526032", "1708526033.049"),
				Payload: events.Meeting{
					StartTS:   decodeAs[events.Time](t, "1708526032.672"),
					MeetingID: "f2aa1ade-ff80-464c-b46e-50ffa577d48d",
					Room:      "TrPmUX1DzjSwDaAFDfNj",
				},
			},
		},
		{
			name: "meeting.ended",
			file: "eventstest/testdata/meeting.ended.json",
			want: &events.MeetingEnded{
				Envelope: env(t, events.TypeMeetingEnded, "1.0.0", "met-end-f2aa1ade-ff80-464c-b46e-50ffa577d48d-1708526093", "1708526093.412"),
				Payload: events.Meeting{
					StartTS:   decodeAs[events.Time](t, "1708526032"),
					EndTS:     decodeAs[events.Time](t, "1708526073.385"),
					MeetingID: "f2aa1ade-ff80-464c-b46e-50ffa577d48d",
					Room:      "TrPmUX1DzjSwDaAFDfNj",
				},
			},
		},
		{
			name: "participant.joined official example",
			file: "eventstest/testdata/participant.joined.json",
			want: &events.ParticipantJoined{
				Envelope: env(t, events.TypeParticipantJoined, "1.0.0", "ptcpt-join-6497c79b-f326-4942-aef8-c36a29140ad1-1708972279961", "1708972279.961"),
				Payload: events.Participant{
					Room:        "test",
					UserID:      "6497c79b-f326-4942-aef8-c36a29140ad1",
					UserName:    "testuser",
					SessionID:   "0c0d2dda-f21d-4cf9-ab56-86bf3c407ffa",
					JoinedAt:    decodeAs[events.Time](t, "1708972279.96"),
					WillEjectAt: decodeAs[events.Time](t, "1708972299.541"),
					Permissions: simplePerms,
				},
			},
		},
		{
			name: "participant.joined permissions as lists and string time",
			file: "testdata/variants/participant.joined.lists.json",
			want: &events.ParticipantJoined{
				Envelope: env(t, events.TypeParticipantJoined, "1.0.0", "ptcpt-join-b1f0-1708972400000", "1708972400.3"),
				Payload: events.Participant{
					Room:                "standup",
					UserID:              "moderator-7",
					UserName:            "Moderator",
					SessionID:           "b1f0c3d2-aaaa-4bbb-8ccc-000000000001",
					JoinedAt:            decodeAs[events.Time](t, `"1708972400.25"`),
					WillEjectAt:         decodeAs[events.Time](t, "null"),
					Owner:               true,
					NetworkQualityState: events.NetworkQualityWarning,
					Permissions: events.Permissions{
						HasPresence: true,
						CanSend: events.GrantList(events.MediaVideo, events.MediaAudio, events.MediaScreenVideo,
							events.MediaScreenAudio, events.MediaCustomVideo, events.MediaCustomAudio),
						CanReceive: events.CanReceive{
							Base: events.AccessByMedia(events.MediaAccess{
								Video:       boolPtr(true),
								Audio:       boolPtr(true),
								ScreenVideo: boolPtr(false),
								ScreenAudio: boolPtr(false),
								CustomVideo: map[string]bool{"*": true},
								CustomAudio: map[string]bool{"*": false, "music": true},
							}),
							ByUserID: map[string]events.Access{
								"presenter-1": events.AccessAll(),
								"muted-2":     events.AccessByMedia(events.MediaAccess{Audio: boolPtr(false)}),
							},
							ByParticipantID: map[string]events.Access{
								"c0ffee00-0000-4000-8000-000000000002": events.AccessNone(),
							},
						},
						CanAdmin: events.GrantList(events.AdminParticipants, events.AdminStreaming, events.AdminTranscription),
					},
				},
			},
		},
		{
			name: "participant.joined integer times and empty lists",
			file: "testdata/variants/participant.joined.integer-times.json",
			want: &events.ParticipantJoined{
				Envelope: env(t, events.TypeParticipantJoined, "1.0.0", "ptcpt-join-int-1708972279", "1708972280"),
				Payload: events.Participant{
					Room:        "test",
					UserID:      "u-1",
					SessionID:   "s-1",
					JoinedAt:    decodeAs[events.Time](t, "1708972279"),
					WillEjectAt: decodeAs[events.Time](t, "1708972299"),
					Permissions: events.Permissions{
						HasPresence: true,
						CanSend:     events.GrantList[events.Media](),
						CanReceive:  events.CanReceive{Base: events.AccessAll()},
						CanAdmin:    events.GrantList[events.AdminRole](),
					},
				},
			},
		},
		{
			name: "participant.left",
			file: "eventstest/testdata/participant.left.json",
			want: &events.ParticipantLeft{
				Envelope: env(t, events.TypeParticipantLeft, "1.0.0", "ptcpt-left-6497c79b-f326-4942-aef8-c36a29140ad1-1708972345120", "1708972345.12"),
				Payload: events.ParticipantLeftPayload{
					Participant: events.Participant{
						Room:                "test",
						UserID:              "6497c79b-f326-4942-aef8-c36a29140ad1",
						UserName:            "testuser",
						SessionID:           "0c0d2dda-f21d-4cf9-ab56-86bf3c407ffa",
						JoinedAt:            decodeAs[events.Time](t, "1708972279.96"),
						WillEjectAt:         decodeAs[events.Time](t, "null"),
						NetworkQualityState: events.NetworkQualityGood,
						Permissions: events.Permissions{
							HasPresence: true,
							CanSend:     events.GrantList(events.MediaVideo, events.MediaAudio),
							CanReceive:  events.CanReceive{Base: events.AccessAll()},
							CanAdmin:    events.GrantNone[events.AdminRole](),
						},
					},
					Duration: decodeAs[events.Duration](t, "65.159"),
				},
			},
		},
		{
			name: "participant.left null eject and string numbers",
			file: "testdata/variants/participant.left.null-eject.json",
			want: &events.ParticipantLeft{
				Envelope: env(t, events.TypeParticipantLeft, "1.0.0", "ptcpt-left-null-1708972345", `"1708972345.120"`),
				Payload: events.ParticipantLeftPayload{
					Participant: events.Participant{
						Room:        "test",
						UserID:      "6497c79b-f326-4942-aef8-c36a29140ad1",
						UserName:    "testuser",
						SessionID:   "0c0d2dda-f21d-4cf9-ab56-86bf3c407ffa",
						JoinedAt:    decodeAs[events.Time](t, "1708972279.96"),
						WillEjectAt: decodeAs[events.Time](t, "null"),
						Permissions: events.Permissions{
							HasPresence: true,
							CanSend:     events.GrantAll[events.Media](),
							CanReceive:  events.CanReceive{Base: events.AccessAll()},
							CanAdmin:    events.GrantAll[events.AdminRole](),
						},
					},
					Duration: decodeAs[events.Duration](t, `"65"`),
				},
			},
		},
		{
			name: "waiting-participant.joined",
			file: "eventstest/testdata/waiting-participant.joined.json",
			want: &events.WaitingParticipantJoined{
				Envelope: env(t, events.TypeWaitingParticipantJoined, "1.0.0", "1-wtng-ptcpt-join-8a1e5b2c-7d3f-4e91-b0c6-2f4d9e8a7b15-1708972200", "1708972200.118"),
				Payload: events.Participant{
					Room:                "lobby-room",
					UserID:              "guest-42",
					UserName:            "Guest",
					SessionID:           "8a1e5b2c-7d3f-4e91-b0c6-2f4d9e8a7b15",
					JoinedAt:            decodeAs[events.Time](t, "1708972200"),
					WillEjectAt:         decodeAs[events.Time](t, "1708975800"),
					NetworkQualityState: events.NetworkQualityUnknown,
					Permissions:         lobbyPerms,
				},
			},
		},
		{
			name: "waiting-participant.left",
			file: "eventstest/testdata/waiting-participant.left.json",
			want: &events.WaitingParticipantLeft{
				Envelope: env(t, events.TypeWaitingParticipantLeft, "1.0.0", "1-wtng-ptcpt-left-8a1e5b2c-7d3f-4e91-b0c6-2f4d9e8a7b15-1708972260", "1708972260.004"),
				Payload: events.ParticipantLeftPayload{
					Participant: events.Participant{
						Room:        "lobby-room",
						UserName:    "Guest",
						SessionID:   "8a1e5b2c-7d3f-4e91-b0c6-2f4d9e8a7b15",
						JoinedAt:    decodeAs[events.Time](t, "1708972200.117"),
						WillEjectAt: decodeAs[events.Time](t, "null"),
						Permissions: lobbyPerms,
					},
					Duration: decodeAs[events.Duration](t, "59.883"),
				},
			},
		},
		{
			name: "unknown type of another major version",
			file: "testdata/variants/unknown.future-type.json",
			want: &events.Unknown{
				Envelope: env(t, "hologram.started", "2.0.0", "holo-sta-1", "1800000000.5"),
				Payload:  json.RawMessage(`{ "room": "r", "depth": [1, 2, 3], "flag": null }`),
			},
		},
	}
	runGoldenTable(t, tests)
}

func TestParseNewerMinorVersion(t *testing.T) {
	raw := readFile(t, "testdata/variants/participant.joined.newer-minor.json")
	ev, err := events.Parse(raw)
	if err != nil {
		t.Fatalf("Parse error: %v", err)
	}
	e, ok := ev.(*events.ParticipantJoined)
	if !ok {
		t.Fatalf("Parse gave %T, want *events.ParticipantJoined", ev)
	}
	if !e.Newer() || e.Version != "1.3.0" || e.Type.SchemaVersion() != "1.0.0" {
		t.Errorf("Newer() = %v, Version = %q, SchemaVersion() = %q; want true, 1.3.0, 1.0.0", e.Newer(), e.Version, e.Type.SchemaVersion())
	}
	if got := e.Payload.JoinedAt.String(); got != "1708972279.960" {
		t.Errorf("JoinedAt = %s, want the text as sent, 1708972279.960", got)
	}
	if !strings.Contains(string(e.Raw()), "new_field_from_the_future") {
		t.Error("Raw() lost the field this package does not model")
	}
}

func TestParseErrors(t *testing.T) {
	const pj = `"type":"participant.joined"`
	// check, for the rows that parse, says what the event must hold.
	isMeetingStarted := func(t *testing.T, ev events.Event) {
		if _, ok := ev.(*events.MeetingStarted); !ok {
			t.Errorf("Parse gave a %T, want the last type given, *events.MeetingStarted", ev)
		}
	}
	detailsKept := func(t *testing.T, ev events.Event) {
		if d := ev.(*events.StreamingWarning).Payload.Details; string(d) != `"text"` {
			t.Errorf("Details = %s, want the string kept as sent", d)
		}
	}
	tests := []struct {
		name    string
		in      string
		wantErr error
		check   func(*testing.T, events.Event)
	}{
		{"empty body", ``, events.ErrInvalidJSON, nil},
		{"truncated object", `{"version":"1.0.0",` + pj + `,"payload":{`, events.ErrInvalidJSON, nil},
		{"trailing garbage", `{"version":"1.0.0",` + pj + `,"payload":{}} x`, events.ErrInvalidJSON, nil},
		{"bad literal", `{"version":"1.0.0",` + pj + `,"payload":{"owner":tru}}`, events.ErrInvalidJSON, nil},
		{"invalid JSON before type", `{"version":1.0.0,` + pj + `}`, events.ErrInvalidJSON, nil},
		{"null", `null`, events.ErrNotObject, nil},
		{"array", `[]`, events.ErrNotObject, nil},
		{"string", `"participant.joined"`, events.ErrNotObject, nil},
		{"number", `42`, events.ErrNotObject, nil},
		{"verification request", `{"test":"test"}`, events.ErrVerificationRequest, nil},
		{"verification request spaced", " {\n \"test\" : \"test\" } ", events.ErrVerificationRequest, nil},
		{"empty object", `{}`, events.ErrMissingType, nil},
		{"no type", `{"version":"1.0.0","payload":{}}`, events.ErrMissingType, nil},
		{"empty type", `{"version":"1.0.0","type":"","payload":{}}`, events.ErrMissingType, nil},
		{"null type", `{"version":"1.0.0","type":null,"payload":{}}`, events.ErrMissingType, nil},
		{"number type", `{"version":"1.0.0","type":3,"payload":{}}`, events.ErrInvalidType, nil},
		{"object type", `{"version":"1.0.0","type":{"a":1},"payload":{}}`, events.ErrInvalidType, nil},
		{"type given twice, the last one counts", `{"version":"1.0.0",` + pj + `,"payload":{},"type":"meeting.started"}`, nil, isMeetingStarted},
		{"type given twice, the last not a string", `{"version":"1.0.0",` + pj + `,"payload":{},"type":7}`, events.ErrInvalidType, nil},
		{"key with invalid escape", `{"vers\xion":"1.0.0",` + pj + `}`, events.ErrInvalidJSON, nil},
		{"control character in id", "{\"version\":\"1.0.0\"," + pj + ",\"id\":\"a\tb\"}", events.ErrInvalidJSON, nil},
		{"trailing comma", `{"version":"1.0.0",` + pj + `,}`, events.ErrInvalidJSON, nil},
		{"missing colon", `{"version" "1.0.0",` + pj + `}`, events.ErrInvalidJSON, nil},
		{"bad unknown member", `{"version":"1.0.0",` + pj + `,"extra":[1,}`, events.ErrInvalidJSON, nil},
		{"bad number in event_ts", `{"version":"1.0.0",` + pj + `,"event_ts":1.}`, events.ErrInvalidJSON, nil},
		{"bad payload after the envelope", `{"version":"1.0.0",` + pj + `,"payload":{"room":}}`, events.ErrInvalidJSON, nil},
		{"bad payload of an unknown type", `{"version":"1.0.0","type":"x.y","payload":{"a":tru}}`, events.ErrInvalidJSON, nil},
		{"two objects", `{"version":"1.0.0",` + pj + `}{}`, events.ErrInvalidJSON, nil},
		{"payload array", `{"version":"1.0.0",` + pj + `,"payload":[]}`, events.ErrInvalidPayload, nil},
		{"payload string", `{"version":"1.0.0",` + pj + `,"payload":"x"}`, events.ErrInvalidPayload, nil},
		{"unknown type payload number", `{"version":"1.0.0","type":"x.y","payload":5}`, events.ErrInvalidPayload, nil},
		{"missing version", `{` + pj + `,"payload":{}}`, events.ErrMissingVersion, nil},
		{"empty version", `{"version":"",` + pj + `,"payload":{}}`, events.ErrMissingVersion, nil},
		{"null version", `{"version":null,` + pj + `,"payload":{}}`, events.ErrMissingVersion, nil},
		{"number version", `{"version":1,` + pj + `,"payload":{}}`, events.ErrInvalidVersion, nil},
		{"not semver", `{"version":"one",` + pj + `,"payload":{}}`, events.ErrInvalidVersion, nil},
		{"two-part version", `{"version":"1.0",` + pj + `,"payload":{}}`, events.ErrInvalidVersion, nil},
		{"major 2", `{"version":"2.0.0",` + pj + `,"payload":{}}`, events.ErrUnsupportedVersion, nil},
		{"major 0", `{"version":"0.9.0",` + pj + `,"payload":{}}`, events.ErrUnsupportedVersion, nil},
		{"version given twice", `{"version":"1.0.0",` + pj + `,"payload":{},"version":"2.0.0"}`, events.ErrUnsupportedVersion, nil},
		{"id number", `{"version":"1.0.0",` + pj + `,"id":7,"payload":{}}`, events.ErrInvalidField, nil},
		{"event_ts bool", `{"version":"1.0.0",` + pj + `,"event_ts":true,"payload":{}}`, events.ErrInvalidField, nil},
		{"event_ts word", `{"version":"1.0.0",` + pj + `,"event_ts":"soon","payload":{}}`, events.ErrInvalidField, nil},
		{"room number", `{"version":"1.0.0",` + pj + `,"payload":{"room":1}}`, events.ErrInvalidField, nil},
		{"joined_at object", `{"version":"1.0.0",` + pj + `,"payload":{"joined_at":{}}}`, events.ErrInvalidField, nil},
		{"joined_at empty string", `{"version":"1.0.0",` + pj + `,"payload":{"joined_at":""}}`, events.ErrInvalidField, nil},
		{"canSend number", `{"version":"1.0.0",` + pj + `,"payload":{"permissions":{"canSend":1}}}`, events.ErrInvalidField, nil},
		{"canSend string", `{"version":"1.0.0",` + pj + `,"payload":{"permissions":{"canSend":"video"}}}`, events.ErrInvalidField, nil},
		{"canSend list with number", `{"version":"1.0.0",` + pj + `,"payload":{"permissions":{"canSend":["video",1]}}}`, events.ErrInvalidField, nil},
		{"canAdmin object", `{"version":"1.0.0",` + pj + `,"payload":{"permissions":{"canAdmin":{}}}}`, events.ErrInvalidField, nil},
		{"hasPresence string", `{"version":"1.0.0",` + pj + `,"payload":{"permissions":{"hasPresence":"yes"}}}`, events.ErrInvalidField, nil},
		{"canReceive base number", `{"version":"1.0.0",` + pj + `,"payload":{"permissions":{"canReceive":{"base":1}}}}`, events.ErrInvalidField, nil},
		{"canReceive override list", `{"version":"1.0.0",` + pj + `,"payload":{"permissions":{"canReceive":{"byUserId":{"u":[]}}}}}`, events.ErrInvalidField, nil},
		{"media map value", `{"version":"1.0.0",` + pj + `,"payload":{"permissions":{"canReceive":{"base":{"video":"yes"}}}}}`, events.ErrInvalidField, nil},
		{"duration list", `{"version":"1.0.0","type":"participant.left","payload":{"duration":[]}}`, events.ErrInvalidField, nil},
		{"layout string", `{"version":"1.0.0","type":"recording.started","payload":{"layout":"grid"}}`, events.ErrInvalidField, nil},
		{"layout max_cam_streams not a number", `{"version":"1.0.0","type":"streaming.started","payload":{"layout":{"preset":"default","max_cam_streams":"four"}}}`, events.ErrInvalidField, nil},
		{"layout max_cam_streams object", `{"version":"1.0.0","type":"streaming.started","payload":{"layout":{"preset":"default","max_cam_streams":{}}}}`, events.ErrInvalidField, nil},
		{"tracks object", `{"version":"1.0.0","type":"recording.ready-to-download","payload":{"tracks":{}}}`, events.ErrInvalidField, nil},
		{"track size string", `{"version":"1.0.0","type":"recording.ready-to-download","payload":{"tracks":[{"size":"1"}]}}`, events.ErrInvalidField, nil},
		{"recording.error timestamp word", `{"version":"1.0.0","type":"recording.error","payload":{"timestamp":"yesterday"}}`, events.ErrInvalidField, nil},
		{"transcript older minor accepted", `{"version":"1.0.0","type":"transcript.started","payload":{}}`, nil, nil},
		{"transcript older major refused", `{"version":"0.9.0","type":"transcript.started","payload":{}}`, events.ErrUnsupportedVersion, nil},
		{"transcript major 2", `{"version":"2.0.0","type":"transcript.started","payload":{}}`, events.ErrUnsupportedVersion, nil},
		{"out_params s3 list", `{"version":"1.1.0","type":"transcript.error","payload":{"out_params":{"s3":[]}}}`, events.ErrInvalidField, nil},
		{"batch output transcription object", `{"version":"1.0.0","type":"batch-processor.job-finished","payload":{"output":{"transcription":{}}}}`, events.ErrInvalidField, nil},
		{"sip_headers list", `{"version":"1.0.0","type":"dialin.connected","payload":{"sip_headers":["X-A"]}}`, events.ErrInvalidField, nil},
		{"is_sip_refer string", `{"version":"1.0.0","type":"calltransfer.triggered","payload":{"is_sip_refer":"true"}}`, events.ErrInvalidField, nil},
		{"streaming.warning details kept whatever its kind", `{"version":"1.0.0","type":"streaming.warning","payload":{"details":"text"}}`, nil, detailsKept},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := events.Parse([]byte(tt.in))
			if tt.wantErr == nil {
				if err != nil || ev == nil {
					t.Fatalf("Parse(%q) = %v, %v, want an event", tt.in, ev, err)
				}
				if tt.check != nil {
					tt.check(t, ev)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Parse(%q) = %v, %v, want error %v", tt.in, ev, err, tt.wantErr)
			}
			if ev != nil {
				t.Errorf("Parse(%q) returned an event with its error", tt.in)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "events: ") {
				t.Errorf("error %q does not start with %q", msg, "events: ")
			}
		})
	}
}

func TestParseErrorDetails(t *testing.T) {
	t.Run("field path", func(t *testing.T) {
		_, err := events.Parse([]byte(`{"version":"1.0.0","type":"participant.joined","payload":{"permissions":{"canSend":7}}}`))
		var te *json.UnmarshalTypeError
		if !errors.As(err, &te) {
			t.Fatalf("Parse error %v does not wrap *json.UnmarshalTypeError", err)
		}
		if te.Field != "payload.permissions.canSend" {
			t.Errorf("UnmarshalTypeError.Field = %q, want payload.permissions.canSend", te.Field)
		}
		if !strings.Contains(err.Error(), "canSend") {
			t.Errorf("error %q does not name the field", err)
		}
	})
	t.Run("version error", func(t *testing.T) {
		_, err := events.Parse([]byte(`{"version":"2.1.0","type":"participant.joined","payload":{}}`))
		var ve *events.VersionError
		if !errors.As(err, &ve) {
			t.Fatalf("Parse error %v is not a *VersionError", err)
		}
		want := &events.VersionError{Type: events.TypeParticipantJoined, Got: "2.1.0", Supported: "1.0.0", Err: events.ErrUnsupportedVersion}
		if diff := cmp.Diff(*want, *ve, cmpopts.EquateErrors()); diff != "" {
			t.Errorf("VersionError mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("syntax error", func(t *testing.T) {
		_, err := events.Parse([]byte(`{"type":"participant.joined","version":"1.0.0","payload":{]}`))
		var se *json.SyntaxError
		if !errors.As(err, &se) {
			t.Fatalf("Parse error %v does not wrap *json.SyntaxError", err)
		}
	})
}

func TestParserAnyVersion(t *testing.T) {
	tests := []struct {
		name    string
		version string
		wantErr error // of the default policy
		want    string
	}{
		{"major 2", `"2.0.0"`, events.ErrUnsupportedVersion, "2.0.0"},
		{"missing", ``, events.ErrMissingVersion, ""},
		{"not semver", `"latest"`, events.ErrInvalidVersion, "latest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := ""
			if tt.version != "" {
				v = `"version":` + tt.version + `,`
			}
			in := `{` + v + `"type":"meeting.started","payload":{"room":"r"}}`
			if _, err := events.Parse([]byte(in)); !errors.Is(err, tt.wantErr) {
				t.Fatalf("Parse(%s) = %v, want %v", in, err, tt.wantErr)
			}
			ev, err := events.Parser{AnyVersion: true}.Parse([]byte(in))
			if err != nil {
				t.Fatalf("Parser{AnyVersion: true}.Parse(%s) error: %v", in, err)
			}
			e, ok := ev.(*events.MeetingStarted)
			if !ok || e.Payload.Room != "r" || e.Version != tt.want {
				t.Errorf("Parser{AnyVersion: true}.Parse(%s) = %#v, want a *MeetingStarted in room r with version %q", in, ev, tt.want)
			}
		})
	}
}

func TestParseUnknownKeepsEverything(t *testing.T) {
	in := `{"version":"9.9.9","type":"brand.new-thing","id":"x","payload":{"a":[1,{"b":null}],"c":"1.50"},"event_ts":"12.0","extra":true}`
	ev, err := events.Parse([]byte(in))
	if err != nil {
		t.Fatalf("Parse error: %v", err)
	}
	u, ok := ev.(*events.Unknown)
	if !ok {
		t.Fatalf("Parse gave %T, want *events.Unknown", ev)
	}
	if u.Type != "brand.new-thing" || u.ID != "x" || u.Newer() || u.Type.SchemaVersion() != "" {
		t.Errorf("Unknown envelope = %+v", u.Envelope)
	}
	testJSONRoundTrip(t, u, []byte(in))
	if events.RoomName(u) != "" {
		t.Errorf("RoomName(Unknown) = %q, want empty", events.RoomName(u))
	}
}

func TestParseCopiesInput(t *testing.T) {
	in := readFile(t, "eventstest/testdata/participant.joined.json")
	ev, err := events.Parse(in)
	if err != nil {
		t.Fatal(err)
	}
	want := string(in)
	for i := range in {
		in[i] = ' '
	}
	if got := string(ev.Raw()); got != want {
		t.Error("Raw() changed when the caller reused its buffer")
	}
}

// TestParseSlicesOfLargerBuffers parses deliveries that are slices of
// larger buffers, with and without a payload, as a caller reusing a read
// buffer passes them.
func TestParseSlicesOfLargerBuffers(t *testing.T) {
	for _, body := range []string{
		`{"version":"1.0.0","type":"meeting.started"}`,
		`{"version":"1.0.0","type":"brand.new"}`,
		`{"version":"1.0.0","type":"brand.new","payload":{"a":1},"id":"x"}`,
	} {
		t.Run(body, func(t *testing.T) {
			buf := make([]byte, len(body), 4*len(body))
			copy(buf, body)
			ev, err := events.Parse(buf)
			if err != nil {
				t.Fatalf("Parse error: %v", err)
			}
			testJSONRoundTrip(t, ev, []byte(body))
			if u, ok := ev.(*events.Unknown); ok && strings.Contains(body, "payload") && string(u.Payload) != `{"a":1}` {
				t.Errorf("Unknown.Payload = %s", u.Payload)
			}
		})
	}
}

func TestMarshalBuiltEvent(t *testing.T) {
	ev := &events.MeetingStarted{
		Envelope: events.Envelope{Version: "1.0.0", Type: events.TypeMeetingStarted, ID: "m1"},
		Payload:  events.Meeting{Room: "r", MeetingID: "mid"},
	}
	testJSONRoundTrip(t, ev, []byte(`{"version":"1.0.0","type":"meeting.started","id":"m1","payload":{"room":"r","meeting_id":"mid"}}`))
	if ev.Raw() != nil {
		t.Errorf("Raw() of a built event = %q, want nil", ev.Raw())
	}
	// The version and type come from the Go type when left empty.
	bare := &events.ParticipantLeft{Envelope: events.Envelope{ID: "p1"}, Payload: events.ParticipantLeftPayload{Participant: events.Participant{Room: "r", Owner: false}}}
	testJSONRoundTrip(t, bare, []byte(`{"version":"1.0.0","type":"participant.left","id":"p1","payload":{"room":"r","owner":false}}`))
	// Times built in code in each of Daily's forms.
	at := time.Unix(1708526033, 0)
	times := events.Meeting{Room: "r", StartTS: events.NewTimeString(at), EndTS: events.NullTime()}
	testJSONRoundTrip(t, times, []byte(`{"room":"r","start_ts":"1708526033","end_ts":null}`))
}

func TestIsVerificationRequest(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"exact", `{"test":"test"}`, true},
		{"spaced", "{ \"test\" :\n\"test\" }", true},
		{"other value", `{"test":"prod"}`, false},
		{"not string", `{"test":true}`, false},
		{"event with test member", `{"test":"test","type":"participant.joined"}`, false},
		{"array", `[{"test":"test"}]`, false},
		{"broken", `{"test":"test"`, false},
		{"empty", ``, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := events.IsVerificationRequest([]byte(tt.in)); got != tt.want {
				t.Errorf("IsVerificationRequest(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

// TestParseAcceptsExactlyValidJSON covers the corners where Parse once
// accepted what encoding/json refuses: an overridden payload member, and
// nesting that counts the top-level object.
func TestParseAcceptsExactlyValidJSON(t *testing.T) {
	const head = `{"version":"1.0.0","type":"meeting.started",`
	nest := func(n int) string { return strings.Repeat(`[`, n) + strings.Repeat(`]`, n) }
	tests := []struct {
		name string
		in   string
	}{
		{"overridden payload not JSON", head + `"payload":x,"payload":{"room":"x"}}`},
		{"overridden payload bad escape", head + `"payload":"\q","payload":{"room":"x"}}`},
		{"overridden payload bad array", head + `"payload":[},"payload":{"room":"x"}}`},
		{"overridden payload bad nesting", head + `"payload":{"a":[1}],"payload":{"room":"x"}}`},
		{"overridden payload valid", head + `"payload":[1],"payload":{"room":"x"}}`},
		{"member 10000 deep", head + `"a":` + nest(10000) + `,"payload":{}}`},
		{"member 9999 deep", head + `"a":` + nest(9999) + `,"payload":{}}`},
		{"payload member 9999 deep", head + `"payload":{"a":` + nest(9999) + `}}`},
		{"payload member 9998 deep", head + `"payload":{"a":` + nest(9998) + `}}`},
		{"unknown type, payload member 9999 deep", `{"type":"brand.new","payload":{"a":` + nest(9999) + `}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(tt.in)
			valid := json.Valid(in)
			ev, err := events.Parse(in)
			if valid != !errors.Is(err, events.ErrInvalidJSON) {
				t.Fatalf("Parse = %v; json.Valid = %t", err, valid)
			}
			if err != nil {
				return
			}
			if out, err := json.Marshal(ev); err != nil || !bytes.Equal(out, in) {
				t.Errorf("json.Marshal(Parse(in)) = %.40q, %v; want the input", out, err)
			}
		})
	}
}

func TestTracksNullRoundTrip(t *testing.T) {
	built := events.RecordingReadyPayload{RoomName: "r", TracksNull: true}
	testJSONRoundTrip(t, built, []byte(`{"room_name":"r","tracks":null}`))
	absent := events.RecordingReadyPayload{RoomName: "r"}
	testJSONRoundTrip(t, absent, []byte(`{"room_name":"r"}`))
	listed := events.RecordingReadyPayload{Tracks: []events.Track{{Size: 3, Type: events.TrackTypeAudio}}}
	testJSONRoundTrip(t, listed, []byte(`{"tracks":[{"size":3,"type":"audio"}]}`))
}
