package main

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/dailywebhooks/events/eventstest"
	"github.com/dailywebhooks/events/pipecat"
)

// TestTriggerPipecat sends every Pipecat Cloud type, then one with svix-
// headers as a test event, to a pipecat.Handler: each is answered 200 and
// handed over once, in its own type, but the test event.
func TestTriggerPipecat(t *testing.T) {
	secret := eventstest.NewPipecatSecret()
	v, err := pipecat.NewVerifier(pipecat.VerifierConfig{Secrets: []string{secret}})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	got := map[string]int{}
	h, _ := pipecat.NewHandler(v, func(ctx context.Context, ev pipecat.Event) error {
		mu.Lock()
		defer mu.Unlock()
		if _, unknown := ev.(*pipecat.Unknown); !unknown {
			got[ev.EventType()]++
		}
		return nil
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	vars := map[string]string{"PIPECAT_WEBHOOK_SECRET": secret}
	code, out, errOut := runCmd(t, vars, "", "trigger", "-pipecat", "-all", "-url", srv.URL)
	if code != 0 || strings.Count(out, " 200 ") != 20 {
		t.Fatalf("trigger -pipecat -all: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runCmd(t, vars, "", "trigger", "-pipecat", "-svix", "-test", "-url", srv.URL, "session.started")
	if code != 0 || !strings.Contains(out, "session.started") {
		t.Fatalf("trigger -pipecat -svix -test: exit %d\n%s%s", code, out, errOut)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, typ := range pipecat.Types() {
		if got[typ] != 1 {
			t.Errorf("%s handed over %d times, want 1", typ, got[typ])
		}
	}
	for _, tt := range []struct {
		vars map[string]string
		args []string
		want string
	}{
		{nil, []string{"trigger", "-pipecat", "-url", srv.URL, "build.started"}, "PIPECAT_WEBHOOK_SECRET"},
		{vars, []string{"trigger", "-pipecat", "-url", srv.URL, "build.sucess"}, "did you mean build.succeeded?"},
		{vars, []string{"trigger", "-pipecat", "-url", srv.URL}, "name at least one"},
		{vars, []string{"trigger", "-svix", "-url", srv.URL, "meeting.started"}, "-svix goes with -pipecat"},
		{map[string]string{"PIPECAT_WEBHOOK_SECRET": "whsec_"}, []string{"trigger", "-pipecat", "-all", "-url", srv.URL}, "invalid webhook secret"},
	} {
		if code, _, stderr := runCmd(t, tt.vars, "", tt.args...); code != 2 || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, want 2 and %q\n%s", tt.args, code, tt.want, stderr)
		}
	}
}

func TestParsePipecat(t *testing.T) {
	dir := t.TempDir()
	sample, _ := eventstest.PipecatSample(pipecat.TypeBuildFailed)
	good := filepath.Join(dir, "good.json")
	os.WriteFile(good, sample, 0o644)
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"event_type":"build.failed","org":"o","data":{"build_id":7}}`), 0o644)
	code, out, _ := runCmd(t, nil, "", "parse", "-pipecat", "-v", good)
	if code != 0 || !strings.Contains(out, "build.failed *pipecat.BuildFailed org=acme-co created_at=2026-08-25T11:40:32Z") || !strings.Contains(out, `"error_message": "Docker build step exited with code 1"`) {
		t.Errorf("parse -pipecat -v: exit %d\n%s", code, out)
	}
	code, out, _ = runCmd(t, nil, "", "parse", "-pipecat", good, bad)
	if code != 1 || !strings.Contains(out, "bad.json: events: invalid field") {
		t.Errorf("parse -pipecat of a bad delivery: exit %d\n%s", code, out)
	}
}
