package inbox_test

import "database/sql"

// sqlTx is the transaction type of the SQLite inbox.
type sqlTx = sql.Tx
