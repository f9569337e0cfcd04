// Package postgres opens a durable inbox in a PostgreSQL database, through
// pgx, for several replicas sharing one queue: each delivery is stored once
// whichever replica receives it, and handled by one of them. The inbox
// package itself links no database.
package postgres

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/dailywebhooks/events/inbox"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

// The raw SQL of the PostgreSQL store, written against the river_job table
// of River v0.51.2, and to be checked at each River upgrade.
const (
	// postgresSetMaxAttempts gives the pending deliveries of a queue the
	// configured MaxAttempts, counted from their last replay, but for those
	// that did not parse, which have one attempt by design.
	postgresSetMaxAttempts = `UPDATE river_job
		SET max_attempts = coalesce((metadata->>'` + inbox.ReplayBaseKey + `')::int, 0) + $1
		WHERE kind = $2 AND queue = $3
		AND max_attempts <> coalesce((metadata->>'` + inbox.ReplayBaseKey + `')::int, 0) + $1
		AND state IN ('available', 'pending', 'scheduled', 'retryable')
		AND args->>'parse_error' IS NULL`
	// postgresReplay makes the jobs of $2 that are still dead available at
	// once, with $1 attempts more than they had (or, for 0, as many as they
	// had since their last replay), and notes from which attempt their
	// budget counts: inbox.Store's Replay. An ordered job waits, pending,
	// for its room (see inbox.Store's Sweep). PostgreSQL checks the state
	// again on a row that a concurrent transaction changed.
	postgresReplay = `UPDATE river_job SET state = CASE WHEN args->>'order' IS NULL THEN 'available'::river_job_state ELSE 'pending'::river_job_state END,
		max_attempts = attempt + CASE WHEN $1::int > 0 THEN $1::int
			ELSE greatest(max_attempts - coalesce((metadata->>'` + inbox.ReplayBaseKey + `')::int, 0), 1) END,
		finalized_at = NULL,
		scheduled_at = now(),
		metadata = (metadata - 'cancel_attempted_at') || jsonb_build_object('` + inbox.ReplayBaseKey + `', attempt)
		WHERE id = ANY($2) AND kind = $3 AND queue = $4
		AND state IN ('discarded', 'cancelled')
		RETURNING id`
)

// ginPendingListLimit is the gin_pending_list_limit of the store's
// connections, in kB, unless connString sets one. River's river_job has
// GIN indexes of args and metadata, and each delivery writes three
// versions of its row (stored, running, completed), each indexed again.
// GIN gathers those entries in a pending list and merges it into the
// index when it outgrows the limit, in the statement that outgrew it: at
// PostgreSQL's default of 4 MB, at 1,000 deliveries a second, that was one
// statement of 200 to 400 ms every few seconds, and every delivery of
// its replica waiting behind it. At 128 kB the merges are 32 times
// smaller, and as much work in all.
const ginPendingListLimit = "128"

// Open connects to the PostgreSQL database at connString (a URL or
// a DSN, as pgx takes them) and returns an Inbox that stores deliveries in
// it. Several processes may share the database: each delivery is stored
// once and handled by one of them. Stop closes the connections.
//
// A process whose Config runs workers (Workers ≥ 0) applies its MaxAttempts
// to the deliveries still pending when it opens: with replicas of several
// settings, the last one started sets it.
//
// Its connections set gin_pending_list_limit to 128 kB unless connString
// sets it, so that the GIN indexes of River's river_job merge their
// pending entries in small steps rather than in one long statement every
// few seconds under load. Replicas that open at once apply River's
// migrations one at a time; one that finds them all applied, and the
// ordered rooms' index made, in a single query, opens without running
// River's migrator, so that a replica restarted under load serves sooner.
// Once open, it opens its pool's connections in the background, all but
// one of pgx's pool_max_conns, rather than one at a time as the first
// deliveries of a load need them.
//
// [inbox.RiverClient] with pgx.Tx gives its River client.
func Open(ctx context.Context, connString string, cfg inbox.Config) (*inbox.Inbox, error) {
	pool, err := connect(ctx, connString)
	if err != nil {
		return nil, fmt.Errorf("postgres: connecting to PostgreSQL: %w", err)
	}
	s := &pgStore{pool: pool}
	driver := riverpgxv5.New(pool)
	migrated, indexed := applied(ctx, pool, driver)
	unlock := func() {}
	if !migrated {
		if unlock, err = migrationLock(ctx, pool); err != nil {
			pool.Close()
			return nil, fmt.Errorf("postgres: waiting for another replica's migrations: %w", err)
		}
	}
	in, err := inbox.NewStore(ctx, inbox.Store[pgx.Tx]{
		Driver:     pgDriver{Driver: driver, done: &s.done, waker: &s.waker},
		Migrated:   migrated,
		Commit:     s.commit,
		Concurrent: true,
		Sweep:      s.sweep,
		Release:    s.release,
		Busy:       s.busy,
		Close:      func() error { pool.Close(); return nil },
		Stats:      func(ctx context.Context, queue string) (inbox.Stats, error) { return stats(ctx, pool, queue) },
		Replay: func(ctx context.Context, queue string, jobIDs []int64, budget int) ([]int64, error) {
			rows, err := pool.Query(ctx, postgresReplay, budget, jobIDs, inbox.Kind, queue)
			if err != nil {
				return nil, err
			}
			return pgx.CollectRows(rows, pgx.RowTo[int64])
		},
	}, cfg)
	unlock()
	if err != nil {
		pool.Close()
		return nil, err
	}
	s.client = inbox.RiverClient[pgx.Tx](in)
	if !indexed {
		if err := index(ctx, pool); err != nil {
			in.Stop(ctx)
			return nil, fmt.Errorf("postgres: indexing ordered rooms: %w", err)
		}
	}
	if cfg.Workers >= 0 {
		c := in.Config()
		if _, err := pool.Exec(ctx, postgresSetMaxAttempts, c.MaxAttempts, inbox.Kind, c.Queue); err != nil {
			in.Stop(ctx)
			return nil, fmt.Errorf("postgres: applying MaxAttempts to the pending deliveries: %w", err)
		}
	}
	go warm(pool)
	return in, nil
}

// warm opens the pool's connections up to its MaxConns less one, in the
// background, so that the first deliveries of a load do not each wait for
// PostgreSQL to start a backend for the connection they need: the
// receipts' and the completions' writers, River's fetches and its
// listener hold one each. It holds the connections it takes, idle or new,
// until it has them all, so that it opens new ones rather than take an
// idle one again; the slot it leaves is for what needs one meanwhile.
func warm(pool *pgxpool.Pool) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n := int(pool.Config().MaxConns - 1 - pool.Stat().AcquiredConns())
	var wg sync.WaitGroup
	conns := make(chan *pgxpool.Conn, max(n, 0))
	for range n {
		wg.Go(func() {
			if c, err := pool.Acquire(ctx); err == nil {
				conns <- c
			}
		})
	}
	wg.Wait()
	close(conns)
	for c := range conns {
		c.Release()
	}
}

// connect returns a pool of connections to connString, once one answers.
// They set gin_pending_list_limit unless connString does: see Open.
func connect(ctx context.Context, connString string) (*pgxpool.Pool, error) {
	pc, err := pgxpool.ParseConfig(connString)
	if err != nil {
		return nil, err
	}
	if _, ok := pc.ConnConfig.RuntimeParams["gin_pending_list_limit"]; !ok {
		pc.ConnConfig.RuntimeParams["gin_pending_list_limit"] = ginPendingListLimit
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, err
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return pool, nil
}

// applied reports, in one query, whether the database has every
// migration of River's main line applied, where River's migrator checks
// with several queries of the catalog, and whether it has
// postgresOrderIndex: false when it cannot tell.
func applied(ctx context.Context, pool *pgxpool.Pool, driver *riverpgxv5.Driver) (migrated, indexed bool) {
	m, err := rivermigrate.New(driver, nil)
	if err != nil {
		return false, false
	}
	var versions []int64
	for _, v := range m.AllVersions() {
		versions = append(versions, int64(v.Version))
	}
	var n int
	err = pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM river_migration WHERE line = 'main' AND version = ANY($1)),
		to_regclass('dailyhook_order_index') IS NOT NULL`, versions).Scan(&n, &indexed)
	if err != nil {
		return false, false
	}
	return n == len(versions), indexed
}

// migrationLock takes a session lock that replicas opening at once take
// in turn around River's migrations: the first applies them, the others
// find them applied, rather than racing to apply them, failing, and
// trying again a moment later. The returned func releases it.
func migrationLock(ctx context.Context, pool *pgxpool.Pool) (func(), error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(hashtext('dailyhook_migrations'))`); err != nil {
		conn.Release()
		return nil, err
	}
	return func() {
		// A connection that fails to unlock is closed, which unlocks.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock(hashtext('dailyhook_migrations'))`); err != nil {
			conn.Conn().Close(ctx)
		}
		conn.Release()
	}, nil
}

// postgresStats counts the deliveries of a queue by River state, with the
// Unix time of the oldest of each; a delivery waiting for its next attempt
// after one failed since its last replay counts as retryable, whether
// River keeps it available or retryable. It is written against the
// river_job table of River v0.51.2.
const postgresStats = `SELECT CASE WHEN state IN ('available', 'scheduled', 'pending')
		AND coalesce((errors[array_upper(errors, 1)]->>'attempt')::int, 0) > coalesce((metadata->>'` + inbox.ReplayBaseKey + `')::int, 0)
		THEN 'retryable' ELSE state::text END AS shown,
	count(*), coalesce(extract(epoch FROM min(created_at))::float8, 0)
	FROM river_job WHERE kind = $1 AND queue = $2 GROUP BY shown
	UNION ALL ` + postgresBlocked

// stats counts the deliveries of queue.
func stats(ctx context.Context, pool *pgxpool.Pool, queue string) (inbox.Stats, error) {
	rows, err := pool.Query(ctx, postgresStats, inbox.Kind, queue)
	if err != nil {
		return inbox.Stats{}, err
	}
	defer rows.Close()
	var c inbox.Counter
	return c.Scan(rows)
}
