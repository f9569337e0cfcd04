package events

import (
	"context"
	"strconv"
	"sync"
	"time"
)

// A ClaimState is what [DedupStore.Claim] found for a key.
type ClaimState int

// The states a claim can find.
const (
	// ClaimAcquired means that the key was free: the caller now holds it
	// and must end the claim with Done or Release.
	ClaimAcquired ClaimState = iota
	// ClaimHandled means that the key's event was handled successfully
	// within the store's memory: the caller must not handle it again.
	ClaimHandled
	// ClaimInProgress means that another attempt holds the key and has
	// not finished: its outcome is not known yet.
	ClaimInProgress
)

// String returns the state's name.
func (s ClaimState) String() string {
	switch s {
	case ClaimAcquired:
		return "acquired"
	case ClaimHandled:
		return "handled"
	case ClaimInProgress:
		return "in progress"
	}
	return "ClaimState(" + strconv.Itoa(int(s)) + ")"
}

// A DedupStore remembers which events are being handled and which were
// handled successfully, so that a [Handler] hands each event to Handle
// once even when it arrives several times. A key moves from free to held
// by Claim, and from held to handled by Done or back to free by Release:
// an event is only ever remembered as handled once Handle succeeded for
// it, so a failed or interrupted attempt never hides a retry. Its methods
// must be safe for concurrent use.
//
// A store shared by several processes should let a held claim expire
// after a lease, so that the claim of a process that died is freed.
type DedupStore interface {
	// Claim tries to take key for one attempt at handling its event.
	Claim(ctx context.Context, key string) (ClaimState, error)
	// Done records that the event of key, held by the caller, was
	// handled successfully.
	Done(ctx context.Context, key string) error
	// Release frees key, held by the caller, whose handling failed, so
	// that a retry is handled again.
	Release(ctx context.Context, key string) error
}

// Defaults of [MemoryDedup].
const (
	// DefaultDedupTTL is how long a MemoryDedup remembers a handled key
	// when its TTL is zero: longer than Daily goes on retrying.
	DefaultDedupTTL = time.Hour
	// DefaultDedupCapacity is how many handled keys a MemoryDedup
	// remembers at most when its Capacity is zero.
	DefaultDedupCapacity = 100_000
)

// A MemoryDedup is a [DedupStore] in memory, for a single receiver
// process; several replicas need a store they share. The zero MemoryDedup
// is ready to use. Its fields must not change after first use.
//
// It remembers a handled key for TTL, and at most Capacity of them: when
// it is full, the oldest is forgotten first. Keys being handled are held
// apart from that count; there are as many as deliveries in flight. Every
// call does a constant amount of work: expired keys are dropped a few at a
// time by the calls that follow, never in one sweep under the lock.
//
// Each remembered key costs about 60 bytes of heap besides the key's own
// bytes (BenchmarkMemoryDedup measures it), so the default Capacity of
// 100,000 keys of 36 bytes, the length of a UUID, holds about 11 MiB at
// most. Memory is given back as the number of keys falls.
type MemoryDedup struct {
	// TTL is how long a handled key is remembered. Zero means
	// DefaultDedupTTL.
	TTL time.Duration
	// Capacity bounds how many handled keys are remembered. Zero means
	// DefaultDedupCapacity.
	Capacity int
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	mu      sync.Mutex
	running map[string]struct{}
	done    map[string]int64 // key → when it expires, in Unix nanoseconds
	ring    []doneKey        // handled keys, oldest first from head
	head, n int
	peak    int // most keys in done since it was last rebuilt
}

// A doneKey is one handled key and its expiry in the ring of a MemoryDedup.
type doneKey struct {
	key string
	exp int64
}

// pruneStep is how many expired keys each call of a MemoryDedup drops at
// most: more than one, so that they are dropped faster than they come.
const pruneStep = 4

// Claim takes key unless it is held or was handled within TTL.
func (d *MemoryDedup) Claim(_ context.Context, key string) (ClaimState, error) {
	now := d.now()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.prune(now)
	if _, ok := d.running[key]; ok {
		return ClaimInProgress, nil
	}
	if exp, ok := d.done[key]; ok && now < exp {
		return ClaimHandled, nil
	}
	if d.running == nil {
		d.running = map[string]struct{}{}
	}
	d.running[key] = struct{}{}
	return ClaimAcquired, nil
}

// Done remembers key as handled for TTL and frees its claim.
func (d *MemoryDedup) Done(_ context.Context, key string) error {
	now := d.now()
	ttl := d.TTL
	if ttl <= 0 {
		ttl = DefaultDedupTTL
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.running, key)
	d.prune(now)
	d.push(key, now+int64(ttl))
	return nil
}

// Release frees the claim on key.
func (d *MemoryDedup) Release(_ context.Context, key string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.running, key)
	return nil
}

// Len returns how many keys d holds or remembers as handled, expired ones
// not yet dropped included.
func (d *MemoryDedup) Len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.running) + d.n
}

func (d *MemoryDedup) now() int64 {
	if d.Now != nil {
		return d.Now().UnixNano()
	}
	return time.Now().UnixNano()
}

// push remembers key as handled until exp, forgetting the oldest key when
// d is full.
func (d *MemoryDedup) push(key string, exp int64) {
	capacity := d.Capacity
	if capacity <= 0 {
		capacity = DefaultDedupCapacity
	}
	if d.n == capacity {
		d.pop()
	}
	if d.n == len(d.ring) {
		d.resize(min(max(2*len(d.ring), 64), capacity))
	}
	d.ring[(d.head+d.n)%len(d.ring)] = doneKey{key, exp}
	d.n++
	if d.done == nil {
		d.done = map[string]int64{}
	}
	d.done[key] = exp
	d.peak = max(d.peak, len(d.done))
}

// prune drops up to pruneStep expired keys, oldest first, and gives memory
// back once most keys are gone.
func (d *MemoryDedup) prune(now int64) {
	for i := 0; i < pruneStep && d.n > 0 && d.ring[d.head].exp <= now; i++ {
		d.pop()
	}
	// A Go map never shrinks, so rebuild the ring and the map once they
	// hold a quarter of what they held. That copies the keys left, fewer
	// than the three quarters dropped since, so each key pays for it once.
	if d.peak >= 1024 && d.n <= d.peak/4 {
		d.resize(max(2*d.n, 64))
	}
}

// pop forgets the oldest key.
func (d *MemoryDedup) pop() {
	k := d.ring[d.head]
	// The key may have been handled again since, with a later expiry;
	// that entry stays.
	if exp, ok := d.done[k.key]; ok && exp == k.exp {
		delete(d.done, k.key)
	}
	d.ring[d.head] = doneKey{}
	d.head = (d.head + 1) % len(d.ring)
	d.n--
}

// resize moves the ring into one of size n and rebuilds the map.
func (d *MemoryDedup) resize(n int) {
	ring := make([]doneKey, n)
	done := make(map[string]int64, d.n)
	for i := range d.n {
		k := d.ring[(d.head+i)%len(d.ring)]
		ring[i] = k
		if exp, ok := d.done[k.key]; ok && exp == k.exp {
			done[k.key] = exp
		}
	}
	d.ring, d.done, d.head = ring, done, 0
	d.peak = len(done)
}

var _ DedupStore = (*MemoryDedup)(nil)
