package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/inbox"
	"github.com/dailywebhooks/events/inbox/postgres"
	"github.com/dailywebhooks/events/inbox/sqlite"
	"github.com/dailywebhooks/events/internal/redact"
	"github.com/dailywebhooks/events/internal/term"
	"github.com/dailywebhooks/events/pipecat"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
)

const listenExample = `Example:

	export DAILY_WEBHOOK_SECRET=...   # the webhook's hmac, base64; several, comma-separated, while rotating
	dailyhook listen -addr 127.0.0.1:8080 -db dailyhook.db -forward-to http://localhost:3000/daily

It stores every authentic delivery in dailyhook.db before answering 200,
then POSTs it to your app, signed anew with the first secret, retrying with
backoff until your app answers 2xx. It prints "handled <type> <id>" for
each event your app took. A redirect from your app is a failed attempt:
it is never followed.

DAILYHOOK_FORWARD_TO may name the app instead of -forward-to, which keeps
credentials in its URL out of ps; it is read only when neither -forward-to
nor -print is given, and -print with it set is a usage error, so that a
restart meant to store only never forwards by surprise.

Without -forward-to, listen only stores: it prints "stored <type> <id>",
and every event stays pending until a listen with -forward-to handles it.
-print instead consumes each event by printing it: those events are then
done, and no later listen forwards them.

Several listen processes can share one PostgreSQL database (-postgres URL,
or DAILYHOOK_POSTGRES_URL, which keeps the password out of ps): each event
is handled by one of them. On one SQLite file, one listen at a time may
forward or print; a second one exits with an error.

Pipecat Cloud: with PIPECAT_WEBHOOK_SECRET set (whsec_..., several
comma-separated), listen also serves Pipecat Cloud's webhooks at /pipecat
of the same address, stores each delivery keyed by its webhook-id (a
retry, however re-signed, is stored once), and forwards it to the same app
with its webhook-id, a fresh webhook-timestamp and a webhook-signature
made with the first Pipecat secret. DAILY_WEBHOOK_SECRET is then needed
only to serve Daily's hook too. A test event (webhook-test: true) is
verified and answered 200, never stored.

Order: several workers forward at once (-workers), and retries come later,
so events may reach your app in another order than Daily sent them. Daily
does not promise order either: order by the event's event_ts, and handle
each event idempotently, by its id.

-order room puts each room's events in order for your app: those of one
room (the payload's room, or room_name) are forwarded one at a time, in
the order of their event_ts, ties broken by receipt, while other rooms go
on in parallel up to -workers. A failing event holds its room until it is
handled or dead-lettered. Each event waits -order-window after it is
stored (1s by default; 0 waits for none) for a room-mate stamped earlier
that is still on its way: that much latency buys the order of deliveries
that Daily sent concurrently. An event that arrives later than that, or a
replayed one, is forwarded anyway, after its room-mates stamped later,
with X-Dailyhook-Late: true. Events without a room are forwarded as they
come. Events stored under -order stay ordered after a restart without it.`

// listenConfig is what listen runs with.
type listenConfig struct {
	addr, db, postgres, forwardTo string
	// forwardFrom says where forwardTo came from: -forward-to, or
	// DAILYHOOK_FORWARD_TO.
	forwardFrom string
	// print consumes events by printing them; with neither it nor
	// forwardTo, listen only stores.
	print                bool
	workers, maxAttempts int
	forwardTimeout       time.Duration
	completedRetention   time.Duration
	secrets              []string
	// pipecatSecrets verify Pipecat Cloud's deliveries at /pipecat, when
	// PIPECAT_WEBHOOK_SECRET is set; the first signs their forwards.
	pipecatSecrets []string
	retry          inbox.ExponentialRetry
	// admin is the admin listener's address, or ""; adminLn listens on
	// it once the flags are checked.
	admin   string
	adminLn net.Listener
	// order is -order: "" or "room"; orderWindow is -order-window.
	order       string
	orderWindow time.Duration
}

var listenCommand = &command{
	name:  "listen",
	usage: "[-addr HOST:PORT] [-db PATH | -postgres URL] [-forward-to URL | -print]",
	short: "receive deliveries durably, and forward them to your app",
	long:  listenExample,
	setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		var c listenConfig
		fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "address to listen on")
		fs.StringVar(&c.db, "db", "dailyhook.db", "SQLite file to store deliveries in, created if absent")
		fs.StringVar(&c.postgres, "postgres", "", "PostgreSQL URL to store deliveries in, instead of -db; DAILYHOOK_POSTGRES_URL is read when neither is given")
		fs.StringVar(&c.forwardTo, "forward-to", "", "absolute http or https URL of your app, to POST each stored delivery to; DAILYHOOK_FORWARD_TO is read when neither it nor -print is given, and keeps credentials in the URL out of ps")
		fs.BoolVar(&c.print, "print", false, "consume each stored delivery by printing it, without forwarding it anywhere: it is then done")
		fs.IntVar(&c.workers, "workers", inbox.DefaultWorkers, "deliveries forwarded at once")
		fs.IntVar(&c.maxAttempts, "max-attempts", inbox.DefaultMaxAttempts, "attempts per delivery before it is dead-lettered; applies to the deliveries pending at start too, counted from their last replay: a delivery gets at most max(N, its attempts so far + 1)")
		fs.DurationVar(&c.forwardTimeout, "forward-timeout", 10*time.Second, "how long your app may take to answer")
		fs.DurationVar(&c.retry.Base, "retry-base", time.Second, "wait after a failed attempt; it doubles after each further one")
		fs.DurationVar(&c.retry.Max, "retry-max", 5*time.Minute, "longest wait between attempts")
		fs.DurationVar(&c.completedRetention, "completed-retention", inbox.DefaultCompletedRetention, "how long a handled delivery is kept; it is also the window in which a re-sent delivery is recognised as a duplicate, and answered 200 without being handled again")
		fs.StringVar(&c.order, "order", "", `"room": forward the events of each room one at a time, in event_ts order; "" (the default): as they come`)
		fs.DurationVar(&c.orderWindow, "order-window", inbox.DefaultOrderWindow, "with -order room, how long an event waits after it is stored for a room-mate stamped earlier; 0 waits for none")
		fs.StringVar(&c.admin, "admin", "", "HOST:PORT of the admin listener (/healthz, /readyz, /metrics, /riverui/); off by default; off loopback it needs DAILYHOOK_ADMIN_PASSWORD, which, when set, guards every path but /healthz on loopback too; other sites' pages and other Host names are refused")
		return func(ctx context.Context, e *env, args []string) error {
			if err := c.complete(e, fs, args); err != nil {
				return err
			}
			ln, err := net.Listen("tcp", c.addr)
			if err != nil {
				return err
			}
			if c.admin != "" {
				if c.adminLn, err = net.Listen("tcp", c.admin); err != nil {
					ln.Close()
					return err
				}
				defer c.adminLn.Close()
			}
			return listen(ctx, e, ln, c)
		}
	},
}

// complete checks the flags of c, parsed by fs, and the arguments, and
// fills in what comes from the environment. Its errors are usage errors.
func (c *listenConfig) complete(e *env, fs *flag.FlagSet, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, args)
	}
	var err error
	if c.db, c.postgres, err = chooseStore(e, fs, c.db, c.postgres); err != nil {
		return err
	}
	switch env := e.getenv("DAILYHOOK_FORWARD_TO"); {
	case c.forwardTo != "":
		c.forwardFrom = "-forward-to"
	case env != "" && c.print:
		return fmt.Errorf("%w: -print consumes events, and DAILYHOOK_FORWARD_TO names an app to forward them to; unset one", errUsage)
	case env != "":
		c.forwardTo, c.forwardFrom = env, "DAILYHOOK_FORWARD_TO"
	}
	if c.forwardTo != "" {
		if c.print {
			return fmt.Errorf("%w: -print and -forward-to both consume events; give one", errUsage)
		}
		if err := checkForwardURL(c.forwardTo); err != nil {
			return fmt.Errorf("%w: %s: %w", errUsage, c.forwardFrom, err)
		}
	}
	if c.workers < 1 {
		return fmt.Errorf("%w: -workers must be at least 1", errUsage)
	}
	if c.maxAttempts < 1 {
		return fmt.Errorf("%w: -max-attempts must be at least 1", errUsage)
	}
	if c.forwardTimeout <= 0 {
		return fmt.Errorf("%w: -forward-timeout must be positive", errUsage)
	}
	if err := c.checkOrder(fs); err != nil {
		return err
	}
	if c.completedRetention < time.Second {
		return fmt.Errorf("%w: -completed-retention must be a second or more: it is how long a re-sent delivery is recognised", errUsage)
	}
	if c.admin != "" {
		host, _, err := net.SplitHostPort(c.admin)
		if err != nil {
			return fmt.Errorf("%w: -admin: %w", errUsage, err)
		}
		if ip := net.ParseIP(host); (ip == nil || !ip.IsLoopback()) && host != "localhost" && e.getenv("DAILYHOOK_ADMIN_PASSWORD") == "" {
			return fmt.Errorf("%w: %w", errUsage, errAdminPassword)
		}
	}
	return c.hookSecrets(e)
}

// checkOrder checks -order and -order-window, which fs parsed.
func (c *listenConfig) checkOrder(fs *flag.FlagSet) error {
	windowSet := false
	fs.Visit(func(f *flag.Flag) { windowSet = windowSet || f.Name == "order-window" })
	switch {
	case c.order != "" && c.order != "room":
		return fmt.Errorf("%w: -order %q: the only order is room", errUsage, c.order)
	case c.orderWindow < 0:
		return fmt.Errorf("%w: -order-window must not be negative", errUsage)
	case windowSet && c.order == "":
		return fmt.Errorf("%w: -order-window goes with -order room", errUsage)
	}
	return nil
}

// hookSecrets reads the secrets of the hooks served: Daily's, from
// DAILY_WEBHOOK_SECRET, and Pipecat Cloud's, from PIPECAT_WEBHOOK_SECRET.
// Either may be absent, not both.
func (c *listenConfig) hookSecrets(e *env) error {
	var err error
	if e.getenv("PIPECAT_WEBHOOK_SECRET") != "" {
		if c.pipecatSecrets, err = pipecatSecrets(e); err != nil {
			return err
		}
		if e.getenv("DAILY_WEBHOOK_SECRET") == "" {
			return nil // Pipecat Cloud's hook alone
		}
	}
	if c.secrets, err = secretsFrom(e); err != nil && len(c.pipecatSecrets) == 0 {
		return fmt.Errorf("%w (or PIPECAT_WEBHOOK_SECRET, for Pipecat Cloud's webhooks)", err)
	}
	return err
}

// chooseStore returns the store that the flags of fs name, db or pg:
// -db, or -postgres, or else DAILYHOOK_POSTGRES_URL, or else -db's
// default. Both flags together are a usage error.
func chooseStore(e *env, fs *flag.FlagSet, db, pg string) (string, string, error) {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case set["db"] && set["postgres"]:
		return "", "", fmt.Errorf("%w: -db and -postgres name two stores; give one", errUsage)
	case set["postgres"] && pg == "":
		return "", "", fmt.Errorf("%w: -postgres needs a URL", errUsage)
	case set["db"]:
		return db, "", nil
	case !set["postgres"]:
		pg = e.getenv("DAILYHOOK_POSTGRES_URL")
	}
	return db, pg, nil
}

// warnLogger logs to e's standard error, from WARN up: River logs its
// routine at INFO.
func warnLogger(e *env) *slog.Logger {
	return slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// checkForwardURL returns why raw is not an absolute http or https URL
// with a host, or nil.
func checkForwardURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q is not a URL", redact.URL(raw))
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.Hostname() == "" {
		return fmt.Errorf("%q is not an absolute http or https URL with a host, such as http://localhost:3000/daily", redact.URL(raw))
	}
	return nil
}

// listen serves the durable receiver on ln until ctx is done, then shuts
// down gracefully: the endpoints first, then the workers.
func listen(ctx context.Context, e *env, ln net.Listener, c listenConfig) error {
	defer ln.Close()
	tel, err := newTelemetry(ctx, e)
	if err != nil {
		return err
	}
	defer tel.shutdown(context.Background())
	cfg, mode := c.inboxConfig(e, tel)
	if err := c.verifiers(&cfg); err != nil {
		return err
	}
	in, store, err := openInbox(ctx, c, cfg)
	if err != nil {
		return err
	}
	var adm *admin
	if c.adminLn != nil {
		if adm, err = startAdmin(ctx, c.adminLn, c.admin, in, tel, e.getenv("DAILYHOOK_ADMIN_PASSWORD"), cfg.Logger); err != nil {
			in.Stop(context.Background())
			return err
		}
		fmt.Fprintf(e.stderr, "dailyhook: admin on http://%s: /healthz /readyz /metrics /riverui/\n", c.adminLn.Addr())
	}
	handler, paths := c.routes(in)
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
	errc, err := startServing(in, srv, ln, c.postgres != "")
	if err != nil {
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if adm != nil {
			err = errors.Join(err, adm.stop(shutdown))
		}
		return errors.Join(err, in.Stop(shutdown))
	}
	fmt.Fprintf(e.stderr, "dailyhook: listening on http://%s (%s), storing in %s; %s\n", ln.Addr(), paths, store, mode)
	select {
	case err = <-errc:
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = errors.Join(ignoreClosed(err), srv.Shutdown(shutdown))
	if adm != nil {
		err = errors.Join(err, adm.stop(shutdown))
	}
	err = errors.Join(err, in.Stop(shutdown))
	fmt.Fprintln(e.stderr, "dailyhook: stopped")
	return err
}

// startServing starts in's workers and serves srv on ln, and returns the
// channel that gets Serve's error. With during, it serves while River's
// client starts the workers, so that a replica restarted under load
// stores what reaches it (waiting in the kernel's queue since ln was
// bound) without waiting for Start too: safe on PostgreSQL, whose River
// driver has a listener, so that River's insert path never touches the
// producers that Start sets up. On SQLite it does (River v0.51.2), so the
// workers start first. If they fail to start, srv is shut down.
func startServing(in *inbox.Inbox, srv *http.Server, ln net.Listener, during bool) (<-chan error, error) {
	errc := make(chan error, 1)
	serve := func() { go func() { errc <- srv.Serve(ln) }() }
	if during {
		serve()
	}
	if err := in.Start(context.Background()); err != nil {
		if during {
			shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err = errors.Join(err, srv.Shutdown(shutdown))
		}
		return nil, err
	}
	if !during {
		serve()
	}
	return errc, nil
}

// verifiers sets the Verifiers of the hooks c serves in cfg.
func (c *listenConfig) verifiers(cfg *inbox.Config) error {
	if len(c.secrets) > 0 {
		v, err := events.NewVerifier(events.VerifierConfig{Secrets: c.secrets})
		if err != nil {
			return fmt.Errorf("%w: DAILY_WEBHOOK_SECRET: %w", errUsage, err)
		}
		cfg.Verifier = v
	} else {
		cfg.Handle = nil // Daily's hook is not served
	}
	if len(c.pipecatSecrets) > 0 {
		v, err := pipecat.NewVerifier(pipecat.VerifierConfig{Secrets: c.pipecatSecrets})
		if err != nil {
			return fmt.Errorf("%w: PIPECAT_WEBHOOK_SECRET: %w", errUsage, err)
		}
		cfg.Pipecat = v
	} else {
		cfg.HandlePipecat = nil
	}
	return nil
}

// routes returns the handler of the hooks c serves: Pipecat Cloud's at
// /pipecat, Daily's at every other path; and says so.
func (c *listenConfig) routes(in *inbox.Inbox) (http.Handler, string) {
	if len(c.pipecatSecrets) == 0 {
		return in, "Daily's webhooks at any path"
	}
	mux := http.NewServeMux()
	mux.Handle("/pipecat", in.Pipecat())
	mux.Handle("/", in)
	if len(c.secrets) == 0 {
		return mux, "Pipecat Cloud's webhooks at /pipecat"
	}
	return mux, "Pipecat Cloud's webhooks at /pipecat, Daily's at any other path"
}

// inboxConfig returns the inbox's config for c's mode, but its Verifier,
// and says what the mode does with each event.
func (c *listenConfig) inboxConfig(e *env, tel *telemetry) (inbox.Config, string) {
	cfg := inbox.Config{
		MeterProvider:      tel.meters,
		TracerProvider:     tel.tracers,
		CompletedRetention: c.completedRetention,
		Workers:            c.workers,
		MaxAttempts:        c.maxAttempts,
		RetryPolicy:        c.retry,
		JobTimeout:         c.forwardTimeout + 5*time.Second, // an attempt is one forward: a little longer than its timeout
		Logger:             warnLogger(e),
	}
	c.orderConfig(&cfg)
	switch {
	case c.forwardTo != "":
		f := newForwarder(c.forwardTo, first(c.secrets), first(c.pipecatSecrets), c.forwardTimeout, c.workers, tel)
		cfg.Handle = func(ctx context.Context, ev events.Event) error {
			if err := f.forward(ctx, ev); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "handled %s %s\n", term.Safe(string(ev.Meta().Type)), term.Safe(ev.Meta().ID))
			return nil
		}
		cfg.HandlePipecat = func(ctx context.Context, ev pipecat.Event) error {
			id := inbox.PipecatMessageID(ctx)
			if err := f.forwardPipecat(ctx, id, ev); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "handled %s %s\n", term.Safe(ev.EventType()), term.Safe(id))
			return nil
		}
		return cfg, "forwarding to " + redact.URL(c.forwardTo) + " (from " + cmpOr(c.forwardFrom, "-forward-to") + ")"
	case c.print:
		cfg.Handle = func(_ context.Context, ev events.Event) error {
			fmt.Fprintf(e.stdout, "handled %s %s\n", term.Safe(string(ev.Meta().Type)), term.Safe(ev.Meta().ID))
			return nil
		}
		cfg.HandlePipecat = func(ctx context.Context, ev pipecat.Event) error {
			fmt.Fprintf(e.stdout, "handled %s %s\n", term.Safe(ev.EventType()), term.Safe(inbox.PipecatMessageID(ctx)))
			return nil
		}
		return cfg, "printing and consuming each event (-print): no later listen forwards them"
	default:
		// Only store: no worker may complete an event that reached no app.
		cfg.Workers = -1
		cfg.Handle = func(context.Context, events.Event) error {
			return errors.New("dailyhook: a store-only listen handles nothing")
		}
		cfg.HandlePipecat = func(context.Context, pipecat.Event) error {
			return errors.New("dailyhook: a store-only listen handles nothing")
		}
		cfg.OnStored = func(d inbox.Delivery, duplicate bool) {
			word := "stored"
			if duplicate {
				word = "duplicate"
			}
			fmt.Fprintf(e.stdout, "%s %s %s\n", word, term.Safe(d.Type), term.Safe(d.ID))
		}
		return cfg, "storing only: every event stays pending until a listen with -forward-to handles it"
	}
}

// orderConfig sets the order of cfg from -order and -order-window.
func (c *listenConfig) orderConfig(cfg *inbox.Config) {
	if c.order != "room" {
		return
	}
	cfg.OrderKey, cfg.OrderWindow = inbox.ByRoom, c.orderWindow
	if c.orderWindow == 0 {
		cfg.OrderWindow = -1 // the inbox's zero is its default
	}
}

// openInbox opens the store c names, and says which it is.
func openInbox(ctx context.Context, c listenConfig, cfg inbox.Config) (*inbox.Inbox, string, error) {
	if c.postgres != "" {
		in, err := postgres.Open(ctx, c.postgres, cfg)
		return in, "postgres", err
	}
	in, err := sqlite.Open(ctx, c.db, cfg)
	return in, "sqlite " + c.db, err
}

func ignoreClosed(err error) error {
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Headers of a forwarded request, besides Daily's signature headers.
const (
	headerEventID = "X-Dailyhook-Event-Id"
	headerAttempt = "X-Dailyhook-Attempt"
	// headerLate is "true" on an ordered event forwarded after a room-mate
	// stamped later (inbox.Late).
	headerLate = "X-Dailyhook-Late"
)

// MetricForward is the histogram of forwards to the app, in seconds.
const MetricForward = "dailyhook_forward_duration_seconds"

// A forwarder POSTs stored deliveries to the user's app, signed anew:
// Daily's with secret, Pipecat Cloud's with pipecatSecret.
type forwarder struct {
	url, shown, secret string // shown is url, redacted
	pipecatSecret      string
	client             *http.Client
	duration           metric.Float64Histogram
}

// first returns the first of secrets, or "".
func first(secrets []string) string {
	if len(secrets) == 0 {
		return ""
	}
	return secrets[0]
}

// newForwarder returns a forwarder to target, whose attempts time out after
// timeout, keeping up to workers connections to the app open: one for each
// worker, rather than net/http's default of 2, which made every worker past
// the second dial the app anew.
func newForwarder(target, secret, pipecatSecret string, timeout time.Duration, workers int, tel *telemetry) *forwarder {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = workers
	transport.MaxIdleConns = max(transport.MaxIdleConns, workers)
	d, _ := tel.meters.Meter("github.com/dailywebhooks/events/cmd/dailyhook").Float64Histogram(MetricForward, metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(inbox.SecondsBuckets...), metric.WithDescription("One forward to the app, whatever its outcome."))
	return &forwarder{url: target, shown: redact.URL(target), secret: secret, pipecatSecret: pipecatSecret, duration: d, client: &http.Client{
		Timeout:   timeout,
		Transport: transport,
		// A redirect would turn the POST into a bodiless GET, or send
		// the signed body elsewhere: it is a failed attempt.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// forward POSTs ev's delivery to the app with Daily's headers and a fresh
// timestamp. Anything but a 2xx answer is an error, which the inbox
// retries. The errors name the app's URL redacted, since they are logged
// and stored with the job.
func (f *forwarder) forward(ctx context.Context, ev events.Event) error {
	body := ev.Raw()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	sig, err := events.Sign(f.secret, ts, body)
	if err != nil {
		return err
	}
	return f.post(ctx, body, ev.Meta().ID, map[string]string{events.HeaderTimestamp: ts, events.HeaderSignature: sig})
}

// forwardPipecat POSTs a Pipecat Cloud delivery of message id to the app
// with its webhook-id, a fresh webhook-timestamp and a webhook-signature
// made with the first Pipecat secret, as forward does Daily's.
func (f *forwarder) forwardPipecat(ctx context.Context, id string, ev pipecat.Event) error {
	body := ev.Meta().Raw()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	sig, err := pipecat.Sign(f.pipecatSecret, id, ts, body)
	if err != nil {
		return err
	}
	return f.post(ctx, body, id, map[string]string{pipecat.HeaderID: id, pipecat.HeaderTimestamp: ts, pipecat.HeaderSignature: sig})
}

// post POSTs body, of event or message id, to the app with headers.
func (f *forwarder) post(ctx context.Context, body []byte, id string, headers map[string]string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("forwarding to %s: not a URL a request can go to", f.shown)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	req.Header.Set(headerEventID, id)
	req.Header.Set(headerAttempt, strconv.Itoa(inbox.Attempt(ctx)))
	if inbox.Late(ctx) {
		req.Header.Set(headerLate, "true")
	}
	// The attempt's span: the app's own traces join it.
	otel.GetTextMapPropagator().Inject(ctx, propagation.HeaderCarrier(req.Header))
	start := time.Now()
	defer func() { f.duration.Record(ctx, time.Since(start).Seconds()) }()
	resp, err := f.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its text has the whole URL
		}
		return fmt.Errorf("forwarding to %s: %w", f.shown, err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode <= 399:
		return fmt.Errorf("forwarding to %s: answered %s, redirecting to %s: redirects are not followed", f.shown, resp.Status, redact.URL(resp.Header.Get("Location")))
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return fmt.Errorf("forwarding to %s: answered %s", f.shown, resp.Status)
	}
	return nil
}
