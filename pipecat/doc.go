// Package pipecat receives the webhooks of Pipecat Cloud, Daily's hosted
// platform for Pipecat voice agents: 20 event types about builds,
// deployments, services, spend, sessions, trials, API keys and secrets,
// signed by the Standard Webhooks scheme rather than Daily's.
//
// Hand [Parse] the raw body of a delivery and type-switch on what comes
// back: *[BuildSucceeded], *[SessionStarted], … or *[Unknown] for an event
// type Pipecat Cloud added after this version, which is never an error.
// json.Marshal of a parsed event gives back the delivery's bytes.
//
// A [Verifier] checks a delivery's signature: the headers webhook-id,
// webhook-timestamp and webhook-signature, or the same under svix-, which
// the one delivery on record carried. A [Handler] verifies, parses and
// hands each event to a function once, as an http.Handler, deduplicating on
// the message id that every retry of a message carries.
//
// The package needs only the standard library and the root package,
// whose error sentinels it shares: errors.Is(err, events.ErrInvalidJSON)
// holds for a body that is not JSON, whichever hook it came from.
package pipecat

//go:generate go run gen.go
