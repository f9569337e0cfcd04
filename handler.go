package events

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"sync"
	"time"
)

// maxDrainBytes bounds what a Handler reads and discards of a body that is
// too large.
const maxDrainBytes = 64 << 20

// ErrMisconfigured is reported by a [Handler] without a Verifier or without
// a Handle function: it answers every delivery with 500 rather than skip
// verification or drop events silently.
var ErrMisconfigured = errors.New("events: handler needs a Verifier and a Handle function")

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
//	200     a duplicate, when Dedup is set; it never reaches Handle
//	401     a missing or wrong signature, a stale timestamp, or a missing
//	        or wrong Authorization header
//	405     any method but POST
//	413     a body longer than the verifier's MaxBodyBytes
//	500     Handle returned an error (change it with HandleErrorStatus)
//	500     no Verifier or no Handle: a misconfiguration
//
// Only authentication failures are refused: an authentic delivery that this
// version of the package cannot decode is acknowledged, because refusing it
// would trip the breaker and stop the events it can decode too.
//
// Handle runs before the response is written, so Daily waits for it; Daily
// wants an answer within a few seconds. Slow work belongs in a queue that
// Handle feeds.
type Handler struct {
	// Verifier checks each delivery. Required.
	Verifier *Verifier
	// Parser parses authentic deliveries; the zero Parser applies the
	// default version policy.
	Parser Parser
	// Handle receives each authentic event, with the request's context.
	// Required. A *Mux's Handle method fits here.
	Handle func(ctx context.Context, ev Event) error
	// OnError, when set, is told of every delivery that was not handed to
	// Handle or that Handle failed: authentication failures, oversized
	// bodies, parse errors, version errors and Handle's errors. The error
	// text holds no secret and no signature.
	OnError func(r *http.Request, err error)
	// HandleErrorStatus is the status sent when Handle returns an error.
	// Zero means 500, which tells Daily to count a failure (and, with the
	// exponential retry policy, to try again); set http.StatusOK to
	// acknowledge anyway and keep the circuit breaker closed.
	HandleErrorStatus int
	// StrictVerificationRequest requires the verification request
	// {"test":"test"} to be signed like any delivery. By default it is
	// answered with 200 whatever its signature: it carries no data and
	// never reaches Handle, and when Daily generates the webhook's secret
	// itself it sends this request before the receiver can know the
	// secret, so refusing it would make creating the webhook fail. Every
	// other body is always verified.
	StrictVerificationRequest bool
	// Dedup, when set, suppresses deliveries whose event ID was already
	// handled. Nil means no suppression. Events without an ID are never
	// suppressed.
	Dedup DedupStore
}

// ServeHTTP handles one delivery; see [Handler] for the statuses.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.fail(w, r, http.StatusMethodNotAllowed, fmt.Errorf("events: method %s not allowed", r.Method))
		return
	}
	v := h.Verifier
	if v == nil || h.Handle == nil {
		h.fail(w, r, http.StatusInternalServerError, ErrMisconfigured)
		return
	}
	if !v.checkBasicAuth(r) {
		h.fail(w, r, http.StatusUnauthorized, ErrUnauthorized)
		return
	}
	body, err := v.ReadBody(r)
	if errors.Is(err, ErrBodyTooLarge) {
		// Read what remains, up to a bound, so that a client that sends
		// its whole body before reading the answer sees the 413 rather
		// than a reset connection. Nothing read is kept.
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, maxDrainBytes))
		w.Header().Set("Connection", "close")
		h.fail(w, r, http.StatusRequestEntityTooLarge, err)
		return
	} else if err != nil {
		h.fail(w, r, http.StatusBadRequest, err)
		return
	}
	_, verr := v.Verify(body, r.Header.Get(HeaderSignature), r.Header.Get(HeaderTimestamp))
	if IsVerificationRequest(body) && (verr == nil || !h.StrictVerificationRequest) {
		w.WriteHeader(http.StatusOK)
		return
	}
	if verr != nil {
		h.fail(w, r, http.StatusUnauthorized, verr)
		return
	}
	ev, err := h.Parser.Parse(body)
	if err != nil {
		h.fail(w, r, http.StatusOK, err)
		return
	}
	id := ev.Meta().ID
	if h.Dedup != nil && id != "" && !h.Dedup.Claim(id) {
		w.WriteHeader(http.StatusOK)
		return
	}
	if err := h.Handle(r.Context(), ev); err != nil {
		if h.Dedup != nil && id != "" {
			h.Dedup.Release(id)
		}
		status := h.HandleErrorStatus
		if status == 0 {
			status = http.StatusInternalServerError
		}
		if _, unknown := ev.(*Unknown); unknown {
			status = http.StatusOK
		}
		h.fail(w, r, status, fmt.Errorf("events: handling %s %s: %w", ev.Meta().Type, id, err))
		return
	}
	w.WriteHeader(http.StatusOK)
}

// fail reports err and answers with status. The body is the status text
// only: error details go to OnError, never to the client.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, status int, err error) {
	if h.OnError != nil {
		h.OnError(r, err)
	}
	if status == http.StatusOK {
		w.WriteHeader(status)
		return
	}
	http.Error(w, http.StatusText(status), status)
}

// A Mux sends each event to the function registered for its Go type, for
// callers who prefer one typed function per event type to a type switch.
// Register with [On] before serving; then pass the Mux's Handle method as
// [Handler].Handle. The zero Mux is ready to use.
type Mux struct {
	// Fallback handles events of a type with no registered function,
	// *Unknown included. Nil means they are acknowledged and ignored.
	Fallback func(ctx context.Context, ev Event) error

	routes map[reflect.Type]func(context.Context, Event) error
}

// On registers fn for the events of type E, such as *ParticipantJoined,
// replacing any function registered for E before. It must not be called
// while m is handling events.
func On[E Event](m *Mux, fn func(ctx context.Context, ev E) error) {
	if m.routes == nil {
		m.routes = map[reflect.Type]func(context.Context, Event) error{}
	}
	m.routes[reflect.TypeFor[E]()] = func(ctx context.Context, ev Event) error {
		return fn(ctx, ev.(E))
	}
}

// Handle calls the function registered for the type of ev, or Fallback.
func (m *Mux) Handle(ctx context.Context, ev Event) error {
	if fn, ok := m.routes[reflect.TypeOf(ev)]; ok {
		return fn(ctx, ev)
	}
	if m.Fallback != nil {
		return m.Fallback(ctx, ev)
	}
	return nil
}

// A DedupStore remembers the IDs of events that were handled, so that a
// [Handler] can suppress a second delivery of the same event. Its methods
// must be safe for concurrent use.
type DedupStore interface {
	// Claim records id and reports whether it was new. A Handler calls it
	// before Handle and skips the event when it reports false.
	Claim(id string) bool
	// Release forgets id, so that a redelivery is handled again. A
	// Handler calls it when Handle fails.
	Release(id string)
}

// A MemoryDedup is a [DedupStore] that keeps IDs in memory for a fixed
// time. It suits a single receiver process; several replicas need a shared
// store. The zero MemoryDedup is ready to use.
type MemoryDedup struct {
	// TTL is how long an ID is remembered. Zero means one hour, longer
	// than Daily keeps retrying a delivery.
	TTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	mu        sync.Mutex
	seen      map[string]time.Time // id → when it expires
	nextPrune time.Time
}

// Claim records id and reports whether it was new or had expired. Expired
// IDs are dropped once per TTL, so memory stays bounded by the IDs of one
// TTL or two.
func (d *MemoryDedup) Claim(id string) bool {
	ttl := d.TTL
	if ttl <= 0 {
		ttl = time.Hour
	}
	now := time.Now()
	if d.Now != nil {
		now = d.Now()
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.seen == nil {
		d.seen = map[string]time.Time{}
	}
	if !now.Before(d.nextPrune) {
		for k, exp := range d.seen {
			if !now.Before(exp) {
				delete(d.seen, k)
			}
		}
		d.nextPrune = now.Add(ttl)
	}
	if exp, ok := d.seen[id]; ok && now.Before(exp) {
		return false
	}
	d.seen[id] = now.Add(ttl)
	return true
}

// Release forgets id.
func (d *MemoryDedup) Release(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.seen, id)
}

var (
	_ http.Handler = (*Handler)(nil)
	_ DedupStore   = (*MemoryDedup)(nil)
)
