//go:build unix

package inbox_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/dailywebhooks/events/inbox"
	"github.com/dailywebhooks/events/inbox/sqlite"
)

// TestSQLiteOneOwnerByIdentity opens a file with workers, then tries a
// second owner through every other name of it: a symbolic link, a linked
// folder, "./", a relative path with "..". Each fails with ErrLocked,
// naming the file. A hard link is refused to every opener, and a symbolic
// link that leads nowhere too.
func TestSQLiteOneOwnerByIdentity(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dir, _ = filepath.EvalSymlinks(dir)
	path := filepath.Join(dir, "inbox.db")
	cfg := inbox.Config{Verifier: newVerifier(t), Handle: nopHandle, Logger: testLogger(t)}
	first, err := sqlite.Open(ctx, path, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer stop(t, first)
	other := t.TempDir()
	must(t, os.Symlink(path, filepath.Join(other, "link.db")))
	must(t, os.Symlink(dir, filepath.Join(other, "linked-dir")))
	t.Chdir(dir)
	for _, name := range []string{
		filepath.Join(other, "link.db"),
		filepath.Join(other, "linked-dir", "inbox.db"),
		"./inbox.db",
		"inbox.db",
		filepath.Join("..", filepath.Base(dir), "inbox.db"),
		dir + "//./inbox.db",
	} {
		second, err := sqlite.Open(ctx, name, cfg)
		if err == nil {
			stop(t, second)
		}
		if !errors.Is(err, sqlite.ErrLocked) || !strings.Contains(err.Error(), path) {
			t.Errorf("a second owner through %s: %v; want ErrLocked naming %s", name, err, path)
		}
	}
	must(t, os.Link(path, filepath.Join(other, "hard.db")))
	for _, workers := range []int{0, -1} {
		for _, name := range []string{path, filepath.Join(other, "hard.db")} {
			c := cfg
			c.Workers = workers
			in, err := sqlite.Open(ctx, name, c)
			if err == nil {
				stop(t, in)
			}
			if !errors.Is(err, sqlite.ErrHardLinked) {
				t.Errorf("opening %s (Workers %d) with two hard links: %v; want ErrHardLinked", name, workers, err)
			}
		}
	}
	must(t, os.Symlink(filepath.Join(other, "nothing.db"), filepath.Join(other, "dangling.db")))
	if in, err := sqlite.Open(ctx, filepath.Join(other, "dangling.db"), cfg); err == nil || !strings.Contains(err.Error(), "does not exist") {
		if err == nil {
			stop(t, in)
		}
		t.Errorf("opening a dangling symbolic link: %v; want an error", err)
	}
}

// TestSQLiteFileModes opens a new file under umask 022 (and 0277, which
// would take the owner's write bit), stores a delivery, and finds the
// database, its -wal and its -shm readable by their owner alone.
func TestSQLiteFileModes(t *testing.T) {
	for _, mask := range []int{0o022, 0o277 &^ 0o200} {
		old := syscall.Umask(mask)
		dir := t.TempDir()
		path := filepath.Join(dir, "inbox.db")
		in := openSQLiteAt(t, path)
		if got := post(t, in, delivery("mode-1")); got != 200 {
			t.Fatalf("POST = %d", got)
		}
		for _, name := range []string{path, path + "-wal", path + "-shm"} {
			fi, err := os.Stat(name)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("umask %03o: %s has mode %v, want -rw-------", mask, filepath.Base(name), fi.Mode().Perm())
			}
		}
		stop(t, in)
		syscall.Umask(old)
	}
}

// openSQLiteAt opens a started SQLite inbox at path.
func openSQLiteAt(t *testing.T, path string) *inbox.Inbox {
	t.Helper()
	in, err := sqlite.Open(context.Background(), path, inbox.Config{Verifier: newVerifier(t), Handle: nopHandle, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	must(t, in.Start(context.Background()))
	return in
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
