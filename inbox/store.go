package inbox

import (
	"context"
	"slices"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"
)

// A Store is a River driver with what a database package adds to it, for
// [NewStore]. The packages sqlite and postgres of this module build one;
// the inbox package itself imports no database.
//
// Unstable: Store, [Counter] and [Rows] are the seam between the inbox and
// the store packages of this module, exported for them alone, as River's
// riverdriver is. Their API may change in any release; do not implement
// them outside this module.
type Store[TTx any] struct {
	// Driver is River's driver over the database. Required.
	Driver riverdriver.Driver[TTx]
	// Migrated reports that the store found every River migration
	// applied: NewStore then does not run River's migrator, whose checks
	// take several queries of the database's catalog.
	Migrated bool
	// Commit, when not nil, inserts params and completes jobs in one
	// transaction, and returns the insert results as River's InsertMany
	// does. The inbox calls it with the receipts and completions that
	// arrived while the previous call ran (a group commit), so that a
	// worker's completion is committed before it takes other work, and a
	// crash repeats only the events being handled; with Concurrent, a call
	// of receipts and a call of completions may run at once. ctx carries
	// River's client. Nil inserts through River's
	// InsertMany and leaves completions to River's completer, which writes
	// them in batches every 50 to 250 ms.
	Commit func(ctx context.Context, params []river.InsertManyParams, jobs []*river.Job[Delivery]) ([]*rivertype.JobInsertResult, error)
	// Check, when not nil, runs before and after each commit of received
	// deliveries; an error answers them 503, since the database can no
	// longer keep them (an SQLite file that vanished, say).
	Check func() error
	// Close, when not nil, closes the database, once the workers stopped.
	Close func() error
	// Stats, when not nil, counts the deliveries of queue: for the
	// gauges, Inbox.Stats and Inbox.Ready.
	Stats func(ctx context.Context, queue string) (Stats, error)
	// Replay, when not nil, makes those of the jobs jobIDs of queue that
	// are still dead (discarded or cancelled) available at once, with a
	// budget of attempts more than they had (0: as many as each had since
	// its last replay, or since it was stored), their metadata's
	// ReplayBaseKey set to their attempts so far, and returns the IDs of
	// those it changed: the state is checked in the statement that changes
	// it, so that a delivery replayed or purged meanwhile by another is
	// left alone. Nil replays through River's JobRetry, one attempt more,
	// with the state checked apart from the change.
	Replay func(ctx context.Context, queue string, jobIDs []int64, budget int) ([]int64, error)
	// PreservesJSON reports that the database gives back a JSON value of
	// a job's args with its text unchanged but for insignificant white
	// space, as SQLite's JSONB does (PostgreSQL's jsonb reorders keys). A
	// compact JSON body is then stored as a JSON value rather than an
	// escaped string: about 180 bytes less a delivery of Daily's.
	PreservesJSON bool
	// Concurrent reports that the database commits transactions in
	// parallel, as PostgreSQL does: completions then have a writer of
	// their own, beside the receipts', so that a worker never waits
	// behind a batch of receipts. While receipts come and a worker is
	// free, a completion first waits up to 10 ms for the receipts' next
	// commit, which takes it along (a transaction fewer); otherwise it
	// commits in a group of completions. False, as SQLite's one writer
	// wants, puts receipts and completions in the same commits.
	Concurrent bool
	// Sweep, when not nil, makes the store order the deliveries that
	// have an Order (see Config.OrderKey), and sends on the rooms of queue
	// whose deliveries all wait (River's pending state) with none on its
	// way (available, scheduled, retryable or running, but for a running
	// job released at its attempt by ReleasedKey): in each, under a lock
	// of the room, the first by (TS, ID) becomes available at its
	// scheduled time (the end of its order window) or now, whichever is
	// later, with LateKey set when a room-mate after it was sent on
	// before. The store's Commit inserts ordered deliveries as pending,
	// as the inbox asks, and sends on, in the same transaction, the rooms
	// of the ordered deliveries it inserts and completes; there, a
	// delivery available but never attempted goes back to pending when a
	// room-mate before it waits. Its Replay makes dead ordered deliveries
	// pending rather than available.
	Sweep func(ctx context.Context, queue string) error
	// Release, when not nil, marks an ordered job whose last attempt
	// failed with ReleasedKey, and sends its room on as Sweep does: its
	// room goes on while River dead-letters it.
	Release func(ctx context.Context, queue string, job *river.Job[Delivery]) error
	// Busy, when not nil, reports whether a room-mate of the ordered job
	// is running an attempt that did not release its room. The inbox asks
	// before it hands an ordered job over, and snoozes it when one is: a
	// job made available outside the store's order, as River's UI retries
	// one, never runs beside its room's.
	Busy func(ctx context.Context, queue string, job *river.Job[Delivery]) (bool, error)
}

// ReplayBaseKey is the key, in a replayed job's metadata, of the number of
// attempts it had when it was last replayed: its budget of attempts and its
// backoff count from there.
const ReplayBaseKey = "dailyhook_replay_base"

// storeHooks are the functions of a Store, without its driver.
type storeHooks struct {
	commit func(ctx context.Context, params []river.InsertManyParams, jobs []*river.Job[Delivery]) ([]*rivertype.JobInsertResult, error)
	check  func() error
	close  func() error
	stats  func(ctx context.Context) (Stats, error)
	replay func(ctx context.Context, queue string, jobIDs []int64, budget int) ([]int64, error)
	// preservesJSON is Store.PreservesJSON.
	preservesJSON bool
	sweep         func(ctx context.Context, queue string) error
	release       func(ctx context.Context, queue string, job *river.Job[Delivery]) error
	busy          func(ctx context.Context, queue string, job *river.Job[Delivery]) (bool, error)
}

// riverClient is what the inbox uses of a *river.Client[TTx], whatever
// its TTx.
type riverClient interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
	InsertMany(ctx context.Context, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
	JobList(ctx context.Context, params *river.JobListParams) (*river.JobListResult, error)
	JobGet(ctx context.Context, id int64) (*rivertype.JobRow, error)
	JobRetry(ctx context.Context, id int64) (*rivertype.JobRow, error)
	JobDelete(ctx context.Context, id int64) (*rivertype.JobRow, error)
	JobDeleteMany(ctx context.Context, params *river.JobDeleteManyParams) (*river.JobDeleteManyResult, error)
}

// OrderedRooms returns the rooms (Delivery.Order), sorted and once each,
// of the ordered deliveries that params insert and jobs complete, by
// queue: those that a Store's Commit sends on. Unstable: see [Store].
func OrderedRooms(params []river.InsertManyParams, jobs []*river.Job[Delivery]) map[string][]string {
	var byQueue map[string][]string // nil, without a room
	add := func(queue, room string) {
		if byQueue == nil {
			byQueue = map[string][]string{}
		}
		byQueue[queue] = append(byQueue[queue], room)
	}
	for _, p := range params {
		if d, ok := p.Args.(Delivery); ok && d.Order != "" {
			add(p.InsertOpts.Queue, d.Order)
		}
	}
	for _, job := range jobs {
		if job.Args.Order != "" {
			add(job.Queue, job.Args.Order)
		}
	}
	for q, rs := range byQueue {
		slices.Sort(rs)
		byQueue[q] = slices.Compact(rs)
	}
	return byQueue
}
