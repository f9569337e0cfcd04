package sqlite

import (
	"container/list"
	"context"
	"database/sql/driver"
	"reflect"

	"modernc.org/sqlite"
)

// stmtCacheSize is how many prepared statements a connection keeps. River
// and the store run a few dozen distinct statements; a few of River's have
// one text per batch size.
const stmtCacheSize = 256

// A connector opens modernc.org/sqlite connections that keep their
// prepared statements. database/sql prepares a statement at every query
// and finalizes it after, and SQLite's parser, compiled from C to Go, was
// the largest cost of a forwarding inbox: River's long statements (a job's
// state change, its fetch, its insert) took 39% of the process's CPU in
// parsing alone at 1,000 deliveries a second. A statement is compiled once
// per connection and reset between runs; SQLite recompiles it by itself
// after a schema change (sqlite3_prepare_v2).
type connector struct {
	dsn    string
	driver *sqlite.Driver
}

// Connect opens a connection.
func (c connector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.driver.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return newCachingConn(conn), nil
}

// Driver returns modernc.org/sqlite's driver.
func (c connector) Driver() driver.Driver { return c.driver }

// The interfaces of modernc.org/sqlite's connection that database/sql uses.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// The interfaces of modernc.org/sqlite's statement that a cachingConn uses.
type sqliteStmt interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
}

// A cachingConn is a connection with a cache of its prepared statements,
// the least recently used dropped beyond stmtCacheSize. database/sql uses a
// connection from one goroutine at a time, so the cache needs no lock. A
// statement whose rows are still open when its text runs again is not
// shared: that run prepares a statement of its own, as without the cache.
type cachingConn struct {
	sqliteConn
	stmts map[string]*list.Element // of *cachedStmt, by text
	lru   list.List                // most recently used first
	size  int                      // the most it keeps
}

// A cachedStmt is a prepared statement of a cachingConn.
type cachedStmt struct {
	text  string
	stmt  sqliteStmt
	inUse bool // its rows are open
	gone  bool // dropped from the cache while in use: closed with its rows
}

// newCachingConn returns conn with a statement cache, or conn itself when
// it lacks an interface the cache relies on.
func newCachingConn(conn driver.Conn) driver.Conn {
	c, ok := conn.(sqliteConn)
	if !ok {
		return conn
	}
	return &cachingConn{sqliteConn: c, stmts: map[string]*list.Element{}, size: stmtCacheSize}
}

// stmt returns the cached statement of query, prepared now if absent, or
// nil when it cannot be cached (a script of several statements runs
// uncached, as modernc.org/sqlite prepares each in turn).
func (c *cachingConn) stmt(ctx context.Context, query string) (*cachedStmt, error) {
	if e, ok := c.stmts[query]; ok {
		c.lru.MoveToFront(e)
		return e.Value.(*cachedStmt), nil
	}
	ds, err := c.sqliteConn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	st, ok := ds.(sqliteStmt)
	if !ok {
		ds.Close()
		return nil, nil
	}
	cs := &cachedStmt{text: query, stmt: st}
	c.stmts[query] = c.lru.PushFront(cs)
	for c.lru.Len() > c.size {
		c.drop(c.lru.Back())
	}
	return cs, nil
}

// drop removes e from the cache, closing its statement unless its rows
// are open, in which case their Close closes it.
func (c *cachingConn) drop(e *list.Element) {
	cs := c.lru.Remove(e).(*cachedStmt)
	delete(c.stmts, cs.text)
	if cs.inUse {
		cs.gone = true
		return
	}
	cs.stmt.Close()
}

// ExecContext runs query through its cached statement.
func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	cs, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil || cs.inUse {
		return c.sqliteConn.ExecContext(ctx, query, args)
	}
	return cs.stmt.ExecContext(ctx, args)
}

// QueryContext runs query through its cached statement, which is in use
// until its rows are closed.
func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	cs, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil || cs.inUse {
		return c.sqliteConn.QueryContext(ctx, query, args)
	}
	rows, err := cs.stmt.QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	cs.inUse = true
	return &cachedRows{Rows: rows, stmt: cs}, nil
}

// Close closes the cached statements, then the connection.
func (c *cachingConn) Close() error {
	for e := c.lru.Front(); e != nil; e = c.lru.Front() {
		c.drop(e)
	}
	return c.sqliteConn.Close()
}

// cachedRows are the rows of a cached statement, which they release when
// closed.
type cachedRows struct {
	driver.Rows
	stmt *cachedStmt
}

// Close closes the rows and releases their statement, closing it as well
// when it left the cache meanwhile.
func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	if r.stmt != nil {
		cs := r.stmt
		r.stmt = nil
		cs.inUse = false
		if cs.gone {
			cs.stmt.Close()
		}
	}
	return err
}

// The column types of modernc.org/sqlite's rows, which cachedRows keep.
type columnTyper interface {
	driver.RowsColumnTypeDatabaseTypeName
	driver.RowsColumnTypeLength
	driver.RowsColumnTypeNullable
	driver.RowsColumnTypePrecisionScale
	driver.RowsColumnTypeScanType
}

// typer returns the rows' column types, or nil.
func (r *cachedRows) typer() columnTyper {
	t, _ := r.Rows.(columnTyper)
	return t
}

// ColumnTypeDatabaseTypeName returns the declared type of column i.
func (r *cachedRows) ColumnTypeDatabaseTypeName(i int) string {
	if t := r.typer(); t != nil {
		return t.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

// ColumnTypeLength returns the length of column i, if it has one.
func (r *cachedRows) ColumnTypeLength(i int) (int64, bool) {
	if t := r.typer(); t != nil {
		return t.ColumnTypeLength(i)
	}
	return 0, false
}

// ColumnTypeNullable says whether column i may be null, if known.
func (r *cachedRows) ColumnTypeNullable(i int) (nullable, ok bool) {
	if t := r.typer(); t != nil {
		return t.ColumnTypeNullable(i)
	}
	return false, false
}

// ColumnTypePrecisionScale returns the precision and scale of column i, if
// it has them.
func (r *cachedRows) ColumnTypePrecisionScale(i int) (precision, scale int64, ok bool) {
	if t := r.typer(); t != nil {
		return t.ColumnTypePrecisionScale(i)
	}
	return 0, 0, false
}

// ColumnTypeScanType returns the Go type column i scans into.
func (r *cachedRows) ColumnTypeScanType(i int) reflect.Type {
	if t := r.typer(); t != nil {
		return t.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}
