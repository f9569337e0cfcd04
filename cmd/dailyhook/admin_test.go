package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
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

func TestAdminAuth(t *testing.T) {
	h := basicAuth("s3cret", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	tests := []struct {
		name       string
		user, pass string
		set        bool
		want       int
	}{
		{"no credentials", "", "", false, 401},
		{"wrong password", "ops", "guess", true, 401},
		{"the password, any user", "anyone", "s3cret", true, 200},
		{"a prefix of the password", "ops", "s3cr", true, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/metrics", nil)
			if tt.set {
				r.SetBasicAuth(tt.user, tt.pass)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.want {
				t.Errorf("status %d, want %d", w.Code, tt.want)
			}
		})
	}
	code, _, stderr := runCmd(t, withSecret, "", "listen", "-admin", "0.0.0.0:0")
	if code != 2 || !strings.Contains(stderr, "DAILYHOOK_ADMIN_PASSWORD") {
		t.Errorf("listen -admin 0.0.0.0:0 without a password: exit %d\n%s", code, stderr)
	}
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
	time.Sleep(50 * time.Millisecond) // the attempts' spans end after Handle
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
