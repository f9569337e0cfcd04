package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/dailywebhooks/events/inbox"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// The raw SQL of ordered rooms (see inbox.Store's Sweep), written against
// River v0.51.2's river_job table as the rest. The deliveries of a room
// wait in River's pending state, which River's workers never fetch, and
// one at a time is sent on: made available. SQLite runs one transaction
// at a time, and the store has one connection: each transaction holds
// every room's lock.
const (
	// sqliteOrderIndex finds a room's jobs, made at each open after River's
	// migrations: ordered jobs have an "order" in their args, the others
	// none, and take no room in the index.
	sqliteOrderIndex = `CREATE INDEX IF NOT EXISTS dailyhook_order_index
		ON river_job (queue, json_extract(args, '$.order'))
		WHERE json_extract(args, '$.order') IS NOT NULL`
	// sqliteActive holds of a job x on its way: available (perhaps not
	// yet due), scheduled, retryable, or running an attempt that did not
	// release its room.
	sqliteActive = `x.state IN ('available', 'scheduled', 'retryable', 'running')
		AND NOT (x.state = 'running' AND coalesce(json_extract(x.metadata, '$.` + inbox.ReleasedKey + `'), 0) = x.attempt)`
	// sqliteDemote makes the job of queue ?1, room ?2 that is available
	// but was never attempted pending again, when a room-mate before it
	// by (event_ts, receipt) waits: it arrived within the window.
	sqliteDemote = `UPDATE river_job SET state = 'pending'
		WHERE queue = ?1 AND json_extract(args, '$.order') = ?2 AND state = 'available' AND attempt = 0
		AND EXISTS (SELECT 1 FROM river_job p WHERE p.queue = ?1 AND json_extract(p.args, '$.order') = ?2
			AND p.state = 'pending' AND (coalesce(json_extract(p.args, '$.ts'), 0) < coalesce(json_extract(river_job.args, '$.ts'), 0)
				OR (coalesce(json_extract(p.args, '$.ts'), 0) = coalesce(json_extract(river_job.args, '$.ts'), 0) AND p.id < river_job.id)))`
	// sqlitePromote sends on the first pending job of queue ?1, room ?2,
	// at the end of its window or at ?3 (now), unless a room-mate is on its
	// way; late when a room-mate after it was sent on before.
	sqlitePromote = `UPDATE river_job SET state = 'available', scheduled_at = max(scheduled_at, ?3),
		metadata = CASE WHEN EXISTS (SELECT 1 FROM river_job m WHERE m.queue = ?1 AND json_extract(m.args, '$.order') = ?2
				AND m.state <> 'pending' AND m.id <> river_job.id
				AND (coalesce(json_extract(m.args, '$.ts'), 0) > coalesce(json_extract(river_job.args, '$.ts'), 0)
					OR (coalesce(json_extract(m.args, '$.ts'), 0) = coalesce(json_extract(river_job.args, '$.ts'), 0) AND m.id > river_job.id)))
			THEN jsonb_set(metadata, '$.` + inbox.LateKey + `', json('true'))
			ELSE jsonb_remove(metadata, '$.` + inbox.LateKey + `') END
		WHERE id = (SELECT p.id FROM river_job p WHERE p.queue = ?1 AND json_extract(p.args, '$.order') = ?2 AND p.state = 'pending'
				ORDER BY coalesce(json_extract(p.args, '$.ts'), 0), p.id LIMIT 1)
		AND NOT EXISTS (SELECT 1 FROM river_job x WHERE x.queue = ?1 AND json_extract(x.args, '$.order') = ?2 AND ` + sqliteActive + `)`
	// sqliteStalled lists the rooms of queue ?1 whose deliveries all wait.
	sqliteStalled = `SELECT DISTINCT json_extract(p.args, '$.order') FROM river_job p
		WHERE p.queue = ?1 AND json_extract(p.args, '$.order') IS NOT NULL AND p.state = 'pending'
		AND NOT EXISTS (SELECT 1 FROM river_job x WHERE x.queue = ?1
			AND json_extract(x.args, '$.order') = json_extract(p.args, '$.order') AND ` + sqliteActive + `)`
	// sqliteBusy reports whether a room-mate of job ?3 (queue ?1, room
	// ?2) runs an attempt that did not release its room.
	sqliteBusy = `SELECT EXISTS (SELECT 1 FROM river_job x WHERE x.queue = ?1 AND json_extract(x.args, '$.order') = ?2
		AND x.id <> ?3 AND x.state = 'running'
		AND coalesce(json_extract(x.metadata, '$.` + inbox.ReleasedKey + `'), 0) <> x.attempt)`
	// sqliteRelease releases the room of job ?1, whose last attempt failed.
	sqliteRelease = `UPDATE river_job SET metadata = jsonb_set(metadata, '$.` + inbox.ReleasedKey + `', attempt)
		WHERE id = ?1 AND state = 'running'`
	// sqliteBlocked counts the rooms with deliveries waiting behind a
	// room-mate that failed and waits for its next attempt (or runs it),
	// with the Unix time of the oldest waiting delivery: the row of
	// inbox.BlockedRow.
	sqliteBlocked = `SELECT '` + inbox.BlockedRow + `', count(DISTINCT json_extract(w.args, '$.order')),
			coalesce(unixepoch(min(w.created_at), 'subsec'), 0)
		FROM river_job w WHERE w.kind = ?1 AND w.queue = ?2 AND json_extract(w.args, '$.order') IS NOT NULL
		AND w.state = 'pending'
		AND EXISTS (SELECT 1 FROM river_job f WHERE f.queue = w.queue
			AND json_extract(f.args, '$.order') = json_extract(w.args, '$.order')
			AND f.state IN ('available', 'scheduled', 'retryable', 'running')
			AND coalesce(json_extract(f.errors, '$[#-1].attempt'), 0) > coalesce(json_extract(f.metadata, '$.` + inbox.ReplayBaseKey + `'), 0))`
)

// sqliteTime is how River's SQLite driver writes a time.
func sqliteTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.000") }

// sendOn sends on the rooms of queue, in tx: in each, a job available but
// never attempted goes back to pending when demote is set and a room-mate
// before it waits, and the first waiting job is made available unless a
// room-mate is on its way.
func sendOn(ctx context.Context, tx *sql.Tx, queue string, rooms []string, demote bool) error {
	now := sqliteTime(time.Now())
	for _, room := range rooms {
		if demote {
			if _, err := tx.ExecContext(ctx, sqliteDemote, queue, room); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, sqlitePromote, queue, room, now); err != nil {
			return err
		}
	}
	return nil
}

// sweep is the store's Sweep: see inbox.Store.
func (f *sqliteFile) sweep(ctx context.Context, queue string) error {
	return f.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, sqliteStalled, queue)
		if err != nil {
			return err
		}
		var rooms []string
		for rows.Next() {
			var room string
			if err := rows.Scan(&room); err != nil {
				rows.Close()
				return err
			}
			rooms = append(rooms, room)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return sendOn(ctx, tx, queue, rooms, false)
	})
}

// release is the store's Release: see inbox.Store.
func (f *sqliteFile) release(ctx context.Context, queue string, job *river.Job[inbox.Delivery]) error {
	return f.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, sqliteRelease, job.ID); err != nil {
			return err
		}
		return sendOn(ctx, tx, queue, []string{job.Args.Order}, false)
	})
}

// busy is the store's Busy: see inbox.Store.
func (f *sqliteFile) busy(ctx context.Context, queue string, job *river.Job[inbox.Delivery]) (busy bool, err error) {
	err = f.db.QueryRowContext(ctx, sqliteBusy, queue, job.Args.Order, job.ID).Scan(&busy)
	return busy, err
}

// inTx runs fn in a transaction, and commits it when fn returns nil.
func (f *sqliteFile) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := f.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// commitTx is commit's transaction: it inserts params and completes jobs,
// then sends on the rooms of byQueue, those of the ordered deliveries among
// them. It returns the rows of the jobs completed, to remember once tx
// commits.
func (f *sqliteFile) commitTx(ctx context.Context, tx *sql.Tx, params []river.InsertManyParams, jobs []*river.Job[inbox.Delivery], byQueue map[string][]string) ([]*rivertype.JobInsertResult, []*rivertype.JobRow, error) {
	var res []*rivertype.JobInsertResult
	if len(params) > 0 {
		var err error
		if res, err = f.client.InsertManyTx(ctx, tx, params); err != nil {
			return nil, nil, err
		}
	}
	done, err := completeTx(ctx, tx, jobs)
	if err != nil {
		return nil, nil, err
	}
	for queue, rs := range byQueue {
		if err := sendOn(ctx, tx, queue, rs, len(params) > 0); err != nil {
			return nil, nil, err
		}
	}
	return res, done, nil
}
