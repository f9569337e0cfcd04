package inbox_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/eventstest"
	"github.com/dailywebhooks/events/inbox"
	"github.com/dailywebhooks/events/inbox/sqlite"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

func stop(t *testing.T, in interface{ Stop(context.Context) error }) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := in.Stop(ctx); err != nil {
		t.Errorf("Stop: %v", err)
	}
}

// jobs lists the deliveries of the inbox, in any state.
func jobs(t *testing.T, in *inbox.Inbox) []*rivertype.JobRow {
	t.Helper()
	res, err := inbox.RiverClient[*sql.Tx](in).JobList(context.Background(), river.NewJobListParams().First(1000))
	if err != nil {
		t.Fatal(err)
	}
	return res.Jobs
}

// TestSQLitePathsAreFiles opens paths with the characters a file: URI
// treats apart: the file opened must be the file named, in WAL mode.
func TestSQLitePathsAreFiles(t *testing.T) {
	for _, name := range []string{"e?f.db", "a#b.db", "100%.db", "sp ace.db", "q?_pragma=journal_mode(DELETE).db"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, name)
			in, err := sqlite.Open(context.Background(), path, inbox.Config{Verifier: newVerifier(t), Handle: nopHandle, Workers: -1, Logger: testLogger(t)})
			if err != nil {
				t.Fatal(err)
			}
			if got := post(t, in, delivery("p-1")); got != 200 {
				t.Errorf("POST = %d", got)
			}
			if _, err := os.Stat(path + "-wal"); err != nil {
				t.Errorf("no WAL file beside %q: %v", name, err)
			}
			stop(t, in)
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if !strings.HasPrefix(e.Name(), name) {
					t.Errorf("opened %q, which is not %q", e.Name(), name)
				}
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("%q was not created: %v", name, err)
			}
		})
	}
}

// TestSQLiteOneWorkerProcess opens a file twice with workers: the second
// fails at once with ErrLocked, naming the file, while a process that
// only receives opens beside the first; once the first stops, the lock is
// free.
func TestSQLiteOneWorkerProcess(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "inbox.db")
	cfg := inbox.Config{Verifier: newVerifier(t), Handle: nopHandle, Logger: testLogger(t)}
	first, err := sqlite.Open(ctx, path, cfg)
	if err != nil {
		t.Fatal(err)
	}
	second, err := sqlite.Open(ctx, path, cfg)
	if !errors.Is(err, sqlite.ErrLocked) || !strings.Contains(err.Error(), path) {
		t.Fatalf("a second sqlite.Open with workers = %v, %v; want ErrLocked naming %s", second, err, path)
	}
	receiver := cfg
	receiver.Workers = -1
	admin, err := sqlite.Open(ctx, path, receiver)
	if err != nil {
		t.Fatalf("sqlite.Open of a process that only receives, beside one with workers: %v", err)
	}
	stop(t, admin)
	stop(t, first)
	again, err := sqlite.Open(ctx, path, cfg)
	if err != nil {
		t.Fatalf("sqlite.Open with workers after the first stopped: %v", err)
	}
	stop(t, again)
}

// TestSQLiteResumeOnlyUnderLock leaves a delivery running, as a live
// worker process does: a process that only receives must leave it so,
// and only the next worker process resumes it.
func TestSQLiteResumeOnlyUnderLock(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "inbox.db")
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	cfg := inbox.Config{Verifier: newVerifier(t), Logger: testLogger(t), Handle: func(ctx context.Context, ev events.Event) error {
		started <- struct{}{}
		<-release
		return nil
	}}
	worker, err := sqlite.Open(ctx, path, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := worker.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if got := post(t, worker, delivery("r-1")); got != 200 {
		t.Fatalf("POST = %d", got)
	}
	<-started
	receiver := cfg
	receiver.Workers = -1
	admin, err := sqlite.Open(ctx, path, receiver)
	if err != nil {
		t.Fatal(err)
	}
	if js := jobs(t, admin); len(js) != 1 || js[0].State != rivertype.JobStateRunning {
		t.Errorf("after a receiver opened the file, the job is %v, want running", js[0].State)
	}
	stop(t, admin)
	close(release)
	stop(t, worker)
}

// TestSQLiteMaxAttemptsApplied stores deliveries with one limit, and opens
// the file with workers and another: the pending deliveries take the new
// limit, and one that did not parse keeps its single attempt.
func TestSQLiteMaxAttemptsApplied(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "inbox.db")
	cfg := inbox.Config{Verifier: newVerifier(t), Handle: nopHandle, Logger: testLogger(t), Workers: -1, MaxAttempts: 3}
	receiver, err := sqlite.Open(ctx, path, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range [][]byte{delivery("m-1"), delivery("m-2"), []byte(`{"version":"1.0.0","type":"meeting.started","id":"m-bad","payload":7}`)} {
		if got := post(t, receiver, body); got != 200 {
			t.Fatalf("POST = %d", got)
		}
	}
	stop(t, receiver)
	cfg.Workers, cfg.MaxAttempts = 0, 7
	worker, err := sqlite.Open(ctx, path, cfg) // not started: nothing runs
	if err != nil {
		t.Fatal(err)
	}
	defer stop(t, worker)
	for _, j := range jobs(t, worker) {
		var d inbox.Delivery
		if err := json.Unmarshal(j.EncodedArgs, &d); err != nil {
			t.Fatal(err)
		}
		want := 7
		if d.ParseError != "" {
			want = 1
		}
		if j.MaxAttempts != want {
			t.Errorf("%s (parse error %q): MaxAttempts %d, want %d", d.ID, d.ParseError, j.MaxAttempts, want)
		}
	}
}

// TestSQLiteVanishedFile removes the file while the inbox runs, with a
// delivery stored and not yet handled: deliveries are answered 503 from
// then on, the log says so, and at Stop the one stored is saved to the
// path, where the next start handles it.
func TestSQLiteVanishedFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "inbox.db")
	var logs eventstest.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg := inbox.Config{Verifier: newVerifier(t), Handle: nopHandle, Logger: logger, Workers: -1}
	in, err := sqlite.Open(ctx, path, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := post(t, in, delivery("v-1")); got != 200 {
		t.Fatalf("POST before the removal = %d", got)
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(path + suffix); err != nil {
			t.Fatal(err)
		}
	}
	if got := post(t, in, delivery("v-2")); got != 503 {
		t.Errorf("POST after the removal = %d, want 503", got)
	}
	if !strings.Contains(logs.String(), "removed or replaced") || !strings.Contains(logs.String(), "unfinished=1") {
		t.Errorf("the log does not say that the file vanished with a delivery in it:\n%s", logs.String())
	}
	stop(t, in)
	if !strings.Contains(logs.String(), "saved_to="+path) {
		t.Errorf("the log does not say where the delivery was saved:\n%s", logs.String())
	}
	tl := newTally()
	cfg.Workers, cfg.Handle, cfg.Logger = 0, tl.handle(nil), testLogger(t)
	again, err := sqlite.Open(ctx, path, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := again.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer stop(t, again)
	tl.waitHandled(t, []string{"v-1"}, 10*time.Second)
	if tl.handled["v-2"] != 0 {
		t.Error("the delivery answered 503 was handled")
	}
}

// TestSQLiteReplacedFile replaces the file with another while a delivery
// waits in it: the delivery is saved beside the path, and the new file is
// left alone.
func TestSQLiteReplacedFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "inbox.db")
	var logs eventstest.Buffer
	cfg := inbox.Config{Verifier: newVerifier(t), Handle: nopHandle, Logger: slog.New(slog.NewTextHandler(&logs, nil)), Workers: -1}
	in, err := sqlite.Open(ctx, path, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := post(t, in, delivery("x-1")); got != 200 {
		t.Fatalf("POST = %d", got)
	}
	if err := os.Rename(path, path+".old"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("someone else's file"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The watch notices without a delivery, within a second or two.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(logs.String(), "removed or replaced"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the replacement was not noticed:\n%s", logs.String())
		}
	}
	stop(t, in)
	if b, _ := os.ReadFile(path); string(b) != "someone else's file" {
		t.Errorf("the file that replaced the database was changed: %q", b)
	}
	saved, _ := filepath.Glob(path + ".saved-*")
	if len(saved) != 1 {
		t.Fatalf("saved files: %v, want one beside %s\n%s", saved, path, logs.String())
	}
	db, err := sql.Open("sqlite", saved[0])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM river_job WHERE state = 'available'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("the saved file holds %d pending deliveries (%v), want 1", n, err)
	}
}

// TestSQLiteOrphanedWAL leaves a -wal and -shm beside a path whose file is
// gone: sqlite.Open moves them aside rather than replay them.
func TestSQLiteOrphanedWAL(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "inbox.db")
	cfg := inbox.Config{Verifier: newVerifier(t), Handle: nopHandle, Logger: testLogger(t), Workers: -1}
	in, err := sqlite.Open(ctx, path, cfg)
	if err != nil {
		t.Fatal(err)
	}
	post(t, in, delivery("o-1"))
	// Keep the WAL as a process killed now would leave it.
	wal, err := os.ReadFile(path + "-wal")
	if err != nil || len(wal) == 0 {
		t.Fatalf("no WAL to orphan: %v", err)
	}
	stop(t, in)
	os.Remove(path)
	if err := os.WriteFile(path+"-wal", wal, 0o600); err != nil {
		t.Fatal(err)
	}
	again, err := sqlite.Open(ctx, path, cfg)
	if err != nil {
		t.Fatalf("sqlite.Open beside an orphaned WAL: %v", err)
	}
	defer stop(t, again)
	if js := jobs(t, again); len(js) != 0 {
		t.Errorf("the new file holds %d jobs from the orphaned WAL", len(js))
	}
	if aside, _ := filepath.Glob(path + "-wal.orphaned-*"); len(aside) != 1 {
		t.Errorf("the orphaned WAL was not moved aside: %v", aside)
	}
}

// TestOnStored checks what OnStored is told: each delivery committed, and
// whether it was stored before.
func TestOnStored(t *testing.T) {
	var mu sync.Mutex
	got := map[string][]bool{}
	in := openSQLite(t, inbox.Config{Handle: nopHandle, Workers: -1, OnStored: func(d inbox.Delivery, dup bool) {
		mu.Lock()
		defer mu.Unlock()
		got[d.ID] = append(got[d.ID], dup)
	}})
	before := time.Now()
	post(t, in, delivery("s-1"))
	post(t, in, delivery("s-1"))
	post(t, in, delivery("s-2"))
	// The counts of an SQLite store, with nothing handled.
	st, err := in.Stats(context.Background())
	if err != nil || st.Jobs[inbox.StatePending] != 2 || st.OldestPending.Before(before.Add(-time.Second)) || st.OldestPending.After(time.Now()) {
		t.Errorf("Stats = %+v, %v; want 2 pending, the oldest stored since the test began", st, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got["s-1"]) != 2 || got["s-1"][0] || !got["s-1"][1] || len(got["s-2"]) != 1 || got["s-2"][0] {
		t.Errorf("OnStored saw %v, want s-1 new then duplicate, s-2 new", got)
	}
}

// TestClientLeftDuringCommit holds SQLite's write lock so that a
// delivery's commit waits, and lets the client go: the log says that the
// outcome is unknown, not that the delivery was not stored, and indeed it
// is stored once the lock is released.
func TestClientLeftDuringCommit(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "inbox.db")
	var logs eventstest.Buffer
	cfg := inbox.Config{Verifier: newVerifier(t), Handle: nopHandle, Workers: -1, Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	in, err := sqlite.Open(ctx, path, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer stop(t, in)
	blocker, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer blocker.Close()
	conn, err := blocker.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	r, err := eventstest.Signer{Secret: secret}.NewRequest("/hook", delivery("left-1"))
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	w := httptest.NewRecorder()
	in.ServeHTTP(w, r.WithContext(rctx))
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "the client left before the delivery's commit ended") || strings.Contains(logs.String(), "delivery not stored") {
		t.Errorf("the log does not say that the outcome is unknown:\n%s", logs.String())
	}
	waitStored := time.Now().Add(10 * time.Second)
	for len(jobs(t, in)) == 0 && time.Now().Before(waitStored) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := len(jobs(t, in)); n != 1 {
		t.Errorf("%d jobs after the lock was released, want the one whose client left", n)
	}
}
