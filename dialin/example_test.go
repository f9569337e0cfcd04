package dialin_test

import (
	"context"
	"log"
	"os"

	"github.com/dailywebhooks/events/dialin"
)

// ExampleClient_CreateConfig sets up pinless dial-in for a number, with a
// secret of the package's making that the receiver then verifies with.
// (It does not run: it calls Daily's API.)
func ExampleClient_CreateConfig() {
	c := dialin.NewClient(os.Getenv("DAILY_API_KEY"))
	cfg, err := c.CreateConfig(context.Background(), dialin.Config{
		PhoneNumber:     "+12555599999",
		RoomCreationAPI: "https://example.com/dialin",
	})
	if err != nil {
		log.Fatal(err)
	}
	// Store cfg.HMAC where the room_creation_api reads DAILY_PINLESS_SECRET.
	log.Printf("configuration %s, SIP URI %s", cfg.ID, cfg.SIPURI)
}

// ExampleClient_PinlessCallUpdate connects a held call, once the room's
// SIP endpoint is ready: the dialin.ready event gives it.
// (It does not run: it calls Daily's API.)
func ExampleClient_PinlessCallUpdate() {
	c := dialin.NewClient(os.Getenv("DAILY_API_KEY"))
	// From the events.PinlessCall, and the room's dialin.ready event.
	callID, callDomain, sipURI := "ff1e7130-7752-4304-9cf4-08d2583a41dc", "04b89420-cf8b-4ea5-a428-02c40b0e2a59", "sip:room@sip.daily.co"
	if err := c.PinlessCallUpdate(context.Background(), callID, callDomain, sipURI); err != nil {
		log.Fatal(err)
	}
}
