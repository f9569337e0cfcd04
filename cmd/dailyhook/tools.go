package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/internal/term"
)

// maxInput bounds what the commands read of a file or standard input.
const maxInput = 8 << 20

// readInput reads the file name, or standard input for "-".
func readInput(e *env, name string) ([]byte, error) {
	var r io.Reader
	if name == "-" {
		r = e.stdin
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxInput+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxInput {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, maxInput)
	}
	return b, nil
}

// secretsFrom returns the secrets of DAILY_WEBHOOK_SECRET: one or more
// base64 secrets, comma-separated, newest first, as for a rotation. It
// returns a usage error when there is none.
func secretsFrom(e *env) ([]string, error) {
	secrets := splitSecrets(e.getenv("DAILY_WEBHOOK_SECRET"))
	if len(secrets) == 0 {
		return nil, fmt.Errorf("%w: set DAILY_WEBHOOK_SECRET to the webhook's hmac secret (several, comma-separated, while rotating)", errUsage)
	}
	for i, s := range secrets {
		if _, err := events.Sign(s, "0", nil); err != nil {
			return nil, fmt.Errorf("%w: DAILY_WEBHOOK_SECRET, secret %d of %d: %w", errUsage, i+1, len(secrets), err)
		}
	}
	return secrets, nil
}

// splitSecrets splits a comma-separated list of secrets, dropping blanks.
func splitSecrets(list string) []string {
	var secrets []string
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s != "" {
			secrets = append(secrets, s)
		}
	}
	return secrets
}

var parseCommand = &command{
	name:  "parse",
	usage: "[-v] [-pipecat] [FILE... | -]",
	short: "parse deliveries and print what they hold",
	long:  parseExample,
	setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		verbose := fs.Bool("v", false, "also print the typed payload as JSON")
		pipecatHook := fs.Bool("pipecat", false, "parse Pipecat Cloud deliveries")
		return func(_ context.Context, e *env, names []string) error {
			if *pipecatHook {
				return parsePipecatFiles(e, names, *verbose)
			}
			return parseFiles(e, names, *verbose)
		}
	},
}

const parseExample = `Example:

	dailyhook parse captured.json
	curl -s ... | dailyhook parse -
	dailyhook parse -v captured.json    # the typed payload too
	dailyhook parse -pipecat pipecat-delivery.json

It prints a line per delivery: the type, the Go type, the event ID, the
room, and whether the version is newer than this build knows. It exits 1
after printing the error of any delivery that does not parse.`

// parseFiles parses each named delivery ("-" for standard input) and
// prints what it holds.
func parseFiles(e *env, names []string, verbose bool) error {
	return eachDelivery(e, names, func(name string, body []byte) error {
		ev, err := events.Parse(body)
		if err != nil {
			return err
		}
		env := ev.Meta()
		line := fmt.Sprintf("%s: %s %T id=%s", name, term.Safe(string(env.Type)), ev, term.Safe(env.ID))
		if room := events.RoomName(ev); room != "" {
			line += " room=" + term.Safe(room)
		}
		if env.Newer() {
			line += fmt.Sprintf(" (version %s is newer than the known %s: the additions are in the raw delivery)", env.Version, env.Type.SchemaVersion())
		}
		fmt.Fprintln(e.stdout, line)
		if verbose {
			printField(e, ev, "Payload")
		}
		return nil
	})
}

// eachDelivery reads each named delivery ("-" for standard input; none
// means standard input) and hands it to parse, which prints what it holds
// or returns why it does not parse; it returns an error when any failed.
func eachDelivery(e *env, names []string, parse func(name string, body []byte) error) error {
	if len(names) == 0 {
		names = []string{"-"}
	}
	failed := 0
	for _, name := range names {
		body, err := readInput(e, name)
		if err != nil {
			fmt.Fprintf(e.stderr, "%s: %v\n", name, err)
			failed++
			continue
		}
		if err := parse(name, body); err != nil {
			fmt.Fprintf(e.stdout, "%s: %s\n", name, term.Safe(err.Error()))
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d deliveries did not parse", failed, len(names))
	}
	return nil
}

// printField prints the field name of the event ev points to as indented
// JSON, escaped for the terminal.
func printField(e *env, ev any, name string) {
	if f := reflect.ValueOf(ev).Elem().FieldByName(name); f.IsValid() {
		if out, err := json.MarshalIndent(f.Interface(), "  ", "  "); err == nil {
			fmt.Fprintf(e.stdout, "  %s\n", term.JSON(out))
		}
	}
}
