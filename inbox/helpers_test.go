package inbox_test

import (
	"github.com/dailywebhooks/events"
	"github.com/riverqueue/river/riverdriver"
)

// eventsEvent and riverDriver shorten signatures in the benchmarks.
type (
	eventsEvent          = events.Event
	riverDriver[TTx any] = riverdriver.Driver[TTx]
)
