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
//	inbox     list, show, replay and purge the deliveries stored by listen
//	trigger   send signed sample deliveries to a receiver
//	verify    say whether a captured delivery is authentic, and if not why
//	parse     parse deliveries and print what they hold
//	webhooks  create, inspect, change and keep active the webhook with
//	          Daily's API (DAILY_API_KEY)
//	dev       run a fake Daily for local development, and play meetings
//	version   print the version and the VCS revision of this build
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
	"github.com/dailywebhooks/events/internal/term"
	"io"
	"os"
	"os/signal"
	"slices"
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

// commands are dailyhook's subcommands, in the order of its help.
var commands = []*command{listenCommand, inboxCommand, triggerCommand, verifyCommand, parseCommand, webhooksCommand, dialinCommand, devCommand, versionCommand}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := &env{stdin: os.Stdin, stdout: &lockedWriter{w: os.Stdout}, stderr: &lockedWriter{w: os.Stderr}, getenv: os.Getenv}
	os.Exit(run(ctx, e, os.Args[1:]))
}

// run runs the command named by args[0] and returns the exit status.
func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 || isHelp(args[0]) {
		usage(e.stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if args[0] == "-version" || args[0] == "--version" {
		args[0] = "version"
	}
	i := slices.IndexFunc(commands, func(c *command) bool { return c.name == args[0] })
	if i < 0 {
		names := make([]string, len(commands))
		for i, c := range commands {
			names[i] = c.name
		}
		fmt.Fprintf(e.stderr, "dailyhook: unknown command %q%s\n\n", args[0], suggestFrom(args[0], names))
		usage(e.stderr)
		return 2
	}
	err := commands[i].execute(ctx, e, args[0], args[1:])
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errSaid):
		return 1
	case errors.Is(err, errUsage):
		fmt.Fprintf(e.stderr, "dailyhook %s: %s\n", args[0], term.Safe(err.Error()))
		return 2
	default:
		fmt.Fprintf(e.stderr, "dailyhook %s: %s\n", args[0], term.Safe(err.Error()))
		return 1
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, "dailyhook is the command line of Daily's webhooks.\n\nUsage:\n\n\tdailyhook <command> [flags] [arguments]\n\nThe commands are:\n\n")
	for _, c := range commands {
		fmt.Fprintf(w, "\t%-10s %s\n", c.name, c.short)
	}
	fmt.Fprint(w, "\nRun \"dailyhook <command> -h\" for a command's flags and an example.\nThe webhook's secret comes from DAILY_WEBHOOK_SECRET, never from a flag.\n")
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
