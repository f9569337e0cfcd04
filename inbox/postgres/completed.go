package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/dailywebhooks/events/inbox"
	"github.com/dailywebhooks/events/inbox/internal/completed"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"
)

// postgresComplete completes the jobs of an array of IDs that are still
// running, as River's JobCompleteTx does one by one: the state and the
// finalization time, and nothing else. Metadata a worker recorded (River's
// RecordOutput) is merged by River's completer afterwards, which
// completed.Executor leaves to River's driver. It is written against the
// river_job table of River v0.51.2.
//
// It compares the state as text so that PostgreSQL finds the rows by
// their IDs alone. Compared as River's enum, the planner, which believes
// few jobs run, went through River's fetching index for every 'running'
// entry: each delivery leaves one there, dead once it completes, until a
// vacuum clears it. At 1,000 deliveries a second that made each
// completion visit thousands of rows within seconds, slower the longer
// the load lasted, until the replicas fell behind.
const postgresComplete = `UPDATE river_job SET state = 'completed', finalized_at = $2
	WHERE id = ANY($1::bigint[]) AND state::text = 'running'
	RETURNING id`

// completeTx completes jobs in tx in one statement, and returns the rows of
// those it completed, to remember once tx commits. A job no longer running
// (River's rescuer took it for a replica that died) is left as it is,
// rather than failing the deliveries committed with it.
func completeTx(ctx context.Context, tx pgx.Tx, jobs []*river.Job[inbox.Delivery]) ([]*rivertype.JobRow, error) {
	if len(jobs) == 0 {
		return nil, nil
	}
	now := time.Now().UTC()
	ids, byID := completed.Rows(jobs, now)
	updated, err := tx.Query(ctx, postgresComplete, ids, now)
	if err != nil {
		return nil, fmt.Errorf("postgres: completing %d deliveries: %w", len(jobs), err)
	}
	done, err := pgx.CollectRows(updated, func(r pgx.CollectableRow) (*rivertype.JobRow, error) {
		var id int64
		err := r.Scan(&id)
		return byID[id], err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: completing %d deliveries: %w", len(jobs), err)
	}
	return done, nil
}

// A pgDriver is River's pgx driver, answering River's completer from done
// (see package completed), and whose listener and transactions wake
// this replica's workers rather than notify every replica (see wake.go).
type pgDriver struct {
	*riverpgxv5.Driver
	done  *completed.Jobs
	waker *waker
}

// GetListener returns River's listener, which waker also wakes.
func (d pgDriver) GetListener(params *riverdriver.GetListenenerParams) riverdriver.Listener {
	return d.waker.listener(d.Driver.GetListener(params))
}

// UnwrapExecutor returns River's executor of tx, which leaves out insert
// notifications while waker wakes this replica's workers.
func (d pgDriver) UnwrapExecutor(tx pgx.Tx) riverdriver.ExecutorTx {
	return quietTx{ExecutorTx: d.Driver.UnwrapExecutor(tx), w: d.waker}
}

// UnwrapTx returns the transaction of an executor from UnwrapExecutor.
func (d pgDriver) UnwrapTx(e riverdriver.ExecutorTx) pgx.Tx {
	return unwrapTx(d.Driver.UnwrapTx, e)
}

// GetExecutor returns River's executor, which answers its completer from
// d.done.
func (d pgDriver) GetExecutor() riverdriver.Executor {
	return completed.Executor{Executor: d.Driver.GetExecutor(), Jobs: d.done}
}
