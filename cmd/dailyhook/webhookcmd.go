package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/internal/term"
	"github.com/dailywebhooks/events/webhooks"
)

var webhooksCommand = &command{
	name:  "webhooks",
	short: "create, inspect, change and keep active the webhook with Daily's API",
	long: `Example:

	export DAILY_API_KEY=...            # your Daily API key
	export DAILY_WEBHOOK_SECRET=$(openssl rand -base64 32)   # optional: your own hmac
	dailyhook webhooks create -url https://example.com/daily -events participant.joined,meeting.ended -retry exponential
	dailyhook webhooks list
	dailyhook webhooks get UUID -json
	dailyhook webhooks update UUID -events meeting.ended
	dailyhook webhooks reactivate UUID
	dailyhook webhooks watch -interval 1m      # re-activate whenever Daily's circuit breaker trips
	dailyhook webhooks delete UUID

The API key comes from DAILY_API_KEY, never from a flag. Flags may come
before or after the UUID.`,
	setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		apiFlags(fs)
		return nil
	},
	verbs: []*command{
		webhookVerb("list", "", "list the domain's webhooks", nil, runWebhooksList),
		webhookVerb("get", "UUID", "print one webhook", nil, one("the webhook's UUID", func(ctx context.Context, o *apiOpts, uuid string) error {
			w, err := o.client.Get(ctx, uuid)
			return o.show(w, false, err)
		})),
		webhookVerb("create", "-url URL", "create the domain's webhook; Daily first sends it the verification request", paramFlags, runWebhooksCreate),
		webhookVerb("update", "UUID", "change a webhook; a FAILED one becomes ACTIVE again", paramFlags, one("the webhook's UUID", func(ctx context.Context, o *apiOpts, uuid string) error {
			p, err := o.params()
			if err != nil {
				return err
			}
			w, err := o.client.Update(ctx, uuid, p)
			return o.show(w, false, err)
		})),
		webhookVerb("delete", "UUID", "delete a webhook", nil, one("the webhook's UUID", func(ctx context.Context, o *apiOpts, uuid string) error {
			if err := o.client.Delete(ctx, uuid); err != nil {
				return err
			}
			fmt.Fprintf(o.e.stdout, "deleted %s\n", uuid)
			return nil
		})),
		webhookVerb("reactivate", "UUID", "make a FAILED webhook ACTIVE again", nil, one("the webhook's UUID", func(ctx context.Context, o *apiOpts, uuid string) error {
			w, err := o.client.Reactivate(ctx, uuid)
			return o.show(w, false, err)
		})),
		webhookVerb("watch", "[UUID]", "poll the webhook, and re-activate it whenever Daily's circuit breaker switches it off", func(fs *flag.FlagSet, o *apiOpts) {
			fs.DurationVar(&o.interval, "interval", time.Minute, "how often to check the webhook")
		}, runWebhooksWatch),
	},
}

// apiOpts are the flags of a webhooks verb, and what they make.
type apiOpts struct {
	url, events, retry *string
	baseURL            func(*env) string
	asJSON             *bool
	interval           time.Duration
	e                  *env
	client             *webhooks.Client
}

// apiFlags defines the flags every webhooks verb has.
func apiFlags(fs *flag.FlagSet) *apiOpts {
	return &apiOpts{
		baseURL: baseURLFlag(fs, webhooks.DefaultBaseURL, "Daily's REST API"),
		asJSON:  fs.Bool("json", false, "print Daily's webhook objects as JSON"),
	}
}

// paramFlags defines the flags of create and update.
func paramFlags(fs *flag.FlagSet, o *apiOpts) {
	o.url = fs.String("url", "", "where Daily POSTs deliveries")
	o.events = fs.String("events", "", "comma-separated event types; empty means all")
	o.retry = fs.String("retry", "", "retry type: circuit-breaker or exponential")
}

// webhookVerb returns the webhooks verb name, with the shared flags, the
// flags that more defines, and run.
func webhookVerb(name, usage, short string, more func(*flag.FlagSet, *apiOpts), run func(context.Context, *apiOpts, []string) error) *command {
	return apiVerb(name, usage, short, apiFlags, more, func(o *apiOpts, e *env, key string) {
		o.e, o.client = e, webhooks.NewClient(key)
		o.client.BaseURL = o.baseURL(e)
	}, run)
}

// apiVerb returns a verb that calls Daily's API: flags defines the flags
// its group's verbs share and returns their options, more the verb's own,
// connect makes the client from DAILY_API_KEY, and run runs it.
func apiVerb[O any](name, usage, short string, flags func(*flag.FlagSet) *O, more func(*flag.FlagSet, *O), connect func(o *O, e *env, key string), run func(context.Context, *O, []string) error) *command {
	return &command{
		name:  name,
		usage: strings.TrimSpace("[-base-url URL] [-json] " + usage),
		short: short,
		setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			o := flags(fs)
			if more != nil {
				more(fs, o)
			}
			return func(ctx context.Context, e *env, args []string) error {
				key := e.getenv("DAILY_API_KEY")
				if key == "" {
					return fmt.Errorf("%w: set DAILY_API_KEY to your Daily API key", errUsage)
				}
				connect(o, e, key)
				return run(ctx, o, args)
			}
		},
	}
}

// one adapts run, of a verb that takes exactly one argument, what.
func one[O any](what string, run func(ctx context.Context, o *O, arg string) error) func(context.Context, *O, []string) error {
	return func(ctx context.Context, o *O, args []string) error {
		if len(args) != 1 {
			return fmt.Errorf("%w: it takes %s, and nothing else", errUsage, what)
		}
		return run(ctx, o, args[0])
	}
}

// show prints w, unless err.
func (o *apiOpts) show(w *webhooks.Webhook, withHMAC bool, err error) error {
	if err != nil {
		return err
	}
	return printWebhook(o.e.stdout, w, *o.asJSON, withHMAC)
}

// params returns the create or update call that the flags describe.
func (o *apiOpts) params() (webhooks.Params, error) {
	p := webhooks.Params{URL: *o.url, RetryType: webhooks.RetryType(*o.retry)}
	if *o.retry != "" && p.RetryType != webhooks.RetryCircuitBreaker && p.RetryType != webhooks.RetryExponential {
		return p, fmt.Errorf("%w: -retry must be circuit-breaker or exponential", errUsage)
	}
	for _, t := range strings.Split(*o.events, ",") {
		if t = strings.TrimSpace(t); t != "" {
			if !events.Type(t).Known() {
				return p, fmt.Errorf("%w: unknown event type %q%s", errUsage, t, suggest(t))
			}
			p.EventTypes = append(p.EventTypes, events.Type(t))
		}
	}
	return p, nil
}

func runWebhooksList(ctx context.Context, o *apiOpts, args []string) error {
	if len(args) != 0 {
		return fmt.Errorf("%w: list takes no arguments", errUsage)
	}
	ws, err := o.client.List(ctx)
	if err != nil {
		return err
	}
	if *o.asJSON {
		return writeJSON(o.e.stdout, ws)
	}
	if len(ws) == 0 {
		fmt.Fprintln(o.e.stdout, "no webhook")
	}
	for i := range ws {
		fmt.Fprintf(o.e.stdout, "%s  %-8s %-15s failed=%d  %s  %s\n", term.Safe(ws[i].UUID), term.Safe(string(ws[i].State)), term.Safe(string(ws[i].RetryType)), ws[i].FailedCount, term.Safe(ws[i].URL), term.Safe(eventsOf(&ws[i])))
	}
	return nil
}

func runWebhooksCreate(ctx context.Context, o *apiOpts, args []string) error {
	if len(args) != 0 {
		return fmt.Errorf("%w: create takes no arguments", errUsage)
	}
	p, err := o.params()
	if err != nil {
		return err
	}
	if p.URL == "" {
		return fmt.Errorf("%w: create needs -url", errUsage)
	}
	if secrets := splitSecrets(o.e.getenv("DAILY_WEBHOOK_SECRET")); len(secrets) > 0 {
		p.HMAC = secrets[0]
	}
	w, err := o.client.Create(ctx, p)
	// The hmac Daily generated is printed, once; one that was given never.
	return o.show(w, p.HMAC == "", err)
}

func runWebhooksWatch(ctx context.Context, o *apiOpts, args []string) error {
	if len(args) > 1 {
		return fmt.Errorf("%w: watch takes at most one UUID", errUsage)
	}
	if o.interval <= 0 {
		return fmt.Errorf("%w: -interval must be positive, not %v", errUsage, o.interval)
	}
	uuid := ""
	if len(args) == 1 {
		uuid = args[0]
	}
	logger := slog.New(slog.NewTextHandler(o.e.stderr, nil))
	fmt.Fprintf(o.e.stderr, "dailyhook: watching the webhook every %v; Ctrl-C stops\n", o.interval)
	err := o.client.KeepActive(ctx, uuid, o.interval, func(ch webhooks.Check) {
		if ch.Err != nil {
			logger.Error("checking the webhook", "err", ch.Err)
			return
		}
		fmt.Fprintf(o.e.stdout, "%s reactivated %s\n", ch.Time.UTC().Format(time.RFC3339), term.Safe(ch.Webhook.UUID))
	})
	if ctx.Err() != nil {
		return nil
	}
	return err
}

func eventsOf(w *webhooks.Webhook) string {
	if len(w.EventTypes) == 0 {
		return "all events"
	}
	s := make([]string, len(w.EventTypes))
	for i, t := range w.EventTypes {
		s[i] = string(t)
	}
	return strings.Join(s, ",")
}

// printWebhook prints w as a summary, with its hmac when withHMAC, or as
// Daily's JSON object.
func printWebhook(out io.Writer, w *webhooks.Webhook, asJSON, withHMAC bool) error {
	if asJSON && withHMAC {
		// A Webhook encodes with its secrets redacted: put back the one
		// generated, to be printed once.
		b, err := json.Marshal(w)
		if err != nil {
			return err
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(b, &obj); err != nil {
			return err
		}
		obj["hmac"], _ = json.Marshal(w.HMAC)
		return writeJSON(out, obj)
	}
	if asJSON {
		return writeJSON(out, w)
	}
	fmt.Fprintf(out, "uuid         %s\nurl          %s\nstate        %s\nretryType    %s\neventTypes   %s\nfailedCount  %d\n", term.Safe(w.UUID), term.Safe(w.URL), term.Safe(string(w.State)), term.Safe(string(w.RetryType)), term.Safe(eventsOf(w)), w.FailedCount)
	if !w.LastMomentPushed.IsZero() {
		fmt.Fprintf(out, "lastPushed   %s\n", w.LastMomentPushed.UTC().Format(time.RFC3339))
	}
	if withHMAC {
		fmt.Fprintf(out, "hmac         %s\n", w.HMAC)
	}
	return nil
}

func writeJSON(out io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "%s\n", term.JSON(b))
	return err
}
