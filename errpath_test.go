package events_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/dailywebhooks/events"
)

// TestErrorFieldPath checks that a value of the wrong kind deep inside a
// payload is reported with its whole path, also where a custom
// UnmarshalJSON method decodes it.
func TestErrorFieldPath(t *testing.T) {
	const head = `{"version":"1.0.0","type":"participant.joined","payload":`
	tests := []struct {
		name    string
		payload string
		field   string
	}{
		{"hasPresence", `{"permissions":{"hasPresence":1}}`, "payload.permissions.hasPresence"},
		{"canAdmin", `{"permissions":{"canAdmin":{}}}`, "payload.permissions.canAdmin"},
		{"canReceive", `{"permissions":{"canReceive":[]}}`, "payload.permissions.canReceive"},
		{"base", `{"permissions":{"canReceive":{"base":"all"}}}`, "payload.permissions.canReceive.base"},
		{"media map", `{"permissions":{"canReceive":{"base":{"video":"yes"}}}}`, "payload.permissions.canReceive.base.video"},
		{"override", `{"permissions":{"canReceive":{"byUserId":{"u1":7}}}}`, "payload.permissions.canReceive.byUserId.u1"},
		{"override kind", `{"permissions":{"canReceive":{"byParticipantId":true}}}`, "payload.permissions.canReceive.byParticipantId"},
		{"permissions", `{"permissions":"all"}`, "payload.permissions"},
		{"joined_at", `{"joined_at":"noon"}`, "payload.joined_at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := head + tt.payload + `}`
			_, err := events.Parse([]byte(in))
			var te *json.UnmarshalTypeError
			if !errors.Is(err, events.ErrInvalidField) || !errors.As(err, &te) {
				t.Fatalf("Parse(%s) = %v, want ErrInvalidField with a *json.UnmarshalTypeError", in, err)
			}
			if te.Field != tt.field {
				t.Errorf("Parse(%s): Field = %q, want %q", in, te.Field, tt.field)
			}
		})
	}
}

// TestPermissionsKeys checks that the hand-written permissions decoder
// matches keys as encoding/json does and ignores unknown ones.
func TestPermissionsKeys(t *testing.T) {
	var p events.Permissions
	in := `{"HASPRESENCE": true, "canSend": false, "cansend": ["audio"], "can\u0041dmin": true, "future": {"x": [1]}, "canReceive": {"BASE": false}}`
	if err := json.Unmarshal([]byte(in), &p); err != nil {
		t.Fatal(err)
	}
	if !p.HasPresence || !p.CanSend.Allows(events.MediaAudio) || p.CanSend.Allows(events.MediaVideo) || !p.CanAdmin.All() || p.CanReceive.Base.All() || p.CanReceive.Base.IsZero() {
		t.Errorf("Unmarshal(%s) = %+v", in, p)
	}
	var null events.Permissions
	if err := json.Unmarshal([]byte(`null`), &null); err != nil || !null.CanSend.IsZero() {
		t.Errorf("Unmarshal(null) = %+v, %v", null, err)
	}
}
