package inbox

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/pipecat"
	"github.com/riverqueue/river/rivertype"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// instrumentation names the inbox's meter and tracer.
const instrumentation = "github.com/dailywebhooks/events/inbox"

// The metric series of the inbox, named as Prometheus shows them: a
// command's exporter must add no suffix of its own (see the dailyhook
// command's wiring). Their names are an interface: dashboards and alerts
// depend on them.
const (
	MetricDeliveries   = "dailyhook_deliveries_total"           // counter {status}
	MetricAckDuration  = "dailyhook_ack_duration_seconds"       // histogram
	MetricHandled      = "dailyhook_events_handled_total"       // counter {type, outcome}
	MetricDeadLettered = "dailyhook_events_dead_lettered_total" // counter {type}
	// MetricPipecatHandled and MetricPipecatDeadLettered are the same for
	// Pipecat Cloud's deliveries: series of their own, so that each type
	// label stays bounded to its hook's types.
	MetricPipecatHandled      = "dailyhook_pipecat_events_handled_total"       // counter {type, outcome}
	MetricPipecatDeadLettered = "dailyhook_pipecat_events_dead_lettered_total" // counter {type}
	MetricJobs                = "dailyhook_inbox_jobs"                         // gauge {state}
	MetricOldestPending       = "dailyhook_inbox_oldest_pending_seconds"       // gauge
	MetricLate                = "dailyhook_events_late_total"                  // counter {type}
	MetricRoomsBlocked        = "dailyhook_rooms_blocked"                      // gauge
	MetricRoomsBlockedOldest  = "dailyhook_rooms_blocked_oldest_seconds"       // gauge
)

// SecondsBuckets are the histogram buckets of the durations the inbox and
// the command record, from 1 ms to 10 s.
var SecondsBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// Stats are the counts of a store, for the gauges and for readiness.
type Stats struct {
	// Jobs counts the stored deliveries by state.
	Jobs map[State]int64
	// OldestPending is when the oldest delivery not yet handled (pending,
	// running or retrying) was stored; zero when there is none.
	OldestPending time.Time
	// RoomsBlocked counts the ordered rooms (OrderKey's keys) whose
	// deliveries wait behind one that failed and waits for its next
	// attempt.
	RoomsBlocked int64
	// BlockedSince is when the oldest delivery waiting in a blocked room
	// was stored; zero when no room is blocked.
	BlockedSince time.Time
}

// A Counter adds up the rows of a store's count of its jobs into Stats:
// the store packages count by River state, and the Counter maps those
// onto States. Unstable: see [Store].
type Counter struct {
	jobs    map[State]int64
	oldest  float64
	blocked int64
	since   float64
}

// BlockedRow is the state of the row that a store's count adds for its
// blocked rooms: their count, and the Unix time of the oldest delivery that
// waits in one. Unstable: see [Store].
const BlockedRow = "rooms_blocked"

// Add counts n jobs in River state s, the oldest stored at Unix time
// oldest (seconds; 0 when unknown).
func (c *Counter) Add(s rivertype.JobState, n int64, oldest float64) {
	if c.jobs == nil {
		c.jobs = map[State]int64{}
	}
	st := StateOf(s)
	c.jobs[st] += n
	if st == StatePending || st == StateRunning || st == StateRetrying {
		if oldest > 0 && (c.oldest == 0 || oldest < c.oldest) {
			c.oldest = oldest
		}
	}
}

// Rows are the rows of a query, as *sql.Rows and pgx.Rows give them.
// Unstable: see [Store].
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// Scan counts rows of (River state, count, oldest Unix time in seconds)
// and returns the Stats: the store packages' counting queries give them.
func (c *Counter) Scan(rows Rows) (Stats, error) {
	for rows.Next() {
		var state string
		var n int64
		var oldest float64
		if err := rows.Scan(&state, &n, &oldest); err != nil {
			return Stats{}, err
		}
		if state == BlockedRow {
			c.blocked, c.since = n, oldest
			continue
		}
		c.Add(rivertype.JobState(state), n, oldest)
	}
	return c.Stats(), rows.Err()
}

// Stats returns what was counted.
func (c *Counter) Stats() Stats {
	s := Stats{Jobs: map[State]int64{}}
	for _, st := range States() {
		s.Jobs[st] = c.jobs[st]
	}
	s.OldestPending = unixTime(c.oldest)
	if s.RoomsBlocked = c.blocked; c.blocked > 0 {
		s.BlockedSince = unixTime(c.since)
	}
	return s
}

// unixTime returns the time of sec Unix seconds, or zero for 0.
func unixTime(sec float64) time.Time {
	if sec <= 0 {
		return time.Time{}
	}
	whole, frac := math.Modf(sec)
	return time.Unix(int64(whole), int64(frac*1e9))
}

// telemetry is what the inbox records through OpenTelemetry.
type telemetry struct {
	tracer     trace.Tracer
	deliveries metric.Int64Counter
	ack        metric.Float64Histogram
	handled    metric.Int64Counter
	dead       metric.Int64Counter
	pcHandled  metric.Int64Counter
	pcDead     metric.Int64Counter
	late       metric.Int64Counter
	reg        metric.Registration
}

// newTelemetry makes the inbox's instruments from cfg's providers, or
// OpenTelemetry's globals, and the gauges that stats feeds, when not nil.
// Every counter series starts at 0, so that a dashboard shows it before
// anything happened.
func newTelemetry(cfg Config, stats func(context.Context) (Stats, error)) (*telemetry, error) {
	mp, tp := cfg.MeterProvider, cfg.TracerProvider
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	m := mp.Meter(instrumentation)
	t := &telemetry{tracer: tp.Tracer(instrumentation)}
	var err error
	if t.deliveries, err = m.Int64Counter(MetricDeliveries, metric.WithDescription("Requests answered by the inbox's endpoint, by HTTP status.")); err != nil {
		return nil, err
	}
	if t.ack, err = m.Float64Histogram(MetricAckDuration, metric.WithUnit("s"), metric.WithExplicitBucketBoundaries(SecondsBuckets...),
		metric.WithDescription("From receipt to the 200 of a stored delivery.")); err != nil {
		return nil, err
	}
	if t.handled, err = m.Int64Counter(MetricHandled, metric.WithDescription("Attempts at handling a stored event, by type and outcome (ok or error).")); err != nil {
		return nil, err
	}
	if t.dead, err = m.Int64Counter(MetricDeadLettered, metric.WithDescription("Deliveries dead-lettered after their last attempt, or because they did not parse, by type.")); err != nil {
		return nil, err
	}
	if t.pcHandled, err = m.Int64Counter(MetricPipecatHandled, metric.WithDescription("Attempts at handling a stored Pipecat Cloud event, by type and outcome (ok or error).")); err != nil {
		return nil, err
	}
	if t.pcDead, err = m.Int64Counter(MetricPipecatDeadLettered, metric.WithDescription("Pipecat Cloud deliveries dead-lettered after their last attempt, or because they did not parse, by type.")); err != nil {
		return nil, err
	}
	if t.late, err = m.Int64Counter(MetricLate, metric.WithDescription("Ordered deliveries handed over after a room-mate stamped later, by type.")); err != nil {
		return nil, err
	}
	if stats != nil {
		if err := t.gauges(m, stats); err != nil {
			return nil, err
		}
	}
	t.zero(cfg.Verifier != nil, cfg.Pipecat != nil)
	return t, nil
}

// gauges registers the gauges of the store's counts.
func (t *telemetry) gauges(m metric.Meter, stats func(context.Context) (Stats, error)) error {
	jobs, err := m.Int64ObservableGauge(MetricJobs, metric.WithDescription("Stored deliveries by state: pending, running, retrying, handled, dead."))
	if err != nil {
		return err
	}
	oldest, err := m.Float64ObservableGauge(MetricOldestPending, metric.WithUnit("s"), metric.WithDescription("Age of the oldest delivery not yet handled; 0 when none."))
	if err != nil {
		return err
	}
	blocked, err := m.Int64ObservableGauge(MetricRoomsBlocked, metric.WithDescription("Ordered rooms whose deliveries wait behind one that failed and waits for its next attempt."))
	if err != nil {
		return err
	}
	blockedAge, err := m.Float64ObservableGauge(MetricRoomsBlockedOldest, metric.WithUnit("s"), metric.WithDescription("Age of the oldest delivery waiting in a blocked room; 0 when none."))
	if err != nil {
		return err
	}
	t.reg, err = m.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		s, err := stats(ctx)
		if err != nil {
			return err
		}
		for _, st := range States() {
			o.ObserveInt64(jobs, s.Jobs[st], metric.WithAttributes(attribute.String("state", string(st))))
		}
		o.ObserveFloat64(oldest, ageOf(s.OldestPending))
		o.ObserveInt64(blocked, s.RoomsBlocked)
		o.ObserveFloat64(blockedAge, ageOf(s.BlockedSince))
		return nil
	}, jobs, oldest, blocked, blockedAge)
	return err
}

// ageOf returns the seconds since t, or 0 for a zero t.
func ageOf(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return max(time.Since(t).Seconds(), 0)
}

// zero adds 0 to every counter series the inbox can record, of the hooks
// it serves: Daily's, Pipecat Cloud's, or both.
func (t *telemetry) zero(daily, pc bool) {
	ctx := context.Background()
	for _, status := range []int{http.StatusOK, http.StatusBadRequest, http.StatusUnauthorized, http.StatusMethodNotAllowed, http.StatusRequestEntityTooLarge, http.StatusServiceUnavailable} {
		t.deliveries.Add(ctx, 0, statusAttr(status))
	}
	for _, typ := range types(daily, append(events.Types(), "unknown", "unparsed")) {
		t.handled.Add(ctx, 0, metric.WithAttributes(attribute.String("type", string(typ)), attribute.String("outcome", "ok")))
		t.handled.Add(ctx, 0, metric.WithAttributes(attribute.String("type", string(typ)), attribute.String("outcome", "error")))
		t.dead.Add(ctx, 0, metric.WithAttributes(attribute.String("type", string(typ))))
		t.late.Add(ctx, 0, metric.WithAttributes(attribute.String("type", string(typ))))
	}
	for _, typ := range types(pc, append(pipecat.Types(), "unknown", "unparsed")) {
		t.pcHandled.Add(ctx, 0, metric.WithAttributes(attribute.String("type", typ), attribute.String("outcome", "ok")))
		t.pcHandled.Add(ctx, 0, metric.WithAttributes(attribute.String("type", typ), attribute.String("outcome", "error")))
		t.pcDead.Add(ctx, 0, metric.WithAttributes(attribute.String("type", typ)))
	}
}

// types returns list when served, and none otherwise.
func types[T any](served bool, list []T) []T {
	if !served {
		return nil
	}
	return list
}

func statusAttr(status int) metric.MeasurementOption {
	return metric.WithAttributes(attribute.String("status", strconv.Itoa(status)))
}

// typeLabel is the type label of a delivery: its type when this version
// knows it, "unknown" for another, or "unparsed". The label takes no value
// that a sender chooses: each value is a series of its own, and random
// types would take the real ones from view past the backend's limit.
func typeLabel(typ string) string {
	switch {
	case typ == "":
		return "unparsed"
	case !events.Type(typ).Known():
		return "unknown"
	}
	return typ
}

// pipecatTypeLabel is typeLabel for a Pipecat Cloud delivery.
func pipecatTypeLabel(typ string) string {
	switch {
	case typ == "":
		return "unparsed"
	case !slices.Contains(pipecat.Types(), typ):
		return "unknown"
	}
	return typ
}

// attempt records the outcome of an attempt at handling d.
func (t *telemetry) attempt(ctx context.Context, d Delivery, err error, last bool) {
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	handled, dead, label := t.handled, t.dead, typeLabel(d.Type)
	if d.Source == SourcePipecat {
		handled, dead, label = t.pcHandled, t.pcDead, pipecatTypeLabel(d.Type)
	}
	handled.Add(ctx, 1, metric.WithAttributes(attribute.String("type", label), attribute.String("outcome", outcome)))
	if err != nil && last {
		dead.Add(ctx, 1, metric.WithAttributes(attribute.String("type", label)))
	}
}

// traceMetadata returns the job metadata that carries the trace context
// of ctx, the span that received the delivery, or nil when it is not
// sampled: then nobody sees the link, and the row is the smaller. Each
// delivery keeps its own, though deliveries are inserted in batches.
func traceMetadata(ctx context.Context) []byte {
	if !trace.SpanContextFromContext(ctx).IsSampled() {
		return nil
	}
	carrier := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(ctx, carrier)
	if len(carrier) == 0 {
		return nil
	}
	b, _ := json.Marshal(carrier)
	return b
}

// receivedSpan returns the span context that metadata carries, the span
// that received a delivery, for linking its attempts to it.
func receivedSpan(metadata []byte) trace.SpanContext {
	var carrier propagation.MapCarrier
	if json.Unmarshal(metadata, &carrier) != nil {
		return trace.SpanContext{}
	}
	return trace.SpanContextFromContext(propagation.TraceContext{}.Extract(context.Background(), carrier))
}

// endSpan ends span with err's status.
func endSpan(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}
