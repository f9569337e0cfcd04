package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
)

// A command is one subcommand of dailyhook, or one verb of a group such as
// "webhooks": it owns its flags, its usage line and its example, as the go
// command's base.Command does.
type command struct {
	// name is how it is called: "listen", or "get" within "webhooks".
	name string
	// usage is what follows the name in its usage line: flags and
	// arguments.
	usage string
	// short is its line in the list of commands.
	short string
	// long is the example, and what the command does, for -h.
	long string
	// setup defines the command's flags on fs and returns what runs it
	// with the arguments that are not flags. Nil for a group.
	setup func(fs *flag.FlagSet) func(ctx context.Context, e *env, args []string) error
	// verbs are the commands of a group.
	verbs []*command
}

// errUsage marks an error in how a command was called: exit status 2.
var errUsage = errors.New("usage")

// execute runs c, named path (such as "webhooks get"), with args. A group
// whose setup returns a runner (dev) runs it when args name no verb.
func (c *command) execute(ctx context.Context, e *env, path string, args []string) error {
	args = c.verbFirst(args)
	if c.verbs != nil && (!c.runsAlone() || len(args) > 0 && c.verb(args[0]) != nil || len(args) > 0 && isHelp(args[0])) {
		return c.dispatch(ctx, e, path, args)
	}
	fs := flag.NewFlagSet(path, flag.ContinueOnError)
	// The flag package prints a bad flag's error and the whole usage;
	// the error is said once, by run, with the nearest flag and where the
	// flags are listed.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	run := c.setup(fs)
	pos, err := parseArgs(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(e.stderr)
		c.help(e.stderr, path, fs)
		return err
	case err != nil:
		return fmt.Errorf("%w%s; \"dailyhook %s -h\" lists the flags", err, nearestFlag(fs, err), path)
	}
	return run(ctx, e, pos)
}

// nearestFlag returns ", did you mean -X?" for the flag of fs nearest to
// the one err says is not defined, or "".
func nearestFlag(fs *flag.FlagSet, err error) string {
	_, name, ok := strings.Cut(err.Error(), "flag provided but not defined: -")
	if !ok {
		return ""
	}
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	if s := suggestFrom(strings.TrimLeft(name, "-"), names); s != "" {
		return strings.Replace(s, "mean ", "mean -", 1)
	}
	return ""
}

// dispatch runs the verb of group c that args name.
func (c *command) dispatch(ctx context.Context, e *env, path string, args []string) error {
	if len(args) == 0 || isHelp(args[0]) {
		c.groupHelp(e.stderr, path)
		if len(args) == 0 && !c.runsAlone() {
			return fmt.Errorf("%w: name a verb", errUsage)
		}
		return flag.ErrHelp
	}
	if v := c.verb(args[0]); v != nil {
		return v.execute(ctx, e, path+" "+v.name, args[1:])
	}
	return fmt.Errorf("%w: unknown verb %q%s; the verbs: %s", errUsage, args[0], suggestFrom(args[0], strings.Split(c.verbNames(), ", ")), c.verbNames())
}

// baseURLFlag defines -base-url on fs, with def as its default, and
// returns what gives the URL once fs is parsed: -base-url when given, then
// DAILY_API_URL when set, then def.
func baseURLFlag(fs *flag.FlagSet, def, usage string) func(e *env) string {
	v := fs.String("base-url", def, usage+"; DAILY_API_URL is read when it is not given")
	return func(e *env) string {
		given := false
		fs.Visit(func(f *flag.Flag) { given = given || f.Name == "base-url" })
		if u := e.getenv("DAILY_API_URL"); !given && u != "" {
			return strings.TrimRight(u, "/")
		}
		return strings.TrimRight(*v, "/")
	}
}

// verbFirst returns args with the verb of group c first, when flags come
// before it ("inbox -db dev.db list" runs "inbox list -db dev.db"): flags
// may stand anywhere. The verb is the first argument that names one and
// does not follow "--".
func (c *command) verbFirst(args []string) []string {
	if c.verbs == nil || len(args) == 0 || !strings.HasPrefix(args[0], "-") {
		return args
	}
	bools := c.boolFlags()
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return args
		case strings.HasPrefix(a, "-"):
			name := strings.TrimLeft(a, "-")
			if !strings.Contains(name, "=") && !bools[name] {
				i++ // the flag's value, which may spell a verb
			}
		case c.verb(a) != nil:
			return append(append([]string{a}, args[:i]...), args[i+1:]...)
		default:
			return args // an argument before any verb: leave it to dispatch
		}
	}
	return args
}

// boolFlags returns the names of the boolean flags of c's verbs, which
// take no value.
func (c *command) boolFlags() map[string]bool {
	bools := map[string]bool{"h": true, "help": true}
	for _, v := range append([]*command{c}, c.verbs...) {
		if v.setup == nil {
			continue
		}
		fs := flag.NewFlagSet(v.name, flag.ContinueOnError)
		v.setup(fs)
		fs.VisitAll(func(f *flag.Flag) {
			if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
				bools[f.Name] = true
			}
		})
	}
	return bools
}

// verb returns the verb of group c named name, or nil.
func (c *command) verb(name string) *command {
	for _, v := range c.verbs {
		if v.name == name {
			return v
		}
	}
	return nil
}

// runsAlone reports whether group c also runs without a verb.
func (c *command) runsAlone() bool {
	if c.setup == nil {
		return false
	}
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	return c.setup(fs) != nil
}

// verbNames lists the verbs of group c.
func (c *command) verbNames() string {
	names := make([]string, len(c.verbs))
	for i, v := range c.verbs {
		names[i] = v.name
	}
	return strings.Join(names, ", ")
}

// help writes the usage line of c, its flags and its example.
func (c *command) help(w io.Writer, path string, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: dailyhook %s %s\n\n%s\n", path, c.usage, c.short)
	var n int
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		fmt.Fprint(w, "\nFlags (before or after the arguments):\n")
		fs.PrintDefaults()
	}
	if c.long != "" {
		fmt.Fprintf(w, "\n%s\n", c.long)
	}
}

// groupHelp writes the verbs of group c with their usage lines, and the
// flags they share.
func (c *command) groupHelp(w io.Writer, path string) {
	flagsOf := "every verb"
	if c.runsAlone() {
		fmt.Fprintf(w, "Usage: dailyhook %s %s\n   or: dailyhook %s <verb> [flags] [arguments]\n\n%s\n\nThe verbs:\n\n", path, c.usage, path, c.short)
		flagsOf = "dailyhook " + path
	} else {
		fmt.Fprintf(w, "Usage: dailyhook %s <verb> [flags] [arguments]\n\n%s\n\nThe verbs:\n\n", path, c.short)
	}
	for _, v := range c.verbs {
		fmt.Fprintf(w, "\t%s %s %s\n\t\t%s\n", path, v.name, v.usage, v.short)
	}
	if c.setup != nil {
		fs := flag.NewFlagSet(path, flag.ContinueOnError)
		fs.SetOutput(w)
		c.setup(fs)
		fmt.Fprintf(w, "\nFlags of %s:\n", flagsOf)
		fs.PrintDefaults()
	}
	if c.long != "" {
		fmt.Fprintf(w, "\n%s\n", c.long)
	}
	fmt.Fprintf(w, "\nRun \"dailyhook %s <verb> -h\" for a verb's flags.\n", path)
}

// parseArgs parses args into fs, letting flags come before, between or
// after the arguments, and returns the arguments; after "--", everything is
// an argument. A bad flag is a usage error.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	if i := slices.Index(args, "--"); i >= 0 {
		args, rest = args[:i], args[i+1:]
	}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, fmt.Errorf("%w: %w", errUsage, err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return append(pos, rest...), nil
		}
		pos, args = append(pos, args[0]), args[1:]
	}
}

// isHelp reports whether arg asks for help.
func isHelp(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help" || arg == "help"
}
