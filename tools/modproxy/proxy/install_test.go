package proxy_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/dailywebhooks/events/tools/modproxy/proxy"
)

// testVersion is the version the install-path test publishes HEAD at.
const testVersion = "v0.1.1-test.1"

// TestInstallPath proves a user's install path: it serves the repository
// at HEAD from a file proxy, then, outside the workspace and with only
// that proxy and the public ones, installs the command at a version and
// builds a program of a module of its own that opens an SQLite inbox.
func TestInstallPath(t *testing.T) {
	if testing.Short() {
		t.Skip("installs the command and builds a program from a module proxy")
	}
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	px := filepath.Join(tmp, "proxy")
	served, err := proxy.Build(root, "HEAD", px, []string{testVersion}, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("served %s", strings.Join(served, ", "))
	env := userEnv(t, tmp, px)

	bin := filepath.Join(tmp, "bin")
	run(t, tmp, append(env, "GOBIN="+bin), "go", "install", "github.com/dailywebhooks/events/cmd/dailyhook@"+testVersion)
	out := run(t, tmp, env, filepath.Join(bin, "dailyhook"), "version")
	if !strings.HasPrefix(out, "dailyhook "+testVersion+" ") {
		t.Errorf("dailyhook version printed:\n%s\nwant %s", out, testVersion)
	}

	consumer := filepath.Join(tmp, "consumer")
	if err := os.MkdirAll(consumer, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(consumer, "main.go"), []byte(consumerMain), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, consumer, env, "go", "mod", "init", "example.com/consumer")
	run(t, consumer, env, "go", "get", "github.com/dailywebhooks/events/inbox@"+testVersion)
	run(t, consumer, env, "go", "mod", "tidy")
	out = run(t, consumer, env, "go", "run", ".")
	if strings.TrimSpace(out) != "200 stored 1" {
		t.Errorf("the consumer printed %q, want \"200 stored 1\"", out)
	}
	mod, _ := os.ReadFile(filepath.Join(consumer, "go.mod"))
	if !strings.Contains(string(mod), "github.com/dailywebhooks/events/inbox "+testVersion) {
		t.Errorf("the consumer's go.mod does not require the inbox at %s:\n%s", testVersion, mod)
	}
}

// userEnv is the environment of a user outside this repository: no
// workspace, a module cache of its own, this proxy first, then the module
// cache's downloads and the usual proxy for the other modules, and no
// checksum database for modules that are not published.
func userEnv(t *testing.T, tmp, px string) []string {
	t.Helper()
	goEnv := func(k string) string {
		out, err := exec.Command("go", "env", k).Output()
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(out))
	}
	proxies := "file://" + filepath.ToSlash(px) + ",file://" + filepath.ToSlash(filepath.Join(goEnv("GOMODCACHE"), "cache", "download")) + "," + goEnv("GOPROXY")
	var env []string
	for _, kv := range os.Environ() {
		switch k, _, _ := strings.Cut(kv, "="); k {
		case "GOWORK", "GOPROXY", "GOMODCACHE", "GOFLAGS", "GONOSUMDB", "GOBIN":
		default:
			env = append(env, kv)
		}
	}
	return append(env, "GOWORK=off", "GOPROXY="+proxies, "GOMODCACHE="+filepath.Join(tmp, "modcache"),
		"GOFLAGS=-modcacherw", "GONOSUMDB=github.com/dailywebhooks/*", "GOTOOLCHAIN=local", "GOOS="+runtime.GOOS)
}

// run runs name with args in dir and env, and returns its standard
// output, or fails t with its standard error.
func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = dir, env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out)
}

// consumerMain is the program of the scratch consumer: an SQLite inbox in
// a temporary folder, a signed delivery, and what was stored.
const consumerMain = `package main

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/eventstest"
	"github.com/dailywebhooks/events/inbox"
	"github.com/dailywebhooks/events/inbox/sqlite"
)

func main() {
	const secret = "ZGFpbHkgd2ViaG9vayB0ZXN0IGtleSwgMzIgYnl0ZXM="
	v, err := events.NewVerifier(events.VerifierConfig{Secrets: []string{secret}})
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "consumer-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	stored := 0
	in, err := sqlite.Open(ctx, filepath.Join(dir, "inbox.db"), inbox.Config{
		Verifier: v,
		Workers:  -1,
		Handle:   func(context.Context, events.Event) error { return nil },
		OnStored: func(inbox.Delivery, bool) { stored++ },
	})
	if err != nil {
		log.Fatal(err)
	}
	defer in.Stop(ctx)
	body, err := eventstest.NewDelivery(events.TypeMeetingStarted, time.Now())
	if err != nil {
		log.Fatal(err)
	}
	req, err := eventstest.Signer{Secret: secret}.NewRequest("/daily", body)
	if err != nil {
		log.Fatal(err)
	}
	rec := httptest.NewRecorder()
	in.ServeHTTP(rec, req)
	fmt.Println(rec.Code, "stored", stored)
}
`
