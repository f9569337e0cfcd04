package webhooks

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name, in string
		want     time.Duration
	}{
		{"absent", "", 0},
		{"zero", "0", 0},
		{"seconds", "7", 7 * time.Second},
		{"negative", "-5", 0},
		{"overflows a Duration", "18446744073", 0},
		{"beyond an int64", "99999999999999999999", 0},
		{"over a day", "86401", 0},
		{"a day", "86400", 24 * time.Hour},
		{"garbage", "soon", 0},
		{"date ahead", now.Add(30 * time.Second).Format(http.TimeFormat), 30 * time.Second},
		{"date in the past", now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"date far ahead", now.Add(1000 * time.Hour).Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := retryAfter(tt.in, now); got != tt.want {
				t.Errorf("retryAfter(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

// TestRateLimitStorm answers every call 429 with a Retry-After that asks
// for no wait at all, or that is unusable: the client must still wait at
// least minRetryWait, longer each time, and give up after maxTries with
// the 429.
func TestRateLimitStorm(t *testing.T) {
	defer func(d time.Duration) { minRetryWait = d }(minRetryWait)
	minRetryWait = 20 * time.Millisecond
	for _, ra := range []string{"", "0", "18446744073", "-1", "Mon, 02 Jan 2006 15:04:05 GMT", "x"} {
		t.Run("Retry-After "+ra, func(t *testing.T) {
			var mu sync.Mutex
			var times []time.Time
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				times = append(times, time.Now())
				mu.Unlock()
				if ra != "" {
					w.Header().Set("Retry-After", ra)
				}
				w.WriteHeader(http.StatusTooManyRequests)
				w.Write([]byte(`{"error":"rate-limit-error","info":"slow down"}`))
			}))
			defer srv.Close()
			c := NewClient("k")
			c.BaseURL = srv.URL
			_, err := c.List(context.Background())
			var apiErr *APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != 429 || apiErr.Method != "GET" || apiErr.Path != "/webhooks" {
				t.Fatalf("List = %v, want the 429 of GET /webhooks", err)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(times) != maxTries {
				t.Fatalf("%d requests, want %d", len(times), maxTries)
			}
			for i := 1; i < len(times); i++ {
				want := minRetryWait << (i - 1)
				if gap := times[i].Sub(times[i-1]); gap < want {
					t.Errorf("try %d came %v after the one before, want at least %v", i+1, gap, want)
				}
			}
		})
	}
}

// TestRateLimitWithinMaxRetryWait checks that the waits, minimum
// included, count toward MaxRetryWait, and that zero tries no call again.
func TestRateLimitWithinMaxRetryWait(t *testing.T) {
	defer func(d time.Duration) { minRetryWait = d }(minRetryWait)
	minRetryWait = 20 * time.Millisecond
	tests := []struct {
		name      string
		maxWait   time.Duration
		wantTries int
	}{
		{"zero", 0, 1},
		{"room for the first two waits", 60 * time.Millisecond, 3},
		{"room for all", time.Second, maxTries},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			n := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				n++
				mu.Unlock()
				w.Header().Set("Retry-After", "0")
				w.WriteHeader(http.StatusTooManyRequests)
			}))
			defer srv.Close()
			c := NewClient("k")
			c.BaseURL, c.MaxRetryWait = srv.URL, tt.maxWait
			c.List(context.Background())
			mu.Lock()
			defer mu.Unlock()
			if n != tt.wantTries {
				t.Errorf("%d requests, want %d", n, tt.wantTries)
			}
		})
	}
}

// TestNoRedirects answers with each kind of redirect, to a server that
// would accept the call over plain HTTP: the client must follow none,
// send the key nowhere else, and say where it was sent, redacted.
func TestNoRedirects(t *testing.T) {
	const key = "sk-do-not-leak"
	var mu sync.Mutex
	leaked := 0
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		leaked++
		mu.Unlock()
		w.Write([]byte(`{"data":[]}`))
	}))
	defer other.Close()
	for _, status := range []int{301, 302, 303, 307, 308} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, strings.Replace(other.URL, "http://", "http://u:pw@", 1)+"/v1/webhooks?token=T0K", status)
			}))
			defer srv.Close()
			c := NewClient(key)
			c.BaseURL = srv.URL
			_, err := c.List(context.Background())
			if !errors.Is(err, ErrRedirect) {
				t.Fatalf("List = %v, want ErrRedirect", err)
			}
			for _, s := range []string{key, "pw", "T0K"} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("the error %q shows %q", err, s)
				}
			}
			if !strings.Contains(err.Error(), "GET /webhooks") || !strings.Contains(err.Error(), other.Listener.Addr().String()) {
				t.Errorf("the error %q does not name the call and where it was sent", err)
			}
		})
	}
	if leaked != 0 {
		t.Errorf("the redirect's target got %d calls", leaked)
	}
}

func TestKeepActiveInterval(t *testing.T) {
	c := NewClient("k")
	for _, d := range []time.Duration{0, -time.Second} {
		if err := c.KeepActive(context.Background(), "", d, nil); !errors.Is(err, ErrInterval) {
			t.Errorf("KeepActive(interval %v) = %v, want ErrInterval", d, err)
		}
	}
}
