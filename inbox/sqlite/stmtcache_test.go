package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"testing"

	"modernc.org/sqlite"
)

// openCaching opens a SQLite file through the caching connector, with one
// connection, whose cache holds at most size statements.
func openCaching(t *testing.T, size int) (*sql.DB, *cachingConn) {
	t.Helper()
	db := sql.OpenDB(connector{dsn: sqliteDSN(filepath.Join(t.TempDir(), "cache.db")), driver: &sqlite.Driver{}})
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var cc *cachingConn
	conn.Raw(func(dc any) error { cc, _ = dc.(*cachingConn); return nil })
	conn.Close()
	if cc == nil {
		t.Fatal("the connector's connection has no statement cache")
	}
	if _, err := db.Exec("CREATE TABLE t (n INTEGER)"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("INSERT INTO t (n) VALUES (1), (2), (3)"); err != nil {
		t.Fatal(err)
	}
	for e := cc.lru.Front(); e != nil; e = cc.lru.Front() {
		cc.drop(e)
	}
	cc.size = size
	return db, cc
}

// cached returns the texts the cache holds, most recently used first.
func (c *cachingConn) cached() []string {
	var texts []string
	for e := c.lru.Front(); e != nil; e = e.Next() {
		texts = append(texts, e.Value.(*cachedStmt).text)
	}
	return texts
}

// sum returns the sum of the values of rows, which it closes.
func sum(t *testing.T, rows *sql.Rows) int {
	t.Helper()
	defer rows.Close()
	n := 0
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		n += v
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestStmtCache runs statements through a connection's statement cache:
// each text is prepared once and kept, the least recently used dropped
// past the cache's size, a text run again while its rows are open runs on
// a statement of its own, a statement dropped while its rows are open
// still reads them, and a script of several statements runs uncached.
func TestStmtCache(t *testing.T) {
	const (
		all  = "SELECT n FROM t WHERE n >= ?"
		one  = "SELECT n FROM t WHERE n = ?"
		more = "SELECT n + 0 FROM t WHERE n <= ?"
	)
	db, cc := openCaching(t, 2)
	ctx := context.Background()
	// Two runs of one text, with other arguments: one statement, kept,
	// which reads each run's rows right.
	for _, tc := range []struct {
		arg, want int
	}{{1, 6}, {2, 5}, {3, 3}} {
		rows, err := db.QueryContext(ctx, all, tc.arg)
		if err != nil {
			t.Fatal(err)
		}
		if got := sum(t, rows); got != tc.want {
			t.Errorf("%s with %d: sum %d, want %d", all, tc.arg, got, tc.want)
		}
	}
	if got := cc.cached(); !slices.Equal(got, []string{all}) {
		t.Fatalf("cached %q, want [%q]", got, all)
	}
	first := cc.stmts[all].Value.(*cachedStmt)
	// The same text while its rows are open: both read their own rows.
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	outer, err := tx.QueryContext(ctx, all, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !outer.Next() {
		t.Fatal("no first row")
	}
	if !first.inUse {
		t.Error("a statement whose rows are open is not marked in use")
	}
	inner, err := tx.QueryContext(ctx, all, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := sum(t, inner); got != 6 {
		t.Errorf("the inner run read a sum of %d, want 6", got)
	}
	// Two other texts drop the open one from the cache, which closes it
	// only once its rows are.
	for _, q := range []string{one, more} {
		rows, err := tx.QueryContext(ctx, q, 3)
		if err != nil {
			t.Fatal(err)
		}
		sum(t, rows)
	}
	if got := cc.cached(); !slices.Equal(got, []string{more, one}) {
		t.Errorf("cached %q, want [%q %q]", got, more, one)
	}
	if !first.gone {
		t.Error("a statement dropped while in use is not marked to close with its rows")
	}
	var rest int
	for n := 0; ; {
		var v int
		if err := outer.Scan(&v); err != nil {
			t.Fatal(err)
		}
		rest += v
		if n++; !outer.Next() {
			break
		}
	}
	if err := outer.Close(); err != nil {
		t.Fatal(err)
	}
	if rest != 5 {
		t.Errorf("the outer run read a sum of %d after its statement left the cache, want 5", rest)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	// A script runs, and is not cached.
	if _, err := db.ExecContext(ctx, "INSERT INTO t (n) VALUES (4); INSERT INTO t (n) VALUES (5)"); err != nil {
		t.Fatal(err)
	}
	if got := cc.cached(); len(got) != 2 {
		t.Errorf("cached %q after a script, want the two statements before it", got)
	}
	rows, err := db.QueryContext(ctx, all, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := sum(t, rows); got != 15 {
		t.Errorf("sum %d after the script, want 15", got)
	}
	// A statement after a change of schema is recompiled by SQLite.
	if _, err := db.ExecContext(ctx, "ALTER TABLE t ADD COLUMN m INTEGER DEFAULT 7"); err != nil {
		t.Fatal(err)
	}
	rows, err = db.QueryContext(ctx, "SELECT * FROM t WHERE n = ?", 1)
	if err != nil {
		t.Fatal(err)
	}
	if cols, _ := rows.Columns(); len(cols) != 2 {
		t.Errorf("columns %q after ALTER TABLE, want 2", cols)
	}
	rows.Close()
}
