package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/inbox"
)

const listenExample = `	export DAILY_WEBHOOK_SECRET=...   # the webhook's hmac, base64
	dailyhook listen -addr 127.0.0.1:8080 -db dailyhook.db -forward-to http://localhost:3000/daily

It stores every authentic delivery in dailyhook.db before answering 200,
then POSTs it to your app, signed anew with the same secret, retrying with
backoff until your app answers 2xx. It prints "handled <type> <id>" for
each event your app took. Several listen processes can share one
PostgreSQL database (-postgres URL): each event is handled by one of them.`

// listenConfig is what listen runs with.
type listenConfig struct {
	addr, db, postgres, forwardTo string
	workers, maxAttempts          int
	forwardTimeout                time.Duration
	secret                        string
	retry                         inbox.ExponentialRetry
}

// runListen runs "dailyhook listen".
func runListen(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "listen", "[-addr HOST:PORT] [-db PATH | -postgres URL] [-forward-to URL]", listenExample)
	var c listenConfig
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.StringVar(&c.db, "db", "dailyhook.db", "SQLite file to store deliveries in, created if absent")
	fs.StringVar(&c.postgres, "postgres", "", "PostgreSQL URL to store deliveries in, instead of -db")
	fs.StringVar(&c.forwardTo, "forward-to", "", "URL of your app, to POST each stored delivery to")
	fs.IntVar(&c.workers, "workers", inbox.DefaultWorkers, "deliveries handled at once")
	fs.IntVar(&c.maxAttempts, "max-attempts", inbox.DefaultMaxAttempts, "attempts per delivery before it is dead-lettered")
	fs.DurationVar(&c.forwardTimeout, "forward-timeout", 10*time.Second, "how long your app may take to answer")
	fs.DurationVar(&c.retry.Base, "retry-base", time.Second, "wait after a failed attempt; it doubles after each further one")
	fs.DurationVar(&c.retry.Max, "retry-max", 5*time.Minute, "longest wait between attempts")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	c.secret = e.getenv("DAILY_WEBHOOK_SECRET")
	if c.secret == "" {
		return fmt.Errorf("%w: set DAILY_WEBHOOK_SECRET to the webhook's hmac secret", errUsage)
	}
	if c.workers < 1 {
		return fmt.Errorf("%w: -workers must be at least 1", errUsage)
	}
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return err
	}
	return listen(ctx, e, ln, c)
}

// listen serves the durable receiver on ln until ctx is done, then shuts
// down gracefully: the endpoint first, then the workers.
func listen(ctx context.Context, e *env, ln net.Listener, c listenConfig) error {
	defer ln.Close()
	v, err := events.NewVerifier(events.VerifierConfig{Secrets: []string{c.secret}})
	if err != nil {
		return fmt.Errorf("%w: DAILY_WEBHOOK_SECRET: %w", errUsage, err)
	}
	logger := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	handle := func(_ context.Context, ev events.Event) error {
		fmt.Fprintf(e.stdout, "handled %s %s\n", ev.Meta().Type, ev.Meta().ID)
		return nil
	}
	if c.forwardTo != "" {
		f := &forwarder{url: c.forwardTo, secret: c.secret, client: &http.Client{Timeout: c.forwardTimeout}}
		handle = func(ctx context.Context, ev events.Event) error {
			if err := f.forward(ctx, ev.Raw()); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "handled %s %s\n", ev.Meta().Type, ev.Meta().ID)
			return nil
		}
	}
	cfg := inbox.Config{
		Verifier:    v,
		Handle:      handle,
		Workers:     c.workers,
		MaxAttempts: c.maxAttempts,
		RetryPolicy: c.retry,
		// An attempt is one forward: a little longer than its timeout.
		JobTimeout: c.forwardTimeout + 5*time.Second,
		Logger:     logger,
	}
	var in interface {
		http.Handler
		Start(context.Context) error
		Stop(context.Context) error
	}
	store := "sqlite " + c.db
	if c.postgres != "" {
		store = "postgres"
		in, err = inbox.OpenPostgres(ctx, c.postgres, cfg)
	} else {
		in, err = inbox.OpenSQLite(ctx, c.db, cfg)
	}
	if err != nil {
		return err
	}
	if err := in.Start(context.Background()); err != nil {
		in.Stop(context.Background())
		return err
	}
	srv := &http.Server{
		Handler:           in,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
	fmt.Fprintf(e.stderr, "dailyhook: listening on http://%s, storing in %s\n", ln.Addr(), store)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err = <-errc:
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = errors.Join(ignoreClosed(err), srv.Shutdown(shutdown), in.Stop(shutdown))
	fmt.Fprintln(e.stderr, "dailyhook: stopped")
	return err
}

func ignoreClosed(err error) error {
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// A forwarder POSTs stored deliveries to the user's app, signed anew.
type forwarder struct {
	url, secret string
	client      *http.Client
}

// forward POSTs body to the app with Daily's headers and a fresh
// timestamp. Anything but a 2xx answer is an error, which the inbox
// retries.
func (f *forwarder) forward(ctx context.Context, body []byte) error {
	ts := fmt.Sprint(time.Now().Unix())
	sig, err := events.Sign(f.secret, ts, body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(events.HeaderTimestamp, ts)
	req.Header.Set(events.HeaderSignature, sig)
	resp, err := f.client.Do(req)
	if err != nil {
		return fmt.Errorf("forwarding: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("forwarding: %s answered %s", f.url, resp.Status)
	}
	return nil
}
