package webhooks_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/eventstest"
	"github.com/dailywebhooks/events/webhooks"
)

// ExampleClient_Create creates the domain's webhook with a secret of your
// own, so that the receiver knows it before Daily's verification request
// arrives. It runs against eventstest's fake Daily.
func ExampleClient_Create() {
	daily := eventstest.NewDaily(eventstest.DailyConfig{})
	defer daily.Close()
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer receiver.Close()

	secret, err := events.NewSecret() // keep it where the receiver reads it
	if err != nil {
		log.Fatal(err)
	}
	c := webhooks.NewClient(daily.APIKey) // in production: os.Getenv("DAILY_API_KEY")
	c.BaseURL = daily.URL                 // in production: the default, Daily's API
	w, err := c.Create(context.Background(), webhooks.Params{
		URL:        receiver.URL,
		HMAC:       secret,
		RetryType:  webhooks.RetryCircuitBreaker,
		EventTypes: []events.Type{events.TypeMeetingEnded, events.TypeRecordingReadyToDownload},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(w.State, w.RetryType, w.EventTypes, w.HMAC == secret)
	// Output:
	// ACTIVE circuit-breaker [meeting.ended recording.ready-to-download] true
}

// ExampleClient_KeepActive re-activates the domain's webhook whenever
// Daily's circuit breaker switches it off. (It does not run: it polls
// Daily until stopped.)
func ExampleClient_KeepActive() {
	c := webhooks.NewClient(os.Getenv("DAILY_API_KEY"))
	err := c.KeepActive(context.Background(), "", time.Minute, func(ch webhooks.Check) {
		if ch.Err != nil {
			log.Printf("checking the webhook: %v", ch.Err)
			return
		}
		log.Printf("re-activated webhook %s", ch.Webhook.UUID)
	})
	log.Fatal(err)
}
