// Package redact writes secrets and credentials-bearing URLs in a form
// safe for logs, error texts and stored errors. It is the one redaction
// helper of the module and of the commands built on it.
package redact

import (
	"fmt"
	"net/url"
	"strings"
)

// Mark stands for a secret that is set.
const Mark = "[redacted]"

// Secret stands for a secret value: Mark when it is set, "" quoted when
// it is not, so that a reader can tell a missing secret from a hidden one.
func Secret(set bool) string {
	if set {
		return Mark
	}
	return `""`
}

// List stands for a list of n secrets.
func List(n int) string {
	return fmt.Sprintf("[%d redacted]", n)
}

// URL returns raw with its password replaced by Mark and its query and
// fragment removed, since either may carry a token. A raw that does not
// parse as a URL is replaced whole by Mark, as it may be anything.
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return Mark
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "REDACTED")
		}
	}
	hadQuery := u.RawQuery != "" || u.ForceQuery
	u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = "", false, "", ""
	s := u.String()
	if u.User != nil {
		// url.URL escapes the brackets of Mark; write it plainly.
		s = strings.Replace(s, ":REDACTED@", ":"+Mark+"@", 1)
	}
	if hadQuery {
		s += "?" + Mark
	}
	return s
}
