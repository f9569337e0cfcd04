package inbox

import (
	"cmp"
	"encoding/json"
	"math/rand/v2"
	"time"

	"github.com/riverqueue/river/rivertype"
)

// An ExponentialRetry is a River retry policy that waits Base after the
// first failed attempt and twice as long after each further one, up to
// Max, with a tenth of jitter either way. River's default waits attempt⁴
// seconds, which suits background jobs; a forwarder to an app that is
// briefly down wants its events sooner.
type ExponentialRetry struct {
	// Base is the wait after the first failure. Zero means one second.
	Base time.Duration
	// Max bounds the wait. Zero means an hour.
	Max time.Duration
}

// NextRetry returns when job, whose attempt failed, is tried again. The
// attempts count from the job's last replay, if any: a replayed delivery
// backs off as a new one would.
func (p ExponentialRetry) NextRetry(job *rivertype.JobRow) time.Time {
	base, limit := cmp.Or(p.Base, time.Second), cmp.Or(p.Max, time.Hour)
	wait := base
	for i := 1 + replayBase(job.Metadata); i < job.Attempt && wait < limit; i++ {
		wait *= 2
	}
	wait = min(wait, limit)
	jitter := time.Duration((rand.Float64()*0.2 - 0.1) * float64(wait))
	return time.Now().Add(wait + jitter)
}

// replayBase returns the attempts a job had when it was last replayed, from
// its metadata, or 0.
func replayBase(metadata []byte) int { return metaValue[int](metadata, ReplayBaseKey) }

// metaValue returns the value at key in a job's metadata, or T's zero
// value when it is absent or not a T.
func metaValue[T any](metadata []byte, key string) T {
	var m map[string]json.RawMessage
	var v T
	if len(metadata) == 0 || json.Unmarshal(metadata, &m) != nil {
		return v
	}
	if json.Unmarshal(m[key], &v) != nil {
		var zero T
		return zero
	}
	return v
}
