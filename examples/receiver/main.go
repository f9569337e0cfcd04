// Command receiver serves a Daily webhook endpoint and logs each delivery.
//
// Usage:
//
//	DAILY_WEBHOOK_SECRET=<secret> go run ./examples/receiver -addr 127.0.0.1:8080
//
// The secret is the webhook's hmac value in the base64 form Daily shows. Set
// DAILY_WEBHOOK_BASIC_AUTH too if the webhook has basicAuth. The receiver
// answers POST requests on every path, logs one line per delivery to
// standard output (the type, the Go type and the id, or why the delivery was
// refused or not handled) and shuts down cleanly on SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/dailywebhooks/events"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	maxBody := flag.Int64("max-body", events.DefaultMaxBodyBytes, "largest request body accepted, in bytes")
	flag.Parse()

	cfg := events.VerifierConfig{
		Secrets:      []string{os.Getenv("DAILY_WEBHOOK_SECRET")},
		BasicAuth:    os.Getenv("DAILY_WEBHOOK_BASIC_AUTH"),
		MaxBodyBytes: *maxBody,
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	if err := run(ctx, ln, cfg, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// run serves the webhook endpoint on ln until ctx is done, then shuts down,
// letting requests in flight finish.
func run(ctx context.Context, ln net.Listener, cfg events.VerifierConfig, out io.Writer) error {
	v, err := events.NewVerifier(cfg)
	if err != nil {
		ln.Close()
		return fmt.Errorf("DAILY_WEBHOOK_SECRET: %w", err)
	}
	logger := log.New(out, "", log.LstdFlags)
	h := &events.Handler{
		Verifier: v,
		Handle: func(_ context.Context, ev events.Event) error {
			env := ev.Meta()
			logger.Printf("%q %T id=%q room=%q", env.Type, ev, env.ID, events.RoomName(ev)) // %q escapes control characters
			return nil
		},
		OnError: func(r *http.Request, err error) {
			logger.Printf("not handled: %s %s from %s: %v", r.Method, r.URL.Path, r.RemoteAddr, err)
		},
	}
	// Timeouts keep a slow or stalled client from holding a connection:
	// Daily sends small bodies and wants an answer within seconds.
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
	logger.Printf("listening on http://%s", ln.Addr())

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	logger.Print("shut down")
	return nil
}
