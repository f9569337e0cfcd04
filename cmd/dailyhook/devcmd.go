package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/eventstest"
	"github.com/dailywebhooks/events/internal/term"
)

// defaultDevAddr is where dailyhook dev serves by default, and so where
// dev session finds it.
const defaultDevAddr = "127.0.0.1:8090"

var devCommand = &command{
	name:  "dev",
	usage: "[-addr HOST:PORT]",
	short: "run a fake Daily for local development: its /v1/webhooks API, deliveries under Daily's retry rules, whole meetings",
	long: `Example:

	dailyhook dev &                     # prints the API key to export
	export DAILY_API_KEY=...
	export DAILY_WEBHOOK_SECRET=$(openssl rand -base64 32)
	dailyhook listen -forward-to http://127.0.0.1:3000/daily &
	dailyhook webhooks create -base-url http://127.0.0.1:8090/v1 -url http://127.0.0.1:8080/
	dailyhook dev session -participants 5 -knock 2 -recording

dev serves the /v1/webhooks endpoints as Daily does, with bearer auth
(the key from DAILY_API_KEY, or one it prints), the signed verification
request on create and update, one webhook per domain, and deliveries
under the circuit-breaker or exponential retry type: FAILED after three
failures, active again once updated. Any language's HTTP client works
against it. It logs each API call and each delivery attempt.

POST /v1/_dev/meetings, the fake's own endpoint, plays a whole meeting
to the webhook: dev session calls it.

With -pipecat-url, it also plays Pipecat Cloud: dev pipecat sends signed
samples of its event types there, as the dashboard's "send test event"
does, through POST /v1/_dev/pipecat.`,
	setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		addr := fs.String("addr", defaultDevAddr, "address to serve the fake Daily on")
		pipecatURL := fs.String("pipecat-url", "", "the endpoint of a Pipecat Cloud webhook, to which dev pipecat sends events, signed with PIPECAT_WEBHOOK_SECRET (or one it prints)")
		return func(ctx context.Context, e *env, args []string) error {
			if len(args) > 0 {
				return fmt.Errorf("%w: unknown verb or argument %q: dev takes -addr, or the verb session", errUsage, args[0])
			}
			return runDev(ctx, e, *addr, *pipecatURL)
		}
	},
	verbs: []*command{devSessionCommand, devCallCommand, devPipecatCommand},
}

// runDev serves a fake Daily on addr until ctx is done; with pipecatURL,
// one that sends Pipecat Cloud's events there too.
func runDev(ctx context.Context, e *env, addr, pipecatURL string) error {
	var pipecatSecret string
	if pipecatURL != "" {
		if err := checkForwardURL(pipecatURL); err != nil {
			return fmt.Errorf("%w: -pipecat-url: %w", errUsage, err)
		}
		pipecatSecret = first(splitSecrets(e.getenv("PIPECAT_WEBHOOK_SECRET")))
		if pipecatSecret == "" {
			pipecatSecret = eventstest.NewPipecatSecret()
			fmt.Fprintf(e.stdout, "export PIPECAT_WEBHOOK_SECRET=%s\n", pipecatSecret)
		}
	}
	key := e.getenv("DAILY_API_KEY")
	if key == "" {
		secret, err := events.NewSecret()
		if err != nil {
			return err
		}
		key = "dev-" + strings.NewReplacer("+", "", "/", "", "=", "").Replace(secret)[:24]
		fmt.Fprintf(e.stdout, "export DAILY_API_KEY=%s\n", key)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	d := eventstest.NewDaily(eventstest.DailyConfig{APIKey: key, Listener: ln, Logger: slog.New(slog.NewTextHandler(e.stderr, nil)),
		PipecatURL: pipecatURL, PipecatSecret: pipecatSecret})
	defer d.Close()
	fmt.Fprintf(e.stderr, "dailyhook: fake Daily on %s; try: dailyhook webhooks list -base-url %s\n", d.URL, d.URL)
	<-ctx.Done()
	fmt.Fprintln(e.stderr, "dailyhook: stopped")
	return nil
}

var devSessionCommand = &command{
	name:  "session",
	usage: "[-base-url URL] [-participants N] [-knock K] [-recording] [-transcript] [-speed X] [-meetings M] [-jitter D]",
	short: "play whole meetings to the webhook of a running dailyhook dev",
	long: `Example:

	dailyhook dev session -participants 5 -knock 2 -recording -transcript

It asks the dev server at -base-url to play one meeting: the room starts,
people knock, are admitted, join and leave with their permissions, the
recording and the transcript start and become ready, the meeting ends.
The deliveries agree with each other (one room, one meeting, matching
sessions and durations, increasing timestamps), each signed with the
webhook's hmac and sent under its retry type. It prints each delivery
and returns once every one had its last attempt: exit 1 if any failed.

-meetings M plays M meetings at once, each in a room of its own, and
-jitter D sends each delivery up to D after its time, at random, as
Daily's concurrent senders do: events close in time then reach your app
out of order, as they do in production. Against a listen with -order
room, each room's events reach the app in event_ts order again:

	dailyhook dev session -meetings 10 -participants 4 -speed 50 -jitter 300ms`,
	setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		baseURL := baseURLFlag(fs, "http://"+defaultDevAddr+"/v1", "the dev server's API, as dailyhook dev prints it")
		var spec eventstest.MeetingSpec
		fs.IntVar(&spec.Participants, "participants", 2, "everyone who joins, the owner and the admitted knockers included")
		fs.IntVar(&spec.Knockers, "knock", 0, "knockers at the lobby: all but the last are admitted")
		fs.BoolVar(&spec.Recording, "recording", false, "record the meeting")
		fs.BoolVar(&spec.Transcript, "transcript", false, "transcribe the meeting")
		fs.Float64Var(&spec.Speed, "speed", 10, "run the meeting's clock this many times faster; every timestamp in the bodies follows it")
		meetings := fs.Int("meetings", 1, "meetings played at once, each in a room of its own")
		jitter := fs.Duration("jitter", 0, "send each delivery up to this long after its time, at random, so that events close in time may arrive out of order")
		return func(ctx context.Context, e *env, args []string) error {
			if len(args) > 0 {
				return fmt.Errorf("%w: unexpected arguments %q", errUsage, args)
			}
			if spec.Participants < 1 || spec.Knockers < 0 || spec.Knockers > spec.Participants || spec.Speed <= 0 {
				return fmt.Errorf("%w: -participants must be at least 1 and at least -knock, -knock not negative, -speed positive", errUsage)
			}
			if *meetings < 1 || *meetings > maxDevMeetings || *jitter < 0 {
				return fmt.Errorf("%w: -meetings must be 1 to %d, -jitter not negative", errUsage, maxDevMeetings)
			}
			spec.JitterMillis = int(jitter.Milliseconds())
			key := e.getenv("DAILY_API_KEY")
			if key == "" {
				return fmt.Errorf("%w: set DAILY_API_KEY to the key dailyhook dev printed", errUsage)
			}
			return playSessions(ctx, e, baseURL(e), key, spec, *meetings)
		}
	},
}

// devPost POSTs in as JSON to the dev server's endpoint path (under
// baseURL, which ends in /v1) and decodes the answer into out.
func devPost(ctx context.Context, baseURL, key, path string, in, out any) error {
	body, _ := json.Marshal(in)
	path = strings.TrimPrefix(path, "/v1")
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, baseURL+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: -base-url: %w", errUsage, err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w", path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("POST %s: reading the answer: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %s: %s: %s", path, resp.Status, strings.TrimSpace(string(data)))
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("POST %s: decoding the answer: %w", path, err)
	}
	return nil
}

// maxDevMeetings bounds dev session -meetings.
const maxDevMeetings = 100

// playSessions asks the dev server at baseURL to play n meetings of spec at
// once, and prints what each sent, one meeting after the other.
func playSessions(ctx context.Context, e *env, baseURL, key string, spec eventstest.MeetingSpec, n int) error {
	start := time.Now()
	results, errs := make([]eventstest.MeetingResult, n), make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = devPost(ctx, baseURL, key, eventstest.MeetingsPath, spec, &results[i]) })
	}
	wg.Wait()
	failed := 0
	for i, res := range results {
		if errs[i] != nil {
			return errs[i]
		}
		for _, p := range res.Deliveries {
			outcome := "delivered"
			if p.Err != "" {
				outcome = "failed: " + p.Err
			}
			fmt.Fprintf(e.stdout, "%-30s %s  %s\n", term.Safe(string(p.Type)), term.Safe(p.ID), term.Safe(outcome))
		}
		fmt.Fprintf(e.stdout, "meeting %s in room %s: %d deliveries, %d failed, in %v\n", res.MeetingID, res.Room, len(res.Deliveries), res.Failed(), time.Since(start).Round(time.Millisecond))
		failed += res.Failed()
	}
	if failed > 0 {
		return errors.New("some deliveries failed their last attempt")
	}
	return nil
}

var devPipecatCommand = &command{
	name:  "pipecat",
	usage: "[-base-url URL] [-svix] [-test] [-all | TYPE...]",
	short: "send Pipecat Cloud events from a running dailyhook dev -pipecat-url to its endpoint",
	long: `Example:

	dailyhook dev -pipecat-url http://127.0.0.1:8080/pipecat &   # prints the secret to export
	export PIPECAT_WEBHOOK_SECRET=whsec_...
	dailyhook listen -forward-to http://127.0.0.1:3000/hooks &
	dailyhook dev pipecat build.succeeded session.started

Each event is its type's sample with a new message id, signed by the
Standard Webhooks scheme with the dev server's Pipecat secret: under the
webhook-* header names, or svix-* with -svix, as the one delivery on
record carried; -test marks it as a test event (webhook-test: true). It
prints each delivery's status, and exits 1 when any was not answered 2xx.`,
	setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		baseURL := baseURLFlag(fs, "http://"+defaultDevAddr+"/v1", "the dev server's API, as dailyhook dev prints it")
		svix := fs.Bool("svix", false, "send the signature headers under the svix- names")
		test := fs.Bool("test", false, "mark the deliveries as test events")
		all := fs.Bool("all", false, "send every event type")
		return func(ctx context.Context, e *env, args []string) error {
			types, err := pipecatTypes(*all, args)
			if err != nil {
				return err
			}
			key := e.getenv("DAILY_API_KEY")
			if key == "" {
				return fmt.Errorf("%w: set DAILY_API_KEY to the key dailyhook dev printed", errUsage)
			}
			failed := 0
			for _, t := range types {
				var a eventstest.PipecatAttempt
				in := map[string]any{"event_type": t, "svix": *svix, "test": *test}
				if err := devPost(ctx, baseURL(e), key, eventstest.PipecatPath, in, &a); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "%-26s %s  %d %s\n", t, term.Safe(a.ID), a.Status, term.Safe(cmpOr(a.Err, "delivered")))
				if a.Err != "" {
					failed++
				}
			}
			if failed > 0 {
				return fmt.Errorf("%d of %d deliveries failed", failed, len(types))
			}
			return nil
		}
	},
}

var devCallCommand = &command{
	name:  "call",
	usage: "[-base-url URL] [-from NUMBER] [-to NUMBER] [-hold DUR]",
	short: "place a pinless dial-in call through a running dailyhook dev",
	long: `Example:

	dailyhook dev call -from +14158483432 -to +12555599999

The dev server posts the call, signed, to the room_creation_api of the
configuration of -to (or the only one), and holds it for -hold: a
pinlessCallUpdate to the dev server naming a SIP URI connects it, and
dialin.connected and dialin.stopped go through the webhook. It prints what
became of the call, and exits 1 when it was not connected.
Configurations are made on the dev server with the dialin package, or any
HTTP client: POST /v1/domain-dialin-config.`,
	setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		baseURL := baseURLFlag(fs, "http://"+defaultDevAddr+"/v1", "the dev server's API, as dailyhook dev prints it")
		from := fs.String("from", "+14158483432", "the caller's number")
		to := fs.String("to", "", "the number dialled; empty means the only configuration's")
		hold := fs.Duration("hold", 2*time.Minute, "how long the caller holds")
		return func(ctx context.Context, e *env, args []string) error {
			if len(args) > 0 || *hold <= 0 || *hold > 10*time.Minute {
				return fmt.Errorf("%w: call takes flags only, and -hold between 0 and 10m", errUsage)
			}
			key := e.getenv("DAILY_API_KEY")
			if key == "" {
				return fmt.Errorf("%w: set DAILY_API_KEY to the key dailyhook dev printed", errUsage)
			}
			var res eventstest.CallResult
			in := map[string]any{"from": *from, "to": *to, "hold_seconds": hold.Seconds()}
			if err := devPost(ctx, baseURL(e), key, eventstest.CallsPath, in, &res); err != nil {
				return err
			}
			outcome := "not connected within the hold"
			if res.Connected {
				outcome = "connected to " + term.Safe(res.SIPURI)
			}
			fmt.Fprintf(e.stdout, "call %s: room_creation_api answered %d; %s\n", term.Safe(res.CallID), res.Status, outcome)
			for _, p := range res.Events {
				fmt.Fprintf(e.stdout, "%-30s %s  %s\n", term.Safe(string(p.Type)), term.Safe(p.ID), term.Safe(cmpOr(p.Err, "delivered")))
			}
			if !res.Connected {
				return errSaid
			}
			return nil
		}
	},
}
