package events_test

import (
	"encoding/json"
	"testing"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/eventstest"
	"github.com/google/go-cmp/cmp"
)

func TestParseFamilies(t *testing.T) {
	const domain = "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b"
	s3 := func(key string) events.S3Config {
		return events.S3Config{Bucket: "daily-bp", Key: "acme/7d2e1f3a/" + key, Region: "eu-central-1"}
	}
	tests := []goldenCase{
		{
			name: "recording.started",
			file: "eventstest/testdata/recording.started.json",
			want: &events.RecordingStarted{
				Envelope: env(t, events.TypeRecordingStarted, "1.0.0", "rec-sta-c3df927c-0a1a-4d1b-9b3b-5ffa4bb2d3a1-1692124192", "1692124192"),
				Payload: events.RecordingStartedPayload{
					RecordingID: "08fa0b24-9220-44c5-846c-3f116cf8e738",
					Action:      events.RecordingActionStartCloudRecording,
					Layout:      events.Layout{Preset: events.LayoutActiveParticipant},
					StartedBy:   "1d2d6d9b-bb5b-4a34-a9a5-41ec04fde3b1",
					InstanceID:  "c3df927c-0a1a-4d1b-9b3b-5ffa4bb2d3a1",
					StartTS:     decodeAs[events.Time](t, "1692124192"),
				},
			},
		},
		{
			name: "recording.ready-to-download official shape with share_token",
			file: "eventstest/testdata/recording.ready-to-download.json",
			want: &events.RecordingReadyToDownload{
				Envelope: env(t, events.TypeRecordingReadyToDownload, "1.0.0", "rec-rtd-c3df927c-0a1a-4d1b-9b3b-5ffa4bb2d3a1-1692124183", "1692124244"),
				Payload: events.RecordingReadyPayload{
					RecordingID:     "08fa0b24-9220-44c5-846c-3f116cf8e738",
					RoomName:        "Xcm97xRZ08b2dePKb78g",
					StartTS:         decodeAs[events.Time](t, "1692124183"),
					Status:          events.RecordingStatusFinished,
					MaxParticipants: 1,
					Duration:        decodeAs[events.Duration](t, "61"),
					ShareToken:      "ntDCL5k98Ulq",
					S3Key:           "api-test-1j8fizhzd30c/Xcm97xRZ08b2dePKb78g/1692124183028",
				},
			},
		},
		{
			name: "recording.ready-to-download raw tracks",
			file: "testdata/variants/recording.ready-to-download.raw-tracks.json",
			want: &events.RecordingReadyToDownload{
				Envelope: env(t, events.TypeRecordingReadyToDownload, "1.0.0", "rec-rtd-raw-1692124183", "1692126000"),
				Payload: events.RecordingReadyPayload{
					Type:            events.RecordingTypeRawTracks,
					RecordingID:     "a1b2c3d4-0000-4000-8000-000000000001",
					RoomName:        "podcast",
					StartTS:         decodeAs[events.Time](t, "1692124183"),
					Status:          events.RecordingStatusFinished,
					MaxParticipants: 2,
					Duration:        decodeAs[events.Duration](t, "1800"),
					S3Key:           "acme/podcast/1692124183028",
					Tracks: []events.Track{
						{Size: 48211002, Type: events.TrackTypeAudio, S3Key: "acme/podcast/1692124183028-host-cam-audio.webm"},
						{Size: 301552901, Type: events.TrackTypeVideo, S3Key: "acme/podcast/1692124183028-host-cam-video.webm"},
					},
				},
			},
		},
		{
			name: "recording.ready-to-download null tracks and audio-only type",
			file: "testdata/variants/recording.ready-to-download.null-tracks.json",
			want: &events.RecordingReadyToDownload{
				Envelope: env(t, events.TypeRecordingReadyToDownload, "1.0.0", "rec-rtd-null-1692124183", "1692124300.7"),
				Payload: events.RecordingReadyPayload{
					Type:            events.RecordingTypeCloudAudioOnly,
					RecordingID:     "a1b2c3d4-0000-4000-8000-000000000002",
					RoomName:        "podcast",
					StartTS:         decodeAs[events.Time](t, "1692124183"),
					Status:          events.RecordingStatusFinished,
					MaxParticipants: 2,
					Duration:        decodeAs[events.Duration](t, "95.5"),
					S3Key:           "acme/podcast/1692124183029",
					TracksNull:      true,
				},
			},
		},
		{
			name: "recording.error string timestamp",
			file: "eventstest/testdata/recording.error.json",
			want: &events.RecordingError{
				Envelope: env(t, events.TypeRecordingError, "1.0.0", "rec-err-c3df927c-0a1a-4d1b-9b3b-5ffa4bb2d3a1-1692124192", "1692124192.461"),
				Payload: events.RecordingErrorPayload{
					Action:     events.RecordingActionCloudRecordingError,
					ErrorMsg:   "cloud-recording-error: Recording stopped: no participants",
					InstanceID: "c3df927c-0a1a-4d1b-9b3b-5ffa4bb2d3a1",
					RoomName:   "Xcm97xRZ08b2dePKb78g",
					Timestamp:  decodeAs[events.Time](t, `"1692124192"`),
				},
			},
		},
		{
			name: "transcript.ready-to-download duplicate room_id from the docs",
			file: "eventstest/testdata/transcript.ready-to-download.json",
			want: &events.TranscriptReadyToDownload{
				Envelope: env(t, events.TypeTranscriptReadyToDownload, "1.1.0", "2-tr-rtd-467ff8a1-3d6e-4e4a-8a51-9c9c0f7c2b7e-1710242400", "1710242400.71"),
				Payload: events.TranscriptPayload{
					ID:                 "467ff8a1-3d6e-4e4a-8a51-9c9c0f7c2b7e",
					OutParams:          events.OutParams{S3: events.TranscriptS3{Key: "acme/standup/1710242112.vtt", Bucket: "acme-transcripts", Region: "us-west-2"}},
					RoomID:             "standup", // the last duplicate wins
					MtgSessionID:       "f3c1d2e4-5b6a-4c7d-8e9f-0a1b2c3d4e5f",
					Duration:           decodeAs[events.Duration](t, "287.364"),
					ParticipantMinutes: 9.58,
					Status:             events.TranscriptStatusFinished,
					DomainID:           domain,
				},
			},
		},
		{
			name: "transcript.error camelCase role keys",
			file: "eventstest/testdata/transcript.error.json",
			want: &events.TranscriptError{
				Envelope: env(t, events.TypeTranscriptError, "1.1.0", "2-tr-err-467ff8a1-3d6e-4e4a-8a51-9c9c0f7c2b7e-1710242200", "1710242200.12"),
				Payload: events.TranscriptPayload{
					ID: "467ff8a1-3d6e-4e4a-8a51-9c9c0f7c2b7e",
					Info: events.TranscriptInfo{
						InstanceID: "2d9b4a8e-46ef-44b5-9d6d-4d1f0b9c35a0",
						StartTS:    decodeAs[events.Time](t, "1710242112"),
						EndTS:      decodeAs[events.Time](t, "1710242199"),
					},
					RoomID:             "5d4a3e1b-8b1f-4d3f-9d0a-7a1c3f6e2b19",
					RoomName:           "standup",
					MtgSessionID:       "f3c1d2e4-5b6a-4c7d-8e9f-0a1b2c3d4e5f",
					MaxParticipants:    2,
					Duration:           decodeAs[events.Duration](t, "87.25"),
					ParticipantMinutes: 2.9,
					Status:             events.TranscriptStatusError,
					OutParams: events.OutParams{S3: events.TranscriptS3{
						Key: "acme/standup/1710242112.vtt", Bucket: "acme-transcripts", Region: "us-west-2",
						ExternalID: "acme-ext-1", AssumeRoleARN: "arn:aws:iam::123456789012:role/DailyTranscripts",
					}},
					Error: "could not write to bucket: access denied",
				},
			},
		},
		{
			name: "streaming.warning keeps details raw",
			file: "eventstest/testdata/streaming.warning.json",
			want: &events.StreamingWarning{
				Envelope: env(t, events.TypeStreamingWarning, "1.0.0", "7-strm-warn-9a8b7c6d-1234-4f00-8e11-22aa33bb44cc-1696003100", "1696003100.274"),
				Payload: events.StreamingWarningPayload{
					Details: json.RawMessage(`{
      "endpoints": [
        {
          "endpoint": "rtmp://live.example.com/app/key-2",
          "reason": "destination stopped accepting media"
        }
      ]
    }`),
					Timestamp:  decodeAs[events.Time](t, "1696003100"),
					InstanceID: "9a8b7c6d-1234-4f00-8e11-22aa33bb44cc",
					DomainID:   domain,
					RoomName:   "townhall",
				},
			},
		},
		{
			name: "streaming.updated string timestamp, portrait layout",
			file: "testdata/variants/streaming.updated.string-timestamp.json",
			want: &events.StreamingUpdated{
				Envelope: env(t, events.TypeStreamingUpdated, "1.0.0", "strm-upd-str-1696003012", "1696003012.5"),
				Payload: events.StreamingPayload{
					Timestamp:  decodeAs[events.Time](t, `"1696003012"`),
					InstanceID: "9a8b7c6d-1234-4f00-8e11-22aa33bb44cc",
					DomainID:   domain,
					Layout:     events.Layout{Preset: events.LayoutPortrait, Variant: events.LayoutVariantVertical},
				},
			},
		},
		{
			name: "recording.started custom layout",
			file: "testdata/variants/recording.started.layout-custom.json",
			want: &events.RecordingStarted{
				Envelope: env(t, events.TypeRecordingStarted, "1.0.0", "rec-sta-custom-1692124192", "1692124192"),
				Payload: events.RecordingStartedPayload{
					RecordingID: "08fa0b24-9220-44c5-846c-3f116cf8e738",
					Action:      events.RecordingActionStartCloudRecording,
					Layout: events.Layout{
						Preset:        events.LayoutCustom,
						CompositionID: "daily:baseline",
						CompositionParams: map[string]events.CompositionParam{
							"mode":                        events.StringParam("grid"),
							"showTextOverlay":             events.BoolParam(true),
							"videoSettings.maxCamStreams": events.NumberParam(4),
							"text.content":                decodeAs[events.CompositionParam](t, `null`),
						},
						SessionAssets: map[string]string{"images/logo.png": "https://assets.example.com/logo.png"},
					},
					StartedBy:  "1d2d6d9b-bb5b-4a34-a9a5-41ec04fde3b1",
					InstanceID: "c3df927c-0a1a-4d1b-9b3b-5ffa4bb2d3a1",
					StartTS:    decodeAs[events.Time](t, "1692124192"),
				},
			},
		},
		{
			name: "batch-processor.job-finished soap and concept outputs",
			file: "testdata/variants/batch-processor.job-finished.soap.json",
			want: &events.BatchProcessorJobFinished{
				Envelope: env(t, events.TypeBatchProcessorJobFinished, "1.0.0", "bp-jf-soap-1711122334", "1711122334"),
				Payload: events.BatchJob{
					ID:     "7d2e1f3a-0b4c-4d5e-8f6a-7b8c9d0e1f2a",
					Preset: events.BatchPresetSOAPNotes,
					Status: events.BatchStatusFinished,
					Input:  events.BatchInput{SourceType: events.BatchSourceRecordingID, RecordingID: "08fa0b24-9220-44c5-846c-3f116cf8e738"},
					Output: events.BatchOutput{
						SOAP:    &events.BatchFile{Format: "JSON", S3Config: s3("soap.json")},
						Concept: &events.BatchFile{Format: "JSON", S3Config: s3("concept.json")},
					},
				},
			},
		},
		{
			name: "batch-processor.error",
			file: "eventstest/testdata/batch-processor.error.json",
			want: &events.BatchProcessorError{
				Envelope: env(t, events.TypeBatchProcessorError, "1.0.0", "bp-err-6c1f0e2a-9b3d-4f8e-a7c6-5d4e3f2a1b0c-1711122300", "1711122300.009"),
				Payload: events.BatchJob{
					ID:     "6c1f0e2a-9b3d-4f8e-a7c6-5d4e3f2a1b0c",
					Preset: events.BatchPresetSummarize,
					Status: events.BatchStatusError,
					Input:  events.BatchInput{SourceType: events.BatchSourceURI, URI: "https://media.example.com/missing.mp4"},
					Error:  "could not fetch the input: 404 Not Found",
				},
			},
		},
		{
			name: "dialout.connected SIP variant with origin",
			file: "testdata/variants/dialout.connected.sip.json",
			want: &events.DialoutConnected{
				Envelope: env(t, events.TypeDialoutConnected, "1.0.0", "dout-ans-sip-4d5e6f70-1728036610", "1728036610.804"),
				Payload: events.DialoutPayload{
					Timestamp:   decodeAs[events.Time](t, `"1728036610"`),
					SessionID:   "4d5e6f70-8192-4a3b-9c4d-5e6f7a8b9c0d",
					DomainID:    domain,
					Room:        "support-line",
					Destination: "sip:agent@pbx.example.com",
					CallerID:    "1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9",
					Origin:      "sip:support-line@example.sip.daily.co",
				},
			},
		},
		{
			name: "dialin.ready",
			file: "eventstest/testdata/dialin.ready.json",
			want: &events.DialinReady{
				Envelope: env(t, events.TypeDialinReady, "1.0.0", "3-din-rdy-1728035000", "1728035000.25"),
				Payload: events.DialinPayload{
					Timestamp:   decodeAs[events.Time](t, `"1728035000"`),
					DomainID:    domain,
					Room:        "support-line",
					SIPEndpoint: "sip:support-line@example.sip.daily.co",
				},
			},
		},
		{
			name: "dialin.connected",
			file: "eventstest/testdata/dialin.connected.json",
			want: &events.DialinConnected{
				Envelope: env(t, events.TypeDialinConnected, "1.0.0", "3-din-con-7a8b9c0d-1e2f-4a3b-8c5d-6e7f8a9b0c1d-1728035100", "1728035100.617"),
				Payload: events.DialinPayload{
					Timestamp:   decodeAs[events.Time](t, `"1728035100"`),
					SessionID:   "7a8b9c0d-1e2f-4a3b-8c5d-6e7f8a9b0c1d",
					SIPFrom:     "sip:+14155550199@carrier.example.net",
					DomainID:    domain,
					Room:        "support-line",
					DisplayName: "+14155550199",
					SIPHeaders:  events.NewSIPHeaders(map[string]string{"X-Customer-Id": "cust-8812"}),
				},
			},
		},
		{
			name: "calltransfer.completed SIP REFER",
			file: "testdata/variants/calltransfer.completed.sip-refer.json",
			want: &events.CalltransferCompleted{
				Envelope: env(t, events.TypeCalltransferCompleted, "1.0.0", "5-ct-comp-refer-1730800300", "1730800300.61"),
				Payload: events.CalltransferPayload{
					DomainID:              domain,
					Room:                  "support-line",
					Timestamp:             decodeAs[events.Time](t, `"1730800300"`),
					SessionID:             "7a8b9c0d-1e2f-4a3b-8c5d-6e7f8a9b0c1d",
					MtgSessionID:          "0f1e2d3c-4b5a-4697-8877-665544332211",
					ToEndpoint:            "sip:tier2@pbx.example.com",
					FromEndpoint:          "sip:support-line@example.sip.daily.co",
					IsSIPRefer:            boolPtr(true),
					CompleteStatus:        events.TransferStatusCompleted,
					ReferSIPResponseCode:  "202",
					NotifySIPResponseCode: "200",
				},
			},
		},
	}
	runGoldenTable(t, tests)
}

// TestRoomName checks that RoomName finds the room whichever field Daily
// used, and gives "" for the events that name none.
func TestRoomName(t *testing.T) {
	for _, typ := range events.Types() {
		t.Run(string(typ), func(t *testing.T) {
			raw, ok := eventstest.Sample(typ)
			if !ok {
				t.Fatalf("Sample(%q) = false", typ)
			}
			ev, err := events.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			var payload map[string]json.RawMessage
			if err := json.Unmarshal(raw, &struct {
				P *map[string]json.RawMessage `json:"payload"`
			}{&payload}); err != nil {
				t.Fatal(err)
			}
			var want string
			for _, key := range []string{"room", "room_name"} {
				if v, ok := payload[key]; ok {
					_ = json.Unmarshal(v, &want)
				}
			}
			if got := events.RoomName(ev); got != want {
				t.Errorf("RoomName = %q, want %q", got, want)
			}
		})
	}
}

func TestEnumHelpers(t *testing.T) {
	tests := []struct {
		name string
		got  bool
		want bool
	}{
		{"cloud-recording-error", events.RecordingAction("cloud-recording-error").IsCloudRecordingError(), true},
		{"clourd-recording-err", events.RecordingAction("clourd-recording-err").IsCloudRecordingError(), true},
		{"start-cloud-recording", events.RecordingActionStartCloudRecording.IsCloudRecordingError(), false},
		{"t_finished finished", events.TranscriptStatus("t_finished").Finished(), true},
		{"t_completed finished", events.TranscriptStatus("t_completed").Finished(), true},
		{"t_in_progress not finished", events.TranscriptStatusInProgress.Finished(), false},
		{"t_failed failed", events.TranscriptStatus("t_failed").Failed(), true},
		{"t_error failed", events.TranscriptStatus("t_error").Failed(), true},
		{"t_finished not failed", events.TranscriptStatusFinished.Failed(), false},
		{"JSON is json", events.BatchFormat("JSON").Is(events.BatchFormatJSON), true},
		{"vtt is not srt", events.BatchFormatVTT.Is(events.BatchFormatSRT), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
}

func TestSIPHeaders(t *testing.T) {
	ev, err := events.Parse(readFile(t, "testdata/variants/dialin.connected.number-timestamp.json"))
	if err != nil {
		t.Fatal(err)
	}
	e := ev.(*events.DialinConnected)
	h := e.Payload.SIPHeaders
	if got := h.Get("x-customer-id"); got != "cust-8812" {
		t.Errorf("Get(x-customer-id) = %q, want cust-8812", got)
	}
	if got := h.Get("X-Route"); got != "" {
		t.Errorf("Get(X-Route) = %q for a list value, want empty", got)
	}
	if diff := cmp.Diff(map[string]string{"X-Customer-Id": "cust-8812"}, h.Map()); diff != "" {
		t.Errorf("Map() mismatch (-want +got):\n%s", diff)
	}
	testJSONRoundTrip(t, h, []byte(`{"X-Customer-Id":"cust-8812","X-Route":["a","b"],"X-Priority":1}`))
	if !e.Payload.Timestamp.Valid() || e.Payload.Timestamp.Quoted() {
		t.Errorf("numeric timestamp: Valid %v Quoted %v", e.Payload.Timestamp.Valid(), e.Payload.Timestamp.Quoted())
	}
	built := events.NewSIPHeaders(map[string]string{"X-A": "1"})
	testJSONRoundTrip(t, built, []byte(`{"X-A":"1"}`))
	var zero events.SIPHeaders
	if !zero.IsZero() || zero.Get("X") != "" {
		t.Error("zero SIPHeaders is not empty")
	}
	var bad events.SIPHeaders
	if err := json.Unmarshal([]byte(`["X-A"]`), &bad); err == nil {
		t.Error("Unmarshal of a list into SIPHeaders succeeded, want an error")
	}
}

func TestLayoutPresets(t *testing.T) {
	tests := []struct {
		file string
		want events.Layout
	}{
		{"layout-default", events.Layout{Preset: events.LayoutDefault, MaxCamStreams: "9"}},
		{"layout-single-participant", events.Layout{Preset: events.LayoutSingleParticipant, SessionID: "1d2d6d9b-bb5b-4a34-a9a5-41ec04fde3b1"}},
		{"layout-portrait", events.Layout{Preset: events.LayoutPortrait, Variant: events.LayoutVariantInset, MaxCamStreams: "2"}},
		{"layout-future", events.Layout{Preset: "spotlight-3d", MaxCamStreams: "3"}},
		{"layout-fraction", events.Layout{Preset: events.LayoutDefault, MaxCamStreams: "2.0"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			raw := readFile(t, "testdata/variants/recording.started."+tt.file+".json")
			ev, err := events.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			got := ev.(*events.RecordingStarted).Payload.Layout
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Layout mismatch (-want +got):\n%s", diff)
			}
			var doc struct {
				Payload struct {
					Layout json.RawMessage `json:"layout"`
				} `json:"payload"`
			}
			if err := json.Unmarshal(raw, &doc); err != nil {
				t.Fatal(err)
			}
			testJSONRoundTrip(t, got, doc.Payload.Layout)
		})
	}
	for _, tt := range []struct {
		in   json.Number
		want int
		ok   bool
	}{{"9", 9, true}, {"2.0", 2, true}, {"2e0", 2, true}, {"2.5", 0, false}, {"", 0, false}} {
		if got, ok := (events.Layout{MaxCamStreams: tt.in}).CamStreams(); got != tt.want || ok != tt.ok {
			t.Errorf("CamStreams of %q = %d, %t; want %d, %t", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	built := events.Layout{Preset: events.LayoutDefault, MaxCamStreams: "2"}
	testJSONRoundTrip(t, built, []byte(`{"preset":"default","max_cam_streams":2}`))
	if !(events.Layout{}).IsZero() || built.IsZero() {
		t.Error("Layout.IsZero answers wrongly")
	}
}

func TestTranscriptS3Spelling(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want events.TranscriptS3
	}{
		{"camelCase", `{"key":"k","externalId":"e","assumeRoleArn":"a"}`, events.TranscriptS3{Key: "k", ExternalID: "e", AssumeRoleARN: "a"}},
		{"snake_case", `{"key":"k","external_id":"e","assume_role_arn":"a"}`, events.TranscriptS3{Key: "k", ExternalID: "e", AssumeRoleARN: "a"}},
		{"mixed", `{"bucket":"b","external_id":"e","assumeRoleArn":"a"}`, events.TranscriptS3{Bucket: "b", ExternalID: "e", AssumeRoleARN: "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := decodeAs[events.TranscriptS3](t, tt.in)
			if got.Key != tt.want.Key || got.Bucket != tt.want.Bucket || got.ExternalID != tt.want.ExternalID || got.AssumeRoleARN != tt.want.AssumeRoleARN {
				t.Errorf("Unmarshal(%s) = %+v, want %+v", tt.in, got, tt.want)
			}
			testJSONRoundTrip(t, got, []byte(tt.in))
		})
	}
}

func TestCompositionParam(t *testing.T) {
	tests := []struct {
		name    string
		p       events.CompositionParam
		json    string
		str     string
		isStr   bool
		num     json.Number
		isNum   bool
		boolean bool
		isBool  bool
	}{
		{name: "string", p: events.StringParam("grid"), json: `"grid"`, str: "grid", isStr: true},
		{name: "escaped string", p: decodeAs[events.CompositionParam](t, `"a\u00e9"`), json: `"a\u00e9"`, str: "aé", isStr: true},
		{name: "number", p: events.NumberParam(4), json: `4`, num: "4", isNum: true},
		{name: "number keeps its form", p: decodeAs[events.CompositionParam](t, `4.50`), json: `4.50`, num: "4.50", isNum: true},
		{name: "true", p: events.BoolParam(true), json: `true`, boolean: true, isBool: true},
		{name: "false", p: events.BoolParam(false), json: `false`, isBool: true},
		{name: "object kept", p: decodeAs[events.CompositionParam](t, `{"a":1}`), json: `{"a":1}`},
		{name: "null", p: decodeAs[events.CompositionParam](t, `null`), json: `null`},
		{name: "zero", json: `null`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if s, ok := tt.p.Str(); s != tt.str || ok != tt.isStr {
				t.Errorf("Str = %q, %t; want %q, %t", s, ok, tt.str, tt.isStr)
			}
			if n, ok := tt.p.Number(); n != tt.num || ok != tt.isNum {
				t.Errorf("Number = %q, %t; want %q, %t", n, ok, tt.num, tt.isNum)
			}
			if b, ok := tt.p.Bool(); b != tt.boolean || ok != tt.isBool {
				t.Errorf("Bool = %t, %t; want %t, %t", b, ok, tt.boolean, tt.isBool)
			}
			if out, err := json.Marshal(tt.p); err != nil || string(out) != tt.json {
				t.Errorf("Marshal = %s, %v; want %s", out, err, tt.json)
			}
		})
	}
}

func TestCompositionParamEqual(t *testing.T) {
	tests := []struct {
		a, b events.CompositionParam
		want bool
	}{
		{events.StringParam("grid"), events.StringParam("grid"), true},
		{events.StringParam("grid"), decodeAs[events.CompositionParam](t, `"gr\u0069d"`), true},
		{events.StringParam("grid"), events.StringParam("split"), false},
		{events.NumberParam(4), decodeAs[events.CompositionParam](t, `4`), true},
		{events.NumberParam(4), decodeAs[events.CompositionParam](t, `4.0`), false},
		{events.BoolParam(true), events.BoolParam(false), false},
		{events.BoolParam(true), events.StringParam("true"), false},
		{events.CompositionParam{}, events.CompositionParam{}, true},
		{events.CompositionParam{}, decodeAs[events.CompositionParam](t, `null`), false},
	}
	for _, tt := range tests {
		if got := tt.a.Equal(tt.b); got != tt.want {
			t.Errorf("%s.Equal(%s) = %t, want %t", tt.a.Raw(), tt.b.Raw(), got, tt.want)
		}
	}
}
