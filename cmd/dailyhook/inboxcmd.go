package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/inbox"
	"github.com/dailywebhooks/events/inbox/postgres"
	"github.com/dailywebhooks/events/inbox/sqlite"
	"github.com/dailywebhooks/events/internal/term"
)

var inboxCommand = &command{
	name:  "inbox",
	short: "list, show, replay and purge the deliveries stored by listen",
	long: `Example:

	dailyhook inbox list -db dailyhook.db -since 1h
	dailyhook inbox dead -type recording.ready-to-download -json
	dailyhook inbox show ptcpt-join-6497c79b-...
	dailyhook inbox replay -dead -type recording.ready-to-download -since 24h
	dailyhook inbox purge -dead -older-than 720h

They work while listen runs on the same database, SQLite or PostgreSQL,
and never touch a running delivery. The states: pending (waiting for a
worker), running, retrying (an attempt failed, another will come),
handled, dead (every attempt failed, or it did not parse; kept until
replayed or purged). replay gives each dead delivery a fresh budget of the
attempts it had (listen's -max-attempts), whose backoff starts over: it
reads pending until an attempt after the replay fails. replay and purge
change only what is still dead, and print exactly what they did. Exit
status: 0 on success, 1 when nothing matched, 2 for a usage error.`,
	setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		storeFlags(fs)
		return nil
	},
	verbs: []*command{
		inboxVerb("list", "[-state S] [-type T] [-since DUR] [-limit N] [-json]", "one line per delivery, newest first", listFlags, runInboxList),
		inboxVerb("dead", "[-type T] [-since DUR] [-limit N] [-json]", "the dead deliveries: list -state dead", listFlags, runInboxDead),
		inboxVerb("show", "ID [-json]", "one delivery: its fields, its body as indented JSON, and its attempts", func(fs *flag.FlagSet, o *inboxOpts) {
			o.asJSON = fs.Bool("json", false, "print it as JSON")
		}, runInboxShow),
		inboxVerb("replay", "ID... | -dead [-type T] [-since DUR]", "make dead deliveries pending again, and print how many", func(fs *flag.FlagSet, o *inboxOpts) {
			o.dead = fs.Bool("dead", false, "replay every dead delivery that the filters select")
			o.typ = fs.String("type", "", "only deliveries of this event type")
			o.since = fs.Duration("since", 0, "only deliveries received this long ago or since; 0 means all")
		}, runInboxReplay),
		inboxVerb("purge", "-dead [-older-than DUR]", "delete dead deliveries, and print how many", func(fs *flag.FlagSet, o *inboxOpts) {
			o.dead = fs.Bool("dead", false, "delete dead deliveries (required: nothing else is ever purged)")
			o.olderThan = fs.Duration("older-than", 0, "only those dead for longer than this; 0 means all")
		}, runInboxPurge),
	},
}

// storeOpts are the flags that name a store, as listen takes them.
type storeOpts struct {
	db, postgres *string
}

// storeFlags defines -db and -postgres.
func storeFlags(fs *flag.FlagSet) storeOpts {
	return storeOpts{
		db:       fs.String("db", "dailyhook.db", "SQLite file of the deliveries; it must exist"),
		postgres: fs.String("postgres", "", "PostgreSQL URL of the deliveries, instead of -db; DAILYHOOK_POSTGRES_URL is read when neither is given"),
	}
}

// inboxOpts are the flags of an inbox verb.
type inboxOpts struct {
	store     storeOpts
	fs        *flag.FlagSet
	state     *string
	typ       *string
	since     *time.Duration
	olderThan *time.Duration
	limit     *int
	asJSON    *bool
	dead      *bool
	e         *env
	in        *inbox.Inbox // once open is called
}

// open opens the store, once the arguments are checked.
func (o *inboxOpts) open(ctx context.Context) (*inbox.Inbox, error) {
	in, err := openAdmin(ctx, o.e, o.fs, o.store)
	o.in = in
	return in, err
}

// listFlags defines the flags of list and dead.
func listFlags(fs *flag.FlagSet, o *inboxOpts) {
	if fs.Name() == "inbox list" {
		o.state = fs.String("state", "", "only deliveries in this state: pending, running, retrying, handled or dead")
	}
	o.typ = fs.String("type", "", "only deliveries of this event type")
	o.since = fs.Duration("since", 0, "only deliveries received this long ago or since; 0 means all")
	o.limit = fs.Int("limit", 100, "list at most this many; 0 means all")
	o.asJSON = fs.Bool("json", false, "print one JSON object per line")
}

// inboxVerb returns the inbox verb name, with the store flags, the flags
// that more defines, and run, which gets the inbox opened.
func inboxVerb(name, usage, short string, more func(*flag.FlagSet, *inboxOpts), run func(context.Context, *inboxOpts, []string) error) *command {
	return &command{
		name:  name,
		usage: strings.TrimSpace("[-db PATH | -postgres URL] " + usage),
		short: short,
		setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			o := &inboxOpts{store: storeFlags(fs), fs: fs}
			more(fs, o)
			return func(ctx context.Context, e *env, args []string) error {
				o.e = e
				defer func() {
					if o.in != nil {
						o.in.Stop(context.Background())
					}
				}()
				return run(ctx, o, args)
			}
		},
	}
}

// errNothing is the error of a verb that matched nothing: exit status 1.
var errNothing = errors.New("no delivery matched")

// errSaid is the error of a verb that already said, on its output, that it
// did nothing: exit status 1, with nothing more printed.
var errSaid = errors.New("nothing done, as said")

// openAdmin opens the store that the flags of fs name, as a process that
// only administers: it takes no lock, resumes nothing and runs no worker.
// A -db path that does not exist is refused, rather than created empty.
func openAdmin(ctx context.Context, e *env, flags *flag.FlagSet, o storeOpts) (*inbox.Inbox, error) {
	db, pg, err := chooseStore(e, flags, *o.db, *o.postgres)
	if err != nil {
		return nil, err
	}
	secret, err := events.NewSecret() // the endpoint is never served
	if err != nil {
		return nil, err
	}
	v, err := events.NewVerifier(events.VerifierConfig{Secrets: []string{secret}})
	if err != nil {
		return nil, err
	}
	cfg := inbox.Config{Verifier: v, Workers: -1, Logger: warnLogger(e), Handle: func(context.Context, events.Event) error {
		return errors.New("dailyhook inbox handles nothing")
	}}
	if pg != "" {
		return postgres.Open(ctx, pg, cfg)
	}
	if _, err := os.Stat(db); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: -db %s does not exist", errUsage, db)
	}
	return sqlite.Open(ctx, db, cfg)
}

// filter returns the filter that o's flags describe.
func (o *inboxOpts) filter(states ...inbox.State) (inbox.Filter, error) {
	f := inbox.Filter{States: states}
	if o.state != nil && *o.state != "" {
		s, err := inbox.ParseState(*o.state)
		if err != nil {
			return f, fmt.Errorf("%w: -state: %w", errUsage, err)
		}
		f.States = []inbox.State{s}
	}
	if o.typ != nil && *o.typ != "" {
		f.Type = events.Type(*o.typ)
		if !f.Type.Known() {
			fmt.Fprintf(o.e.stderr, "dailyhook: %q is not a type this version knows%s\n", *o.typ, term.Safe(suggest(*o.typ)))
		}
	}
	if o.since != nil && *o.since > 0 {
		f.Since = time.Now().Add(-*o.since)
	}
	if o.limit != nil {
		f.Limit = *o.limit
	}
	return f, nil
}

func runInboxList(ctx context.Context, o *inboxOpts, args []string) error {
	return listEntries(ctx, o, args)
}

func runInboxDead(ctx context.Context, o *inboxOpts, args []string) error {
	return listEntries(ctx, o, args, inbox.StateDead)
}

// listEntries prints the deliveries o selects, in states when given.
func listEntries(ctx context.Context, o *inboxOpts, args []string, states ...inbox.State) error {
	if len(args) > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, args)
	}
	f, err := o.filter(states...)
	if err != nil {
		return err
	}
	in, err := o.open(ctx)
	if err != nil {
		return err
	}
	entries, err := in.List(ctx, f)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if *o.asJSON {
			b, err := json.Marshal(line(e))
			if err != nil {
				return err
			}
			if _, err := fmt.Fprintf(o.e.stdout, "%s\n", term.JSON(b)); err != nil {
				return err
			}
			continue
		}
		l := line(e)
		fmt.Fprintf(o.e.stdout, "%s  %-8s %2d  %-28s %s  %s  %s\n", l.Received.Format(time.RFC3339), l.State, l.Attempts, term.Safe(cmpOr(l.Type, "-")), term.Safe(cmpOr(l.ID, "-")), term.Safe(cmpOr(l.Room, "-")), term.Safe(oneLine(cmpOr(l.LastError, l.Waits))))
	}
	if len(entries) == 0 {
		return errNothing
	}
	return nil
}

// entryLine is a delivery as list prints it with -json.
type entryLine struct {
	Received  time.Time   `json:"received"`
	State     inbox.State `json:"state"`
	Attempts  int         `json:"attempts"`
	Type      string      `json:"type"`
	ID        string      `json:"id"`
	Room      string      `json:"room"`
	LastError string      `json:"last_error"`
	// Waits says why an ordered delivery waits: "held behind <id> in room
	// <room>".
	Waits string `json:"waits,omitempty"`
	// Late reports an ordered delivery handed over after a room-mate
	// stamped later.
	Late bool `json:"late,omitempty"`
}

func line(e inbox.Entry) entryLine {
	return entryLine{Received: e.Delivery.ReceivedAt, State: e.State, Attempts: e.Attempts, Type: e.Delivery.Type, ID: e.Delivery.ID, Room: e.Room(), LastError: e.LastError(), Waits: e.Waits(), Late: e.Late}
}

// oneLine keeps the first line of s.
func oneLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}

// cmpOr returns s, or def when s is empty.
func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func runInboxShow(ctx context.Context, o *inboxOpts, args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("%w: show takes one event ID", errUsage)
	}
	in, err := o.open(ctx)
	if err != nil {
		return err
	}
	entries, err := in.List(ctx, inbox.Filter{IDs: args})
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		return fmt.Errorf("%w: %s", errNothing, args[0])
	}
	for _, e := range entries {
		if err := showEntry(o.e.stdout, e, *o.asJSON); err != nil {
			return err
		}
	}
	return nil
}

// attemptLine is one failed attempt, as show prints it.
type attemptLine struct {
	Attempt int       `json:"attempt"`
	At      time.Time `json:"at"`
	Error   string    `json:"error"`
}

// showEntry prints one delivery whole.
func showEntry(w io.Writer, e inbox.Entry, asJSON bool) error {
	var attempts []attemptLine
	for _, a := range e.Errors {
		attempts = append(attempts, attemptLine{a.Attempt, a.At, a.Error})
	}
	var body bytes.Buffer
	if json.Indent(&body, e.Delivery.Body, "", "  ") != nil {
		body.Reset()
		body.Write(e.Delivery.Body)
	}
	if asJSON {
		v := struct {
			entryLine
			JobID    int64           `json:"job_id"`
			Body     json.RawMessage `json:"body,omitempty"`
			BodyText string          `json:"body_text,omitempty"`
			Errors   []attemptLine   `json:"attempt_errors"`
		}{entryLine: line(e), JobID: e.JobID, Errors: attempts}
		if json.Valid(e.Delivery.Body) {
			v.Body = e.Delivery.Body
		} else {
			v.BodyText = string(e.Delivery.Body)
		}
		return writeJSON(w, v)
	}
	l := line(e)
	fmt.Fprintf(w, "id          %s\ntype        %s\nroom        %s\nstate       %s\nreceived    %s\nattempts    %d of %d\njob         %d\n",
		term.Safe(l.ID), term.Safe(l.Type), term.Safe(l.Room), l.State, l.Received.Format(time.RFC3339Nano), e.Attempts, e.MaxAttempts, e.JobID)
	if e.Delivery.ParseError != "" {
		fmt.Fprintf(w, "parse error %s\n", term.Safe(e.Delivery.ParseError))
	}
	if l.Waits != "" {
		fmt.Fprintf(w, "waits       %s\n", term.Safe(l.Waits))
	}
	if l.Late {
		fmt.Fprintf(w, "late        handed over after a room-mate stamped later\n")
	}
	for _, a := range attempts {
		fmt.Fprintf(w, "attempt %d   %s  %s\n", a.Attempt, a.At.Format(time.RFC3339), term.Safe(oneLine(a.Error)))
	}
	fmt.Fprintf(w, "body\n%s\n", safeBody(body.Bytes()))
	return nil
}

func runInboxReplay(ctx context.Context, o *inboxOpts, args []string) error {
	switch {
	case *o.dead && len(args) > 0:
		return fmt.Errorf("%w: give event IDs or -dead, not both", errUsage)
	case !*o.dead && len(args) == 0:
		return fmt.Errorf("%w: give the event IDs to replay, or -dead with filters", errUsage)
	case !*o.dead && (*o.typ != "" || *o.since != 0):
		return fmt.Errorf("%w: -type and -since go with -dead", errUsage)
	}
	f, err := o.filter()
	if err != nil {
		return err
	}
	in, err := o.open(ctx)
	if err != nil {
		return err
	}
	n := 0
	if *o.dead {
		n, err = in.ReplayDead(ctx, f)
		if err != nil && !errors.Is(err, inbox.ErrNotDead) {
			fmt.Fprintf(o.e.stdout, "replayed %d\n", n)
			return err
		}
		reportNotDead(o.e, err)
	} else {
		for _, id := range args {
			m, err := in.Replay(ctx, id)
			if errors.Is(err, inbox.ErrNotFound) {
				fmt.Fprintf(o.e.stderr, "dailyhook: no dead delivery %s\n", term.Safe(id))
				continue
			}
			n += m
			if err != nil {
				fmt.Fprintf(o.e.stdout, "replayed %d\n", n)
				return err
			}
		}
	}
	fmt.Fprintf(o.e.stdout, "replayed %d\n", n)
	if n == 0 {
		return errSaid
	}
	return nil
}

// safeBody returns a stored body to print: indented JSON with the unsafe
// characters of its strings escaped, or anything else escaped whole.
func safeBody(b []byte) string {
	if json.Valid(b) {
		return string(term.JSON(b))
	}
	return term.Safe(string(b))
}

// reportNotDead says, on standard error, what another replay or purge took
// from under this one: a report, not a failure.
func reportNotDead(e *env, err error) {
	if err != nil {
		fmt.Fprintf(e.stderr, "dailyhook: %v\n", err)
	}
}

func runInboxPurge(ctx context.Context, o *inboxOpts, args []string) error {
	if !*o.dead || len(args) > 0 {
		return fmt.Errorf("%w: purge takes -dead, and deletes only dead deliveries", errUsage)
	}
	in, err := o.open(ctx)
	if err != nil {
		return err
	}
	n, err := in.Purge(ctx, *o.olderThan)
	fmt.Fprintf(o.e.stdout, "purged %d\n", n)
	if err != nil && !errors.Is(err, inbox.ErrNotDead) {
		return err
	}
	reportNotDead(o.e, err)
	if n == 0 {
		return errSaid
	}
	return nil
}
