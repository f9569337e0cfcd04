// Package eventstest helps test code that receives Daily's webhooks, as
// net/http/httptest helps test HTTP code: [Signer] signs deliveries as
// Daily does, [Sample] gives a sample delivery of every event type, and
// [NewDaily] starts a fake Daily that keeps a webhook, with Daily's
// /webhooks REST endpoints, and sends it deliveries under Daily's retry
// rules and circuit breaker.
package eventstest
