package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

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

// TestListenPipecat runs listen serving both hooks and forwarding to an
// app that verifies each with its own secret: Pipecat Cloud's deliveries,
// under either header family and retried under a new signature, reach the
// app once each, verified by pipecat.Handler, beside Daily's.
func TestListenPipecat(t *testing.T) {
	pcSecret := eventstest.NewPipecatSecret()
	pv, _ := pipecat.NewVerifier(pipecat.VerifierConfig{Secrets: []string{pcSecret}})
	var mu sync.Mutex
	got := map[string]int{}
	pcApp, _ := pipecat.NewHandler(pv, func(ctx context.Context, ev pipecat.Event) error {
		h, _ := pipecat.HeadersFrom(ctx)
		mu.Lock()
		got[h.ID]++
		mu.Unlock()
		return nil
	})
	daily := newApp(t, 0)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(pipecat.HeaderID) != "" {
			pcApp.ServeHTTP(w, r)
			return
		}
		daily.srv.Config.Handler.ServeHTTP(w, r)
	}))
	defer app.Close()
	adminLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	admin := "http://" + adminLn.Addr().String()
	l := startListen(t, listenConfig{db: filepath.Join(t.TempDir(), "l.db"), forwardTo: app.URL, pipecatSecrets: []string{pcSecret}, adminLn: adminLn})
	sample, _ := eventstest.PipecatSample(pipecat.TypeBuildSucceeded)
	for _, s := range []eventstest.PipecatSigner{
		{Secret: pcSecret, ID: "msg_a"},
		{Secret: pcSecret, ID: "msg_a", Svix: true, Time: time.Now().Add(time.Second)},
		{Secret: pcSecret, ID: "msg_b", Svix: true},
	} {
		r, _ := s.NewRequest(l.url+"/pipecat", sample)
		resp, err := http.DefaultClient.Do(r)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("POST /pipecat: %v %v", resp, err)
		}
		resp.Body.Close()
	}
	if code := post(http.DefaultClient, l.url+"/daily", typedDelivery("meeting.started", "daily-1")); code != 200 {
		t.Fatalf("POST /daily = %d", code)
	}
	daily.waitAll(t, []string{"daily-1"}, 10*time.Second)
	waitFor(t, 10*time.Second, "both messages reached the app", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return got["msg_a"] == 1 && got["msg_b"] == 1
	})
	waitFor(t, 10*time.Second, "the Pipecat series count both", func() bool {
		_, m := get(t, admin+"/metrics")
		return metricValue(m, `dailyhook_pipecat_events_handled_total{outcome="ok",type="build.succeeded"}`) == 2
	})
	_, m := get(t, admin+"/metrics")
	if metricValue(m, `dailyhook_events_handled_total{outcome="ok",type="meeting.started"}`) != 1 || metricValue(m, `dailyhook_pipecat_events_handled_total{outcome="error",type="unknown"}`) != 0 {
		t.Errorf("the metrics of both hooks:\n%s", grepLines(m, "events_handled"))
	}
	l.stop(t)
	if out := l.stdout.String(); !strings.Contains(out, "handled build.succeeded msg_a") || !strings.Contains(out, "handled meeting.started daily-1") {
		t.Errorf("stdout:\n%s", out)
	}
	if !strings.Contains(l.stderr.String(), "Pipecat Cloud's webhooks at /pipecat, Daily's at any other path") {
		t.Errorf("the start-up line does not say which hooks are served:\n%s", l.stderr.String())
	}
	mu.Lock()
	defer mu.Unlock()
	if got["msg_a"] != 1 {
		t.Errorf("msg_a reached the app %d times, want 1", got["msg_a"])
	}
}

// TestListenPipecatAlone: with PIPECAT_WEBHOOK_SECRET alone listen starts,
// serves /pipecat, and answers 404 elsewhere; with neither secret it is a
// usage error.
func TestListenPipecatAlone(t *testing.T) {
	pcSecret := eventstest.NewPipecatSecret()
	l := startListen(t, listenConfig{db: filepath.Join(t.TempDir(), "l.db"), pipecatSecrets: []string{pcSecret}, secrets: []string{}})
	sample, _ := eventstest.PipecatSample(pipecat.TypeSessionStarted)
	r, _ := eventstest.PipecatSigner{Secret: pcSecret}.NewRequest(l.url+"/pipecat", sample)
	resp, err := http.DefaultClient.Do(r)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("POST /pipecat: %v %v", resp, err)
	}
	resp.Body.Close()
	if code := post(http.DefaultClient, l.url+"/daily", typedDelivery("meeting.started", "d")); code != 404 {
		t.Errorf("Daily's path without DAILY_WEBHOOK_SECRET = %d, want 404", code)
	}
	l.stop(t)
	if !strings.Contains(l.stdout.String(), "stored session.started msg_") {
		t.Errorf("stdout:\n%s", l.stdout.String())
	}
	code, _, stderr := runCmd(t, nil, "", "listen")
	if code != 2 || !strings.Contains(stderr, "PIPECAT_WEBHOOK_SECRET") {
		t.Errorf("listen with no secret: exit %d\n%s", code, stderr)
	}
}

// TestDevPipecat has a fake Daily send Pipecat Cloud events, under both
// header families and as a test event, to a pipecat.Handler.
func TestDevPipecat(t *testing.T) {
	secret := eventstest.NewPipecatSecret()
	v, _ := pipecat.NewVerifier(pipecat.VerifierConfig{Secrets: []string{secret}})
	var mu sync.Mutex
	var got []string
	h, _ := pipecat.NewHandler(v, func(ctx context.Context, ev pipecat.Event) error {
		hd, _ := pipecat.HeadersFrom(ctx)
		mu.Lock()
		got = append(got, fmt.Sprintf("%s svix=%t", ev.EventType(), hd.Svix))
		mu.Unlock()
		return nil
	})
	h.HandleTests = true
	app := httptest.NewServer(h)
	defer app.Close()
	d := eventstest.NewDaily(eventstest.DailyConfig{PipecatURL: app.URL, PipecatSecret: secret})
	defer d.Close()
	vars := map[string]string{"DAILY_API_KEY": d.APIKey}
	for _, args := range [][]string{{"build.succeeded", "session.started"}, {"-svix", "-test", "secret.updated"}} {
		code, out, errOut := runCmd(t, vars, "", append([]string{"dev", "pipecat", "-base-url", d.URL}, args...)...)
		if code != 0 || strings.Count(out, " 200 delivered") != len(args)-strings.Count(strings.Join(args, " "), "-") {
			t.Errorf("dev pipecat %v: exit %d\n%s%s", args, code, out, errOut)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if want := "build.succeeded svix=false,session.started svix=false,secret.updated svix=true"; strings.Join(got, ",") != want {
		t.Errorf("the app got %v, want %s", got, want)
	}
	plain := eventstest.NewDaily(eventstest.DailyConfig{})
	defer plain.Close()
	if code, _, stderr := runCmd(t, map[string]string{"DAILY_API_KEY": plain.APIKey}, "", "dev", "pipecat", "-base-url", plain.URL, "build.started"); code != 1 || !strings.Contains(stderr, "no Pipecat Cloud endpoint") {
		t.Errorf("dev pipecat without an endpoint: exit %d\n%s", code, stderr)
	}
}
