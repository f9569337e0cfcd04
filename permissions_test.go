package events_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/dailywebhooks/events"
)

func TestCanSend(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		allowed  []events.Media
		denied   []events.Media
		all      bool
		none     bool
		listed   bool
		wantNull bool
	}{
		{name: "true", in: `true`, allowed: []events.Media{events.MediaVideo, events.MediaScreenVideo, "holograms"}, all: true},
		{name: "false", in: `false`, denied: []events.Media{events.MediaVideo, events.MediaAudio}, none: true},
		{name: "list", in: `["video","screenVideo"]`, allowed: []events.Media{events.MediaVideo, events.MediaScreenVideo}, denied: []events.Media{events.MediaAudio, events.MediaScreenAudio}, listed: true},
		{name: "empty list", in: `[]`, denied: []events.Media{events.MediaVideo}, none: true, listed: true},
		{name: "unknown value kept", in: `["hologram"]`, allowed: []events.Media{"hologram"}, denied: []events.Media{events.MediaVideo}, listed: true},
		{name: "null", in: `null`, denied: []events.Media{events.MediaVideo}, none: true, wantNull: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var g events.CanSend
			if err := json.Unmarshal([]byte(tt.in), &g); err != nil {
				t.Fatalf("Unmarshal(%s) error: %v", tt.in, err)
			}
			for _, m := range tt.allowed {
				if !g.Allows(m) {
					t.Errorf("Unmarshal(%s).Allows(%q) = false, want true", tt.in, m)
				}
			}
			for _, m := range tt.denied {
				if g.Allows(m) {
					t.Errorf("Unmarshal(%s).Allows(%q) = true, want false", tt.in, m)
				}
			}
			_, listed := g.List()
			if g.All() != tt.all || g.None() != tt.none || listed != tt.listed || g.IsNull() != tt.wantNull || g.IsZero() {
				t.Errorf("Unmarshal(%s): All %v None %v listed %v IsNull %v IsZero %v", tt.in, g.All(), g.None(), listed, g.IsNull(), g.IsZero())
			}
			if out, err := json.Marshal(g); err != nil || string(out) != tt.in {
				t.Errorf("Marshal(Unmarshal(%s)) = %s, %v; want the input", tt.in, out, err)
			}
		})
	}
}

func TestGrantErrors(t *testing.T) {
	for _, in := range []string{`1`, `"video"`, `{}`, `[1]`, `["video",null]`, `[["video"]]`} {
		t.Run(in, func(t *testing.T) {
			var g events.CanAdmin
			var te *json.UnmarshalTypeError
			if err := json.Unmarshal([]byte(in), &g); !errors.As(err, &te) {
				t.Errorf("Unmarshal(%s) error = %v, want *json.UnmarshalTypeError", in, err)
			}
		})
	}
}

func TestGrantConstructors(t *testing.T) {
	tests := []struct {
		name string
		g    events.CanAdmin
		want string
	}{
		{"all", events.GrantAll[events.AdminRole](), `true`},
		{"none", events.GrantNone[events.AdminRole](), `false`},
		{"list", events.GrantList(events.AdminTranscription), `["transcription"]`},
		{"empty list", events.GrantList[events.AdminRole](), `[]`},
		{"zero", events.CanAdmin{}, `null`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if out, _ := json.Marshal(tt.g); string(out) != tt.want {
				t.Errorf("Marshal = %s, want %s", out, tt.want)
			}
		})
	}
	if !events.GrantList(events.AdminTranscription).Allows(events.AdminTranscription) || events.GrantList(events.AdminStreaming).Allows(events.AdminTranscription) {
		t.Error("GrantList.Allows answers wrongly")
	}
}

func TestCanReceive(t *testing.T) {
	const in = `{
		"base": {"video": true, "audio": true, "screenVideo": false, "screenAudio": false,
			"customVideo": {"*": true}, "customAudio": {"*": false}},
		"byUserId": {"boss": true, "quiet": {"audio": false}},
		"byParticipantId": {"p-9": false}
	}`
	var c events.CanReceive
	if err := json.Unmarshal([]byte(in), &c); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		user, ptcpt string
		m           events.Media
		want        bool
	}{
		{"base video", "", "", events.MediaVideo, true},
		{"base screen video", "someone", "p-1", events.MediaScreenVideo, false},
		{"base custom video", "", "", events.MediaCustomVideo, true},
		{"base custom audio", "", "", events.MediaCustomAudio, false},
		{"user override all", "boss", "p-1", events.MediaScreenVideo, true},
		{"user override partial", "quiet", "p-1", events.MediaAudio, false},
		{"user override falls back to base", "quiet", "p-1", events.MediaVideo, true},
		{"participant override wins", "boss", "p-9", events.MediaVideo, false},
		{"unknown media", "", "", "hologram", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.Allows(tt.user, tt.ptcpt, tt.m); got != tt.want {
				t.Errorf("Allows(%q, %q, %q) = %v, want %v", tt.user, tt.ptcpt, tt.m, got, tt.want)
			}
		})
	}
	testJSONRoundTrip(t, c, []byte(in))
	if m, ok := c.Base.Media(); !ok || m.Video == nil || !*m.Video {
		t.Errorf("Base.Media() = %+v, %v", m, ok)
	}
	if !events.AccessAll().All() || events.AccessNone().Allows(events.MediaAudio) || !events.AccessAll().Allows(events.MediaAudio) {
		t.Error("AccessAll/AccessNone answer wrongly")
	}
	var null events.Access
	if err := json.Unmarshal([]byte(`null`), &null); err != nil || !null.IsNull() || null.Allows(events.MediaVideo) {
		t.Errorf("null Access: %v %v", err, null.IsNull())
	}
	if out, _ := json.Marshal(null); string(out) != "null" {
		t.Errorf("null Access marshals to %s", out)
	}
	if !(events.CanReceive{}).IsZero() || c.IsZero() {
		t.Error("CanReceive.IsZero answers wrongly")
	}
}
