package events

import (
	"context"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// testClock is a clock that tests move by hand.
type testClock struct{ t time.Time }

func (c *testClock) now() time.Time          { return c.t }
func (c *testClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestMemoryDedupStates(t *testing.T) {
	clock := &testClock{t: time.Unix(1000, 0)}
	d := &MemoryDedup{TTL: time.Minute, Now: clock.now}
	ctx := context.Background()
	// Each step does op on key after moving the clock; claim steps say
	// what Claim must find.
	steps := []struct {
		name    string
		advance time.Duration
		op      string // claim, done or release
		key     string
		want    ClaimState
	}{
		{"new key", 0, "claim", "a", ClaimAcquired},
		{"held key", 0, "claim", "a", ClaimInProgress},
		{"other key", 0, "claim", "b", ClaimAcquired},
		{"a fails", 0, "release", "a", 0},
		{"a retried after failure", 0, "claim", "a", ClaimAcquired},
		{"a succeeds", 0, "done", "a", 0},
		{"a handled", 30 * time.Second, "claim", "a", ClaimHandled},
		{"b still held", 0, "claim", "b", ClaimInProgress},
		{"b succeeds", 0, "done", "b", 0},
		{"a expired", 31 * time.Second, "claim", "a", ClaimAcquired},
		{"b not yet expired", 0, "claim", "b", ClaimHandled},
		{"b expired", 30 * time.Second, "claim", "b", ClaimAcquired},
	}
	for _, s := range steps {
		clock.advance(s.advance)
		switch s.op {
		case "claim":
			got, err := d.Claim(ctx, s.key)
			if err != nil || got != s.want {
				t.Errorf("%s: Claim(%q) = %v, %v; want %v", s.name, s.key, got, err, s.want)
			}
		case "done":
			if err := d.Done(ctx, s.key); err != nil {
				t.Errorf("%s: Done(%q) = %v", s.name, s.key, err)
			}
		case "release":
			if err := d.Release(ctx, s.key); err != nil {
				t.Errorf("%s: Release(%q) = %v", s.name, s.key, err)
			}
		}
	}
}

func TestMemoryDedupCapacity(t *testing.T) {
	ctx := context.Background()
	for _, capacity := range []int{1, 3, 100, 1000} {
		t.Run(strconv.Itoa(capacity), func(t *testing.T) {
			d := &MemoryDedup{Capacity: capacity}
			const n = 2500
			for i := range n {
				k := strconv.Itoa(i)
				d.Claim(ctx, k)
				d.Done(ctx, k)
				if d.n > capacity || len(d.done) > capacity {
					t.Fatalf("after %d keys: %d in the ring, %d in the map; capacity %d", i+1, d.n, len(d.done), capacity)
				}
			}
			// The newest capacity keys are remembered, the ones before
			// them are forgotten.
			for i := n - capacity; i < n; i++ {
				if got, _ := d.Claim(ctx, strconv.Itoa(i)); got != ClaimHandled {
					t.Fatalf("key %d of the newest %d: Claim = %v, want handled", i, capacity, got)
				}
			}
			if got, _ := d.Claim(ctx, strconv.Itoa(n-capacity-1)); got != ClaimAcquired {
				t.Errorf("key %d, older than the capacity: Claim = %v, want acquired", n-capacity-1, got)
			}
		})
	}
}

// TestMemoryDedupPrunesInSteps checks that no call drops more than
// pruneStep expired keys, and that memory is given back as keys expire.
func TestMemoryDedupPrunesInSteps(t *testing.T) {
	ctx := context.Background()
	clock := &testClock{t: time.Unix(1000, 0)}
	d := &MemoryDedup{TTL: time.Minute, Now: clock.now}
	const n = 20000
	for i := range n {
		k := strconv.Itoa(i)
		d.Claim(ctx, k)
		d.Done(ctx, k)
	}
	ringBefore := len(d.ring)
	clock.advance(2 * time.Minute)
	for i := 0; d.n > 0; i++ {
		before := d.n
		d.Claim(ctx, "x")
		d.Release(ctx, "x")
		if dropped := before - d.n; dropped > pruneStep || dropped <= 0 {
			t.Fatalf("call %d dropped %d expired keys, want 1 to %d", i, dropped, pruneStep)
		}
	}
	if len(d.done) != 0 || len(d.ring) >= ringBefore/4 {
		t.Errorf("after every key expired: %d keys in the map, ring of %d (was %d)", len(d.done), len(d.ring), ringBefore)
	}
	// An expired key that is handled again stays when its first entry
	// is dropped.
	d.Claim(ctx, "again")
	d.Done(ctx, "again")
	clock.advance(2 * time.Minute)
	d.Claim(ctx, "again")
	d.Done(ctx, "again")
	d.Claim(ctx, "y") // drops the first entry of "again"
	if got, _ := d.Claim(ctx, "again"); got != ClaimHandled {
		t.Errorf("key handled again after it expired: Claim = %v, want handled", got)
	}
}

func TestClaimStateString(t *testing.T) {
	for s, want := range map[ClaimState]string{ClaimAcquired: "acquired", ClaimHandled: "handled", ClaimInProgress: "in progress", 7: "ClaimState(7)"} {
		if got := s.String(); got != want {
			t.Errorf("ClaimState(%d).String() = %q, want %q", int(s), got, want)
		}
	}
}

// BenchmarkMemoryDedup measures a claim and its Done on a full store, and
// the heap each remembered key takes, with keys shaped like Daily's IDs.
func BenchmarkMemoryDedup(b *testing.B) {
	const capacity = 100_000
	keys := make([]string, 2*capacity)
	for i := range keys {
		keys[i] = "1f2c8e4a-" + strconv.Itoa(1e8+i) + "-4d8b-9f12-ab"
	}
	ctx := context.Background()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	d := &MemoryDedup{Capacity: capacity}
	for _, k := range keys[:capacity] {
		d.Claim(ctx, k)
		d.Done(ctx, k)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		k := keys[i%len(keys)]
		d.Claim(ctx, k)
		d.Done(ctx, k)
		i++
	}
	// After the loop: b.Loop drops metrics reported before it.
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/capacity, "heap-B/key")
	runtime.KeepAlive(keys)
}
