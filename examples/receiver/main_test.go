package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/eventstest"
)

const secret = "ZGFpbHkgd2ViaG9vayB0ZXN0IGtleSwgMzIgYnl0ZXM="

// TestEndToEnd serves the receiver on a loopback port and sends it real
// HTTP requests signed by the package's test kit.
func TestEndToEnd(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String() + "/daily"
	var out eventstest.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, ln, events.VerifierConfig{Secrets: []string{secret}}, &out) }()

	sample, _ := eventstest.Sample(events.TypeParticipantJoined)
	signer := eventstest.Signer{Secret: secret}
	post := func(s eventstest.Signer, body []byte) *http.Request {
		r, err := s.NewRequest(url, body)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	tests := []struct {
		name string
		req  *http.Request
		want int
	}{
		{"valid", post(signer, sample), 200},
		{"milliseconds", post(eventstest.Signer{Secret: secret, Milliseconds: true}, sample), 200},
		{"verification request", post(signer, []byte(`{"test":"test"}`)), 200},
		{"unknown type", post(signer, []byte(`{"version":"1.0.0","type":"brand.new","id":"u1","payload":{}}`)), 200},
		{"unsupported major version", post(signer, []byte(`{"version":"2.0.0","type":"participant.joined","id":"v2","payload":{}}`)), 200},
		{"other secret", post(eventstest.Signer{Secret: "b3RoZXIgc2VjcmV0"}, sample), 401},
		{"hour old", post(eventstest.Signer{Secret: secret, Time: time.Now().Add(-time.Hour)}, sample), 401},
		{"8 MiB body", post(signer, bytes.Repeat([]byte(" "), 8<<20)), 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.DefaultClient.Do(tt.req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
	t.Run("GET", func(t *testing.T) {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 405 {
			t.Errorf("status = %d, want 405", resp.StatusCode)
		}
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run returned %v", err)
	}
	log := out.String()
	for _, want := range []string{
		`"participant.joined" *events.ParticipantJoined id="ptcpt-join-`,
		`"brand.new" *events.Unknown id="u1"`,
		"unsupported version",
		"invalid signature",
		"shut down",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
}

func TestRunRejectsABadSecret(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"", "not base64!"} {
		if err := run(context.Background(), ln, events.VerifierConfig{Secrets: []string{s}}, io.Discard); err == nil {
			t.Errorf("run with secret %q succeeded", s)
		}
	}
}

// TestBinarySignals builds the receiver, starts it, sends one signed
// delivery and then SIGTERM, and expects a clean exit.
func TestBinarySignals(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	bin := filepath.Join(t.TempDir(), "receiver")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "-addr", addr)
	cmd.Env = append(os.Environ(), "DAILY_WEBHOOK_SECRET="+secret)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	waitFor := func(want string) {
		t.Helper()
		timeout := time.After(20 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("output ended before %q", want)
				}
				if strings.Contains(l, want) {
					return
				}
			case <-timeout:
				t.Fatalf("no %q within 20s", want)
			}
		}
	}
	waitFor("listening on")
	sample, _ := eventstest.Sample(events.TypeMeetingStarted)
	r, _ := eventstest.Signer{Secret: secret}.NewRequest("http://"+addr+"/", sample)
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("status = %d, want 200", resp.StatusCode)
	}
	waitFor(`"meeting.started" *events.MeetingStarted id="met-sta-`)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitFor("shut down")
	if err := cmd.Wait(); err != nil {
		t.Errorf("receiver exited with %v after SIGTERM", err)
	}
}
