package inbox

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/pipecat"
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
	// DefaultFetchCooldown is the shortest time between two fetches of
	// deliveries by a process's workers. Each fetch is a write, which on
	// SQLite waits for the one connection that receipts commit through:
	// 25 ms keeps the receipts' p99 low under load, while 10 workers still
	// take up to 400 deliveries a second when handling is fast (Workers
	// deliveries per fetch).
	DefaultFetchCooldown = 25 * time.Millisecond
	// DefaultCompletedRetention is how long a handled delivery is kept, and
	// so how long a re-sent one is recognised as a duplicate.
	DefaultCompletedRetention = 24 * time.Hour
)

// Errors of this package.
var (
	// ErrNotFound means that no dead-lettered delivery has the event ID
	// given to Replay.
	ErrNotFound = errors.New("inbox: no dead-lettered delivery with that event ID")
	// ErrNotDead means that deliveries found dead were no longer dead, or
	// gone, when a replay or a purge came to change them: another replay
	// or purge took them meanwhile. It comes with the exact count of what
	// the call did, and is a report rather than a failure.
	ErrNotDead = errors.New("inbox: no longer dead")
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
	// ID is the event's ID, "" when it has none or did not parse. It is
	// stored only when the key does not carry it.
	ID string `json:"-"`
	// Type is the event's type, "" when it did not parse. It is stored
	// first, as text, so that River's UI shows which event a row is.
	Type string `json:"-"`
	// Room is the event's room, where it has one: stored after Type, for
	// River's UI as well.
	Room string `json:"-"`
	// Order is the key of the deliveries handed over in order, one at a
	// time (Config.OrderKey), or "" for a delivery handed over as soon as
	// a worker is free.
	Order string `json:"-"`
	// TS is the event's event_ts in Unix seconds, by which the deliveries
	// of one Order are handed over; 0 when it has none. It is stored only
	// with an Order.
	TS float64 `json:"-"`
	// ReceivedAt is when the endpoint received the delivery. It is not
	// stored apart: read back (List), it is when the delivery was stored,
	// its job's creation, within the acknowledgement's latency of it.
	ReceivedAt time.Time `json:"-"`
	// Body is the delivery exactly as received. It is stored as a JSON
	// value ("json") when it is a compact JSON object and the store keeps
	// a JSON value's text (SQLite's JSONB does), as a JSON string ("text")
	// otherwise when it is valid UTF-8, as every delivery of Daily's is,
	// so that River's UI and a look at the database show it; and as
	// base64 ("body") otherwise, so that the database keeps every byte.
	Body []byte `json:"-"`
	// embed stores a compact JSON body as a JSON value, in a store that
	// preserves its text (Store.PreservesJSON).
	embed bool
	// ParseError is why the delivery did not parse when it was received,
	// or "". Such a delivery is dead-lettered at its first attempt, to be
	// replayed once a newer version of this module can parse it.
	ParseError string `json:"parse_error,omitempty"`
	// Source is the hook that sent the delivery: "" for Daily's webhooks,
	// SourcePipecat for Pipecat Cloud's, whose ID is the webhook-id header
	// (the body has none) and whose Type is its event_type.
	Source string `json:"source,omitempty"`
}

// SourcePipecat is the Delivery.Source of Pipecat Cloud's deliveries.
const SourcePipecat = "pipecat"

// deliveryJSON is the stored form of a Delivery. Its type and room come
// first, as text, so that River's UI lists what each delivery is; it
// repeats nothing else that the body or the job's row holds: the ID, which
// is the body's (it is stored only under a key not made from it), and the
// time of receipt, which is the row's created_at.
type deliveryJSON struct {
	Type       string          `json:"type,omitempty"`
	Room       string          `json:"room,omitempty"`
	Order      string          `json:"order,omitempty"`
	TS         float64         `json:"ts,omitempty"`
	Key        string          `json:"key"`
	ID         string          `json:"id,omitempty"`
	Text       *string         `json:"text,omitempty"`
	JSON       json.RawMessage `json:"json,omitempty"`
	Body       []byte          `json:"body,omitempty"`
	ParseError string          `json:"parse_error,omitempty"`
	Source     string          `json:"source,omitempty"`
}

// MarshalJSON writes d in its stored form: its body as text when it is
// valid UTF-8, in base64 otherwise, and neither its ID when its key
// is made from it, nor its type, nor its time of receipt.
func (d Delivery) MarshalJSON() ([]byte, error) {
	j := deliveryJSON{Type: d.Type, Room: d.Room, Order: d.Order, TS: d.TS, Key: d.Key, ParseError: d.ParseError, Source: d.Source}
	if d.ID != "" && d.Key != IDKey(d.ID) {
		j.ID = d.ID
	}
	switch {
	case d.embed && compactObject(d.Body):
		j.JSON = d.Body
	case utf8.Valid(d.Body):
		text := string(d.Body)
		j.Text = &text
	default:
		j.Body = d.Body
	}
	return json.Marshal(j)
}

// compactObject reports whether body is a JSON object with no
// insignificant white space, whose text a JSON value in a store that
// preserves it gives back byte for byte.
func compactObject(body []byte) bool {
	// encoding/json escapes these in a json.RawMessage it writes (and
	// River encodes args with it): the text would change.
	if len(body) < 2 || body[0] != '{' || bytes.ContainsAny(body, "<>&\u2028\u2029") || !json.Valid(body) {
		return false
	}
	var buf bytes.Buffer
	if json.Compact(&buf, body) != nil {
		return false
	}
	return bytes.Equal(buf.Bytes(), body)
}

// UnmarshalJSON reads d in its stored form.
func (d *Delivery) UnmarshalJSON(b []byte) error {
	var j deliveryJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*d = Delivery{Key: j.Key, ID: j.ID, Type: j.Type, Room: j.Room, Order: j.Order, TS: j.TS, Body: j.Body, ParseError: j.ParseError, Source: j.Source}
	switch {
	case j.Text != nil:
		d.Body = []byte(*j.Text)
	case j.JSON != nil:
		d.Body = j.JSON
	}
	if d.ParseError == "" && (d.Type == "" || d.ID == "") {
		typ, id := bodyMeta(d.Body, d.Source)
		d.Type = cmp.Or(d.Type, typ)
		if d.Key == IDKey(id) {
			d.ID = cmp.Or(d.ID, id)
		}
	}
	return nil
}

// bodyMeta returns the type and ID of a delivery of source that parsed
// when it was stored: Daily's top-level "type" and "id", or Pipecat
// Cloud's "event_type" (its ID is the header, stored apart).
func bodyMeta(body []byte, source string) (typ, id string) {
	var v struct {
		Type      string `json:"type"`
		ID        string `json:"id"`
		EventType string `json:"event_type"`
	}
	json.Unmarshal(body, &v)
	if source == SourcePipecat {
		return v.EventType, ""
	}
	return v.Type, v.ID
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
	// means DefaultWorkers; -1 makes a process that only receives. River
	// fetches up to as many more ahead (they count as running), so that
	// a worker that finishes takes the next delivery at once; one that
	// finds no free worker within a second goes back to the queue, its
	// attempt not counted.
	Workers int
	// Queue is the River queue of the deliveries. Zero means DefaultQueue.
	Queue string
	// JobTimeout bounds one attempt: its context is cancelled then. Zero
	// means DefaultJobTimeout; it may not be negative. It counts from
	// when the delivery has one of the Workers: River, which fetches
	// deliveries ahead for them, gives a delivery up to a second more to
	// find one.
	JobTimeout time.Duration
	// RescueAfter is how long a delivery may stay running before River
	// takes it for stuck, its process having died, and tries it again.
	// It must be longer than JobTimeout plus that second, which cancels
	// an attempt's context. Zero means JobTimeout plus 15 seconds. River's rescuer
	// looks every 30 seconds, from the elected leader: the deliveries of a
	// dead replica of PostgreSQL are tried again within about RescueAfter
	// plus 30 seconds, and a few more when the dead replica was the
	// leader. (On SQLite, the next process resumes them at open.)
	RescueAfter time.Duration
	// RetryPolicy says when a failed attempt is tried again. Nil means
	// River's default: attempt⁴ seconds, with jitter.
	RetryPolicy river.ClientRetryPolicy
	// PollInterval is how often workers look for new deliveries they were
	// not told of: a commit of this process wakes its own workers, but on
	// PostgreSQL, deliveries another replica stored (more than its
	// workers take, or all of them once it died), retries and replays are
	// found by this poll. Zero means DefaultPollInterval.
	PollInterval time.Duration
	// FetchCooldown is the shortest time between two fetches of
	// deliveries: with fast handling, a process handles at most Workers
	// deliveries per FetchCooldown. Zero means DefaultFetchCooldown; it is
	// never longer than PollInterval.
	FetchCooldown time.Duration
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
	// Pipecat, when not nil, verifies Pipecat Cloud's deliveries, which
	// the handler of Inbox.Pipecat receives; HandlePipecat is then
	// required, and Verifier and Handle become optional: an inbox serves
	// Daily's hook, Pipecat Cloud's, or both.
	Pipecat *pipecat.Verifier
	// HandlePipecat receives each stored Pipecat Cloud event, as Handle
	// receives Daily's; [PipecatMessageID] gives its webhook-id.
	HandlePipecat func(ctx context.Context, ev pipecat.Event) error
	// OrderKey, when not nil, orders the deliveries that it gives the
	// same key, such as ByRoom's room: they are handed to Handle one at a
	// time, in the order of their event_ts, ties broken by receipt. A
	// failing delivery holds its key's later ones until it is handled or
	// dead-lettered. Deliveries of different keys are handled in parallel,
	// up to Workers, and those with the key "" as soon as a worker is free.
	// It needs a store that orders (the sqlite and postgres packages'),
	// and applies to the deliveries received while it is set.
	OrderKey func(ev events.Event) string
	// OrderWindow is how long an ordered delivery waits after it is
	// stored for a room-mate stamped earlier that is still on its way: one
	// that arrives within the window is handed over first. The window is
	// latency added to every ordered delivery. One that arrives later is
	// handed over anyway, as late (see [Late]). Zero means
	// DefaultOrderWindow; a negative value waits for none.
	OrderWindow time.Duration
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
	// workers holds a token for each delivery being handled, up to
	// Config.Workers: River runs twice as many jobs, the rest waiting
	// here (see worker.take).
	workers chan struct{}
	// completions wait for a group commit; workersStopped ends it, once
	// River's workers stopped.
	completions    chan completion
	workersStopped chan struct{}
	// riding takes completions to the receipts' next commit; lastReceipt
	// is when the receipts' writer last had some (Unix nanoseconds),
	// committing whether it commits now, and commitStart is closed when
	// it starts its next commit: see writeCompletions.
	riding      chan []completion
	lastReceipt atomic.Int64
	committing  atomic.Bool
	startMu     sync.Mutex
	commitStart chan struct{}
	stopWorkers sync.Once
	// stopSweep ends the sweep of ordered rooms, if one runs, and
	// sweepDone is closed when it ended.
	stopSweep context.CancelFunc
	sweepDone chan struct{}
	stopOnce  sync.Once
	stopErr   error
	// refusals logs the requests refused, in summary.
	refusals events.RefusalSummary
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
	if err := cfg.checkHooks(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if cfg.JobTimeout < 0 {
		return nil, fmt.Errorf("%w: JobTimeout %v is negative", ErrConfig, cfg.JobTimeout)
	}
	if cfg.RescueAfter <= cfg.JobTimeout+prefetchWait {
		return nil, fmt.Errorf("%w: RescueAfter %v must be longer than JobTimeout %v plus %v", ErrConfig, cfg.RescueAfter, cfg.JobTimeout, prefetchWait)
	}
	log := cfg.Logger
	if !s.Migrated {
		if err := migrate(ctx, s.Driver, log); err != nil {
			return nil, err
		}
	}
	var stats func(context.Context) (Stats, error)
	if s.Stats != nil {
		stats = func(ctx context.Context) (Stats, error) { return s.Stats(ctx, cfg.Queue) }
	}
	if err := cfg.checkOrder(storeHooks{sweep: s.Sweep}); err != nil {
		return nil, err
	}
	tel, err := newTelemetry(cfg, stats)
	if err != nil {
		return nil, fmt.Errorf("%w: telemetry: %w", ErrConfig, err)
	}
	in := &Inbox{cfg: cfg, log: log, refusals: events.RefusalSummary{Logger: log}, hooks: storeHooks{s.Commit, s.Check, s.Close, stats, s.Replay, s.PreservesJSON, s.Sweep, s.Release, s.Busy}, tel: tel, inserts: make(chan *insert), stopping: make(chan struct{}),
		completions: make(chan completion), workersStopped: make(chan struct{}), workers: make(chan struct{}, max(cfg.Workers, 1))}
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &worker{in: in}); err != nil {
		return nil, err
	}
	client, err := river.NewClient(s.Driver, cfg.riverConfig(workers))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	in.client, in.typed = client, client
	if s.Concurrent {
		in.riding, in.commitStart = make(chan []completion), make(chan struct{})
		go in.write(in.inserts, nil)
		go in.writeCompletions()
	} else {
		go in.write(in.inserts, in.completions)
	}
	return in, nil
}

// checkHooks returns an error wrapping ErrConfig unless c serves Daily's
// hook (Verifier and Handle), Pipecat Cloud's (Pipecat and HandlePipecat),
// or both, each whole.
func (c Config) checkHooks() error {
	daily, pc := c.Verifier != nil || c.Handle != nil, c.Pipecat != nil || c.HandlePipecat != nil
	switch {
	case !daily && !pc:
		return fmt.Errorf("%w: Verifier and Handle are required, or Pipecat and HandlePipecat", ErrConfig)
	case daily && (c.Verifier == nil || c.Handle == nil):
		return fmt.Errorf("%w: Verifier and Handle go together", ErrConfig)
	case pc && (c.Pipecat == nil || c.HandlePipecat == nil):
		return fmt.Errorf("%w: Pipecat and HandlePipecat go together", ErrConfig)
	}
	return nil
}

// withDefaults returns c with its zero values replaced by the defaults.
func (c Config) withDefaults() Config {
	c.MaxAttempts = cmp.Or(c.MaxAttempts, DefaultMaxAttempts)
	c.Workers = cmp.Or(c.Workers, DefaultWorkers)
	c.Queue = cmp.Or(c.Queue, DefaultQueue)
	c.JobTimeout = cmp.Or(c.JobTimeout, DefaultJobTimeout)
	c.RescueAfter = cmp.Or(c.RescueAfter, c.JobTimeout+15*time.Second)
	c.PollInterval = cmp.Or(c.PollInterval, DefaultPollInterval)
	c.FetchCooldown = min(cmp.Or(c.FetchCooldown, DefaultFetchCooldown), c.PollInterval)
	c.CompletedRetention = cmp.Or(c.CompletedRetention, DefaultCompletedRetention)
	c.DiscardedRetention = cmp.Or(c.DiscardedRetention, -1)
	c.OrderWindow = cmp.Or(c.OrderWindow, DefaultOrderWindow)
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
		// River's default waits 100 ms between fetches; ours 25 ms.
		FetchCooldown:        c.FetchCooldown,
		JobTimeout:           c.JobTimeout,
		Logger:               c.Logger,
		MaxAttempts:          c.MaxAttempts,
		RescueStuckJobsAfter: c.RescueAfter,
		RetryPolicy:          c.RetryPolicy,
		Workers:              workers,
		// River's own spans and metrics, which drop the attempt number:
		// replays make it unbounded.
		Plugins: []rivertype.Plugin{otelriver.NewMiddleware(&otelriver.MiddlewareConfig{
			MeterProvider: newBoundedMeters(c.MeterProvider), TracerProvider: c.TracerProvider, DurationUnit: "s",
		})},
	}
	if c.Workers > 0 {
		rc.Queues = map[string]river.QueueConfig{c.Queue: {MaxWorkers: 2 * c.Workers}}
		rc.JobTimeout = c.JobTimeout + prefetchWait
	}
	return rc
}

// prefetchWait is how long a delivery River fetched waits for one of the
// Workers before it goes back to the queue (see worker.take).
const prefetchWait = time.Second

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

// DefaultKey is the default Config.Key: IDKey of the event ID, or for a
// delivery without an ID, or that does not parse, "b:" and the first 128
// bits of the body's SHA-256 in unpadded URL-safe base64.
func DefaultKey(ev events.Event, body []byte) string {
	if ev != nil && ev.Meta().ID != "" {
		return IDKey(ev.Meta().ID)
	}
	return hashKey("b:", body)
}

// IDKey returns the default key of a delivery with event ID id: "i:" and
// the first 128 bits of the SHA-256 of the ID in unpadded URL-safe base64,
// 24 bytes whatever the ID's length; 128 bits make a collision between two
// IDs out of reach. River hashes the key again for its unique index.
func IDKey(id string) string {
	return hashKey("i:", []byte(id))
}

// hashKey returns prefix and the first 128 bits of the SHA-256 of b.
func hashKey(prefix string, b []byte) string {
	sum := sha256.Sum256(b)
	return prefix + base64.RawURLEncoding.EncodeToString(sum[:16])
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

// freeWorkers returns how many of Config.Workers handle no delivery now:
// 0 when all are busy, or when the inbox runs no workers.
func (in *Inbox) freeWorkers() int {
	if in.cfg.Workers < 0 {
		return 0
	}
	return cap(in.workers) - len(in.workers)
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
	if in.hooks.sweep != nil {
		sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		in.stopSweep, in.sweepDone = cancel, make(chan struct{})
		go func() {
			defer close(in.sweepDone)
			in.sweep(sctx)
		}()
	}
	return nil
}

// Stop stops the workers gracefully: they take no new work, and running
// attempts may finish until ctx is done; then they are cancelled, and fail
// as attempts to be tried again. It closes the database when the inbox
// opened it. The endpoint must not be served afterwards. Stop may be
// called more than once: the later calls wait for the first, and return
// what it returned.
func (in *Inbox) Stop(ctx context.Context) error {
	in.stopOnce.Do(func() { in.stopErr = in.stop(ctx) })
	return in.stopErr
}

// stop is Stop, once.
func (in *Inbox) stop(ctx context.Context) error {
	close(in.stopping)
	in.refusals.Flush()
	var err error
	if in.started.Load() {
		err = in.client.Stop(ctx)
		if ctx.Err() != nil {
			cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			err = in.client.StopAndCancel(cctx)
			cancel()
		}
	}
	if in.stopSweep != nil {
		in.stopSweep()
		<-in.sweepDone
	}
	in.stopWorkers.Do(func() { close(in.workersStopped) })
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
	if in.cfg.Verifier == nil {
		http.NotFound(w, r) // this inbox serves Pipecat Cloud's hook alone
		return
	}
	received := time.Now()
	ctx, span := in.tel.tracer.Start(r.Context(), "dailyhook.receive", trace.WithSpanKind(trace.SpanKindServer))
	status := http.StatusOK
	body, _, ok := in.cfg.Verifier.Receive(w, r, in.cfg.StrictVerificationRequest, func(st int, err error) {
		status = st
		in.refusals.Add(st, err)
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
	d := Delivery{ReceivedAt: received.UTC(), Body: body, embed: in.hooks.preservesJSON}
	opts := &river.InsertOpts{Queue: in.cfg.Queue, UniqueOpts: river.UniqueOpts{ByArgs: true}, Metadata: traceMetadata(ctx)}
	ev, perr := in.cfg.Parser.Parse(body)
	if perr != nil {
		ev = nil
		d.ParseError = perr.Error()
		opts.MaxAttempts = 1 // straight to the dead letters
		in.log.LogAttrs(ctx, slog.LevelWarn, "inbox: stored a delivery that does not parse", slog.Any("err", perr))
	} else {
		d.ID, d.Type, d.Room = ev.Meta().ID, string(ev.Meta().Type), events.RoomName(ev)
		if in.cfg.OrderKey != nil {
			d.Order = in.cfg.OrderKey(ev)
		}
		if d.Order != "" && ev.Meta().EventTS.Valid() {
			d.TS = float64(ev.Meta().EventTS.Time().UnixMicro()) / 1e6
		}
	}
	trace.SpanFromContext(ctx).SetAttributes(attribute.String("daily.event.type", d.Type), attribute.String("daily.event.id", d.ID))
	d.Key = in.cfg.Key(ev, body)
	return in.store1(ctx, w, d, opts, received)
}

// store1 stores d, answers, and returns the status; 0 when the client left
// before the outcome was known.
func (in *Inbox) store1(ctx context.Context, w http.ResponseWriter, d Delivery, opts *river.InsertOpts, received time.Time) int {
	dup, err := in.submit(ctx, d, opts)
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

// submit stores d and returns once it is committed, reporting whether it
// was stored before, or why it is not stored. An error wrapping
// errOutcomeUnknown means that the client left while the commit ran.
func (in *Inbox) submit(ctx context.Context, d Delivery, opts *river.InsertOpts) (bool, error) {
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

// write stores the deliveries of inserts and commits the completions of
// completions as they come, until the workers stopped; a nil channel
// brings none. Those that arrive while a transaction commits go together
// in the next one: a lone delivery waits for nothing, and under load one
// commit, which SQLite makes durable with an fsync, serves many receipts
// and completions at once. Completions that ride (see writeCompletions)
// join the receipts' commit.
func (in *Inbox) write(inserts <-chan *insert, completions <-chan completion) {
	for {
		var ins []*insert
		var comps []completion
		select {
		case i := <-inserts:
			ins = append(ins, i)
		case c := <-completions:
			comps = append(comps, c)
		case <-in.workersStopped:
			return
		}
	more:
		for len(ins)+len(comps) < maxBatch {
			select {
			case i := <-inserts:
				ins = append(ins, i)
			case c := <-completions:
				comps = append(comps, c)
			case r := <-in.riding:
				comps = append(comps, r...)
			default:
				break more
			}
		}
		if in.riding == nil || len(ins) == 0 {
			in.commit(ins, comps)
			continue
		}
		in.lastReceipt.Store(time.Now().UnixNano())
		in.committing.Store(true)
		in.startMu.Lock()
		close(in.commitStart)
		in.commitStart = make(chan struct{})
		in.startMu.Unlock()
		in.commit(ins, comps)
		in.committing.Store(false)
	}
}

// rideFor is how long a completion waits for the receipts' next commit
// to take it along, when receipts come; rideHook, when not nil, is called
// as completions begin to wait. Tests change them.
var (
	rideFor  = 10 * time.Millisecond
	rideHook func()
)

// writeCompletions commits completions for a store that commits in
// parallel (Store.Concurrent), beside the receipts' writer, so that a
// worker never waits behind a batch of receipts. While receipts come
// (one in the last rideFor), the receipts' writer waits for more, and a
// worker is free, completions first wait up to rideFor for its next
// commit to take them along: a transaction fewer for each. Otherwise (it
// commits already, or started without them, or every worker is busy and
// deliveries wait for the one a completion frees), they have a group
// commit of their own.
func (in *Inbox) writeCompletions() {
	for {
		var comps []completion
		select {
		case c := <-in.completions:
			comps = append(comps, c)
		case <-in.workersStopped:
			return
		}
		if in.freeWorkers() > 0 && !in.committing.Load() && time.Since(time.Unix(0, in.lastReceipt.Load())) < rideFor {
			comps = in.ride(comps)
		}
	more:
		for len(comps) > 0 && len(comps) < maxBatch {
			select {
			case c := <-in.completions:
				comps = append(comps, c)
			default:
				break more
			}
		}
		if len(comps) > 0 {
			in.commit(nil, comps)
		}
	}
}

// ride offers comps, and the completions that come meanwhile, to the
// receipts' writer for up to rideFor, until it starts a commit without
// them, or until the inbox stops, and returns those it did not take.
func (in *Inbox) ride(comps []completion) []completion {
	in.startMu.Lock()
	started := in.commitStart
	in.startMu.Unlock()
	t := time.NewTimer(rideFor)
	defer t.Stop()
	if rideHook != nil {
		rideHook()
	}
	for len(comps) < maxBatch {
		select {
		case in.riding <- comps:
			return nil
		case c := <-in.completions:
			comps = append(comps, c)
		case <-started:
			return comps
		case <-t.C:
			return comps
		case <-in.stopping:
			return comps
		}
	}
	return comps
}

// commit stores ins and completes comps in one transaction, and tells
// each the outcome. Deliveries of the same key become one job: PostgreSQL
// refuses to insert a key twice in one statement, and one is what is
// wanted. When the store cannot keep deliveries (its file vanished), the
// completions still commit, to the open file.
func (in *Inbox) commit(ins []*insert, comps []completion) {
	// Rows are locked in the order they are written: in key order, and
	// the completions in ID order, two replicas writing overlapping
	// batches at once wait for each other rather than deadlock, which
	// PostgreSQL would break by failing one commit (answered 503).
	slices.SortStableFunc(ins, func(a, b *insert) int { return strings.Compare(a.d.Key, b.d.Key) })
	slices.SortFunc(comps, func(a, b completion) int { return cmp.Compare(a.job.ID, b.job.ID) })
	params := make([]river.InsertManyParams, 0, len(ins))
	// An ordered delivery is inserted pending, scheduled at the end of its
	// window: the store sends it on, as the first of its room, no sooner.
	due := time.Now().Add(max(in.cfg.OrderWindow, 0))
	index := make(map[string]int, len(ins))
	first := make(map[string]*insert, len(ins))
	for _, i := range ins {
		if _, ok := index[i.d.Key]; ok {
			continue
		}
		index[i.d.Key], first[i.d.Key] = len(params), i
		if i.d.Order != "" {
			i.opts.ScheduledAt, i.opts.Pending = due, true
		}
		params = append(params, river.InsertManyParams{Args: i.d, InsertOpts: i.opts})
	}
	base := context.Background()
	jobs := make([]*river.Job[Delivery], len(comps))
	for k, c := range comps {
		jobs[k] = c.job
		// A worker's values (River's client, which completing needs),
		// not its deadline: a commit serves every worker of the batch.
		base = context.WithoutCancel(c.ctx)
	}
	ctx, cancel := context.WithTimeout(base, 30*time.Second)
	defer cancel()
	insErr := in.checkStore()
	if insErr != nil {
		params = nil
	}
	res, err := in.store(ctx, params, jobs)
	if insErr == nil && err == nil && len(params) > 0 {
		// Committed, but to a file that may have vanished meanwhile:
		// Daily must keep those deliveries for a restart.
		insErr = in.checkStore()
	}
	for _, c := range comps {
		c.done <- err
	}
	for _, i := range ins {
		out := stored{err: cmp.Or(insErr, err)}
		if out.err == nil {
			k := index[i.d.Key]
			out.duplicate = res[k].UniqueSkippedAsDuplicate || first[i.d.Key] != i
			if out.duplicate {
				in.log.LogAttrs(ctx, slog.LevelInfo, "inbox: delivery already stored", slog.String("type", i.d.Type), slog.String("id", i.d.ID))
			}
		}
		i.done <- out
	}
}

// store commits params and the completions of jobs through the store's
// Commit, in one transaction, or inserts params alone through River.
func (in *Inbox) store(ctx context.Context, params []river.InsertManyParams, jobs []*river.Job[Delivery]) ([]*rivertype.JobInsertResult, error) {
	if in.hooks.commit != nil {
		if len(params) == 0 && len(jobs) == 0 {
			return nil, nil
		}
		return in.hooks.commit(ctx, params, jobs)
	}
	if len(params) == 0 {
		return nil, nil
	}
	return in.client.InsertMany(ctx, params)
}

// checkStore returns the store's check, or nil when it has none.
func (in *Inbox) checkStore() error {
	if in.hooks.check == nil {
		return nil
	}
	return in.hooks.check()
}

// Replay makes the dead deliveries of event ID id pending again, each with
// a fresh budget of attempts, and returns how many: ReplayDead of that ID. The error wraps [ErrNotFound] when there is none.
func (in *Inbox) Replay(ctx context.Context, id string) (int, error) {
	n, err := in.ReplayDead(ctx, Filter{IDs: []string{id}})
	if n == 0 && (err == nil || errors.Is(err, ErrNotDead)) {
		err = fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	return n, err
}

// ReplayJob makes the dead-lettered job jobID pending again, with a fresh
// budget of attempts as ReplayDead gives; it serves deliveries without an
// event ID.
// The error wraps [ErrNotDead] when the job is not dead, or gone.
func (in *Inbox) ReplayJob(ctx context.Context, jobID int64) error {
	done, err := in.replayJobs(ctx, []int64{jobID})
	if err == nil && len(done) == 0 {
		err = fmt.Errorf("%w: job %d", ErrNotDead, jobID)
	}
	return err
}

// replayJobs replays those of jobIDs still dead, and returns their IDs.
func (in *Inbox) replayJobs(ctx context.Context, jobIDs []int64) ([]int64, error) {
	if in.hooks.replay != nil {
		budget := in.cfg.MaxAttempts
		if in.cfg.Workers < 0 {
			budget = 0 // as many as each had: the workers' MaxAttempts
		}
		done, err := in.hooks.replay(ctx, in.cfg.Queue, jobIDs, budget)
		if err != nil {
			return done, fmt.Errorf("inbox: replaying: %w", err)
		}
		if len(done) > 0 && in.hooks.sweep != nil {
			// Replayed ordered deliveries wait, pending, for their room:
			// send on those whose room is free now rather than at the
			// next sweep. The sweep tries again if this fails.
			if err := in.hooks.sweep(ctx, in.cfg.Queue); err != nil {
				in.log.LogAttrs(ctx, slog.LevelWarn, "inbox: sending on the rooms of replayed deliveries", slog.Any("err", err))
			}
		}
		return done, nil
	}
	var done []int64
	for _, id := range jobIDs {
		job, err := in.client.JobGet(ctx, id)
		if errors.Is(err, rivertype.ErrNotFound) || err == nil && StateOf(job.State) != StateDead {
			continue
		}
		if err != nil {
			return done, fmt.Errorf("inbox: replaying job %d: %w", id, err)
		}
		if _, err := in.client.JobRetry(ctx, id); err != nil {
			return done, fmt.Errorf("inbox: replaying job %d: %w", id, err)
		}
		done = append(done, id)
	}
	return done, nil
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
	release, err := w.take(ctx)
	if err != nil {
		return err
	}
	defer release()
	ctx, cancel := context.WithTimeout(ctx, w.in.cfg.JobTimeout)
	defer cancel()
	return w.attempt(ctx, job)
}

// attempt is one attempt at job, by a worker, within JobTimeout.
func (w *worker) attempt(ctx context.Context, job *river.Job[Delivery]) error {
	d := job.Args
	if snooze := w.busy(ctx, job); snooze != nil {
		return snooze
	}
	ctx = w.late(ctx, job)
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
		w.release(ctx, job)
		w.in.log.LogAttrs(ctx, slog.LevelError, "inbox: delivery dead-lettered after its last attempt; replay it with dailyhook inbox replay, or Inbox.Replay", slog.String("type", d.Type), slog.String("id", d.ID), slog.Int("attempts", job.Attempt), slog.Any("err", err))
		return err
	case err != nil:
		w.in.log.LogAttrs(ctx, slog.LevelWarn, "inbox: attempt failed", slog.String("type", d.Type), slog.String("id", d.ID), slog.Int("attempt", job.Attempt), slog.Any("err", err))
		return err
	}
	// Record the success before taking other work, so that a crash
	// repeats at most the events being handled, not those handled in
	// the last batch of completions.
	if w.in.hooks.commit != nil {
		if err := w.in.complete(ctx, job); err != nil {
			w.in.log.LogAttrs(ctx, slog.LevelWarn, "inbox: recording a completion", slog.String("id", d.ID), slog.Any("err", err))
		}
	}
	return nil
}

// take waits for one of the Workers, and returns its release. River runs
// up to twice Workers jobs, so that the next deliveries are fetched while
// the workers handle theirs, and a worker that finishes takes the next
// at once rather than after River's next fetch (FetchCooldown later at
// best): with fast handling, a worker's turn was mostly that wait. At
// most Workers deliveries are handled at once, and a worker takes other
// work only once its completion is committed. A delivery that finds no
// worker within prefetchWait goes back to the queue, available at once,
// its attempt not counted (River's JobSnooze), as it does when ctx ends
// first (a stop). Its JobTimeout starts once it has a worker.
func (w *worker) take(ctx context.Context) (release func(), err error) {
	release = func() { <-w.in.workers }
	select {
	case w.in.workers <- struct{}{}:
		return release, nil
	default:
	}
	t := time.NewTimer(prefetchWait)
	defer t.Stop()
	select {
	case w.in.workers <- struct{}{}:
		return release, nil
	case <-t.C:
	case <-ctx.Done():
	}
	return nil, river.JobSnooze(0)
}

// handle parses d and hands it to Handle, turning a panic into an error.
func (w *worker) handle(ctx context.Context, d Delivery) (err error) {
	if d.Source == SourcePipecat {
		return w.handlePipecat(ctx, d)
	}
	ev, err := w.in.cfg.Parser.Parse(d.Body)
	if err != nil {
		return fmt.Errorf("inbox: parsing the stored delivery: %w", err)
	}
	defer w.recover(ctx, d, &err)
	return w.in.cfg.Handle(ctx, ev)
}

// recover turns a panic of the user's function into an *events.PanicError
// in *err, and logs it with its stack.
func (w *worker) recover(ctx context.Context, d Delivery, err *error) {
	v := recover()
	if v == nil {
		return
	}
	pe := &events.PanicError{Value: v, Stack: debug.Stack()}
	*err = pe
	w.in.log.LogAttrs(ctx, slog.LevelError, "inbox: Handle panicked", slog.String("type", d.Type), slog.String("id", d.ID), slog.Any("panic", v), slog.String("stack", string(pe.Stack)))
}
