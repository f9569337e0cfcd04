package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/eventstest"
	"github.com/dailywebhooks/events/internal/term"
)

var triggerCommand = &command{
	name:  "trigger",
	usage: "-url URL [-all | -file F | TYPE... | -pinless [-test] | -pipecat [-svix] [-test] [-all | TYPE...]]",
	short: "send signed sample deliveries to a receiver",
	long: `Example:

	export DAILY_WEBHOOK_SECRET=...   # the secret your receiver verifies with
	dailyhook trigger -url http://127.0.0.1:8080/daily participant.joined meeting.ended
	dailyhook trigger -url http://127.0.0.1:8080/daily -all
	dailyhook trigger -url http://127.0.0.1:8080/daily -file captured.json

	export DAILY_PINLESS_SECRET=...   # a pinless dial-in configuration's hmac
	dailyhook trigger -pinless -url http://127.0.0.1:8081/
	dailyhook trigger -pinless -test -url http://127.0.0.1:8081/

Each delivery is the type's sample with a new event ID, signed as Daily
signs it, with the first secret of DAILY_WEBHOOK_SECRET. It prints the
type, the event ID, the status and the latency of each, and exits 1 when
any answer is not 200: Daily counts anything else as a failure.
-pinless sends a call to a pinless dial-in room_creation_api instead, or
with -test Daily's test request, signed with X-Pinless-* headers and the
first secret of DAILY_PINLESS_SECRET.

	export PIPECAT_WEBHOOK_SECRET=whsec_...   # the secret your receiver verifies with
	dailyhook trigger -pipecat -url http://127.0.0.1:8080/pipecat build.succeeded session.started

-pipecat sends Pipecat Cloud deliveries instead, each with a new message
id, signed by the Standard Webhooks scheme with the first secret of
PIPECAT_WEBHOOK_SECRET (webhook-* headers, or svix-* with -svix).

The types:

` + typeList() + `

Pipecat Cloud's types:

` + pipecatTypeList(),
	setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		target := fs.String("url", "", "the receiver's URL (required)")
		all := fs.Bool("all", false, "send a delivery of every event type")
		file := fs.String("file", "", "send this file's delivery, as it is (- for standard input)")
		timeout := fs.Duration("timeout", 10*time.Second, "how long to wait for each answer")
		pinless := fs.Bool("pinless", false, "send a pinless dial-in call, signed with DAILY_PINLESS_SECRET")
		test := fs.Bool("test", false, "with -pinless, send Daily's test request instead of a call; with -pipecat, mark the deliveries as test events (webhook-test: true)")
		pipecatHook := fs.Bool("pipecat", false, "send Pipecat Cloud deliveries of the types named, signed with PIPECAT_WEBHOOK_SECRET")
		svix := fs.Bool("svix", false, "with -pipecat, send the signature headers under the svix- names")
		return func(ctx context.Context, e *env, args []string) error {
			if *target == "" {
				return fmt.Errorf("%w: -url is required", errUsage)
			}
			if *pipecatHook {
				if *pinless || *file != "" {
					return fmt.Errorf("%w: -pipecat takes types or -all, with -url, -svix, -test and -timeout", errUsage)
				}
				secrets, err := pipecatSecrets(e)
				if err != nil {
					return err
				}
				types, err := pipecatTypes(*all, args)
				if err != nil {
					return err
				}
				return sendPipecat(ctx, e, &http.Client{Timeout: *timeout}, *target, secrets[0], types, eventstest.PipecatSigner{Svix: *svix, Test: *test})
			}
			if *svix {
				return fmt.Errorf("%w: -svix goes with -pipecat", errUsage)
			}
			if *pinless || *test {
				if !*pinless || *all || *file != "" || len(args) > 0 {
					return fmt.Errorf("%w: -pinless takes only -url, -test and -timeout", errUsage)
				}
				return sendPinless(ctx, e, &http.Client{Timeout: *timeout}, *target, *test)
			}
			secrets, err := secretsFrom(e)
			if err != nil {
				return err
			}
			bodies, err := triggerBodies(e, *all, *file, args)
			if err != nil {
				return err
			}
			return sendAll(ctx, e, &http.Client{Timeout: *timeout}, *target, secrets[0], bodies)
		}
	},
}

// typeList lists the event types, three to a line.
func typeList() string {
	names := make([]string, len(events.Types()))
	for i, t := range events.Types() {
		names[i] = string(t)
	}
	return columns(names, 34)
}

// columns lays names out three to a line, each width wide, indented by a
// tab.
func columns(names []string, width int) string {
	var b strings.Builder
	for i, n := range names {
		sep := "  "
		if i%3 == 0 {
			sep = "\n\t"
		}
		fmt.Fprintf(&b, "%s%-*s", sep, width, n)
	}
	return strings.TrimLeft(b.String(), "\n")
}

// triggerBodies returns the deliveries that trigger's flags and arguments
// name: the file's, or a new sample of each type.
func triggerBodies(e *env, all bool, file string, types []string) ([][]byte, error) {
	switch {
	case file != "" && (all || len(types) > 0):
		return nil, fmt.Errorf("%w: -file takes no types and no -all", errUsage)
	case file != "":
		b, err := readInput(e, file)
		return [][]byte{b}, err
	case all && len(types) > 0:
		return nil, fmt.Errorf("%w: -all takes no types", errUsage)
	case all:
		for _, t := range events.Types() {
			types = append(types, string(t))
		}
	case len(types) == 0:
		return nil, fmt.Errorf("%w: name at least one event type, or -all or -file", errUsage)
	}
	var bodies [][]byte
	for _, name := range types {
		t := events.Type(name)
		if !t.Known() {
			return nil, fmt.Errorf("%w: unknown event type %q%s; \"dailyhook trigger -h\" lists them", errUsage, name, suggest(name))
		}
		b, err := eventstest.NewDelivery(t, time.Now())
		if err != nil {
			return nil, err
		}
		bodies = append(bodies, b)
	}
	return bodies, nil
}

// suggest returns ", did you mean X?" for the known type nearest to name,
// or "" when none is near.
func suggest(name string) string {
	var names []string
	for _, t := range events.Types() {
		names = append(names, string(t))
	}
	return suggestFrom(name, names)
}

// suggestFrom returns ", did you mean X?" for the one of names nearest to
// name, or "" when none is near.
func suggestFrom(name string, names []string) string {
	best, bestD := "", len(name)/2+1
	for _, t := range names {
		if d := editDistance(name, t); d < bestD {
			best, bestD = t, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(", did you mean %s?", best)
}

// editDistance returns the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// sendAll signs and sends each body to target, printing one line each,
// and returns an error when any was not answered 200.
func sendAll(ctx context.Context, e *env, client *http.Client, target, secret string, bodies [][]byte) error {
	failed := 0
	for _, body := range bodies {
		label, id := "(does not parse)", "-"
		if ev, err := events.Parse(body); err == nil {
			label, id = string(ev.Meta().Type), cmp.Or(ev.Meta().ID, "-")
		}
		req, err := eventstest.Signer{Secret: secret}.NewRequest(target, body)
		if err != nil {
			return fmt.Errorf("%w: -url: %w", errUsage, err)
		}
		start := time.Now()
		resp, err := client.Do(req.WithContext(ctx))
		latency := time.Since(start).Round(100 * time.Microsecond)
		if err != nil {
			fmt.Fprintf(e.stdout, "%-32s id=%s error %s\n", label, id, term.Safe(err.Error()))
			failed++
			continue
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		fmt.Fprintf(e.stdout, "%-32s id=%s %d %v\n", label, id, resp.StatusCode, latency)
		if resp.StatusCode != http.StatusOK {
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d deliveries were not answered 200", failed, len(bodies))
	}
	return nil
}

// sendPinless sends a signed pinless dial-in call to target, or Daily's
// test request, and prints the answer.
func sendPinless(ctx context.Context, e *env, client *http.Client, target string, test bool) error {
	secrets := splitSecrets(e.getenv("DAILY_PINLESS_SECRET"))
	if len(secrets) == 0 {
		return fmt.Errorf("%w: set DAILY_PINLESS_SECRET to the configuration's hmac", errUsage)
	}
	label, id := "pinless call", newCallID()
	body := fmt.Appendf(nil, `{"To":"+12555599999","From":"+14158483432","callId":%q,"callDomain":%q}`, id, newCallID())
	if test {
		label, id, body = "pinless test request", "-", []byte(`{"Test":"test"}`)
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	sig, err := events.Sign(secrets[0], ts, body)
	if err != nil {
		return fmt.Errorf("%w: DAILY_PINLESS_SECRET: %w", errUsage, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: -url: %w", errUsage, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(events.HeaderPinlessTimestamp, ts)
	req.Header.Set(events.HeaderPinlessSignature, sig)
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		fmt.Fprintf(e.stdout, "%-32s id=%s error %s\n", label, id, term.Safe(err.Error()))
		return errors.New("the call got no answer")
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	fmt.Fprintf(e.stdout, "%-32s id=%s %d %v\n", label, id, resp.StatusCode, time.Since(start).Round(100*time.Microsecond))
	if resp.StatusCode != http.StatusOK {
		return errors.New("the call was not answered 200")
	}
	return nil
}

// newCallID returns a random UUID, as Daily's call IDs are.
func newCallID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
