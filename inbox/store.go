package inbox

import (
	"context"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"
)

// A Store is a River driver with what a database package adds to it, for
// [NewStore]. The packages sqlite and postgres of this module build one;
// the inbox package itself imports no database.
type Store[TTx any] struct {
	// Driver is River's driver over the database. Required.
	Driver riverdriver.Driver[TTx]
	// Commit, when not nil, inserts params and completes jobs in one
	// transaction, and returns the insert results as River's InsertMany
	// does. The inbox calls it with the receipts and completions that
	// arrived while the previous call ran (a group commit), so that a
	// worker's completion is committed before it takes other work, and a
	// crash repeats only the events being handled. ctx carries River's
	// client, as JobCompleteTx needs. Nil inserts through River's
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
}

// storeHooks are the functions of a Store, without its driver.
type storeHooks struct {
	commit func(ctx context.Context, params []river.InsertManyParams, jobs []*river.Job[Delivery]) ([]*rivertype.JobInsertResult, error)
	check  func() error
	close  func() error
	stats  func(ctx context.Context) (Stats, error)
}

// riverClient is what the inbox uses of a *river.Client[TTx], whatever
// its TTx.
type riverClient interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
	InsertMany(ctx context.Context, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
	JobList(ctx context.Context, params *river.JobListParams) (*river.JobListResult, error)
	JobRetry(ctx context.Context, id int64) (*rivertype.JobRow, error)
	JobDelete(ctx context.Context, id int64) (*rivertype.JobRow, error)
}
