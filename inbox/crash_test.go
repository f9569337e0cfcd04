package inbox_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
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

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/inbox"
	"github.com/dailywebhooks/events/inbox/sqlite"
)

// The crash test runs receivers in child processes: this test binary again,
// with these variables set, runs TestCrashChild as the receiver.
const (
	envChildDB      = "INBOX_CRASH_DB"      // the SQLite file
	envChildHandled = "INBOX_CRASH_HANDLED" // the file of handled IDs
	envChildAddr    = "INBOX_CRASH_ADDR"    // where to write the address
	crashWorkers    = 4
)

// TestCrashChild is the receiver of TestInboxCrash; it does nothing unless
// run by it. It serves until it is killed.
func TestCrashChild(t *testing.T) {
	db := os.Getenv(envChildDB)
	if db == "" {
		t.Skip("run by TestInboxCrash")
	}
	// One write per handled event, with O_APPEND: each line reaches the
	// kernel whole before Handle returns, and survives SIGKILL.
	out, err := os.OpenFile(os.Getenv(envChildHandled), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	in, err := sqlite.Open(ctx, db, inbox.Config{
		Verifier:    newVerifier(t),
		Logger:      quietLogger(),
		Workers:     crashWorkers,
		JobTimeout:  time.Second,
		RescueAfter: 3 * time.Second,
		RetryPolicy: quickRetry{},
		Handle: func(_ context.Context, ev events.Event) error {
			time.Sleep(time.Duration(rand.IntN(3)) * time.Millisecond) // some work
			_, err := fmt.Fprintf(out, "%s\n", ev.Meta().ID)
			return err
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Start(ctx); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(os.Getenv(envChildAddr), []byte(ln.Addr().String()), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: in, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second}
	t.Fatal(srv.Serve(ln))
}

// child is a receiver process of the crash test.
type child struct {
	cmd *exec.Cmd
	url string
}

// startChild starts a receiver on the SQLite file db and waits until it
// listens.
func startChild(t *testing.T, dir string, n int) *child {
	t.Helper()
	addrFile := filepath.Join(dir, fmt.Sprintf("addr-%d", n))
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(),
		envChildDB+"="+filepath.Join(dir, "inbox.db"),
		envChildHandled+"="+filepath.Join(dir, "handled"),
		envChildAddr+"="+addrFile,
	)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if b, err := os.ReadFile(addrFile); err == nil && len(b) > 0 {
			return &child{cmd: cmd, url: "http://" + string(b)}
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the receiver did not start")
		}
	}
}

// TestInboxCrash posts 2,000 signed deliveries to a receiver in a child
// process while killing it with SIGKILL at random moments, restarting it
// each time, and re-sending what got no 200, as Daily's exponential mode
// would. Every delivery answered 200 must be handled, and an event may be
// handled twice only when its job was running at a kill: at most
// kills × workers of them.
func TestInboxCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("the crash test takes half a minute or more")
	}
	const (
		n     = 2000
		kills = 6
	)
	dir := t.TempDir()
	var (
		mu      sync.Mutex
		current = startChild(t, dir, 0)
		starts  = 1
	)
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		current.cmd.Process.Kill()
		current.cmd.Wait()
	}()
	url := func() string {
		mu.Lock()
		defer mu.Unlock()
		return current.url
	}

	// The killer kills and restarts the receiver at random moments while
	// deliveries arrive: once each of kills random numbers of deliveries
	// has been sent.
	var killed, sentCount atomic.Int64
	thresholds := make([]int64, kills)
	for i := range thresholds {
		thresholds[i] = int64(n/10 + (i*8*n/10+rand.IntN(8*n/10))/kills)
	}
	killerDone := make(chan struct{})
	go func() {
		defer close(killerDone)
		for _, at := range thresholds {
			for sentCount.Load() < at {
				time.Sleep(time.Millisecond)
			}
			mu.Lock()
			current.cmd.Process.Signal(syscall.SIGKILL)
			current.cmd.Wait()
			killed.Add(1)
			current = startChild(t, dir, starts)
			starts++
			mu.Unlock()
		}
	}()

	client := &http.Client{Timeout: 5 * time.Second}
	acked := map[string]bool{}
	pending := make([]string, n)
	for i := range pending {
		pending[i] = fmt.Sprintf("crash-%d", i)
	}
	for round := 0; len(pending) > 0; round++ {
		if round > 200 {
			t.Fatalf("%d deliveries still not acknowledged", len(pending))
		}
		var (
			wg    sync.WaitGroup
			rmu   sync.Mutex
			retry []string
			next  atomic.Int64
		)
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1)) - 1
					if i >= len(pending) {
						return
					}
					id := pending[i]
					ok := send(client, url(), delivery(id)) == 200
					sentCount.Add(1)
					rmu.Lock()
					if ok {
						acked[id] = true
					} else {
						retry = append(retry, id)
					}
					rmu.Unlock()
				}
			}()
		}
		wg.Wait()
		pending = retry
		if len(pending) > 0 {
			time.Sleep(50 * time.Millisecond)
		}
	}
	<-killerDone
	if killed.Load() < 5 {
		t.Fatalf("the receiver was killed %d times while deliveries arrived, want at least 5", killed.Load())
	}

	// Every acknowledged delivery is handled, sooner or later: the jobs
	// running at a kill wait for River to rescue them.
	var counts map[string]int
	sentAt := time.Now()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		counts = readHandled(t, filepath.Join(dir, "handled"))
		missing := 0
		for id := range acked {
			if counts[id] == 0 {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d acknowledged deliveries never handled", missing, len(acked))
		}
		time.Sleep(200 * time.Millisecond)
	}
	twice := 0
	for id, c := range counts {
		if c > 1 {
			twice++
			t.Logf("%s handled %d times", id, c)
		}
	}
	if limit := int(killed.Load()) * crashWorkers; twice > limit {
		t.Errorf("%d events handled more than once, want at most kills × workers = %d", twice, limit)
	}
	t.Logf("%d deliveries acknowledged, %d kills, %d events handled twice (at most %d allowed); all handled %v after the last was acknowledged", len(acked), killed.Load(), twice, int(killed.Load())*crashWorkers, time.Since(sentAt).Round(time.Millisecond))
}

// readHandled counts the IDs in the file of handled events.
func readHandled(t *testing.T, path string) map[string]int {
	t.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return map[string]int{}
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	counts := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if id := strings.TrimSpace(sc.Text()); id != "" {
			counts[id]++
		}
	}
	return counts
}
