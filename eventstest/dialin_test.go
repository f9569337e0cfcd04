package eventstest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/dialin"
	"github.com/dailywebhooks/events/eventstest"
	"github.com/dailywebhooks/events/webhooks"
)

// TestPinlessCircle configures pinless dial-in on the fake with the dialin
// client, receives its signed test request and a call with a
// PinlessHandler, connects the call with pinlessCallUpdate, and sees the
// dialin.* events through the webhook. A call nobody connects gives up.
func TestPinlessCircle(t *testing.T) {
	ctx := context.Background()
	daily := eventstest.NewDaily(eventstest.DailyConfig{})
	defer daily.Close()
	c, whSrv := newCollector(t)
	wc := webhooks.NewClient(daily.APIKey)
	wc.BaseURL = daily.URL
	if _, err := wc.Create(ctx, webhooks.Params{URL: whSrv.URL, HMAC: secret}); err != nil {
		t.Fatal(err)
	}
	dc := dialin.NewClient(daily.APIKey)
	dc.BaseURL = daily.URL
	pinless, _ := events.NewSecret()
	var tests, calls atomic.Int32
	var connect atomic.Bool
	connect.Store(true)
	h, err := events.NewPinlessHandler([]string{pinless}, func(_ context.Context, call *events.PinlessCall) error {
		calls.Add(1)
		if connect.Load() {
			// Once the room's SIP endpoint is ready, in a real receiver.
			go dc.PinlessCallUpdate(context.Background(), call.CallID, call.CallDomain, "sip:room-1@sip.daily.co")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	h.OnTestRequest = func(*http.Request) { tests.Add(1) }
	h.OnError = func(_ *http.Request, err error) { t.Errorf("the hook refused a request: %v", err) }
	hook := httptest.NewServer(h)
	defer hook.Close()

	cfg, err := dc.CreateConfig(ctx, dialin.Config{PhoneNumber: "+12555599999", RoomCreationAPI: hook.URL, HMAC: pinless})
	if err != nil || cfg.HMAC != pinless || tests.Load() != 1 {
		t.Fatalf("CreateConfig = %+v, %v; %d test requests, want the secret kept and 1", cfg, err, tests.Load())
	}
	res, err := daily.PlaceCall(ctx, eventstest.CallSpec{To: "+12555599999", HoldWindow: 5 * time.Second})
	if err != nil || res.Status != 200 || !res.Connected || res.SIPURI != "sip:room-1@sip.daily.co" || len(res.Events) != 2 || res.Events[0].Err != "" || res.Events[1].Err != "" {
		t.Fatalf("PlaceCall = %+v, %v", res, err)
	}
	c.mu.Lock()
	if len(c.events) != 2 || c.events[0].Meta().Type != events.TypeDialinConnected || c.events[1].Meta().Type != events.TypeDialinStopped {
		t.Errorf("the webhook got %d events, want dialin.connected then dialin.stopped", len(c.events))
	}
	c.mu.Unlock()

	connect.Store(false)
	res, err = daily.PlaceCall(ctx, eventstest.CallSpec{HoldWindow: 100 * time.Millisecond})
	if err != nil || res.Connected || calls.Load() != 2 {
		t.Errorf("a call nobody connects: %+v, %v, %d calls; want it not connected", res, err, calls.Load())
	}
	if _, err := daily.PlaceCall(ctx, eventstest.CallSpec{To: "+10000000000"}); err == nil {
		t.Error("a call to a number without a configuration was placed")
	}
	if err := dc.PinlessCallUpdate(ctx, "not-held", "d", "sip:x"); err == nil {
		t.Error("pinlessCallUpdate of a call not held succeeded")
	}
}

// TestSIPEndpointReady: a room with SIP dial-in has its endpoint ready
// only after SIPReadyAfter (2 s here, so that the updates before it are
// surely before it); a pinlessCallUpdate before then is refused
// with 409 and the call stays on hold, so that the update after connects
// it; one with a callDomain the fake did not issue is refused with 404.
func TestSIPEndpointReady(t *testing.T) {
	ctx := context.Background()
	daily := eventstest.NewDaily(eventstest.DailyConfig{SIPReadyAfter: 2 * time.Second})
	defer daily.Close()
	dc := dialin.NewClient(daily.APIKey)
	dc.BaseURL = daily.URL
	pinless, _ := events.NewSecret()
	statuses := make(chan []int, 1)
	h, _ := events.NewPinlessHandler([]string{pinless}, func(_ context.Context, call *events.PinlessCall) error {
		go func() {
			room, err := dc.CreateDialinRoom(ctx, dialin.RoomParams{Name: "line-1"})
			if err != nil || room.SIPEndpoint == "" {
				t.Errorf("CreateDialinRoom = %+v, %v", room, err)
				statuses <- nil
				return
			}
			var got []int
			status := func(err error) int {
				var apiErr *dialin.APIError
				if errors.As(err, &apiErr) {
					return apiErr.StatusCode
				}
				if err != nil {
					return -1
				}
				return 200
			}
			got = append(got, status(dc.PinlessCallUpdate(ctx, call.CallID, "not-the-domain", room.SIPEndpoint)))
			got = append(got, status(dc.PinlessCallUpdate(ctx, call.CallID, call.CallDomain, room.SIPEndpoint)))
			// Retry, as a receiver does, until the endpoint is ready.
			last := http.StatusConflict
			for deadline := time.Now().Add(10 * time.Second); last == http.StatusConflict && time.Now().Before(deadline); {
				<-time.After(20 * time.Millisecond)
				last = status(dc.PinlessCallUpdate(ctx, call.CallID, call.CallDomain, room.SIPEndpoint))
			}
			got = append(got, last)
			statuses <- got
		}()
		return nil
	})
	hook := httptest.NewServer(h)
	defer hook.Close()
	if _, err := dc.CreateConfig(ctx, dialin.Config{PhoneNumber: "+12555599999", RoomCreationAPI: hook.URL, HMAC: pinless}); err != nil {
		t.Fatal(err)
	}
	res, err := daily.PlaceCall(ctx, eventstest.CallSpec{HoldWindow: 20 * time.Second})
	if err != nil || !res.Connected {
		t.Fatalf("PlaceCall = %+v, %v", res, err)
	}
	if got := <-statuses; fmt.Sprint(got) != "[404 409 200]" {
		t.Errorf("updates with a wrong domain, before the endpoint was ready, and after: %v, want [404 409 200]", got)
	}
}
