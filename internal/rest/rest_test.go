package rest

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
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
			if got := RetryAfter(tt.in, now); got != tt.want {
				t.Errorf("RetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

// TestRateLimitStorm answers every call 429 with a Retry-After that asks
// for no wait at all, or that is unusable: the client must still wait at
// least MinRetryWait, longer each time, and give up after MaxTries with
// the 429.
func TestRateLimitStorm(t *testing.T) {
	defer func(d time.Duration) { MinRetryWait = d }(MinRetryWait)
	MinRetryWait = 20 * time.Millisecond
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
			c := Caller{Pkg: "webhooks", BaseURL: srv.URL, APIKey: "k", MaxRetryWait: time.Minute}
			err := c.Do(context.Background(), "GET", "/webhooks", nil, nil)
			var apiErr *APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != 429 || apiErr.Method != "GET" || apiErr.Path != "/webhooks" {
				t.Fatalf("List = %v, want the 429 of GET /webhooks", err)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(times) != MaxTries {
				t.Fatalf("%d requests, want %d", len(times), MaxTries)
			}
			for i := 1; i < len(times); i++ {
				want := MinRetryWait << (i - 1)
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
	defer func(d time.Duration) { MinRetryWait = d }(MinRetryWait)
	MinRetryWait = 20 * time.Millisecond
	tests := []struct {
		name      string
		maxWait   time.Duration
		wantTries int
	}{
		{"zero", 0, 1},
		{"room for the first two waits", 60 * time.Millisecond, 3},
		{"room for all", time.Second, MaxTries},
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
			c := Caller{Pkg: "webhooks", BaseURL: srv.URL, APIKey: "k", MaxRetryWait: tt.maxWait}
			c.Do(context.Background(), "GET", "/webhooks", nil, nil)
			mu.Lock()
			defer mu.Unlock()
			if n != tt.wantTries {
				t.Errorf("%d requests, want %d", n, tt.wantTries)
			}
		})
	}
}
