package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/eventstest"
	"github.com/dailywebhooks/events/inbox"
	"github.com/dailywebhooks/events/inbox/inboxtest"
	"github.com/dailywebhooks/events/inbox/sqlite"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// get returns the status and body of GET url.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// metricValue returns the value of the series named line in a Prometheus
// text exposition, or -1.
func metricValue(exposition, series string) float64 {
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` ([0-9.e+-]+)$`)
	m := re.FindStringSubmatch(exposition)
	if m == nil {
		return -1
	}
	var v float64
	fmt.Sscan(m[1], &v)
	return v
}

// TestListenAdmin runs listen with an admin listener and an app that fails
// one event type, sends accepted, refused and forged deliveries, and reads
// what the admin endpoints say of them.
func TestListenAdmin(t *testing.T) {
	var mu sync.Mutex
	var headers []http.Header
	a := newApp(t, 0)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		headers = append(headers, r.Header.Clone())
		mu.Unlock()
		if strings.HasPrefix(r.Header.Get(headerEventID), "rec-") {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		a.srv.Config.Handler.ServeHTTP(w, r)
	}))
	defer app.Close()
	adminLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	admin := "http://" + adminLn.Addr().String()
	l := startListen(t, listenConfig{db: filepath.Join(t.TempDir(), "l.db"), forwardTo: app.URL, maxAttempts: 1, adminLn: adminLn})
	for _, id := range []string{"meet-1", "meet-2"} {
		if got := post(http.DefaultClient, l.url, typedDelivery("meeting.started", id)); got != 200 {
			t.Fatalf("POST %s = %d", id, got)
		}
	}
	if got := post(http.DefaultClient, l.url, typedDelivery("recording.started", "rec-1")); got != 200 {
		t.Fatalf("POST rec-1 = %d", got)
	}
	forged, _ := eventstest.Signer{Secret: "c2Vjb25kIHNlY3JldCBmb3Igcm90YXRpb24gdGVzdHM="}.NewRequest(l.url, typedDelivery("meeting.started", "forged"))
	if resp, err := http.DefaultClient.Do(forged); err != nil || resp.StatusCode != 401 {
		t.Fatalf("forged delivery: %v %v", resp, err)
	}
	if resp, err := http.Get(l.url); err != nil || resp.StatusCode != 405 {
		t.Fatalf("GET: %v %v", resp, err)
	}
	var metrics string
	waitFor(t, 10*time.Second, "the metrics show every outcome", func() bool {
		_, metrics = get(t, admin+"/metrics")
		return metricValue(metrics, `dailyhook_inbox_jobs{state="dead"}`) == 1 && metricValue(metrics, `dailyhook_inbox_jobs{state="handled"}`) == 2
	})
	for series, want := range map[string]float64{
		`dailyhook_deliveries_total{status="200"}`:                                         3,
		`dailyhook_deliveries_total{status="401"}`:                                         1,
		`dailyhook_deliveries_total{status="405"}`:                                         1,
		`dailyhook_deliveries_total{status="503"}`:                                         0,
		`dailyhook_ack_duration_seconds_count`:                                             3,
		`dailyhook_events_handled_total{outcome="ok",type="meeting.started"}`:              2,
		`dailyhook_events_handled_total{outcome="error",type="recording.started"}`:         1,
		`dailyhook_events_handled_total{outcome="ok",type="transcript.ready-to-download"}`: 0,
		`dailyhook_events_dead_lettered_total{type="recording.started"}`:                   1,
		`dailyhook_events_dead_lettered_total{type="meeting.started"}`:                     0,
		`dailyhook_forward_duration_seconds_count`:                                         3,
		`dailyhook_inbox_jobs{state="pending"}`:                                            0,
		`dailyhook_inbox_jobs{state="running"}`:                                            0,
		`dailyhook_inbox_jobs{state="retrying"}`:                                           0,
		`dailyhook_inbox_oldest_pending_seconds`:                                           0,
		`dailyhook_events_late_total{type="participant.left"}`:                             0,
		`dailyhook_rooms_blocked`:                                                          0,
		`dailyhook_rooms_blocked_oldest_seconds`:                                           0,
	} {
		if got := metricValue(metrics, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	if !strings.Contains(metrics, `dailyhook_ack_duration_seconds_bucket{le="0.001"}`) || !strings.Contains(metrics, `dailyhook_ack_duration_seconds_bucket{le="10"}`) {
		t.Error("the ack histogram's buckets are not 1 ms to 10 s")
	}
	if strings.Contains(metrics, "otel_scope") || strings.Contains(metrics, "target_info") {
		t.Error("the metrics carry the exporter's scope labels or target info")
	}
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/riverui/": 200} {
		if code, _ := get(t, admin+path); code != want {
			t.Errorf("GET %s = %d, want %d", path, code, want)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, h := range headers {
		if !regexp.MustCompile(`^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$`).MatchString(h.Get("Traceparent")) || h.Get(headerEventID) == "" || h.Get(headerAttempt) != "1" {
			t.Errorf("a forwarded request carries traceparent %q, event ID %q, attempt %q", h.Get("Traceparent"), h.Get(headerEventID), h.Get(headerAttempt))
		}
	}
}

// TestReadyzVanished removes the SQLite file under a running listen:
// /readyz answers 503.
func TestReadyzVanished(t *testing.T) {
	adminLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(t.TempDir(), "l.db")
	startListen(t, listenConfig{db: db, adminLn: adminLn})
	admin := "http://" + adminLn.Addr().String()
	waitFor(t, 10*time.Second, "the admin listener answers", func() bool { code, _ := get(t, admin+"/readyz"); return code == 200 })
	for _, suffix := range []string{"", "-wal", "-shm"} {
		removeIfThere(db + suffix)
	}
	if code, body := get(t, admin+"/readyz"); code != 503 || !strings.Contains(body, "removed or replaced") {
		t.Errorf("GET /readyz after the file vanished = %d %q, want 503", code, body)
	}
}

// TestAdminGuard drives the admin listener's guard with the requests of
// a cross-site page, a DNS-rebinding page, a liveness probe and an
// operator, on loopback and wildcard addresses, with and without a
// password.
func TestAdminGuard(t *testing.T) {
	loop := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9090}
	wild := &net.TCPAddr{IP: net.IPv4zero, Port: 9090}
	type req struct {
		method, path, host string
		header             map[string]string
		user, pass         string
	}
	get := func(path, host string) req { return req{method: "GET", path: path, host: host} }
	post := func(host string, h map[string]string) req {
		return req{method: "POST", path: "/riverui/api/jobs/delete", host: host, header: h}
	}
	auth := func(r req, user, pass string) req { r.user, r.pass = user, pass; return r }
	tests := []struct {
		name     string
		addr     *net.TCPAddr
		given    string
		password string
		req      req
		want     int
	}{
		{"loopback: GET by 127.0.0.1", loop, "127.0.0.1:9090", "", get("/metrics", "127.0.0.1:9090"), 200},
		{"loopback: GET by localhost", loop, "127.0.0.1:9090", "", get("/metrics", "localhost:9090"), 200},
		{"loopback: GET by LOCALHOST", loop, "127.0.0.1:9090", "", get("/metrics", "LOCALHOST:9090"), 200},
		{"loopback: GET by [::1]", loop, "127.0.0.1:9090", "", get("/metrics", "[::1]:9090"), 200},
		{"loopback: the name given to -admin", loop, "box.localdomain:9090", "", get("/metrics", "box.localdomain:9090"), 200},
		{"loopback: a rebinding page's Host", loop, "127.0.0.1:9090", "", get("/riverui/api/jobs", "evil.example:9090"), 421},
		{"loopback: another port", loop, "127.0.0.1:9090", "", get("/metrics", "localhost:9091"), 421},
		{"loopback: no port", loop, "127.0.0.1:9090", "", get("/metrics", "localhost"), 421},
		{"loopback: /healthz with any Host", loop, "127.0.0.1:9090", "", get("/healthz", "evil.example"), 200},
		{"loopback: a form from another site", loop, "127.0.0.1:9090", "", post("127.0.0.1:9090", map[string]string{"Origin": "http://evil.example", "Content-Type": "text/plain"}), 403},
		{"loopback: fetch from another site", loop, "127.0.0.1:9090", "", post("127.0.0.1:9090", map[string]string{"Sec-Fetch-Site": "cross-site", "Content-Type": "text/plain"}), 403},
		{"loopback: fetch from a sibling site", loop, "127.0.0.1:9090", "", post("127.0.0.1:9090", map[string]string{"Sec-Fetch-Site": "same-site"}), 403},
		{"loopback: Origin null", loop, "127.0.0.1:9090", "", post("127.0.0.1:9090", map[string]string{"Origin": "null"}), 403},
		{"loopback: same site but other origin", loop, "127.0.0.1:9090", "", post("127.0.0.1:9090", map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "http://127.0.0.1:9091"}), 403},
		{"loopback: River's UI, same origin", loop, "127.0.0.1:9090", "", post("127.0.0.1:9090", map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "http://127.0.0.1:9090", "Content-Type": "text/plain"}), 200},
		{"loopback: typed by the operator", loop, "127.0.0.1:9090", "", post("localhost:9090", map[string]string{"Sec-Fetch-Site": "none"}), 200},
		{"loopback: curl", loop, "127.0.0.1:9090", "", post("localhost:9090", nil), 200},
		{"loopback: cross-site GET is only a read", loop, "127.0.0.1:9090", "", req{method: "GET", path: "/metrics", host: "127.0.0.1:9090", header: map[string]string{"Sec-Fetch-Site": "cross-site"}}, 200},
		{"password on loopback: none given", loop, "127.0.0.1:9090", "s3cret", get("/metrics", "127.0.0.1:9090"), 401},
		{"password on loopback: given", loop, "127.0.0.1:9090", "s3cret", auth(get("/metrics", "127.0.0.1:9090"), "ops", "s3cret"), 200},
		{"password on loopback: /healthz", loop, "127.0.0.1:9090", "s3cret", get("/healthz", "127.0.0.1:9090"), 200},
		{"password on loopback: /readyz", loop, "127.0.0.1:9090", "s3cret", get("/readyz", "127.0.0.1:9090"), 401},
		{"password on loopback: a rebinding page", loop, "127.0.0.1:9090", "s3cret", auth(get("/metrics", "evil.example:9090"), "", "s3cret"), 421},
		{"password: wrong", wild, ":9090", "s3cret", auth(get("/metrics", "10.1.2.3:9090"), "ops", "guess"), 401},
		{"password: a prefix", wild, ":9090", "s3cret", auth(get("/metrics", "10.1.2.3:9090"), "ops", "s3cr"), 401},
		{"password: longer", wild, ":9090", "s3cret", auth(get("/metrics", "10.1.2.3:9090"), "ops", "s3cret!"), 401},
		{"password: any user", wild, ":9090", "s3cret", auth(get("/metrics", "10.1.2.3:9090"), "", "s3cret"), 200},
		{"password on a wildcard: the pod's IP", wild, "0.0.0.0:9090", "s3cret", auth(get("/metrics", "10.1.2.3:9090"), "prometheus", "s3cret"), 200},
		{"password on a wildcard: /healthz from a probe", wild, "0.0.0.0:9090", "s3cret", get("/healthz", "10.1.2.3:9090"), 200},
		{"password on a wildcard: HEAD /healthz", wild, "0.0.0.0:9090", "s3cret", req{method: "HEAD", path: "/healthz", host: "10.1.2.3:9090"}, 200},
		{"password on a wildcard: POST /healthz is not a probe", wild, "0.0.0.0:9090", "s3cret", req{method: "POST", path: "/healthz", host: "10.1.2.3:9090"}, 401},
		{"password: a form from another site, authenticated", wild, ":9090", "s3cret", auth(post("10.1.2.3:9090", map[string]string{"Origin": "http://evil.example", "Content-Type": "application/x-www-form-urlencoded"}), "ops", "s3cret"), 403},
		{"password: River's UI, authenticated", wild, ":9090", "s3cret", auth(post("10.1.2.3:9090", map[string]string{"Origin": "http://10.1.2.3:9090", "Sec-Fetch-Site": "same-origin"}), "ops", "s3cret"), 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reached := false
			next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached = true })
			g := newAdminGuard(tt.addr, tt.given, tt.password, next)
			r := httptest.NewRequest(tt.req.method, "http://"+tt.req.host+tt.req.path, strings.NewReader(`{"job_ids":["1"]}`))
			r.Host = tt.req.host
			for k, v := range tt.req.header {
				r.Header.Set(k, v)
			}
			if tt.req.user != "" || tt.req.pass != "" {
				r.SetBasicAuth(tt.req.user, tt.req.pass)
			}
			w := httptest.NewRecorder()
			g.ServeHTTP(w, r)
			if w.Code != tt.want {
				t.Errorf("status %d, want %d (%s)", w.Code, tt.want, strings.TrimSpace(w.Body.String()))
			}
			if wantReached := tt.want == 200 && tt.req.path != "/healthz"; reached != wantReached {
				t.Errorf("the admin endpoint was reached: %v, want %v", reached, wantReached)
			}
			if tt.want == 401 && w.Header().Get("WWW-Authenticate") == "" {
				t.Error("a 401 without WWW-Authenticate")
			}
		})
	}
	code, _, stderr := runCmd(t, withSecret, "", "listen", "-admin", "0.0.0.0:0")
	if code != 2 || !strings.Contains(stderr, "DAILYHOOK_ADMIN_PASSWORD") {
		t.Errorf("listen -admin 0.0.0.0:0 without a password: exit %d\n%s", code, stderr)
	}
}

// TestAdminCrossSite runs a store-only listen with an admin listener on
// loopback and sends River's UI API the requests a page of another site,
// or a DNS-rebinding one, can make: each is refused, and every pending
// delivery stays pending. River's UI itself, same-origin, still deletes.
func TestAdminCrossSite(t *testing.T) {
	adminLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	admin := adminLn.Addr().String()
	l := startListen(t, listenConfig{db: filepath.Join(t.TempDir(), "l.db"), adminLn: adminLn})
	for i := range 5 {
		if got := post(http.DefaultClient, l.url, typedDelivery("meeting.started", fmt.Sprint("meet-", i))); got != 200 {
			t.Fatalf("POST = %d", got)
		}
	}
	pending := func() []string {
		var list struct {
			Data []struct {
				ID json.RawMessage `json:"id"`
			} `json:"data"`
		}
		code, body := get(t, "http://"+admin+"/riverui/api/jobs?state=available&limit=100")
		if err := json.Unmarshal([]byte(body), &list); code != 200 || err != nil {
			t.Fatalf("listing the jobs: %d %v\n%s", code, err, body)
		}
		var ids []string
		for _, j := range list.Data {
			ids = append(ids, strings.Trim(string(j.ID), `"`))
		}
		return ids
	}
	ids := pending()
	if len(ids) != 5 {
		t.Fatalf("%d pending deliveries, want 5", len(ids))
	}
	attack := func(action, host, ctype string, h map[string]string) int {
		body := `{"ids":["` + strings.Join(ids, `","`) + `"]}`
		r, err := http.NewRequest("POST", "http://"+admin+"/riverui/api/jobs/"+action, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		r.Host = host
		r.Header.Set("Content-Type", ctype)
		for k, v := range h {
			r.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, action := range []string{"delete", "cancel", "retry"} {
		for _, tt := range []struct {
			name, host, ctype string
			h                 map[string]string
			want              int
		}{
			{"a form posted from another site", admin, "text/plain", map[string]string{"Origin": "http://evil.example"}, 403},
			{"an urlencoded form", admin, "application/x-www-form-urlencoded", map[string]string{"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}, 403},
			{"a fetch that only says cross-site", admin, "text/plain", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
			{"a rebinding page, as its own origin", fmt.Sprint("evil.example:", adminLn.Addr().(*net.TCPAddr).Port), "application/json", map[string]string{"Origin": "http://evil.example", "Sec-Fetch-Site": "same-origin"}, 421},
		} {
			if got := attack(action, tt.host, tt.ctype, tt.h); got != tt.want {
				t.Errorf("%s by %s: status %d, want %d", action, tt.name, got, tt.want)
			}
		}
	}
	if got := pending(); len(got) != 5 {
		t.Fatalf("after the attacks %d deliveries are pending, want 5", len(got))
	}
	ids = ids[:1]
	if got := attack("delete", admin, "text/plain", map[string]string{"Origin": "http://" + admin, "Sec-Fetch-Site": "same-origin"}); got != 200 {
		t.Errorf("River's UI's own delete: status %d, want 200", got)
	}
	if got := pending(); len(got) != 4 {
		t.Errorf("after the operator's delete %d deliveries are pending, want 4", len(got))
	}
}

// TestMetricsBounded sends deliveries of 300 random types, each failing
// its first attempt, and replays one dead delivery four times: /metrics
// keeps the type label to the types this version knows, unknown and
// unparsed, and no series carries an attempt number.
func TestMetricsBounded(t *testing.T) {
	a := newApp(t, 0)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(headerAttempt) == "1" || strings.HasPrefix(r.Header.Get(headerEventID), "dead-") {
			http.Error(w, "not yet", http.StatusInternalServerError)
			return
		}
		a.srv.Config.Handler.ServeHTTP(w, r)
	}))
	defer app.Close()
	adminLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	admin := "http://" + adminLn.Addr().String()
	db := filepath.Join(t.TempDir(), "l.db")
	l := startListen(t, listenConfig{db: db, forwardTo: app.URL, maxAttempts: 2, workers: 8, adminLn: adminLn})
	var ids []string
	for i := range 300 {
		id := fmt.Sprint("ev-", i)
		ids = append(ids, id)
		if got := post(http.DefaultClient, l.url, typedDelivery(fmt.Sprintf("x.random-%d-%d", i, rand.Int()), id)); got != 200 {
			t.Fatalf("POST = %d", got)
		}
	}
	post(http.DefaultClient, l.url, typedDelivery("meeting.started", "dead-1"))
	a.waitAll(t, ids, 60*time.Second)
	for range 4 {
		waitFor(t, 20*time.Second, "dead-1 is dead", func() bool {
			_, m := get(t, admin+"/metrics")
			return metricValue(m, `dailyhook_inbox_jobs{state="dead"}`) == 1
		})
		if code, out, errOut := runCmd(t, nil, "", "inbox", "replay", "-db", db, "dead-1"); code != 0 {
			t.Fatalf("inbox replay: %d %s %s", code, out, errOut)
		}
	}
	_, metrics := get(t, admin+"/metrics")
	types := map[string]bool{}
	for _, m := range regexp.MustCompile(`type="([^"]*)"`).FindAllStringSubmatch(metrics, -1) {
		types[m[1]] = true
	}
	if len(types) > 40 || types["x.random-1"] {
		t.Errorf("%d values of the type label, want at most 40: %v", len(types), types)
	}
	for _, want := range []string{"unknown", "unparsed", "meeting.started"} {
		if !types[want] {
			t.Errorf("no series of type %q", want)
		}
	}
	if got := metricValue(metrics, `dailyhook_events_handled_total{outcome="ok",type="unknown"}`); got != 300 {
		t.Errorf("handled ok of unknown types = %v, want 300", got)
	}
	if strings.Contains(metrics, `attempt="`) {
		t.Errorf("a series carries the attempt number:\n%s", grepLines(metrics, `attempt="`))
	}
	if !strings.Contains(metrics, "river_") {
		t.Error("River's own metrics are missing")
	}
}

// grepLines returns the lines of s that hold sub.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestTraceLinks checks that the span of each attempt links to the span
// that received the delivery, though deliveries are inserted in batches.
func TestTraceLinks(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer tp.Shutdown(context.Background())
	v, _ := events.NewVerifier(events.VerifierConfig{Secrets: []string{secret}})
	done := make(chan string, 10)
	in, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "t.db"), inbox.Config{
		Verifier: v, TracerProvider: tp, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Handle: func(ctx context.Context, ev events.Event) error { done <- ev.Meta().ID; return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer in.Stop(context.Background())
	srv := httptest.NewServer(in)
	defer srv.Close()
	var wg sync.WaitGroup
	for _, id := range []string{"tr-1", "tr-2", "tr-3"} {
		wg.Add(1)
		go func() { defer wg.Done(); post(http.DefaultClient, srv.URL, delivery(id)) }()
	}
	wg.Wait()
	for range 3 {
		<-done
	}
	// The attempts' spans end after Handle returns.
	waitFor(t, 10*time.Second, "three attempt spans ended", func() bool {
		n := 0
		for _, s := range rec.Ended() {
			if s.Name() == "dailyhook.attempt" {
				n++
			}
		}
		return n >= 3
	})
	received := map[string]sdktrace.ReadOnlySpan{}
	var attempts []sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		switch s.Name() {
		case "dailyhook.receive":
			for _, a := range s.Attributes() {
				if a.Key == "daily.event.id" {
					received[a.Value.AsString()] = s
				}
			}
		case "dailyhook.attempt":
			attempts = append(attempts, s)
		}
	}
	if len(received) != 3 || len(attempts) != 3 {
		t.Fatalf("%d receive spans, %d attempt spans; want 3 and 3", len(received), len(attempts))
	}
	for _, s := range attempts {
		var id string
		for _, a := range s.Attributes() {
			if a.Key == "daily.event.id" {
				id = a.Value.AsString()
			}
		}
		if links := s.Links(); len(links) != 1 || links[0].SpanContext.SpanID() != received[id].SpanContext().SpanID() {
			t.Errorf("the attempt of %s links to %v, want its receive span %v", id, s.Links(), received[id].SpanContext().SpanID())
		}
	}
}

// TestAdminPostgres serves River's UI and the counts over PostgreSQL.
func TestAdminPostgres(t *testing.T) {
	pg := inboxtest.StartPostgres(t)
	adminLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	admin := "http://" + adminLn.Addr().String()
	l := startListen(t, listenConfig{postgres: pg.NewDatabase(t), adminLn: adminLn})
	if got := post(http.DefaultClient, l.url, typedDelivery("meeting.started", "pg-ui-1")); got != 200 {
		t.Fatalf("POST = %d", got)
	}
	if code, body := get(t, admin+"/riverui/api/jobs?state=available&limit=10"); code != 200 || !strings.Contains(body, "pg-ui-1") {
		t.Errorf("River's UI API over PostgreSQL: %d %s", code, body)
	}
	_, m := get(t, admin+"/metrics")
	if got := metricValue(m, `dailyhook_inbox_jobs{state="pending"}`); got != 1 {
		t.Errorf("pending over PostgreSQL = %v, want 1", got)
	}
	if code, _ := get(t, admin+"/readyz"); code != 200 {
		t.Errorf("/readyz over PostgreSQL = %d", code)
	}
}
