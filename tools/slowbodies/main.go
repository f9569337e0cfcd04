// Command slowbodies starts dailyhook listen and holds it under an attack
// of slow uploads: -n connections, each signed with a forged signature,
// declaring 1 MiB and sending -send bytes of it over -over. Meanwhile it
// sends one authentic delivery of a few KiB, and it reports the statuses,
// that delivery's answer and time, and listen's peak RSS (VmHWM, Linux).
//
//	go build -o /tmp/dailyhook ./cmd/dailyhook
//	go run ./tools/slowbodies -dailyhook /tmp/dailyhook -n 1000 -send 921600 -over 8s
//
// The process's body budget must keep the peak RSS bounded, and its
// reserve for small bodies must keep the authentic delivery answered 200.
package main

import (
	"bufio"
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
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	bin := flag.String("dailyhook", "dailyhook", "the dailyhook binary")
	n := flag.Int("n", 1000, "slow uploads at once")
	send := flag.Int("send", 900<<10, "bytes each upload sends of the 1 MiB it declares")
	over := flag.Duration("over", 8*time.Second, "how long each upload takes to send them")
	flag.Parse()
	if err := run(*bin, *n, *send, *over); err != nil {
		fmt.Fprintln(os.Stderr, "slowbodies:", err)
		os.Exit(1)
	}
}

func run(bin string, n, send int, over time.Duration) error {
	key := make([]byte, 32)
	rand.Read(key)
	secret := base64.StdEncoding.EncodeToString(key)
	dir, err := os.MkdirTemp("", "slowbodies")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, "listen", "-addr", addr, "-db", filepath.Join(dir, "slow.db"))
	cmd.Env = append(os.Environ(), "DAILY_WEBHOOK_SECRET="+secret)
	if err := cmd.Start(); err != nil {
		return err
	}
	defer cmd.Process.Kill()
	if err := waitListening(addr); err != nil {
		return err
	}
	statuses := attack(addr, n, send, over, func() {
		body := []byte(`{"version":"1.0.0","type":"meeting.started","id":"real-1","event_ts":1708526033.049,"payload":{"room":"r","start_ts":1708526032.672}}`)
		ts, sig := sign(key, body)
		req, _ := http.NewRequest("POST", "http://"+addr+"/", bytes.NewReader(body))
		req.Header.Set("X-Webhook-Timestamp", ts)
		req.Header.Set("X-Webhook-Signature", sig)
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Println("authentic delivery:", err)
			return
		}
		resp.Body.Close()
		fmt.Printf("authentic delivery: %d in %v\n", resp.StatusCode, time.Since(start).Round(time.Millisecond))
	})
	var codes []int
	for c := range statuses {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	for _, c := range codes {
		fmt.Printf("uploads answered %d: %d\n", c, statuses[c])
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	if err != nil {
		return err
	}
	for _, l := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			fmt.Println("listen peak RSS:", strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:")))
		}
	}
	return nil
}

// attack runs n slow uploads, calls meanwhile once a second in, and
// returns how many were answered with each status (-1: no answer).
func attack(addr string, n, send int, over time.Duration, meanwhile func()) map[int]int {
	ts, sig := sign([]byte("not the secret"), []byte("{}"))
	head := fmt.Sprintf("POST / HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nX-Webhook-Timestamp: %s\r\nX-Webhook-Signature: %s\r\n\r\n", addr, 1<<20, ts, sig)
	const steps = 16
	chunk := bytes.Repeat([]byte("x"), send/steps)
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			code := upload(addr, head, chunk, steps, over/steps)
			mu.Lock()
			statuses[code]++
			mu.Unlock()
		})
	}
	time.Sleep(time.Second)
	meanwhile()
	wg.Wait()
	return statuses
}

// upload sends head, then chunk steps times a pause apart, and returns the
// status of the answer, or -1.
func upload(addr, head string, chunk []byte, steps int, pause time.Duration) int {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return -1
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(pause*time.Duration(steps) + 20*time.Second))
	answer := make(chan int, 1)
	go func() {
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			answer <- -1
			return
		}
		answer <- resp.StatusCode
	}()
	if _, err := c.Write([]byte(head)); err != nil {
		return -1
	}
	for range steps {
		select {
		case code := <-answer:
			return code
		case <-time.After(pause):
		}
		if _, err := c.Write(chunk); err != nil {
			break
		}
	}
	return <-answer
}

func sign(key, body []byte) (string, string) {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	h := hmac.New(sha256.New, key)
	h.Write([]byte(ts + "."))
	h.Write(body)
	return ts, base64.StdEncoding.EncodeToString(h.Sum(nil))
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func waitListening(addr string) error {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return nil
		}
	}
	return fmt.Errorf("listen did not start on %s", addr)
}
