package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/dialin"
	"github.com/dailywebhooks/events/eventstest"
)

// TestDevSession runs dailyhook dev, creates the webhook with dailyhook
// webhooks create against it, and plays meetings with dailyhook dev
// session to a receiver built on the library: one flows, one meets a
// receiver that fails until the circuit breaker sets the webhook FAILED,
// and after dailyhook webhooks reactivate the next flows again.
func TestDevSession(t *testing.T) {
	var mu sync.Mutex
	var got []events.Event
	var down atomic.Bool
	v, _ := events.NewVerifier(events.VerifierConfig{Secrets: []string{secret}})
	h, _ := events.NewHandler(v, func(_ context.Context, ev events.Event) error {
		if down.Load() {
			return fmt.Errorf("down")
		}
		mu.Lock()
		defer mu.Unlock()
		got = append(got, ev)
		return nil
	})
	h.OnError = func(*http.Request, error) {}
	receiver := httptest.NewServer(h)
	defer receiver.Close()

	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	base := "http://" + addr + "/v1"
	ctx, cancel := context.WithCancel(context.Background())
	devOut, devErr := &eventstest.Buffer{}, &eventstest.Buffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, &env{stdout: devOut, stderr: devErr, getenv: func(string) string { return "" }}, []string{"dev", "-addr", addr})
	}()
	waitFor(t, 10*time.Second, "dev prints its key", func() bool { return strings.Contains(devOut.String(), "export DAILY_API_KEY=") })
	key := strings.TrimSpace(strings.TrimPrefix(devOut.String(), "export DAILY_API_KEY="))
	vars := map[string]string{"DAILY_API_KEY": key, "DAILY_WEBHOOK_SECRET": secret}
	code, out, errOut := runCmd(t, vars, "", "webhooks", "create", "-base-url", base, "-url", receiver.URL)
	uuid := regexp.MustCompile(`uuid +(\S+)`).FindStringSubmatch(out)
	if code != 0 || uuid == nil {
		t.Fatalf("webhooks create: exit %d\n%s%s", code, out, errOut)
	}
	session := func() (int, string) {
		code, out, errOut := runCmd(t, vars, "", "dev", "session", "-base-url", base, "-participants", "5", "-knock", "2", "-recording", "-speed", "5000")
		return code, out + errOut
	}
	if code, out := session(); code != 0 || !strings.Contains(out, "0 failed") {
		t.Fatalf("dev session: exit %d\n%s", code, out)
	}
	mu.Lock()
	checkMeetingEvents(t, got)
	got = nil
	mu.Unlock()

	down.Store(true)
	if code, out := session(); code != 1 || !strings.Contains(out, "failed") {
		t.Errorf("dev session against a failing receiver: exit %d\n%s", code, out)
	}
	if code, out, _ := runCmd(t, vars, "", "webhooks", "get", uuid[1], "-base-url", base); code != 0 || !strings.Contains(out, "state        FAILED") {
		t.Errorf("webhooks get after three failures: exit %d\n%s", code, out)
	}
	down.Store(false)
	if code, out, _ := runCmd(t, vars, "", "webhooks", "reactivate", uuid[1], "-base-url", base); code != 0 || !strings.Contains(out, "ACTIVE") {
		t.Errorf("webhooks reactivate: exit %d\n%s", code, out)
	}
	if code, out := session(); code != 0 {
		t.Errorf("dev session after reactivate: exit %d\n%s", code, out)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("dev after Ctrl-C: exit %d\n%s", code, devErr.String())
	}
	for _, want := range []string{"api call", "path=/v1/webhooks", "delivery attempt", "status=200", "status=500"} {
		if !strings.Contains(devErr.String(), want) {
			t.Errorf("dev's log lacks %q", want)
		}
	}
}

// checkMeetingEvents checks what a receiver got of a meeting of 5
// participants, 2 knockers and a recording: every delivery parsed to its
// type, in one room, with meeting.ended last.
func checkMeetingEvents(t *testing.T, evs []events.Event) {
	t.Helper()
	count := map[events.Type]int{}
	var last events.Event
	for _, ev := range evs {
		count[ev.Meta().Type]++
		if _, unknown := ev.(*events.Unknown); unknown {
			t.Errorf("%s did not parse to its type", ev.Meta().Type)
		}
		if last == nil || ev.Meta().EventTS.Time().After(last.Meta().EventTS.Time()) {
			last = ev
		}
	}
	if count[events.TypeParticipantJoined] != 5 || count[events.TypeParticipantLeft] != 5 || count[events.TypeWaitingParticipantJoined] != 2 ||
		count[events.TypeWaitingParticipantLeft] != 1 || count[events.TypeRecordingReadyToDownload] != 1 || last == nil || last.Meta().Type != events.TypeMeetingEnded {
		t.Errorf("the meeting's events: %v, last %v", count, last)
	}
}

// TestDevCall places pinless dial-in calls through dailyhook dev to a
// receiver that connects them, or does not.
func TestDevCall(t *testing.T) {
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	base := "http://" + addr + "/v1"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	vars := map[string]string{"DAILY_API_KEY": "dev-key"}
	go run(ctx, &env{stdout: &eventstest.Buffer{}, stderr: &eventstest.Buffer{}, getenv: func(k string) string { return vars[k] }}, []string{"dev", "-addr", addr})
	dc := dialin.NewClient("dev-key")
	dc.BaseURL = base
	var connect atomic.Bool
	connect.Store(true)
	pinless, _ := events.NewSecret()
	h, _ := events.NewPinlessHandler([]string{pinless}, func(_ context.Context, c *events.PinlessCall) error {
		if connect.Load() {
			go dc.PinlessCallUpdate(context.Background(), c.CallID, c.CallDomain, "sip:room@sip.daily.co")
		}
		return nil
	})
	hook := httptest.NewServer(h)
	defer hook.Close()
	waitFor(t, 10*time.Second, "dev answers", func() bool {
		_, err := dc.CreateConfig(context.Background(), dialin.Config{PhoneNumber: "+12555599999", RoomCreationAPI: hook.URL, HMAC: pinless})
		return err == nil
	})
	code, out, errOut := runCmd(t, vars, "", "dev", "call", "-base-url", base, "-hold", "5s")
	if code != 0 || !strings.Contains(out, "answered 200; connected to sip:room@sip.daily.co") {
		t.Errorf("dev call: exit %d\n%s%s", code, out, errOut)
	}
	connect.Store(false)
	if code, out, _ := runCmd(t, vars, "", "dev", "call", "-base-url", base, "-hold", "100ms"); code != 1 || !strings.Contains(out, "not connected within the hold") {
		t.Errorf("dev call nobody connects: exit %d\n%s", code, out)
	}
}
