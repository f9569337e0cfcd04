package inbox

import (
	"testing"
	"time"

	"github.com/riverqueue/river"
)

// TestRiverConfig checks, field by field, that every Config setting that
// River owns reaches River's config, with its default or as set.
func TestRiverConfig(t *testing.T) {
	retry := ExponentialRetry{Base: 3 * time.Second}
	tests := []struct {
		name  string
		cfg   Config
		check func(*river.Config) (got, want any)
	}{
		{"FetchCooldown as set", Config{FetchCooldown: 250 * time.Millisecond, PollInterval: time.Second}, func(rc *river.Config) (any, any) { return rc.FetchCooldown, 250 * time.Millisecond }},
		{"FetchCooldown of 1 ms", Config{FetchCooldown: time.Millisecond}, func(rc *river.Config) (any, any) { return rc.FetchCooldown, time.Millisecond }},
		{"FetchCooldown by default", Config{}, func(rc *river.Config) (any, any) { return rc.FetchCooldown, DefaultFetchCooldown }},
		{"FetchCooldown never over PollInterval", Config{FetchCooldown: time.Second, PollInterval: 50 * time.Millisecond}, func(rc *river.Config) (any, any) { return rc.FetchCooldown, 50 * time.Millisecond }},
		{"PollInterval", Config{PollInterval: 70 * time.Millisecond}, func(rc *river.Config) (any, any) { return rc.FetchPollInterval, 70 * time.Millisecond }},
		{"PollInterval by default", Config{}, func(rc *river.Config) (any, any) { return rc.FetchPollInterval, DefaultPollInterval }},
		{"JobTimeout, and the wait for a worker", Config{JobTimeout: 7 * time.Second}, func(rc *river.Config) (any, any) { return rc.JobTimeout, 7*time.Second + prefetchWait }},
		{"JobTimeout without workers", Config{JobTimeout: 7 * time.Second, Workers: -1}, func(rc *river.Config) (any, any) { return rc.JobTimeout, 7 * time.Second }},
		{"RescueAfter", Config{JobTimeout: 7 * time.Second, RescueAfter: time.Minute}, func(rc *river.Config) (any, any) { return rc.RescueStuckJobsAfter, time.Minute }},
		{"RescueAfter by default", Config{JobTimeout: 7 * time.Second}, func(rc *river.Config) (any, any) { return rc.RescueStuckJobsAfter, 22 * time.Second }},
		{"MaxAttempts", Config{MaxAttempts: 4}, func(rc *river.Config) (any, any) { return rc.MaxAttempts, 4 }},
		{"MaxAttempts by default", Config{}, func(rc *river.Config) (any, any) { return rc.MaxAttempts, DefaultMaxAttempts }},
		{"CompletedRetention", Config{CompletedRetention: time.Hour}, func(rc *river.Config) (any, any) { return rc.CompletedJobRetentionPeriod, time.Hour }},
		{"DiscardedRetention kept by default", Config{}, func(rc *river.Config) (any, any) { return rc.DiscardedJobRetentionPeriod, time.Duration(-1) }},
		{"DiscardedRetention", Config{DiscardedRetention: 48 * time.Hour}, func(rc *river.Config) (any, any) { return rc.DiscardedJobRetentionPeriod, 48 * time.Hour }},
		{"RetryPolicy", Config{RetryPolicy: retry}, func(rc *river.Config) (any, any) { return rc.RetryPolicy, retry }},
		{"Workers on the queue, and as many waiting for one", Config{Workers: 40, Queue: "q"}, func(rc *river.Config) (any, any) { return rc.Queues["q"].MaxWorkers, 80 }},
		{"no workers: no queue", Config{Workers: -1}, func(rc *river.Config) (any, any) { return len(rc.Queues), 0 }},
	}
	for _, tt := range tests {
		rc := tt.cfg.withDefaults().riverConfig(river.NewWorkers())
		if got, want := tt.check(rc); got != want {
			t.Errorf("%s: River has %v, want %v", tt.name, got, want)
		}
	}
}
