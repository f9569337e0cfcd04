// Package proxy builds a file-layout Go module proxy of this repository's
// modules at a git revision; see the modproxy command.
package proxy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
	"golang.org/x/mod/zip"
)

// Modules are the repository's modules: their folder, and their path.
var Modules = []struct{ Dir, Path string }{
	{".", "github.com/dailywebhooks/events"},
	{"inbox", "github.com/dailywebhooks/events/inbox"},
	{"cmd/dailyhook", "github.com/dailywebhooks/events/cmd/dailyhook"},
}

// Build writes to out a proxy of the modules of the repository at repo,
// as they are at git revision rev, each at versions, and, with required,
// at the versions the others' go.mod files require it. It returns the
// module@version pairs it served.
func Build(repo, rev, out string, versions []string, required bool) ([]string, error) {
	commit, when, err := revision(repo, rev)
	if err != nil {
		return nil, err
	}
	want := map[string][]string{}
	for _, m := range Modules {
		want[m.Path] = append(want[m.Path], versions...)
	}
	if required {
		if err := addRequired(repo, commit, want); err != nil {
			return nil, err
		}
	}
	var served []string
	for _, m := range Modules {
		vs := want[m.Path]
		slices.SortFunc(vs, semver.Compare)
		vs = slices.Compact(vs)
		for _, v := range vs {
			if err := writeVersion(repo, commit, when, out, m.Dir, m.Path, v); err != nil {
				return nil, err
			}
			served = append(served, m.Path+"@"+v)
		}
		if len(vs) > 0 {
			list := filepath.Join(out, escaped(m.Path), "@v", "list")
			if err := os.WriteFile(list, []byte(strings.Join(vs, "\n")+"\n"), 0o644); err != nil {
				return nil, err
			}
		}
	}
	return served, nil
}

// revision resolves rev to a commit and its time.
func revision(repo, rev string) (string, time.Time, error) {
	out, err := git(repo, "log", "-1", "--format=%H %cI", rev)
	if err != nil {
		return "", time.Time{}, err
	}
	commit, stamp, _ := strings.Cut(strings.TrimSpace(out), " ")
	when, err := time.Parse(time.RFC3339, stamp)
	return commit, when, err
}

// addRequired adds to want the versions of this repository's modules that
// the go.mod files at commit require.
func addRequired(repo, commit string, want map[string][]string) error {
	for _, m := range Modules {
		data, err := git(repo, "show", commit+":"+filepath.ToSlash(filepath.Join(m.Dir, "go.mod")))
		if err != nil {
			return err
		}
		f, err := modfile.ParseLax("go.mod", []byte(data), nil)
		if err != nil {
			return err
		}
		for _, r := range f.Require {
			if _, ok := want[r.Mod.Path]; ok {
				want[r.Mod.Path] = append(want[r.Mod.Path], r.Mod.Version)
			}
		}
	}
	return nil
}

// writeVersion writes the .info, .mod and .zip of module path at version,
// from folder dir of the repository at commit.
func writeVersion(repo, commit string, when time.Time, out, dir, path, version string) error {
	if !semver.IsValid(version) {
		return fmt.Errorf("%s is not a semantic version", version)
	}
	base := filepath.Join(out, escaped(path), "@v")
	if err := os.MkdirAll(base, 0o755); err != nil {
		return err
	}
	info, _ := json.Marshal(struct {
		Version string
		Time    time.Time
	}{version, when.UTC()})
	if err := os.WriteFile(filepath.Join(base, version+".info"), info, 0o644); err != nil {
		return err
	}
	mod, err := git(repo, "show", commit+":"+filepath.ToSlash(filepath.Join(dir, "go.mod")))
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(base, version+".mod"), []byte(mod), 0o644); err != nil {
		return err
	}
	var z bytes.Buffer
	subdir := ""
	if dir != "." {
		subdir = filepath.ToSlash(dir)
	}
	if err := zip.CreateFromVCS(&z, module.Version{Path: path, Version: version}, repo, commit, subdir); err != nil {
		return fmt.Errorf("zipping %s@%s: %w", path, version, err)
	}
	return os.WriteFile(filepath.Join(base, version+".zip"), z.Bytes(), 0o644)
}

// escaped returns path as a proxy spells it in its folders.
func escaped(path string) string {
	e, err := module.EscapePath(path)
	if err != nil {
		return path
	}
	return e
}

// git runs git in repo and returns its output.
func git(repo string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = repo
	out, err := cmd.Output()
	if err != nil {
		msg := err.Error()
		if ee, ok := err.(*exec.ExitError); ok {
			msg = strings.TrimSpace(string(ee.Stderr))
		}
		return "", fmt.Errorf("git %s: %s", strings.Join(args, " "), msg)
	}
	return string(out), nil
}
