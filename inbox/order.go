package inbox

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// DefaultOrderWindow is the Config.OrderWindow of an inbox that orders its
// deliveries and sets none: Daily sends the deliveries of a meeting
// concurrently, and those sent within a second of each other may arrive in
// any order.
const DefaultOrderWindow = time.Second

// ByRoom is a Config.OrderKey: the event's room, which is the payload's
// "room", or its "room_name" where an event carries that instead
// (recording, transcript, and streaming errors and warnings). An event of a
// type this version does not know is ordered by the same fields of its
// payload. An event without a room is not ordered.
func ByRoom(ev events.Event) string {
	if room := events.RoomName(ev); room != "" {
		return room
	}
	u, ok := ev.(*events.Unknown)
	if !ok || len(u.Payload) == 0 {
		return ""
	}
	var p struct {
		Room     string `json:"room"`
		RoomName string `json:"room_name"`
	}
	if json.Unmarshal(u.Payload, &p) != nil {
		return ""
	}
	if p.Room != "" {
		return p.Room
	}
	return p.RoomName
}

// The keys of an ordered job's metadata, which the store packages read and
// write in SQL. Unstable: see [Store].
const (
	// ReleasedKey is the attempt at which the job failed for the last
	// time: its room goes on while River dead-letters it.
	ReleasedKey = "dailyhook_released"
	// LateKey is true in a job handed over after a room-mate stamped later.
	LateKey = "dailyhook_late"
)

// SweepInterval is how often an inbox over a store that orders looks for
// rooms whose deliveries wait with none of them on its way, as after a
// purge, a cancel in River's UI or a completion that could not be
// recorded, and sends the first of each on.
const SweepInterval = time.Second

// A lateKey is the context key of Late.
type lateKey struct{}

// Late reports whether the delivery that a worker's ctx is handling is
// late: it belongs to an ordered room whose delivery stamped later was
// handed over before it, because it arrived after the order window, or was
// replayed.
func Late(ctx context.Context) bool {
	late, _ := ctx.Value(lateKey{}).(bool)
	return late
}

// late returns ctx telling Late that job is late, if it is, and counts and
// logs a late delivery once.
func (w *worker) late(ctx context.Context, job *river.Job[Delivery]) context.Context {
	if job.Args.Order == "" || !metaValue[bool](job.Metadata, LateKey) {
		return ctx
	}
	// Counted and logged at its first attempt (since its replay, if it
	// was replayed); said to Handle at every one.
	if job.Attempt == replayBase(job.Metadata)+1 {
		w.in.tel.late.Add(ctx, 1, metric.WithAttributes(attribute.String("type", typeLabel(job.Args.Type))))
		w.in.log.LogAttrs(ctx, slog.LevelInfo, "inbox: handing over a late delivery: a room-mate stamped later was handed over before it", slog.String("type", job.Args.Type), slog.String("id", job.Args.ID), slog.String("room", job.Args.Order))
	}
	return context.WithValue(ctx, lateKey{}, true)
}

// release lets the room of job, whose last attempt failed, go on while
// River dead-letters it.
func (w *worker) release(ctx context.Context, job *river.Job[Delivery]) {
	if job.Args.Order == "" || w.in.hooks.release == nil {
		return
	}
	if err := w.in.hooks.release(context.WithoutCancel(ctx), w.in.cfg.Queue, job); err != nil {
		w.in.log.LogAttrs(ctx, slog.LevelWarn, "inbox: releasing the room of a dead-lettered delivery; its room goes on within "+SweepInterval.String(), slog.String("id", job.Args.ID), slog.Any("err", err))
	}
}

// busy returns River's snooze for an ordered job whose room-mate is in
// flight, or nil: only a job made available outside the store's order
// (retried from River's UI, say) meets one. The snooze, of about a
// second, keeps its attempt; its jitter parts two such jobs that keep
// finding each other.
func (w *worker) busy(ctx context.Context, job *river.Job[Delivery]) error {
	if job.Args.Order == "" || w.in.hooks.busy == nil {
		return nil
	}
	busy, err := w.in.hooks.busy(ctx, w.in.cfg.Queue, job)
	if err == nil && !busy {
		return nil
	}
	msg := "inbox: an ordered delivery was fetched while a room-mate is in flight, as after a retry from River's UI: snoozed"
	if err != nil {
		msg = "inbox: looking whether an ordered delivery's room-mate is in flight: snoozed"
	}
	w.in.log.LogAttrs(ctx, slog.LevelWarn, msg, slog.String("id", job.Args.ID), slog.String("room", job.Args.Order), slog.Any("err", err))
	return river.JobSnooze(time.Second/2 + rand.N(time.Second))
}

// sweep sends on, every SweepInterval until ctx ends, the rooms whose
// deliveries all wait.
func (in *Inbox) sweep(ctx context.Context) {
	t := time.NewTicker(SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := in.hooks.sweep(ctx, in.cfg.Queue); err != nil && ctx.Err() == nil {
			in.log.LogAttrs(ctx, slog.LevelWarn, "inbox: sending on the ordered rooms whose deliveries all wait", slog.Any("err", err))
		}
	}
}

// heldBehind returns the event ID of the room-mate that the ordered job
// waits for, "job N" when it has none, or "" when it waits for none; seen
// caches the answers by room.
func (in *Inbox) heldBehind(ctx context.Context, job *rivertype.JobRow, d Delivery, seen map[string]string) (string, error) {
	if d.Order == "" || job.State != rivertype.JobStatePending {
		return "", nil
	}
	if s, ok := seen[d.Order]; ok {
		return s, nil
	}
	params := river.NewJobListParams().Kinds(Kind).Queues(in.cfg.Queue).
		States(rivertype.JobStateAvailable, rivertype.JobStateScheduled, rivertype.JobStateRetryable, rivertype.JobStateRunning).
		Where("args->>'order' = @room", river.NamedArgs{"room": d.Order}).First(1)
	res, err := in.client.JobList(ctx, params)
	if err != nil {
		return "", fmt.Errorf("inbox: the head of room %q: %w", d.Order, err)
	}
	s := ""
	if len(res.Jobs) > 0 {
		var h Delivery
		json.Unmarshal(res.Jobs[0].EncodedArgs, &h)
		s = cmp.Or(h.ID, fmt.Sprint("job ", res.Jobs[0].ID))
	}
	seen[d.Order] = s
	return s, nil
}

// checkOrder returns an error wrapping ErrConfig when c orders deliveries
// over a store that cannot.
func (c Config) checkOrder(s storeHooks) error {
	switch {
	case c.OrderKey == nil:
		return nil
	case s.sweep == nil:
		return fmt.Errorf("%w: OrderKey needs a store that orders: the sqlite and postgres packages' do", ErrConfig)
	}
	return nil
}
