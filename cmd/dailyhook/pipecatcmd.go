package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/dailywebhooks/events/eventstest"
	"github.com/dailywebhooks/events/internal/term"
	"github.com/dailywebhooks/events/pipecat"
)

// pipecatSecrets returns the secrets of PIPECAT_WEBHOOK_SECRET: one or
// more "whsec_" secrets, comma-separated, newest first. It returns a usage
// error when there is none, or one is malformed.
func pipecatSecrets(e *env) ([]string, error) {
	secrets := splitSecrets(e.getenv("PIPECAT_WEBHOOK_SECRET"))
	if len(secrets) == 0 {
		return nil, fmt.Errorf("%w: set PIPECAT_WEBHOOK_SECRET to the Pipecat Cloud endpoint's signing secret, whsec_... (several, comma-separated, while moving)", errUsage)
	}
	if _, err := pipecat.NewVerifier(pipecat.VerifierConfig{Secrets: secrets}); err != nil {
		return nil, fmt.Errorf("%w: PIPECAT_WEBHOOK_SECRET: %w", errUsage, err)
	}
	return secrets, nil
}

// pipecatTypes returns the Pipecat Cloud types that args or all name.
func pipecatTypes(all bool, args []string) ([]string, error) {
	switch {
	case all && len(args) > 0:
		return nil, fmt.Errorf("%w: -all takes no types", errUsage)
	case all:
		return pipecat.Types(), nil
	case len(args) == 0:
		return nil, fmt.Errorf("%w: name at least one Pipecat Cloud event type, or -all", errUsage)
	}
	for _, t := range args {
		if _, ok := eventstest.PipecatSample(t); !ok {
			return nil, fmt.Errorf("%w: unknown Pipecat Cloud event type %q%s", errUsage, t, suggestFrom(t, pipecat.Types()))
		}
	}
	return args, nil
}

// sendPipecat signs each type's sample as Pipecat Cloud does, with a new
// message id, sends it to target, and prints one line each; it returns an
// error when any was not answered 2xx.
func sendPipecat(ctx context.Context, e *env, client *http.Client, target, secret string, types []string, s eventstest.PipecatSigner) error {
	failed := 0
	for _, t := range types {
		body, _ := eventstest.PipecatSample(t)
		s.Secret, s.ID = secret, ""
		id, _, _, err := s.Sign(body) // a new message id
		if err != nil {
			return err
		}
		s.ID = id
		req, err := s.NewRequest(target, body)
		if err != nil {
			return fmt.Errorf("%w: -url: %w", errUsage, err)
		}
		start := time.Now()
		resp, err := client.Do(req.WithContext(ctx))
		if err != nil {
			fmt.Fprintf(e.stdout, "%-32s id=%s error %s\n", t, id, term.Safe(err.Error()))
			failed++
			continue
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		fmt.Fprintf(e.stdout, "%-32s id=%s %d %v\n", t, id, resp.StatusCode, time.Since(start).Round(100*time.Microsecond))
		if resp.StatusCode/100 != 2 {
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d deliveries were not answered 2xx", failed, len(types))
	}
	return nil
}

// parsePipecatFiles parses each named Pipecat Cloud delivery ("-" for
// standard input) and prints what it holds.
func parsePipecatFiles(e *env, names []string, verbose bool) error {
	return eachDelivery(e, names, func(name string, body []byte) error {
		ev, err := pipecat.Parse(body)
		if err != nil {
			return err
		}
		m := ev.Meta()
		line := fmt.Sprintf("%s: %s %T org=%s", name, term.Safe(ev.EventType()), ev, term.Safe(m.Org))
		if !m.CreatedAt.IsZero() {
			line += " created_at=" + m.CreatedAt.UTC().Format(time.RFC3339Nano)
		}
		fmt.Fprintln(e.stdout, line)
		if verbose {
			printField(e, ev, "Data")
		}
		return nil
	})
}

// pipecatTypeList lists Pipecat Cloud's event types, three to a line.
func pipecatTypeList() string { return columns(pipecat.Types(), 26) }
