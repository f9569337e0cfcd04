package inbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/inbox"
	"github.com/riverqueue/river/rivertype"
)

func TestDeliveryStoredForm(t *testing.T) {
	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name         string
		key, id      string
		body         []byte
		want         []string // in the stored form
		notInRaw     []string
		wantType     string // read back
		wantIDStored bool
	}{
		{"a delivery, as text, its type first", inbox.IDKey("m"), "m", []byte(`{"type":"t","id":"m"}`), []string{`{"type":"t","key"`, `"text":"{\"type\":\"t\",\"id\":\"m\"}"`}, []string{`"body"`, `"id":`, `received_at`}, "t", false},
		{"not JSON, still text", "b:xyz", "", []byte("plain é"), []string{`"text":"plain é"`}, []string{`"body"`, `"id"`}, "", false},
		{"not UTF-8, base64", "b:xyz", "", []byte{0xff, 0xfe, '{'}, []string{`"body":"//57"`}, []string{`"text"`}, "", false},
		{"empty", "b:xyz", "", []byte{}, []string{`"text":""`}, []string{`"body"`}, "", false},
		{"a key not made from the ID", "custom", "i", []byte(`{"type":"t","id":"i"}`), []string{`"id":"i"`, `"key":"custom"`}, nil, "t", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := inbox.Delivery{Key: tt.key, ID: tt.id, Type: tt.wantType, ReceivedAt: at, Body: tt.body}
			raw, err := json.Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(raw), w) {
					t.Errorf("stored as %s, want %s in it", raw, w)
				}
			}
			for _, n := range tt.notInRaw {
				if strings.Contains(string(raw), n) {
					t.Errorf("stored as %s, want no %s", raw, n)
				}
			}
			var back inbox.Delivery
			if err := json.Unmarshal(raw, &back); err != nil {
				t.Fatal(err)
			}
			if string(back.Body) != string(tt.body) || back.Key != tt.key || back.ID != tt.id || back.Type != tt.wantType {
				t.Errorf("read back %+v, want the key %q, ID %q, type %q and body %q", back, tt.key, tt.id, tt.wantType, tt.body)
			}
		})
	}
	if k := inbox.IDKey("ptcpt-join-6497c79b-f326-4942-aef8-c36a29140ad1-1708972279961"); len(k) != 24 || k == inbox.IDKey("ptcpt-join-6497c79b-f326-4942-aef8-c36a29140ad1-1708972279962") {
		t.Errorf("IDKey = %q: want 24 bytes, different for another ID", k)
	}
}

func TestStateOf(t *testing.T) {
	tests := map[rivertype.JobState]inbox.State{
		rivertype.JobStateAvailable: inbox.StatePending, rivertype.JobStateScheduled: inbox.StatePending, rivertype.JobStatePending: inbox.StatePending,
		rivertype.JobStateRunning: inbox.StateRunning, rivertype.JobStateRetryable: inbox.StateRetrying, rivertype.JobStateCompleted: inbox.StateHandled,
		rivertype.JobStateDiscarded: inbox.StateDead, rivertype.JobStateCancelled: inbox.StateDead,
	}
	for river, want := range tests {
		if got := inbox.StateOf(river); got != want {
			t.Errorf("StateOf(%s) = %s, want %s", river, got, want)
		}
	}
	for _, s := range inbox.States() {
		if got, err := inbox.ParseState(string(s)); got != s || err != nil {
			t.Errorf("ParseState(%s) = %s, %v", s, got, err)
		}
	}
	if _, err := inbox.ParseState("completed"); err == nil {
		t.Error("ParseState(completed) is no error; River's names are not the inbox's")
	}
}

// TestListReplayPurge fails the events of one type until told otherwise:
// they are listed dead with their error, counted, replayed in bulk by type
// once the cause is fixed, and what is dead again is purged.
func TestListReplayPurge(t *testing.T) {
	ctx := context.Background()
	var failing atomic.Bool
	failing.Store(true)
	tl := newTally()
	in := openSQLite(t, inbox.Config{MaxAttempts: 2, RetryPolicy: quickRetry{}, Handle: tl.handle(func(id string, _ int) error {
		if strings.HasPrefix(id, "rec-") && failing.Load() {
			return errors.New("the recordings bucket is down")
		}
		return nil
	})})
	var recs, meets []string
	for i := range 3 {
		recs = append(recs, fmt.Sprintf("rec-%d", i))
		meets = append(meets, fmt.Sprintf("meet-%d", i))
	}
	for i := range 3 {
		post(t, in, typed("recording.started", recs[i]))
		post(t, in, typed("meeting.started", meets[i]))
	}
	tl.waitHandled(t, meets, 10*time.Second)
	dead := waitList(t, in, inbox.Filter{States: []inbox.State{inbox.StateDead}}, 3)
	for i, e := range dead {
		if e.Delivery.Type != "recording.started" || e.Attempts != 2 || !strings.Contains(e.LastError(), "bucket is down") || e.FinalizedAt.IsZero() {
			t.Errorf("dead entry %d: %+v, last error %q", i, e, e.LastError())
		}
	}
	if dead[0].JobID < dead[2].JobID {
		t.Error("List is not newest first")
	}
	handled, err := in.List(ctx, inbox.Filter{Type: events.TypeMeetingStarted})
	if err != nil || len(handled) != 3 || handled[0].State != inbox.StateHandled || handled[0].Room() != "r" {
		t.Errorf("List of meeting.started = %+v, %v", handled, err)
	}
	if got, _ := in.List(ctx, inbox.Filter{Since: time.Now().Add(time.Hour)}); len(got) != 0 {
		t.Errorf("List since an hour ahead = %d entries", len(got))
	}
	if got, _ := in.List(ctx, inbox.Filter{Limit: 2}); len(got) != 2 {
		t.Errorf("List with Limit 2 = %d entries", len(got))
	}
	st, err := in.Stats(ctx)
	if err != nil || st.Jobs[inbox.StateDead] != 3 || st.Jobs[inbox.StateHandled] != 3 || !st.OldestPending.IsZero() {
		t.Errorf("Stats = %+v, %v; want 3 dead, 3 handled, nothing pending", st, err)
	}

	failing.Store(false)
	if n, err := in.ReplayDead(ctx, inbox.Filter{Type: events.TypeMeetingStarted}); n != 0 || err != nil {
		t.Errorf("ReplayDead of a type with nothing dead = %d, %v", n, err)
	}
	if n, err := in.ReplayDead(ctx, inbox.Filter{Type: events.TypeRecordingStarted}); n != 3 || err != nil {
		t.Fatalf("ReplayDead = %d, %v; want 3", n, err)
	}
	tl.waitHandled(t, recs, 10*time.Second)

	failing.Store(true)
	post(t, in, typed("recording.started", "rec-late"))
	waitList(t, in, inbox.Filter{States: []inbox.State{inbox.StateDead}}, 1)
	if n, err := in.Purge(ctx, time.Hour); n != 0 || err != nil {
		t.Errorf("Purge older than an hour = %d, %v; want 0", n, err)
	}
	if n, err := in.Purge(ctx, 0); n != 1 || err != nil {
		t.Errorf("Purge = %d, %v; want 1", n, err)
	}
	if got, _ := in.List(ctx, inbox.Filter{States: []inbox.State{inbox.StateDead}}); len(got) != 0 {
		t.Errorf("%d dead after Purge", len(got))
	}
}

// waitList waits until f selects n deliveries, and returns them.
func waitList(t *testing.T, in *inbox.Inbox, f inbox.Filter, n int) []inbox.Entry {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		got, err := in.List(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("List(%+v) = %d entries, want %d", f, len(got), n)
		}
	}
}

// typed returns a delivery of type typ and ID id, in room "r".
func typed(typ, id string) []byte {
	payload := `{"room":"r","start_ts":1708526032.672}`
	if typ == "recording.started" {
		payload = `{"room":"r","recording_id":"rec","start_ts":1708526032,"action":"start"}`
	}
	return fmt.Appendf(nil, `{"version":"1.0.0","type":%q,"id":%q,"event_ts":1708526033.049,"payload":%s}`, typ, id, payload)
}

// TestStoredBodyExact stores bodies of every shape in the SQLite inbox,
// which keeps a compact JSON object as a JSON value and anything else as
// text or base64, and reads each back byte for byte.
func TestStoredBodyExact(t *testing.T) {
	in := openSQLite(t, inbox.Config{Workers: -1, Handle: nopHandle})
	bodies := []string{
		`{"version":"1.0.0","type":"meeting.started","id":"e-1","payload":{"room":"r","start_ts":1708526032.672}}`,
		`{"type":"x","id":"e-2","s":"quote \" backslash \\ slash \/ tab \t nl \n","u":"\u00e9\u0000\ud83d\ude00","raw":"é😀 ünïcode"}`,
		`{"type":"x","id":"e-3","n":[0,-0,1.50,1e3,1E-7,-12345678901234567890123,0.1e+2],"b":[true,false,null],"e":{},"a":[]}`,
		`{"type":"x","id":"e-4","dup":1,"dup":2,"order":{"z":1,"a":2,"m":{"b":[{"y":1,"x":2}]}}}`,
		`{"type":"x","id":"e-5","url":"https://example.com/?a=1&b=<2>"}`,
		`{"type":"x","id":"e-6","ls":"line\u2028sep"}`,
		"{\"type\":\"x\",\"id\":\"e-7\",\"raw2028\":\"a\u2028b\"}",
		`{ "type": "x", "id": "e-8", "spaced": true }`,
		`[1,2,3]`,
		`not json at all`,
		"\xff\xfe binary",
	}
	for _, b := range bodies {
		if got := post(t, in, []byte(b)); got != 200 {
			t.Fatalf("POST %q = %d", b, got)
		}
	}
	all, err := in.List(context.Background(), inbox.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	for _, e := range all {
		stored[string(e.Delivery.Body)] = true
	}
	for _, b := range bodies {
		if !stored[b] {
			t.Errorf("the body %q did not come back byte for byte", b)
		}
	}
	if len(all) != len(bodies) {
		t.Errorf("%d stored, want %d", len(all), len(bodies))
	}
}
