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
	"github.com/dailywebhooks/events/webhooks"
)

const webhooksExample = `	export DAILY_API_KEY=...            # your Daily API key
	export DAILY_WEBHOOK_SECRET=$(openssl rand -base64 32)   # optional: your own hmac
	dailyhook webhooks create -url https://example.com/daily -events participant.joined,meeting.ended -retry exponential
	dailyhook webhooks list
	dailyhook webhooks get UUID
	dailyhook webhooks update -events meeting.ended UUID
	dailyhook webhooks reactivate UUID
	dailyhook webhooks watch -interval 1m      # re-activate whenever Daily's circuit breaker trips
	dailyhook webhooks delete UUID

create uses DAILY_WEBHOOK_SECRET (its first secret, if several) as the
webhook's hmac when it is set, and otherwise lets Daily generate one;
either way it prints the hmac. -json prints Daily's webhook object instead
of a summary.`

// runWebhooks runs "dailyhook webhooks <verb>".
func runWebhooks(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
		fmt.Fprintf(e.stderr, "Usage: dailyhook webhooks list|get|create|update|delete|reactivate|watch [flags] [UUID]\n\nExample:\n\n%s\n", webhooksExample)
		if len(args) == 0 {
			return fmt.Errorf("%w: name a verb", errUsage)
		}
		return flag.ErrHelp
	}
	verb, args := args[0], args[1:]
	fs := flags(e, "webhooks "+verb, "[flags] [UUID]", webhooksExample)
	baseURL := fs.String("base-url", webhooks.DefaultBaseURL, "Daily's REST API")
	asJSON := fs.Bool("json", false, "print Daily's webhook objects as JSON")
	var (
		url, eventList, retry string
		interval              time.Duration
	)
	switch verb {
	case "create", "update":
		fs.StringVar(&url, "url", "", "where Daily POSTs deliveries")
		fs.StringVar(&eventList, "events", "", "comma-separated event types; empty means all")
		fs.StringVar(&retry, "retry", "", "retry type: circuit-breaker or exponential")
	case "watch":
		fs.DurationVar(&interval, "interval", time.Minute, "how often to check the webhook")
	case "list", "get", "delete", "reactivate":
	default:
		return fmt.Errorf("%w: unknown verb %q: list, get, create, update, delete, reactivate or watch", errUsage, verb)
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if verb == "watch" && interval <= 0 {
		return fmt.Errorf("%w: -interval must be positive, not %v", errUsage, interval)
	}
	key := e.getenv("DAILY_API_KEY")
	if key == "" {
		return fmt.Errorf("%w: set DAILY_API_KEY to your Daily API key", errUsage)
	}
	c := webhooks.NewClient(key)
	c.BaseURL = strings.TrimRight(*baseURL, "/")
	uuid := ""
	switch verb {
	case "get", "update", "delete", "reactivate":
		if fs.NArg() != 1 {
			return fmt.Errorf("%w: %s takes the webhook's UUID", errUsage, verb)
		}
		uuid = fs.Arg(0)
	case "watch":
		if fs.NArg() > 1 {
			return fmt.Errorf("%w: watch takes at most one UUID", errUsage)
		}
		uuid = fs.Arg(0)
	default:
		if fs.NArg() != 0 {
			return fmt.Errorf("%w: %s takes no arguments", errUsage, verb)
		}
	}
	p := webhooks.Params{URL: url, RetryType: webhooks.RetryType(retry)}
	if retry != "" && p.RetryType != webhooks.RetryCircuitBreaker && p.RetryType != webhooks.RetryExponential {
		return fmt.Errorf("%w: -retry must be circuit-breaker or exponential", errUsage)
	}
	for _, t := range strings.Split(eventList, ",") {
		if t = strings.TrimSpace(t); t != "" {
			if !events.Type(t).Known() {
				return fmt.Errorf("%w: unknown event type %q", errUsage, t)
			}
			p.EventTypes = append(p.EventTypes, events.Type(t))
		}
	}
	show := func(w *webhooks.Webhook, withHMAC bool) error { return printWebhook(e.stdout, w, *asJSON, withHMAC) }
	switch verb {
	case "list":
		ws, err := c.List(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(e.stdout, ws)
		}
		if len(ws) == 0 {
			fmt.Fprintln(e.stdout, "no webhook")
		}
		for i := range ws {
			fmt.Fprintf(e.stdout, "%s  %-8s %-15s failed=%d  %s  %s\n", ws[i].UUID, ws[i].State, ws[i].RetryType, ws[i].FailedCount, ws[i].URL, eventsOf(&ws[i]))
		}
		return nil
	case "get":
		w, err := c.Get(ctx, uuid)
		if err != nil {
			return err
		}
		return show(w, false)
	case "create":
		if p.URL == "" {
			return fmt.Errorf("%w: create needs -url", errUsage)
		}
		if secrets := splitSecrets(e.getenv("DAILY_WEBHOOK_SECRET")); len(secrets) > 0 {
			p.HMAC = secrets[0]
		}
		w, err := c.Create(ctx, p)
		if err != nil {
			return err
		}
		return show(w, true)
	case "update":
		w, err := c.Update(ctx, uuid, p)
		if err != nil {
			return err
		}
		return show(w, false)
	case "delete":
		if err := c.Delete(ctx, uuid); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "deleted %s\n", uuid)
		return nil
	case "reactivate":
		w, err := c.Reactivate(ctx, uuid)
		if err != nil {
			return err
		}
		return show(w, false)
	}
	// watch
	logger := slog.New(slog.NewTextHandler(e.stderr, nil))
	fmt.Fprintf(e.stderr, "dailyhook: watching the webhook every %v; Ctrl-C stops\n", interval)
	err := c.KeepActive(ctx, uuid, interval, func(ch webhooks.Check) {
		if ch.Err != nil {
			logger.Error("checking the webhook", "err", ch.Err)
			return
		}
		fmt.Fprintf(e.stdout, "%s reactivated %s\n", ch.Time.UTC().Format(time.RFC3339), ch.Webhook.UUID)
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
	if asJSON {
		return writeJSON(out, w)
	}
	fmt.Fprintf(out, "uuid         %s\nurl          %s\nstate        %s\nretryType    %s\neventTypes   %s\nfailedCount  %d\n", w.UUID, w.URL, w.State, w.RetryType, eventsOf(w), w.FailedCount)
	if !w.LastMomentPushed.IsZero() {
		fmt.Fprintf(out, "lastPushed   %s\n", w.LastMomentPushed.UTC().Format(time.RFC3339))
	}
	if withHMAC {
		fmt.Fprintf(out, "hmac         %s\n", w.HMAC)
	}
	return nil
}

func writeJSON(out io.Writer, v any) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
