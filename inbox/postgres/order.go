package postgres

import (
	"context"
	"maps"
	"slices"

	"github.com/dailywebhooks/events/inbox"
	"github.com/dailywebhooks/events/inbox/internal/completed"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// The raw SQL of ordered rooms (see inbox.Store's Sweep), written against
// River v0.51.2's river_job table as the rest. The deliveries of a room
// wait in River's pending state, which River's workers never fetch, and
// one at a time is sent on: made available. Replicas share the table: a
// transaction that sends a room on first takes the room's
// transaction-level advisory lock, so that two replicas never both find a
// room free.
const (
	// postgresOrderIndex finds a room's jobs: ordered jobs have an "order"
	// in their args, the others none, and take no room in the index.
	postgresOrderIndex = `CREATE INDEX IF NOT EXISTS dailyhook_order_index
		ON river_job (queue, (args->>'order'))
		WHERE (args->>'order') IS NOT NULL`
	// postgresLock takes the advisory locks of queue $1's rooms $2, in
	// the order of their hashes, as every transaction takes them.
	postgresLock = `SELECT count(pg_advisory_xact_lock(h)) FROM (
		SELECT DISTINCT hashtextextended(k, hashtext($1)) AS h FROM unnest($2::text[]) AS k ORDER BY h) AS rooms`
	// postgresTS is the event_ts of job x, 0 when it has none.
	postgresTS = `coalesce((x.args->>'ts')::float8, 0)`
	// postgresActive holds of a job x on its way: available (perhaps not
	// yet due), scheduled, retryable, or running an attempt that did not
	// release its room.
	postgresActive = `x.state IN ('available', 'scheduled', 'retryable', 'running')
		AND NOT (x.state = 'running' AND coalesce((x.metadata->>'` + inbox.ReleasedKey + `')::int, 0) = x.attempt)`
	// postgresDemote makes the job of queue $1, room $2 that is available
	// but was never attempted pending again, when a room-mate before it by
	// (event_ts, receipt) waits: it arrived within the window. A worker
	// that fetched it meanwhile made it running, which PostgreSQL checks
	// again after waiting for its row.
	postgresDemote = `UPDATE river_job x SET state = 'pending'
		WHERE x.queue = $1 AND x.args->>'order' = $2 AND x.state = 'available' AND x.attempt = 0
		AND EXISTS (SELECT 1 FROM river_job p WHERE p.queue = $1 AND p.args->>'order' = $2 AND p.state = 'pending'
			AND (coalesce((p.args->>'ts')::float8, 0), p.id) < (` + postgresTS + `, x.id))`
	// postgresPromote sends on the first pending job of queue $1, room
	// $2, at the end of its window or now, unless a room-mate is on its
	// way; late when a room-mate after it was sent on before. It returns
	// whether the job is due now.
	postgresPromote = `UPDATE river_job x SET state = 'available', scheduled_at = greatest(x.scheduled_at, now()),
		metadata = CASE WHEN EXISTS (SELECT 1 FROM river_job m WHERE m.queue = $1 AND m.args->>'order' = $2
				AND m.state <> 'pending' AND m.id <> x.id
				AND (coalesce((m.args->>'ts')::float8, 0), m.id) > (` + postgresTS + `, x.id))
			THEN x.metadata || '{"` + inbox.LateKey + `": true}'::jsonb
			ELSE x.metadata - '` + inbox.LateKey + `' END
		WHERE x.id = (SELECT p.id FROM river_job p WHERE p.queue = $1 AND p.args->>'order' = $2 AND p.state = 'pending'
				ORDER BY coalesce((p.args->>'ts')::float8, 0), p.id LIMIT 1)
		AND NOT EXISTS (SELECT 1 FROM river_job x WHERE x.queue = $1 AND x.args->>'order' = $2 AND ` + postgresActive + `)
		RETURNING x.scheduled_at <= now()`
	// postgresStalled lists the rooms of queue $1 whose deliveries all
	// wait.
	postgresStalled = `SELECT DISTINCT p.args->>'order' FROM river_job p
		WHERE p.queue = $1 AND p.args->>'order' IS NOT NULL AND p.state = 'pending'
		AND NOT EXISTS (SELECT 1 FROM river_job x WHERE x.queue = $1
			AND x.args->>'order' = p.args->>'order' AND ` + postgresActive + `)`
	// postgresBusy reports whether a room-mate of job $3 (queue $1, room
	// $2) runs an attempt that did not release its room.
	postgresBusy = `SELECT EXISTS (SELECT 1 FROM river_job x WHERE x.queue = $1 AND x.args->>'order' = $2
		AND x.id <> $3 AND x.state = 'running'
		AND coalesce((x.metadata->>'` + inbox.ReleasedKey + `')::int, 0) <> x.attempt)`
	// postgresRelease releases the room of job $1, whose last attempt
	// failed.
	postgresRelease = `UPDATE river_job SET metadata = metadata || jsonb_build_object('` + inbox.ReleasedKey + `', attempt)
		WHERE id = $1 AND state = 'running'`
	// postgresNotify wakes the workers of queue $1, in every replica,
	// as River's inserts do.
	postgresNotify = `SELECT pg_notify(current_schema() || '.river_insert', json_build_object('queue', $1::text)::text)`
	// postgresBlocked counts the rooms with deliveries waiting behind a
	// room-mate that failed and waits for its next attempt (or runs it),
	// with the Unix time of the oldest waiting delivery: the row of
	// inbox.BlockedRow.
	postgresBlocked = `SELECT '` + inbox.BlockedRow + `', count(DISTINCT w.args->>'order'),
			coalesce(extract(epoch FROM min(w.created_at))::float8, 0)
		FROM river_job w WHERE w.kind = $1 AND w.queue = $2 AND w.args->>'order' IS NOT NULL
		AND w.state = 'pending'
		AND EXISTS (SELECT 1 FROM river_job f WHERE f.queue = w.queue
			AND f.args->>'order' = w.args->>'order'
			AND f.state IN ('available', 'scheduled', 'retryable', 'running')
			AND coalesce((f.errors[array_upper(f.errors, 1)]->>'attempt')::int, 0) > coalesce((f.metadata->>'` + inbox.ReplayBaseKey + `')::int, 0))`
)

// A pgStore is the PostgreSQL database of an inbox.
type pgStore struct {
	pool *pgxpool.Pool
	// client is the inbox's River client, set once the inbox is made and
	// before it receives.
	client *river.Client[pgx.Tx]
	// done are the jobs committed as completed that River's completer
	// has yet to ask for.
	done completed.Jobs
	// waker wakes this replica's workers: see wake.go.
	waker waker
}

// index makes postgresOrderIndex, once whichever replicas start at once.
func index(ctx context.Context, pool *pgxpool.Pool) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('dailyhook_order_index'))`); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, postgresOrderIndex)
		return err
	})
}

// sendOn sends on the rooms of queue, in tx, under their locks: in each, a
// job available but never attempted goes back to pending when demote is
// set and a room-mate before it waits, and the first waiting job is made
// available unless a room-mate is on its way. It reports whether one is
// due now, which the caller wakes this replica's workers for once tx
// commits, and then also notifies the other replicas unless s.waker is
// quiet.
func (s *pgStore) sendOn(ctx context.Context, tx pgx.Tx, queue string, rooms []string, demote bool) (due bool, err error) {
	if len(rooms) == 0 {
		return false, nil
	}
	if _, err := tx.Exec(ctx, postgresLock, queue, rooms); err != nil {
		return false, err
	}
	for _, room := range rooms {
		if demote {
			if _, err := tx.Exec(ctx, postgresDemote, queue, room); err != nil {
				return false, err
			}
		}
		var now bool
		switch err := tx.QueryRow(ctx, postgresPromote, queue, room).Scan(&now); err {
		case nil:
			due = due || now
		case pgx.ErrNoRows:
		default:
			return false, err
		}
	}
	if !due || s.waker.quiet() {
		return due, nil
	}
	_, err = tx.Exec(ctx, postgresNotify, queue)
	return due, err
}

// sendOnTx sends on the rooms of queue in a transaction of its own, after
// first runs in it, and wakes this replica's workers when one is due.
func (s *pgStore) sendOnTx(ctx context.Context, queue string, rooms []string, first func(pgx.Tx) error) error {
	var due bool
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) (err error) {
		if first != nil {
			if err := first(tx); err != nil {
				return err
			}
		}
		due, err = s.sendOn(ctx, tx, queue, rooms, false)
		return err
	})
	if err == nil && due {
		s.waker.wake(queue)
	}
	return err
}

// sweep is the store's Sweep: see inbox.Store.
func (s *pgStore) sweep(ctx context.Context, queue string) error {
	rows, err := s.pool.Query(ctx, postgresStalled, queue)
	if err != nil {
		return err
	}
	rooms, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(rooms) == 0 {
		return err
	}
	return s.sendOnTx(ctx, queue, rooms, nil)
}

// release is the store's Release: see inbox.Store.
func (s *pgStore) release(ctx context.Context, queue string, job *river.Job[inbox.Delivery]) error {
	return s.sendOnTx(ctx, queue, []string{job.Args.Order}, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, postgresRelease, job.ID)
		return err
	})
}

// busy is the store's Busy: see inbox.Store.
func (s *pgStore) busy(ctx context.Context, queue string, job *river.Job[inbox.Delivery]) (busy bool, err error) {
	err = s.pool.QueryRow(ctx, postgresBusy, queue, job.Args.Order, job.ID).Scan(&busy)
	return busy, err
}

// commit is the store's Commit: see inbox.Store. It sends on the rooms of
// the ordered deliveries it inserts and completes, and wakes this
// replica's workers for what it made due.
func (s *pgStore) commit(ctx context.Context, params []river.InsertManyParams, jobs []*river.Job[inbox.Delivery]) (res []*rivertype.JobInsertResult, err error) {
	var (
		done []*rivertype.JobRow
		due  []string
	)
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if len(params) > 0 {
			if res, err = s.client.InsertManyTx(ctx, tx, params); err != nil {
				return err
			}
		}
		if done, err = completeTx(ctx, tx, jobs); err != nil {
			return err
		}
		byQueue := inbox.OrderedRooms(params, jobs)
		for _, queue := range slices.Sorted(maps.Keys(byQueue)) {
			now, err := s.sendOn(ctx, tx, queue, byQueue[queue], len(params) > 0)
			if err != nil {
				return err
			}
			if now {
				due = append(due, queue)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.done.Add(done)
	for _, r := range res {
		if !r.UniqueSkippedAsDuplicate && r.Job.State == rivertype.JobStateAvailable && !slices.Contains(due, r.Job.Queue) {
			due = append(due, r.Job.Queue)
		}
	}
	for _, queue := range due {
		s.waker.wake(queue)
	}
	return res, nil
}
