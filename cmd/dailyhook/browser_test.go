package main

import (
	"context"
	"flag"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/eventstest"
)

var updateScreenshot = flag.Bool("update-screenshot", false, "save River's UI, as the browser test sees it, to docs/riverui.png")

// chromium returns the path of Debian's Chromium, or skips t without it;
// under CI, where .ci/run installs it, its absence fails t.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("Chromium is missing: .ci/run installs Debian's chromium package; the browser test must run in CI")
	}
	t.Skip("Chromium is missing: apt-get install chromium to run the browser test")
	return ""
}

// browser returns a chromedp context of a headless Chromium, ended with t.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox, // CI runs as root
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("starting Chromium: %v", err)
	}
	return ctx
}

// TestRiverUIInBrowser runs listen -admin with an app that fails one
// event type, finds the dead delivery in River's UI in a real browser,
// retries it from the page once the app accepts it, and sees it handled.
func TestRiverUIInBrowser(t *testing.T) {
	ctx := browser(t)
	a := newApp(t, 0)
	var failing atomic.Bool
	failing.Store(true)
	app := a.failingFor(t, "rec-", &failing)
	adminLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	admin := "http://" + adminLn.Addr().String()
	l := startListen(t, listenConfig{db: filepath.Join(t.TempDir(), "l.db"), forwardTo: app.URL, maxAttempts: 1, adminLn: adminLn})
	post(http.DefaultClient, l.url, typedDelivery("meeting.started", "meet-1"))
	post(http.DefaultClient, l.url, typedDelivery("recording.started", "rec-1"))
	waitFor(t, 10*time.Second, "rec-1 is dead", func() bool {
		_, m := get(t, admin+"/metrics")
		return metricValue(m, `dailyhook_inbox_jobs{state="dead"}`) == 1
	})

	step := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func() string {
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	step("opening the dead deliveries", chromedp.Navigate(admin+"/riverui/jobs?state=discarded"),
		chromedp.WaitVisible(chromedp.Search(`//a[contains(@href, "/riverui/jobs/")]`)))
	if body := text(); !strings.Contains(body, "rec-1") || strings.Contains(body, "meet-1") {
		t.Fatalf("the dead list does not show rec-1 alone:\n%s", body)
	}
	step("opening the delivery", chromedp.Click(chromedp.Search(`//a[contains(@href, "/riverui/jobs/")]`)),
		chromedp.WaitVisible(chromedp.Search(`//button[contains(., "Retry")]`)))
	if body := text(); !strings.Contains(body, "Discarded") || !strings.Contains(body, "answered 500") {
		t.Errorf("the delivery's page does not show it discarded with its error:\n%s", body)
	}
	if *updateScreenshot {
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("..", "..", "docs", "riverui.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	failing.Store(false)
	step("retrying it", chromedp.Click(chromedp.Search(`//button[contains(., "Retry")]`)))
	waitFor(t, 20*time.Second, "the retried delivery reached the app", func() bool { return a.count("rec-1") == 1 })
	waitFor(t, 20*time.Second, "the page shows it completed", func() bool {
		step("reloading", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("body")), chromedp.Sleep(300*time.Millisecond))
		return strings.Contains(text(), "Completed")
	})
	// The operator's delete, same-origin, passes the admin guard.
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	job := loc[strings.LastIndex(loc, "/")+1:]
	if code, _ := get(t, admin+"/riverui/api/jobs/"+job); code != 200 {
		t.Fatalf("GET the job %s before its delete = %d", job, code)
	}
	step("deleting it", chromedp.Click(chromedp.Search(`//button[contains(., "Delete")]`)),
		chromedp.WaitVisible(chromedp.Search(`//button[contains(., "Delete job")]`)),
		chromedp.Click(chromedp.Search(`//button[contains(., "Delete job")]`)))
	waitFor(t, 20*time.Second, "the deleted job is gone", func() bool {
		code, _ := get(t, admin+"/riverui/api/jobs/"+job)
		return code == 404
	})
}

// TestRiverUIShowsEvents stores three deliveries and opens River's UI at
// its root: it lands on the deliveries waiting, whose list shows each
// event's type, and its room, as text.
func TestRiverUIShowsEvents(t *testing.T) {
	ctx := browser(t)
	adminLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	admin := "http://" + adminLn.Addr().String()
	l := startListen(t, listenConfig{db: filepath.Join(t.TempDir(), "l.db"), adminLn: adminLn})
	types := []events.Type{events.TypeParticipantJoined, events.TypeRecordingReadyToDownload, events.TypeMeetingEnded}
	for _, typ := range types {
		body, err := eventstest.NewDelivery(typ, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if code := post(http.DefaultClient, l.url, body); code != 200 {
			t.Fatalf("POST %s = %d", typ, code)
		}
	}
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, chromedp.Navigate(admin+"/riverui/"),
		chromedp.WaitVisible(chromedp.Search(`//a[contains(@href, "/riverui/jobs/")]`))); err != nil {
		t.Fatalf("opening River's UI: %v", err)
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	body, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(loc, "state=available") {
		t.Errorf("River's UI opened at %s, not on the deliveries waiting", loc)
	}
	for _, typ := range types {
		if !strings.Contains(body, `"type":"`+string(typ)+`"`) && !strings.Contains(body, `type: `+string(typ)) {
			t.Errorf("the list does not show %s as text:\n%s", typ, body)
		}
	}
}
