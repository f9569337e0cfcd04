package pipecat

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"github.com/dailywebhooks/events"
)

// DedupTTL is how long a Handler's own store remembers a handled message
// id: 24 hours, as Pipecat Cloud's sample does. A delivery re-sent by hand
// later than that is handled again, so handle events idempotently.
const DedupTTL = 24 * time.Hour

// A Handler is an http.Handler that receives Pipecat Cloud's deliveries:
// it verifies each one, parses it, and hands its event to Handle once per
// message id. Build one with [NewHandler]. It answers:
//
//	status  when
//	200     Handle returned nil; or the message id was handled before
//	        (a retry, with a new timestamp and signature), without
//	        calling Handle again; or a test delivery (Webhook-Test: true),
//	        which reaches Handle only with HandleTests
//	400     an authentic body that Parse rejects, empty and null included
//	401     a missing, stale (either way) or wrong signature
//	405     any method but POST
//	409     another request is handling the same message id
//	413     a body over the Verifier's MaxBodyBytes, declared or sent
//	500     Handle failed or panicked: the message id is not remembered,
//	        so Pipecat Cloud's retry calls Handle again
//	503     the body budget is spent, or the Dedup store failed
//
// An event of a type this version does not know reaches Handle as
// *Unknown, and is answered 200 even when Handle fails.
type Handler struct {
	// Verifier checks the signatures. Required.
	Verifier *Verifier
	// Handle is called with each event. Required.
	Handle func(ctx context.Context, ev Event) error
	// Dedup remembers the message ids handled. Nil means a store in
	// memory that remembers them for DedupTTL, bounded to
	// events.DefaultDedupCapacity ids; several replicas need one they
	// share.
	Dedup events.DedupStore
	// HandleTests hands test deliveries to Handle too; IsTest tells them.
	// By default they are verified, parsed and answered 200, and never
	// reach Handle: a test service.suspended must not page anyone.
	HandleTests bool
	// OnError is told of every request refused and every failure of
	// Handle. Nil means they are logged with slog.Default(): refusals in
	// summary (events.RefusalSummary), failures at level Error.
	OnError func(r *http.Request, err error)

	once     sync.Once
	dedup    events.DedupStore
	refusals events.RefusalSummary
}

// NewHandler returns a Handler that verifies deliveries with v and hands
// their events to fn. It returns an error wrapping events.ErrMisconfigured
// when either is nil, so that a receiver without them fails at start-up.
func NewHandler(v *Verifier, fn func(ctx context.Context, ev Event) error) (*Handler, error) {
	if v == nil || fn == nil {
		return nil, fmt.Errorf("%w: a Handler needs a Verifier and a function", events.ErrMisconfigured)
	}
	return &Handler{Verifier: v, Handle: fn}, nil
}

// testKey is the context key that marks a test delivery.
type testKey struct{}

// IsTest reports whether ctx is that of a test delivery, one sent by the
// dashboard's "send test event" (Webhook-Test: true), as a Handler with
// HandleTests passes it to Handle. Take no consequential action on one.
func IsTest(ctx context.Context) bool {
	test, _ := ctx.Value(testKey{}).(bool)
	return test
}

// headersKey is the context key of a delivery's signature headers.
type headersKey struct{}

// HeadersFrom returns the signature headers of the delivery whose context
// ctx is, as a Handler passes it to Handle: its message id, and whether
// the svix- names carried them.
func HeadersFrom(ctx context.Context) (Headers, bool) {
	h, ok := ctx.Value(headersKey{}).(Headers)
	return h, ok
}

// ServeHTTP receives one delivery; see [Handler] for the statuses.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.once.Do(func() {
		h.dedup = h.Dedup
		if h.dedup == nil {
			h.dedup = &events.MemoryDedup{TTL: DedupTTL}
		}
	})
	if h.Verifier == nil || h.Handle == nil {
		h.fail(w, r, http.StatusInternalServerError, fmt.Errorf("%w: a Handler needs a Verifier and a Handle function", events.ErrMisconfigured))
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.refuse(w, r, http.StatusMethodNotAllowed, fmt.Errorf("pipecat: method %s not allowed", r.Method))
		return
	}
	body, hdr, err := h.Verifier.VerifyRequest(r)
	if err != nil {
		h.refuse(w, r, events.RequestStatus(err, true), err) // the root receivers' statuses
		return
	}
	ev, err := Parse(body)
	if err != nil {
		h.fail(w, r, http.StatusBadRequest, fmt.Errorf("pipecat: message %s: %w", hdr.ID, err))
		return
	}
	test := r.Header.Get(HeaderTest) == "true"
	if test && !h.HandleTests {
		w.WriteHeader(http.StatusOK)
		return
	}
	ctx := context.WithValue(context.WithValue(r.Context(), headersKey{}, hdr), testKey{}, test)
	h.deliver(w, r.WithContext(ctx), ev, hdr.ID)
}

// deliver hands ev, of message id, to Handle unless it was handled or is
// being handled, and answers.
func (h *Handler) deliver(w http.ResponseWriter, r *http.Request, ev Event, id string) {
	ctx := r.Context()
	state, err := h.claim(ctx, id)
	switch {
	case err != nil:
		h.fail(w, r, http.StatusServiceUnavailable, fmt.Errorf("pipecat: claiming message %s: %w", id, err))
		return
	case state == events.ClaimHandled:
		w.WriteHeader(http.StatusOK)
		return
	case state == events.ClaimInProgress:
		h.fail(w, r, http.StatusConflict, fmt.Errorf("pipecat: message %s: %w", id, events.ErrInProgress))
		return
	}
	err = call(ctx, h.Handle, ev)
	end := h.dedup.Release
	if err == nil {
		end = h.dedup.Done
	}
	if cerr := end(context.WithoutCancel(ctx), id); cerr != nil {
		h.report(r, fmt.Errorf("pipecat: ending the claim of message %s: %w", id, cerr))
	}
	if err == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	if pe, ok := err.(*events.PanicError); ok && pe.Value == http.ErrAbortHandler {
		panic(http.ErrAbortHandler)
	}
	status := http.StatusInternalServerError
	if _, unknown := ev.(*Unknown); unknown {
		status = http.StatusOK // never fail on what is new
	}
	h.fail(w, r, status, fmt.Errorf("pipecat: handling %s message %s: %w", ev.EventType(), id, err))
}

// claim takes id, waiting while another request holds it, for at most
// events.DefaultInProgressWait and no longer than ctx lives.
func (h *Handler) claim(ctx context.Context, id string) (events.ClaimState, error) {
	deadline := time.Now().Add(events.DefaultInProgressWait)
	for pause := 2 * time.Millisecond; ; pause = min(2*pause, 50*time.Millisecond) {
		state, err := h.dedup.Claim(ctx, id)
		if err != nil || state != events.ClaimInProgress || time.Now().After(deadline) {
			return state, err
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return events.ClaimInProgress, nil
		case <-t.C:
		}
	}
}

// call runs fn, turning a panic into an *events.PanicError.
func call(ctx context.Context, fn func(context.Context, Event) error, ev Event) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &events.PanicError{Value: p, Stack: debug.Stack()}
		}
	}()
	return fn(ctx, ev)
}

// refuse answers a request that is no authentic delivery, and closes the
// connection, since its body may be unread.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, status int, err error) {
	if h.OnError != nil {
		h.OnError(r, err)
	} else {
		h.refusals.Add(status, err)
	}
	w.Header().Set("Connection", "close")
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	http.Error(w, http.StatusText(status), status)
}

// fail reports err and answers status.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, status int, err error) {
	h.report(r, err)
	if status == http.StatusOK {
		w.WriteHeader(status)
		return
	}
	http.Error(w, http.StatusText(status), status)
}

// report gives err to OnError, or logs it.
func (h *Handler) report(r *http.Request, err error) {
	if h.OnError != nil {
		h.OnError(r, err)
		return
	}
	slog.Default().LogAttrs(r.Context(), slog.LevelError, "pipecat: delivery not handled", slog.Any("err", err), slog.String("remote", r.RemoteAddr))
}

var _ http.Handler = (*Handler)(nil)
