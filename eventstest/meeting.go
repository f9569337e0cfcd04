package eventstest

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/dailywebhooks/events"
)

// A MeetingSpec describes a meeting for [Daily.PlayMeeting] to play.
type MeetingSpec struct {
	// Room is the room's name. Zero means a name of its own.
	Room string `json:"room,omitempty"`
	// Participants counts everyone who joins, the owner and the admitted
	// knockers included. Zero means 2; it is at least 1, at least
	// Knockers, and at most MaxMeetingParticipants.
	Participants int `json:"participants,omitempty"`
	// Knockers knock at the lobby: all but the last are admitted, and join
	// with the session they knocked with; the last gives up.
	Knockers int `json:"knockers,omitempty"`
	// Recording records the meeting: recording.started, then
	// recording.ready-to-download.
	Recording bool `json:"recording,omitempty"`
	// Transcript transcribes it: transcript.started, then
	// transcript.ready-to-download.
	Transcript bool `json:"transcript,omitempty"`
	// Speed runs the meeting's clock this many times faster than the wall
	// clock. Every timestamp in the bodies, event_ts included, follows the
	// meeting's clock, so that durations agree with timestamps; signatures
	// keep the wall clock. Zero means 1.
	Speed float64 `json:"speed,omitempty"`
	// JitterMillis sends each delivery up to this many milliseconds after
	// its time, at random, as Daily's concurrent senders and retries do:
	// deliveries close in time may then arrive in another order than
	// their event_ts. Zero sends each at its time.
	JitterMillis int `json:"jitter_ms,omitempty"`
}

// A Played is one delivery of a played meeting, after its last attempt.
type Played struct {
	Type events.Type `json:"type"`
	ID   string      `json:"id"`
	// Err is why its last attempt failed, or "".
	Err string `json:"error,omitempty"`
}

// A MeetingResult is what PlayMeeting sent.
type MeetingResult struct {
	Room       string   `json:"room"`
	MeetingID  string   `json:"meeting_id"`
	Deliveries []Played `json:"deliveries"`
}

// Failed counts the deliveries whose last attempt failed.
func (r MeetingResult) Failed() int {
	n := 0
	for _, p := range r.Deliveries {
		if p.Err != "" {
			n++
		}
	}
	return n
}

// MaxMeetingParticipants bounds MeetingSpec.Participants: a meeting's
// deliveries are made before it starts.
const MaxMeetingParticipants = 1000

// ErrMeetingSpec wraps the error of a MeetingSpec that cannot be played.
var ErrMeetingSpec = errors.New("eventstest: invalid meeting")

// A step is one event of a meeting, at an offset of the meeting's clock.
type step struct {
	at   time.Duration
	typ  events.Type
	edit func(payload map[string]any)
}

// PlayMeeting plays one meeting to the domain's webhook: the room starts,
// people knock, are admitted, join and leave with their permissions, a
// recording and a transcript start and become ready, and the meeting ends.
// The deliveries agree with each other: one room and one meeting, each
// participant's session_id the same when joining and leaving, joined_at
// and duration matching, increasing timestamps, meeting.ended last. Each is
// signed with the webhook's hmac and sent at its time under the webhook's
// retry type, as Send does. PlayMeeting returns when every delivery had its
// last attempt.
func (d *Daily) PlayMeeting(ctx context.Context, spec MeetingSpec) (MeetingResult, error) {
	spec.Participants = cmp.Or(spec.Participants, 2)
	spec.Speed = cmp.Or(spec.Speed, 1)
	switch {
	case spec.Participants < 1 || spec.Knockers < 0 || spec.Speed < 0 || spec.JitterMillis < 0:
		return MeetingResult{}, fmt.Errorf("%w: participants, knockers, speed and jitter must be positive", ErrMeetingSpec)
	case spec.Participants > MaxMeetingParticipants:
		return MeetingResult{}, fmt.Errorf("%w: at most %d participants", ErrMeetingSpec, MaxMeetingParticipants)
	case spec.Knockers > spec.Participants:
		return MeetingResult{}, fmt.Errorf("%w: %d knockers, but only %d participants, who include the admitted knockers", ErrMeetingSpec, spec.Knockers, spec.Participants)
	}
	if _, ok := d.Webhook(); !ok {
		return MeetingResult{}, ErrNoWebhookToPlay
	}
	m := newMeeting(spec, d.cfg.Now())
	steps := m.script()
	res := MeetingResult{Room: m.room, MeetingID: m.id, Deliveries: make([]Played, len(steps))}
	start := time.Now()
	var wg sync.WaitGroup
	for i, s := range steps {
		body, err := m.body(s)
		if err != nil {
			return res, err
		}
		if err := sleep(ctx, time.Until(start.Add(time.Duration(float64(s.at)/spec.Speed)))); err != nil {
			return res, err
		}
		res.Deliveries[i] = Played{Type: s.typ, ID: m.eventID(s)}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if spec.JitterMillis > 0 {
				if err := sleep(ctx, rand.N(time.Duration(spec.JitterMillis)*time.Millisecond)); err != nil {
					res.Deliveries[i].Err = err.Error()
					return
				}
			}
			if err := d.Send(ctx, body); err != nil {
				res.Deliveries[i].Err = err.Error()
			}
		}()
	}
	wg.Wait()
	return res, ctx.Err()
}

// ErrNoWebhookToPlay is PlayMeeting's error when the domain has no webhook.
var ErrNoWebhookToPlay = errors.New("eventstest: no webhook to play the meeting to; create one first")

// A meeting is the state a played meeting's deliveries share.
type meeting struct {
	spec  MeetingSpec
	start time.Time // the meeting clock's zero
	room  string
	id    string
}

func newMeeting(spec MeetingSpec, now time.Time) *meeting {
	m := &meeting{spec: spec, start: now, id: newUUID()}
	m.room = cmp.Or(spec.Room, "dev-"+m.id[:8])
	return m
}

// ts returns the meeting-clock time at offset at, in seconds, rounded to
// the millisecond as Daily writes them.
func (m *meeting) ts(at time.Duration) float64 {
	return math.Round(float64(m.start.Add(at).UnixMilli())) / 1000
}

// eventID returns the ID of the event of step s, unique and stable.
func (m *meeting) eventID(s step) string {
	return fmt.Sprintf("%s-%s-%d", s.typ, m.id[:8], s.at.Milliseconds())
}

// body returns the delivery of step s: the type's documented sample, with
// its envelope and the step's fields set.
func (m *meeting) body(s step) ([]byte, error) {
	sample, ok := Sample(s.typ)
	if !ok {
		return nil, fmt.Errorf("eventstest: no sample of %s", s.typ)
	}
	dec := json.NewDecoder(bytes.NewReader(sample))
	dec.UseNumber()
	var ev map[string]any
	if err := dec.Decode(&ev); err != nil {
		return nil, err
	}
	payload, _ := ev["payload"].(map[string]any)
	s.edit(payload)
	ev["id"] = m.eventID(s)
	// Plain decimals, as Daily writes them (1708972299.541), never the
	// exponent form of fmt's %v.
	ev["event_ts"] = json.Number(strconv.FormatFloat(m.ts(s.at), 'f', -1, 64))
	return json.Marshal(ev)
}

// script returns the steps of the meeting, in the order of their time.
func (m *meeting) script() []step {
	var steps []step
	add := func(at time.Duration, typ events.Type, edit func(map[string]any)) {
		steps = append(steps, step{at, typ, edit})
	}
	add(0, events.TypeMeetingStarted, func(p map[string]any) {
		p["room"], p["meeting_id"], p["start_ts"] = m.room, m.id, m.ts(0)
	})
	people := m.people()
	end := time.Duration(0)
	for _, pp := range people {
		end = max(end, pp.joined+time.Minute)
	}
	for i, pp := range people {
		m.personSteps(add, pp, end-time.Duration(len(people)-i)*time.Second)
	}
	m.mediaSteps(add, end, len(people))
	add(end, events.TypeMeetingEnded, func(p map[string]any) {
		p["room"], p["meeting_id"], p["start_ts"], p["end_ts"] = m.room, m.id, m.ts(0), m.ts(end)
	})
	slices.SortStableFunc(steps, func(a, b step) int { return cmp.Compare(a.at, b.at) })
	return steps
}

// A person is someone who joins a played meeting, or knocks and gives up.
type person struct {
	name, userID, session string
	owner                 bool
	knocked               time.Duration // when they knocked; -1 for none
	joined                time.Duration // when they joined; -1 for none
}

// people returns who knocks and joins: the owner, the guests, and the
// knockers, all admitted but the last.
func (m *meeting) people() []person {
	var ps []person
	newPerson := func(name string) person {
		return person{name: name, userID: newUUID(), session: newUUID(), knocked: -1, joined: -1}
	}
	owner := newPerson("owner")
	owner.owner, owner.joined = true, time.Second
	ps = append(ps, owner)
	admitted := max(m.spec.Knockers-1, 0)
	for i := range m.spec.Participants - 1 - admitted {
		g := newPerson(fmt.Sprintf("guest-%d", i+1))
		g.joined = time.Duration(2+2*i) * time.Second
		ps = append(ps, g)
	}
	for i := range m.spec.Knockers {
		k := newPerson(fmt.Sprintf("knocker-%d", i+1))
		k.knocked = time.Duration(3+4*i) * time.Second
		if i < admitted {
			k.joined = k.knocked + 5*time.Second
		}
		ps = append(ps, k)
	}
	return ps
}

// personSteps adds the knock, join and leave of pp: a knocker who is not
// admitted leaves the lobby 30 seconds after knocking; one who joins
// leaves at left.
func (m *meeting) personSteps(add func(time.Duration, events.Type, func(map[string]any)), pp person, left time.Duration) {
	who := func(p map[string]any, at time.Duration) {
		p["room"], p["user_name"], p["user_id"], p["session_id"], p["owner"], p["joined_at"] = m.room, pp.name, pp.userID, pp.session, pp.owner, m.ts(at)
	}
	if pp.knocked >= 0 {
		add(pp.knocked, events.TypeWaitingParticipantJoined, func(p map[string]any) {
			who(p, pp.knocked)
			// An integer on waiting-participant.*, as the spec types it.
			p["will_eject_at"] = int64(m.ts(pp.knocked + time.Hour))
		})
		if pp.joined < 0 {
			gaveUp := pp.knocked + 30*time.Second
			add(gaveUp, events.TypeWaitingParticipantLeft, func(p map[string]any) {
				who(p, pp.knocked)
				p["duration"] = seconds(gaveUp - pp.knocked)
			})
			return
		}
	}
	perms := guestPermissions()
	if pp.owner {
		perms = ownerPermissions()
	}
	add(pp.joined, events.TypeParticipantJoined, func(p map[string]any) {
		who(p, pp.joined)
		p["will_eject_at"], p["permissions"] = m.ts(pp.joined+time.Hour), perms
	})
	add(left, events.TypeParticipantLeft, func(p map[string]any) {
		who(p, pp.joined)
		p["permissions"], p["duration"] = perms, seconds(left-pp.joined)
	})
}

// mediaSteps adds the recording and the transcript of the meeting, which
// end just before it does.
func (m *meeting) mediaSteps(add func(time.Duration, events.Type, func(map[string]any)), end time.Duration, participants int) {
	if m.spec.Recording {
		rec, from := newUUID(), 10*time.Second
		add(from, events.TypeRecordingStarted, func(p map[string]any) {
			p["recording_id"], p["start_ts"] = rec, json.Number(fmt.Sprint(m.start.Add(from).Unix()))
		})
		add(end-500*time.Millisecond, events.TypeRecordingReadyToDownload, func(p map[string]any) {
			p["recording_id"], p["room_name"], p["max_participants"] = rec, m.room, participants
			p["start_ts"], p["duration"] = json.Number(fmt.Sprint(m.start.Add(from).Unix())), int((end-from)/time.Second)
			p["s3_key"] = fmt.Sprintf("dev/%s/%d", m.room, m.start.Add(from).UnixMilli())
		})
	}
	if m.spec.Transcript {
		tr, from := newUUID(), 12*time.Second
		add(from, events.TypeTranscriptStarted, func(p map[string]any) {
			p["id"], p["room_name"], p["mtg_session_id"] = tr, m.room, m.id
		})
		add(end-250*time.Millisecond, events.TypeTranscriptReadyToDownload, func(p map[string]any) {
			p["id"], p["room_id"], p["mtg_session_id"] = tr, m.room, m.id
			p["duration"], p["participant_minutes"] = seconds(end-from), math.Round(float64(participants)*(end-from).Minutes()*100)/100
		})
	}
}

// seconds returns d in seconds, to the millisecond.
func seconds(d time.Duration) float64 { return float64(d.Milliseconds()) / 1000 }

func ownerPermissions() map[string]any {
	return map[string]any{"hasPresence": true, "canSend": true, "canReceive": map[string]any{"base": true}, "canAdmin": true}
}

func guestPermissions() map[string]any {
	return map[string]any{"hasPresence": true, "canSend": []string{"video", "audio"}, "canReceive": map[string]any{"base": true}, "canAdmin": false}
}
