package main

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/eventstest"
	"github.com/dailywebhooks/events/inbox"
	"github.com/dailywebhooks/events/inbox/inboxtest"
)

// An orderArrival is one forward that an orderApp took.
type orderArrival struct {
	id, room string
	ts       float64
	late     bool
	attempt  int
}

// An orderApp is the app of an ordered listen: it records each forward it
// takes, and how many of its room were in flight at once, across every
// listen that forwards to it.
type orderApp struct {
	mu       sync.Mutex
	arrivals []orderArrival
	inFlight map[string]int
	// overlaps counts forwards that arrived while a room-mate was in
	// flight.
	overlaps int
	// fail, when not nil, fails the forwards for which it returns true.
	fail func(a orderArrival) bool
	// work is how long the app takes per forward.
	work time.Duration
	// hang, when not nil, keeps the forwards for which it returns true
	// unanswered until their sender goes away.
	hang func(a orderArrival) bool
	// onArrival, when not nil, is told of each forward taken.
	onArrival func(n int)
	srv       *httptest.Server
}

// headersKey is the context key of a forward's headers.
type headersKey struct{}

func newOrderApp(t *testing.T) *orderApp {
	t.Helper()
	a := &orderApp{inFlight: map[string]int{}}
	v, err := events.NewVerifier(events.VerifierConfig{Secrets: []string{secret}})
	if err != nil {
		t.Fatal(err)
	}
	h := &events.Handler{Verifier: v, OnError: func(*http.Request, error) {}, Handle: a.handle}
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), headersKey{}, r.Header)))
	}))
	t.Cleanup(a.srv.Close)
	return a
}

// handle takes one forward.
func (a *orderApp) handle(ctx context.Context, ev events.Event) error {
	hdr := ctx.Value(headersKey{}).(http.Header)
	attempt, _ := strconv.Atoi(hdr.Get(headerAttempt))
	ar := orderArrival{id: ev.Meta().ID, room: inbox.ByRoom(ev), ts: float64(ev.Meta().EventTS.Time().UnixMicro()) / 1e6,
		late: hdr.Get(headerLate) == "true", attempt: attempt}
	a.mu.Lock()
	if ar.room != "" {
		a.inFlight[ar.room]++
		if a.inFlight[ar.room] > 1 {
			a.overlaps++
		}
	}
	a.mu.Unlock()
	if a.work > 0 {
		time.Sleep(a.work) // the app's own work, during which a room-mate could overlap
	}
	failed := a.fail != nil && a.fail(ar)
	if a.hang != nil && a.hang(ar) {
		<-ctx.Done()
		failed = true
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if ar.room != "" {
		a.inFlight[ar.room]--
	}
	if failed {
		return fmt.Errorf("the app fails %s", ar.id)
	}
	a.arrivals = append(a.arrivals, ar)
	if a.onArrival != nil {
		a.onArrival(len(a.arrivals))
	}
	return nil
}

// taken returns the forwards taken so far, in the order they were.
func (a *orderApp) taken() []orderArrival {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.arrivals)
}

// waitIDs waits until every one of ids was taken, or fails t.
func (a *orderApp) waitIDs(t *testing.T, ids []string, timeout time.Duration) []orderArrival {
	t.Helper()
	waitFor(t, timeout, fmt.Sprintf("the %d events reached the app", len(ids)), func() bool {
		seen := map[string]bool{}
		for _, ar := range a.taken() {
			seen[ar.id] = true
		}
		for _, id := range ids {
			if !seen[id] {
				return false
			}
		}
		return true
	})
	return a.taken()
}

// checkRoomOrder fails t for each room whose events were first taken out of
// event_ts order, and for each forward taken beside a room-mate, and
// returns how many forwards repeated an event.
func (a *orderApp) checkRoomOrder(t *testing.T, arrivals []orderArrival) (repeats int) {
	t.Helper()
	seen, last := map[string]bool{}, map[string]orderArrival{}
	for _, ar := range arrivals {
		if seen[ar.id] {
			repeats++
			continue
		}
		seen[ar.id] = true
		if ar.room == "" {
			continue
		}
		if prev, ok := last[ar.room]; ok && prev.ts > ar.ts && !ar.late {
			t.Errorf("room %s: %s (event_ts %.3f) after %s (%.3f), and not said to be late", ar.room, ar.id, ar.ts, prev.id, prev.ts)
		}
		last[ar.room] = ar
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.overlaps > 0 {
		t.Errorf("%d forwards arrived while a room-mate was in flight", a.overlaps)
	}
	return repeats
}

// roomDelivery returns a participant.joined of room stamped ts, or a
// batch-processor.job-finished, which has no room, for room "".
func roomDelivery(id, room string, ts float64) []byte {
	if room == "" {
		return fmt.Appendf(nil, `{"version":"1.0.0","type":"batch-processor.job-finished","id":%q,"event_ts":%.3f,"payload":{"id":"b","status":"finished"}}`, id, ts)
	}
	return fmt.Appendf(nil, `{"version":"1.0.0","type":"participant.joined","id":%q,"event_ts":%.3f,"payload":{"room":%q,"user_name":"u","session_id":%q,"joined_at":%.3f,"owner":false}}`, id, ts, room, id, ts-0.1)
}

// sendRooms sends rooms × each events to url, each room's concurrently at
// random moments within spread, and returns their IDs: event e of room r
// is "r<r>-e<e>", stamped e seconds after the first. sent has, by room,
// its first send's start and its last answer.
func sendRooms(t *testing.T, url string, rooms, each int, spread time.Duration) (ids []string, sent map[string][2]time.Time) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	var (
		wg sync.WaitGroup
		mu sync.Mutex
	)
	sent = map[string][2]time.Time{}
	for r := range rooms {
		for e := range each {
			id, room := fmt.Sprintf("r%d-e%d", r, e), fmt.Sprint("room-", r)
			ids = append(ids, id)
			body := roomDelivery(id, room, 1708972000+float64(e))
			wg.Add(1)
			time.AfterFunc(rand.N(spread+1), func() {
				defer wg.Done()
				start := time.Now()
				if code := post(client, url, body); code != http.StatusOK {
					t.Errorf("POST %s = %d", id, code)
				}
				mu.Lock()
				defer mu.Unlock()
				sp, ok := sent[room]
				if !ok || start.Before(sp[0]) {
					sp[0] = start
				}
				sp[1] = time.Now()
				sent[room] = sp
			})
		}
	}
	wg.Wait()
	return ids, sent
}

// fails1In4 fails the first attempt of a quarter of the events, chosen by
// their ID.
func fails1In4(a orderArrival) bool {
	h := fnv.New32a()
	h.Write([]byte(a.id))
	return a.attempt == 1 && h.Sum32()%4 == 0
}

// TestListenOrderUsage checks that a wrong -order or -order-window, or an
// -order-window without -order room, which would do nothing, is a usage
// error.
func TestListenOrderUsage(t *testing.T) {
	for _, args := range [][]string{
		{"-order", "participant"},
		{"-order", "Room"},
		{"-order", "room", "-order-window", "-1s"},
		{"-order-window", "2s"},
	} {
		code, _, stderr := runCmd(t, map[string]string{"DAILY_WEBHOOK_SECRET": secret}, "", append([]string{"listen", "-db", t.TempDir() + "/x.db"}, args...)...)
		if code != 2 {
			t.Errorf("listen %v: exit %d, want 2 (%s)", args, code, stderr)
		}
	}
}

// TestListenOrderRoom runs listen -order room on SQLite, forwarding to an
// app that fails a quarter of first attempts: 30 rooms of 8 events, each
// room's sent shuffled within 300 ms, reach the app once each, each room
// in event_ts order, never two of a room at once; events without a room
// are forwarded; an event of a room arriving after a room-mate stamped
// later was forwarded is forwarded too, with X-Dailyhook-Late: true, and
// counted once in dailyhook_events_late_total though it failed once.
func TestListenOrderRoom(t *testing.T) {
	a := newOrderApp(t)
	a.work = 2 * time.Millisecond
	a.fail = func(ar orderArrival) bool { // the late one fails once: counted once
		return fails1In4(ar) || ar.id == "r0-early" && ar.attempt == 1
	}
	admin := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	p := startProcess(t, "-db", t.TempDir()+"/order.db", "-forward-to", a.srv.URL, "-order", "room", "-order-window", "1s",
		"-workers", "10", "-retry-base", "50ms", "-retry-max", "200ms", "-max-attempts", "5", "-admin", admin)
	ids, sent := sendRooms(t, p.url, 30, 8, 300*time.Millisecond)
	client := &http.Client{Timeout: 10 * time.Second}
	for i := range 5 {
		id := fmt.Sprint("roomless-", i)
		ids = append(ids, id)
		if code := post(client, p.url, roomDelivery(id, "", 1708972000+float64(i))); code != http.StatusOK {
			t.Fatalf("POST %s = %d", id, code)
		}
	}
	got := a.waitIDs(t, ids, 60*time.Second)
	if repeats := a.checkRoomOrder(t, got); repeats > 0 {
		t.Errorf("%d events reached the app twice", repeats)
	}
	for _, ar := range got {
		// A room whose deliveries were all stored within the window has
		// none late; one sent over longer, on a loaded machine, may.
		if sp := sent[ar.room]; ar.late && sp[1].Sub(sp[0]) < 950*time.Millisecond {
			t.Errorf("%s forwarded late, though its room arrived within %v", ar.id, sp[1].Sub(sp[0]))
		}
	}
	// Stamped before all of room-0's, after they were forwarded: late.
	if code := post(client, p.url, roomDelivery("r0-early", "room-0", 1708971000)); code != http.StatusOK {
		t.Fatalf("POST r0-early = %d", code)
	}
	got = a.waitIDs(t, []string{"r0-early"}, 30*time.Second)
	if last := got[len(got)-1]; last.id != "r0-early" || !last.late {
		t.Errorf("last forward %+v, want r0-early with X-Dailyhook-Late: true", last)
	}
	late := 0
	for _, ar := range got {
		if ar.late {
			late++
		}
	}
	_, metrics := get(t, "http://"+admin+"/metrics")
	if got := metricValue(metrics, `dailyhook_events_late_total{type="participant.joined"}`); got != float64(late) {
		t.Errorf("dailyhook_events_late_total{type=\"participant.joined\"} = %v, want the %d forwarded late", got, late)
	}
	if err := p.term(); err != nil {
		t.Errorf("listen after SIGTERM: %v", err)
	}
}

// TestListenOrderDead fails one event of a room always: it is
// dead-lettered, and its room's later events all arrive, in order.
func TestListenOrderDead(t *testing.T) {
	a := newOrderApp(t)
	a.fail = func(ar orderArrival) bool { return ar.id == "r0-e2" }
	db := t.TempDir() + "/order.db"
	p := startProcess(t, "-db", db, "-forward-to", a.srv.URL, "-order", "room", "-order-window", "1s",
		"-workers", "4", "-retry-base", "20ms", "-retry-max", "50ms", "-max-attempts", "3")
	ids, _ := sendRooms(t, p.url, 1, 6, 100*time.Millisecond)
	ids = slices.DeleteFunc(ids, func(id string) bool { return id == "r0-e2" })
	got := a.waitIDs(t, ids, 30*time.Second)
	if repeats := a.checkRoomOrder(t, got); repeats > 0 || len(got) != len(ids) {
		t.Errorf("forwarded %+v, want each of %v once", got, ids)
	}
	waitFor(t, 10*time.Second, "r0-e2 dead", func() bool {
		code, out, _ := runCmd(t, nil, "", "inbox", "list", "-db", db, "-state", "dead")
		return code == 0 && strings.Contains(out, "r0-e2")
	})
	if err := p.term(); err != nil {
		t.Errorf("listen after SIGTERM: %v", err)
	}
}

// TestListenOrderKilled sends 20 rooms of 10 events to listen -order room,
// kills it with SIGKILL after the 100th forward, and starts it again: every
// event arrives, each room in order by first arrival, with at most one
// repeat per room.
func TestListenOrderKilled(t *testing.T) {
	a := newOrderApp(t)
	a.work = 5 * time.Millisecond
	hundredth := make(chan struct{})
	var once sync.Once
	a.onArrival = func(n int) {
		if n >= 100 {
			once.Do(func() { close(hundredth) })
		}
	}
	db := t.TempDir() + "/order.db"
	args := []string{"-db", db, "-forward-to", a.srv.URL, "-order", "room", "-order-window", "300ms", "-workers", "10", "-retry-base", "50ms", "-retry-max", "200ms"}
	p := startProcess(t, args...)
	ids, _ := sendRooms(t, p.url, 20, 10, 300*time.Millisecond)
	killWhen(t, p, hundredth, "the app's 100th event", args)
	got := a.waitIDs(t, ids, 60*time.Second)
	repeats := a.checkRoomOrder(t, got)
	checkOneRepeatPerRoom(t, got)
	t.Logf("%d forwards for %d events: %d repeats after the kill", len(got), len(ids), repeats)
}

// TestListenOrderReplicas runs two listen -order room replicas on one
// PostgreSQL database, and sends each room's events to both: every event
// arrives once, each room in order, never two of a room at once across
// the replicas.
func TestListenOrderReplicas(t *testing.T) {
	pg := inboxtest.StartPostgres(t)
	url := pg.NewDatabase(t)
	a := newOrderApp(t)
	a.fail, a.work = fails1In4, 2*time.Millisecond
	args := []string{"-postgres", url, "-forward-to", a.srv.URL, "-order", "room", "-order-window", "1s", "-workers", "5",
		"-retry-base", "50ms", "-retry-max", "200ms", "-max-attempts", "5"}
	p1 := startProcess(t, args...)
	p2 := startProcess(t, args...)
	client := &http.Client{Timeout: 10 * time.Second}
	var (
		wg  sync.WaitGroup
		ids []string
	)
	for r := range 20 {
		for e := range 6 {
			id := fmt.Sprintf("r%d-e%d", r, e)
			ids = append(ids, id)
			to := []string{p1.url, p2.url}[rand.IntN(2)]
			body := roomDelivery(id, fmt.Sprint("room-", r), 1708972000+float64(e))
			wg.Add(1)
			time.AfterFunc(rand.N(300*time.Millisecond), func() {
				defer wg.Done()
				if code := post(client, to, body); code != http.StatusOK {
					t.Errorf("POST %s = %d", id, code)
				}
			})
		}
	}
	wg.Wait()
	got := a.waitIDs(t, ids, 60*time.Second)
	if repeats := a.checkRoomOrder(t, got); repeats > 0 {
		t.Errorf("%d events reached the app twice", repeats)
	}
	for _, p := range []*process{p1, p2} {
		if err := p.term(); err != nil {
			t.Errorf("listen after SIGTERM: %v", err)
		}
	}
}

// TestDevSessionMeetingsOrdered plays 5 meetings at once with dailyhook dev
// session -meetings -jitter, through the fake Daily, to a listen -order room
// process: every delivery reaches the app, each room's in event_ts order.
func TestDevSessionMeetingsOrdered(t *testing.T) {
	for _, args := range [][]string{{"-meetings", "0"}, {"-meetings", "101"}, {"-jitter", "-1ms"}} {
		if code, _, stderr := runCmd(t, map[string]string{"DAILY_API_KEY": "k"}, "", append([]string{"dev", "session"}, args...)...); code != 2 {
			t.Errorf("dev session %v: exit %d, want 2 (%s)", args, code, stderr)
		}
	}
	a := newOrderApp(t)
	p := startProcess(t, "-db", t.TempDir()+"/order.db", "-forward-to", a.srv.URL, "-order", "room", "-order-window", "1s", "-workers", "10")
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	base := "http://" + addr + "/v1"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	devOut, devErr := &eventstest.Buffer{}, &eventstest.Buffer{}
	go run(ctx, &env{stdout: devOut, stderr: devErr, getenv: func(string) string { return "" }}, []string{"dev", "-addr", addr})
	waitFor(t, 10*time.Second, "dev prints its key", func() bool { return strings.Contains(devOut.String(), "export DAILY_API_KEY=") })
	key := strings.TrimSpace(strings.TrimPrefix(devOut.String(), "export DAILY_API_KEY="))
	vars := map[string]string{"DAILY_API_KEY": key, "DAILY_WEBHOOK_SECRET": secret}
	if code, out, errOut := runCmd(t, vars, "", "webhooks", "create", "-base-url", base, "-url", p.url+"/"); code != 0 {
		t.Fatalf("webhooks create: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut := runCmd(t, vars, "", "dev", "session", "-base-url", base, "-meetings", "5", "-participants", "4", "-knock", "1", "-speed", "2000", "-jitter", "300ms")
	if code != 0 || strings.Count(out, "0 failed") != 5 {
		t.Fatalf("dev session -meetings 5: exit %d\n%s%s", code, out, errOut)
	}
	var ids []string
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) == 3 && f[2] == "delivered" {
			ids = append(ids, f[1])
		}
	}
	got := a.waitIDs(t, ids, 30*time.Second)
	if repeats := a.checkRoomOrder(t, got); repeats > 0 {
		t.Errorf("%d events reached the app twice", repeats)
	}
	rooms := map[string]bool{}
	for _, ar := range got {
		rooms[ar.room] = true
	}
	if len(rooms) < 5 {
		t.Errorf("%d rooms, want the 5 meetings' at least", len(rooms))
	}
}

// TestInboxListWaits stores a room's events with a store-only listen
// -order room: dailyhook inbox list and show say why each but the first
// waits.
func TestInboxListWaits(t *testing.T) {
	db := t.TempDir() + "/order.db"
	p := startProcess(t, "-db", db, "-order", "room", "-order-window", "0")
	client := &http.Client{Timeout: 10 * time.Second}
	for e := range 3 {
		id := fmt.Sprint("r0-e", e)
		if code := post(client, p.url, roomDelivery(id, "room-0", 1708972000+float64(e))); code != http.StatusOK {
			t.Fatalf("POST %s = %d", id, code)
		}
	}
	code, out, errOut := runCmd(t, nil, "", "inbox", "list", "-db", db)
	if code != 0 || strings.Count(out, "held behind r0-e0 in room room-0") != 2 {
		t.Errorf("inbox list: exit %d, want r0-e1 and r0-e2 held behind r0-e0\n%s%s", code, out, errOut)
	}
	code, out, errOut = runCmd(t, nil, "", "inbox", "show", "-db", db, "r0-e2")
	if code != 0 || !strings.Contains(out, "waits       held behind r0-e0 in room room-0\n") {
		t.Errorf("inbox show r0-e2: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = runCmd(t, nil, "", "inbox", "list", "-db", db, "-json")
	if code != 0 || strings.Count(out, `"waits":"held behind r0-e0 in room room-0"`) != 2 {
		t.Errorf("inbox list -json: exit %d\n%s", code, out)
	}
}

// TestListenOrderReplicaKilled SIGKILLs a listen -order room replica on
// PostgreSQL while it forwards a room's second event, and starts another:
// the other rooms go on at once, and the killed one's room once River's
// rescuer retries the event in flight (RescueAfter: -forward-timeout plus
// 20 s), in order.
func TestListenOrderReplicaKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for River's rescuer")
	}
	url := inboxtest.StartPostgres(t).NewDatabase(t)
	a := newOrderApp(t)
	hung := make(chan struct{})
	var once sync.Once
	a.hang = func(ar orderArrival) bool {
		if ar.id != "r0-e1" || ar.attempt != 1 {
			return false
		}
		once.Do(func() { close(hung) })
		return true
	}
	args := []string{"-postgres", url, "-forward-to", a.srv.URL, "-order", "room", "-order-window", "200ms", "-workers", "4", "-forward-timeout", "5s"}
	first := startProcess(t, args...)
	ids, _ := sendRooms(t, first.url, 5, 4, 100*time.Millisecond)
	killed := killWhen(t, first, hung, "r0-e1's forward", args)
	got := a.waitIDs(t, ids, 150*time.Second)
	repeats := a.checkRoomOrder(t, got)
	checkOneRepeatPerRoom(t, got)
	t.Logf("every event arrived %v after the kill, %d repeated", time.Since(killed).Round(time.Second), repeats)
}

// killWhen SIGKILLs p once ready is closed (or fails t after a minute,
// naming what never came), starts listen again with args, and returns
// when p was killed.
func killWhen(t *testing.T, p *process, ready <-chan struct{}, what string, args []string) time.Time {
	t.Helper()
	select {
	case <-ready:
	case <-time.After(time.Minute):
		t.Fatalf("%s never came", what)
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.cmd.Wait()
	killed := time.Now()
	startProcess(t, args...)
	return killed
}

// checkOneRepeatPerRoom fails t for each room of which more than one event
// reached the app twice: after a kill, only the one in flight may.
func checkOneRepeatPerRoom(t *testing.T, arrivals []orderArrival) {
	t.Helper()
	seen, perRoom := map[string]bool{}, map[string]int{}
	for _, ar := range arrivals {
		if seen[ar.id] {
			perRoom[ar.room]++
		}
		seen[ar.id] = true
	}
	for room, n := range perRoom {
		if n > 1 {
			t.Errorf("room %s: %d events repeated after a kill, want at most the one in flight", room, n)
		}
	}
}
