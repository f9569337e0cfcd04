// Package sqlite opens a durable inbox in one SQLite file, with the pure-Go
// modernc.org/sqlite: nothing to install, one file to back up. It is the
// embedded store of [inbox.Inbox]; the inbox package itself links no
// database.
package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dailywebhooks/events/inbox"
	"github.com/dailywebhooks/events/inbox/internal/completed"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"
	"modernc.org/sqlite"
)

// Errors of the SQLite store.
var (
	// ErrLocked means that another process runs workers on the SQLite
	// file: only one may, since a worker process takes the jobs it finds
	// running for those of a process that died.
	ErrLocked = errors.New("sqlite: the database file is in use by another process that runs workers")
	// ErrDatabaseGone means that the SQLite file at the inbox's path is
	// no longer the one it opened: it was removed or replaced. Deliveries
	// are answered 503 from then on, so that Daily keeps them for a
	// restart, rather than acknowledged into a file nobody will open.
	ErrDatabaseGone = errors.New("sqlite: the database file was removed or replaced")
	// ErrHardLinked means that the database file has more than one name
	// (hard link): a process opening it by another name would write a
	// -wal file of another name, which SQLite documents as a way to
	// corrupt the database, and would take another lock.
	ErrHardLinked = errors.New("sqlite: the database file has more than one hard link")
)

// Open opens the SQLite file at path, creating it if absent, and
// returns an Inbox that stores deliveries in it. The file is written in WAL
// mode with synchronous=FULL, so a delivery answered 200 survives a crash
// of the process and of the machine. Stop closes it.
//
// # One process runs workers
//
// Open resolves path first: made absolute, with every symbolic link on the
// way resolved, so that the file has one name however it is named (a
// symlink, "./file", a relative path). A file with more than one hard link
// is refused with [ErrHardLinked], whatever opens it. A new file is created
// readable and writable by its owner alone (0600, whatever the umask), and
// SQLite gives its -wal and -shm files the same mode.
//
// A process whose Config runs workers (Workers ≥ 0) takes an exclusive
// lock (flock, on Unix) on the file resolved+".lock", created beside the
// database, for as long as the Inbox is open; a second one fails at once
// with an error wrapping [ErrLocked], whatever name it gave. The lock is on
// a file of its own, so that taking and releasing it never touches the
// locks SQLite holds on the database. The lock ends with the process, however it ends. Holding the
// lock, it makes the deliveries it finds running available again at once,
// since their process died, rather than after RescueAfter; and it applies
// its MaxAttempts to the deliveries still pending, which keep no limit of
// their own. A process that only receives or administers (Workers -1)
// takes no lock, resumes nothing and changes no limit: it may run beside
// the worker process.
//
// # A file that vanishes
//
// The inbox checks, before and after each commit and every second, that
// the file at path is still the one it opened. Once it is not (the file was
// removed or replaced), it logs an error, answers every delivery 503, and
// keeps handling the deliveries pending in the open file. At Stop, any
// that remain are saved with VACUUM INTO: to path itself when nothing is
// there, where the next start finds them, or beside it otherwise, and the
// log says where. The vanished file is then left open rather than closed,
// since SQLite's close removes the WAL file by its name, which may by then
// belong to a new file at path.
//
// At open, a -wal, -shm or -journal file found beside a path that does not
// exist is renamed aside (with an ".orphaned-" suffix), never replayed into
// the new file.
//
// [inbox.RiverClient] with *sql.Tx gives its River client.
func Open(ctx context.Context, path string, cfg inbox.Config) (*inbox.Inbox, error) {
	log := cmp.Or(cfg.Logger, slog.Default())
	path, err := prepare(path, log)
	if err != nil {
		return nil, err
	}
	f := &sqliteFile{path: path, log: log}
	if cfg.Workers >= 0 {
		if err := f.lock(); err != nil {
			return nil, err
		}
	}
	db := sql.OpenDB(connector{dsn: sqliteDSN(path), driver: &sqlite.Driver{}})
	f.db = db
	// SQLite allows one writer at a time; River shares one connection
	// rather than meet "database is locked".
	db.SetMaxOpenConns(1)
	fail := func(err error) (*inbox.Inbox, error) {
		db.Close()
		f.unlock()
		return nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		return fail(fmt.Errorf("sqlite: opening %s: %w", path, err))
	}
	if f.opened, err = os.Stat(path); err != nil {
		return fail(fmt.Errorf("sqlite: opening %s: %w", path, err))
	}
	if err := singleName(path); err != nil { // linked while it opened
		return fail(err)
	}
	in, err := inbox.NewStore(ctx, inbox.Store[*sql.Tx]{
		Driver:        wakingDriver{Driver: riversqlite.New(db), done: &f.done},
		Commit:        f.commit,
		Check:         f.check,
		Close:         f.close,
		Stats:         f.stats,
		Replay:        f.replay,
		Sweep:         f.sweep,
		Release:       f.release,
		Busy:          f.busy,
		PreservesJSON: true, // River's JSONB keeps each string's and number's text as written
	}, cfg)
	if err != nil {
		return fail(err)
	}
	f.client = inbox.RiverClient[*sql.Tx](in)
	if err := ready(ctx, db, in.Config()); err != nil {
		in.Stop(ctx)
		return nil, err
	}
	f.stopWatch = make(chan struct{})
	go f.watch(f.stopWatch)
	return in, nil
}

// ready makes the index of ordered rooms after River's migrations, and,
// for an inbox that runs workers, resumes what a dead process left.
func ready(ctx context.Context, db *sql.DB, c inbox.Config) error {
	if _, err := db.ExecContext(ctx, sqliteOrderIndex); err != nil {
		return fmt.Errorf("sqlite: indexing ordered rooms: %w", err)
	}
	if c.Workers < 0 {
		return nil
	}
	return resume(ctx, db, c)
}

// prepare returns the one name of the file at path, resolved, with orphans
// moved aside, the file created 0600 when absent, and refused when it has
// several names.
func prepare(path string, log *slog.Logger) (string, error) {
	path, err := resolve(path)
	if err != nil {
		return "", err
	}
	if err := moveOrphans(path, log); err != nil {
		return "", err
	}
	if err := create(path, log); err != nil {
		return "", err
	}
	return path, singleName(path)
}

// sqliteDSN returns the data source name of the file at path, with the
// inbox's pragmas. The path is escaped: in a file: URI, SQLite reads "?"
// as the start of the parameters, "#" as a fragment and "%" as an escape,
// so that "e?f.db" would open "e" without the pragmas.
func sqliteDSN(path string) string {
	q := url.Values{}
	// modernc.org/sqlite runs the _pragma values sorted, and journal_mode
	// after them: page_size must come first, while the file is new, since
	// WAL mode fixes it.
	for _, p := range []string{"page_size(8192)", "synchronous(FULL)", "busy_timeout(10000)", "foreign_keys(ON)"} {
		q.Add("_pragma", p)
	}
	q.Set("_journal_mode", "WAL")
	escaped := strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23").Replace(path)
	return "file:" + escaped + "?" + q.Encode()
}

// The raw SQL of the SQLite store: the one place where the inbox writes
// River's river_job table itself. It is written against the schema of River
// v0.51.2 (migration 6), and is to be checked at each River upgrade.
const (
	// sqliteResumeRunning makes the deliveries left running by a process
	// that died available again. The attempt that died counts, but never
	// uses up the last one.
	sqliteResumeRunning = `UPDATE river_job SET state = 'available',
		max_attempts = CASE WHEN attempt >= max_attempts THEN attempt + 1 ELSE max_attempts END,
		scheduled_at = datetime('now', 'subsec')
		WHERE state = 'running' AND kind = ?`
	// sqliteSetMaxAttempts gives the pending deliveries of a queue the
	// configured MaxAttempts, counted from their last replay, but for those
	// that did not parse, which have one attempt by design.
	sqliteSetMaxAttempts = `UPDATE river_job
		SET max_attempts = coalesce(json_extract(metadata, '$.` + inbox.ReplayBaseKey + `'), 0) + ?1
		WHERE kind = ?2 AND queue = ?3
		AND max_attempts <> coalesce(json_extract(metadata, '$.` + inbox.ReplayBaseKey + `'), 0) + ?1
		AND state IN ('available', 'pending', 'scheduled', 'retryable')
		AND json_extract(args, '$.parse_error') IS NULL`
	// sqliteReplay makes the jobs of a JSON array of IDs that are still
	// dead available at once, with ?1 attempts more than they had (or, for
	// 0, as many as they had since their last replay), and notes from which
	// attempt their budget counts: inbox.Store's Replay. An ordered job
	// waits, pending, for its room (see inbox.Store's Sweep).
	sqliteReplay = `UPDATE river_job SET state = CASE WHEN json_extract(args, '$.order') IS NULL THEN 'available' ELSE 'pending' END,
		max_attempts = attempt + CASE WHEN ?1 > 0 THEN ?1
			ELSE max(max_attempts - coalesce(json_extract(metadata, '$.` + inbox.ReplayBaseKey + `'), 0), 1) END,
		finalized_at = NULL,
		scheduled_at = datetime('now', 'subsec'),
		metadata = jsonb_set(jsonb_remove(metadata, '$.cancel_attempted_at'), '$.` + inbox.ReplayBaseKey + `', attempt)
		WHERE id IN (SELECT value FROM json_each(?2)) AND kind = ?3 AND queue = ?4
		AND state IN ('discarded', 'cancelled')
		RETURNING id`
	// sqliteStats counts the deliveries of a queue by River state, with
	// the Unix time of the oldest of each; a delivery waiting for its next
	// attempt after one failed since its last replay counts as retryable,
	// whether River keeps it available (a next attempt under 5 s away) or
	// retryable.
	sqliteStats = `SELECT CASE WHEN state IN ('available', 'scheduled', 'pending')
			AND coalesce(json_extract(errors, '$[#-1].attempt'), 0) > coalesce(json_extract(metadata, '$.` + inbox.ReplayBaseKey + `'), 0)
			THEN 'retryable' ELSE state END AS shown,
		count(*), coalesce(unixepoch(min(created_at), 'subsec'), 0) FROM river_job
		WHERE kind = ?1 AND queue = ?2 GROUP BY shown
		UNION ALL ` + sqliteBlocked
	// sqliteUnfinished counts the deliveries of a file not yet handled:
	// pending, running, retrying or dead.
	sqliteUnfinished = `SELECT count(*) FROM river_job WHERE kind = ? AND state <> 'completed'`
)

// stats counts the deliveries of queue.
func (f *sqliteFile) stats(ctx context.Context, queue string) (inbox.Stats, error) {
	rows, err := f.db.QueryContext(ctx, sqliteStats, inbox.Kind, queue)
	if err != nil {
		return inbox.Stats{}, err
	}
	defer rows.Close()
	var c inbox.Counter
	return c.Scan(rows)
}

// replay is the store's Replay: see inbox.Store.
func (f *sqliteFile) replay(ctx context.Context, queue string, jobIDs []int64, budget int) ([]int64, error) {
	ids, err := json.Marshal(jobIDs)
	if err != nil {
		return nil, err
	}
	rows, err := f.db.QueryContext(ctx, sqliteReplay, budget, string(ids), inbox.Kind, queue)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var done []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return done, err
		}
		done = append(done, id)
	}
	return done, rows.Err()
}

// resume makes the deliveries left running by a process that died
// available again, and applies c's MaxAttempts to those pending; only the
// process holding the lock may call it.
func resume(ctx context.Context, db *sql.DB, c inbox.Config) error {
	if _, err := db.ExecContext(ctx, sqliteResumeRunning, inbox.Kind); err != nil {
		return fmt.Errorf("sqlite: resuming the deliveries of a process that died: %w", err)
	}
	if _, err := db.ExecContext(ctx, sqliteSetMaxAttempts, c.MaxAttempts, inbox.Kind, c.Queue); err != nil {
		return fmt.Errorf("sqlite: applying MaxAttempts to the pending deliveries: %w", err)
	}
	return nil
}

// A sqliteFile is the SQLite file of an inbox: its lock, and what tells
// whether the file at its path is still the one opened.
type sqliteFile struct {
	path   string
	log    *slog.Logger
	db     *sql.DB
	held   *os.File    // the lock file, locked, or nil
	opened os.FileInfo // the file as opened
	gone   atomic.Bool
	once   sync.Once
	// stopWatch ends watch; close closes it.
	stopWatch chan struct{}
	// client is the inbox's River client, set once the inbox is made and
	// before it receives.
	client *river.Client[*sql.Tx]
	// done are the jobs committed as completed that River's completer
	// has yet to ask for.
	done completed.Jobs
}

// A wakingDriver is River's SQLite driver reporting no listener. River's
// SQLite driver emulates LISTEN/NOTIFY by polling a table every 50 ms, so
// a delivery to an idle inbox waited for that poll; with no listener,
// River wakes its own producer as soon as InsertMany commits (and polls
// for the rest, every PollInterval).
// It also answers River's completer from done: see package completed.
type wakingDriver struct {
	*riversqlite.Driver
	done *completed.Jobs
}

// SupportsListener reports false: see wakingDriver.
func (wakingDriver) SupportsListener() bool { return false }

// GetExecutor returns River's executor, which answers its completer from
// d.done.
func (d wakingDriver) GetExecutor() riverdriver.Executor {
	return completed.Executor{Executor: d.Driver.GetExecutor(), Jobs: d.done}
}

// commit inserts params and completes jobs in one transaction. Receipts
// alone, as an idle or lightly loaded inbox has them, go through River's
// InsertMany, whose commit wakes the workers at once; with completions,
// the workers are awake already.
func (f *sqliteFile) commit(ctx context.Context, params []river.InsertManyParams, jobs []*river.Job[inbox.Delivery]) ([]*rivertype.JobInsertResult, error) {
	byQueue := inbox.OrderedRooms(params, jobs)
	if len(jobs) == 0 && len(params) > 0 && len(byQueue) == 0 {
		return f.client.InsertMany(ctx, params)
	}
	tx, err := f.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	res, done, err := f.commitTx(ctx, tx, params, jobs, byQueue)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	f.done.Add(done)
	return res, nil
}

// lock takes the workers' lock of f.path, or returns an error wrapping
// ErrLocked.
func (f *sqliteFile) lock() error {
	file, err := os.OpenFile(f.path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("sqlite: opening the lock of %s: %w", f.path, err)
	}
	if err := lockFile(file); err != nil {
		file.Close()
		if errors.Is(err, ErrLocked) {
			return fmt.Errorf("%w: %s", ErrLocked, f.path)
		}
		return fmt.Errorf("sqlite: locking %s: %w", f.path, err)
	}
	f.held = file
	return nil
}

// unlock releases the lock, if held.
func (f *sqliteFile) unlock() {
	if f.held != nil {
		f.held.Close()
		f.held = nil
	}
}

// check returns an error wrapping ErrDatabaseGone when the file at f.path
// is not the one opened, and logs it the first time.
func (f *sqliteFile) check() error {
	if !f.gone.Load() {
		fi, err := os.Stat(f.path)
		if err == nil && os.SameFile(fi, f.opened) {
			return nil
		}
		f.gone.Store(true)
	}
	f.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var n int
		err := f.db.QueryRowContext(ctx, sqliteUnfinished, inbox.Kind).Scan(&n)
		f.log.LogAttrs(ctx, slog.LevelError, "sqlite: the database file was removed or replaced; deliveries are answered 503 until a restart, and those not yet handled are kept in the open file and saved at stop",
			slog.String("path", f.path), slog.Int("unfinished", n), slog.Any("err", err))
	})
	return fmt.Errorf("%w: %s", ErrDatabaseGone, f.path)
}

// watch checks the file every second until stopping is closed, so that a
// vanished file is noticed, and logged, while no delivery arrives.
func (f *sqliteFile) watch(stopping <-chan struct{}) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-stopping:
			return
		case <-t.C:
			if f.check() != nil {
				return
			}
		}
	}
}

// close closes the file, once the workers stopped. A vanished file has
// what it still holds saved first, and is left open: see Open.
func (f *sqliteFile) close() error {
	if f.stopWatch != nil {
		close(f.stopWatch)
	}
	if f.check() == nil {
		err := f.db.Close()
		f.unlock()
		return err
	}
	err := f.save()
	f.unlock()
	return err
}

// save copies a vanished file that still holds deliveries not handled to
// f.path, when nothing is there, or beside it, and logs where.
func (f *sqliteFile) save() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var n int
	if err := f.db.QueryRowContext(ctx, sqliteUnfinished, inbox.Kind).Scan(&n); err != nil {
		return fmt.Errorf("sqlite: counting the deliveries of the vanished database: %w", err)
	}
	if n == 0 {
		f.log.LogAttrs(ctx, slog.LevelWarn, "sqlite: the vanished database file held no delivery still to handle", slog.String("path", f.path))
		return nil
	}
	dest := f.path
	if _, err := os.Lstat(f.path); err == nil {
		dest = fmt.Sprintf("%s.saved-%s", f.path, time.Now().UTC().Format("20060102T150405.000Z"))
	} else if err := moveOrphans(f.path, f.log); err != nil {
		return err
	}
	// VACUUM INTO writes into an empty file: created 0600 first, it never
	// holds the deliveries under a wider mode.
	if err := create(dest, f.log); err != nil {
		return err
	}
	if _, err := f.db.ExecContext(ctx, "VACUUM INTO ?", dest); err != nil {
		return fmt.Errorf("sqlite: saving %d deliveries of the vanished database to %s: %w", n, dest, err)
	}
	if err := os.Chmod(dest, 0o600); err != nil {
		return fmt.Errorf("sqlite: saving to %s: %w", dest, err)
	}
	next := "the next start on the path handles them"
	if dest != f.path {
		next = "a listen on that file handles them"
	}
	f.log.LogAttrs(ctx, slog.LevelError, "sqlite: saved the deliveries not yet handled of the vanished database file; "+next,
		slog.String("path", f.path), slog.String("saved_to", dest), slog.Int("deliveries", n))
	return nil
}

// resolve returns path made absolute, with its symbolic links resolved: the
// one name of the file. A path that does not exist yet resolves through
// its folder; a symbolic link that leads nowhere is refused, since SQLite
// would create a file at its target, under a name no other opener shares.
func resolve(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("sqlite: %s: %w", path, err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err == nil {
		return real, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("sqlite: resolving %s: %w", path, err)
	}
	if fi, lerr := os.Lstat(abs); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return "", fmt.Errorf("sqlite: %s is a symbolic link to a file that does not exist", path)
	}
	dir, err := filepath.EvalSymlinks(filepath.Dir(abs))
	if err != nil {
		return "", fmt.Errorf("sqlite: the folder of %s: %w", path, err)
	}
	return filepath.Join(dir, filepath.Base(abs)), nil
}

// singleName returns an error wrapping ErrHardLinked when the file at path
// has more than one hard link.
func singleName(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("sqlite: opening %s: %w", path, err)
	}
	if n := hardLinks(fi); n > 1 {
		return fmt.Errorf("%w: %s has %d names; open it by one name only, and remove the others", ErrHardLinked, path, n)
	}
	return nil
}

// create creates the database file at path, readable and writable by its
// owner alone, when it does not exist; SQLite gives the -wal and -shm files
// the mode of the database. An existing file others may read is logged.
func create(path string, log *slog.Logger) error {
	file, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
			log.Warn("sqlite: other users of the machine may read the database file, and every stored body in it; chmod 600 it", "path", path, "mode", fi.Mode().Perm().String())
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("sqlite: creating %s: %w", path, err)
	}
	// The umask may have taken bits from 0600 (077 leaves it; 0277 would
	// not): set it whatever the umask.
	err = file.Chmod(0o600)
	return errors.Join(err, file.Close())
}

// moveOrphans renames aside the -wal, -shm and -journal files beside path
// when path itself does not exist: SQLite would replay them into a new
// file at path, of which they are no part.
func moveOrphans(path string, log *slog.Logger) error {
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	stamp := time.Now().UTC().Format("20060102T150405.000Z")
	for _, suffix := range []string{"-wal", "-shm", "-journal"} {
		orphan := path + suffix
		if _, err := os.Lstat(orphan); err != nil {
			continue
		}
		aside := orphan + ".orphaned-" + stamp
		if err := os.Rename(orphan, aside); err != nil {
			return fmt.Errorf("sqlite: moving aside %s, left by a database file that is gone: %w", orphan, err)
		}
		log.Warn("sqlite: moved aside a file left by a database file that is gone, so that it is not replayed into a new one", "from", orphan, "to", aside)
	}
	return nil
}
