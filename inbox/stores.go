package inbox

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// OpenSQLite opens the SQLite file at path, creating it if absent, and
// returns an Inbox that stores deliveries in it. The file is written in WAL
// mode with synchronous=FULL, so a delivery answered 200 survives a crash
// of the process and of the machine. Stop closes it.
//
// One process at a time must use the file: OpenSQLite takes the deliveries
// it finds running for those of a process that died, and makes them
// available again at once.
func OpenSQLite(ctx context.Context, path string, cfg Config) (*Inbox[*sql.Tx], error) {
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "synchronous(FULL)", "busy_timeout(10000)", "foreign_keys(ON)"} {
		q.Add("_pragma", p)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("inbox: opening %s: %w", path, err)
	}
	// SQLite allows one writer at a time; River shares one connection
	// rather than meet "database is locked".
	db.SetMaxOpenConns(1)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("inbox: opening %s: %w", path, err)
	}
	in, err := New(ctx, riversqlite.New(db), cfg)
	if err != nil {
		db.Close()
		return nil, err
	}
	// One process uses the file, so a job left running was left by a
	// process that died: it is made available again now, rather than
	// after RescueAfter and River's rescuer. The attempt that died counts.
	if _, err := db.ExecContext(ctx, `UPDATE river_job SET state = 'available',
		max_attempts = CASE WHEN attempt >= max_attempts THEN attempt + 1 ELSE max_attempts END,
		scheduled_at = datetime('now', 'subsec')
		WHERE state = 'running' AND kind = ?`, Kind); err != nil {
		db.Close()
		return nil, fmt.Errorf("inbox: resuming the deliveries of a process that died: %w", err)
	}
	in.close = db.Close
	in.complete = func(ctx context.Context, job *river.Job[Delivery]) error {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := river.JobCompleteTx[*riversqlite.Driver](ctx, tx, job); err != nil {
			tx.Rollback()
			return err
		}
		return tx.Commit()
	}
	return in, nil
}

// OpenPostgres connects to the PostgreSQL database at connString (a URL or
// a DSN, as pgx takes them) and returns an Inbox that stores deliveries in
// it. Several processes may share the database: each delivery is stored
// once and handled by one of them. Stop closes the connections.
func OpenPostgres(ctx context.Context, connString string, cfg Config) (*Inbox[pgx.Tx], error) {
	pool, err := pgxpool.New(ctx, connString)
	if err != nil {
		return nil, fmt.Errorf("inbox: connecting to PostgreSQL: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("inbox: connecting to PostgreSQL: %w", err)
	}
	in, err := New(ctx, riverpgxv5.New(pool), cfg)
	if err != nil {
		pool.Close()
		return nil, err
	}
	in.close = func() error { pool.Close(); return nil }
	in.complete = func(ctx context.Context, job *river.Job[Delivery]) error {
		return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			_, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job)
			return err
		})
	}
	return in, nil
}
