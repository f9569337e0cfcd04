// Command dailyhook is the command line of Daily's webhooks: a durable
// local receiver that can forward to your app, and tools for the rest of a
// webhook's life.
//
// Usage:
//
//	dailyhook <command> [flags] [arguments]
//
// The commands:
//
//	listen    receive deliveries durably, and forward them to your app
//	trigger   send signed sample deliveries to a receiver
//	verify    say whether a captured delivery is authentic, and if not why
//	parse     parse deliveries and print what they hold
//	webhooks  create, inspect, change and keep active the webhook with
//	          Daily's API (DAILY_API_KEY)
//
// Run "dailyhook <command> -h" for a command's flags and an example. The
// webhook's secret comes from the DAILY_WEBHOOK_SECRET environment
// variable, never from a flag. Exit status: 0 for success, 1 for a failure,
// 2 for a usage error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"sync"
	"syscall"
)

// env is what a command sees of its process: arguments aside, its streams
// and environment, so that tests run commands in process.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

// A command is one subcommand of dailyhook.
type command struct {
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

var commands = map[string]command{
	"listen":   {"receive deliveries durably, and forward them to your app", runListen},
	"trigger":  {"send signed sample deliveries to a receiver", runTrigger},
	"verify":   {"say whether a captured delivery is authentic, and if not why", runVerify},
	"parse":    {"parse deliveries and print what they hold", runParse},
	"webhooks": {"create, inspect, change and keep active the webhook with Daily's API", runWebhooks},
}

// errUsage marks an error in how a command was called: exit status 2.
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := &env{stdin: os.Stdin, stdout: &lockedWriter{w: os.Stdout}, stderr: &lockedWriter{w: os.Stderr}, getenv: os.Getenv}
	os.Exit(run(ctx, e, os.Args[1:]))
}

// run runs the command named by args[0] and returns the exit status.
func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		usage(e.stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "dailyhook: unknown command %q\n\n", args[0])
		usage(e.stderr)
		return 2
	}
	err := cmd.run(ctx, e, args[1:])
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(e.stderr, "dailyhook %s: %v\n", args[0], err)
		return 2
	default:
		fmt.Fprintf(e.stderr, "dailyhook %s: %v\n", args[0], err)
		return 1
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, "dailyhook is the command line of Daily's webhooks.\n\nUsage:\n\n\tdailyhook <command> [flags] [arguments]\n\nThe commands are:\n\n")
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(w, "\t%-10s %s\n", name, commands[name].summary)
	}
	fmt.Fprint(w, "\nRun \"dailyhook <command> -h\" for a command's flags and an example.\nThe webhook's secret comes from DAILY_WEBHOOK_SECRET, never from a flag.\n")
}

// flags returns a flag set for command name that writes its help, with
// the given usage line and example, to e.stderr.
func flags(e *env, name, synopsis, example string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: dailyhook %s %s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
		fmt.Fprintf(e.stderr, "\nExample:\n\n%s\n", example)
	}
	return fs
}

// parseFlags parses args into fs, turning a bad flag into a usage error.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	return nil
}

// lockedWriter serialises writes, so that lines written by several
// goroutines never interleave.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
