package events_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/eventstest"
)

// TestBodyBudget holds slow signed uploads, each declaring 1 MiB, open
// against a Handler until its budget is spent: the next one is answered
// 503 with Retry-After, the budget is never exceeded, a small authentic
// delivery sent meanwhile is answered 200 from the reserve, and once the
// uploads end the budget is whole again.
func TestBodyBudget(t *testing.T) {
	// Room for 16 initial buffers of 64 KiB and a byte, exactly: without
	// the reserve, the uploads would leave no byte for the delivery.
	budget := events.NewBodyBudget(16 * (64<<10 + 1))
	v, err := events.NewVerifier(events.VerifierConfig{Secrets: []string{kaSecret}, BodyBudget: budget})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	srv := httptest.NewServer(&events.Handler{Verifier: v, Handle: rec.handle, OnError: rec.onError})
	defer srv.Close()

	type answer struct {
		status     int
		retryAfter string
	}
	answers := make(chan answer, 64)
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	ts, sig, _ := eventstest.Signer{Secret: kaSecret}.Sign([]byte("{}"))
	head := fmt.Sprintf("POST /hook HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s: %s\r\n%s: %s\r\n\r\n",
		1<<20, events.HeaderTimestamp, ts, events.HeaderSignature, sig)
	for range 20 {
		c, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		c.SetDeadline(time.Now().Add(30 * time.Second))
		// 60 KiB, then nothing: a slow upload that holds its buffer.
		if _, err := io.WriteString(c, head+string(bytes.Repeat([]byte("x"), 60<<10))); err != nil {
			t.Fatal(err)
		}
		go func() {
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				return // closed by the test
			}
			resp.Body.Close()
			answers <- answer{resp.StatusCode, resp.Header.Get("Retry-After")}
		}()
		if budget.InUse() > budget.Total() {
			t.Fatalf("the budget holds %d bytes, over its %d", budget.InUse(), budget.Total())
		}
	}
	select {
	case a := <-answers:
		if a.status != 503 || a.retryAfter == "" {
			t.Errorf("an upload over the budget was answered %d, Retry-After %q; want 503 with Retry-After", a.status, a.retryAfter)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no upload was refused: 20 buffers of 64 KiB cannot fit a budget of 16")
	}
	sample, _ := eventstest.Sample(events.TypeParticipantJoined)
	r, _ := eventstest.Signer{Secret: kaSecret}.NewRequest(srv.URL+"/hook", sample)
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("a small authentic delivery during the uploads = %d, want 200", resp.StatusCode)
	}
	refused := 0
	rec.mu.Lock()
	for _, err := range rec.errs {
		if errors.Is(err, events.ErrBodyBudget) {
			refused++
		}
	}
	rec.mu.Unlock()
	if refused == 0 {
		t.Error("OnError saw no ErrBodyBudget")
	}
	for _, c := range conns {
		c.Close()
	}
	for deadline := time.Now().Add(10 * time.Second); budget.InUse() != 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the budget holds %d bytes after every upload ended, want 0", budget.InUse())
		}
	}
}

func TestBodyBudgetReserve(t *testing.T) {
	if got := events.SharedBodyBudget(); got != events.SharedBodyBudget() || got.Total() != events.DefaultBodyBudget {
		t.Errorf("SharedBodyBudget is not one budget of DefaultBodyBudget bytes")
	}
	defer func() {
		if recover() == nil {
			t.Error("NewBodyBudget(1) did not panic")
		}
	}()
	events.NewBodyBudget(1)
}
