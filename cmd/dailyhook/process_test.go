package main

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/dailywebhooks/events/eventstest"
)

var (
	buildOnce sync.Once
	built     string // the dailyhook binary built for these tests
	buildErr  error
	buildDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// buildDailyhook builds the command once for the tests that run it as a
// process, and returns the binary's path.
func buildDailyhook(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	buildOnce.Do(func() {
		if buildDir, buildErr = os.MkdirTemp("", "dailyhook-test-"); buildErr != nil {
			return
		}
		built = filepath.Join(buildDir, "dailyhook")
		out, err := exec.Command("go", "build", "-o", built, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return built
}

// process is a dailyhook run as a process.
type process struct {
	cmd            *exec.Cmd
	stdout, stderr *eventstest.Buffer
	url            string
}

// startProcess runs dailyhook listen with args on a free port, and waits
// until it accepts connections.
func startProcess(t testing.TB, args ...string) *process {
	t.Helper()
	bin := buildDailyhook(t)
	port := freePort(t)
	p := &process{stdout: &eventstest.Buffer{}, stderr: &eventstest.Buffer{}, url: fmt.Sprintf("http://127.0.0.1:%d", port)}
	p.cmd = exec.Command(bin, append([]string{"listen", "-addr", fmt.Sprintf("127.0.0.1:%d", port)}, args...)...)
	p.cmd.Env = append(os.Environ(), "DAILY_WEBHOOK_SECRET="+secret)
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.cmd.Process.Kill(); p.cmd.Wait() })
	waitFor(t, 20*time.Second, "listen accepts connections", func() bool {
		c, err := net.Dial("tcp", p.url[len("http://"):])
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return p
}

// waitServing waits until p says that it serves, its workers started.
// Its port accepts connections from its start, before it has opened its
// store, and a delivery sent before it serves waits in the kernel's queue.
func (p *process) waitServing(t testing.TB) {
	t.Helper()
	waitFor(t, 20*time.Second, "listen serves", func() bool { return strings.Contains(p.stderr.String(), "dailyhook: listening on") })
}

// term stops p with SIGTERM, as an operator does, and returns its error.
func (p *process) term() error {
	p.cmd.Process.Signal(syscall.SIGTERM)
	return p.cmd.Wait()
}

// TestProcessSecondListenRefused runs a second forwarding listen on the
// SQLite file of a running one: it exits 1 at once, naming the file, and
// no event reaches the app twice.
func TestProcessSecondListenRefused(t *testing.T) {
	a := newApp(t, 0)
	db := filepath.Join(t.TempDir(), "l.db")
	first := startProcess(t, "-db", db, "-forward-to", a.srv.URL)
	second := exec.Command(buildDailyhook(t), "listen", "-addr", "127.0.0.1:0", "-db", db, "-forward-to", a.srv.URL)
	second.Env = append(os.Environ(), "DAILY_WEBHOOK_SECRET="+secret)
	var errOut bytes.Buffer
	second.Stderr = &errOut
	start := time.Now()
	err := second.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(errOut.String(), db) {
		t.Errorf("a second listen on %s: %v after %v, stderr:\n%s\nwant exit 1 naming the file", db, err, time.Since(start), errOut.String())
	}
	client := &http.Client{Timeout: 5 * time.Second}
	var ids []string
	for i := range 40 {
		id := fmt.Sprintf("two-%d", i)
		ids = append(ids, id)
		if got := post(client, first.url, delivery(id)); got != 200 {
			t.Fatalf("POST %s = %d", id, got)
		}
	}
	a.waitAll(t, ids, 20*time.Second)
	if err := first.term(); err != nil {
		t.Errorf("listen after SIGTERM: %v", err)
	}
	for _, id := range ids {
		if a.count(id) != 1 {
			t.Errorf("%s reached the app %d times", id, a.count(id))
		}
	}
}

// TestProcessDatabaseDeleted deletes the SQLite file, with its WAL,
// while listen receives and its app is down: every delivery answered 200
// reaches the app after a restart.
func TestProcessDatabaseDeleted(t *testing.T) {
	a := newApp(t, 0)
	var down atomic.Bool
	down.Store(true)
	gate := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		a.srv.Config.Handler.ServeHTTP(w, r)
	})
	appSrv := &http.Server{Handler: gate, ReadHeaderTimeout: time.Second}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go appSrv.Serve(ln)
	defer appSrv.Close()
	appURL := "http://" + ln.Addr().String()
	db := filepath.Join(t.TempDir(), "l.db")
	args := []string{"-db", db, "-forward-to", appURL, "-retry-base", "50ms", "-retry-max", "200ms", "-max-attempts", "1000"}
	p := startProcess(t, args...)
	client := &http.Client{Timeout: 5 * time.Second}
	var acked []string
	statuses := map[int]int{}
	for i := range 200 {
		if i == 100 {
			for _, suffix := range []string{"", "-wal", "-shm"} {
				os.Remove(db + suffix)
			}
		}
		id := fmt.Sprintf("del-%d", i)
		code := post(client, p.url, delivery(id))
		statuses[code]++
		if code == 200 {
			acked = append(acked, id)
		}
	}
	if err := p.term(); err != nil {
		t.Errorf("listen after SIGTERM: %v\n%s", err, p.stderr.String())
	}
	if statuses[503] < 99 || !strings.Contains(p.stderr.String(), "removed or replaced") || !strings.Contains(p.stderr.String(), "saved_to="+db) {
		t.Errorf("statuses %v; stderr:\n%s\nwant 503 after the removal, and the log of where the deliveries went", statuses, p.stderr.String())
	}
	down.Store(false)
	again := startProcess(t, args...)
	waitFor(t, 30*time.Second, fmt.Sprintf("the %d acknowledged events reached the app", len(acked)), func() bool {
		for _, id := range acked {
			if a.count(id) == 0 {
				return false
			}
		}
		return true
	})
	again.term()
	t.Logf("statuses %v; %d acknowledged, all reached the app", statuses, len(acked))
}

// removeIfThere removes path, if it exists.
func removeIfThere(path string) { os.Remove(path) }
