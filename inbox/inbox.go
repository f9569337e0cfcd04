package inbox

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/dailywebhooks/events"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
	"github.com/riverqueue/rivercontrib/otelriver"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// Kind is the River job kind of a stored delivery.
const Kind = "daily_delivery"

// Defaults of [Config].
const (
	// DefaultQueue is the River queue deliveries are stored in.
	DefaultQueue = "daily_webhooks"
	// DefaultMaxAttempts is how often a delivery is tried before it is
	// discarded: with River's backoff of attempt⁴ seconds, the last of 10
	// comes about 4 hours after the first.
	DefaultMaxAttempts = 10
	// DefaultWorkers is how many deliveries one process handles at once.
	DefaultWorkers = 10
	// DefaultJobTimeout bounds one attempt of the user's function.
	DefaultJobTimeout = time.Minute
	// DefaultPollInterval is how often workers look for new deliveries
	// when the database cannot notify them (SQLite).
	DefaultPollInterval = 100 * time.Millisecond
	// DefaultCompletedRetention is how long a handled delivery is kept, and
	// so how long a re-sent one is recognised as a duplicate.
	DefaultCompletedRetention = 24 * time.Hour
)

// Errors of this package.
var (
	// ErrNotFound means that no dead-lettered delivery has the event ID
	// given to Replay.
	ErrNotFound = errors.New("inbox: no dead-lettered delivery with that event ID")
	// ErrConfig means that a Config lacks a required field or has an
	// invalid one.
	ErrConfig = errors.New("inbox: invalid config")
	// ErrStore means that a delivery could not be stored; it was answered
	// 503, so that Daily tries it again, and nothing was written.
	ErrStore = errors.New("inbox: storing the delivery")
)

// A Delivery is a stored delivery: the args of its River job. Its fields
// are what the receiving endpoint knew when it stored the delivery.
type Delivery struct {
	// Key is what makes the job unique: by default "id:" and the event ID,
	// or "sha256:" and the hash of the body when the event has no ID.
	Key string `json:"key" river:"unique"`
	// ID is the event's ID, "" when it has none or did not parse.
	ID string `json:"id"`
	// Type is the event's type, "" when it did not parse.
	Type string `json:"type"`
	// ReceivedAt is when the endpoint received the delivery.
	ReceivedAt time.Time `json:"received_at"`
	// Body is the delivery exactly as received. It is stored as a JSON
	// string ("text") when it is valid UTF-8, as every delivery of Daily's
	// is, so that River's UI and a look at the database show it; and as
	// base64 ("body") otherwise, so that the database keeps every byte.
	// Deliveries stored by earlier versions, in base64, still read.
	Body []byte `json:"-"`
	// ParseError is why the delivery did not parse when it was received,
	// or "". Such a delivery is dead-lettered at its first attempt, to be
	// replayed once a newer version of this module can parse it.
	ParseError string `json:"parse_error,omitempty"`
}

// deliveryJSON is the stored form of a Delivery.
type deliveryJSON struct {
	Key        string    `json:"key"`
	ID         string    `json:"id"`
	Type       string    `json:"type"`
	ReceivedAt time.Time `json:"received_at"`
	Text       *string   `json:"text,omitempty"`
	Body       []byte    `json:"body,omitempty"`
	ParseError string    `json:"parse_error,omitempty"`
}

// MarshalJSON writes d in its stored form: its body as text when it is
// valid UTF-8, in base64 otherwise.
func (d Delivery) MarshalJSON() ([]byte, error) {
	j := deliveryJSON{Key: d.Key, ID: d.ID, Type: d.Type, ReceivedAt: d.ReceivedAt, ParseError: d.ParseError}
	if utf8.Valid(d.Body) {
		text := string(d.Body)
		j.Text = &text
	} else {
		j.Body = d.Body
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads d in its stored form, either of them.
func (d *Delivery) UnmarshalJSON(b []byte) error {
	var j deliveryJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*d = Delivery{Key: j.Key, ID: j.ID, Type: j.Type, ReceivedAt: j.ReceivedAt, Body: j.Body, ParseError: j.ParseError}
	if j.Text != nil {
		d.Body = []byte(*j.Text)
	}
	return nil
}

// Kind returns [Kind]: Delivery is a River job args type.
func (Delivery) Kind() string { return Kind }

// Config configures an [Inbox]. Verifier and Handle are required; every
// other zero value is the default.
type Config struct {
	// Verifier checks each delivery. Required.
	Verifier *events.Verifier
	// Handle receives each stored event from a worker, at least once. A
	// *events.Mux's Handle method fits here. Its context carries the
	// attempt number ([Attempt]). An error or a panic fails the attempt.
	// Required.
	Handle func(ctx context.Context, ev events.Event) error
	// Parser parses deliveries, when received and when handled.
	Parser events.Parser
	// Key returns the key that makes a delivery unique: a delivery whose
	// key is already stored (and not discarded or cleaned up) is answered
	// 200 without being stored again. ev is nil when the body does not
	// parse. Nil means the event ID, or the body's SHA-256 without one.
	Key func(ev events.Event, body []byte) string
	// MaxAttempts is how often a delivery is tried before it is
	// discarded. Zero means DefaultMaxAttempts.
	MaxAttempts int
	// Workers is how many deliveries this process handles at once. Zero
	// means DefaultWorkers; -1 makes a process that only receives.
	Workers int
	// Queue is the River queue of the deliveries. Zero means DefaultQueue.
	Queue string
	// JobTimeout bounds one attempt: its context is cancelled then. Zero
	// means DefaultJobTimeout.
	JobTimeout time.Duration
	// RescueAfter is how long a delivery may stay running before River
	// takes it for stuck, its process having died, and tries it again.
	// It must be longer than JobTimeout. Zero means JobTimeout plus a
	// minute.
	RescueAfter time.Duration
	// RetryPolicy says when a failed attempt is tried again. Nil means
	// River's default: attempt⁴ seconds, with jitter.
	RetryPolicy river.ClientRetryPolicy
	// PollInterval is how often workers look for new deliveries when
	// the database does not notify them. Zero means DefaultPollInterval.
	PollInterval time.Duration
	// CompletedRetention is how long handled deliveries are kept. Zero
	// means DefaultCompletedRetention.
	CompletedRetention time.Duration
	// DiscardedRetention is how long dead-lettered deliveries are kept.
	// Zero keeps them until they are replayed or deleted.
	DiscardedRetention time.Duration
	// StrictVerificationRequest requires Daily's verification request to
	// be signed; see [events.Handler].StrictVerificationRequest.
	StrictVerificationRequest bool
	// Logger receives the inbox's and River's logs. Nil means
	// slog.Default().
	Logger *slog.Logger
	// MeterProvider records the inbox's metrics (see MetricDeliveries and
	// the others) and River's, through otelriver. Nil means
	// OpenTelemetry's global provider, which records nothing until an
	// application sets one.
	MeterProvider metric.MeterProvider
	// TracerProvider records a span per delivery received and one per
	// attempt at handling it, linked to it, and River's. Nil means
	// OpenTelemetry's global provider.
	TracerProvider trace.TracerProvider
	// OnStored, when not nil, is told of each delivery answered 200
	// because it is committed: duplicate reports that it was stored
	// before, by this request's retry or by another replica. It runs on
	// the request's goroutine, before the answer.
	OnStored func(d Delivery, duplicate bool)
}

// An Inbox receives Daily's deliveries, stores them durably in a River
// queue, and hands them to its Handle function from River's workers. Open
// one with the package of its database, [github.com/dailywebhooks/events/inbox/sqlite]
// or [github.com/dailywebhooks/events/inbox/postgres], or with [New] over
// any River driver. It is an http.Handler:
//
//	status  when
//	200     the delivery is committed to the database, or was already
//	200     the verification request {"test":"test"}; nothing is stored
//	400     the body could not be read, or a signed request has none
//	401     a missing or wrong signature, a stale timestamp, or a missing
//	        or wrong Authorization header; nothing is stored
//	405     any method but POST
//	413     a body longer than the verifier's MaxBodyBytes
//	503     the database did not commit the delivery; nothing is stored
//
// An authentic delivery that does not parse is stored too, with its error,
// and dead-lettered at once; [Inbox.Replay] tries it again.
type Inbox struct {
	client riverClient
	typed  any // client, as its *river.Client[TTx]
	cfg    Config
	log    *slog.Logger
	hooks  storeHooks
	tel    *telemetry

	inserts  chan *insert // deliveries waiting to be stored
	stopping chan struct{}
	stopOnce sync.Once
	started  atomic.Bool
}

// New returns an Inbox that stores deliveries through driver. It runs
// River's migrations first, which does nothing when they are applied. Call
// Start to start the workers, and Stop to stop them.
//
// An Inbox made by New leaves completions to River, which records them in
// batches every 50 ms: a crash may repeat the events handled in the last
// batch. The sqlite and postgres packages record each one before the worker
// takes other work, so that a crash repeats only the events being handled.
//
// The error wraps [ErrConfig] for a config without a Verifier or Handle.
func New[TTx any](ctx context.Context, driver riverdriver.Driver[TTx], cfg Config) (*Inbox, error) {
	return NewStore(ctx, Store[TTx]{Driver: driver}, cfg)
}

// NewStore returns an Inbox over s: New, with what a database package
// adds to River's driver.
func NewStore[TTx any](ctx context.Context, s Store[TTx], cfg Config) (*Inbox, error) {
	if cfg.Verifier == nil || cfg.Handle == nil {
		return nil, fmt.Errorf("%w: Verifier and Handle are required", ErrConfig)
	}
	cfg = cfg.withDefaults()
	if cfg.RescueAfter <= cfg.JobTimeout {
		return nil, fmt.Errorf("%w: RescueAfter %v must be longer than JobTimeout %v", ErrConfig, cfg.RescueAfter, cfg.JobTimeout)
	}
	log := cfg.Logger
	if err := migrate(ctx, s.Driver, log); err != nil {
		return nil, err
	}
	var stats func(context.Context) (Stats, error)
	if s.Stats != nil {
		stats = func(ctx context.Context) (Stats, error) { return s.Stats(ctx, cfg.Queue) }
	}
	tel, err := newTelemetry(cfg, stats)
	if err != nil {
		return nil, fmt.Errorf("%w: telemetry: %w", ErrConfig, err)
	}
	in := &Inbox{cfg: cfg, log: log, hooks: storeHooks{s.Complete, s.Check, s.Close, stats}, tel: tel, inserts: make(chan *insert), stopping: make(chan struct{})}
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &worker{in: in}); err != nil {
		return nil, err
	}
	client, err := river.NewClient(s.Driver, cfg.riverConfig(workers))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	in.client, in.typed = client, client
	go in.storeBatches()
	return in, nil
}

// withDefaults returns c with its zero values replaced by the defaults.
func (c Config) withDefaults() Config {
	c.MaxAttempts = cmp.Or(c.MaxAttempts, DefaultMaxAttempts)
	c.Workers = cmp.Or(c.Workers, DefaultWorkers)
	c.Queue = cmp.Or(c.Queue, DefaultQueue)
	c.JobTimeout = cmp.Or(c.JobTimeout, DefaultJobTimeout)
	c.RescueAfter = cmp.Or(c.RescueAfter, c.JobTimeout+time.Minute)
	c.PollInterval = cmp.Or(c.PollInterval, DefaultPollInterval)
	c.CompletedRetention = cmp.Or(c.CompletedRetention, DefaultCompletedRetention)
	c.DiscardedRetention = cmp.Or(c.DiscardedRetention, -1)
	if c.Key == nil {
		c.Key = DefaultKey
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// riverConfig returns River's config for c, which has its defaults.
func (c Config) riverConfig(workers *river.Workers) *river.Config {
	rc := &river.Config{
		CompletedJobRetentionPeriod: c.CompletedRetention,
		DiscardedJobRetentionPeriod: c.DiscardedRetention,
		FetchPollInterval:           c.PollInterval,
		// A worker that finishes takes the next delivery at once: River's
		// default waits 100 ms between fetches.
		FetchCooldown:        min(c.PollInterval, 5*time.Millisecond),
		JobTimeout:           c.JobTimeout,
		Logger:               c.Logger,
		MaxAttempts:          c.MaxAttempts,
		RescueStuckJobsAfter: c.RescueAfter,
		RetryPolicy:          c.RetryPolicy,
		Workers:              workers,
		// River's own spans and metrics.
		Plugins: []rivertype.Plugin{otelriver.NewMiddleware(&otelriver.MiddlewareConfig{
			MeterProvider: c.MeterProvider, TracerProvider: c.TracerProvider, DurationUnit: "s",
		})},
	}
	if c.Workers > 0 {
		rc.Queues = map[string]river.QueueConfig{c.Queue: {MaxWorkers: c.Workers}}
	}
	return rc
}

// migrate runs River's migrations. Several replicas may start at once and
// race to apply them; the loser finds them applied when it tries again.
func migrate[TTx any](ctx context.Context, driver riverdriver.Driver[TTx], log *slog.Logger) error {
	m, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: log})
	if err != nil {
		return fmt.Errorf("inbox: migrations: %w", err)
	}
	for try := 0; ; try++ {
		_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
		if err == nil || try == 4 || ctx.Err() != nil {
			break
		}
		time.Sleep(time.Duration(50+rand.IntN(200)) * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("inbox: migrations: %w", err)
	}
	return nil
}

// DefaultKey is the default Config.Key: "id:" and the event ID, or
// "sha256:" and the hex SHA-256 of the body for a delivery without an ID
// or that does not parse.
func DefaultKey(ev events.Event, body []byte) string {
	if ev != nil && ev.Meta().ID != "" {
		return "id:" + ev.Meta().ID
	}
	sum := sha256.Sum256(body)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// RiverClient returns the River client of in, for what the inbox does not
// wrap: job lists, queue controls, River's UI. TTx is the transaction type
// of its driver: *sql.Tx for SQLite, pgx.Tx for PostgreSQL. It returns nil
// for another type.
func RiverClient[TTx any](in *Inbox) *river.Client[TTx] {
	c, _ := in.typed.(*river.Client[TTx])
	return c
}

// Stats returns the counts of the inbox's deliveries by state, and when
// the oldest not yet handled was stored. It needs a store that counts (the
// sqlite and postgres packages' do); others return an error.
func (in *Inbox) Stats(ctx context.Context) (Stats, error) {
	if in.hooks.stats == nil {
		return Stats{}, errors.New("inbox: this store does not count its deliveries")
	}
	return in.hooks.stats(ctx)
}

// Ready returns nil when the inbox can store deliveries: its database
// answers, and its store's check holds (for SQLite, the file at the path
// is the one opened). A readiness probe calls it.
func (in *Inbox) Ready(ctx context.Context) error {
	if err := in.checkStore(); err != nil {
		return err
	}
	if in.hooks.stats != nil {
		if _, err := in.hooks.stats(ctx); err != nil {
			return fmt.Errorf("inbox: the database does not answer: %w", err)
		}
	}
	return nil
}

// Config returns the inbox's config, with the defaults filled in.
func (in *Inbox) Config() Config { return in.cfg }

// Start starts the workers. Deliveries are received and stored whether
// they run or not.
func (in *Inbox) Start(ctx context.Context) error {
	if in.cfg.Workers < 0 {
		return nil
	}
	if err := in.client.Start(ctx); err != nil {
		return err
	}
	in.started.Store(true)
	return nil
}

// Stop stops the workers gracefully: they take no new work, and running
// attempts may finish until ctx is done; then they are cancelled, and fail
// as attempts to be tried again. It closes the database when the inbox
// opened it. The endpoint must not be served afterwards.
func (in *Inbox) Stop(ctx context.Context) error {
	in.stopOnce.Do(func() { close(in.stopping) })
	var err error
	if in.started.Load() {
		err = in.client.Stop(ctx)
		if ctx.Err() != nil {
			cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			err = in.client.StopAndCancel(cctx)
			cancel()
		}
	}
	if in.tel.reg != nil {
		in.tel.reg.Unregister()
	}
	if in.hooks.close != nil {
		err = errors.Join(err, in.hooks.close())
	}
	return err
}

// ServeHTTP receives one delivery; see [Inbox] for the statuses.
func (in *Inbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	received := time.Now()
	ctx, span := in.tel.tracer.Start(r.Context(), "dailyhook.receive", trace.WithSpanKind(trace.SpanKindServer))
	status := http.StatusOK
	body, _, ok := in.cfg.Verifier.Receive(w, r, in.cfg.StrictVerificationRequest, func(st int, err error) {
		status = st
		in.log.LogAttrs(ctx, slog.LevelWarn, "inbox: delivery refused", slog.Any("err", err), slog.Int("status", st), slog.String("remote", r.RemoteAddr))
	})
	if ok {
		status = in.receive(ctx, w, body, received)
	}
	in.tel.deliveries.Add(ctx, 1, statusAttr(status))
	span.SetAttributes(attribute.Int("http.response.status_code", status))
	if status >= 500 {
		span.SetStatus(codes.Error, http.StatusText(status))
	}
	span.End()
}

// receive stores the authentic delivery body, answers, and returns the
// status; 0 when the client left before the outcome was known.
func (in *Inbox) receive(ctx context.Context, w http.ResponseWriter, body []byte, received time.Time) int {
	d := Delivery{ReceivedAt: received.UTC(), Body: body}
	opts := &river.InsertOpts{Queue: in.cfg.Queue, UniqueOpts: river.UniqueOpts{ByArgs: true}, Metadata: traceMetadata(ctx)}
	ev, perr := in.cfg.Parser.Parse(body)
	if perr != nil {
		ev = nil
		d.ParseError = perr.Error()
		opts.MaxAttempts = 1 // straight to the dead letters
		in.log.LogAttrs(ctx, slog.LevelWarn, "inbox: stored a delivery that does not parse", slog.Any("err", perr))
	} else {
		d.ID, d.Type = ev.Meta().ID, string(ev.Meta().Type)
	}
	trace.SpanFromContext(ctx).SetAttributes(attribute.String("daily.event.type", d.Type), attribute.String("daily.event.id", d.ID))
	d.Key = in.cfg.Key(ev, body)
	dup, err := in.store(ctx, d, opts)
	switch {
	case errors.Is(err, errOutcomeUnknown):
		in.log.LogAttrs(ctx, slog.LevelWarn, "inbox: the client left before the delivery's commit ended; if it was committed, Daily's retry is a duplicate and is answered 200 without being stored again", slog.String("type", d.Type), slog.String("id", d.ID), slog.Any("err", err))
		return 0
	case err != nil:
		in.log.LogAttrs(ctx, slog.LevelError, "inbox: delivery not stored", slog.Any("err", fmt.Errorf("%w: %w", ErrStore, err)), slog.String("type", d.Type), slog.String("id", d.ID))
		http.Error(w, http.StatusText(http.StatusServiceUnavailable), http.StatusServiceUnavailable)
		return http.StatusServiceUnavailable
	}
	if in.cfg.OnStored != nil {
		in.cfg.OnStored(d, dup)
	}
	in.tel.ack.Record(ctx, time.Since(received).Seconds())
	w.WriteHeader(http.StatusOK)
	return http.StatusOK
}

// An insert is a delivery waiting to be stored, and where its outcome goes.
type insert struct {
	d    Delivery
	opts *river.InsertOpts
	done chan stored
}

// stored is the outcome of an insert: an error, or whether the delivery
// was stored before.
type stored struct {
	err       error
	duplicate bool
}

// maxBatch bounds the deliveries stored in one transaction.
const maxBatch = 256

var (
	// errStopped is the error of a delivery received after Stop.
	errStopped = errors.New("inbox: stopped")
	// errOutcomeUnknown is the error of a delivery whose client left
	// while its commit ran: it may or may not be stored.
	errOutcomeUnknown = errors.New("inbox: the client left before the commit ended")
)

// store stores d and returns once it is committed, reporting whether it
// was stored before, or why it is not stored. An error wrapping
// errOutcomeUnknown means that the client left while the commit ran.
func (in *Inbox) store(ctx context.Context, d Delivery, opts *river.InsertOpts) (bool, error) {
	ins := &insert{d: d, opts: opts, done: make(chan stored, 1)}
	select {
	case in.inserts <- ins:
	case <-in.stopping:
		return false, errStopped
	case <-ctx.Done():
		return false, ctx.Err()
	}
	select {
	case res := <-ins.done:
		return res.duplicate, res.err
	case <-ctx.Done():
		return false, fmt.Errorf("%w: %w", errOutcomeUnknown, ctx.Err())
	}
}

// storeBatches stores the deliveries as they come, until Stop. Those that
// arrive while a transaction commits are stored together in the next one:
// a lone delivery waits for nothing, and under load one commit, which
// SQLite makes durable with an fsync, serves many.
func (in *Inbox) storeBatches() {
	for {
		var batch []*insert
		select {
		case ins := <-in.inserts:
			batch = append(batch, ins)
		case <-in.stopping:
			return
		}
	more:
		for len(batch) < maxBatch {
			select {
			case ins := <-in.inserts:
				batch = append(batch, ins)
			default:
				break more
			}
		}
		in.insertBatch(batch)
	}
}

// insertBatch stores batch in one transaction and tells each delivery the
// outcome. Deliveries of the same key become one job: PostgreSQL refuses
// to insert a key twice in one statement, and one is what is wanted.
func (in *Inbox) insertBatch(batch []*insert) {
	params := make([]river.InsertManyParams, 0, len(batch))
	index := make(map[string]int, len(batch))
	first := make(map[string]*insert, len(batch))
	for _, ins := range batch {
		if _, ok := index[ins.d.Key]; ok {
			continue
		}
		index[ins.d.Key], first[ins.d.Key] = len(params), ins
		params = append(params, river.InsertManyParams{Args: ins.d, InsertOpts: ins.opts})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var res []*rivertype.JobInsertResult
	err := in.checkStore()
	if err == nil {
		res, err = in.client.InsertMany(ctx, params)
	}
	if err == nil {
		// Committed, but to a file that may have vanished meanwhile:
		// Daily must keep those deliveries for a restart.
		err = in.checkStore()
	}
	for _, ins := range batch {
		out := stored{err: err}
		if err == nil {
			i := index[ins.d.Key]
			out.duplicate = res[i].UniqueSkippedAsDuplicate || first[ins.d.Key] != ins
			if out.duplicate {
				in.log.LogAttrs(ctx, slog.LevelInfo, "inbox: delivery already stored", slog.String("type", ins.d.Type), slog.String("id", ins.d.ID))
			}
		}
		ins.done <- out
	}
}

// checkStore returns the store's check, or nil when it has none.
func (in *Inbox) checkStore() error {
	if in.hooks.check == nil {
		return nil
	}
	return in.hooks.check()
}

// Replay makes the dead deliveries of event ID id pending again, for one
// more attempt each, and returns how many there were: ReplayDead of that
// ID. The error wraps [ErrNotFound] when there is none.
func (in *Inbox) Replay(ctx context.Context, id string) (int, error) {
	n, err := in.ReplayDead(ctx, Filter{IDs: []string{id}})
	if err == nil && n == 0 {
		err = fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	return n, err
}

// ReplayJob makes the dead-lettered job jobID available again for one more
// attempt; it serves deliveries without an event ID.
func (in *Inbox) ReplayJob(ctx context.Context, jobID int64) error {
	if _, err := in.client.JobRetry(ctx, jobID); err != nil {
		return fmt.Errorf("inbox: replaying job %d: %w", jobID, err)
	}
	return nil
}

// attemptKey is the context key of the attempt number.
type attemptKey struct{}

// Attempt returns the number of the attempt whose context ctx is, counting
// from 1, or 0 outside a worker.
func Attempt(ctx context.Context) int {
	n, _ := ctx.Value(attemptKey{}).(int)
	return n
}

// worker is the River worker of deliveries.
type worker struct {
	river.WorkerDefaults[Delivery]
	in *Inbox
}

// Work parses the stored delivery and hands it to Handle, in a span of
// its own linked to the span that received the delivery. An error or a
// panic fails the attempt; the last failed attempt dead-letters the
// delivery, which is logged at ERROR and counted.
func (w *worker) Work(ctx context.Context, job *river.Job[Delivery]) error {
	d := job.Args
	ctx, span := w.in.tel.tracer.Start(ctx, "dailyhook.attempt",
		trace.WithLinks(trace.Link{SpanContext: receivedSpan(job.Metadata)}),
		trace.WithAttributes(attribute.String("daily.event.type", d.Type), attribute.String("daily.event.id", d.ID), attribute.Int("dailyhook.attempt", job.Attempt)))
	ctx = context.WithValue(ctx, attemptKey{}, job.Attempt)
	err := w.handle(ctx, d)
	endSpan(span, err)
	last := job.Attempt >= job.MaxAttempts
	w.in.tel.attempt(ctx, d, err, last)
	switch {
	case err != nil && last:
		w.in.log.LogAttrs(ctx, slog.LevelError, "inbox: delivery dead-lettered after its last attempt; replay it with dailyhook inbox replay, or Inbox.Replay", slog.String("type", d.Type), slog.String("id", d.ID), slog.Int("attempts", job.Attempt), slog.Any("err", err))
		return err
	case err != nil:
		w.in.log.LogAttrs(ctx, slog.LevelWarn, "inbox: attempt failed", slog.String("type", d.Type), slog.String("id", d.ID), slog.Int("attempt", job.Attempt), slog.Any("err", err))
		return err
	}
	// Record the success before taking other work, so that a crash
	// repeats at most the events being handled, not those handled in
	// the last batch of completions.
	if w.in.hooks.complete != nil {
		if err := w.in.hooks.complete(ctx, job); err != nil {
			w.in.log.LogAttrs(ctx, slog.LevelWarn, "inbox: recording a completion", slog.String("id", d.ID), slog.Any("err", err))
		}
	}
	return nil
}

// handle parses d and hands it to Handle, turning a panic into an error.
func (w *worker) handle(ctx context.Context, d Delivery) (err error) {
	ev, err := w.in.cfg.Parser.Parse(d.Body)
	if err != nil {
		return fmt.Errorf("inbox: parsing the stored delivery: %w", err)
	}
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("%w: %v", events.ErrHandlerPanic, v)
			w.in.log.LogAttrs(ctx, slog.LevelError, "inbox: Handle panicked", slog.String("type", d.Type), slog.String("id", d.ID), slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
		}
	}()
	return w.in.cfg.Handle(ctx, ev)
}
