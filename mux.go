package events

import (
	"context"
	"reflect"
)

// A Mux sends each event to the function registered for its Go type, for
// callers who prefer one typed function per event type to a type switch.
// Register with [On] before serving; then pass the Mux's Handle method as
// [Handler].Handle. The zero Mux is ready to use.
type Mux struct {
	// Fallback handles events of a type with no registered function,
	// *Unknown included. Nil means they are acknowledged and ignored.
	Fallback func(ctx context.Context, ev Event) error

	routes map[reflect.Type]func(context.Context, Event) error
}

// On registers fn for the events of type E, such as *ParticipantJoined,
// replacing any function registered for E before. It must not be called
// while m is handling events.
//
// E must be a concrete event type: On panics for an interface type such as
// [Event], which no event has as its dynamic type, so that a function meant
// to see every event is not registered where it would never run. Set
// [Mux].Fallback for that.
func On[E Event](m *Mux, fn func(ctx context.Context, ev E) error) {
	if t := reflect.TypeFor[E](); t.Kind() == reflect.Interface {
		panic("events: On needs a concrete event type such as *events.ParticipantJoined, not the interface " + t.String() + "; set Mux.Fallback to handle every event")
	}
	if m.routes == nil {
		m.routes = map[reflect.Type]func(context.Context, Event) error{}
	}
	m.routes[reflect.TypeFor[E]()] = func(ctx context.Context, ev Event) error {
		return fn(ctx, ev.(E))
	}
}

// Handle calls the function registered for the type of ev, or Fallback.
func (m *Mux) Handle(ctx context.Context, ev Event) error {
	if fn, ok := m.routes[reflect.TypeOf(ev)]; ok {
		return fn(ctx, ev)
	}
	if m.Fallback != nil {
		return m.Fallback(ctx, ev)
	}
	return nil
}
