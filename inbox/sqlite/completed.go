package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/dailywebhooks/events/inbox"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"
)

// maxCompleted bounds the completions a completedJobs remembers; past it,
// River's completer writes them again, as it would without it.
const maxCompleted = 100_000

// completedJobs are the jobs the store completed in its own commits, until River's completer, which records the same
// completion once Work returns, asks for them. On SQLite that second
// record is no write at all, yet cost two statements a job: River's
// SQLite driver sets states one job at a time, and a job that is no longer
// running is looked up again by a second UPDATE. It took 11% of a
// forwarding inbox's CPU, holding the one connection all the while.
type completedJobs struct {
	mu   sync.Mutex
	rows map[int64]*rivertype.JobRow
}

// sqliteComplete completes the jobs of a JSON array of IDs that are still
// running, as River's JobCompleteTx does one by one: the state and the
// finalization time, and nothing else. Metadata a worker recorded (River's
// RecordOutput) is merged by River's completer afterwards, which
// completedJobs leaves to River's driver.
const sqliteComplete = `UPDATE river_job SET state = 'completed', finalized_at = datetime('now', 'subsec')
	WHERE id IN (SELECT value FROM json_each(?1)) AND state = 'running'
	RETURNING id`

// completeTx completes jobs in tx in one statement, and returns the rows of
// those it completed, to remember once tx commits. A job no longer running
// (its attempt was rescued, or cancelled) is left as it is, rather than
// failing the deliveries committed with it.
func completeTx(ctx context.Context, tx *sql.Tx, jobs []*river.Job[inbox.Delivery]) ([]*rivertype.JobRow, error) {
	if len(jobs) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(jobs))
	byID := make(map[int64]*rivertype.JobRow, len(jobs))
	now := time.Now().UTC()
	for i, job := range jobs {
		ids[i] = job.ID
		row := *job.JobRow
		row.State, row.FinalizedAt = rivertype.JobStateCompleted, &now
		byID[job.ID] = &row
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, sqliteComplete, string(list))
	if err != nil {
		return nil, fmt.Errorf("sqlite: completing %d deliveries: %w", len(jobs), err)
	}
	defer rows.Close()
	done := make([]*rivertype.JobRow, 0, len(jobs))
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		if row := byID[id]; row != nil {
			done = append(done, row)
		}
	}
	return done, rows.Err()
}

// add remembers rows, committed as completed.
func (c *completedJobs) add(rows []*rivertype.JobRow) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rows == nil {
		c.rows = map[int64]*rivertype.JobRow{}
	}
	for _, r := range rows {
		if len(c.rows) >= maxCompleted {
			return
		}
		c.rows[r.ID] = r
	}
}

// take splits params into the rows of the jobs it completes that the
// store completed already, forgotten now, and the params left for River's
// driver (nil when none is left).
func (c *completedJobs) take(params *riverdriver.JobSetStateIfRunningManyParams) ([]*rivertype.JobRow, *riverdriver.JobSetStateIfRunningManyParams) {
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

// A completingExecutor is River's SQLite executor answering River's
// completer from completedJobs for the jobs the store completed.
type completingExecutor struct {
	riverdriver.Executor
	done *completedJobs
}

// JobSetStateIfRunningMany returns the rows of the jobs the store
// completed as they were committed, and sets the others' states with
// River's driver. River's driver would leave those completed jobs as they
// are (they are no longer running) and return their rows.
func (e completingExecutor) JobSetStateIfRunningMany(ctx context.Context, params *riverdriver.JobSetStateIfRunningManyParams) ([]*rivertype.JobRow, error) {
	done, rest := e.done.take(params)
	if rest == nil {
		return done, nil
	}
	rows, err := e.Executor.JobSetStateIfRunningMany(ctx, rest)
	if err != nil {
		return nil, err
	}
	return append(done, rows...), nil
}
