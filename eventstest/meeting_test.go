package eventstest_test

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/eventstest"
	"github.com/dailywebhooks/events/webhooks"
)

// collector is a receiver built on the library that keeps every event it
// verified and parsed.
type collector struct {
	mu     sync.Mutex
	events []events.Event
}

func newCollector(t *testing.T) (*collector, *httptest.Server) {
	t.Helper()
	v, err := events.NewVerifier(events.VerifierConfig{Secrets: []string{secret}})
	if err != nil {
		t.Fatal(err)
	}
	c := &collector{}
	h, err := events.NewHandler(v, func(_ context.Context, ev events.Event) error {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.events = append(c.events, ev)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	h.OnError = func(_ *http.Request, err error) { t.Errorf("the receiver refused a delivery: %v", err) }
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return c, srv
}

// newMeetingDaily returns a fake Daily whose webhook goes to a collector.
func newMeetingDaily(t *testing.T) (*collector, *eventstest.Daily) {
	t.Helper()
	c, srv := newCollector(t)
	daily := eventstest.NewDaily(eventstest.DailyConfig{})
	t.Cleanup(daily.Close)
	wc := webhooks.NewClient(daily.APIKey)
	wc.BaseURL = daily.URL
	if _, err := wc.Create(context.Background(), webhooks.Params{URL: srv.URL, HMAC: secret}); err != nil {
		t.Fatal(err)
	}
	return c, daily
}

// TestPlayMeeting plays a meeting of 5 participants, 2 knockers, a
// recording and a transcript, and checks that the deliveries agree.
func TestPlayMeeting(t *testing.T) {
	c, daily := newMeetingDaily(t)
	res, err := daily.PlayMeeting(context.Background(), eventstest.MeetingSpec{Participants: 5, Knockers: 2, Recording: true, Transcript: true, Speed: 5000})
	if err != nil || res.Failed() != 0 {
		t.Fatalf("PlayMeeting = %+v, %v", res, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.events) != len(res.Deliveries) {
		t.Fatalf("%d events received, %d played", len(c.events), len(res.Deliveries))
	}
	checkMeeting(t, c.events, 5, 2)
}

// TestPlayMeetingJitter plays a meeting whose deliveries all fall within a
// few milliseconds, each sent up to 300 ms late at random: they arrive out
// of event_ts order (all 20 in order by chance: about 1 in 20!), and every
// one arrives.
func TestPlayMeetingJitter(t *testing.T) {
	c, daily := newMeetingDaily(t)
	res, err := daily.PlayMeeting(context.Background(), eventstest.MeetingSpec{Participants: 8, Knockers: 2, Recording: true, Transcript: true, Speed: 100000, JitterMillis: 300})
	if err != nil || res.Failed() != 0 {
		t.Fatalf("PlayMeeting = %+v, %v", res, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.events) != len(res.Deliveries) || len(c.events) < 20 {
		t.Fatalf("%d events received, %d played", len(c.events), len(res.Deliveries))
	}
	sorted := slices.IsSortedFunc(c.events, func(a, b events.Event) int {
		return a.Meta().EventTS.Time().Compare(b.Meta().EventTS.Time())
	})
	if sorted {
		t.Error("every delivery arrived in event_ts order, under a 300 ms jitter")
	}
	checkMeeting(t, c.events, 8, 2)
}

// checkMeeting checks the consistency rules of a played meeting with n
// participants and k knockers.
func checkMeeting(t *testing.T, evs []events.Event, n, k int) {
	t.Helper()
	slices.SortStableFunc(evs, func(a, b events.Event) int {
		return a.Meta().EventTS.Time().Compare(b.Meta().EventTS.Time())
	})
	count := map[events.Type]int{}
	rooms := map[string]bool{}
	joined := map[string]*events.ParticipantJoined{}
	knocked := map[string]bool{}
	var recStarted, trStarted string
	plain := regexp.MustCompile(`"event_ts":-?\d+(\.\d+)?[,}]`)
	whole := regexp.MustCompile(`"will_eject_at":(\d+|null)[,}]`)
	for i, ev := range evs {
		count[ev.Meta().Type]++
		if raw := ev.Meta().Raw(); !plain.Match(raw) {
			t.Errorf("delivery %d: event_ts not a plain decimal, as Daily writes it: %s", i, raw)
		}
		if _, knock := ev.(*events.WaitingParticipantJoined); knock && !whole.Match(ev.Meta().Raw()) {
			t.Errorf("delivery %d: a knocker's will_eject_at is not whole seconds: %s", i, ev.Meta().Raw())
		}
		if room := events.RoomName(ev); room != "" {
			rooms[room] = true
		}
		switch e := ev.(type) {
		case *events.Unknown:
			t.Errorf("delivery %d did not parse to its type: %s", i, e.Type)
		case *events.WaitingParticipantJoined:
			knocked[e.Payload.SessionID] = true
		case *events.WaitingParticipantLeft:
			if _, ok := joined[e.Payload.SessionID]; ok || !knocked[e.Payload.SessionID] {
				t.Errorf("waiting-participant.left of %s, who joined, or never knocked", e.Payload.SessionID)
			}
		case *events.ParticipantJoined:
			joined[e.Payload.SessionID] = e
			if e.Payload.Owner != e.Payload.Permissions.CanAdmin.All() {
				t.Errorf("%s: owner %v, canAdmin %v", e.Payload.UserName, e.Payload.Owner, e.Payload.Permissions.CanAdmin)
			}
			if list, ok := e.Payload.Permissions.CanSend.List(); !e.Payload.Owner && (!ok || len(list) == 0) {
				t.Errorf("guest %s: canSend is not a list", e.Payload.UserName)
			}
		case *events.ParticipantLeft:
			j := joined[e.Payload.SessionID]
			if j == nil {
				t.Errorf("participant.left of %s, who never joined", e.Payload.SessionID)
				continue
			}
			if !e.Payload.JoinedAt.Equal(j.Payload.JoinedAt) {
				t.Errorf("%s: joined_at %v when leaving, %v when joining", e.Payload.UserName, e.Payload.JoinedAt, j.Payload.JoinedAt)
			}
			want := e.Meta().EventTS.Time().Sub(j.Payload.JoinedAt.Time()).Seconds()
			if got := e.Payload.Duration.Duration().Seconds(); math.Abs(got-want) > 0.002 {
				t.Errorf("%s: duration %v, but left %v after joining", e.Payload.UserName, got, want)
			}
		case *events.RecordingStarted:
			recStarted = e.Payload.RecordingID
		case *events.RecordingReadyToDownload:
			if e.Payload.RecordingID != recStarted || recStarted == "" {
				t.Errorf("recording ready %q, started %q", e.Payload.RecordingID, recStarted)
			}
		case *events.TranscriptStarted:
			trStarted = e.Payload.ID
		case *events.TranscriptReadyToDownload:
			if e.Payload.ID != trStarted || trStarted == "" {
				t.Errorf("transcript ready %q, started %q", e.Payload.ID, trStarted)
			}
		}
	}
	wantCount := map[events.Type]int{
		events.TypeMeetingStarted: 1, events.TypeMeetingEnded: 1,
		events.TypeParticipantJoined: n, events.TypeParticipantLeft: n,
		events.TypeWaitingParticipantJoined: k, events.TypeWaitingParticipantLeft: min(k, 1),
		events.TypeRecordingStarted: 1, events.TypeRecordingReadyToDownload: 1,
		events.TypeTranscriptStarted: 1, events.TypeTranscriptReadyToDownload: 1,
	}
	for typ, want := range wantCount {
		if count[typ] != want {
			t.Errorf("%d %s, want %d", count[typ], typ, want)
		}
	}
	if len(rooms) != 1 {
		t.Errorf("rooms %v, want one", rooms)
	}
	if last := evs[len(evs)-1].Meta().Type; last != events.TypeMeetingEnded {
		t.Errorf("the last event is %s, want meeting.ended", last)
	}
	admitted := 0
	for s := range knocked {
		if joined[s] != nil {
			admitted++
		}
	}
	if admitted != max(k-1, 0) {
		t.Errorf("%d knockers admitted, want %d", admitted, max(k-1, 0))
	}
}

func TestPlayMeetingRefuses(t *testing.T) {
	daily := eventstest.NewDaily(eventstest.DailyConfig{})
	defer daily.Close()
	if _, err := daily.PlayMeeting(context.Background(), eventstest.MeetingSpec{}); !errors.Is(err, eventstest.ErrNoWebhookToPlay) {
		t.Errorf("PlayMeeting without a webhook = %v", err)
	}
	_, srv := newCollector(t)
	wc := webhooks.NewClient(daily.APIKey)
	wc.BaseURL = daily.URL
	wc.Create(context.Background(), webhooks.Params{URL: srv.URL, HMAC: secret})
	for _, spec := range []eventstest.MeetingSpec{{Participants: 2, Knockers: 3}, {Participants: eventstest.MaxMeetingParticipants + 1}, {Participants: -1}, {Speed: -1}, {JitterMillis: -1}} {
		if _, err := daily.PlayMeeting(context.Background(), spec); !errors.Is(err, eventstest.ErrMeetingSpec) {
			t.Errorf("PlayMeeting(%+v) = %v, want ErrMeetingSpec", spec, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := daily.PlayMeeting(ctx, eventstest.MeetingSpec{Participants: 2, Speed: 1}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("PlayMeeting past its context = %v", err)
	}
}
