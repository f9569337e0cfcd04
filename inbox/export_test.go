package inbox

import (
	"context"
	"time"
)

// SetRide sets how long a completion waits for the receipts' next
// commit, and what is called as completions begin to wait, until the test
// ends.
func SetRide(t interface{ Cleanup(func()) }, d time.Duration, hook func()) {
	oldFor, oldHook := rideFor, rideHook
	rideFor, rideHook = d, hook
	t.Cleanup(func() { rideFor, rideHook = oldFor, oldHook })
}

// FreeWorkers exposes freeWorkers to the tests of this package.
func (in *Inbox) FreeWorkers() int { return in.freeWorkers() }

// ReplayJobs and PurgeJobs expose, to the tests of this package, the steps
// that change dead deliveries found by an earlier listing, so that a test
// can put a listing that is out of date between them.
func (in *Inbox) ReplayJobs(ctx context.Context, jobIDs []int64) ([]int64, error) {
	return in.replayJobs(ctx, jobIDs)
}

// PurgeJobs: see ReplayJobs.
func (in *Inbox) PurgeJobs(ctx context.Context, jobIDs []int64) ([]int64, error) {
	return in.purgeJobs(ctx, jobIDs)
}
