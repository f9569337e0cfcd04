package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/eventstest"
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

const triggerExample = `	export DAILY_WEBHOOK_SECRET=...   # the secret your receiver verifies with
	dailyhook trigger -url http://127.0.0.1:8080/daily participant.joined meeting.ended
	dailyhook trigger -url http://127.0.0.1:8080/daily -all
	dailyhook trigger -url http://127.0.0.1:8080/daily -file captured.json

Each delivery is the type's sample with a new event ID, signed as Daily
signs it. It prints the type, the status and the latency of each, and exits
1 when any answer is not 200: Daily counts anything else as a failure.`

// runTrigger runs "dailyhook trigger".
func runTrigger(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "trigger", "-url URL [-all | -file F | TYPE...]", triggerExample)
	target := fs.String("url", "", "the receiver's URL (required)")
	all := fs.Bool("all", false, "send a delivery of every event type")
	file := fs.String("file", "", "send this file's delivery, as it is (- for standard input)")
	timeout := fs.Duration("timeout", 10*time.Second, "how long to wait for each answer")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	secrets, err := secretsFrom(e)
	if err != nil {
		return err
	}
	secret := secrets[0]
	var sends []func() (string, []byte, error)
	switch {
	case *target == "":
		return fmt.Errorf("%w: -url is required", errUsage)
	case *file != "":
		if *all || fs.NArg() > 0 {
			return fmt.Errorf("%w: -file takes no types and no -all", errUsage)
		}
		sends = append(sends, func() (string, []byte, error) {
			b, err := readInput(e, *file)
			return *file, b, err
		})
	default:
		types := fs.Args()
		if *all {
			if len(types) > 0 {
				return fmt.Errorf("%w: -all takes no types", errUsage)
			}
			for _, t := range events.Types() {
				types = append(types, string(t))
			}
		}
		if len(types) == 0 {
			return fmt.Errorf("%w: name at least one event type, or -all or -file", errUsage)
		}
		for _, name := range types {
			t := events.Type(name)
			if !t.Known() {
				return fmt.Errorf("%w: unknown event type %q", errUsage, name)
			}
			sends = append(sends, func() (string, []byte, error) {
				b, err := eventstest.NewDelivery(t, time.Now())
				return name, b, err
			})
		}
	}
	client := &http.Client{Timeout: *timeout}
	failed := 0
	for _, send := range sends {
		name, body, err := send()
		if err != nil {
			return err
		}
		req, err := eventstest.Signer{Secret: secret}.NewRequest(*target, body)
		if err != nil {
			return fmt.Errorf("%w: -url: %w", errUsage, err)
		}
		start := time.Now()
		resp, err := client.Do(req.WithContext(ctx))
		latency := time.Since(start).Round(100 * time.Microsecond)
		if err != nil {
			fmt.Fprintf(e.stdout, "%-30s error %v\n", name, err)
			failed++
			continue
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		fmt.Fprintf(e.stdout, "%-30s %d %v\n", name, resp.StatusCode, latency)
		if resp.StatusCode != http.StatusOK {
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d deliveries were not answered 200", failed, len(sends))
	}
	return nil
}

const verifyExample = `	export DAILY_WEBHOOK_SECRET=...   # the webhook's hmac
	dailyhook verify -timestamp 1708526033 -signature '/YQ1+UYf...=' captured.json

It exits 0 when the delivery is authentic and fresh, and 1 otherwise,
saying why: the secret is not base64 or not the one that signed it, the
timestamp is outside the tolerance, the body was re-serialised (whitespace
or key order changed) or gained a trailing newline, or the signature was
made over a millisecond or second form of the timestamp.`

// runVerify runs "dailyhook verify".
func runVerify(_ context.Context, e *env, args []string) error {
	fs := flags(e, "verify", "-timestamp T -signature S [FILE | -]", verifyExample)
	ts := fs.String("timestamp", "", "the X-Webhook-Timestamp header (required)")
	sig := fs.String("signature", "", "the X-Webhook-Signature header (required)")
	tolerance := fs.Duration("tolerance", events.DefaultTolerance, "how far the timestamp may be from now")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *ts == "" || *sig == "" {
		return fmt.Errorf("%w: -timestamp and -signature are required", errUsage)
	}
	if fs.NArg() > 1 {
		return fmt.Errorf("%w: one delivery at a time", errUsage)
	}
	name := "-"
	if fs.NArg() == 1 {
		name = fs.Arg(0)
	}
	secrets := splitSecrets(e.getenv("DAILY_WEBHOOK_SECRET"))
	if len(secrets) == 0 {
		return fmt.Errorf("%w: set DAILY_WEBHOOK_SECRET to the webhook's hmac secret (several, comma-separated, while rotating)", errUsage)
	}
	body, err := readInput(e, name)
	if err != nil {
		return err
	}
	verdict, ok := diagnose(secrets, *ts, *sig, body, *tolerance, time.Now())
	fmt.Fprintln(e.stdout, verdict)
	if !ok {
		return errors.New("not authentic")
	}
	return nil
}

// diagnose says whether body with the timestamp and signature headers ts
// and sig is authentic under one of secrets, and if not, why, by trying
// each cause in turn.
func diagnose(secrets []string, ts, sig string, body []byte, tolerance time.Duration, now time.Time) (string, bool) {
	v, err := events.NewVerifier(events.VerifierConfig{Secrets: secrets, DisableTimestampCheck: true})
	if err != nil {
		return "not authentic: DAILY_WEBHOOK_SECRET is not a secret in Daily's form (standard base64)", false
	}
	matches := func(ts string, body []byte) bool {
		_, err := v.Verify(body, sig, ts)
		return err == nil
	}
	if matches(ts, body) {
		res, _ := v.Verify(body, sig, ts)
		if res.Timestamp.IsZero() {
			return fmt.Sprintf("authentic, but the timestamp %q is not a number of seconds or milliseconds: a receiver refuses it", ts), false
		}
		if age := now.Sub(res.Timestamp); age > tolerance || age < -tolerance {
			return fmt.Sprintf("authentic, but stale: signed at %s, %s from now, outside the tolerance of %v; a receiver refuses it as a possible replay",
				res.Timestamp.UTC().Format(time.RFC3339), age.Round(time.Second), tolerance), false
		}
		return "authentic: the signature matches the body and the timestamp is within the tolerance", true
	}
	var reasons []string
	for _, form := range reserialised(body) {
		if matches(ts, form.body) {
			reasons = append(reasons, "the signature matches the body "+form.what+": the body was re-serialised, with whitespace or key order changed, before it reached you; verify the raw bytes of the request")
		}
	}
	if n, err := strconv.ParseInt(ts, 10, 64); err == nil {
		for _, alt := range []struct{ ts, what string }{
			{strconv.FormatInt(n*1000, 10), "in milliseconds"},
			{strconv.FormatInt(n/1000, 10), "in seconds"},
		} {
			if alt.ts != ts && alt.ts != "0" && matches(alt.ts, body) {
				reasons = append(reasons, fmt.Sprintf("the signature matches the timestamp %s (%s), not %s: the captured header was converted", alt.ts, alt.what, ts))
			}
		}
	}
	if len(reasons) == 0 {
		return "not authentic: the signature matches neither the body nor any re-serialisation of it nor another form of the timestamp: the body or the timestamp was changed, or another secret signed it", false
	}
	out := "not authentic as captured:"
	for _, r := range reasons {
		out += "\n  - " + r
	}
	return out, false
}

// A form is a re-serialisation of a body, and how it was made.
type form struct {
	what string
	body []byte
}

// reserialised returns the forms a framework may have turned the body
// into: compact, indented, with keys sorted, with or without a trailing
// newline.
func reserialised(body []byte) []form {
	var forms []form
	add := func(what string, b []byte) {
		if !bytes.Equal(b, body) {
			for _, f := range forms {
				if bytes.Equal(f.body, b) {
					return
				}
			}
			forms = append(forms, form{what, b})
		}
	}
	add("without its trailing newline", bytes.TrimRight(body, "\r\n"))
	add("with a trailing newline", append(bytes.TrimRight(body, "\r\n"), '\n'))
	var compact bytes.Buffer
	if json.Compact(&compact, body) == nil {
		add("re-encoded compactly (whitespace removed), as JSON.stringify writes it", compact.Bytes())
	}
	var indented bytes.Buffer
	if json.Indent(&indented, body, "", "  ") == nil {
		add("re-encoded with indentation", indented.Bytes())
	}
	var v any
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if d.Decode(&v) == nil {
		var sorted bytes.Buffer
		enc := json.NewEncoder(&sorted)
		enc.SetEscapeHTML(false)
		if enc.Encode(v) == nil {
			add("re-encoded with its keys sorted", bytes.TrimRight(sorted.Bytes(), "\n"))
		}
	}
	return forms
}

const parseExample = `	dailyhook parse captured.json
	curl -s ... | dailyhook parse -
	dailyhook parse -v captured.json    # the typed payload too

It prints a line per delivery: the type, the Go type, the event ID, the
room, and whether the version is newer than this build knows. It exits 1
after printing the error of any delivery that does not parse.`

// runParse runs "dailyhook parse".
func runParse(_ context.Context, e *env, args []string) error {
	fs := flags(e, "parse", "[-v] [FILE... | -]", parseExample)
	verbose := fs.Bool("v", false, "also print the typed payload as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	names := fs.Args()
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
		ev, err := events.Parse(body)
		if err != nil {
			fmt.Fprintf(e.stdout, "%s: %v\n", name, err)
			failed++
			continue
		}
		env := ev.Meta()
		line := fmt.Sprintf("%s: %s %T id=%s", name, env.Type, ev, env.ID)
		if room := events.RoomName(ev); room != "" {
			line += " room=" + room
		}
		if env.Newer() {
			line += fmt.Sprintf(" (version %s is newer than the known %s: the additions are in the raw delivery)", env.Version, env.Type.SchemaVersion())
		}
		fmt.Fprintln(e.stdout, line)
		if *verbose {
			p := reflect.ValueOf(ev).Elem().FieldByName("Payload")
			if p.IsValid() {
				out, err := json.MarshalIndent(p.Interface(), "  ", "  ")
				if err == nil {
					fmt.Fprintf(e.stdout, "  %s\n", out)
				}
			}
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d deliveries did not parse", failed, len(names))
	}
	return nil
}
