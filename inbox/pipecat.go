package inbox

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/pipecat"
	"github.com/riverqueue/river"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// PipecatKey returns the key of a Pipecat Cloud delivery of message id
// (its webhook-id): "p:" and the hash of the id, so that every retry of a
// message, with a new timestamp and signature, is the same delivery.
func PipecatKey(id string) string { return hashKey("p:", []byte(id)) }

// Pipecat returns the http.Handler that receives Pipecat Cloud's
// deliveries into in, as in itself receives Daily's: it verifies each
// delivery with Config.Pipecat (webhook-* or svix-* headers), stores it
// keyed by its webhook-id, and answers 200 once it is committed; a
// message stored before, however re-signed, is answered 200 and not
// stored again. A test delivery (Webhook-Test: true) is verified and
// answered 200 without being stored. The statuses are those of [Inbox];
// an authentic delivery that does not parse is stored dead, to be
// replayed by a version that parses it. An inbox without Config.Pipecat
// answers 404.
func (in *Inbox) Pipecat() http.Handler {
	return http.HandlerFunc(in.servePipecat)
}

func (in *Inbox) servePipecat(w http.ResponseWriter, r *http.Request) {
	if in.cfg.Pipecat == nil {
		http.NotFound(w, r)
		return
	}
	received := time.Now()
	ctx, span := in.tel.tracer.Start(r.Context(), "dailyhook.receive", trace.WithSpanKind(trace.SpanKindServer))
	defer span.End()
	status := in.receivePipecat(ctx, w, r, received)
	in.tel.deliveries.Add(ctx, 1, statusAttr(status))
	span.SetAttributes(attribute.Int("http.response.status_code", status))
	if status >= 500 {
		span.SetStatus(codes.Error, http.StatusText(status))
	}
}

// receivePipecat verifies, stores and answers one Pipecat Cloud delivery,
// and returns the status; 0 when the client left before the outcome was
// known.
func (in *Inbox) receivePipecat(ctx context.Context, w http.ResponseWriter, r *http.Request, received time.Time) int {
	refuse := func(status int, err error) int {
		in.refusals.Add(status, err)
		w.Header().Set("Connection", "close")
		if status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "1")
		}
		http.Error(w, http.StatusText(status), status)
		return status
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return refuse(http.StatusMethodNotAllowed, fmt.Errorf("inbox: method %s not allowed", r.Method))
	}
	body, h, err := in.cfg.Pipecat.VerifyRequest(r)
	if err != nil {
		return refuse(events.RequestStatus(err, true), err)
	}
	if r.Header.Get(pipecat.HeaderTest) == "true" {
		w.WriteHeader(http.StatusOK) // verified; a test is never stored
		return http.StatusOK
	}
	d := Delivery{Source: SourcePipecat, ID: h.ID, Key: PipecatKey(h.ID), ReceivedAt: received.UTC(), Body: body, embed: in.hooks.preservesJSON}
	opts := &river.InsertOpts{Queue: in.cfg.Queue, UniqueOpts: river.UniqueOpts{ByArgs: true}, Metadata: traceMetadata(ctx)}
	ev, perr := pipecat.Parse(body)
	if perr != nil {
		d.ParseError = perr.Error()
		opts.MaxAttempts = 1 // straight to the dead letters
		in.log.LogAttrs(ctx, slog.LevelWarn, "inbox: stored a Pipecat Cloud delivery that does not parse", slog.String("id", h.ID), slog.Any("err", perr))
	} else {
		d.Type = ev.EventType()
	}
	trace.SpanFromContext(ctx).SetAttributes(attribute.String("pipecat.event.type", d.Type), attribute.String("pipecat.message.id", d.ID))
	return in.store1(ctx, w, d, opts, received)
}

// pipecatIDKey is the context key of a Pipecat Cloud delivery's message id.
type pipecatIDKey struct{}

// PipecatMessageID returns the webhook-id of the Pipecat Cloud delivery
// whose attempt ctx is, as HandlePipecat receives it, or "".
func PipecatMessageID(ctx context.Context) string {
	id, _ := ctx.Value(pipecatIDKey{}).(string)
	return id
}

// handlePipecat parses d and hands it to HandlePipecat, turning a panic
// into an *events.PanicError.
func (w *worker) handlePipecat(ctx context.Context, d Delivery) (err error) {
	ev, err := pipecat.Parse(d.Body)
	if err != nil {
		return fmt.Errorf("inbox: parsing the stored Pipecat Cloud delivery: %w", err)
	}
	if w.in.cfg.HandlePipecat == nil {
		return fmt.Errorf("%w: a Pipecat Cloud delivery is stored, and this inbox has no HandlePipecat", ErrConfig)
	}
	defer w.recover(ctx, d, &err)
	return w.in.cfg.HandlePipecat(context.WithValue(ctx, pipecatIDKey{}, d.ID), ev)
}
