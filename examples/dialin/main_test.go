package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/eventstest"
)

const (
	secret1 = "9jyatvPWQfBymCGDOYPYKF/TRZXR+08Gj4bvPF78pH0="
	secret2 = "c2Vjb25kIHBpbmxlc3MgY29uZmlndXJhdGlvbiBrZXk="
)

// TestBinary builds the example, runs it with two secrets, and sends it
// what Daily sends and what it must refuse.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the example")
	}
	bin := filepath.Join(t.TempDir(), "dialin")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "-addr", addr)
	cmd.Env = append(os.Environ(), "DAILY_PINLESS_SECRET="+secret1+", "+secret2)
	logs := &eventstest.Buffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	url := "http://" + addr + "/"
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the example did not start")
		}
	}
	call := func(id string) string {
		return fmt.Sprintf(`{"To":"+12555599999","From":"+14158483432","callId":%q,"callDomain":"04b89420-cf8b-4ea5-a428-02c40b0e2a59"}`, id)
	}
	secs := strconv.FormatInt(time.Now().Unix(), 10)
	ms := strconv.FormatInt(time.Now().UnixMilli(), 10)
	old := strconv.FormatInt(time.Now().Add(-time.Hour).Unix(), 10)
	tests := []struct {
		name, secret, ts, body, method string
		wantStatus                     int
		wantLog                        string
	}{
		{"first secret, seconds", secret1, secs, call("call-1"), "POST", 200, `pinless call "call-1" from "+14158483432" to "+12555599999"`},
		{"second secret, milliseconds", secret2, ms, call("call-2"), "POST", 200, `pinless call "call-2" from`},
		{"the test request, Test", secret1, secs, `{"Test":"test"}`, "POST", 200, "pinless test request"},
		{"the test request, no callId", secret2, secs, `{"To":"+12555599999"}`, "POST", 200, "pinless test request"},
		{"a wrong signature", "b3RoZXIgc2VjcmV0IG9mIHRoZSBvdGhlciBjb25maWc=", secs, call("call-3"), "POST", 401, ""},
		{"no headers", "", "", call("call-4"), "POST", 401, ""},
		{"an hour old", secret1, old, call("call-5"), "POST", 401, ""},
		{"signed, not JSON", secret1, secs, `not json`, "POST", 400, ""},
		{"over the limit", "", "", `{"x":"` + strings.Repeat("a", events.DefaultMaxBodyBytes) + `"}`, "POST", 413, ""},
		{"GET", "", "", "", "GET", 405, ""},
	}
	// logged counts the calls and test requests in the log.
	logged := func(out string) int {
		return strings.Count(out, "pinless call ") + strings.Count(out, "pinless test request")
	}
	// settled sends a call of its own and returns the log once the call is
	// in it: whatever the requests before it logged is in it by then.
	marks := 0
	settled := func(t *testing.T) string {
		marks++
		id := fmt.Sprint("marker-", marks)
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		sig, _ := events.Sign(secret1, ts, []byte(call(id)))
		req, _ := http.NewRequest("POST", url, strings.NewReader(call(id)))
		req.Header.Set(events.HeaderPinlessTimestamp, ts)
		req.Header.Set(events.HeaderPinlessSignature, sig)
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
			t.Fatalf("the marker call: %v, %v", resp, err)
		}
		for deadline := time.Now().Add(10 * time.Second); !strings.Contains(logs.String(), fmt.Sprintf("pinless call %q", id)); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("the marker call %s never logged:\n%s", id, logs.String())
			}
		}
		return logs.String()
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := logged(logs.String())
			req, _ := http.NewRequest(tt.method, url, strings.NewReader(tt.body))
			if tt.secret != "" {
				sig, _ := events.Sign(tt.secret, tt.ts, []byte(tt.body))
				req.Header.Set(events.HeaderPinlessTimestamp, tt.ts)
				req.Header.Set(events.HeaderPinlessSignature, sig)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			out := settled(t)
			switch {
			case tt.wantLog != "" && !strings.Contains(out, tt.wantLog):
				t.Errorf("the log lacks %q:\n%s", tt.wantLog, out)
			case tt.wantLog == "" && logged(out) > before+1: // the marker's
				t.Errorf("a refused request was logged as a call or a test:\n%s", out)
			}
		})
	}
	if strings.Contains(logs.String(), `pinless call "call-3"`) || strings.Contains(logs.String(), `pinless call "call-5"`) {
		t.Errorf("a refused call was handled:\n%s", logs.String())
	}
}
