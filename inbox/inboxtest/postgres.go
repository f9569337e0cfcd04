// Package inboxtest starts the real components that tests of an inbox
// need: a PostgreSQL server of its own, from the machine's PostgreSQL
// installation, in a temporary folder, on a free local port.
package inboxtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// A Postgres is a PostgreSQL server started for tests.
type Postgres struct {
	// URL connects to its "postgres" database as the superuser.
	URL  string
	port int
	n    atomic.Int64
}

// StartPostgres starts a PostgreSQL server for tb, and stops it and removes
// its files when tb ends. It needs initdb and pg_ctl, from Debian's
// postgresql package (or on PATH). When they are missing, it fails tb if
// the CI environment variable is set, and skips tb otherwise, saying how to
// install them. As root it runs the server as the postgres user, which
// PostgreSQL requires.
func StartPostgres(tb testing.TB) *Postgres {
	tb.Helper()
	return StartPostgresWith(tb, PostgresOptions{})
}

// PostgresOptions configure StartPostgresWith.
type PostgresOptions struct {
	// Durable keeps fsync on, as a production server runs: benchmarks
	// that must pay what a real server pays set it. Tests leave it off,
	// which is faster, since a test server needs no durability.
	Durable bool
}

// StartPostgresWith is StartPostgres with options.
func StartPostgresWith(tb testing.TB, o PostgresOptions) *Postgres {
	tb.Helper()
	bin, err := findBin()
	if err != nil {
		msg := "PostgreSQL tests need initdb and pg_ctl: install them with `apt-get install -y postgresql` (" + err.Error() + ")"
		if os.Getenv("CI") != "" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	dir, err := os.MkdirTemp("", "inboxtest-pg-")
	if err != nil {
		tb.Fatal(err)
	}
	cred, err := credential(dir)
	if err != nil {
		os.RemoveAll(dir)
		tb.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	run := func(name string, args ...string) error {
		cmd := exec.Command(filepath.Join(bin, name), args...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		cmd.Env = append(os.Environ(), "LC_ALL=C")
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s: %w\n%s", name, err, out)
		}
		return nil
	}
	if err := run("initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		tb.Fatal(err)
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dir)
		tb.Fatal(err)
	}
	fsync := "off"
	if o.Durable {
		fsync = "on"
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=%s -c max_connections=200", port, dir, fsync)
	if err := run("pg_ctl", "-D", data, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "-t", "60", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		os.RemoveAll(dir)
		tb.Fatalf("%v\n%s", err, log)
	}
	tb.Cleanup(func() {
		if err := run("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"); err != nil {
			tb.Log(err)
		}
		os.RemoveAll(dir)
	})
	return &Postgres{URL: fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port), port: port}
}

// NewDatabase creates an empty database on p and returns its URL.
func (p *Postgres) NewDatabase(tb testing.TB) string {
	tb.Helper()
	name := fmt.Sprintf("test_%d", p.n.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, p.URL)
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatal(err)
	}
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", p.port, name)
}

// findBin returns the folder of initdb and pg_ctl: on PATH, or the newest
// of Debian's /usr/lib/postgresql/*/bin.
func findBin() (string, error) {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if _, err := exec.LookPath("initdb"); err == nil {
			return filepath.Dir(p), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", fmt.Errorf("not on PATH nor in /usr/lib/postgresql/*/bin")
}

// version reads the major version from a Debian PostgreSQL bin folder.
func version(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

// credential returns who the server runs as: the postgres user when this
// process is root, whom dir is then given to, or nil for this process's
// own user.
func credential(dir string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running PostgreSQL as root needs a postgres user: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// freePort returns a local TCP port that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	addr := ln.Addr().String()
	return strconv.Atoi(addr[strings.LastIndex(addr, ":")+1:])
}
