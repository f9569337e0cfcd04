package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/dailywebhooks/events/eventstest"
)

// hostile are ids, types and rooms that try to forge a line or drive the
// terminal that prints them.
var hostile = []string{
	"id\nstored meeting.ended FORGED-ID",
	"\x1b]0;pwned\x07title",
	"c1\u009b31mred",
	"bidi\u202eexe.txt",
	"cr\rover",
}

// hostileDelivery returns a signed-body delivery whose id, type and room
// carry s.
func hostileDelivery(i int, s string) []byte {
	q := fmt.Sprintf("%q", s) // a JSON string for these inputs
	q = strings.ReplaceAll(q, `\x1b`, `\u001b`)
	q = strings.ReplaceAll(q, `\a`, `\u0007`)
	return fmt.Appendf(nil, `{"version":"1.0.0","type":%s,"id":%s,"event_ts":1708526033.049,"payload":{"room":%s}}`,
		strings.Replace(q, `"`, fmt.Sprintf(`"t%d.`, i), 1), strings.Replace(q, `"`, fmt.Sprintf(`"i%d.`, i), 1), q)
}

// checkTerminalSafe fails t if out holds a control character but a
// newline, or a bidirectional override, or a forged line.
func checkTerminalSafe(t *testing.T, what, out string) {
	t.Helper()
	for _, r := range out {
		if r != '\n' && (unicode.IsControl(r) || r == '\u202e') {
			t.Errorf("%s prints %U raw:\n%q", what, r, out)
			return
		}
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "stored meeting.ended") {
			t.Errorf("%s prints a forged line: %q", what, l)
		}
	}
}

// TestTerminalSafe sends deliveries whose id, type and room hold line
// breaks and escape sequences to a store-only listen, then lists and shows
// them: every line printed is one line, with no control character raw.
func TestTerminalSafe(t *testing.T) {
	db := filepath.Join(t.TempDir(), "l.db")
	l := startListen(t, listenConfig{db: db})
	for i, s := range hostile {
		if got := post(http.DefaultClient, l.url, hostileDelivery(i, s)); got != 200 {
			t.Fatalf("POST %q = %d", s, got)
		}
	}
	l.stop(t)
	out := l.stdout.String()
	if n := strings.Count(out, "\n"); n != len(hostile) {
		t.Errorf("listen printed %d lines for %d deliveries:\n%s", n, len(hostile), out)
	}
	checkTerminalSafe(t, "listen", out)
	for _, args := range [][]string{
		{"inbox", "list", "-db", db},
		{"inbox", "list", "-json", "-db", db},
		{"inbox", "show", "-db", db, "i0." + hostile[0]},
		{"inbox", "show", "-json", "-db", db, "i1." + hostile[1]},
		{"inbox", "replay", "-db", db, "nosuch\x1b[2J"},
	} {
		code, stdout, stderr := runCmd(t, nil, "", args...)
		t.Logf("%v: exit %d\n%s%s", args[:2], code, stdout, stderr)
		checkTerminalSafe(t, strings.Join(args[:3], " "), stdout+stderr)
		if args[1] == "list" && !strings.Contains(stdout, `\x1b]0;pwned`) && !strings.Contains(stdout, `\u001b]0;pwned`) {
			t.Errorf("%v does not show the escaped id:\n%s", args, stdout)
		}
	}
}

// TestListenSummarisesRefusals sends listen 500 unsigned requests: its
// log says so in a few lines, with a summary of them, not a line each.
func TestListenSummarisesRefusals(t *testing.T) {
	l := startListen(t, listenConfig{db: filepath.Join(t.TempDir(), "l.db")})
	for range 500 {
		resp, err := http.Post(l.url, "application/json", strings.NewReader(`{"type":"meeting.started","id":"x"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Fatalf("an unsigned request = %d", resp.StatusCode)
		}
	}
	l.stop(t)
	log := l.stderr.String()
	t.Log(log)
	if n := strings.Count(log, "\n"); n > 20 {
		t.Errorf("%d log lines for 500 unsigned requests, want at most 20", n)
	}
	total := 0
	for _, m := range regexp.MustCompile(`requests refused" refused=(\d+) reasons.missing_signature=(\d+)`).FindAllStringSubmatch(log, -1) {
		n, _ := strconv.Atoi(m[2])
		total += n
	}
	if total != 500 {
		t.Errorf("the summaries count %d missing signatures, want 500", total)
	}
}

// TestListenForwardToFromEnv runs listen with the app's URL, credentials
// and all, in DAILYHOOK_FORWARD_TO: it forwards there, and its start-up
// line says where the URL came from, without the password or the query.
func TestListenForwardToFromEnv(t *testing.T) {
	a := newApp(t, 0)
	target := strings.Replace(a.srv.URL, "http://", "http://ops:AppPassw0rd@", 1) + "/daily?token=QSTOKEN"
	vars := map[string]string{"DAILY_WEBHOOK_SECRET": secret, "DAILYHOOK_FORWARD_TO": target}
	var stdout, stderr eventstest.Buffer
	e := &env{stdout: &stdout, stderr: &stderr, getenv: func(k string) string { return vars[k] }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, e, []string{"listen", "-addr", "127.0.0.1:0", "-db", filepath.Join(t.TempDir(), "l.db")})
	}()
	re := regexp.MustCompile(`listening on (http://\S+) `)
	waitFor(t, 10*time.Second, "listen started", func() bool { return re.MatchString(stderr.String()) })
	url := re.FindStringSubmatch(stderr.String())[1]
	if got := post(http.DefaultClient, url, typedDelivery("meeting.started", "env-1")); got != 200 {
		t.Fatalf("POST = %d", got)
	}
	a.waitAll(t, []string{"env-1"}, 10*time.Second)
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("listen exited %d\n%s", code, stderr.String())
	}
	log := stderr.String()
	if !strings.Contains(log, "(from DAILYHOOK_FORWARD_TO)") || strings.Contains(log, "AppPassw0rd") || strings.Contains(log, "QSTOKEN") {
		t.Errorf("the start-up line does not say DAILYHOOK_FORWARD_TO, or shows a credential:\n%s", log)
	}
}
