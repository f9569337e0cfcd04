// Command soak runs dailyhook listen under a steady load, forwarding to a
// local app, and samples every 10 seconds what must not grow without
// bound: the listen process's RSS, the p99 of the acknowledgements in the
// window, and the size of its database.
//
//	go build -o /tmp/dailyhook ./cmd/dailyhook
//	go run ./tools/soak -dailyhook /tmp/dailyhook -rate 500 -duration 10m
//
// It starts listen with -completed-retention 1m on a database in a
// temporary folder, sends signed participant.joined deliveries at -rate
// a second from loopback, and at the end checks that every acknowledged
// delivery reached the app.
package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	bin := flag.String("dailyhook", "dailyhook", "the dailyhook binary")
	rate := flag.Int("rate", 500, "deliveries a second")
	duration := flag.Duration("duration", 10*time.Minute, "how long to send")
	every := flag.Duration("sample", 10*time.Second, "how often to sample")
	workers := flag.Int("workers", 40, "listen -workers: with fast handling it forwards up to workers/25ms a second")
	flag.Parse()
	if err := soak(*bin, *rate, *duration, *every, *workers); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

// soak runs the whole soak, and returns an error when an acknowledged
// delivery did not reach the app.
func soak(bin string, rate int, duration, every time.Duration, workers int) error {
	dir, err := os.MkdirTemp("", "soak-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	secretBytes := make([]byte, 32)
	rand.Read(secretBytes)
	secret := base64.StdEncoding.EncodeToString(secretBytes)
	a := &app{got: map[string]bool{}}
	appLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go http.Serve(appLn, a)
	addr := freeAddr()
	db := filepath.Join(dir, "soak.db")
	cmd := exec.Command(bin, "listen", "-addr", addr, "-db", db, "-forward-to", "http://"+appLn.Addr().String(),
		"-completed-retention", "1m", "-workers", strconv.Itoa(workers))
	cmd.Env = append(os.Environ(), "DAILY_WEBHOOK_SECRET="+secret)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() }()
	time.Sleep(time.Second)
	s := &sender{url: "http://" + addr, secret: secretBytes, client: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
	fmt.Printf("%8s %8s %10s %10s %12s %10s\n", "t", "sent", "p99-ms", "rss-MB", "db-MB", "at-app")
	s.run(rate, duration, every, func(t time.Duration, window []time.Duration) {
		fmt.Printf("%8s %8d %10.1f %10.1f %12.1f %10d\n", t.Round(time.Second), s.acked(), p99(window), float64(rss(cmd.Process.Pid))/1024, float64(dirSize(dir))/(1<<20), a.count())
	})
	deadline := time.Now().Add(2 * time.Minute)
	for a.count() < s.acked() && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	fmt.Printf("acknowledged %d, reached the app %d, failed sends %d\n", s.acked(), a.count(), s.failed())
	if a.count() < s.acked() {
		return fmt.Errorf("%d acknowledged deliveries never reached the app", s.acked()-a.count())
	}
	return nil
}

// An app counts the distinct events forwarded to it.
type app struct {
	mu  sync.Mutex
	got map[string]bool
}

func (a *app) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	a.got[r.Header.Get("X-Dailyhook-Event-Id")] = true
	a.mu.Unlock()
}

func (a *app) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.got)
}

// A sender sends signed deliveries at a steady rate.
type sender struct {
	url    string
	secret []byte
	client *http.Client
	mu     sync.Mutex
	lat    []time.Duration
	ok     int
	bad    int
}

// run sends rate deliveries a second for duration, and calls sample every
// interval with the latencies of the window.
func (s *sender) run(rate int, duration, interval time.Duration, sample func(time.Duration, []time.Duration)) {
	start := time.Now()
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	next := start.Add(interval)
	sem := make(chan struct{}, 256)
	var wg sync.WaitGroup
	for i := 0; time.Since(start) < duration; i++ {
		<-tick.C
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			s.send(fmt.Sprintf("soak-%d-%d", start.UnixNano(), i))
		}()
		if now := time.Now(); now.After(next) {
			s.mu.Lock()
			window := s.lat
			s.lat = nil
			s.mu.Unlock()
			sample(now.Sub(start), window)
			next = next.Add(interval)
		}
	}
	wg.Wait()
}

// send signs and sends one delivery with event ID id.
func (s *sender) send(id string) {
	body := fmt.Appendf(nil, `{"version":"1.0.0","type":"participant.joined","id":%q,"payload":{"room":"soak","user_name":"u","session_id":%q,"joined_at":%d,"owner":false,"permissions":{"hasPresence":true,"canSend":true,"canAdmin":false}},"event_ts":%d}`,
		id, id, time.Now().Unix(), time.Now().Unix())
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, s.secret)
	mac.Write([]byte(ts + "." + string(body)))
	req, _ := http.NewRequest(http.MethodPost, s.url, bytes.NewReader(body))
	req.Header.Set("X-Webhook-Timestamp", ts)
	req.Header.Set("X-Webhook-Signature", base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	t0 := time.Now()
	resp, err := s.client.Do(req)
	d := time.Since(t0)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil && resp.StatusCode == http.StatusOK {
		s.ok++
		s.lat = append(s.lat, d)
	} else {
		s.bad++
	}
	if err == nil {
		resp.Body.Close()
	}
}

func (s *sender) acked() int  { s.mu.Lock(); defer s.mu.Unlock(); return s.ok }
func (s *sender) failed() int { s.mu.Lock(); defer s.mu.Unlock(); return s.bad }

// p99 returns the 99th percentile of lat in milliseconds.
func p99(lat []time.Duration) float64 {
	if len(lat) == 0 {
		return 0
	}
	slices.Sort(lat)
	return float64(lat[len(lat)*99/100].Microseconds()) / 1000
}

// rss returns the resident set of process pid in KiB.
func rss(pid int) int {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			n, _ := strconv.Atoi(strings.Fields(l)[1])
			return n
		}
	}
	return 0
}

// dirSize returns the bytes of the files in dir.
func dirSize(dir string) int64 {
	var n int64
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if fi, err := e.Info(); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// freeAddr returns a loopback address that was free a moment ago.
func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "127.0.0.1:18899"
	}
	defer ln.Close()
	return ln.Addr().String()
}
