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
