package pipecat_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/eventstest"
	"github.com/dailywebhooks/events/pipecat"
)

// TestParseEveryType parses the sample of every type into its own Go type,
// named after the event, with the envelope typed, and gives back the
// delivery's bytes through Raw and, compacted, json.Marshal.
func TestParseEveryType(t *testing.T) {
	if n := len(pipecat.Types()); n != 20 {
		t.Fatalf("%d types, want the 20 of Pipecat Cloud's reference", n)
	}
	for _, typ := range pipecat.Types() {
		t.Run(typ, func(t *testing.T) {
			body, ok := eventstest.PipecatSample(typ)
			if !ok {
				t.Fatal("no sample")
			}
			ev, err := pipecat.Parse(body)
			if err != nil {
				t.Fatal(err)
			}
			if _, unknown := ev.(*pipecat.Unknown); unknown || ev.EventType() != typ {
				t.Fatalf("Parse = %T of type %q", ev, ev.EventType())
			}
			goName := strings.NewReplacer(".", " ", "_", " ").Replace(typ)
			if got := reflect.TypeOf(ev).Elem().Name(); !strings.EqualFold(strings.ReplaceAll(goName, " ", ""), got) && !strings.EqualFold("Org"+strings.ReplaceAll(goName, " ", "")[3:], got) {
				t.Errorf("Go type %s for %s", got, typ)
			}
			m := ev.Meta()
			if m.Org != "acme-co" || !m.CreatedAt.Equal(time.Date(2026, 8, 25, 11, 40, 32, 0, time.UTC)) || m.Type != typ {
				t.Errorf("envelope %+v", m)
			}
			// encoding/json compacts a Marshaler's output: the bytes are
			// the delivery's, compacted.
			var compact bytes.Buffer
			json.Compact(&compact, body)
			out, err := json.Marshal(ev)
			if err != nil || !bytes.Equal(out, compact.Bytes()) {
				t.Errorf("json.Marshal = %s, %v; want the delivery", out, err)
			}
			if !bytes.Equal(m.Raw(), body) {
				t.Error("Raw is not the delivery")
			}
		})
	}
}

// TestParseFields checks typed fields, nullable ones apart from absent
// ones, and the numbers.
func TestParseFields(t *testing.T) {
	parse := func(typ string) pipecat.Event {
		t.Helper()
		body, _ := eventstest.PipecatSample(typ)
		ev, err := pipecat.Parse(body)
		if err != nil {
			t.Fatal(err)
		}
		return ev
	}
	b := parse(pipecat.TypeBuildSucceeded).(*pipecat.BuildSucceeded).Data
	if d, ok := b.BuildDurationSeconds.Get(); !ok || d != 94 || b.Status != "success" || b.ImageURI.Value() == "" || b.CommitSHA.Value() != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4" || !b.ErrorMessage.IsZero() {
		t.Errorf("build.succeeded data %+v", b)
	}
	s := parse(pipecat.TypeBuildStarted).(*pipecat.BuildStarted).Data
	if !s.CommitSHA.IsNull() || s.CommitSHA.IsZero() || !s.ImageURI.IsZero() || s.ImageURI.IsNull() {
		t.Errorf("build.started: commit_sha null %t absent %t; image_uri null %t absent %t", s.CommitSHA.IsNull(), s.CommitSHA.IsZero(), s.ImageURI.IsNull(), s.ImageURI.IsZero())
	}
	if d := parse(pipecat.TypeDeploymentCreated).(*pipecat.DeploymentCreated).Data; !d.BuildID.IsNull() || d.ServiceName != "voice-agent" {
		t.Errorf("deployment.created %+v", d)
	}
	if r := parse(pipecat.TypeServiceSuspended).(*pipecat.ServiceSuspended).Data.Reason.Value(); r != "trial_exhausted" {
		t.Errorf("reason %q", r)
	}
	sp := parse(pipecat.TypeSpendThresholdReached).(*pipecat.SpendThresholdReached).Data
	if p, ok := sp.Percent.Int64(); !ok || p != 80 {
		t.Errorf("percent %q", sp.Percent)
	}
	if c, ok := sp.LimitCents.Int64(); !ok || c != 10000 {
		t.Errorf("limit_cents %q", sp.LimitCents)
	}
	if ses := parse(pipecat.TypeSessionStarted).(*pipecat.SessionStarted).Data; ses.Service != "voice-agent" || ses.Transport.Value() != "daily" {
		t.Errorf("session.started %+v", ses)
	}
	if k := parse(pipecat.TypeAPIKeyDeleted).(*pipecat.APIKeyDeleted).Data; !k.Name.IsNull() || !k.ActorUserID.IsNull() || k.Type != "public" {
		t.Errorf("api_key.deleted %+v", k)
	}
	if sec := parse(pipecat.TypeSecretUpdated).(*pipecat.SecretUpdated).Data; len(sec.FieldNames) != 1 || sec.Scope != "field" {
		t.Errorf("secret.updated %+v", sec)
	}
	if tr := parse(pipecat.TypeOrgTrialStarted).(*pipecat.OrgTrialStarted).Data; tr.TrialCreditsCents.Value() != "5000" {
		t.Errorf("org.trial_started %+v", tr)
	}

	lenient := map[string]func(pipecat.Event) bool{
		`{"event_type":"spend.limit_reached","org":"o","data":{"current_spend_cents":123456789012345,"limit_cents":0}}`: func(ev pipecat.Event) bool {
			c, ok := ev.(*pipecat.SpendLimitReached).Data.CurrentSpendCents.Int64()
			return ok && c == 123456789012345 && ev.Meta().CreatedAt.IsZero()
		},
		`{"event_type":"spend.limit_reached","org":"o","data":{"current_spend_cents":99.5,"limit_cents":1e4}}`: func(ev pipecat.Event) bool {
			d := ev.(*pipecat.SpendLimitReached).Data
			f, _ := d.CurrentSpendCents.Float64()
			l, ok := d.LimitCents.Int64()
			_, whole := d.CurrentSpendCents.Int64()
			return f == 99.5 && !whole && ok && l == 10000
		},
		`{"event_type":"build.failed","org":"o","created_at":"2026-08-25T11:40:32.123456+00:00","data":{"build_duration_seconds":41.25}}`: func(ev pipecat.Event) bool {
			d := ev.(*pipecat.BuildFailed)
			return d.Data.BuildDurationSeconds.Value() == 41.25 && d.CreatedAt.Equal(time.Date(2026, 8, 25, 11, 40, 32, 123456000, time.UTC))
		},
		`{"event_type":"build.failed","org":"o","created_at":"2026-08-25T11:40:32Z","data":{}}`: func(ev pipecat.Event) bool {
			return ev.Meta().CreatedAt.Equal(time.Date(2026, 8, 25, 11, 40, 32, 0, time.UTC))
		},
		`{"event_type":"build.failed","org":"o","created_at":"yesterday","data":{"error_message":null,"image_uri":null,"extra":[1]}}`: func(ev pipecat.Event) bool {
			return ev.Meta().CreatedAt.IsZero() && ev.(*pipecat.BuildFailed).Data.ErrorMessage.IsNull()
		},
		`{"event_type":"service.resumed","org":"o","data":{"service_id":"s","reason":null},"new_member":true}`: func(ev pipecat.Event) bool {
			return ev.(*pipecat.ServiceResumed).Data.Reason.IsNull()
		},
		`{"event_type":"secret.created","org":"o","data":{"scope":"set","field_names":["A"]}}`: func(ev pipecat.Event) bool {
			return len(ev.(*pipecat.SecretCreated).Data.FieldNames) == 1
		},
		`{"event_type":"deployment.deleted","org":"o","data":{"x":1}}`: func(ev pipecat.Event) bool {
			u, ok := ev.(*pipecat.Unknown)
			return ok && string(u.Data) == `{"x":1}` && u.EventType() == "deployment.deleted"
		},
		`{"event_type":"session.ended","org":"o","created_at":"2026-08-25T11:40:32.000Z","data":{}}`: func(ev pipecat.Event) bool {
			_, ok := ev.(*pipecat.Unknown)
			return ok
		},
	}
	for body, check := range lenient {
		ev, err := pipecat.Parse([]byte(body))
		if err != nil {
			t.Errorf("Parse(%s) = %v", body, err)
			continue
		}
		if !check(ev) {
			t.Errorf("Parse(%s) = %+v", body, ev)
		}
		if out, _ := json.Marshal(ev); string(out) != body {
			t.Errorf("json.Marshal = %s, want %s", out, body)
		}
	}
}

// TestParseErrors: what Parse rejects, with the root package's sentinels.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		body string
		want error
	}{
		{``, events.ErrInvalidJSON},
		{`   `, events.ErrInvalidJSON},
		{`null`, events.ErrNotObject},
		{`[]`, events.ErrNotObject},
		{`"build.started"`, events.ErrNotObject},
		{`{"event_type":"build.started"`, events.ErrInvalidJSON},
		{`{"event_type":"build.started","org":"o","data":{}} x`, events.ErrInvalidJSON},
		{`{"org":"o","data":{}}`, events.ErrMissingType},
		{`{"event_type":null,"org":"o","data":{}}`, events.ErrMissingType},
		{`{"event_type":"","org":"o","data":{}}`, events.ErrMissingType},
		{`{"event_type":7,"org":"o","data":{}}`, events.ErrInvalidType},
		{`{"event_type":["build.started"],"org":"o","data":{}}`, events.ErrInvalidType},
		{`{"event_type":"build.started","data":{}}`, events.ErrInvalidField},
		{`{"event_type":"build.started","org":null,"data":{}}`, events.ErrInvalidField},
		{`{"event_type":"build.started","org":42,"data":{}}`, events.ErrInvalidField},
		{`{"event_type":"build.started","org":"o","created_at":1756122032,"data":{}}`, events.ErrInvalidField},
		{`{"event_type":"build.started","org":"o"}`, events.ErrInvalidPayload},
		{`{"event_type":"build.started","org":"o","data":null}`, events.ErrInvalidPayload},
		{`{"event_type":"build.started","org":"o","data":[]}`, events.ErrInvalidPayload},
		{`{"event_type":"unknown.type","org":"o","data":"x"}`, events.ErrInvalidPayload},
		{`{"event_type":"build.started","org":"o","data":{"build_id":7}}`, events.ErrInvalidField},
		{`{"event_type":"build.started","org":"o","data":{"commit_sha":7}}`, events.ErrInvalidField},
		{`{"event_type":"build.succeeded","org":"o","data":{"build_duration_seconds":"94"}}`, events.ErrInvalidField},
		{`{"event_type":"spend.limit_reached","org":"o","data":{"limit_cents":"100"}}`, events.ErrInvalidField},
		{`{"event_type":"spend.threshold_reached","org":"o","data":{"percent":true}}`, events.ErrInvalidField},
		{`{"event_type":"org.trial_started","org":"o","data":{"trial_credits_cents":"5"}}`, events.ErrInvalidField},
		{`{"event_type":"secret.updated","org":"o","data":{"field_names":"A"}}`, events.ErrInvalidField},
		{`{"event_type":"secret.updated","org":"o","data":{"field_names":[1]}}`, events.ErrInvalidField},
		{`{"event_type":"session.started","org":"o","data":{"transport":{}}}`, events.ErrInvalidField},
	}
	for _, tt := range tests {
		ev, err := pipecat.Parse([]byte(tt.body))
		if !errors.Is(err, tt.want) || ev != nil {
			t.Errorf("Parse(%s) = %v, %v; want %v", tt.body, ev, err, tt.want)
		}
	}
}

// ExampleParse type-switches on a delivery.
func ExampleParse() {
	body := []byte(`{"event_type":"session.started","org":"acme-co","created_at":"2026-08-25T11:40:32.000Z","data":{"session_id":"b4d9e017","service":"voice-agent","transport":"daily","region":"us-west-2"}}`)
	ev, err := pipecat.Parse(body)
	if err != nil {
		fmt.Println(err)
		return
	}
	switch e := ev.(type) {
	case *pipecat.SessionStarted:
		fmt.Println("session", e.Data.SessionID, "of", e.Data.Service, "over", e.Data.Transport.Value())
	case *pipecat.Unknown:
		fmt.Println("new event type", e.EventType())
	}
	// Output: session b4d9e017 of voice-agent over daily
}
