package inbox_test

import (
	"database/sql"

	"github.com/dailywebhooks/events"
	"github.com/riverqueue/river/riverdriver"
)

// sqlTx is the transaction type of the SQLite inbox.
type sqlTx = sql.Tx

// eventsEvent and riverDriver shorten signatures in the benchmarks.
type (
	eventsEvent          = events.Event
	riverDriver[TTx any] = riverdriver.Driver[TTx]
)
