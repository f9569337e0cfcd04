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
	"github.com/dailywebhooks/events/inbox"
)

// running is a listen started in process by startListen.
type running struct {
	url            string
	stdout, stderr *eventstest.Buffer
	cancel         context.CancelFunc
	done           chan error
}

// startListen runs listen with c in process on a free port.
func startListen(t *testing.T, c listenConfig) *running {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &running{url: "http://" + ln.Addr().String(), stdout: &eventstest.Buffer{}, stderr: &eventstest.Buffer{}, done: make(chan error, 1)}
	e := &env{stdout: r.stdout, stderr: r.stderr, getenv: func(string) string { return "" }}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	if c.secrets == nil {
		c.secrets = []string{secret}
	}
	c.workers = max(c.workers, 1)
	c.maxAttempts = max(c.maxAttempts, 1)
	c.forwardTimeout = max(c.forwardTimeout, 5*time.Second)
	if c.retry == (inbox.ExponentialRetry{}) {
		c.retry = inbox.ExponentialRetry{Base: 10 * time.Millisecond, Max: 50 * time.Millisecond}
	}
	go func() { r.done <- listen(ctx, e, ln, c) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

// stop stops the listen, once, and fails t if it failed.
func (r *running) stop(t *testing.T) {
	t.Helper()
	if r.cancel == nil {
		return
	}
	r.cancel()
	r.cancel = nil
	if err := <-r.done; err != nil {
		t.Errorf("listen: %v\n%s", err, r.stderr.String())
	}
}

// waitFor polls cond until it holds, or fails t after timeout.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(timeout); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
	}
}

// TestListenRedirectsAreFailures has the app answer each event's first
// attempt with a 302 and its second with a 307, both to another server that
// accepts anything: neither counts as handled, the other server never gets
// the signed body, and the third attempt reaches the app.
func TestListenRedirectsAreFailures(t *testing.T) {
	var mu sync.Mutex
	elsewhere := 0
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		elsewhere++
		mu.Unlock()
	}))
	defer other.Close()
	a := newApp(t, 0)
	tries := map[string]int{}
	redirecting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(headerEventID)
		mu.Lock()
		tries[id]++
		n := tries[id]
		mu.Unlock()
		if got := r.Header.Get(headerAttempt); got != fmt.Sprint(n) {
			t.Errorf("%s: %s is %q at try %d", id, headerAttempt, got, n)
		}
		switch n {
		case 1:
			http.Redirect(w, r, other.URL+"/login?next=daily", http.StatusFound)
		case 2:
			http.Redirect(w, r, other.URL+"/daily", http.StatusTemporaryRedirect)
		default:
			a.srv.Config.Handler.ServeHTTP(w, r)
		}
	}))
	defer redirecting.Close()
	l := startListen(t, listenConfig{db: filepath.Join(t.TempDir(), "l.db"), forwardTo: redirecting.URL, maxAttempts: 5})
	ids := []string{"redir-1", "redir-2", "redir-3"}
	for _, id := range ids {
		if got := post(http.DefaultClient, l.url, delivery(id)); got != 200 {
			t.Fatalf("POST %s = %d", id, got)
		}
	}
	a.waitAll(t, ids, 20*time.Second)
	l.stop(t)
	mu.Lock()
	defer mu.Unlock()
	if elsewhere != 0 {
		t.Errorf("the redirects' target got %d requests", elsewhere)
	}
	for _, id := range ids {
		if tries[id] != 3 || a.count(id) != 1 {
			t.Errorf("%s: %d tries, reached the app %d times; want 3 and 1", id, tries[id], a.count(id))
		}
	}
	for _, want := range []string{"answered 302 Found, redirecting to " + other.URL + "/login?[redacted]", "answered 307 Temporary Redirect"} {
		if !strings.Contains(l.stderr.String(), want) {
			t.Errorf("stderr does not say %q:\n%s", want, l.stderr.String())
		}
	}
}

// TestListenStoreOnlyKeepsEvents stores events with a listen that does not
// forward, restarts it the same way, and then starts one that forwards:
// every event reaches the app, which the store-only runs never completed.
func TestListenStoreOnlyKeepsEvents(t *testing.T) {
	db := filepath.Join(t.TempDir(), "l.db")
	ids := []string{"keep-1", "keep-2", "keep-3", "keep-4"}
	for round := range 2 {
		l := startListen(t, listenConfig{db: db})
		for _, id := range ids[2*round : 2*round+2] {
			if got := post(http.DefaultClient, l.url, delivery(id)); got != 200 {
				t.Fatalf("POST %s = %d", id, got)
			}
		}
		// A store-only listen runs no worker (Workers -1): nothing can
		// take them, and the check below sees them all still pending.
		l.stop(t)
		for _, id := range ids[2*round : 2*round+2] {
			if want := "stored participant.joined " + id + "\n"; !strings.Contains(l.stdout.String(), want) {
				t.Errorf("store-only listen printed %q, want a line %q", l.stdout.String(), want)
			}
		}
		if !strings.Contains(l.stderr.String(), "storing only") {
			t.Errorf("stderr does not say that listen only stores:\n%s", l.stderr.String())
		}
	}
	a := newApp(t, 0)
	l := startListen(t, listenConfig{db: db, forwardTo: a.srv.URL})
	a.waitAll(t, ids, 20*time.Second)
	l.stop(t)
	for _, id := range ids {
		if a.count(id) != 1 {
			t.Errorf("%s reached the app %d times, want 1", id, a.count(id))
		}
	}
}

// TestListenSecondWorkerRefused starts a second forwarding listen on the
// file of a running one: it fails at once, naming the file.
func TestListenSecondWorkerRefused(t *testing.T) {
	a := newApp(t, 0)
	db := filepath.Join(t.TempDir(), "l.db")
	first := startListen(t, listenConfig{db: db, forwardTo: a.srv.URL})
	waitFor(t, 10*time.Second, "the first listen started", func() bool { return strings.Contains(first.stderr.String(), "listening") })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var out eventstest.Buffer
	e := &env{stdout: &out, stderr: &out, getenv: func(string) string { return "" }}
	err = listen(context.Background(), e, ln, listenConfig{db: db, forwardTo: a.srv.URL, secrets: []string{secret}, workers: 1, maxAttempts: 1, forwardTimeout: time.Second})
	if err == nil || !strings.Contains(err.Error(), db) || !strings.Contains(err.Error(), "in use by another process") {
		t.Errorf("a second listen on %s = %v, want an error naming the file", db, err)
	}
}

// TestListenRedactsForwardURL forwards to a URL with credentials in it,
// to an app that answers 500: neither the password nor the query's value
// shows in stderr, or in the database where River keeps attempt errors.
func TestListenRedactsForwardURL(t *testing.T) {
	const password, token = "AppPassw0rd", "QSTOKEN"
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusInternalServerError)
	}))
	defer failing.Close()
	target := strings.Replace(failing.URL, "http://", "http://appuser:"+password+"@", 1) + "/daily?token=" + token
	dir := t.TempDir()
	db := filepath.Join(dir, "l.db")
	l := startListen(t, listenConfig{db: db, forwardTo: target, maxAttempts: 2})
	if got := post(http.DefaultClient, l.url, delivery("cred-1")); got != 200 {
		t.Fatalf("POST = %d", got)
	}
	waitFor(t, 10*time.Second, "both attempts failed", func() bool {
		return strings.Count(l.stderr.String(), "answered 500") >= 2
	})
	waitFor(t, 10*time.Second, "the delivery is dead, its errors stored", func() bool {
		code, _, _ := runCmd(t, nil, "", "inbox", "dead", "-db", db)
		return code == 0
	})
	l.stop(t)
	outputs := map[string]string{"stderr": l.stderr.String(), "stdout": l.stdout.String()}
	files, _ := filepath.Glob(db + "*")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		outputs[filepath.Base(f)] = string(b)
	}
	for name, out := range outputs {
		for _, s := range []string{password, token} {
			if strings.Contains(out, s) {
				t.Errorf("%s shows %q", name, s)
			}
		}
	}
	if !strings.Contains(l.stderr.String(), "appuser:[redacted]@") {
		t.Errorf("stderr does not name the app's URL, redacted:\n%s", l.stderr.String())
	}
}

// TestListenRotatedSecrets takes deliveries signed with either of two
// secrets, and forwards them signed with the first.
func TestListenRotatedSecrets(t *testing.T) {
	const older = "c2Vjb25kIHNlY3JldCBmb3Igcm90YXRpb24gdGVzdHM="
	a := newApp(t, 0) // verifies with secret only
	l := startListen(t, listenConfig{db: filepath.Join(t.TempDir(), "l.db"), forwardTo: a.srv.URL, secrets: []string{secret, older}})
	for i, s := range []string{secret, older} {
		r, err := eventstest.Signer{Secret: s}.NewRequest(l.url, delivery(fmt.Sprintf("rot-%d", i)))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("a delivery signed with secret %d: %v %v", i+1, resp, err)
		}
		resp.Body.Close()
	}
	waitFor(t, 10*time.Second, "both reached the app", func() bool { return a.count("rot-0") == 1 && a.count("rot-1") == 1 })
}

// TestListenPostgresFromEnvironment reads the store from
// DAILYHOOK_POSTGRES_URL when no flag names one, and from -db when it is
// given; a failed connection does not show the password.
func TestListenPostgresFromEnvironment(t *testing.T) {
	t.Chdir(t.TempDir())
	port := freePort(t) // nothing listens there
	vars := map[string]string{"DAILY_WEBHOOK_SECRET": secret, "DAILYHOOK_POSTGRES_URL": fmt.Sprintf("postgres://u:PgPassw0rd@127.0.0.1:%d/db?connect_timeout=2", port)}
	code, _, stderr := runCmd(t, vars, "", "listen", "-addr", "127.0.0.1:0")
	if code != 1 || !strings.Contains(stderr, "PostgreSQL") {
		t.Errorf("listen with DAILYHOOK_POSTGRES_URL: exit %d, stderr:\n%s\nwant exit 1 and a PostgreSQL error", code, stderr)
	}
	if strings.Contains(stderr, "PgPassw0rd") {
		t.Errorf("stderr shows the password:\n%s", stderr)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut eventstest.Buffer
	e := &env{stdout: &out, stderr: &errOut, getenv: func(k string) string { return vars[k] }}
	done := make(chan int, 1)
	go func() { done <- run(ctx, e, []string{"listen", "-addr", "127.0.0.1:0", "-db", "flag.db"}) }()
	waitFor(t, 10*time.Second, "listen started", func() bool { return strings.Contains(errOut.String(), "listening") })
	cancel()
	if code := <-done; code != 0 || !strings.Contains(errOut.String(), "storing in sqlite flag.db") {
		t.Errorf("listen -db with DAILYHOOK_POSTGRES_URL set: exit %d, stderr:\n%s\nwant SQLite", code, errOut.String())
	}
}
