package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/dailywebhooks/events/inbox"
	"github.com/dailywebhooks/events/inbox/internal/completed"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// sqliteComplete completes the jobs of a JSON array of IDs that are still
// running, as River's JobCompleteTx does one by one: the state and the
// finalization time, and nothing else. Metadata a worker recorded (River's
// RecordOutput) is merged by River's completer afterwards, which
// completed.Executor leaves to River's driver.
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
	ids, byID := completed.Rows(jobs, time.Now().UTC())
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	updated, err := tx.QueryContext(ctx, sqliteComplete, string(list))
	if err != nil {
		return nil, fmt.Errorf("sqlite: completing %d deliveries: %w", len(jobs), err)
	}
	defer updated.Close()
	done := make([]*rivertype.JobRow, 0, len(jobs))
	for updated.Next() {
		var id int64
		if err := updated.Scan(&id); err != nil {
			return nil, err
		}
		if row := byID[id]; row != nil {
			done = append(done, row)
		}
	}
	return done, updated.Err()
}
