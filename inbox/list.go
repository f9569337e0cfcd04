package inbox

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// A State is where a stored delivery stands, in the five words an operator
// reads: River's eight job states map onto them.
type State string

// The states of a stored delivery.
const (
	// StatePending is a delivery waiting for a worker: River's available,
	// scheduled and pending, but for one that failed (see StateRetrying).
	StatePending State = "pending"
	// StateRunning is a delivery a worker process fetched: one of its
	// Workers is handling it, or it waits, for a second at most, for one
	// (see Config.Workers).
	StateRunning State = "running"
	// StateRetrying is a delivery whose attempt failed, waiting for the
	// next one: River's retryable, or available when the next attempt is
	// less than 5 seconds away. A replayed delivery is pending until an
	// attempt after the replay fails.
	StateRetrying State = "retrying"
	// StateHandled is a delivery handled successfully: River's completed.
	StateHandled State = "handled"
	// StateDead is a delivery that failed its last attempt, or did not
	// parse: River's discarded and cancelled. It is kept until replayed
	// or purged.
	StateDead State = "dead"
)

// States lists the states, in the order of a delivery's life.
func States() []State {
	return []State{StatePending, StateRunning, StateRetrying, StateHandled, StateDead}
}

// riverStates are the River job states of each State.
var riverStates = map[State][]rivertype.JobState{
	StatePending:  {rivertype.JobStateAvailable, rivertype.JobStateScheduled, rivertype.JobStatePending},
	StateRunning:  {rivertype.JobStateRunning},
	StateRetrying: {rivertype.JobStateRetryable},
	StateHandled:  {rivertype.JobStateCompleted},
	StateDead:     {rivertype.JobStateDiscarded, rivertype.JobStateCancelled},
}

// StateOf returns the State of River's job state s.
func StateOf(s rivertype.JobState) State {
	for st, rs := range riverStates {
		if slices.Contains(rs, s) {
			return st
		}
	}
	return State(s)
}

// stateOfJob returns the State of job: StateOf its River state, but
// retrying for a delivery waiting for its next attempt after one failed
// since its last replay, which River keeps available when that attempt
// is less than 5 seconds away.
func stateOfJob(job *rivertype.JobRow) State {
	st := StateOf(job.State)
	if n := len(job.Errors); st == StatePending && n > 0 && job.Errors[n-1].Attempt > replayBase(job.Metadata) {
		return StateRetrying
	}
	return st
}

// ParseState returns the State named s, or an error.
func ParseState(s string) (State, error) {
	if _, ok := riverStates[State(s)]; ok {
		return State(s), nil
	}
	return "", fmt.Errorf("inbox: unknown state %q: pending, running, retrying, handled or dead", s)
}

// A Filter selects stored deliveries. Its zero value selects them all.
type Filter struct {
	// States keeps the deliveries in these states; none means all.
	States []State
	// Type keeps the deliveries of this event type; "" means all.
	Type events.Type
	// IDs keeps the deliveries of these event IDs; none means all.
	IDs []string
	// Since keeps the deliveries received at or after it; zero means all.
	Since time.Time
	// Limit bounds how many are listed; zero or less means no bound.
	Limit int
}

// An Entry is a stored delivery, with where it stands.
type Entry struct {
	// JobID is the River job's ID.
	JobID int64
	// Delivery is what was stored.
	Delivery Delivery
	// State is where the delivery stands.
	State State
	// Attempts is how many attempts were made.
	Attempts int
	// MaxAttempts is how many it may have.
	MaxAttempts int
	// Errors are the errors of the failed attempts, oldest first.
	Errors []rivertype.AttemptError
	// FinalizedAt is when it was handled or dead-lettered; zero before.
	FinalizedAt time.Time
	// HeldBehind is, for an ordered delivery that waits for a room-mate
	// (Config.OrderKey), the event ID of that room-mate, or "job N" when it
	// has none; "" otherwise.
	HeldBehind string
	// Late reports that the ordered delivery was handed over after a
	// room-mate stamped later (see [Late]).
	Late bool
}

// Waits says why the delivery waits, or "": "held behind <id> in room
// <room>" for an ordered delivery that waits for a room-mate.
func (e Entry) Waits() string {
	if e.HeldBehind == "" {
		return ""
	}
	return "held behind " + e.HeldBehind + " in room " + e.Delivery.Order
}

// LastError returns the error of the last failed attempt, or the reason
// the delivery did not parse, or "".
func (e Entry) LastError() string {
	if len(e.Errors) > 0 {
		return e.Errors[len(e.Errors)-1].Error
	}
	return e.Delivery.ParseError
}

// Room returns the room of the delivery's event, or "".
func (e Entry) Room() string {
	ev, err := events.Parse(e.Delivery.Body)
	if err != nil {
		return ""
	}
	return events.RoomName(ev)
}

// List lists the stored deliveries that f selects, newest first. It reads
// and changes nothing else, so it is safe beside running workers.
func (in *Inbox) List(ctx context.Context, f Filter) ([]Entry, error) {
	var out []Entry
	err := in.each(ctx, f, func(e Entry) bool {
		out = append(out, e)
		return f.Limit <= 0 || len(out) < f.Limit
	})
	return out, err
}

// each calls fn with each delivery f selects, newest first, until fn
// returns false.
func (in *Inbox) each(ctx context.Context, f Filter, fn func(Entry) bool) error {
	const page = 200
	params := river.NewJobListParams().Kinds(Kind).Queues(in.cfg.Queue).OrderBy(river.JobListOrderByID, river.SortOrderDesc).First(page)
	if len(f.States) > 0 {
		var rs []rivertype.JobState
		for _, s := range f.States {
			rs = append(rs, riverStates[s]...)
			if s == StateRetrying { // River keeps some available
				rs = append(rs, riverStates[StatePending]...)
			}
		}
		params = params.States(rs...)
	}
	if len(f.IDs) == 1 {
		// The default key is made from the ID; under another, the ID is
		// stored beside it.
		params = params.Where("(args->>'key' = @event_key OR args->>'id' = @event_id)",
			river.NamedArgs{"event_key": IDKey(f.IDs[0]), "event_id": f.IDs[0]})
	}
	heads := map[string]string{}
	for {
		res, err := in.client.JobList(ctx, params)
		if err != nil {
			return fmt.Errorf("inbox: listing deliveries: %w", err)
		}
		for _, job := range res.Jobs {
			e, err := entry(job)
			if err != nil {
				return err
			}
			if e.HeldBehind, err = in.heldBehind(ctx, job, e.Delivery, heads); err != nil {
				return err
			}
			if !f.Since.IsZero() && e.Delivery.ReceivedAt.Before(f.Since) {
				return nil // newest first: all that follow are older
			}
			if len(f.IDs) > 0 && !slices.Contains(f.IDs, e.Delivery.ID) || f.Type != "" && e.Delivery.Type != string(f.Type) ||
				len(f.States) > 0 && !slices.Contains(f.States, e.State) {
				continue
			}
			if !fn(e) {
				return nil
			}
		}
		if len(res.Jobs) < page {
			return nil
		}
		params = params.After(res.LastCursor)
	}
}

// entry reads a River job row as an Entry.
func entry(job *rivertype.JobRow) (Entry, error) {
	var d Delivery
	if err := json.Unmarshal(job.EncodedArgs, &d); err != nil {
		return Entry{}, fmt.Errorf("inbox: job %d: %w", job.ID, err)
	}
	if d.ReceivedAt.IsZero() {
		d.ReceivedAt = job.CreatedAt
	}
	e := Entry{JobID: job.ID, Delivery: d, State: stateOfJob(job), Attempts: job.Attempt, MaxAttempts: job.MaxAttempts, Errors: job.Errors,
		Late: metaValue[bool](job.Metadata, LateKey)}
	if job.FinalizedAt != nil {
		e.FinalizedAt = *job.FinalizedAt
	}
	return e, nil
}

// ReplayDead makes every dead delivery that f selects pending again, each
// with a fresh budget of attempts whose backoff starts over, as a new
// delivery would have, and returns how many it replayed. The budget is
// Config.MaxAttempts; an inbox that runs no workers (Workers -1, as
// dailyhook inbox opens it) gives each delivery the budget it had, which
// the workers' MaxAttempts set. Their
// earlier attempts stay in Entry.Attempts and Entry.Errors. f's States are
// ignored: only dead deliveries are replayed, and the state is checked in
// the statement that changes it, so that a delivery that another replay or
// a purge took meanwhile is left alone; the count is exact, and the error
// then wraps [ErrNotDead] and says how many. Use it after fixing what made
// them fail, or after upgrading this module so that it parses them.
func (in *Inbox) ReplayDead(ctx context.Context, f Filter) (int, error) {
	f.States = []State{StateDead}
	dead, err := in.List(ctx, f)
	if err != nil {
		return 0, err
	}
	ids := make([]int64, len(dead))
	for i, e := range dead {
		ids[i] = e.JobID
	}
	return in.changeDead(ids, func(batch []int64) ([]int64, error) { return in.replayJobs(ctx, batch) })
}

// Purge deletes the dead deliveries that were dead-lettered before
// olderThan ago (all of them for zero), and returns how many. Dead
// deliveries are otherwise kept until replayed, unless
// Config.DiscardedRetention says otherwise. The state is checked in the
// statement that deletes, so that a delivery replayed meanwhile is kept;
// the count is exact, and the error then wraps [ErrNotDead] and says how
// many.
func (in *Inbox) Purge(ctx context.Context, olderThan time.Duration) (int, error) {
	cutoff := time.Now().Add(-olderThan)
	var ids []int64
	err := in.each(ctx, Filter{States: []State{StateDead}}, func(e Entry) bool {
		if olderThan == 0 || e.FinalizedAt.Before(cutoff) {
			ids = append(ids, e.JobID)
		}
		return true
	})
	if err != nil {
		return 0, err
	}
	return in.changeDead(ids, func(batch []int64) ([]int64, error) { return in.purgeJobs(ctx, batch) })
}

// purgeJobs deletes those of jobIDs still dead, in one statement that
// checks their state, and returns their IDs.
func (in *Inbox) purgeJobs(ctx context.Context, jobIDs []int64) ([]int64, error) {
	params := river.NewJobDeleteManyParams().IDs(jobIDs...).First(len(jobIDs)).
		Kinds(Kind).Queues(in.cfg.Queue).States(riverStates[StateDead]...)
	res, err := in.client.JobDeleteMany(ctx, params)
	if err != nil {
		return nil, fmt.Errorf("inbox: purging: %w", err)
	}
	done := make([]int64, len(res.Jobs))
	for i, j := range res.Jobs {
		done[i] = j.ID
	}
	return done, nil
}

// changeDead applies change to ids, found dead, in batches, and returns
// how many it changed; the error wraps ErrNotDead when some were no longer
// dead by then.
func (in *Inbox) changeDead(ids []int64, change func(batch []int64) ([]int64, error)) (int, error) {
	n := 0
	for batch := range slices.Chunk(ids, 500) {
		done, err := change(batch)
		n += len(done)
		if err != nil {
			return n, err
		}
	}
	if missed := len(ids) - n; missed > 0 {
		return n, fmt.Errorf("%w: %d of the %d found dead were replayed or purged by another meanwhile", ErrNotDead, missed, len(ids))
	}
	return n, nil
}
