package events

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// A RefusalSummary logs the requests a receiver refused (unsigned,
// forged, stale, too large, …) in summary, so that a flood of them, a scan
// or an attack, cannot flood the log: the first refusal after a quiet
// second is logged at once, and those that follow are counted by reason
// and logged at most once a second while they last, each line with the
// counts since the last. Its zero value is ready to use; it is safe for
// concurrent use.
//
// The [Handler] and [PinlessHandler] log their refusals through one when
// they have no OnError; so does the inbox module's endpoint.
type RefusalSummary struct {
	// Logger receives the summaries, at level Warn. Nil means
	// slog.Default().
	Logger *slog.Logger
	// Interval is the least time between two lines. Zero means a second.
	Interval time.Duration

	mu      sync.Mutex
	counts  map[string]int
	last    time.Time   // when the last line was logged
	pending *time.Timer // the line to come, or nil
}

// Add counts a refusal answered status for err, and logs now or later.
func (s *RefusalSummary) Add(status int, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.counts == nil {
		s.counts = map[string]int{}
	}
	s.counts[refusalReason(status, err)]++
	if s.pending != nil {
		return
	}
	interval := s.Interval
	if interval <= 0 {
		interval = time.Second
	}
	if wait := interval - time.Since(s.last); wait > 0 {
		s.pending = time.AfterFunc(wait, s.Flush)
		return
	}
	s.flushLocked()
}

// Flush logs the refusals counted since the last line, if any: at a
// receiver's shutdown, so that none goes unsaid.
func (s *RefusalSummary) Flush() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flushLocked()
}

func (s *RefusalSummary) flushLocked() {
	if s.pending != nil {
		s.pending.Stop()
		s.pending = nil
	}
	if len(s.counts) == 0 {
		return
	}
	reasons := make([]string, 0, len(s.counts))
	total := 0
	for r, n := range s.counts {
		reasons = append(reasons, r)
		total += n
	}
	sort.Strings(reasons)
	attrs := make([]any, 0, len(reasons))
	for _, r := range reasons {
		attrs = append(attrs, slog.Int(r, s.counts[r]))
	}
	log := s.Logger
	if log == nil {
		log = slog.Default()
	}
	log.LogAttrs(context.Background(), slog.LevelWarn, "events: requests refused", slog.Int("refused", total), slog.Group("reasons", attrs...))
	clear(s.counts)
	s.last = time.Now()
}

// refusalReasons name the sentinel errors of a refusal, in the order they
// are tested.
var refusalReasons = []struct {
	err  error
	name string
}{
	{ErrBodyTooLarge, "body_too_large"},
	{ErrBodyBudget, "body_budget"},
	{ErrBodyRead, "body_read"},
	{ErrEmptyBody, "empty_body"},
	{ErrUnauthorized, "authorization"},
	{ErrMissingSignature, "missing_signature"},
	{ErrInvalidTimestamp, "invalid_timestamp"},
	{ErrStaleTimestamp, "stale_timestamp"},
	{ErrInvalidSignature, "invalid_signature"},
	{ErrVerificationRequest, "verification_request"},
}

// refusalReason returns a short name of why a request was refused.
func refusalReason(status int, err error) string {
	for _, r := range refusalReasons {
		if errors.Is(err, r.err) {
			return r.name
		}
	}
	if status == http.StatusMethodNotAllowed {
		return "method"
	}
	return "status_" + strings.ReplaceAll(http.StatusText(status), " ", "_")
}
