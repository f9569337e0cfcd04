package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// typedDelivery returns a delivery of type typ and ID id, in room r.
func typedDelivery(typ, id string) []byte {
	payload := `{"room":"r","start_ts":1708526032.672}`
	if typ == "recording.started" {
		payload = `{"room":"r","recording_id":"rec","start_ts":1708526032,"action":"start"}`
	}
	return fmt.Appendf(nil, `{"version":"1.0.0","type":%q,"id":%q,"event_ts":1708526033.049,"payload":%s}`, typ, id, payload)
}

// TestInboxCommands runs listen with an app that fails one event type,
// and steers the stored deliveries with dailyhook inbox while it runs.
func TestInboxCommands(t *testing.T) {
	a := newApp(t, 0)
	var failing atomic.Bool
	failing.Store(true)
	app := a.failingFor(t, "rec-", &failing)
	db := filepath.Join(t.TempDir(), "l.db")
	l := startListen(t, listenConfig{db: db, forwardTo: app.URL, maxAttempts: 2})
	for _, id := range []string{"rec-1", "rec-2", "meet-1", "meet-2"} {
		typ := "meeting.started"
		if strings.HasPrefix(id, "rec-") {
			typ = "recording.started"
		}
		if got := post(http.DefaultClient, l.url, typedDelivery(typ, id)); got != 200 {
			t.Fatalf("POST %s = %d", id, got)
		}
	}
	inboxCmd := func(args ...string) (int, string, string) {
		t.Helper()
		return runCmd(t, nil, "", append(append([]string{"inbox"}, args...), "-db", db)...)
	}
	var dead []entryLine
	waitFor(t, 10*time.Second, "both recordings are dead", func() bool {
		_, out, _ := inboxCmd("dead", "-json")
		dead = nil
		sc := bufio.NewScanner(strings.NewReader(out))
		for sc.Scan() {
			var e entryLine
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				t.Fatalf("inbox dead -json line %q: %v", sc.Text(), err)
			}
			dead = append(dead, e)
		}
		return len(dead) == 2
	})
	for _, e := range dead {
		if e.Type != "recording.started" || e.State != "dead" || e.Attempts != 2 || !strings.Contains(e.LastError, "answered 500") {
			t.Errorf("dead entry %+v", e)
		}
	}
	code, out, _ := inboxCmd("list", "-state", "handled")
	if code != 0 || strings.Count(out, "\n") != 2 || !strings.Contains(out, "meet-1  r  ") || strings.Contains(out, "rec-") {
		t.Errorf("inbox list -state handled: exit %d\n%s", code, out)
	}
	code, out, _ = inboxCmd("show", "rec-1")
	for _, want := range []string{"state       dead", "attempts    2 of 2", "attempt 1", "answered 500", "body\n{\n  \"version\": \"1.0.0\",\n  \"type\": \"recording.started\""} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("inbox show rec-1: exit %d, lacks %q:\n%s", code, want, out)
		}
	}
	if code, out, _ = runCmd(t, nil, "", "inbox", "show", "-db", db, "rec-2", "-json"); code != 0 || !json.Valid([]byte(out)) || !strings.Contains(out, `"body": {`) {
		t.Errorf("inbox show -db DB rec-2 -json (flags around the ID): exit %d\n%s", code, out)
	}

	failing.Store(false)
	if code, out, _ = inboxCmd("replay", "-dead", "-type", "meeting.started"); code != 1 || out != "replayed 0\n" {
		t.Errorf("replay of a type with nothing dead: exit %d, %q", code, out)
	}
	if code, out, _ = inboxCmd("replay", "-dead", "-type", "recording.started", "-since", "1h"); code != 0 || out != "replayed 2\n" {
		t.Fatalf("replay -dead -type: exit %d, %q", code, out)
	}
	waitFor(t, 10*time.Second, "the replayed recordings reached the app", func() bool { return a.count("rec-1") == 1 && a.count("rec-2") == 1 })
	if code, _, _ = inboxCmd("dead"); code != 1 {
		t.Errorf("inbox dead with none dead: exit %d, want 1", code)
	}
	if code, out, _ = inboxCmd("purge", "-dead"); code != 1 || out != "purged 0\n" {
		t.Errorf("inbox purge -dead with none dead: exit %d, %q", code, out)
	}
}

func TestInboxUsage(t *testing.T) {
	db := filepath.Join(t.TempDir(), "missing.db")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"a -db that does not exist", []string{"inbox", "list", "-db", db}, "does not exist"},
		{"an unknown state", []string{"inbox", "list", "-state", "completed"}, "unknown state"},
		{"replay without IDs or -dead", []string{"inbox", "replay"}, "give the event IDs"},
		{"replay of IDs with -dead", []string{"inbox", "replay", "-dead", "x"}, "not both"},
		{"purge without -dead", []string{"inbox", "purge"}, "purge takes -dead"},
		{"both stores", []string{"inbox", "list", "-db", db, "-postgres", "postgres://x"}, "-db and -postgres"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Chdir(t.TempDir()) // no dailyhook.db: the flags fail first
			code, _, stderr := runCmd(t, nil, "", tt.args...)
			if code != 2 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit 2 and %q", code, stderr, tt.want)
			}
		})
	}
	if matches, _ := filepath.Glob(db + "*"); len(matches) != 0 {
		t.Errorf("inbox list created %v", matches)
	}
}
