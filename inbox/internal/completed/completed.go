// Package completed lets a store answer River's completer for the jobs it
// completed in its own commits.
//
// The inbox completes a handled job in its group commit, before the worker
// takes other work, so that a crash repeats only the events being handled.
// River's completer then records the same completion once Work returns.
// That second record changes nothing, yet cost River's SQLite driver two
// statements a job (it sets states one job at a time, and looks a job that
// is no longer running up again with a second UPDATE): 11% of a forwarding
// inbox's CPU, holding SQLite's one connection all the while. On
// PostgreSQL it cost a statement and a commit a batch. Jobs remembers the
// rows a store committed as completed, and Executor answers River's
// completer with them, leaving the rest to River's driver.
package completed

import (
	"context"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"
)

// maxRemembered bounds the completions a Jobs remembers; past it, River's
// completer records them again, as it would without Jobs.
const maxRemembered = 100_000

// Jobs are the rows of the jobs a store committed as completed, until
// River's completer asks for them. The zero value is ready to use.
type Jobs struct {
	mu   sync.Mutex
	rows map[int64]*rivertype.JobRow
}

// Rows returns the IDs of jobs, and their rows as completed at now, by
// ID: what a store completes, to Add once it is committed.
func Rows[T river.JobArgs](jobs []*river.Job[T], now time.Time) ([]int64, map[int64]*rivertype.JobRow) {
	ids := make([]int64, len(jobs))
	byID := make(map[int64]*rivertype.JobRow, len(jobs))
	for i, job := range jobs {
		row := *job.JobRow
		row.State, row.FinalizedAt = rivertype.JobStateCompleted, &now
		ids[i], byID[job.ID] = job.ID, &row
	}
	return ids, byID
}

// Add remembers rows, committed as completed.
func (c *Jobs) Add(rows []*rivertype.JobRow) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rows == nil {
		c.rows = map[int64]*rivertype.JobRow{}
	}
	for _, r := range rows {
		if len(c.rows) >= maxRemembered {
			return
		}
		c.rows[r.ID] = r
	}
}

// Len returns how many completions c remembers.
func (c *Jobs) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.rows)
}

// take splits params into the rows of the jobs it completes that the
// store completed already, forgotten now, and the params left for River's
// driver (nil when none is left).
func (c *Jobs) take(params *riverdriver.JobSetStateIfRunningManyParams) ([]*rivertype.JobRow, *riverdriver.JobSetStateIfRunningManyParams) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var (
		done []*rivertype.JobRow
		rest = &riverdriver.JobSetStateIfRunningManyParams{Now: params.Now, Schema: params.Schema}
	)
	for i, id := range params.ID {
		row, ok := c.rows[id]
		if ok && params.State[i] == rivertype.JobStateCompleted && !params.MetadataDoMerge[i] {
			delete(c.rows, id)
			done = append(done, row)
			continue
		}
		rest.ID = append(rest.ID, id)
		rest.Attempt = append(rest.Attempt, params.Attempt[i])
		rest.ErrData = append(rest.ErrData, params.ErrData[i])
		rest.FinalizedAt = append(rest.FinalizedAt, params.FinalizedAt[i])
		rest.MetadataDoMerge = append(rest.MetadataDoMerge, params.MetadataDoMerge[i])
		rest.MetadataUpdates = append(rest.MetadataUpdates, params.MetadataUpdates[i])
		rest.ScheduledAt = append(rest.ScheduledAt, params.ScheduledAt[i])
		rest.State = append(rest.State, params.State[i])
	}
	if len(rest.ID) == 0 {
		return done, nil
	}
	return done, rest
}

// An Executor is a River driver's executor that answers River's completer
// from Jobs for the jobs the store completed.
type Executor struct {
	riverdriver.Executor
	Jobs *Jobs
}

// JobSetStateIfRunningMany returns the rows of the jobs the store
// completed as they were committed, and sets the others' states with
// River's driver. River's driver would leave those completed jobs as they
// are (they are no longer running) and return their rows. Metadata to
// merge (a worker's River RecordOutput) is left to River's driver.
func (e Executor) JobSetStateIfRunningMany(ctx context.Context, params *riverdriver.JobSetStateIfRunningManyParams) ([]*rivertype.JobRow, error) {
	done, rest := e.Jobs.take(params)
	if rest == nil {
		return done, nil
	}
	rows, err := e.Executor.JobSetStateIfRunningMany(ctx, rest)
	if err != nil {
		return nil, err
	}
	return append(done, rows...), nil
}
