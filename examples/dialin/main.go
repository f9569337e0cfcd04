// Command dialin is a receiver of Daily's pinless dial-in hook, the
// room_creation_api Daily calls while it holds a caller. It verifies each
// call and answers Daily's test request; with DAILY_API_KEY set, it then
// connects the caller: it creates a room with SIP dial-in and calls
// pinlessCallUpdate with the room's SIP endpoint, retrying with backoff
// within the hold until the endpoint is ready. It learns that by Daily's
// answer, not from dialin.ready, since the domain's one webhook may point
// elsewhere.
//
//	export DAILY_PINLESS_SECRET=...   # the configuration's hmac; several, comma-separated
//	export DAILY_API_KEY=...          # to connect the calls
//	export DAILY_API_URL=http://127.0.0.1:8090/v1   # dailyhook dev, say; Daily's API when unset
//	go run ./examples/dialin -addr 127.0.0.1:8081
package main

import (
	"context"
	"errors"
	"flag"
	"log"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/dialin"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "address to listen on")
	flag.Parse()
	var secrets []string
	for _, s := range strings.Split(os.Getenv("DAILY_PINLESS_SECRET"), ",") {
		if s = strings.TrimSpace(s); s != "" {
			secrets = append(secrets, s)
		}
	}
	var api *dialin.Client
	if key := os.Getenv("DAILY_API_KEY"); key != "" {
		api = dialin.NewClient(key)
		api.BaseURL = dialin.BaseURLFromEnv() // asked for: DAILY_API_URL, or Daily's
	}
	h, err := events.NewPinlessHandler(secrets, func(ctx context.Context, call *events.PinlessCall) error {
		log.Printf("pinless call %q from %q to %q", call.CallID, call.From, call.To) // %q escapes control characters
		if api == nil {
			log.Print("DAILY_API_KEY is not set: the call is not connected")
			return nil
		}
		// Answer at once: the caller is on hold, and Daily waits for the
		// answer. Connect the call after it.
		go connect(api, *call)
		return nil
	})
	if err != nil {
		log.Fatalf("DAILY_PINLESS_SECRET: %v", err)
	}
	h.OnTestRequest = func(*http.Request) { log.Print("pinless test request") }
	h.OnError = func(r *http.Request, err error) {
		slog.Warn("pinless request refused", "err", err, "remote", r.RemoteAddr)
	}
	srv := &http.Server{
		Addr:              *addr,
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
	log.Printf("listening on http://%s", *addr)
	log.Fatal(srv.ListenAndServe())
}

// hold is how long Daily holds a caller: its hold music, under a minute,
// played twice.
const hold = 2 * time.Minute

// connect creates a room with SIP dial-in for call and connects the caller
// to its SIP endpoint. The endpoint takes the call only once it is ready,
// a moment after the room is created: pinlessCallUpdate is retried, with
// backoff, while Daily answers 409 or fails, within the hold.
func connect(api *dialin.Client, call events.PinlessCall) {
	ctx, cancel := context.WithTimeout(context.Background(), hold)
	defer cancel()
	room, err := api.CreateDialinRoom(ctx, dialin.RoomParams{DisplayName: call.From})
	if err != nil {
		log.Printf("call %q: creating its room: %v", call.CallID, err)
		return
	}
	for wait := 250 * time.Millisecond; ; wait = min(2*wait, 2*time.Second) {
		err := api.PinlessCallUpdate(ctx, call.CallID, call.CallDomain, room.SIPEndpoint)
		var apiErr *dialin.APIError
		switch {
		case err == nil:
			log.Printf("call %q connected to room %q (%s)", call.CallID, room.Name, room.SIPEndpoint)
			return
		case errors.As(err, &apiErr) && apiErr.StatusCode != http.StatusConflict && apiErr.StatusCode < 500:
			log.Printf("call %q: not connected: %v", call.CallID, err)
			return
		}
		select {
		case <-ctx.Done():
			log.Printf("call %q: not connected within the hold: %v", call.CallID, err)
			return
		case <-time.After(wait):
		}
	}
}
