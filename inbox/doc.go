// Package inbox is a durable inbox for Daily's webhook deliveries, built on
// River (github.com/riverqueue/river), the Go job queue on a real database.
//
// An [Inbox] is an http.Handler that verifies each delivery with the core
// package's [events.Verifier], stores it as a River job and answers 200 only
// once the job is committed: a delivery Daily saw acknowledged survives a
// crash. River's workers then parse each stored delivery and hand the event
// to the user's function, retrying failures with backoff and keeping what
// never succeeds in River's dead-letter state ("discarded"), from which
// [Inbox.Replay] brings it back.
//
// Daily's default retry policy tries each delivery once and switches the
// webhook off after three failures in a row, so an endpoint must answer
// quickly and must not fail on what it cannot handle yet. The inbox answers
// as soon as the delivery is stored, whatever the user's code does later,
// and stores authentic deliveries that do not parse too, dead-lettered with
// their error, so that upgrading this module and replaying them recovers
// them.
//
// # Stores
//
// The package links no database: each store is a package of its own, as
// River's drivers are, so that a program links only the database it uses.
// [github.com/dailywebhooks/events/inbox/sqlite] keeps everything in one
// SQLite file, with the pure-Go modernc.org/sqlite: nothing to install, one
// process running the workers. [github.com/dailywebhooks/events/inbox/postgres]
// uses PostgreSQL through pgx, for several replicas sharing one queue: each
// delivery is stored once whichever replica receives it, and handled by one
// of them. [New] takes any River driver, and [NewStore] a driver with what
// a store package adds to it. [RiverClient] gives River's own client.
//
// # Guarantees
//
//   - A delivery answered 200 is committed to the database.
//   - A delivery is stored once per key (by default its event ID, or the
//     hash of its body when it has none) while an earlier job for the key
//     is pending, running or completed and not yet cleaned up
//     (CompletedRetention): a re-sent delivery, or one that reaches another
//     replica, is not handled twice.
//   - Each stored event is handed to the user's function at least once. Its
//     completion is committed before the worker takes other work, grouped
//     with the receipts and completions that arrive meanwhile, so it is
//     handed over a second time only when a process died while the
//     function ran for it or its completion committed: at most Workers
//     events per process that died. SQLite resumes them at the next open;
//     on PostgreSQL, River's rescuer tries them again after RescueAfter,
//     within about RescueAfter plus 30 seconds.
//   - An error or a panic in the user's function fails the attempt; after
//     MaxAttempts the job is kept as dead (discarded) with its errors, and
//     logged once at ERROR; List, ReplayDead and Purge steer it.
package inbox
