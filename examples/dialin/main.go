// Command dialin is a receiver of Daily's pinless dial-in hook, the
// room_creation_api Daily calls while it holds a caller. It verifies each
// call, answers Daily's test request, and logs each call; a real one
// would create a room with SIP dial-in here, and connect the caller with
// pinlessCallUpdate once the room's dialin.ready event arrives.
//
//	export DAILY_PINLESS_SECRET=...   # the configuration's hmac; several, comma-separated
//	go run ./examples/dialin -addr 127.0.0.1:8081
package main

import (
	"context"
	"flag"
	"log"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/dailywebhooks/events"
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
	h, err := events.NewPinlessHandler(secrets, func(ctx context.Context, call *events.PinlessCall) error {
		// Answer quickly: the caller is on hold. Create or pick a room with
		// SIP dial-in here; connect the call once its SIP endpoint is ready.
		log.Printf("pinless call %q from %q to %q", call.CallID, call.From, call.To) // %q escapes control characters
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
