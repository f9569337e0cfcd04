package release

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// clone returns a scratch clone of the repository at HEAD, with a
// CHANGELOG entry for v9.9.9 committed, and a runner of commands in it.
func clone(t *testing.T) (string, func(env []string, name string, args ...string) (string, error)) {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "repo")
	run := func(env []string, name string, args ...string) (string, error) {
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), append([]string{"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com"}, env...)...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := exec.Command("git", "clone", "-q", root, dir).CombinedOutput(); err != nil {
		t.Fatalf("git clone: %v\n%s", err, out)
	}
	f, err := os.OpenFile(filepath.Join(dir, "CHANGELOG.md"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("\n## v9.9.9\n\n- A test release.\n")
	f.Close()
	if out, err := run(nil, "git", "commit", "-q", "-am", "changelog"); err != nil {
		t.Fatalf("git commit: %v\n%s", err, out)
	}
	return dir, run
}

// TestRelease releases a scratch clone at v9.9.9, with the check of
// .ci/run replaced: the requirements and go.work follow the version, and
// all three modules are tagged on one commit.
func TestRelease(t *testing.T) {
	dir, run := clone(t)
	out, err := run([]string{"RELEASE_CHECK=true"}, "scripts/release", "v9.9.9")
	if err != nil {
		t.Fatalf("scripts/release: %v\n%s", err, out)
	}
	for file, want := range map[string][]string{
		"inbox/go.mod":         {"github.com/dailywebhooks/events v9.9.9"},
		"cmd/dailyhook/go.mod": {"github.com/dailywebhooks/events v9.9.9", "github.com/dailywebhooks/events/inbox v9.9.9"},
		"go.work":              {"replace github.com/dailywebhooks/events v9.9.9 => ./", "replace github.com/dailywebhooks/events/inbox v9.9.9 => ./inbox"},
	} {
		b, _ := os.ReadFile(filepath.Join(dir, file))
		for _, w := range want {
			if !strings.Contains(string(b), w) {
				t.Errorf("%s lacks %q:\n%s", file, w, b)
			}
		}
		if strings.Count(string(b), "dailywebhooks/events v0.") > 0 || strings.Count(string(b), "dailywebhooks/events/inbox v0.") > 0 {
			t.Errorf("%s still names the old version:\n%s", file, b)
		}
	}
	head, _ := run(nil, "git", "rev-parse", "HEAD")
	for _, tag := range []string{"v9.9.9", "inbox/v9.9.9", "cmd/dailyhook/v9.9.9"} {
		at, err := run(nil, "git", "rev-list", "-n1", tag)
		if err != nil || at != head {
			t.Errorf("tag %s is at %q (%v), want HEAD %q", tag, at, err, head)
		}
	}
	if status, _ := run(nil, "git", "status", "--porcelain"); status != "" {
		t.Errorf("the release left changes:\n%s", status)
	}
}

// TestReleaseRefuses checks what the release refuses, and that a refusal
// tags nothing.
func TestReleaseRefuses(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(dir string)
		env     []string
		version string
		want    string
	}{
		{"not a version", nil, []string{"RELEASE_CHECK=true"}, "1.2", "is not a version"},
		{"no changelog entry", nil, []string{"RELEASE_CHECK=true"}, "v9.9.8", "CHANGELOG.md has no"},
		{"a dirty tree", func(dir string) { os.WriteFile(filepath.Join(dir, "README.md"), []byte("changed"), 0o644) }, []string{"RELEASE_CHECK=true"}, "v9.9.9", "uncommitted changes"},
		{"a failing check", nil, []string{"RELEASE_CHECK=false"}, "v9.9.9", "false failed; nothing is tagged"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, run := clone(t)
			if tt.prepare != nil {
				tt.prepare(dir)
			}
			out, err := run(tt.env, "scripts/release", tt.version)
			if err == nil || !strings.Contains(out, tt.want) {
				t.Errorf("scripts/release %s: %v\n%s\nwant a refusal saying %q", tt.version, err, out, tt.want)
			}
			if tags, _ := run(nil, "git", "tag", "--list", "*9.9.*"); tags != "" {
				t.Errorf("tags made despite the refusal:\n%s", tags)
			}
		})
	}
}
