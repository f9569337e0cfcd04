package webhooks_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
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

// ExampleClient_Reactivate brings back a webhook that Daily's circuit
// breaker set to FAILED after three failed deliveries, against eventstest's
// fake Daily.
func ExampleClient_Reactivate() {
	var down atomic.Bool
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
		}
	}))
	defer receiver.Close()
	daily := eventstest.NewDaily(eventstest.DailyConfig{})
	defer daily.Close()
	c := webhooks.NewClient(daily.APIKey)
	c.BaseURL = daily.URL
	ctx := context.Background()
	w, err := c.Create(ctx, webhooks.Params{URL: receiver.URL, HMAC: "ZGFpbHkgd2ViaG9vayB0ZXN0IGtleSwgMzIgYnl0ZXM="})
	if err != nil {
		log.Fatal(err)
	}
	down.Store(true) // the receiver breaks
	for range 3 {
		daily.SendType(ctx, events.TypeParticipantLeft)
	}
	w, _ = c.Get(ctx, w.UUID)
	fmt.Println(w.State, w.FailedCount)

	down.Store(false) // fixed
	if w, err = c.Reactivate(ctx, w.UUID); err != nil {
		log.Fatal(err)
	}
	fmt.Println(w.State, daily.SendType(ctx, events.TypeParticipantLeft))
	// Output:
	// FAILED 3
	// ACTIVE <nil>
}

// ExampleAPIError tells an error answer of Daily's API by its status and
// code; its text never shows the API key.
func ExampleAPIError() {
	daily := eventstest.NewDaily(eventstest.DailyConfig{})
	defer daily.Close()
	c := webhooks.NewClient("a-wrong-key")
	c.BaseURL = daily.URL
	_, err := c.List(context.Background())
	var apiErr *webhooks.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Code)
		fmt.Println(err)
	}
	// Output:
	// 401 authentication-error
	// webhooks: GET /webhooks: 401 Unauthorized: authentication-error: bad API key
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
