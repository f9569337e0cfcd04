package events_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/eventstest"
)

func ExampleParse() {
	body := []byte(`{
		"version": "1.0.0",
		"type": "participant.joined",
		"id": "ptcpt-join-6497c79b-1708972279961",
		"payload": {
			"room": "test",
			"user_name": "testuser",
			"session_id": "0c0d2dda-f21d-4cf9-ab56-86bf3c407ffa",
			"joined_at": 1708972279.96,
			"will_eject_at": null,
			"owner": false,
			"permissions": {"hasPresence": true, "canSend": true, "canReceive": {"base": true}, "canAdmin": false}
		},
		"event_ts": 1708972279.961
	}`)
	ev, err := events.Parse(body)
	if err != nil {
		fmt.Println(err)
		return
	}
	switch e := ev.(type) {
	case *events.ParticipantJoined:
		p := e.Payload
		fmt.Println(p.UserName, "joined", p.Room, "at", p.JoinedAt.Time().Format("15:04:05.00"))
		fmt.Println("ejected:", p.WillEjectAt.Valid())
		fmt.Println("may share screen:", p.Permissions.CanSend.Allows(events.MediaScreenVideo))
	case *events.Unknown:
		fmt.Println("new event type", e.Type)
	}
	// Output:
	// testuser joined test at 18:31:19.96
	// ejected: false
	// may share screen: true
}

func ExampleParse_unknownType() {
	body := []byte(`{"version":"1.0.0","type":"hologram.started","id":"h1","payload":{"depth":3},"event_ts":1800000000}`)
	ev, err := events.Parse(body)
	if err != nil {
		fmt.Println(err)
		return
	}
	u := ev.(*events.Unknown)
	fmt.Println(u.Type, u.ID, string(u.Payload))
	// Output:
	// hologram.started h1 {"depth":3}
}

func ExampleParse_errors() {
	for _, body := range []string{
		`{"version":"1.0.0","type":"participant.joined","payload":{"permissions":{"canSend":1}}}`,
		`{"version":"2.0.0","type":"participant.joined","payload":{}}`,
		`{"test":"test"}`,
		`{"version":"1.0.0","type":"participant.joined","payload":`,
	} {
		_, err := events.Parse([]byte(body))
		var ve *events.VersionError
		switch {
		case errors.As(err, &ve):
			fmt.Println("version", ve.Got, "not supported; known:", ve.Supported)
		case errors.Is(err, events.ErrVerificationRequest):
			fmt.Println("verification request: answer 200")
		case errors.Is(err, events.ErrInvalidField):
			fmt.Println("bad field")
		case errors.Is(err, events.ErrInvalidJSON):
			fmt.Println("not JSON")
		}
	}
	// Output:
	// bad field
	// version 2.0.0 not supported; known: 1.0.0
	// verification request: answer 200
	// not JSON
}

func ExampleEnvelope_Newer() {
	body := []byte(`{"version":"1.2.0","type":"meeting.started","id":"m1","payload":{"room":"r","new":1}}`)
	ev, _ := events.Parse(body)
	env := ev.Meta()
	fmt.Println(env.Version, env.Type.SchemaVersion(), env.Newer())
	// Output:
	// 1.2.0 1.0.0 true
}

func ExampleRoomName() {
	ev, _ := events.Parse([]byte(`{"version":"1.0.0","type":"meeting.started","payload":{"room":"standup"}}`))
	fmt.Println(events.RoomName(ev))
	// Output:
	// standup
}

// The canSend and canAdmin permissions arrive as a boolean or as a list;
// Allows answers for both.
func ExampleGrant_Allows_bool() {
	var p events.Permissions
	_ = json.Unmarshal([]byte(`{"canSend": true, "canAdmin": false}`), &p)
	fmt.Println(p.CanSend.Allows(events.MediaScreenVideo), p.CanAdmin.Allows(events.AdminTranscription))
	// Output:
	// true false
}

func ExampleGrant_Allows_list() {
	var p events.Permissions
	_ = json.Unmarshal([]byte(`{"canSend": ["video", "audio"], "canAdmin": ["transcription"]}`), &p)
	fmt.Println(p.CanSend.Allows(events.MediaScreenVideo), p.CanSend.Allows(events.MediaAudio))
	fmt.Println(p.CanAdmin.Allows(events.AdminTranscription), p.CanAdmin.Allows(events.AdminParticipants))
	out, _ := json.Marshal(p.CanSend)
	fmt.Println(string(out))
	// Output:
	// false true
	// true false
	// ["video","audio"]
}

func ExampleCanReceive_Allows() {
	var c events.CanReceive
	_ = json.Unmarshal([]byte(`{"base": true, "byUserId": {"muted": {"audio": false}}}`), &c)
	fmt.Println(c.Allows("anyone", "", events.MediaAudio), c.Allows("muted", "", events.MediaAudio), c.Allows("muted", "", events.MediaVideo))
	// Output:
	// true false true
}

func ExampleTime() {
	var v struct {
		At    events.Time `json:"at"`
		Eject events.Time `json:"eject"`
	}
	_ = json.Unmarshal([]byte(`{"at": "1728036610", "eject": null}`), &v)
	fmt.Println(v.At.Time().Unix(), v.At.Quoted(), v.Eject.Valid())
	out, _ := json.Marshal(v)
	fmt.Println(string(out))
	// Output:
	// 1728036610 true false
	// {"at":"1728036610","eject":null}
}

func ExampleHandler() {
	v, err := events.NewVerifier(events.VerifierConfig{
		Secrets: []string{"ZGFpbHkgd2ViaG9vayB0ZXN0IGtleSwgMzIgYnl0ZXM="}, // as Daily shows it
	})
	if err != nil {
		log.Fatal(err) // an empty or malformed secret fails here, not later
	}
	h := &events.Handler{
		Verifier: v,
		Handle: func(ctx context.Context, ev events.Event) error {
			if e, ok := ev.(*events.ParticipantJoined); ok {
				fmt.Println(e.Payload.UserName, "joined", e.Payload.Room)
			}
			return nil
		},
		OnError: func(r *http.Request, err error) { fmt.Println("not handled:", err) },
	}

	// A signed delivery, as Daily sends it.
	body := []byte(`{"version":"1.0.0","type":"participant.joined","id":"p1","payload":{"room":"standup","user_name":"Ada"}}`)
	req, _ := eventstest.Signer{Secret: "ZGFpbHkgd2ViaG9vayB0ZXN0IGtleSwgMzIgYnl0ZXM="}.NewRequest("/daily", body)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code)

	// The same body signed with another secret.
	req, _ = eventstest.Signer{Secret: "c2Vjb25kIHNlY3JldCBmb3Igcm90YXRpb24gdGVzdHM="}.NewRequest("/daily", body)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code)
	// Output:
	// Ada joined standup
	// 200
	// not handled: events: invalid signature
	// 401
}

// ExampleHandler_server serves a Handler with the timeouts every server
// of webhooks should set. (It does not run: it would listen on a port.)
func ExampleHandler_server() {
	v, err := events.NewVerifier(events.VerifierConfig{
		Secrets: []string{os.Getenv("DAILY_WEBHOOK_SECRET")},
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/daily", &events.Handler{
		Verifier: v,
		Handle:   func(ctx context.Context, ev events.Event) error { return nil },
	})
	srv := &http.Server{
		Addr:    ":8080",
		Handler: mux,
		// A client that sends its headers or body slowly must not hold
		// a connection: Daily sends small bodies and wants an answer
		// within seconds.
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
	log.Fatal(srv.ListenAndServe())
}

// ExampleMemoryDedup hands each event ID to Handle once, even when Daily
// delivers the event twice with different signatures.
func ExampleMemoryDedup() {
	const secret = "ZGFpbHkgd2ViaG9vayB0ZXN0IGtleSwgMzIgYnl0ZXM="
	v, err := events.NewVerifier(events.VerifierConfig{Secrets: []string{secret}})
	if err != nil {
		log.Fatal(err)
	}
	h := &events.Handler{
		Verifier: v,
		Dedup:    &events.MemoryDedup{TTL: time.Hour, Capacity: 10_000},
		Handle: func(ctx context.Context, ev events.Event) error {
			fmt.Println("handling", ev.Meta().ID)
			return nil
		},
		OnError: func(r *http.Request, err error) { fmt.Println("not handed over:", err) },
	}
	body := []byte(`{"version":"1.0.0","type":"meeting.ended","id":"evt-1","payload":{"room":"standup"}}`)
	now := time.Now()
	for _, at := range []time.Time{now, now.Add(-2 * time.Second)} {
		req, _ := eventstest.Signer{Secret: secret, Time: at}.NewRequest("/daily", body)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		fmt.Println(rec.Code)
	}
	// Output:
	// handling evt-1
	// 200
	// not handed over: events: event already handled
	// 200
}

// ExampleMux serves one typed function per event type from a Handler.
func ExampleMux() {
	const secret = "ZGFpbHkgd2ViaG9vayB0ZXN0IGtleSwgMzIgYnl0ZXM="
	v, err := events.NewVerifier(events.VerifierConfig{Secrets: []string{secret}})
	if err != nil {
		log.Fatal(err)
	}
	var mux events.Mux
	events.On(&mux, func(ctx context.Context, e *events.ParticipantJoined) error {
		fmt.Println(e.Payload.UserName, "joined", e.Payload.Room)
		return nil
	})
	events.On(&mux, func(ctx context.Context, e *events.MeetingEnded) error {
		fmt.Println("meeting ended in", e.Payload.Room)
		return nil
	})
	mux.Fallback = func(ctx context.Context, ev events.Event) error {
		fmt.Println("not handled here:", ev.Meta().Type)
		return nil
	}
	h, err := events.NewHandler(v, mux.Handle)
	if err != nil {
		log.Fatal(err)
	}
	for _, body := range []string{
		`{"version":"1.0.0","type":"participant.joined","id":"p1","payload":{"room":"standup","user_name":"Ada"}}`,
		`{"version":"1.0.0","type":"meeting.ended","id":"m1","payload":{"room":"standup"}}`,
		`{"version":"1.0.0","type":"brand.new","id":"n1","payload":{}}`,
	} {
		req, _ := eventstest.Signer{Secret: secret}.NewRequest("/daily", []byte(body))
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	// Output:
	// Ada joined standup
	// meeting ended in standup
	// not handled here: brand.new
}

func ExampleOn() {
	var m events.Mux
	events.On(&m, func(ctx context.Context, e *events.MeetingEnded) error {
		fmt.Println("meeting ended in", e.Payload.Room)
		return nil
	})
	events.On(&m, func(ctx context.Context, e *events.RecordingReadyToDownload) error {
		fmt.Println("recording ready:", e.Payload.S3Key)
		return nil
	})
	// m.Handle is what a Handler's Handle field takes; here it is called
	// directly.
	for _, body := range []string{
		`{"version":"1.0.0","type":"meeting.ended","payload":{"room":"standup"}}`,
		`{"version":"1.0.0","type":"recording.ready-to-download","payload":{"s3_key":"acme/standup/1.mp4"}}`,
		`{"version":"1.0.0","type":"meeting.started","payload":{"room":"standup"}}`,
	} {
		ev, _ := events.Parse([]byte(body))
		_ = m.Handle(context.Background(), ev)
	}
	// Output:
	// meeting ended in standup
	// recording ready: acme/standup/1.mp4
}

func ExampleVerifier_Verify() {
	v, _ := events.NewVerifier(events.VerifierConfig{
		Secrets: []string{"ZGFpbHkgd2ViaG9vayB0ZXN0IGtleSwgMzIgYnl0ZXM="},
		// A fixed clock, for deliveries verified after being queued.
		Now: func() time.Time { return time.Unix(1708526100, 0) },
	})
	body := []byte(`{"version":"1.0.0","type":"meeting.started","id":"met-sta-1","payload":{"start_ts":1708526032.672,"meeting_id":"m-1","room":"r"},"event_ts":1708526033.049}`)
	_, err := v.Verify(body, "/YQ1+UYf2IRo20qerNEqwr7QVaiyoj0AmtY9UUZgoC8=", "1708526033")
	fmt.Println(err)
	_, err = v.Verify(append(body, ' '), "/YQ1+UYf2IRo20qerNEqwr7QVaiyoj0AmtY9UUZgoC8=", "1708526033")
	fmt.Println(errors.Is(err, events.ErrInvalidSignature))
	// Output:
	// <nil>
	// true
}
