package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// secret signs every delivery of these tests.
const secret = "ZGFpbHkgd2ViaG9vayB0ZXN0IGtleSwgMzIgYnl0ZXM="

// runCmd runs dailyhook with args in process and returns its exit status
// and what it wrote.
func runCmd(t *testing.T, vars map[string]string, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	e := &env{
		stdin:  strings.NewReader(stdin),
		stdout: &lockedWriter{w: &out},
		stderr: &lockedWriter{w: &errOut},
		getenv: func(k string) string { return vars[k] },
	}
	code = run(context.Background(), e, args)
	return code, out.String(), errOut.String()
}

func TestUsage(t *testing.T) {
	tests := []struct {
		name     string
		vars     map[string]string
		args     []string
		wantCode int
		wantErr  string
	}{
		{name: "no command", wantCode: 2, wantErr: "The commands are"},
		{name: "help", args: []string{"-h"}, wantCode: 0, wantErr: "listen"},
		{name: "unknown command", args: []string{"frobnicate"}, wantCode: 2, wantErr: `unknown command "frobnicate"`},
		{name: "listen help", args: []string{"listen", "-h"}, wantCode: 0, wantErr: "Example:"},
		{name: "listen bad flag", args: []string{"listen", "-nope"}, wantCode: 2, wantErr: "flag provided but not defined"},
		{name: "listen without a secret", args: []string{"listen"}, wantCode: 2, wantErr: "DAILY_WEBHOOK_SECRET"},
		{name: "listen with a bad secret", vars: map[string]string{"DAILY_WEBHOOK_SECRET": "not base64!"}, args: []string{"listen", "-addr", "127.0.0.1:0", "-db", "x.db"}, wantCode: 2, wantErr: "invalid webhook secret"},
		{name: "listen with arguments", vars: map[string]string{"DAILY_WEBHOOK_SECRET": secret}, args: []string{"listen", "extra"}, wantCode: 2, wantErr: "unexpected arguments"},
		{name: "listen with a forward URL without scheme", vars: withSecret, args: []string{"listen", "-forward-to", "localhost:3000/daily"}, wantCode: 2, wantErr: "not an absolute http or https URL"},
		{name: "listen with a forward URL of another scheme", vars: withSecret, args: []string{"listen", "-forward-to", "ftp://localhost/daily"}, wantCode: 2, wantErr: "not an absolute http or https URL"},
		{name: "listen with a forward URL without host", vars: withSecret, args: []string{"listen", "-forward-to", "http:///daily"}, wantCode: 2, wantErr: "not an absolute http or https URL"},
		{name: "listen with a relative forward URL", vars: withSecret, args: []string{"listen", "-forward-to", "/daily"}, wantCode: 2, wantErr: "not an absolute http or https URL"},
		{name: "listen with a forward URL that does not parse", vars: withSecret, args: []string{"listen", "-forward-to", "http://u:p@h:bad port/"}, wantCode: 2, wantErr: "is not a URL"},
		{name: "listen with -db and -postgres", vars: withSecret, args: []string{"listen", "-db", "x.db", "-postgres", "postgres://localhost/x"}, wantCode: 2, wantErr: "-db and -postgres"},
		{name: "listen with -print and DAILYHOOK_FORWARD_TO", vars: map[string]string{"DAILY_WEBHOOK_SECRET": secret, "DAILYHOOK_FORWARD_TO": "http://localhost:3000/"}, args: []string{"listen", "-print"}, wantCode: 2, wantErr: "DAILYHOOK_FORWARD_TO"},
		{name: "listen with a bad DAILYHOOK_FORWARD_TO", vars: map[string]string{"DAILY_WEBHOOK_SECRET": secret, "DAILYHOOK_FORWARD_TO": "localhost:3000"}, args: []string{"listen"}, wantCode: 2, wantErr: "DAILYHOOK_FORWARD_TO: \"localhost:3000\" is not an absolute"},
		{name: "listen with -print and -forward-to", vars: withSecret, args: []string{"listen", "-print", "-forward-to", "http://localhost:3000/"}, wantCode: 2, wantErr: "-print and -forward-to"},
		{name: "listen with no workers", vars: withSecret, args: []string{"listen", "-workers", "0"}, wantCode: 2, wantErr: "-workers"},
		{name: "listen with a retention under a second", vars: withSecret, args: []string{"listen", "-completed-retention", "0s"}, wantCode: 2, wantErr: "-completed-retention"},
		{name: "listen with no attempts", vars: withSecret, args: []string{"listen", "-max-attempts", "0"}, wantCode: 2, wantErr: "-max-attempts"},
		{name: "listen with a bad second secret", vars: map[string]string{"DAILY_WEBHOOK_SECRET": secret + ",not base64!"}, args: []string{"listen"}, wantCode: 2, wantErr: "secret 2 of 2"},
		{name: "webhooks watch with a zero interval", vars: map[string]string{"DAILY_API_KEY": "k"}, args: []string{"webhooks", "watch", "-interval", "0"}, wantCode: 2, wantErr: "-interval must be positive"},
		{name: "webhooks watch with a negative interval", vars: map[string]string{"DAILY_API_KEY": "k"}, args: []string{"webhooks", "watch", "-interval", "-1s"}, wantCode: 2, wantErr: "-interval must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if strings.Contains(tt.name, "bad secret") {
				t.Chdir(t.TempDir())
			}
			code, _, stderr := runCmd(t, tt.vars, "", tt.args...)
			if code != tt.wantCode || !strings.Contains(stderr, tt.wantErr) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d and %q", code, stderr, tt.wantCode, tt.wantErr)
			}
			if strings.Contains(stderr, secret) {
				t.Errorf("stderr shows the secret:\n%s", stderr)
			}
		})
	}
}
