package inboxtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/eventstest"
	"github.com/dailywebhooks/events/inbox"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// TestOrder is the conformance suite of a store that orders deliveries
// (inbox.Config.OrderKey): each room's deliveries handed over one at a
// time in event_ts order, whatever order they arrive in and whoever fails;
// a failing delivery holding its room until it is handled or dead; late
// deliveries handed over, and said to be late; deliveries without a room
// handled as they come. newStore returns an Opener of a new, empty store.
func TestOrder(t *testing.T, newStore func(t *testing.T) Opener) {
	t.Run("rooms in order", func(t *testing.T) { testOrderRooms(t, newStore(t), 0) })
	t.Run("rooms in order while a quarter fails", func(t *testing.T) { testOrderRooms(t, newStore(t), 4) })
	t.Run("a dead delivery releases its room", func(t *testing.T) { testOrderDead(t, newStore(t)) })
	t.Run("late deliveries", func(t *testing.T) { testOrderLate(t, newStore(t)) })
}

// An Arrival is one delivery handed to an app that records its order.
type Arrival struct {
	ID, Room string
	TS       float64
	At       time.Time
	// InFlight counts the deliveries of the room being handled, this one
	// included.
	InFlight int
	Late     bool
	Attempt  int
}

// A Recorder is an app that records what it is handed, room by room, and
// fails as Fail says.
type Recorder struct {
	mu       sync.Mutex
	arrivals []Arrival
	inFlight map[string]int
	// Fail, when not nil, fails the attempts for which it returns an
	// error.
	Fail func(a Arrival) error
	// Work, when not nil, runs while the delivery is in flight.
	Work    func()
	changed chan struct{}
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder {
	return &Recorder{inFlight: map[string]int{}, changed: make(chan struct{})}
}

// Handle is an inbox.Config.Handle.
func (r *Recorder) Handle(ctx context.Context, ev events.Event) error {
	a := Arrival{ID: ev.Meta().ID, Room: inbox.ByRoom(ev), TS: float64(ev.Meta().EventTS.Time().UnixMicro()) / 1e6,
		At: time.Now(), Late: inbox.Late(ctx), Attempt: inbox.Attempt(ctx)}
	r.mu.Lock()
	r.inFlight[a.Room]++
	a.InFlight = r.inFlight[a.Room]
	fail := r.Fail
	r.mu.Unlock()
	if r.Work != nil {
		r.Work()
	}
	var err error
	if fail != nil {
		err = fail(a)
	}
	r.mu.Lock()
	r.inFlight[a.Room]--
	if err == nil {
		r.arrivals = append(r.arrivals, a)
		close(r.changed)
		r.changed = make(chan struct{})
	}
	r.mu.Unlock()
	return err
}

// Arrivals returns the deliveries handled so far, in the order they were.
func (r *Recorder) Arrivals() []Arrival {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.arrivals)
}

// Wait waits until n deliveries were handled, or fails t after timeout.
func (r *Recorder) Wait(t testing.TB, n int, timeout time.Duration) []Arrival {
	t.Helper()
	got, ok := r.waitFor(n, timeout)
	if !ok {
		t.Fatalf("%d deliveries handled after %v, want %d", len(got), timeout, n)
	}
	return got
}

// waitFor waits until n deliveries were handled, and returns them, or
// those handled after timeout and false.
func (r *Recorder) waitFor(n int, timeout time.Duration) ([]Arrival, bool) {
	deadline := time.After(timeout)
	for {
		r.mu.Lock()
		got, changed := len(r.arrivals), r.changed
		r.mu.Unlock()
		if got >= n {
			return r.Arrivals(), true
		}
		select {
		case <-changed:
		case <-deadline:
			return r.Arrivals(), false
		}
	}
}

// waitHandled waits until n deliveries were handled by rec, or fails t
// after timeout, with the deliveries of in not yet handled and why they
// wait.
func waitHandled(t testing.TB, in *inbox.Inbox, rec *Recorder, n int, timeout time.Duration) []Arrival {
	t.Helper()
	got, ok := rec.waitFor(n, timeout)
	if ok {
		return got
	}
	handled := map[string]bool{}
	for _, a := range got {
		handled[a.ID] = true
	}
	left, err := in.List(context.Background(), inbox.Filter{})
	for _, e := range left {
		if handled[e.Delivery.ID] {
			continue
		}
		t.Logf("not handled: job %d %s room %q ts %v: %s, %d attempts, %s %s", e.JobID, e.Delivery.ID, e.Delivery.Order, e.Delivery.TS, e.State, e.Attempts, e.Waits(), e.LastError())
	}
	t.Fatalf("%d deliveries handled after %v, want %d (listing: %v)", len(got), timeout, n, err)
	return nil
}

// CheckOrder reports, through t, every room whose arrivals are out of
// event_ts order, and every arrival handled beside a room-mate. Only
// successful arrivals count.
func CheckOrder(t testing.TB, arrivals []Arrival) {
	t.Helper()
	last := map[string]Arrival{}
	for _, a := range arrivals {
		if a.Room == "" {
			continue
		}
		if a.InFlight != 1 {
			t.Errorf("%s of room %s handled with %d of its room in flight", a.ID, a.Room, a.InFlight)
		}
		if p, ok := last[a.Room]; ok && p.TS > a.TS && !a.Late {
			t.Errorf("room %s: %s (event_ts %.3f) handled after %s (event_ts %.3f), and not late", a.Room, a.ID, a.TS, p.ID, p.TS)
		}
		last[a.Room] = a
	}
}

// roomEvent returns a participant.joined delivery of room with event ID id
// stamped ts; room "" makes an event without one (batch-processor.job-finished).
func roomEvent(id, room string, ts float64) []byte {
	if room == "" {
		return fmt.Appendf(nil, `{"version":"1.0.0","type":"batch-processor.job-finished","id":%q,"event_ts":%.3f,"payload":{"id":"b","status":"finished"}}`, id, ts)
	}
	return fmt.Appendf(nil, `{"version":"1.0.0","type":"participant.joined","id":%q,"event_ts":%.3f,"payload":{"room":%q,"session_id":%q,"user_id":"u","joined_at":%.3f}}`, id, ts, room, id, ts-0.1)
}

// send posts body to in signed, and fails t unless it is stored.
func (k *kit) send(t testing.TB, in http.Handler, body []byte) {
	r, err := eventstest.Signer{Secret: k.secret}.NewRequest("/hook", body)
	if err != nil {
		t.Error(err)
		return
	}
	w := httptest.NewRecorder()
	in.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Errorf("POST = %d", w.Code)
	}
}

// orderConfig returns the config of an ordered inbox that hands to rec.
func (k *kit) orderConfig(t *testing.T, rec *Recorder, workers int, window time.Duration) inbox.Config {
	cfg := k.config(t, workers)
	cfg.Handle, cfg.OrderKey, cfg.OrderWindow, cfg.MaxAttempts = rec.Handle, inbox.ByRoom, window, 3
	return cfg
}

// testOrderRooms sends 12 rooms of 6 events each, shuffled and sent
// concurrently, and 6 events without a room; every
// failEvery-th first attempt fails (0: none does).
func testOrderRooms(t *testing.T, open Opener, failEvery int) {
	k, rec := newKit(t), NewRecorder()
	rec.Work = func() { time.Sleep(2 * time.Millisecond) } // the app's work, during which a room-mate could overlap
	if failEvery > 0 {
		var mu sync.Mutex
		n := 0
		rec.Fail = func(a Arrival) error {
			mu.Lock()
			defer mu.Unlock()
			if n++; a.Attempt == 1 && n%failEvery == 0 {
				return errors.New("the app fails a first attempt")
			}
			return nil
		}
	}
	const window = time.Second
	in := open(t, k.orderConfig(t, rec, 8, window))
	sends := roomSends(12, 6)
	spread := k.sendAll(t, in, sends)
	got := waitHandled(t, in, rec, len(sends), 30*time.Second)
	CheckOrder(t, got)
	checkOnTime(t, got, spread, window)
	seen := map[string]int{}
	for _, a := range got {
		seen[a.ID]++
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s handled %d times", id, n)
		}
	}
}

// A send is a delivery of a room, "" for none.
type send struct {
	room string
	body []byte
}

// roomSends returns rooms × each deliveries and 6 without a room, in a
// random order.
func roomSends(rooms, each int) []send {
	var sends []send
	for r := range rooms {
		for e := range each {
			room := fmt.Sprint("room-", r)
			sends = append(sends, send{room, roomEvent(fmt.Sprintf("r%d-e%d", r, e), room, 1700000000+float64(e))})
		}
	}
	for e := range 6 {
		sends = append(sends, send{"", roomEvent(fmt.Sprint("roomless-", e), "", 1700000000+float64(e))})
	}
	rand.Shuffle(len(sends), func(i, j int) { sends[i], sends[j] = sends[j], sends[i] })
	return sends
}

// sendAll sends every one of sends at once, as Daily sends a busy
// meeting's, and returns, by room, its first send's start and its last
// answer.
func (k *kit) sendAll(t *testing.T, in http.Handler, sends []send) map[string][2]time.Time {
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		spread = map[string][2]time.Time{}
	)
	for _, s := range sends {
		wg.Go(func() {
			start := time.Now()
			k.send(t, in, s.body)
			mu.Lock()
			defer mu.Unlock()
			sp, ok := spread[s.room]
			if !ok || start.Before(sp[0]) {
				sp[0] = start
			}
			sp[1] = time.Now()
			spread[s.room] = sp
		})
	}
	wg.Wait()
	return spread
}

// checkOnTime fails t for each late arrival of a room whose deliveries were
// all stored within window of each other: between the first send's start
// and the last answer (spread, by room). A room sent over longer, as on a
// loaded machine, may rightly have late deliveries; CheckOrder checks it.
func checkOnTime(t testing.TB, arrivals []Arrival, spread map[string][2]time.Time, window time.Duration) {
	t.Helper()
	strict := 0
	for room, sp := range spread {
		if room != "" && sp[1].Sub(sp[0]) < window-50*time.Millisecond {
			strict++
		}
	}
	for _, a := range arrivals {
		// The margin covers the millisecond of the stored times.
		if sp := spread[a.Room]; a.Late && sp[1].Sub(sp[0]) < window-50*time.Millisecond {
			t.Errorf("%s handed over late, though its room arrived within %v", a.ID, sp[1].Sub(sp[0]))
		}
	}
	t.Logf("%d rooms arrived within the window, and none of theirs was late", strict)
}

// testOrderDead fails one delivery of a room always: its room waits behind
// it, shows as blocked, and goes on, in order, once it is dead.
func testOrderDead(t *testing.T, open Opener) {
	k, rec := newKit(t), NewRecorder()
	release := make(chan struct{})
	rec.Fail = func(a Arrival) error {
		if a.ID != "d-1" {
			return nil
		}
		if a.Attempt == 2 {
			<-release // the room is seen blocked meanwhile
		}
		return errors.New("the app always fails d-1")
	}
	in := open(t, k.orderConfig(t, rec, 4, -1))
	for e := range 5 {
		k.send(t, in, roomEvent(fmt.Sprint("d-", e), "dead-room", 1700000000+float64(e)))
	}
	rec.Wait(t, 1, 20*time.Second)
	var st inbox.Stats
	for deadline := time.Now().Add(20 * time.Second); st.RoomsBlocked != 1; time.Sleep(20 * time.Millisecond) {
		var err error
		if st, err = in.Stats(context.Background()); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("Stats = %+v, want 1 blocked room", st)
		}
	}
	if st.BlockedSince.IsZero() {
		t.Errorf("Stats = %+v: a blocked room without its oldest", st)
	}
	held, err := in.List(context.Background(), inbox.Filter{States: []inbox.State{inbox.StatePending}})
	if err != nil || len(held) == 0 || held[0].HeldBehind == "" {
		t.Errorf("List of the held = %+v, %v; want them held behind d-1", held, err)
	}
	close(release)
	got := rec.Wait(t, 4, 30*time.Second)
	CheckOrder(t, got)
	if ids := arrivalIDs(got); !slices.Equal(ids, []string{"d-0", "d-2", "d-3", "d-4"}) {
		t.Errorf("handled %v, want d-0 d-2 d-3 d-4", ids)
	}
	waitState(t, in, inbox.StateDead, 1)
	// Replayed, the dead one is handed over late.
	rec.mu.Lock()
	rec.Fail = nil
	rec.mu.Unlock()
	if n, err := in.Replay(context.Background(), "d-1"); n != 1 || err != nil {
		t.Fatalf("Replay = %d, %v", n, err)
	}
	if a := rec.Wait(t, 5, 20*time.Second)[4]; a.ID != "d-1" || !a.Late {
		t.Errorf("the replayed delivery arrived as %+v, want d-1 late", a)
	}
}

// testOrderLate sends a room's later event, then, once it is handled, an
// earlier one: handed over anyway, and late.
func testOrderLate(t *testing.T, open Opener) {
	k, rec := newKit(t), NewRecorder()
	in := open(t, k.orderConfig(t, rec, 2, 50*time.Millisecond))
	k.send(t, in, roomEvent("l-2", "late-room", 1700000002))
	rec.Wait(t, 1, 20*time.Second)
	k.send(t, in, roomEvent("l-1", "late-room", 1700000001))
	k.send(t, in, roomEvent("l-3", "late-room", 1700000003))
	got := rec.Wait(t, 3, 20*time.Second)
	want := []Arrival{{ID: "l-2"}, {ID: "l-1", Late: true}, {ID: "l-3"}}
	for i, a := range got {
		if a.ID != want[i].ID || a.Late != want[i].Late {
			t.Errorf("arrival %d = %s late %v, want %s late %v", i, a.ID, a.Late, want[i].ID, want[i].Late)
		}
	}
}

// arrivalIDs returns the IDs of arrivals.
func arrivalIDs(arrivals []Arrival) []string {
	ids := make([]string, len(arrivals))
	for i, a := range arrivals {
		ids[i] = a.ID
	}
	return ids
}

// hourly retries an hour later.
type hourly struct{}

func (hourly) NextRetry(*rivertype.JobRow) time.Time { return time.Now().Add(time.Hour) }

// A RiverJobs is what TestOrderRiverUI does through a store's River
// client, as River's UI does: *river.Client[TTx] is one.
type RiverJobs interface {
	JobCancel(ctx context.Context, id int64) (*rivertype.JobRow, error)
	JobGet(ctx context.Context, id int64) (*rivertype.JobRow, error)
	JobRetry(ctx context.Context, id int64) (*rivertype.JobRow, error)
	Subscribe(kinds ...river.EventKind) (<-chan *river.Event, func())
}

// TestOrderRiverUI is the suite of what River's UI can do to an ordered
// room, through the River client that jobs returns of an inbox: cancel its
// failing delivery, and retry a waiting one out of order. newStore returns
// an Opener of a new, empty store.
func TestOrderRiverUI(t *testing.T, newStore func(t *testing.T) Opener, jobs func(in *inbox.Inbox) RiverJobs) {
	t.Run("a cancelled delivery lets its room go on", func(t *testing.T) { testOrderCancel(t, newStore(t), jobs) })
	t.Run("a retried delivery waits for the one in flight", func(t *testing.T) { testOrderRetry(t, newStore(t), jobs) })
}

// testOrderCancel fails a room's first delivery, whose next attempt is an
// hour away, and cancels it: within a sweep, the room goes on, in order,
// although no completion sent it on.
func testOrderCancel(t *testing.T, open Opener, jobs func(in *inbox.Inbox) RiverJobs) {
	k, rec := newKit(t), NewRecorder()
	rec.Fail = func(a Arrival) error {
		if a.ID == "c-0" {
			return errors.New("the app fails c-0")
		}
		return nil
	}
	cfg := k.orderConfig(t, rec, 4, -1)
	cfg.RetryPolicy = hourly{}
	in := open(t, cfg)
	for e := range 3 {
		k.send(t, in, roomEvent(fmt.Sprint("c-", e), "cancel-room", 1700000000+float64(e)))
	}
	ctx := context.Background()
	var st inbox.Stats
	for deadline := time.Now().Add(20 * time.Second); st.RoomsBlocked != 1; time.Sleep(20 * time.Millisecond) {
		var err error
		if st, err = in.Stats(ctx); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("Stats = %+v, want the room blocked behind c-0", st)
		}
	}
	head, err := in.List(ctx, inbox.Filter{IDs: []string{"c-0"}})
	if err != nil || len(head) != 1 {
		t.Fatalf("List c-0 = %+v, %v", head, err)
	}
	if _, err := jobs(in).JobCancel(ctx, head[0].JobID); err != nil {
		t.Fatal(err)
	}
	got := waitHandled(t, in, rec, 2, 10*time.Second)
	if ids := arrivalIDs(got); !slices.Equal(ids, []string{"c-1", "c-2"}) {
		t.Errorf("handled %v after c-0 was cancelled, want c-1 c-2", ids)
	}
}

// testOrderRetry holds a room's first delivery in flight and retries a
// waiting room-mate: the room-mate is snoozed rather than handed over
// beside the first, and every delivery of the room is then handled, one at
// a time.
func testOrderRetry(t *testing.T, open Opener, jobs func(in *inbox.Inbox) RiverJobs) {
	k, rec := newKit(t), NewRecorder()
	started, hold := make(chan struct{}), make(chan struct{})
	rec.Fail = func(a Arrival) error {
		if a.ID == "u-0" && a.Attempt == 1 {
			close(started)
			<-hold
		}
		return nil
	}
	in := open(t, k.orderConfig(t, rec, 4, -1))
	for e := range 3 {
		k.send(t, in, roomEvent(fmt.Sprint("u-", e), "retry-room", 1700000000+float64(e)))
	}
	select {
	case <-started:
	case <-time.After(20 * time.Second):
		t.Fatal("u-0 was never handed over")
	}
	ctx := context.Background()
	waiting, err := in.List(ctx, inbox.Filter{IDs: []string{"u-2"}})
	if err != nil || len(waiting) != 1 {
		t.Fatalf("List u-2 = %+v, %v", waiting, err)
	}
	id := waiting[0].JobID
	if _, err := jobs(in).JobRetry(ctx, id); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		job, err := jobs(in).JobGet(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var m struct {
			Snoozes int `json:"snoozes"`
		}
		if json.Unmarshal(job.Metadata, &m) == nil && m.Snoozes > 0 {
			break
		}
		if time.Now().After(deadline) {
			close(hold)
			t.Fatal("u-2, retried, was never snoozed")
		}
	}
	close(hold)
	got := waitHandled(t, in, rec, 3, 20*time.Second)
	for _, a := range got {
		if a.InFlight > 1 {
			t.Errorf("%s handed over beside a room-mate", a.ID)
		}
	}
	if ids := arrivalIDs(got); len(ids) != 3 || ids[0] != "u-0" {
		t.Errorf("handled %v, want u-0 first, then u-1 and u-2", ids)
	}
}
