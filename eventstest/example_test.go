package eventstest_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/eventstest"
	"github.com/dailywebhooks/events/webhooks"
)

// secret is the webhook's hmac in these examples, in Daily's base64 form.
const secret = "ZGFpbHkgd2ViaG9vayB0ZXN0IGtleSwgMzIgYnl0ZXM="

// ExampleSigner sends a receiver a delivery signed as Daily signs it, the
// way a test of one's own handler does.
func ExampleSigner() {
	v, err := events.NewVerifier(events.VerifierConfig{Secrets: []string{secret}})
	if err != nil {
		log.Fatal(err)
	}
	h, err := events.NewHandler(v, func(ctx context.Context, ev events.Event) error {
		fmt.Println("handled", ev.Meta().Type)
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	h.OnError = func(_ *http.Request, err error) { fmt.Println("refused:", err) }
	body := []byte(`{"version":"1.0.0","type":"meeting.ended","id":"evt-1","payload":{"room":"standup"}}`)
	req, err := eventstest.Signer{Secret: secret}.NewRequest("/daily", body)
	if err != nil {
		log.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code)

	// The same delivery signed with another secret is refused.
	req, _ = eventstest.Signer{Secret: "b3RoZXIgc2VjcmV0"}.NewRequest("/daily", body)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code)
	// Output:
	// handled meeting.ended
	// 200
	// refused: events: invalid signature
	// 401
}

// ExampleSample parses the sample delivery of a type, as Daily documents
// it, and makes a new delivery of it with an ID of its own.
func ExampleSample() {
	sample, ok := eventstest.Sample(events.TypeRecordingReadyToDownload)
	if !ok {
		log.Fatal("no sample")
	}
	ev, err := events.Parse(sample)
	if err != nil {
		log.Fatal(err)
	}
	r := ev.(*events.RecordingReadyToDownload)
	fmt.Println(r.Meta().Type, r.Payload.Status, r.Payload.RecordingID != "")

	fresh, err := eventstest.NewDelivery(events.TypeRecordingReadyToDownload, time.Now())
	if err != nil {
		log.Fatal(err)
	}
	again, _ := events.Parse(fresh)
	fmt.Println(again.Meta().ID != ev.Meta().ID)
	// Output:
	// recording.ready-to-download finished true
	// true
}

// ExampleNewDaily runs the fake Daily: a webhook is created through its
// REST API, and deliveries go to the receiver under Daily's rules. Three
// failures in a row switch the webhook to FAILED, as Daily's circuit
// breaker does.
func ExampleNewDaily() {
	var mu sync.Mutex
	fail := false
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if fail {
			http.Error(w, "down", http.StatusInternalServerError)
		}
	}))
	defer receiver.Close()
	daily := eventstest.NewDaily(eventstest.DailyConfig{})
	defer daily.Close()

	c := webhooks.NewClient(daily.APIKey)
	c.BaseURL = daily.URL
	ctx := context.Background()
	if _, err := c.Create(ctx, webhooks.Params{URL: receiver.URL, HMAC: secret}); err != nil {
		log.Fatal(err)
	}
	fmt.Println(daily.SendType(ctx, events.TypeMeetingStarted))
	mu.Lock()
	fail = true
	mu.Unlock()
	for range 3 {
		daily.SendType(ctx, events.TypeParticipantJoined)
	}
	w, _ := daily.Webhook()
	fmt.Println(w.State, w.FailedCount, len(daily.Attempts()))
	// Output:
	// <nil>
	// FAILED 3 4
}
