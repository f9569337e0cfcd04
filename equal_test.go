package events_test

import (
	"testing"
	"time"

	"github.com/dailywebhooks/events"
)

// TestEqualMethods checks every exported Equal method on values that are
// equal and on values that differ in one respect each: the golden and
// fuzz tests compare through these methods, so they are only as strong as
// the methods.
func TestEqualMethods(t *testing.T) {
	t1 := time.Unix(1708526033, 672e6)
	yes, no := true, false
	tests := []struct {
		name  string
		equal func() bool
		want  bool
	}{
		{"Time same", func() bool { return events.NewTime(t1).Equal(events.NewTime(t1)) }, true},
		{"Time other instant", func() bool { return events.NewTime(t1).Equal(events.NewTime(t1.Add(time.Millisecond))) }, false},
		{"Time number and string", func() bool {
			return decodeAs[events.Time](t, `1708526033`).Equal(decodeAs[events.Time](t, `"1708526033"`))
		}, false},
		{"Time null and absent", func() bool { return decodeAs[events.Time](t, `null`).Equal(events.Time{}) }, false},
		{"Duration same", func() bool { return events.NewDuration(90 * time.Second).Equal(decodeAs[events.Duration](t, `90`)) }, true},
		{"Duration other", func() bool { return events.NewDuration(90 * time.Second).Equal(events.NewDuration(91 * time.Second)) }, false},
		{"TranscriptS3 same, either spelling", func() bool {
			return decodeAs[events.TranscriptS3](t, `{"key":"k","external_id":"e"}`).Equal(decodeAs[events.TranscriptS3](t, `{"key":"k","externalId":"e"}`))
		}, true},
		{"TranscriptS3 other key", func() bool {
			return events.TranscriptS3{Key: "a", Bucket: "b"}.Equal(events.TranscriptS3{Key: "c", Bucket: "b"})
		}, false},
		{"SIPHeaders same", func() bool {
			return events.NewSIPHeaders(map[string]string{"X-A": "1"}).Equal(decodeAs[events.SIPHeaders](t, `{"X-A":"1"}`))
		}, true},
		{"SIPHeaders other value", func() bool {
			return events.NewSIPHeaders(map[string]string{"X-A": "1"}).Equal(events.NewSIPHeaders(map[string]string{"X-A": "2"}))
		}, false},
		{"SIPHeaders other name", func() bool {
			return events.NewSIPHeaders(map[string]string{"X-A": "1"}).Equal(events.NewSIPHeaders(map[string]string{"X-B": "1"}))
		}, false},
		{"Grant same list", func() bool {
			return events.GrantList(events.MediaVideo).Equal(decodeAs[events.CanSend](t, `["video"]`))
		}, true},
		{"Grant all and none", func() bool { return events.GrantAll[events.Media]().Equal(events.GrantNone[events.Media]()) }, false},
		{"Grant other list", func() bool {
			return events.GrantList(events.MediaVideo).Equal(events.GrantList(events.MediaAudio))
		}, false},
		{"Access same map", func() bool {
			return events.AccessByMedia(events.MediaAccess{Video: &yes}).Equal(decodeAs[events.Access](t, `{"video":true}`))
		}, true},
		{"Access all and none", func() bool { return events.AccessAll().Equal(events.AccessNone()) }, false},
		{"Access other map", func() bool {
			return events.AccessByMedia(events.MediaAccess{Video: &yes}).Equal(events.AccessByMedia(events.MediaAccess{Video: &no}))
		}, false},
		{"Access other custom track", func() bool {
			return events.AccessByMedia(events.MediaAccess{CustomVideo: map[string]bool{"*": true}}).Equal(events.AccessByMedia(events.MediaAccess{CustomVideo: map[string]bool{"cam2": true}}))
		}, false},
		{"Layout same", func() bool {
			return events.Layout{Preset: events.LayoutDefault, MaxCamStreams: "2"}.Equal(decodeAs[events.Layout](t, `{"preset":"default","max_cam_streams":2}`))
		}, true},
		{"Layout other preset", func() bool {
			return events.Layout{Preset: events.LayoutDefault}.Equal(events.Layout{Preset: events.LayoutPortrait})
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.equal(); got != tt.want {
				t.Errorf("Equal = %t, want %t", got, tt.want)
			}
		})
	}
}
