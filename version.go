package events

import (
	"errors"
	"fmt"

	"github.com/Masterminds/semver/v3"
)

// Version errors. A *[VersionError] wraps exactly one of them.
var (
	// ErrMissingVersion means that the delivery has no version, or an
	// empty one.
	ErrMissingVersion = errors.New("events: missing version")
	// ErrInvalidVersion means that the version is not a string or not a
	// semantic version.
	ErrInvalidVersion = errors.New("events: invalid version")
	// ErrUnsupportedVersion means that the version's major number differs
	// from the one this package was written for.
	ErrUnsupportedVersion = errors.New("events: unsupported version")
)

// A VersionError reports a delivery whose schema version Parse refuses. Use
// [errors.As] to get it, and [errors.Is] with [ErrMissingVersion],
// [ErrInvalidVersion] or [ErrUnsupportedVersion] to tell the cases apart.
type VersionError struct {
	Type      Type   // the event type of the delivery
	Got       string // the version received; empty when missing or not a string
	Supported string // the schema version this package knows for Type
	Err       error  // ErrMissingVersion, ErrInvalidVersion or ErrUnsupportedVersion
}

// Error returns a message naming the event type and both versions.
func (e *VersionError) Error() string {
	switch e.Err {
	case ErrMissingVersion:
		return fmt.Sprintf("events: %s: missing version (supported %s)", e.Type, e.Supported)
	case ErrUnsupportedVersion:
		return fmt.Sprintf("events: %s: unsupported version %q (supported %s)", e.Type, e.Got, e.Supported)
	}
	return fmt.Sprintf("events: %s: invalid version %q (supported %s)", e.Type, e.Got, e.Supported)
}

// Unwrap returns e.Err.
func (e *VersionError) Unwrap() error { return e.Err }

// checkVersion applies the version policy to the version got of a delivery
// of type t, whose known schema version is known.
func checkVersion(t Type, got, known string) error {
	if got == known {
		// The common case: nothing to compare, nothing to allocate.
		return nil
	}
	if got == "" {
		return &VersionError{Type: t, Supported: known, Err: ErrMissingVersion}
	}
	v, err := semver.StrictNewVersion(got)
	if err != nil {
		return &VersionError{Type: t, Got: got, Supported: known, Err: ErrInvalidVersion}
	}
	if v.Major() != semver.MustParse(known).Major() {
		return &VersionError{Type: t, Got: got, Supported: known, Err: ErrUnsupportedVersion}
	}
	return nil
}

// newer reports whether got is a valid semantic version above known.
func newer(got, known string) bool {
	if got == known || known == "" {
		return false
	}
	v, err := semver.StrictNewVersion(got)
	if err != nil {
		return false
	}
	return v.GreaterThan(semver.MustParse(known))
}
