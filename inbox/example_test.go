package inbox_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/eventstest"
	"github.com/dailywebhooks/events/inbox"
	"github.com/dailywebhooks/events/inbox/sqlite"
)

// Example receives a delivery into an inbox in one SQLite file, in a
// temporary folder, and hands it to a worker after the 200.
func Example() {
	const secret = "ZGFpbHkgd2ViaG9vayB0ZXN0IGtleSwgMzIgYnl0ZXM=" // the webhook's hmac
	v, err := events.NewVerifier(events.VerifierConfig{Secrets: []string{secret}})
	if err != nil {
		log.Fatal(err)
	}
	dir, _ := os.MkdirTemp("", "inbox-example-")
	defer os.RemoveAll(dir)

	handled := make(chan string)
	ctx := context.Background()
	in, err := sqlite.Open(ctx, filepath.Join(dir, "webhooks.db"), inbox.Config{
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

// ExampleInbox_ReplayDead recovers the deliveries of one type that failed
// every attempt, or did not parse, once the cause is fixed; as
// "dailyhook inbox replay -dead -type recording.ready-to-download -since 24h"
// does. (It does not run: it needs an inbox with dead deliveries.)
func ExampleInbox_ReplayDead() {
	var in *inbox.Inbox // from sqlite.Open or postgres.Open
	ctx := context.Background()
	f := inbox.Filter{
		States: []inbox.State{inbox.StateDead},
		Type:   events.TypeRecordingReadyToDownload,
		Since:  time.Now().Add(-24 * time.Hour),
	}
	dead, err := in.List(ctx, f)
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range dead {
		log.Printf("%s %s failed %d times: %s", e.Delivery.Type, e.Delivery.ID, e.Attempts, e.LastError())
	}
	n, err := in.ReplayDead(ctx, f)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("%d deliveries pending again", n)
}
