package inbox

import (
	"context"
	"time"
)

// SetRideFor sets how long a completion waits for the receipts' next
// commit, until the test ends.
func SetRideFor(t interface{ Cleanup(func()) }, d time.Duration) {
	old := rideFor
	rideFor = d
	t.Cleanup(func() { rideFor = old })
}

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
