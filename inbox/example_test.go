package inbox_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/eventstest"
	"github.com/dailywebhooks/events/inbox"
)

// ExampleOpenSQLite receives a delivery into an inbox in one SQLite file
// and hands it to a worker after the 200.
func ExampleOpenSQLite() {
	const secret = "ZGFpbHkgd2ViaG9vayB0ZXN0IGtleSwgMzIgYnl0ZXM=" // the webhook's hmac
	v, err := events.NewVerifier(events.VerifierConfig{Secrets: []string{secret}})
	if err != nil {
		log.Fatal(err)
	}
	dir, _ := os.MkdirTemp("", "inbox-example-")
	defer os.RemoveAll(dir)

	handled := make(chan string)
	ctx := context.Background()
	in, err := inbox.OpenSQLite(ctx, filepath.Join(dir, "webhooks.db"), inbox.Config{
		Verifier: v,
		Handle: func(ctx context.Context, ev events.Event) error {
			if e, ok := ev.(*events.MeetingEnded); ok {
				handled <- fmt.Sprintf("meeting ended in %s (attempt %d)", e.Payload.Room, inbox.Attempt(ctx))
			}
			return nil
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := in.Start(ctx); err != nil {
		log.Fatal(err)
	}
	defer in.Stop(ctx)

	// In production: http.Server{Handler: in, ReadHeaderTimeout: …}.
	body := []byte(`{"version":"1.0.0","type":"meeting.ended","id":"evt-1","payload":{"room":"standup"}}`)
	req, _ := eventstest.Signer{Secret: secret}.NewRequest("/daily", body)
	rec := httptest.NewRecorder()
	in.ServeHTTP(rec, req)
	fmt.Println(rec.Code) // the delivery is committed
	fmt.Println(<-handled)
	// Output:
	// 200
	// meeting ended in standup (attempt 1)
}

// ExampleOpenPostgres runs one replica of a receiver that shares a
// PostgreSQL queue with others: each delivery is stored once, whichever
// replica receives it, and handled by one of them. (It does not run: it
// needs a database.)
func ExampleOpenPostgres() {
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
	in, err := inbox.OpenPostgres(ctx, os.Getenv("DATABASE_URL"), inbox.Config{
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

// ExampleInbox_Replay recovers the deliveries that failed every attempt,
// or did not parse, once the cause is fixed.
func ExampleInbox_Replay() {
	var in *inbox.Inbox[*sqlTx] // from OpenSQLite
	ctx := context.Background()
	dead, err := in.DeadLetters(ctx, 100)
	if err != nil {
		log.Fatal(err)
	}
	for _, d := range dead {
		log.Printf("%s %s failed %d times: %s", d.Delivery.Type, d.Delivery.ID, d.Attempts, d.LastError())
		if _, err := in.Replay(ctx, d.Delivery.ID); err != nil {
			log.Print(err)
		}
	}
}
