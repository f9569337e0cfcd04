package inbox_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dailywebhooks/events/eventstest"
	"github.com/dailywebhooks/events/inbox"
	"github.com/dailywebhooks/events/inbox/sqlite"
	"github.com/dailywebhooks/events/pipecat"
)

// TestPipecatInbox receives Pipecat Cloud's deliveries into an inbox that
// serves that hook alone: each message is stored once, however re-signed,
// under either header family; a test event is answered 200 and never
// stored; each event reaches HandlePipecat with its message id; a failure
// is retried, a panic too, as an *events.PanicError; Daily's endpoint
// answers 404.
func TestPipecatInbox(t *testing.T) {
	secret := eventstest.NewPipecatSecret()
	v, err := pipecat.NewVerifier(pipecat.VerifierConfig{Secrets: []string{secret}})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[string][]string{} // message id → event types handled
	done := make(chan struct{}, 16)
	cfg := inbox.Config{Pipecat: v, RetryPolicy: quickRetry{}, MaxAttempts: 3, Logger: testLogger(t),
		HandlePipecat: func(ctx context.Context, ev pipecat.Event) error {
			id := inbox.PipecatMessageID(ctx)
			if id == "msg_panics" && inbox.Attempt(ctx) == 1 {
				panic("the app panicked")
			}
			if id == "msg_fails" && inbox.Attempt(ctx) == 1 {
				return errors.New("the app is down")
			}
			mu.Lock()
			seen[id] = append(seen[id], ev.EventType())
			mu.Unlock()
			done <- struct{}{}
			return nil
		}}
	in, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "pc.db"), cfg)
	if err != nil {
		t.Fatal(err)
	}
	must(t, in.Start(context.Background()))
	defer stop(t, in)
	h := in.Pipecat()
	send := func(s eventstest.PipecatSigner, typ string) int {
		body, _ := eventstest.PipecatSample(typ)
		r, err := s.NewRequest("/pipecat", body)
		if err != nil {
			t.Fatal(err)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	now := time.Now()
	for _, tt := range []struct {
		s    eventstest.PipecatSigner
		typ  string
		want int
	}{
		{eventstest.PipecatSigner{Secret: secret, ID: "msg_1", Time: now}, pipecat.TypeBuildSucceeded, 200},
		{eventstest.PipecatSigner{Secret: secret, ID: "msg_1", Time: now.Add(time.Minute), Svix: true}, pipecat.TypeBuildSucceeded, 200},
		{eventstest.PipecatSigner{Secret: secret, ID: "msg_2", Svix: true}, pipecat.TypeSessionStarted, 200},
		{eventstest.PipecatSigner{Secret: secret, ID: "msg_fails"}, pipecat.TypeSpendLimitReached, 200},
		{eventstest.PipecatSigner{Secret: secret, ID: "msg_panics"}, pipecat.TypeSecretUpdated, 200},
		{eventstest.PipecatSigner{Secret: secret, ID: "msg_test", Test: true}, pipecat.TypeServiceSuspended, 200},
		{eventstest.PipecatSigner{Secret: eventstest.NewPipecatSecret(), ID: "msg_forged"}, pipecat.TypeBuildFailed, 401},
		{eventstest.PipecatSigner{Secret: secret, ID: "msg_stale", Time: now.Add(-10 * time.Minute)}, pipecat.TypeBuildFailed, 401},
	} {
		if got := send(tt.s, tt.typ); got != tt.want {
			t.Errorf("%s %+v: status %d, want %d", tt.typ, tt.s.ID, got, tt.want)
		}
	}
	for range 4 {
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatalf("not every message was handled: %v", seen)
		}
	}
	handled := waitList(t, in, inbox.Filter{States: []inbox.State{inbox.StateHandled}}, 4)
	mu.Lock()
	defer mu.Unlock()
	for id, typ := range map[string]string{"msg_1": pipecat.TypeBuildSucceeded, "msg_2": pipecat.TypeSessionStarted, "msg_fails": pipecat.TypeSpendLimitReached, "msg_panics": pipecat.TypeSecretUpdated} {
		if len(seen[id]) != 1 || seen[id][0] != typ {
			t.Errorf("%s handled as %v, want once as %s", id, seen[id], typ)
		}
	}
	for _, e := range handled {
		if e.Delivery.Source != inbox.SourcePipecat || e.Delivery.ID == "" || e.Delivery.Type == "" {
			t.Errorf("a stored delivery reads %+v", e.Delivery)
		}
		if e.Delivery.ID == "msg_panics" && (len(e.Errors) != 1 || !containsAll(e.Errors[0].Error, "Handle panicked", "the app panicked")) {
			t.Errorf("the panic's attempt error: %+v", e.Errors)
		}
	}
	if got, _ := in.List(context.Background(), inbox.Filter{IDs: []string{"msg_test"}}); len(got) != 0 {
		t.Error("a test event was stored")
	}
	w := httptest.NewRecorder()
	r, _ := eventstest.Signer{Secret: "c2VjcmV0"}.NewRequest("/daily", []byte(`{}`))
	in.ServeHTTP(w, r)
	if w.Code != 404 {
		t.Errorf("Daily's endpoint of a Pipecat-only inbox = %d, want 404", w.Code)
	}
}

// TestPipecatConfig: each hook's pair goes together, and one is needed.
func TestPipecatConfig(t *testing.T) {
	v, _ := pipecat.NewVerifier(pipecat.VerifierConfig{Secrets: []string{eventstest.NewPipecatSecret()}})
	for _, cfg := range []inbox.Config{
		{},
		{Pipecat: v},
		{HandlePipecat: func(context.Context, pipecat.Event) error { return nil }},
		{Pipecat: v, HandlePipecat: func(context.Context, pipecat.Event) error { return nil }, Handle: nopHandle},
	} {
		_, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "c.db"), cfg)
		if !errors.Is(err, inbox.ErrConfig) {
			t.Errorf("Open(%+v) = %v, want ErrConfig", cfg, err)
		}
	}
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
