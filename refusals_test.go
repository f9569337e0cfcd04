package events_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dailywebhooks/events"
)

// lockedBuffer is a bytes.Buffer for a logger written from timers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// summaries decodes the JSON lines of a RefusalSummary's log, and returns
// the lines and the counts of each reason over them.
func summaries(t *testing.T, log string) (int, map[string]int) {
	t.Helper()
	counts := map[string]int{}
	lines := 0
	for l := range strings.Lines(log) {
		var rec struct {
			Msg     string         `json:"msg"`
			Refused int            `json:"refused"`
			Reasons map[string]int `json:"reasons"`
		}
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		lines++
		sum := 0
		for r, n := range rec.Reasons {
			counts[r] += n
			sum += n
		}
		if sum != rec.Refused || rec.Msg != "events: requests refused" {
			t.Errorf("a summary line: %s", l)
		}
	}
	return lines, counts
}

// TestRefusalSummary sends a Handler 500 unsigned requests and 20 with a
// wrong signature, as a scan would: the log says so in a few lines, the
// first at once, with the counts by reason adding up to every refusal.
func TestRefusalSummary(t *testing.T) {
	var buf lockedBuffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&buf, nil)))
	defer slog.SetDefault(prev)
	rec := &recorder{}
	h := newTestHandler(t, rec, func(h *events.Handler) { h.OnError = nil })
	for i := range 520 {
		r := httptest.NewRequest("POST", "/hook", strings.NewReader(`{"type":"meeting.started"}`))
		if i >= 500 {
			r = signedRequest(t, []byte(`{}`), time.Now())
			r.Header.Set(events.HeaderSignature, "AAAA"+r.Header.Get(events.HeaderSignature)[4:])
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusUnauthorized {
			t.Fatalf("status %d", w.Code)
		}
	}
	if lines, _ := summaries(t, buf.String()); lines != 1 {
		t.Errorf("%d lines at once, want the first refusal's alone:\n%s", lines, buf.String())
	}
	var lines int
	var counts map[string]int
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if lines, counts = summaries(t, buf.String()); counts["missing_signature"]+counts["invalid_signature"] == 520 || time.Now().After(deadline) {
			break
		}
	}
	if lines > 3 || counts["missing_signature"] != 500 || counts["invalid_signature"] != 20 {
		t.Errorf("%d lines counting %v, want at most 3 lines counting 500 missing and 20 invalid signatures:\n%s", lines, counts, buf.String())
	}
}

// TestRefusalSummaryFlush checks the interval and Flush with errors of
// every reason.
func TestRefusalSummaryFlush(t *testing.T) {
	var buf lockedBuffer
	s := &events.RefusalSummary{Logger: slog.New(slog.NewJSONHandler(&buf, nil)), Interval: time.Hour}
	s.Add(413, events.ErrBodyTooLarge)
	s.Add(503, events.ErrBodyBudget)
	s.Add(401, errors.Join(events.ErrStaleTimestamp, errors.New("x")))
	s.Add(405, errors.New("events: method GET not allowed"))
	s.Add(405, errors.New("events: method PUT not allowed"))
	if lines, _ := summaries(t, buf.String()); lines != 1 {
		t.Fatalf("%d lines before Flush, want 1", lines)
	}
	s.Flush()
	s.Flush() // nothing more to say
	lines, counts := summaries(t, buf.String())
	want := map[string]int{"body_too_large": 1, "body_budget": 1, "stale_timestamp": 1, "method": 2}
	if lines != 2 || len(counts) != len(want) {
		t.Fatalf("%d lines counting %v, want 2 counting %v", lines, counts, want)
	}
	for r, n := range want {
		if counts[r] != n {
			t.Errorf("%s counted %d, want %d", r, counts[r], n)
		}
	}
}
