package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// A PinlessHandler is an [http.Handler] for Daily's pinless dial-in hook,
// the room_creation_api that Daily calls while it holds a caller. It
// verifies each request with a Verifier made with PinlessHeaders, answers
// Daily's test request 200 without calling Handle, parses the call and
// hands it to Handle:
//
//	status  when
//	200     Handle returned nil, or the call was handled before
//	200     Daily's test request, signed; it never reaches Handle
//	400     a signed body that is not a call, or a body that could not be read
//	401     a missing or wrong signature, a stale timestamp, or a missing
//	        or wrong Authorization header; an unsigned test request too
//	405     any method but POST
//	409     the same call is being handled by another request
//	413     a body longer than the verifier's MaxBodyBytes, signed or not
//	500     Handle failed or panicked
//
// A repeated callId, whether Daily retrying or a replayed request, is not
// handed to Handle again while the first is running (it waits up to
// InProgressWait, then gets 409) or after it succeeded (200): the
// Handler's replay rules apply, with the call ID as the key.
//
// Answer quickly: the caller hears hold music meanwhile, and after about
// two minutes Daily gives up. A typical Handle creates or picks a room with
// SIP dial-in, and returns; the room's dialin.ready event (through
// /webhooks) then says that its SIP endpoint is ready, and only then may
// the call be connected with Daily's pinlessCallUpdate, with the CallID
// and CallDomain of the call:
//
//	POST https://api.daily.co/v1/dialin/pinlessCallUpdate
//	{"callId": call.CallID, "callDomain": call.CallDomain, "sipUri": <the room's SIP endpoint>}
//
// Serve it from an http.Server with its timeouts set, as for [Handler]. A
// PinlessHandler's fields must not change once it has served a request.
type PinlessHandler struct {
	// Verifier checks each call; it must be made with PinlessHeaders.
	// Required.
	Verifier *Verifier
	// Handle receives each authentic call, with the request's context.
	// Required. A panic is recovered and answered 500.
	Handle func(ctx context.Context, call *PinlessCall) error
	// OnError is told of every request that was not handed to Handle or
	// that Handle failed, as Handler's is. Nil means they are logged with
	// slog.Default(), with the call's ID and never its numbers.
	OnError func(r *http.Request, err error)
	// Dedup remembers the calls handled, by call ID. Nil means a
	// MemoryDedup of the PinlessHandler's own.
	Dedup DedupStore
	// InProgressWait is how long a repeated call waits for the request
	// that handles it. Zero means DefaultInProgressWait.
	InProgressWait time.Duration
	// AllowReplays turns off the check of replayed signed requests; see
	// Handler.AllowReplays. Repeated call IDs are still handled once.
	AllowReplays bool
	// ReplayCapacity bounds the signed requests remembered. Zero means
	// DefaultReplayCapacity.
	ReplayCapacity int
	// OnTestRequest, when not nil, is told of each signed test request
	// Daily sends when the configuration is set, which is answered 200
	// and never reaches Handle.
	OnTestRequest func(r *http.Request)

	once sync.Once
	h    *Handler
	err  error
}

// NewPinlessHandler returns a PinlessHandler that verifies calls with the
// secrets of Daily's pinless dial-in configurations, several while
// rotating, and hands them to handle. The error wraps [ErrInvalidSecret]
// or [ErrMisconfigured].
func NewPinlessHandler(secrets []string, handle func(ctx context.Context, call *PinlessCall) error) (*PinlessHandler, error) {
	v, err := NewVerifier(VerifierConfig{Secrets: secrets, Headers: PinlessHeaders})
	if err != nil {
		return nil, err
	}
	p := &PinlessHandler{Verifier: v, Handle: handle}
	if err := p.check(); err != nil {
		return nil, err
	}
	return p, nil
}

// check returns why p is misconfigured, or nil.
func (p *PinlessHandler) check() error {
	switch {
	case p.Verifier == nil:
		return fmt.Errorf("%w: no Verifier", ErrMisconfigured)
	case p.Handle == nil:
		return fmt.Errorf("%w: no Handle function", ErrMisconfigured)
	case p.Verifier.headers != PinlessHeaders:
		return fmt.Errorf("%w: the Verifier reads %s, not the pinless headers: make it with PinlessHeaders", ErrMisconfigured, p.Verifier.headers.Signature)
	}
	return nil
}

// handler returns the Handler that p runs on, made at first use, with
// the fields as they are then.
func (p *PinlessHandler) handler() (*Handler, error) {
	p.once.Do(func() {
		if p.err = p.check(); p.err != nil {
			return
		}
		dedup := p.Dedup
		if dedup == nil {
			dedup = &MemoryDedup{Now: p.Verifier.now}
		}
		p.h = &Handler{
			Verifier: p.Verifier, OnError: p.OnError, Dedup: dedup, InProgressWait: p.InProgressWait,
			AllowReplays: p.AllowReplays, ReplayCapacity: p.ReplayCapacity,
			// The test request must be signed, as every call.
			StrictVerificationRequest: true,
			// Never called: serve hands the call to p.Handle.
			Handle: func(context.Context, Event) error { return errors.New("events: no event here") },
		}
	})
	return p.h, p.err
}

// ServeHTTP handles one call; see [PinlessHandler] for the statuses.
func (p *PinlessHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h, err := p.handler()
	if err != nil {
		(&Handler{OnError: p.OnError}).report(r, slog.LevelError, err, nil)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	h.serve(w, r, func(body []byte) (delivery, int) {
		call, err := ParsePinlessCall(body)
		switch {
		case errors.Is(err, ErrPinlessTest):
			if p.OnTestRequest != nil {
				p.OnTestRequest(r)
			}
			return nil, http.StatusOK
		case err != nil:
			h.report(r, slog.LevelWarn, err, nil)
			return nil, http.StatusBadRequest
		}
		return pinlessDelivery{call, p.Handle}, 0
	})
}

// pinlessDelivery is a call, for PinlessHandler.Handle.
type pinlessDelivery struct {
	call *PinlessCall
	fn   func(ctx context.Context, call *PinlessCall) error
}

func (d pinlessDelivery) key() string  { return d.call.CallID }
func (d pinlessDelivery) name() string { return "pinless call " + d.call.CallID }
func (d pinlessDelivery) attrs() []slog.Attr {
	return []slog.Attr{slog.String("call_id", d.call.CallID), slog.String("call_domain", d.call.CallDomain)}
}
func (d pinlessDelivery) handle(ctx context.Context) error { return d.fn(ctx, d.call) }
func (d pinlessDelivery) ackFailure() bool                 { return false }

var _ http.Handler = (*PinlessHandler)(nil)
