package redact

import (
	"strings"
	"testing"
)

func TestURL(t *testing.T) {
	tests := []struct {
		name, in, want string
		secrets        []string // must not appear in the result
	}{
		{"plain", "http://localhost:3000/daily", "http://localhost:3000/daily", nil},
		{"password and query", "http://appuser:AppPassw0rd@127.0.0.1:3000/daily?token=QSTOKEN", "http://appuser:[redacted]@127.0.0.1:3000/daily?[redacted]", []string{"AppPassw0rd", "QSTOKEN", "token"}},
		{"user without password", "https://bot@example.com/x", "https://bot@example.com/x", nil},
		{"fragment", "https://example.com/x#secret-frag", "https://example.com/x", []string{"secret-frag"}},
		{"empty query", "https://example.com/x?", "https://example.com/x?[redacted]", nil},
		{"relative location with query", "/login?next=%2Fdaily&sid=S3SS", "/login?[redacted]", []string{"S3SS"}},
		{"unparseable", "http://a b:c@d/%zz", "[redacted]", []string{"c@d"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := URL(tt.in)
			if got != tt.want {
				t.Errorf("URL(%q) = %q, want %q", tt.in, got, tt.want)
			}
			for _, s := range tt.secrets {
				if strings.Contains(got, s) {
					t.Errorf("URL(%q) = %q shows %q", tt.in, got, s)
				}
			}
		})
	}
}

func TestSecret(t *testing.T) {
	if got := Secret(true); got != Mark {
		t.Errorf("Secret(true) = %q, want %q", got, Mark)
	}
	if got := Secret(false); got != `""` {
		t.Errorf("Secret(false) = %q, want \"\"", got)
	}
	if got := List(2); got != "[2 redacted]" {
		t.Errorf("List(2) = %q", got)
	}
}
