package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/inbox"
	"github.com/dailywebhooks/events/inbox/sqlite"
)

// ExampleOpen opens one file as the process that runs the workers, and
// again as a second would: the second is refused, while a process that
// only receives or administers (Workers -1) opens beside the first.
func ExampleOpen() {
	const secret = "ZGFpbHkgd2ViaG9vayB0ZXN0IGtleSwgMzIgYnl0ZXM="
	v, err := events.NewVerifier(events.VerifierConfig{Secrets: []string{secret}})
	if err != nil {
		log.Fatal(err)
	}
	dir, _ := os.MkdirTemp("", "sqlite-example-")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "webhooks.db")
	handle := func(context.Context, events.Event) error { return nil }
	ctx := context.Background()

	workers, err := sqlite.Open(ctx, path, inbox.Config{Verifier: v, Handle: handle})
	if err != nil {
		log.Fatal(err)
	}
	defer workers.Stop(ctx)

	_, err = sqlite.Open(ctx, path, inbox.Config{Verifier: v, Handle: handle})
	fmt.Println("second worker process refused:", errors.Is(err, sqlite.ErrLocked))

	admin, err := sqlite.Open(ctx, path, inbox.Config{Verifier: v, Handle: handle, Workers: -1})
	if err != nil {
		log.Fatal(err)
	}
	defer admin.Stop(ctx)
	dead, err := admin.List(ctx, inbox.Filter{States: []inbox.State{inbox.StateDead}, Limit: 10})
	fmt.Println("dead letters:", len(dead), err)
	// Output:
	// second worker process refused: true
	// dead letters: 0 <nil>
}
