package pipecat

import (
	"encoding/json"
	"errors"
	"strconv"
)

// A Field is a field that may be absent, null, or hold a value. Pipecat
// Cloud marks fields "nullable" (always present, may be null) or
// "optional" (omitted when they do not apply); a Field keeps the three
// apart, and encodes back to what it decoded (with omitzero, an absent
// field stays absent).
type Field[T any] struct {
	value T
	state fieldState
}

type fieldState uint8

const (
	absent fieldState = iota
	null
	set
)

// Some returns a Field that holds v.
func Some[T any](v T) Field[T] { return Field[T]{value: v, state: set} }

// Null returns a Field that is null.
func Null[T any]() Field[T] { return Field[T]{state: null} }

// Get returns the value and true, or the zero value and false when the
// field is null or absent.
func (f Field[T]) Get() (T, bool) { return f.value, f.state == set }

// Value returns the value, or the zero value when the field is null or
// absent.
func (f Field[T]) Value() T { return f.value }

// IsNull reports whether the field was present as null.
func (f Field[T]) IsNull() bool { return f.state == null }

// IsZero reports whether the field was absent, for omitzero.
func (f Field[T]) IsZero() bool { return f.state == absent }

// UnmarshalJSON decodes null or a value of T; a value of another JSON type
// is an error.
func (f *Field[T]) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		var zero T
		f.value, f.state = zero, null
		return nil
	}
	var err error
	switch v := any(&f.value).(type) {
	case *string:
		err = decodeString(b, v)
	case *float64:
		err = decodeFloat(b, v)
	default:
		err = json.Unmarshal(b, &f.value)
	}
	if err != nil {
		return err
	}
	f.state = set
	return nil
}

// MarshalJSON encodes the value, or null.
func (f Field[T]) MarshalJSON() ([]byte, error) {
	if f.state != set {
		return []byte("null"), nil
	}
	return json.Marshal(f.value)
}

// A Number is a JSON number as the delivery wrote it: money in cents,
// which may exceed 2³², and percentages. It keeps the number exactly, with
// a fraction if one came, and "" when the field was absent or null.
type Number string

// errNotNumber is the error of a Number given another JSON type.
var errNotNumber = errors.New("pipecat: a JSON number was expected")

// Int64 returns the number and true when it is a whole number that fits
// an int64.
func (n Number) Int64() (int64, bool) {
	i, err := strconv.ParseInt(string(n), 10, 64)
	if err == nil {
		return i, true
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || f != float64(int64(f)) || f > 1<<63-1024 || f < -1<<63 {
		return 0, false
	}
	return int64(f), true
}

// Float64 returns the number as a float64, and false when there is none.
func (n Number) Float64() (float64, bool) {
	f, err := strconv.ParseFloat(string(n), 64)
	return f, err == nil
}

// UnmarshalJSON keeps a JSON number's text; null leaves n empty, and any
// other JSON type is an error.
func (n *Number) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		*n = ""
	case len(b) > 0 && (b[0] == '-' || '0' <= b[0] && b[0] <= '9'):
		*n = Number(b)
	default:
		return errNotNumber
	}
	return nil
}

// MarshalJSON writes the number, or null when there is none.
func (n Number) MarshalJSON() ([]byte, error) {
	if n == "" {
		return []byte("null"), nil
	}
	return []byte(n), nil
}

// Build is the data of the build events.
type Build struct {
	// BuildID is the build's id.
	BuildID string `json:"build_id"`
	// Region is the region the build ran in.
	Region string `json:"region"`
	// Status is "building", "success", "failed" or "timeout", after the
	// event.
	Status string `json:"status"`
	// TriggeredBy is "api" or "github".
	TriggeredBy string `json:"triggered_by"`
	// CommitSHA, Ref and RepoFullName ("owner/repo") are null for CLI and
	// API builds.
	CommitSHA    Field[string] `json:"commit_sha,omitzero"`
	Ref          Field[string] `json:"ref,omitzero"`
	RepoFullName Field[string] `json:"repo_full_name,omitzero"`
	// ImageURI is the image built; only on build.succeeded.
	ImageURI Field[string] `json:"image_uri,omitzero"`
	// BuildDurationSeconds is the wall-clock duration, perhaps
	// fractional; only on the terminal events.
	BuildDurationSeconds Field[float64] `json:"build_duration_seconds,omitzero"`
	// ErrorMessage says why the build did not succeed; only on
	// build.failed and build.timeout.
	ErrorMessage Field[string] `json:"error_message,omitzero"`
}

// Deployment is the data of the deployment events.
type Deployment struct {
	DeploymentID string `json:"deployment_id"` // DeploymentID is the deployment's id.
	ServiceID    string `json:"service_id"`    // ServiceID is the service's id.
	ServiceName  string `json:"service_name"`  // ServiceName is the service's name.
	Region       string `json:"region"`        // Region is the region.
	// BuildID is the build deployed; null for an image-based deploy.
	BuildID Field[string] `json:"build_id,omitzero"`
}

// Service is the data of service.suspended and service.resumed.
type Service struct {
	ServiceID   string `json:"service_id"`   // ServiceID is the service's id.
	ServiceName string `json:"service_name"` // ServiceName is the service's name.
	Region      string `json:"region"`       // Region is the region.
	// Reason is "trial_exhausted" or "account_suspended"; only on
	// service.suspended.
	Reason Field[string] `json:"reason,omitzero"`
}

// SpendThreshold is the data of spend.threshold_reached.
type SpendThreshold struct {
	Percent           Number `json:"percent"`             // Percent is 80 or 90.
	CurrentSpendCents Number `json:"current_spend_cents"` // CurrentSpendCents is the spend so far.
	LimitCents        Number `json:"limit_cents"`         // LimitCents is the spend limit.
}

// SpendLimit is the data of spend.limit_reached.
type SpendLimit struct {
	CurrentSpendCents Number `json:"current_spend_cents"` // CurrentSpendCents is the spend so far.
	LimitCents        Number `json:"limit_cents"`         // LimitCents is the spend limit; 0 is a kill switch.
}

// ClearedLimit is the data of spend.limit_cleared.
type ClearedLimit struct {
	// PreviousLimitCents is the limit in force before it was removed.
	PreviousLimitCents Number `json:"previous_limit_cents"`
}

// Session is the data of session.started.
type Session struct {
	SessionID string `json:"session_id"` // SessionID is the session's id.
	// Service is the service's name: spelled service, not service_name,
	// on this one event.
	Service string `json:"service"`
	Region  string `json:"region"` // Region is the region.
	// Transport is "daily", "webrtc" or "websocket"; absent when none was
	// given or implied.
	Transport Field[string] `json:"transport,omitzero"`
}

// TrialStarted is the data of org.trial_started.
type TrialStarted struct {
	OrgName string `json:"org_name"` // OrgName is the organization's name.
	// TrialCreditsCents is the trial's credit; null when the code carries
	// none.
	TrialCreditsCents Field[Number] `json:"trial_credits_cents,omitzero"`
}

// TrialEnded is the data of org.trial_ended.
type TrialEnded struct {
	OrgName string `json:"org_name"` // OrgName is the organization's name.
	// AmountDueCents is what is owed beyond the consumed credits.
	AmountDueCents Number `json:"amount_due_cents"`
}

// APIKey is the data of the api_key events. None carries the key itself.
type APIKey struct {
	KeyID string        `json:"key_id"`        // KeyID is the key's id, unchanged by rotation.
	Name  Field[string] `json:"name,omitzero"` // Name is the key's name; null when none was set.
	Type  string        `json:"type"`          // Type is "public" or "private".
	// ActorUserID is who acted; null on private-API-key routes.
	ActorUserID Field[string] `json:"actor_user_id,omitzero"`
}

// Secret is the data of the secret events. None carries a secret's value.
type Secret struct {
	SetName string `json:"set_name"` // SetName is the secret set's name.
	Region  string `json:"region"`   // Region is the set's region.
	Type    string `json:"type"`     // Type is "secret" or "imagePullSecret".
	Scope   string `json:"scope"`    // Scope is "set", or "field" for keys within it.
	// ActorUserID is who acted; null on private-API-key routes.
	ActorUserID Field[string] `json:"actor_user_id,omitzero"`
	// FieldNames are the keys changed, when Scope is "field".
	FieldNames []string `json:"field_names,omitempty"`
}
