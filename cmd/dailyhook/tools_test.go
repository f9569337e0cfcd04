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
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
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
	// Daily's order is that of its sample; a framework sorted the keys.
	inDailyOrder := []byte(`{"version":"1.0.0","type":"meeting.started","id":"m1","payload":{"start_ts":1,"room":"r"}}`)
	sorted := []byte(`{"id":"m1","payload":{"room":"r","start_ts":1},"type":"meeting.started","version":"1.0.0"}`)
	hourAgo := strconv.FormatInt(now.Add(-time.Hour).Unix(), 10)
	hourAhead := strconv.FormatInt(now.Add(time.Hour).Unix(), 10)
	tests := []struct {
		name     string
		vars     map[string]string
		file     string
		ts, sig  string
		wantCode int
		want     string
	}{
		{name: "authentic", vars: withSecret, file: write("ok.json", body), ts: secs, sig: sign(secs, body), wantCode: 0, want: "authentic:"},
		{name: "tampered", vars: withSecret, file: write("tampered.json", bytes.Replace(body, []byte(`"r"`), []byte(`"x"`), 1)), ts: secs, sig: sign(secs, body), wantCode: 1, want: "not authentic: the signature matches neither the body"},
		{name: "pretty-printed", vars: withSecret, file: write("pretty.json", indented.Bytes()), ts: secs, sig: sign(secs, body), wantCode: 1, want: "not authentic as captured: the signature matches the body without its whitespace, as Daily sends it: the JSON was pretty-printed"},
		{name: "trailing newline", vars: withSecret, file: write("nl.json", append(append([]byte{}, body...), '\n')), ts: secs, sig: sign(secs, body), wantCode: 1, want: "not authentic as captured: the signature matches the body without its trailing newline: one was added"},
		{name: "keys sorted, compact", vars: withSecret, file: write("sorted.json", sorted), ts: secs, sig: sign(secs, inDailyOrder), wantCode: 1, want: "not authentic as captured: the signature matches the body with its keys in Daily's order"},
		{name: "milliseconds", vars: withSecret, file: write("ms.json", body), ts: secs, sig: sign(secs+"000", body), wantCode: 1, want: "not authentic as captured: the signature matches the timestamp " + secs + "000 (in milliseconds)"},
		{name: "signed an hour ago", vars: withSecret, file: write("old.json", body), ts: hourAgo, sig: sign(hourAgo, body), wantCode: 0, want: "authentic, but stale: signed at"},
		{name: "signed an hour ahead", vars: withSecret, file: write("ahead.json", body), ts: hourAhead, sig: sign(hourAhead, body), wantCode: 0, want: "s from now, in the future"},
		{name: "signature cut", vars: withSecret, file: write("cut.json", body), ts: secs, sig: sign(secs, body)[:20], wantCode: 1, want: "not authentic: the signature is not the base64 of a 32-byte HMAC-SHA256"},
		{name: "timestamp not a number", vars: withSecret, file: write("ts.json", body), ts: "17085x26033", sig: sign(secs, body), wantCode: 1, want: `not authentic: the timestamp "17085x26033" is not a number`},
		{name: "rotated secrets", vars: map[string]string{"DAILY_WEBHOOK_SECRET": "c2Vjb25kIHNlY3JldCBmb3Igcm90YXRpb24gdGVzdHM=, " + secret}, file: write("rot.json", body), ts: secs, sig: sign(secs, body), wantCode: 0, want: "authentic:"},
		{name: "secret not base64", vars: map[string]string{"DAILY_WEBHOOK_SECRET": "not base64!"}, file: write("b.json", body), ts: secs, sig: sign(secs, body), wantCode: 1, want: "the secret is not in Daily's form"},
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
			if strings.Count(stdout, "the signature matches") > 1 {
				t.Errorf("more than one cause named:\n%s", stdout)
			}
			if tt.wantCode == 0 && strings.Contains(stdout+stderr, "not authentic") {
				t.Errorf("an authentic delivery, said not authentic too:\n%s%s", stdout, stderr)
			}
			if strings.Contains(stdout+stderr, secret) {
				t.Error("verify printed the secret")
			}
		})
	}
	// The pinless dial-in spec's worked example.
	pinless := write("call.json", []byte(`{"To":"+12555599999","From":"+14158483432","callId":"ff1e7130-7752-4304-9cf4-08d2583a41dc","callDomain":"04b89420-cf8b-4ea5-a428-02c40b0e2a59"}`))
	pv := map[string]string{"DAILY_PINLESS_SECRET": "9jyatvPWQfBymCGDOYPYKF/TRZXR+08Gj4bvPF78pH0="}
	for ts, sig := range map[string]string{"1744186319": "VG10QNZsOVDF8qVr4TZWXe6IbTN+GujibnYXsC8TDFc=", "1744186319195": "xQY2JU9Gw5B5IBaAhywvyKsAq6Vb9zRlQeCf+HgDr+o="} {
		code, stdout, stderr := runCmd(t, pv, "", "verify", "-pinless", "-tolerance", "0", "-timestamp", ts, "-signature", sig, pinless)
		if code != 0 || !strings.HasPrefix(stdout, "authentic: the signature matches") {
			t.Errorf("verify -pinless of the spec's example at %s: exit %d\n%s%s", ts, code, stdout, stderr)
		}
	}
	if code, stdout, stderr := runCmd(t, pv, "", "verify", "-pinless", "-timestamp", "1744186319", "-signature", "VG10QNZsOVDF8qVr4TZWXe6IbTN+GujibnYXsC8TDFc=", pinless); code != 0 || !strings.Contains(stdout, "authentic, but stale") || strings.Contains(stdout+stderr, "not authentic") {
		t.Errorf("verify -pinless of the old example with the tolerance: exit %d, want 0, authentic but stale\n%s%s", code, stdout, stderr)
	}
	if code, stdout, _ := runCmd(t, map[string]string{"DAILY_PINLESS_SECRET": secret}, "", "verify", "-pinless", "-timestamp", "1744186319", "-signature", "VG10QNZsOVDF8qVr4TZWXe6IbTN+GujibnYXsC8TDFc=", pinless); code != 1 || !strings.Contains(stdout, "not authentic") {
		t.Errorf("verify -pinless with a wrong secret: exit %d, want 1 and not authentic\n%s", code, stdout)
	}
	if code, _, stderr := runCmd(t, withSecret, "", "verify", "-pinless", "-timestamp", "1", "-signature", "x", pinless); code != 2 || !strings.Contains(stderr, "DAILY_PINLESS_SECRET") {
		t.Errorf("verify -pinless without DAILY_PINLESS_SECRET: exit %d\n%s", code, stderr)
	}

	// Standard input.
	code, stdout, _ := runCmd(t, withSecret, string(body), "verify", "-timestamp", secs, "-signature", sign(secs, body), "-")
	if code != 0 || !strings.HasPrefix(stdout, "authentic") {
		t.Errorf("verify - : exit %d, %s", code, stdout)
	}
}

// TestVerifyPipecat checks the Pipecat Cloud specification's worked
// example: authentic (stale only warns), exit 0; a wrong secret or a
// changed body, exit 1 with the cause.
func TestVerifyPipecat(t *testing.T) {
	dir := t.TempDir()
	body := []byte(`{"event_type":"spend.limit_cleared","org":"acme-co","created_at":"2025-04-09T08:11:59.000Z","data":{"previous_limit_cents":10000}}`)
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, b, 0o644)
		return p
	}
	good := map[string]string{"PIPECAT_WEBHOOK_SECRET": "whsec_AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcY"}
	rotated := map[string]string{"PIPECAT_WEBHOOK_SECRET": "whsec_ZWZnaGlqa2xtbm9wcXJzdHV2d3h5ent8,whsec_AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcY"}
	wrong := map[string]string{"PIPECAT_WEBHOOK_SECRET": "whsec_ZWZnaGlqa2xtbm9wcXJzdHV2d3h5ent8"}
	var pretty bytes.Buffer
	json.Indent(&pretty, body, "", "  ")
	const id, ts, sig = "msg_2tGqK8nVx4ZcP1wRb7YdLm3Hs9E", "1744186319", "v1,hAnV6w8tqtSmOTUprHe4qLYHXDSL5YOPv9pMD3DRti0="
	tests := []struct {
		name     string
		vars     map[string]string
		file     string
		id, sig  string
		tol      string
		wantCode int
		want     string
	}{
		{"the worked example, stale", good, write("ok.json", body), id, sig, "5m", 0, "authentic, but stale"},
		{"the worked example, signature alone", good, write("ok.json", body), id, sig, "0", 0, "authentic: the signature matches the body"},
		{"rotated secrets", rotated, write("ok.json", body), id, sig, "5m", 0, "authentic, but stale"},
		{"two signatures", good, write("ok.json", body), id, "v1,jdbI7EN5hJ5wnM6SW+bdGiE02yM/483oaQbGIQnfD88= " + sig, "5m", 0, "authentic"},
		{"a wrong secret", wrong, write("ok.json", body), id, sig, "5m", 1, "not authentic: the signature matches neither"},
		{"a changed body", good, write("changed.json", bytes.Replace(body, []byte("10000"), []byte("20000"), 1)), id, sig, "5m", 1, "not authentic"},
		{"another id", good, write("ok.json", body), "msg_other", sig, "5m", 1, "not authentic"},
		{"pretty-printed", good, write("pretty.json", pretty.Bytes()), id, sig, "5m", 1, "not authentic as captured:\n  - the signature matches the body without its whitespace"},
		{"trailing newline", good, write("nl.json", append(append([]byte{}, body...), '\n')), id, sig, "5m", 1, "without its trailing newline"},
		{"a cut signature", good, write("ok.json", body), id, sig[:20], "5m", 1, "not authentic: the signature is not one or more v1,"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, tt.vars, "", "verify", "-pipecat", "-id", tt.id, "-timestamp", ts, "-signature", tt.sig, "-tolerance", tt.tol, tt.file)
			if code != tt.wantCode || !strings.Contains(stdout, tt.want) {
				t.Errorf("exit %d:\n%s%s\nwant exit %d and %q", code, stdout, stderr, tt.wantCode, tt.want)
			}
			if tt.wantCode == 0 && strings.Contains(stdout+stderr, "not authentic") {
				t.Errorf("an authentic delivery, said not authentic too:\n%s%s", stdout, stderr)
			}
			if strings.Contains(stdout+stderr, "AQIDBAUGBwgJ") {
				t.Error("verify printed the secret")
			}
		})
	}
	for _, args := range [][]string{
		{"verify", "-pipecat", "-timestamp", ts, "-signature", sig},
		{"verify", "-id", id, "-timestamp", ts, "-signature", sig},
		{"verify", "-pipecat", "-pinless", "-id", id, "-timestamp", ts, "-signature", sig},
	} {
		if code, _, stderr := runCmd(t, good, "", args...); code != 2 {
			t.Errorf("%v: exit %d, want 2\n%s", args, code, stderr)
		}
	}
	if code, _, stderr := runCmd(t, withSecret, "", "verify", "-pipecat", "-id", id, "-timestamp", ts, "-signature", sig, "-"); code != 2 || !strings.Contains(stderr, "PIPECAT_WEBHOOK_SECRET") {
		t.Errorf("verify -pipecat without PIPECAT_WEBHOOK_SECRET: exit %d\n%s", code, stderr)
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

// TestWebhooksCreatePrintsGenerated creates a webhook without a secret of
// one's own: the hmac Daily generated is printed, once, in text and in
// JSON; list and get never print it.
func TestWebhooksCreatePrintsGenerated(t *testing.T) {
	for _, asJSON := range []bool{false, true} {
		d := eventstest.NewDaily(eventstest.DailyConfig{})
		defer d.Close()
		srv := receiverServer(t, new(atomic.Bool))
		vars := map[string]string{"DAILY_API_KEY": d.APIKey}
		args := []string{"webhooks", "create", "-base-url", d.URL, "-url", srv.URL}
		if asJSON {
			args = append(args, "-json")
		}
		code, out, errOut := runCmd(t, vars, "", args...)
		hook, _ := d.Webhook()
		if code != 0 || hook.HMAC == "" || strings.Count(out, hook.HMAC) != 1 {
			t.Fatalf("create (-json %t): exit %d, want the generated hmac %q printed once\n%s%s", asJSON, code, hook.HMAC, out, errOut)
		}
		for _, verb := range [][]string{{"list", "-json"}, {"get", "-json", hook.UUID}, {"get", hook.UUID}, {"list"}} {
			_, out, _ := runCmd(t, vars, "", append([]string{"webhooks", verb[0], "-base-url", d.URL}, verb[1:]...)...)
			if strings.Contains(out, hook.HMAC) {
				t.Errorf("%v prints the hmac:\n%s", verb, out)
			}
		}
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
	if code != 0 || strings.Contains(out, secret) || strings.Contains(out, "hmac") || !strings.Contains(out, "meeting.started,meeting.ended") {
		t.Fatalf("create with the secret given: exit %d, want 0 and the secret never printed\n%s%s", code, out, errOut)
	}
	hook, _ := d.Webhook()
	code, out, _ = wh("list")
	if code != 0 || !strings.Contains(out, hook.UUID) || !strings.Contains(out, "ACTIVE") {
		t.Errorf("list: exit %d\n%s", code, out)
	}
	code, out, _ = wh("get", "-json", hook.UUID)
	var obj map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &obj) != nil || obj["uuid"] != hook.UUID || obj["retryType"] != "circuit-breaker" || strings.Contains(out, secret) {
		t.Errorf("get -json: exit %d, want the webhook without its secret\n%s", code, out)
	}
	// Flags may follow the UUID.
	code, out, errOut = runCmd(t, vars, "", "webhooks", "get", hook.UUID, "-json", "-base-url", d.URL)
	if code != 0 || json.Unmarshal([]byte(out), &obj) != nil || obj["uuid"] != hook.UUID {
		t.Errorf("get UUID -json: exit %d\n%s%s", code, out, errOut)
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
	var stdout eventstest.Buffer
	e := &env{stdout: &stdout, stderr: &eventstest.Buffer{}, getenv: func(k string) string { return vars[k] }}
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
	// A wrong -base-url: the error names the call.
	code, _, errOut = runCmd(t, vars, "", "webhooks", "list", "-base-url", d.URL+"/nowhere")
	if code != 1 || !strings.Contains(errOut, "GET /webhooks: 404") {
		t.Errorf("list with a wrong -base-url: exit %d\n%s\nwant the method and path named", code, errOut)
	}
}

// TestWebhooksHelp checks that each verb has a usage line of its own, and
// that "webhooks -h" lists the verbs and the flags they share.
func TestWebhooksHelp(t *testing.T) {
	tests := []struct {
		args []string
		want []string
		not  []string
	}{
		{[]string{"webhooks", "-h"}, []string{"webhooks list [-base-url URL] [-json]\n", "webhooks get [-base-url URL] [-json] UUID\n", "webhooks create [-base-url URL] [-json] -url URL\n", "webhooks watch [-base-url URL] [-json] [UUID]\n", "-base-url string", "-json"}, nil},
		{[]string{"webhooks", "list", "-h"}, []string{"Usage: dailyhook webhooks list [-base-url URL] [-json]\n", "-base-url"}, []string{"UUID", "  -url string"}},
		{[]string{"webhooks", "create", "-h"}, []string{"Usage: dailyhook webhooks create [-base-url URL] [-json] -url URL\n", "-events", "-retry"}, []string{"UUID"}},
		{[]string{"webhooks", "watch", "-h"}, []string{"-interval"}, []string{"-events"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, stderr := runCmd(t, nil, "", tt.args...)
			if code != 0 {
				t.Errorf("exit %d, want 0", code)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("help lacks %q:\n%s", w, stderr)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(stderr, n) {
					t.Errorf("help has %q:\n%s", n, stderr)
				}
			}
		})
	}
}

// TestTriggerSays checks what trigger prints: each event's type and ID,
// the types in its help, the nearest type for an unknown one, and a file's
// delivery labelled by its type.
func TestTriggerSays(t *testing.T) {
	var fail atomic.Bool
	srv := receiverServer(t, &fail)
	file := filepath.Join(t.TempDir(), "captured.json")
	sample, _ := eventstest.Sample(events.TypeMeetingEnded)
	os.WriteFile(file, sample, 0o644)
	ev, _ := events.Parse(sample)
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     *regexp.Regexp
	}{
		{"ids", []string{"trigger", "-url", srv.URL, "meeting.started", "meeting.ended"}, 0, regexp.MustCompile(`(?m)^meeting\.started +id=\S+ 200 .*\nmeeting\.ended +id=\S+ 200 `)},
		{"a file, by type", []string{"trigger", "-url", srv.URL, "-file", file}, 0, regexp.MustCompile(`(?m)^meeting\.ended +id=` + regexp.QuoteMeta(ev.Meta().ID) + ` 200 `)},
		{"flags after the types", []string{"trigger", "meeting.started", "-url", srv.URL}, 0, regexp.MustCompile(`(?m)^meeting\.started +id=`)},
		{"nearest type", []string{"trigger", "-url", srv.URL, "meeting.start"}, 2, regexp.MustCompile(`unknown event type "meeting\.start", did you mean meeting\.started\?`)},
		{"nothing near", []string{"trigger", "-url", srv.URL, "zzzzzzzzzzzzzzzzzzzz"}, 2, regexp.MustCompile(`unknown event type "z+"; `)},
		{"types in help", []string{"trigger", "-h"}, 0, regexp.MustCompile(`transcript\.ready-to-download`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, withSecret, "", tt.args...)
			if code != tt.wantCode || !tt.want.MatchString(stdout+stderr) {
				t.Errorf("exit %d:\n%s%s\nwant exit %d and %v", code, stdout, stderr, tt.wantCode, tt.want)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"-version"}} {
		code, stdout, stderr := runCmd(t, nil, "", args...)
		if code != 0 || !strings.HasPrefix(stdout, "dailyhook ") || !strings.Contains(stdout, "revision: ") {
			t.Errorf("%v: exit %d\n%s%s", args, code, stdout, stderr)
		}
	}
	tests := []struct {
		name     string
		settings []debug.BuildSetting
		want     string
	}{
		{"with VCS", []debug.BuildSetting{{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.time", Value: "2026-11-30T00:00:00Z"}, {Key: "vcs.modified", Value: "true"}}, "revision: abc123 at 2026-11-30T00:00:00Z, with uncommitted changes\n"},
		{"without VCS", nil, "revision: unknown, built without VCS information"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			writeVersion(&b, &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/dailywebhooks/events/cmd/dailyhook", Version: "v1.2.3"}, Settings: tt.settings})
			if !strings.Contains(b.String(), "dailyhook v1.2.3 (github.com/dailywebhooks/events/cmd/dailyhook)\n") || !strings.Contains(b.String(), tt.want) {
				t.Errorf("writeVersion:\n%s\nwant %q", b.String(), tt.want)
			}
		})
	}
}

// TestTriggerPinless sends a call and the test request to a
// PinlessHandler with trigger -pinless.
func TestTriggerPinless(t *testing.T) {
	const pinless = "9jyatvPWQfBymCGDOYPYKF/TRZXR+08Gj4bvPF78pH0="
	var calls, tests atomic.Int32
	p, err := events.NewPinlessHandler([]string{pinless}, func(context.Context, *events.PinlessCall) error { calls.Add(1); return nil })
	if err != nil {
		t.Fatal(err)
	}
	p.OnTestRequest = func(*http.Request) { tests.Add(1) }
	p.OnError = func(*http.Request, error) {}
	srv := httptest.NewServer(p)
	defer srv.Close()
	vars := map[string]string{"DAILY_PINLESS_SECRET": pinless}
	for _, tt := range []struct {
		name        string
		vars        map[string]string
		args        []string
		wantCode    int
		wantOut     string
		calls, tsts int32
	}{
		{"a call", vars, []string{"-pinless"}, 0, "pinless call", 1, 0},
		{"the test request", vars, []string{"-pinless", "-test"}, 0, "pinless test request", 1, 1},
		{"another secret", map[string]string{"DAILY_PINLESS_SECRET": secret}, []string{"-pinless"}, 1, " 401 ", 1, 1},
		{"no secret", nil, []string{"-pinless"}, 2, "", 1, 1},
		{"-test alone", vars, []string{"-test"}, 2, "", 1, 1},
	} {
		code, stdout, stderr := runCmd(t, tt.vars, "", append([]string{"trigger", "-url", srv.URL}, tt.args...)...)
		if code != tt.wantCode || !strings.Contains(stdout, tt.wantOut) || calls.Load() != tt.calls || tests.Load() != tt.tsts {
			t.Errorf("%s: exit %d, %d calls, %d tests:\n%s%s", tt.name, code, calls.Load(), tests.Load(), stdout, stderr)
		}
	}
}
