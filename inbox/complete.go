package inbox

import (
	"context"

	"github.com/riverqueue/river"
)

// A completion is a handled job waiting for its completion to commit.
type completion struct {
	ctx  context.Context // the worker's: River's JobCompleteTx reads it
	job  *river.Job[Delivery]
	done chan error
}

// complete records job's completion through the store's Commit, in a
// group commit: the completions and receipts that arrive while a commit
// runs are committed together in the next one (see write), so that one
// commit, and on SQLite one fsync, serves every worker that finished
// meanwhile. It returns once the completion is committed, or failed to be.
func (in *Inbox) complete(ctx context.Context, job *river.Job[Delivery]) error {
	c := completion{ctx: ctx, job: job, done: make(chan error, 1)}
	select {
	case in.completions <- c:
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-c.done
}
