// Package events parses the webhook deliveries of Daily (daily.co) into typed
// Go values.
//
// A service hands [Parse] the raw body of a delivery and type-switches on the
// [Event] it gets back:
//
//	ev, err := events.Parse(body)
//	if err != nil {
//		return err
//	}
//	switch e := ev.(type) {
//	case *events.ParticipantJoined:
//		fmt.Println(e.Payload.UserName, "joined", e.Payload.Room)
//	case *events.Unknown:
//		// A type this package does not know yet: never an error.
//	}
//
// # Nothing is lost
//
// Every event keeps the delivery's bytes ([Envelope.Raw]) and its envelope
// ([Envelope.Meta]). json.Marshal of a parsed event gives back the delivery:
// the same fields, values and JSON types. Values that Daily sends in more
// than one form remember the form: a [Time] sent as a string stays a string,
// a [Grant] sent as true stays true, and null stays null.
//
// json.Marshal of a parsed event returns the delivery as it was received,
// even after the event's fields were changed: the typed fields are a
// reading of the delivery, not a replacement for it. To pass a delivery on,
// forward [Envelope.Raw]; to send changed values, copy them into an event
// built in code, which marshals its typed fields.
//
// # Zero values
//
// Daily marks no payload field as required, so every field may be absent. A
// field's zero value means it was absent (or, for strings, numbers and
// booleans, that Daily sent the zero value). Times, durations and the
// boolean-or-list permissions also tell absent from null: see [Time.IsZero]
// and [Time.IsNull]. Methods on zero values never panic.
//
// # Decoding rules
//
// Parse decodes with encoding/json and inherits its rules: object keys
// match struct fields case-insensitively, unknown fields are ignored (and
// kept in the raw bytes), and when a key appears twice the last value wins,
// in the envelope as in the payload. Times and durations accept a JSON number, whole or fractional, a
// string holding a number, or null; permissions accept a boolean or a list.
// A value of the wrong JSON kind is an error wrapping [ErrInvalidField] that
// names the field. Parse accepts exactly the input [json.Valid] accepts, to
// the last byte and nesting level: every value is checked, a member that a
// later duplicate replaces included.
//
// # Receiving
//
// A [Handler] serves Daily's deliveries over HTTP. It reads no more of a
// request than its limits allow and decodes nothing before the signature
// verified; it refuses replays of a signed request by default, recovers
// panics in the user's code, and remembers an event as handled only once
// that code succeeded, so that no retry of an authentic event is lost. A
// [DedupStore] such as [MemoryDedup] adds the same guarantee by event ID.
// For work that is slow, or several replicas, the module
// github.com/dailywebhooks/events/inbox stores each delivery durably before
// answering and hands it over from a queue.
//
// # Version policy
//
// Every event type knows the schema version it was written for
// ([Type.SchemaVersion]). A delivery of the same major version, a newer minor
// or patch included, is decoded, and [Envelope.Newer] reports that Daily has
// added to it. Another major version is a *[VersionError] wrapping
// [ErrUnsupportedVersion]; a missing or invalid version is one wrapping
// [ErrMissingVersion] or [ErrInvalidVersion]. [Parser.AnyVersion] decodes any
// version on a best-effort basis. The policy is not an exact match on
// purpose: Stripe's strict API-version check broke its users' webhook
// endpoints whenever their account was upgraded, and Daily switches a
// webhook off after three failed deliveries. Unknown types skip the policy.
//
// # Errors
//
// Errors from this package start with "events: " and wrap a sentinel that
// [errors.Is] can test: [ErrInvalidJSON], [ErrNotObject],
// [ErrVerificationRequest], [ErrMissingType], [ErrInvalidType],
// [ErrInvalidPayload], [ErrInvalidField], or, through a *[VersionError],
// [ErrMissingVersion], [ErrInvalidVersion] and [ErrUnsupportedVersion].
// Nothing in this package panics on any input.
package events
