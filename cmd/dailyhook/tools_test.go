package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/eventstest"
)

// receiverServer is a receiver built on the library, verifying with secret.
func receiverServer(t *testing.T, fail *atomic.Bool) *httptest.Server {
	t.Helper()
	v, err := events.NewVerifier(events.VerifierConfig{Secrets: []string{secret}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(&events.Handler{Verifier: v, OnError: func(*http.Request, error) {}, Handle: func(context.Context, events.Event) error {
		if fail != nil && fail.Load() {
			return errors.New("down")
		}
		return nil
	}})
	t.Cleanup(srv.Close)
	return srv
}

var withSecret = map[string]string{"DAILY_WEBHOOK_SECRET": secret}

func TestTrigger(t *testing.T) {
	var fail atomic.Bool
	srv := receiverServer(t, &fail)
	file := filepath.Join(t.TempDir(), "d.json")
	sample, _ := eventstest.Sample(events.TypeMeetingEnded)
	os.WriteFile(file, sample, 0o644)
	tests := []struct {
		name      string
		vars      map[string]string
		args      []string
		fail      bool
		wantCode  int
		wantLines int
		want      string
	}{
		{name: "every type", vars: withSecret, args: []string{"-url", srv.URL, "-all"}, wantCode: 0, wantLines: len(events.Types()), want: "200"},
		{name: "two types", vars: withSecret, args: []string{"-url", srv.URL, "participant.joined", "recording.error"}, wantCode: 0, wantLines: 2, want: "recording.error"},
		{name: "a file", vars: withSecret, args: []string{"-url", srv.URL, "-file", file}, wantCode: 0, wantLines: 1, want: "200"},
		{name: "receiver fails", vars: withSecret, args: []string{"-url", srv.URL, "meeting.started"}, fail: true, wantCode: 1, wantLines: 1, want: "500"},
		{name: "wrong secret", vars: map[string]string{"DAILY_WEBHOOK_SECRET": "c2Vjb25kIHNlY3JldCBmb3Igcm90YXRpb24gdGVzdHM="}, args: []string{"-url", srv.URL, "meeting.started"}, wantCode: 1, wantLines: 1, want: "401"},
		{name: "unknown type", vars: withSecret, args: []string{"-url", srv.URL, "meeting.paused"}, wantCode: 2},
		{name: "no url", vars: withSecret, args: []string{"meeting.started"}, wantCode: 2},
		{name: "no secret", args: []string{"-url", srv.URL, "-all"}, wantCode: 2},
		{name: "nothing to send", vars: withSecret, args: []string{"-url", srv.URL}, wantCode: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fail.Store(tt.fail)
			code, stdout, stderr := runCmd(t, tt.vars, "", append([]string{"trigger"}, tt.args...)...)
			lines := strings.Split(strings.TrimSpace(stdout), "\n")
			if stdout == "" {
				lines = nil
			}
			if code != tt.wantCode || len(lines) != tt.wantLines || !strings.Contains(stdout, tt.want) {
				t.Errorf("exit %d, %d lines:\n%s%s\nwant exit %d, %d lines with %q", code, len(lines), stdout, stderr, tt.wantCode, tt.wantLines, tt.want)
			}
			if tt.wantCode == 0 && strings.Count(stdout, " 200 ") != tt.wantLines {
				t.Errorf("not every delivery was answered 200:\n%s", stdout)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	body := []byte(`{"version":"1.0.0","type":"meeting.started","id":"m1","payload":{"room":"r","start_ts":1}}`)
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, b, 0o644)
		return p
	}
	sign := func(ts string, b []byte) string {
		s, _ := events.Sign(secret, ts, b)
		return s
	}
	secs := strconv.FormatInt(now.Unix(), 10)
	var indented bytes.Buffer
	json.Indent(&indented, body, "", "  ")
	tests := []struct {
		name     string
		vars     map[string]string
		file     string
		ts, sig  string
		wantCode int
		want     string
	}{
		{name: "authentic", vars: withSecret, file: write("ok.json", body), ts: secs, sig: sign(secs, body), wantCode: 0, want: "authentic:"},
		{name: "tampered", vars: withSecret, file: write("tampered.json", bytes.Replace(body, []byte(`"r"`), []byte(`"x"`), 1)), ts: secs, sig: sign(secs, body), wantCode: 1, want: "the body or the timestamp was changed, or another secret signed it"},
		{name: "re-serialised", vars: withSecret, file: write("pretty.json", indented.Bytes()), ts: secs, sig: sign(secs, body), wantCode: 1, want: "re-serialised"},
		{name: "trailing newline", vars: withSecret, file: write("nl.json", append(append([]byte{}, body...), '\n')), ts: secs, sig: sign(secs, body), wantCode: 1, want: "without its trailing newline"},
		{name: "milliseconds", vars: withSecret, file: write("ms.json", body), ts: secs, sig: sign(secs+"000", body), wantCode: 1, want: "in milliseconds"},
		{name: "stale", vars: withSecret, file: write("old.json", body), ts: "1708526033", sig: sign("1708526033", body), wantCode: 1, want: "stale"},
		{name: "secret not base64", vars: map[string]string{"DAILY_WEBHOOK_SECRET": "not base64!"}, file: write("b.json", body), ts: secs, sig: sign(secs, body), wantCode: 1, want: "not a secret in Daily's form"},
		{name: "no signature", vars: withSecret, file: write("c.json", body), ts: secs, wantCode: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"verify", "-timestamp", tt.ts}
			if tt.sig != "" {
				args = append(args, "-signature", tt.sig)
			}
			code, stdout, stderr := runCmd(t, tt.vars, "", append(args, tt.file)...)
			if code != tt.wantCode || !strings.Contains(stdout+stderr, tt.want) {
				t.Errorf("exit %d:\n%s%s\nwant exit %d and %q", code, stdout, stderr, tt.wantCode, tt.want)
			}
			if strings.Contains(stdout+stderr, secret) {
				t.Error("verify printed the secret")
			}
		})
	}
	// Standard input.
	code, stdout, _ := runCmd(t, withSecret, string(body), "verify", "-timestamp", secs, "-signature", sign(secs, body), "-")
	if code != 0 || !strings.HasPrefix(stdout, "authentic") {
		t.Errorf("verify - : exit %d, %s", code, stdout)
	}
}

func TestParse(t *testing.T) {
	dir := t.TempDir()
	sample, _ := eventstest.Sample(events.TypeParticipantJoined)
	good := filepath.Join(dir, "good.json")
	os.WriteFile(good, sample, 0o644)
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"version":"1.0.0","type":"meeting.started","payload":{`), 0o644)
	tests := []struct {
		name     string
		args     []string
		stdin    string
		wantCode int
		want     []string
	}{
		{name: "a file", args: []string{good}, wantCode: 0, want: []string{"participant.joined *events.ParticipantJoined", "room="}},
		{name: "verbose", args: []string{"-v", good}, wantCode: 0, want: []string{`"user_name"`, `"permissions"`}},
		{name: "standard input", stdin: `{"version":"1.0.0","type":"brand.new","id":"n1","payload":{}}`, wantCode: 0, want: []string{"brand.new *events.Unknown id=n1"}},
		{name: "newer version", stdin: `{"version":"1.4.0","type":"meeting.started","id":"m","payload":{"room":"x"}}`, wantCode: 0, want: []string{"newer than the known 1.0.0"}},
		{name: "bad and good", args: []string{bad, good}, wantCode: 1, want: []string{"invalid JSON", "participant.joined"}},
		{name: "missing file", args: []string{filepath.Join(dir, "nope.json")}, wantCode: 1, want: []string{"no such file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, nil, tt.stdin, append([]string{"parse"}, tt.args...)...)
			for _, w := range tt.want {
				if !strings.Contains(stdout+stderr, w) {
					t.Errorf("output lacks %q:\n%s%s", w, stdout, stderr)
				}
			}
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d", code, tt.wantCode)
			}
		})
	}
}

func TestWebhooksCommands(t *testing.T) {
	d := eventstest.NewDaily(eventstest.DailyConfig{})
	defer d.Close()
	var fail atomic.Bool
	srv := receiverServer(t, &fail)
	vars := map[string]string{"DAILY_API_KEY": d.APIKey, "DAILY_WEBHOOK_SECRET": secret}
	wh := func(args ...string) (int, string, string) {
		t.Helper()
		return runCmd(t, vars, "", append([]string{"webhooks", args[0], "-base-url", d.URL}, args[1:]...)...)
	}

	code, out, errOut := wh("create", "-url", srv.URL, "-events", "meeting.started,meeting.ended", "-retry", "circuit-breaker")
	if code != 0 || !strings.Contains(out, "hmac         "+secret) || !strings.Contains(out, "meeting.started,meeting.ended") {
		t.Fatalf("create: exit %d\n%s%s", code, out, errOut)
	}
	hook, _ := d.Webhook()
	code, out, _ = wh("list")
	if code != 0 || !strings.Contains(out, hook.UUID) || !strings.Contains(out, "ACTIVE") {
		t.Errorf("list: exit %d\n%s", code, out)
	}
	code, out, _ = wh("get", "-json", hook.UUID)
	var obj map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &obj) != nil || obj["uuid"] != hook.UUID || obj["retryType"] != "circuit-breaker" {
		t.Errorf("get -json: exit %d\n%s", code, out)
	}
	code, out, _ = wh("update", "-events", "meeting.ended", hook.UUID)
	if code != 0 || !strings.Contains(out, "eventTypes   meeting.ended\n") || strings.Contains(out, secret) {
		t.Errorf("update: exit %d\n%s", code, out)
	}

	// Trip the circuit breaker, and let watch re-activate the webhook.
	fail.Store(true)
	for range 3 {
		d.SendType(context.Background(), events.TypeMeetingEnded)
	}
	if h, _ := d.Webhook(); h.State != "FAILED" {
		t.Fatalf("state %s after three failures, want FAILED", h.State)
	}
	fail.Store(false)
	ctx, cancel := context.WithCancel(context.Background())
	var stdout syncBuffer
	e := &env{stdout: &stdout, stderr: &syncBuffer{}, getenv: func(k string) string { return vars[k] }}
	done := make(chan int, 1)
	go func() { done <- run(ctx, e, []string{"webhooks", "watch", "-base-url", d.URL, "-interval", "10ms"}) }()
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(stdout.String(), "reactivated "+hook.UUID); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("watch did not re-activate the webhook:\n%s", stdout.String())
		}
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("watch exit %d after Ctrl-C, want 0", code)
	}
	if err := d.SendType(context.Background(), events.TypeMeetingEnded); err != nil {
		t.Errorf("delivery after watch re-activated the webhook: %v", err)
	}

	code, out, _ = wh("reactivate", hook.UUID)
	if code != 0 || !strings.Contains(out, "ACTIVE") {
		t.Errorf("reactivate: exit %d\n%s", code, out)
	}
	code, out, _ = wh("delete", hook.UUID)
	if code != 0 || !strings.Contains(out, "deleted") {
		t.Errorf("delete: exit %d\n%s", code, out)
	}
	code, _, errOut = wh("get", hook.UUID)
	if code != 1 || !strings.Contains(errOut, "404") {
		t.Errorf("get after delete: exit %d\n%s", code, errOut)
	}

	usage := []struct {
		name string
		vars map[string]string
		args []string
		want int
	}{
		{"unknown verb", vars, []string{"webhooks", "frob"}, 2},
		{"no verb", vars, []string{"webhooks"}, 2},
		{"no key", map[string]string{}, []string{"webhooks", "list", "-base-url", d.URL}, 2},
		{"get without uuid", vars, []string{"webhooks", "get", "-base-url", d.URL}, 2},
		{"bad retry", vars, []string{"webhooks", "create", "-base-url", d.URL, "-url", srv.URL, "-retry", "sometimes"}, 2},
		{"bad event", vars, []string{"webhooks", "create", "-base-url", d.URL, "-url", srv.URL, "-events", "meeting.paused"}, 2},
		{"wrong key", map[string]string{"DAILY_API_KEY": "sk-wrong-key"}, []string{"webhooks", "list", "-base-url", d.URL}, 1},
	}
	for _, tt := range usage {
		code, out, errOut := runCmd(t, tt.vars, "", tt.args...)
		if code != tt.want || strings.Contains(out+errOut, "sk-wrong-key") {
			t.Errorf("%s: exit %d, want %d\n%s%s", tt.name, code, tt.want, out, errOut)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
