// Package rest is the core that the clients of Daily's REST API share:
// bearer auth, JSON in and out, a typed *APIError, no redirects, and 429
// answers retried within bounds.
package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/dailywebhooks/events/internal/redact"
)

// ErrRedirect wraps the error of a call answered with a redirect. No
// client follows one: a redirect could send the API key elsewhere, or over
// plain HTTP.
var ErrRedirect = errors.New("daily api: redirect not followed")

// An APIError is an error answer of Daily's REST API. Its text never
// contains the API key.
type APIError struct {
	// Pkg is the client's package, which starts the error's text.
	Pkg string `json:"-"`
	// Method and Path are the call's: "GET" and "/webhooks", say.
	Method, Path string `json:"-"`
	// StatusCode is the HTTP status.
	StatusCode int `json:"-"`
	// Code is Daily's stable error code, such as "authentication-error",
	// or "" when the answer had none.
	Code string `json:"error"`
	// Info is Daily's human-readable reason, which may change.
	Info string `json:"info"`
}

// Error returns the call, the status, the code and the reason.
func (e *APIError) Error() string {
	msg := fmt.Sprintf("%s: %s %s: %d %s", e.Pkg, e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Code != "" {
		msg += ": " + e.Code
	}
	if e.Info != "" {
		msg += ": " + e.Info
	}
	return msg
}

// A Caller calls Daily's REST API.
type Caller struct {
	// Pkg is the client's package, for error texts.
	Pkg string
	// BaseURL is the API's base, such as https://api.daily.co/v1.
	BaseURL string
	// HTTPClient makes the calls; nil means http.DefaultClient. Its
	// redirects are never followed.
	HTTPClient *http.Client
	// MaxRetryWait bounds how long a call waits, in all, on 429 answers.
	// A call answered 429 is tried again after the answer's Retry-After,
	// and never sooner than MinRetryWait; without a usable Retry-After
	// (none, in the past, or out of range), after 1, 2, 4 and then 8
	// times MinRetryWait. It is tried MaxTries times at most.
	MaxRetryWait time.Duration
	// APIKey authenticates the calls.
	APIKey string
}

// Retries of 429 answers; see Caller.MaxRetryWait.
const (
	MaxTries       = 5
	maxRetryAfterS = 24 * 60 * 60 // a longer Retry-After is taken for garbage
)

// MinRetryWait is the shortest wait before a 429 is tried again; tests
// shorten it.
var MinRetryWait = time.Second

// Do makes one API call with a JSON body in and out, retrying 429 answers
// as MaxRetryWait says. It follows no redirect. An error answer is an
// *APIError.
func (c *Caller) Do(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	hc := noRedirects(c.HTTPClient)
	waited := time.Duration(0)
	for try := 1; ; try++ {
		req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, bytes.NewReader(body))
		if err != nil {
			return fmt.Errorf("%s: %s %s: %w", c.Pkg, method, path, err)
		}
		req.Header.Set("Authorization", "Bearer "+c.APIKey)
		req.Header.Set("Accept", "application/json")
		if in != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := hc.Do(req)
		if err != nil {
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err // its text has the whole URL
			}
			return fmt.Errorf("%s: %s %s: %w", c.Pkg, method, path, err)
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
		resp.Body.Close()
		if err != nil {
			return fmt.Errorf("%s: %s %s: reading the answer: %w", c.Pkg, method, path, err)
		}
		if resp.StatusCode >= 300 && resp.StatusCode <= 399 {
			return fmt.Errorf("%s: %s %s: answered %s, to %s: %w", c.Pkg, method, path, resp.Status, redact.URL(resp.Header.Get("Location")), ErrRedirect)
		}
		if resp.StatusCode == http.StatusTooManyRequests && try < MaxTries {
			wait := max(RetryAfter(resp.Header.Get("Retry-After"), time.Now()), MinRetryWait<<(try-1))
			if waited+wait <= c.MaxRetryWait {
				waited += wait
				if err := sleep(ctx, wait); err != nil {
					return err
				}
				continue
			}
		}
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			apiErr := &APIError{}
			json.Unmarshal(data, apiErr)
			apiErr.Pkg, apiErr.Method, apiErr.Path, apiErr.StatusCode = c.Pkg, method, path, resp.StatusCode
			return apiErr
		}
		if out != nil {
			if err := json.Unmarshal(data, out); err != nil {
				return fmt.Errorf("%s: %s %s: decoding the answer: %w", c.Pkg, method, path, err)
			}
		}
		return nil
	}
}

// noRedirects returns a copy of hc (http.DefaultClient when nil) that
// follows no redirect, and returns the 3xx answer instead.
func noRedirects(hc *http.Client) *http.Client {
	if hc == nil {
		hc = http.DefaultClient
	}
	c := *hc
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// sleep waits for d, or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// RetryAfter reads a Retry-After value, in seconds or as an HTTP date, at
// now. It returns 0, for "none given", when v is absent or unreadable, a
// date in the past, or a number of seconds that is negative or beyond a
// day, which no service means and whose Duration would overflow.
func RetryAfter(v string, now time.Time) time.Duration {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 || n > maxRetryAfterS {
			return 0
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 && d <= maxRetryAfterS*time.Second {
			return d
		}
	}
	return 0
}
