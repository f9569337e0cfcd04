package main

import (
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/dialin"
	"github.com/dailywebhooks/events/eventstest"
	"github.com/dailywebhooks/events/webhooks"
)

// TestDialinLoop closes the pinless dial-in loop with built binaries:
// dailyhook dev, a configuration made by dailyhook dialin create, the
// example receiver, which creates a room with SIP dial-in and connects the
// call, and dailyhook dev call, which ends "connected". The domain's
// webhook, elsewhere, gets dialin.ready before dialin.connected; a
// pinlessCallUpdate with a callDomain the fake did not issue is refused.
func TestDialinLoop(t *testing.T) {
	bin := buildDailyhook(t)
	example := filepath.Join(t.TempDir(), "dialin")
	if out, err := exec.Command("go", "build", "-o", example, "../../examples/dialin").CombinedOutput(); err != nil {
		t.Fatalf("go build examples/dialin: %v\n%s", err, out)
	}
	devAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	api := "http://" + devAddr + "/v1"
	const key = "dev-loop-key"
	env := append(os.Environ(), "DAILY_API_KEY="+key, "DAILY_API_URL="+api)
	start := func(name string, args []string, extra ...string) *eventstest.Buffer {
		cmd := exec.Command(name, args...)
		cmd.Env = append(env, extra...)
		out := &eventstest.Buffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return out
	}
	devLog := start(bin, []string{"dev", "-addr", devAddr})
	waitFor(t, 20*time.Second, "dailyhook dev answers", func() bool {
		c, err := net.Dial("tcp", devAddr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})

	// The domain's one webhook points elsewhere: a recorder of types.
	secret, _ := events.NewSecret()
	v, _ := events.NewVerifier(events.VerifierConfig{Secrets: []string{secret}})
	var mu sync.Mutex
	var seen []events.Type
	recorder, _ := events.NewHandler(v, func(_ context.Context, ev events.Event) error {
		mu.Lock()
		seen = append(seen, ev.Meta().Type)
		mu.Unlock()
		return nil
	})
	hook := httptest.NewServer(recorder)
	defer hook.Close()
	wc := webhooks.NewClient(key)
	wc.BaseURL = api
	if _, err := wc.Create(context.Background(), webhooks.Params{URL: hook.URL, HMAC: secret}); err != nil {
		t.Fatal(err)
	}

	exampleAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	pinless, _ := events.NewSecret()
	exampleLog := start(example, []string{"-addr", exampleAddr}, "DAILY_PINLESS_SECRET="+pinless)
	waitFor(t, 20*time.Second, "the example listens", func() bool { return strings.Contains(exampleLog.String(), "listening on") })

	vars := map[string]string{"DAILY_API_KEY": key, "DAILY_API_URL": api, "DAILY_PINLESS_SECRET": pinless}
	run := func(args ...string) (int, string, string) {
		cmd := exec.Command(bin, args...)
		for k, v := range vars {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		var out, errOut strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		return code, out.String(), errOut.String()
	}
	code, out, errOut := run("dialin", "create", "-phone-number", "+12555599999", "-room-creation-api", "http://"+exampleAddr+"/")
	if code != 0 || strings.Contains(out+errOut, pinless) {
		t.Fatalf("dialin create: exit %d, or it printed the secret it was given\n%s%s", code, out, errOut)
	}
	code, out, errOut = run("dialin", "list")
	if code != 0 || !strings.Contains(out, "+12555599999") || strings.Contains(out+errOut, pinless) {
		t.Fatalf("dialin list: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = run("dev", "call", "-to", "+12555599999", "-hold", "20s")
	if code != 0 || !strings.Contains(out, "connected to sip:") {
		t.Fatalf("dev call: exit %d\n%s%s\nthe example:\n%s\ndev:\n%s", code, out, errOut, exampleLog.String(), devLog.String())
	}
	waitFor(t, 10*time.Second, "dialin.ready, dialin.connected and dialin.stopped reached the webhook", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(seen) >= 3
	})
	mu.Lock()
	order := fmt.Sprint(seen)
	mu.Unlock()
	if !strings.HasPrefix(order, "[dialin.ready dialin.connected") {
		t.Errorf("the webhook got %s, want dialin.ready before dialin.connected", order)
	}

	// A callDomain the fake did not issue connects nothing.
	dc := dialin.NewClient(key)
	dc.BaseURL = api
	h, _ := events.NewPinlessHandler([]string{pinless}, func(_ context.Context, c *events.PinlessCall) error {
		go func() {
			err := dc.PinlessCallUpdate(context.Background(), c.CallID, "x", "sip:anything@fake.sip.daily.co")
			mu.Lock()
			defer mu.Unlock()
			seen = append(seen, events.Type(fmt.Sprint("update: ", err)))
		}()
		return nil
	})
	wrong := httptest.NewServer(h)
	defer wrong.Close()
	if _, err := dc.CreateConfig(context.Background(), dialin.Config{PhoneNumber: "+12555500000", RoomCreationAPI: wrong.URL, HMAC: pinless}); err != nil {
		t.Fatal(err)
	}
	code, out, _ = run("dev", "call", "-to", "+12555500000", "-hold", "1s")
	if code != 1 || !strings.Contains(out, "not connected within the hold") {
		t.Errorf("a call updated with a wrong callDomain: exit %d\n%s", code, out)
	}
	mu.Lock()
	defer mu.Unlock()
	if last := fmt.Sprint(seen[len(seen)-1]); !strings.Contains(last, "404") {
		t.Errorf("pinlessCallUpdate with a wrong callDomain: %s, want a 404", last)
	}
}
