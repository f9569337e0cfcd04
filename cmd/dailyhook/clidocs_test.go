package main

import (
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/dailywebhooks/events/eventstest"
)

// TestCLIDocs holds docs/cli.md and the README to the command tree: every
// command that "dailyhook -h" lists appears as "dailyhook CMD", every verb
// of a group as "GROUP VERB", and every flag of each as "-flag", so that a
// command, verb or flag added without its documentation fails here.
func TestCLIDocs(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "cli.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	has := func(text []byte, word string) bool {
		return regexp.MustCompile(`(^|[^\w-])` + regexp.QuoteMeta(word) + `($|[^\w-])`).Match(text)
	}
	for _, c := range commands {
		if !has(doc, "dailyhook "+c.name) {
			t.Errorf("docs/cli.md lacks the command dailyhook %s", c.name)
		}
		if !has(readme, "`"+c.name+"`") {
			t.Errorf("the README's list of commands lacks %s", c.name)
		}
		for _, f := range flagsOf(c) {
			if !has(doc, "-"+f) {
				t.Errorf("docs/cli.md lacks the flag -%s of dailyhook %s", f, c.name)
			}
		}
		for _, v := range c.verbs {
			if !has(doc, c.name+" "+v.name) {
				t.Errorf("docs/cli.md lacks the verb %s %s", c.name, v.name)
			}
			for _, f := range flagsOf(v) {
				if !has(doc, "-"+f) {
					t.Errorf("docs/cli.md lacks the flag -%s of %s %s", f, c.name, v.name)
				}
			}
		}
	}
}

// flagsOf returns the names of the flags of c.
func flagsOf(c *command) []string {
	if c.setup == nil {
		return nil
	}
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	c.setup(fs)
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	return names
}

// TestHabits: flags before the verb, DAILY_API_URL in place of -base-url,
// and the nearest command or verb suggested.
func TestHabits(t *testing.T) {
	d := eventstest.NewDaily(eventstest.DailyConfig{})
	defer d.Close()
	db := filepath.Join(t.TempDir(), "h.db")
	l := startListen(t, listenConfig{db: db})
	if code := post(http.DefaultClient, l.url, typedDelivery("meeting.started", "habit-1")); code != 200 {
		t.Fatalf("POST = %d", code)
	}
	l.stop(t)
	key := map[string]string{"DAILY_API_KEY": d.APIKey}
	withURL := map[string]string{"DAILY_API_KEY": d.APIKey, "DAILY_API_URL": d.URL}
	tests := []struct {
		name     string
		vars     map[string]string
		args     []string
		wantCode int
		want     string
	}{
		{"inbox: a flag before the verb", nil, []string{"inbox", "-db", db, "list"}, 0, "habit-1"},
		{"inbox: a flag valued like a verb", nil, []string{"inbox", "-db", db, "-state", "pending", "list"}, 0, "habit-1"},
		{"inbox: a boolean flag before the verb", nil, []string{"inbox", "-json", "-db", db, "list"}, 0, `"id":"habit-1"`},
		{"webhooks: a flag before the verb", key, []string{"webhooks", "-base-url", d.URL, "list"}, 0, "no webhook"},
		{"webhooks: DAILY_API_URL", withURL, []string{"webhooks", "list"}, 0, "no webhook"},
		{"webhooks: -base-url wins over DAILY_API_URL", map[string]string{"DAILY_API_KEY": d.APIKey, "DAILY_API_URL": "http://127.0.0.1:1/v1"}, []string{"webhooks", "list", "-base-url", d.URL}, 0, "no webhook"},
		{"a misspelt command", nil, []string{"lisen"}, 2, "did you mean listen?"},
		{"a misspelt verb", nil, []string{"inbox", "lst"}, 2, "did you mean list?"},
		{"a misspelt webhooks verb", key, []string{"webhooks", "crate"}, 2, "did you mean create?"},
	}
	for _, tt := range tests {
		code, stdout, stderr := runCmd(t, tt.vars, "", tt.args...)
		if code != tt.wantCode || !strings.Contains(stdout+stderr, tt.want) {
			t.Errorf("%s: %v: exit %d, want %d and %q\n%s%s", tt.name, tt.args, code, tt.wantCode, tt.want, stdout, stderr)
		}
	}
}
