package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/eventstest"
	"github.com/dailywebhooks/events/inbox"
)

// app is the user's app that listen forwards to: a real events.Handler
// with the same secret, failing some deliveries as a flaky app does.
type app struct {
	mu       sync.Mutex
	received map[string]int // successful receipts per event ID
	failRate float64
	srv      *httptest.Server
}

func newApp(t *testing.T, failRate float64) *app {
	t.Helper()
	a := &app{received: map[string]int{}, failRate: failRate}
	v, err := events.NewVerifier(events.VerifierConfig{Secrets: []string{secret}})
	if err != nil {
		t.Fatal(err)
	}
	h := &events.Handler{
		Verifier: v,
		OnError:  func(*http.Request, error) {},
		Handle: func(_ context.Context, ev events.Event) error {
			if rand.Float64() < a.failRate {
				return errors.New("the app is flaky")
			}
			a.mu.Lock()
			defer a.mu.Unlock()
			a.received[ev.Meta().ID]++
			return nil
		},
	}
	a.srv = httptest.NewServer(h)
	t.Cleanup(a.srv.Close)
	return a
}

// waitAll waits until every event of ids reached the app, or fails t.
func (a *app) waitAll(t *testing.T, ids []string, timeout time.Duration) {
	t.Helper()
	waitFor(t, timeout, fmt.Sprintf("the %d events reached the app", len(ids)), func() bool {
		for _, id := range ids {
			if a.count(id) == 0 {
				return false
			}
		}
		return true
	})
}

// failingFor returns a server in front of a whose forwards of events
// with an ID starting with prefix fail with 500 while failing holds.
func (a *app) failingFor(t *testing.T, prefix string, failing *atomic.Bool) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() && strings.HasPrefix(r.Header.Get(headerEventID), prefix) {
			http.Error(w, "the recordings bucket is down", http.StatusInternalServerError)
			return
		}
		a.srv.Config.Handler.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func (a *app) count(id string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.received[id]
}

// delivery returns a participant.joined delivery with event ID id.
func delivery(id string) []byte {
	return fmt.Appendf(nil, `{"version":"1.0.0","type":"participant.joined","id":%q,"event_ts":1708972279.961,"payload":{"room":"r","user_name":"u","session_id":"s","joined_at":1708972279.96,"owner":false}}`, id)
}

// post sends body to url signed now and returns the status, or 0.
func post(client *http.Client, url string, body []byte) int {
	r, err := eventstest.Signer{Secret: secret}.NewRequest(url, body)
	if err != nil {
		return 0
	}
	resp, err := client.Do(r)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// handledIDs returns the event IDs of the "handled <type> <id>" lines of
// out.
func handledIDs(out string) map[string]bool {
	ids := map[string]bool{}
	for _, l := range strings.Split(out, "\n") {
		if m := handledLine.FindStringSubmatch(l); m != nil {
			ids[m[2]] = true
		}
	}
	return ids
}

var handledLine = regexp.MustCompile(`^handled (\S+) (\S+)$`)

// handledCounts counts the "handled <type> <id>" lines of out, and fails t
// on any other line.
func handledCounts(t *testing.T, out string) map[string]int {
	t.Helper()
	counts := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		m := handledLine.FindStringSubmatch(sc.Text())
		if m == nil {
			t.Errorf("stdout line %q is not \"handled <type> <id>\"", sc.Text())
			continue
		}
		counts[m[2]]++
	}
	return counts
}

// TestListenForwards runs listen in process, forwarding to a flaky app,
// and checks that each event reaches the app exactly once and is printed
// once.
func TestListenForwards(t *testing.T) {
	a := newApp(t, 0.3)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr eventstest.Buffer
	e := &env{stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- listen(ctx, e, ln, listenConfig{
			db: filepath.Join(t.TempDir(), "listen.db"), forwardTo: a.srv.URL,
			workers: 4, maxAttempts: 25, forwardTimeout: 5 * time.Second, secrets: []string{secret},
			retry: inbox.ExponentialRetry{Base: 10 * time.Millisecond, Max: 100 * time.Millisecond},
		})
	}()
	url := "http://" + ln.Addr().String()
	client := &http.Client{Timeout: 5 * time.Second}
	const n = 60
	for i := range n {
		if got := post(client, url, delivery(fmt.Sprintf("fwd-%d", i))); got != 200 {
			t.Fatalf("POST fwd-%d = %d", i, got)
		}
	}
	// Unauthentic deliveries are refused and never forwarded.
	r, _ := eventstest.Signer{Secret: "c2Vjb25kIHNlY3JldCBmb3Igcm90YXRpb24gdGVzdHM="}.NewRequest(url, delivery("forged"))
	if resp, err := client.Do(r); err != nil || resp.StatusCode != 401 {
		t.Errorf("forged delivery: %v, %v; want 401", resp, err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		missing := 0
		for i := range n {
			if a.count(fmt.Sprintf("fwd-%d", i)) == 0 {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d events never reached the app", missing)
		}
	}
	// The app has them all; listen prints each once its forward returns.
	waitFor(t, 10*time.Second, "listen printed every event handled", func() bool {
		return len(handledIDs(stdout.String())) == n
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("listen: %v\n%s", err, stderr.String())
	}
	counts := handledCounts(t, stdout.String())
	for i := range n {
		id := fmt.Sprintf("fwd-%d", i)
		if a.count(id) != 1 || counts[id] != 1 {
			t.Errorf("%s: the app took it %d times, %d lines printed; want 1 and 1", id, a.count(id), counts[id])
		}
	}
	if a.count("forged") != 0 {
		t.Error("a forged delivery reached the app")
	}
	if !strings.Contains(stderr.String(), "listening on http://") || !strings.Contains(stderr.String(), "stopped") {
		t.Errorf("stderr does not say where it listens and that it stopped:\n%s", stderr.String())
	}
}

// TestListenBinarySurvivesKills builds dailyhook, runs listen -db with
// -forward-to a flaky app, and kills it with SIGKILL several times while
// signed deliveries arrive, re-sending what got no 200. Every acknowledged
// event must reach the app at least once.
func TestListenBinarySurvivesKills(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills it")
	}
	dir := t.TempDir()
	bin := buildDailyhook(t)
	a := newApp(t, 0.2)
	db := filepath.Join(dir, "listen.db")
	var (
		mu      sync.Mutex
		outputs []*eventstest.Buffer
		cmd     *exec.Cmd
		url     string
	)
	start := func() {
		port := freePort(t)
		cmd = exec.Command(bin, "listen", "-addr", fmt.Sprintf("127.0.0.1:%d", port), "-db", db, "-forward-to", a.srv.URL, "-retry-base", "20ms", "-retry-max", "200ms")
		cmd.Env = append(os.Environ(), "DAILY_WEBHOOK_SECRET="+secret)
		out := &eventstest.Buffer{}
		cmd.Stdout = out
		cmd.Stderr = os.Stderr
		outputs = append(outputs, out)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		url = fmt.Sprintf("http://127.0.0.1:%d", port)
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			if c, err := net.Dial("tcp", url[len("http://"):]); err == nil {
				c.Close()
				return
			}
			if time.Now().After(deadline) {
				t.Fatal("listen did not start")
			}
		}
	}
	mu.Lock()
	start()
	mu.Unlock()
	const n, kills = 400, 4
	client := &http.Client{Timeout: 5 * time.Second}
	acked := map[string]bool{}
	var pending []string
	for i := range n {
		pending = append(pending, fmt.Sprintf("kill-%d", i))
	}
	killAt := map[int]bool{}
	for len(killAt) < kills {
		killAt[20+rand.IntN(n-40)] = true
	}
	sent := 0
	for round := 0; len(pending) > 0; round++ {
		if round > 100 {
			t.Fatalf("%d deliveries never acknowledged", len(pending))
		}
		var retry []string
		for _, id := range pending {
			if killAt[sent] {
				mu.Lock()
				cmd.Process.Signal(syscall.SIGKILL)
				cmd.Wait()
				start()
				mu.Unlock()
			}
			sent++
			mu.Lock()
			u := url
			mu.Unlock()
			if post(client, u, delivery(id)) == 200 {
				acked[id] = true
			} else {
				retry = append(retry, id)
			}
		}
		pending = retry
	}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		missing := 0
		for id := range acked {
			if a.count(id) == 0 {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d acknowledged events never reached the app", missing)
		}
	}
	// The app has them all; each is printed once its forward returns.
	waitFor(t, 10*time.Second, "listen printed every acknowledged event handled", func() bool {
		mu.Lock()
		defer mu.Unlock()
		var all strings.Builder
		for _, o := range outputs {
			all.WriteString(o.String())
		}
		printed := handledIDs(all.String())
		for id := range acked {
			if !printed[id] {
				return false
			}
		}
		return true
	})
	mu.Lock()
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("listen after SIGTERM: %v", err)
	}
	var all strings.Builder
	for _, o := range outputs {
		all.WriteString(o.String())
	}
	mu.Unlock()
	counts := handledCounts(t, all.String())
	twice := 0
	for id := range acked {
		if counts[id] == 0 {
			t.Errorf("%s reached the app but no handled line was printed", id)
		}
		if a.count(id) > 1 {
			twice++
		}
	}
	t.Logf("%d acknowledged, %d kills, %d events reached the app twice", len(acked), kills, twice)
}

// freePort returns a local port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
