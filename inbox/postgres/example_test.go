package postgres_test

import (
	"context"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/inbox"
	"github.com/dailywebhooks/events/inbox/postgres"
)

// ExampleOpen runs one replica of a receiver that shares a
// PostgreSQL queue with others: each delivery is stored once, whichever
// replica receives it, and handled by one of them. (It does not run: it
// needs a database.)
func ExampleOpen() {
	v, err := events.NewVerifier(events.VerifierConfig{Secrets: []string{os.Getenv("DAILY_WEBHOOK_SECRET")}})
	if err != nil {
		log.Fatal(err)
	}
	var mux events.Mux
	events.On(&mux, func(ctx context.Context, e *events.RecordingReadyToDownload) error {
		// Download the recording: slow work is fine, Daily has its 200.
		return nil
	})
	ctx := context.Background()
	in, err := postgres.Open(ctx, os.Getenv("DATABASE_URL"), inbox.Config{
		Verifier:    v,
		Handle:      mux.Handle,
		MaxAttempts: 12,
		RetryPolicy: inbox.ExponentialRetry{Base: time.Second, Max: 10 * time.Minute},
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := in.Start(ctx); err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{
		Addr:              ":8080",
		Handler:           in,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
	log.Fatal(srv.ListenAndServe())
}
