package events

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
)

// Sizes of the default body budget.
const (
	// DefaultBodyBudget is the size of the process's shared body budget,
	// [SharedBodyBudget]: what the bodies being read may hold at once,
	// across every Verifier of the process that has no budget of its own.
	DefaultBodyBudget = 32 << 20
	// SmallBody is the largest body that counts as small: one that
	// declares a Content-Length of at most this, or that may read no more
	// (an unsigned request). Daily's deliveries measure a few KiB.
	SmallBody = 64 << 10
)

// A BodyBudget bounds the bytes that request bodies being read may hold
// at once, whatever each of them declares: MaxBodyBytes bounds one body,
// a budget bounds their sum, so that many slow uploads cannot take the
// process's memory. A request whose buffer would take it over the budget is
// refused with [ErrBodyBudget], answered 503 with Retry-After, and nothing
// more of it is read.
//
// A quarter of the budget is kept for small bodies (see [SmallBody]), so
// that large uploads, authentic or not, cannot starve Daily's deliveries:
// those are answered 200 while an attack of large bodies holds the rest.
//
// Every Verifier without VerifierConfig.BodyBudget shares
// [SharedBodyBudget], one per process: the Handler, the PinlessHandler, the
// inbox and dailyhook listen all read bodies through a Verifier. A budget
// is safe for concurrent use.
type BodyBudget struct {
	total, forLarge int64
	used            atomic.Int64
}

// NewBodyBudget returns a budget of total bytes, of which a quarter is
// kept for small bodies. It panics for a total under 4 SmallBody, too small
// to hold a delivery beside the reserve.
func NewBodyBudget(total int64) *BodyBudget {
	if total < 4*SmallBody {
		panic(fmt.Sprintf("events: a body budget of %d bytes holds no delivery; give at least %d", total, 4*SmallBody))
	}
	return &BodyBudget{total: total, forLarge: total - total/4}
}

var (
	sharedBudget     *BodyBudget
	sharedBudgetOnce sync.Once
)

// SharedBodyBudget returns the process's budget, of DefaultBodyBudget
// bytes, that Verifiers without a budget of their own share.
func SharedBodyBudget() *BodyBudget {
	sharedBudgetOnce.Do(func() { sharedBudget = NewBodyBudget(DefaultBodyBudget) })
	return sharedBudget
}

// Total returns the size of the budget, in bytes.
func (b *BodyBudget) Total() int64 { return b.total }

// InUse returns the bytes that bodies being read hold now.
func (b *BodyBudget) InUse() int64 { return b.used.Load() }

// take reserves n bytes for a body that is small, or not, and reports
// whether it could: a large body may not take the reserve for small ones.
func (b *BodyBudget) take(n int64, small bool) bool {
	limit := b.forLarge
	if small {
		limit = b.total
	}
	for {
		used := b.used.Load()
		if used+n > limit {
			return false
		}
		if b.used.CompareAndSwap(used, used+n) {
			return true
		}
	}
}

// give returns n bytes taken before.
func (b *BodyBudget) give(n int64) { b.used.Add(-n) }

// ReadBody reads the body of r, at most limit bytes of it, its buffer taken
// from b while it reads, as a Verifier does: see [ErrBodyTooLarge] (a body
// declared or found longer than limit, the declared one refused before any
// of it is read), [ErrBodyBudget] and [ErrBodyRead]. It serves receivers of
// other signing schemes, such as package pipecat's.
func (b *BodyBudget) ReadBody(r *http.Request, limit int64) ([]byte, error) {
	return readBody(r, limit, b)
}
