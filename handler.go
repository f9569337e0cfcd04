package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync"
	"time"
)

// Errors a [Handler] reports to OnError.
var (
	// ErrMisconfigured is reported by a [Handler] without a Verifier or a
	// Handle function, or with a HandleErrorStatus that is neither 200 nor
	// a 4xx or 5xx status. It answers every delivery with 500 rather than
	// skip verification or drop events silently.
	ErrMisconfigured = errors.New("events: handler misconfigured")
	// ErrHandlerPanic is wrapped by the *[PanicError] reported when Handle
	// panicked.
	ErrHandlerPanic = errors.New("events: Handle panicked")
	// ErrReplay is reported for a delivery whose exact signed request was
	// handled successfully before: a retry after a lost answer, or a
	// replay of a captured request. It was answered 200 and not handed to
	// Handle again.
	ErrReplay = errors.New("events: delivery seen before")
	// ErrDuplicate is reported for a delivery whose event ID the Dedup
	// store has as handled. It was answered 200 and not handed to Handle.
	ErrDuplicate = errors.New("events: event already handled")
	// ErrInProgress is reported for a delivery whose event another request
	// was still handling after InProgressWait. It was answered 409, so
	// that it is retried.
	ErrInProgress = errors.New("events: event is being handled by another request")
	// ErrBodyRead means that the request body could not be read: the
	// client went away or sent a malformed body.
	ErrBodyRead = errors.New("events: reading the request body")
)

// A PanicError is a panic in Handle, recovered by a [Handler]. It wraps
// [ErrHandlerPanic], and the panic value too when that is an error.
type PanicError struct {
	// Value is the value Handle panicked with.
	Value any
	// Stack is the stack of the goroutine where Handle panicked.
	Stack []byte
}

// Error returns the panic value and the stack.
func (e *PanicError) Error() string {
	return fmt.Sprintf("events: Handle panicked: %v\n\n%s", e.Value, e.Stack)
}

// Unwrap returns [ErrHandlerPanic], and the panic value when it is an error.
func (e *PanicError) Unwrap() []error {
	if err, ok := e.Value.(error); ok {
		return []error{ErrHandlerPanic, err}
	}
	return []error{ErrHandlerPanic}
}

// Defaults of [Handler].
const (
	// DefaultInProgressWait is how long a delivery waits by default for
	// another request handling the same event to finish.
	DefaultInProgressWait = 5 * time.Second
	// DefaultReplayCapacity is how many signed requests a Handler
	// remembers by default to refuse replays.
	DefaultReplayCapacity = 100_000
)

// A Handler is an [http.Handler] that receives Daily's deliveries: it
// verifies each one, parses it and hands the event to Handle. Its statuses
// are chosen for Daily's circuit breaker, which switches a webhook off after
// three failed deliveries in a row and then stops every event:
//
//	status  when
//	200     Handle returned nil
//	200     the verification request {"test":"test"}; it never reaches Handle
//	200     an authentic delivery that does not parse or has an unsupported
//	        version; reported to OnError, not to Handle
//	200     an *Unknown event, even if Handle fails for it; the failure is
//	        reported to OnError
//	200     a delivery whose event was handled successfully before: the same
//	        signed request again (ErrReplay) or, with Dedup set, the same
//	        event ID (ErrDuplicate); it never reaches Handle
//	400     the body could not be read (ErrBodyRead), or a signed request
//	        has none, as when a middleware read it first (ErrEmptyBody)
//	401     a missing or wrong signature, a stale timestamp, or a missing
//	        or wrong Authorization header
//	405     any method but POST
//	409     the same signed request or, with Dedup set, the same event ID
//	        is being handled by another request that did not finish within
//	        InProgressWait (ErrInProgress); a retry is handled normally
//	413     a body longer than the verifier's MaxBodyBytes; one declared by
//	        Content-Length is refused before any of it is read
//	500     Handle returned an error or panicked (change it with
//	        HandleErrorStatus)
//	500     a misconfiguration (ErrMisconfigured)
//	503     the Dedup store failed
//
// Only authentication failures are refused: an authentic delivery that this
// version of the package cannot decode is acknowledged, because refusing it
// would trip the breaker and stop the events it can decode too.
//
// # At most once, never lost
//
// A delivery that arrives again while its first attempt is still running
// waits for that attempt, up to InProgressWait. If the attempt succeeds, the
// repeat is answered 200 without calling Handle; if it fails or panics, the
// repeat takes its place and calls Handle itself. An event is remembered as
// handled only once Handle returned nil for it, so a failed attempt never
// hides a retry. This holds for repeats of the same signed request, which
// are recognised by default (see AllowReplays), and, with Dedup set, for
// any delivery with the same event ID.
//
// # Server timeouts
//
// Serve a Handler from an [http.Server] with ReadHeaderTimeout,
// ReadTimeout, WriteTimeout and IdleTimeout set: without them a client
// that sends its body one byte a second holds a connection and a goroutine
// for as long as it likes. Daily wants an answer within a few seconds
// anyway, so limits of a few tens of seconds lose nothing.
//
// Handle runs before the response is written, so Daily waits for it. Slow
// work belongs in a queue that Handle feeds.
//
// A Handler's fields must not change once it has served a request, and a
// Handler must not be copied then.
type Handler struct {
	// Verifier checks each delivery. Required.
	Verifier *Verifier
	// Parser parses authentic deliveries; the zero Parser applies the
	// default version policy.
	Parser Parser
	// Handle receives each authentic event, with the request's context.
	// Required. A *Mux's Handle method fits here. A panic in Handle is
	// recovered and counts as a failure (a *PanicError), except a panic
	// with http.ErrAbortHandler, which aborts the response as net/http
	// does.
	Handle func(ctx context.Context, ev Event) error
	// OnError is told of every delivery that was not handed to Handle or
	// that Handle failed: authentication failures, oversized bodies,
	// parse errors, version errors, replays, duplicates, Handle's errors
	// and panics. The error text holds no secret and no signature. Nil
	// means that they are logged with slog.Default(): refused requests at
	// level Warn in summary, a line a second at most with their counts by
	// reason (see [RefusalSummary]), authentic deliveries that were not handled at level
	// Error, replays and duplicates at level Info, with the event's type
	// and ID where known and never its body.
	OnError func(r *http.Request, err error)
	// HandleErrorStatus is the status sent when Handle returns an error or
	// panics. Zero means 500, which tells Daily to count a failure (and,
	// with the exponential retry policy, to try again); set http.StatusOK
	// to acknowledge anyway and keep the circuit breaker closed. Any other
	// value must be a 4xx or 5xx status, or the Handler is misconfigured.
	HandleErrorStatus int
	// StrictVerificationRequest requires the verification request
	// {"test":"test"} to be signed like any delivery. By default it is
	// answered with 200 whatever its signature: it carries no data and
	// never reaches Handle, and when Daily generates the webhook's secret
	// itself it sends this request before the receiver can know the
	// secret, so refusing it would make creating the webhook fail. Every
	// other body is always verified.
	StrictVerificationRequest bool
	// Dedup, when set, hands each event ID to Handle once: a delivery
	// whose ID was handled successfully is answered 200 without calling
	// Handle. Nil means deliveries are told apart by their signed request
	// only (see AllowReplays). Events without an ID are never suppressed.
	Dedup DedupStore
	// InProgressWait is how long a delivery waits for another request
	// handling the same event before it is answered 409. Zero means
	// DefaultInProgressWait. The wait also ends when the client goes away.
	InProgressWait time.Duration
	// AllowReplays turns off the replay check. By default a Handler
	// remembers the signed requests it handled successfully for twice the
	// verifier's tolerance (one hour when its timestamp check is off) and
	// answers a repeat 200 without calling Handle; a repeat of a request
	// whose handling failed is handled again, as a retry. It remembers
	// ReplayCapacity requests at most, about 110 bytes each, and forgets
	// the oldest first.
	AllowReplays bool
	// ReplayCapacity bounds the signed requests remembered by the replay
	// check. Zero means DefaultReplayCapacity.
	ReplayCapacity int

	once  sync.Once
	setup *handlerSetup
}

// NewHandler returns a Handler that verifies deliveries with v and hands
// their events to handle. It returns an error wrapping [ErrMisconfigured]
// when either is nil, so that a receiver without them fails at start-up
// instead of answering Daily 500 until the webhook is switched off. Set any
// other field before the Handler serves; a Handler built as a struct
// literal works too, and reports a misconfiguration at its first request.
func NewHandler(v *Verifier, handle func(ctx context.Context, ev Event) error) (*Handler, error) {
	switch {
	case v == nil:
		return nil, fmt.Errorf("%w: no Verifier", ErrMisconfigured)
	case handle == nil:
		return nil, fmt.Errorf("%w: no Handle function", ErrMisconfigured)
	}
	return &Handler{Verifier: v, Handle: handle}, nil
}

// handlerSetup is what a Handler derives from its fields on first use.
type handlerSetup struct {
	err      error        // why the Handler is misconfigured, or nil
	replay   *MemoryDedup // signed requests seen; nil with AllowReplays
	refusals RefusalSummary
}

// init checks h's fields and builds what it derives from them, once.
func (h *Handler) init() *handlerSetup {
	h.once.Do(func() {
		s := &handlerSetup{}
		switch st := h.HandleErrorStatus; {
		case h.Verifier == nil:
			s.err = fmt.Errorf("%w: no Verifier", ErrMisconfigured)
		case h.Handle == nil:
			s.err = fmt.Errorf("%w: no Handle function", ErrMisconfigured)
		case st != 0 && st != http.StatusOK && (st < 400 || st > 599):
			s.err = fmt.Errorf("%w: HandleErrorStatus %d is neither 200 nor a 4xx or 5xx status", ErrMisconfigured, st)
		}
		if s.err == nil && !h.AllowReplays {
			ttl := DefaultDedupTTL
			if h.Verifier.checkTimestamp {
				ttl = 2 * h.Verifier.tolerance
			}
			capacity := h.ReplayCapacity
			if capacity <= 0 {
				capacity = DefaultReplayCapacity
			}
			s.replay = &MemoryDedup{TTL: ttl, Capacity: capacity, Now: h.Verifier.now}
		}
		h.setup = s
	})
	return h.setup
}

// ServeHTTP handles one delivery; see [Handler] for the statuses.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, func(body []byte) (delivery, int) {
		ev, err := h.Parser.Parse(body)
		if err != nil {
			h.report(r, slog.LevelError, err, nil)
			return nil, http.StatusOK
		}
		return eventDelivery{ev, h.Handle}, 0
	})
}

// serve verifies r, has parse make the delivery of an authentic body, or
// say the status to answer without one, and delivers it.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, parse func(body []byte) (delivery, int)) {
	setup := h.init()
	if setup.err != nil {
		h.report(r, slog.LevelError, setup.err, nil)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	body, res, ok := h.Verifier.Receive(w, r, h.StrictVerificationRequest, func(status int, err error) {
		if h.OnError != nil {
			h.OnError(r, err)
			return
		}
		setup.refusals.Add(status, err)
	})
	if !ok {
		return
	}
	d, status := parse(body)
	if d == nil {
		if status == http.StatusOK {
			w.WriteHeader(status)
		} else {
			http.Error(w, http.StatusText(status), status)
		}
		return
	}
	sig, _ := h.Verifier.SignatureHeaders(r)
	h.deliver(w, r.WithContext(context.WithValue(r.Context(), verificationKey{}, res)), setup, d, sig)
}

// A delivery is what a Handler hands over once it verified and parsed a
// request: an event, or a pinless dial-in call.
type delivery interface {
	// key is what Dedup knows the delivery by, or "" for none.
	key() string
	// name is the delivery in errors: its type and ID.
	name() string
	// attrs are what the log says of it, and none of its personal fields.
	attrs() []slog.Attr
	// handle hands it to the user's function.
	handle(ctx context.Context) error
	// ackFailure reports whether a failure is answered 200 all the same.
	ackFailure() bool
}

// eventDelivery is an event, for Handle.
type eventDelivery struct {
	ev Event
	fn func(ctx context.Context, ev Event) error
}

func (d eventDelivery) key() string { return d.ev.Meta().ID }
func (d eventDelivery) name() string {
	return string(d.ev.Meta().Type) + " " + d.ev.Meta().ID
}
func (d eventDelivery) attrs() []slog.Attr {
	return []slog.Attr{slog.String("type", string(d.ev.Meta().Type)), slog.String("id", d.ev.Meta().ID)}
}
func (d eventDelivery) handle(ctx context.Context) error { return d.fn(ctx, d.ev) }

// ackFailure: an event of a type this package does not know is answered
// 200 even when Handle fails, so that Daily's circuit breaker never trips
// on something new.
func (d eventDelivery) ackFailure() bool {
	_, unknown := d.ev.(*Unknown)
	return unknown
}

// verificationKey is the context key of a delivery's Verification.
type verificationKey struct{}

// VerificationFrom returns the [Verification] of the delivery whose context
// ctx is, as a [Handler] passes it to Handle, and reports whether there is
// one. It tells which secret signed the delivery, for watching a rotation.
func VerificationFrom(ctx context.Context) (Verification, bool) {
	res, ok := ctx.Value(verificationKey{}).(Verification)
	return res, ok
}

// A claim is a key held in a DedupStore for one attempt at an event.
type claim struct {
	store DedupStore
	key   string
	// seen is what is reported when the claim finds the key handled:
	// ErrReplay for the signed request, ErrDuplicate for the event ID.
	// Claims tell their kind by it, never by comparing stores, which
	// panics for a DedupStore that is an uncomparable value.
	seen error
}

// deliver hands ev, which arrived with signature sig, to Handle unless it
// was handled before or is being handled, and answers.
func (h *Handler) deliver(w http.ResponseWriter, r *http.Request, setup *handlerSetup, d delivery, sig string) {
	claims := h.claims(setup, d, sig)
	if !h.take(w, r, claims, d) {
		return
	}
	err := h.call(r.Context(), d)
	h.end(r.Context(), r, claims, err == nil)
	if err == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	h.fail(w, r, d, err)
}

// claims returns the claims a delivery must take before Handle runs: its
// signed request, unless replays are allowed, and its event ID, with a
// Dedup store.
func (h *Handler) claims(setup *handlerSetup, d delivery, sig string) []claim {
	claims := make([]claim, 0, 2)
	if setup.replay != nil {
		claims = append(claims, claim{setup.replay, sig, ErrReplay})
	}
	if id := d.key(); h.Dedup != nil && id != "" {
		claims = append(claims, claim{h.Dedup, id, ErrDuplicate})
	}
	return claims
}

// take takes claims in order and reports whether all are held. When one
// is not, it releases those taken, answers, and reports false: 200 when
// the event was handled before, 409 while another request handles it, 503
// when the store failed.
func (h *Handler) take(w http.ResponseWriter, r *http.Request, claims []claim, d delivery) bool {
	for i, g := range claims {
		state, err := h.claim(r.Context(), g)
		switch {
		case err != nil:
			h.end(r.Context(), r, claims[:i], false)
			h.report(r, slog.LevelError, fmt.Errorf("events: claiming %s: %w", d.name(), err), d)
			http.Error(w, http.StatusText(http.StatusServiceUnavailable), http.StatusServiceUnavailable)
			return false
		case state == ClaimHandled:
			// The event was handled; so, through the earlier claims,
			// was this delivery.
			h.end(r.Context(), r, claims[:i], true)
			h.report(r, slog.LevelInfo, g.seen, d)
			w.WriteHeader(http.StatusOK)
			return false
		case state == ClaimInProgress:
			h.end(r.Context(), r, claims[:i], false)
			h.report(r, slog.LevelWarn, ErrInProgress, d)
			http.Error(w, http.StatusText(http.StatusConflict), http.StatusConflict)
			return false
		}
	}
	return true
}

// fail answers a delivery whose Handle failed with err: the configured
// status, 200 for an *Unknown event, and re-panics http.ErrAbortHandler.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, d delivery, err error) {
	if pe, ok := err.(*PanicError); ok && pe.Value == http.ErrAbortHandler {
		panic(http.ErrAbortHandler)
	}
	status := h.HandleErrorStatus
	if status == 0 {
		status = http.StatusInternalServerError
	}
	if d.ackFailure() {
		status = http.StatusOK
	}
	h.report(r, slog.LevelError, fmt.Errorf("events: handling %s: %w", d.name(), err), d)
	if status == http.StatusOK {
		w.WriteHeader(status)
		return
	}
	http.Error(w, http.StatusText(status), status)
}

// testHookClaimWaits, when not nil, is called each time a claim finds
// another request holding its key: tests set it to know that a request
// waits.
var testHookClaimWaits func()

// claim takes g, waiting while another request holds it, for at most
// InProgressWait and no longer than ctx lives.
func (h *Handler) claim(ctx context.Context, g claim) (ClaimState, error) {
	wait := h.InProgressWait
	if wait <= 0 {
		wait = DefaultInProgressWait
	}
	deadline := time.Now().Add(wait)
	pause := 2 * time.Millisecond
	for {
		state, err := g.store.Claim(ctx, g.key)
		if err != nil || state != ClaimInProgress {
			return state, err
		}
		if testHookClaimWaits != nil {
			testHookClaimWaits()
		}
		left := time.Until(deadline)
		if left <= 0 {
			return ClaimInProgress, nil
		}
		t := time.NewTimer(min(pause, left))
		select {
		case <-ctx.Done():
			t.Stop()
			return ClaimInProgress, nil
		case <-t.C:
		}
		pause = min(2*pause, 50*time.Millisecond)
	}
}

// end ends the claims held: Done when the event was handled, else
// Release. A store's failure is reported; the answer stands.
func (h *Handler) end(ctx context.Context, r *http.Request, held []claim, handled bool) {
	// The client may have gone; the store must still hear the outcome.
	ctx = context.WithoutCancel(ctx)
	for _, g := range held {
		var err error
		if handled {
			err = g.store.Done(ctx, g.key)
		} else {
			err = g.store.Release(ctx, g.key)
		}
		if err != nil {
			h.report(r, slog.LevelError, fmt.Errorf("events: ending a claim: %w", err), nil)
		}
	}
}

// call runs Handle, turning a panic into a *PanicError.
func (h *Handler) call(ctx context.Context, d delivery) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &PanicError{Value: p, Stack: debug.Stack()}
		}
	}()
	return d.handle(ctx)
}

// report gives err to OnError, or logs it at level with what the log may
// say of d, when there is one.
func (h *Handler) report(r *http.Request, level slog.Level, err error, d delivery) {
	if h.OnError != nil {
		h.OnError(r, err)
		return
	}
	attrs := []slog.Attr{slog.Any("err", err), slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("remote", r.RemoteAddr)}
	if d != nil {
		attrs = append(attrs, d.attrs()...)
	}
	slog.Default().LogAttrs(r.Context(), level, "events: delivery not handled", attrs...)
}

var _ http.Handler = (*Handler)(nil)
