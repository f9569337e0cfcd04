package postgres

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/dailywebhooks/events"
	"github.com/dailywebhooks/events/inbox"
	"github.com/dailywebhooks/events/inbox/inboxtest"
	"github.com/jackc/pgx/v5"
)

// TestCompletePlan checks that a completion finds its jobs by their IDs,
// however many completed jobs River's fetching index still lists as
// running (their dead entries, until a vacuum), and that it completes
// only the jobs still running.
func TestCompletePlan(t *testing.T) {
	ctx := context.Background()
	url := inboxtest.StartPostgres(t).NewDatabase(t)
	_, v := NewTestVerifier(t)
	in, err := Open(ctx, url, inbox.Config{Verifier: v, Handle: func(context.Context, events.Event) error { return nil },
		Workers: -1, Logger: NewTestLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	// As under load: thousands of jobs gone through running to completed,
	// no vacuum or analyze since, and a few running now, one of them
	// already taken back (its replica died) and another completed.
	for _, q := range []string{
		`ALTER TABLE river_job SET (autovacuum_enabled = false)`,
		`INSERT INTO river_job (args, kind, max_attempts, queue, state)
			SELECT jsonb_build_object('key', 'k' || i), 'plan', 5, 'default', 'available' FROM generate_series(1, 5000) i`,
		`UPDATE river_job SET state = 'running', attempt = 1, attempted_at = now()`,
		`UPDATE river_job SET state = 'completed', finalized_at = now() WHERE id > 10`,
		`UPDATE river_job SET state = 'available' WHERE id = 9`,
		`UPDATE river_job SET state = 'completed', finalized_at = now() WHERE id = 10`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	ids := []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	var plan []map[string]any
	if err := conn.QueryRow(ctx, "EXPLAIN (FORMAT JSON) "+postgresComplete, ids, time.Now()).Scan(&plan); err != nil {
		t.Fatal(err)
	}
	indexes := planIndexes(plan)
	t.Logf("indexes in the plan: %v", indexes)
	if !slices.Equal(indexes, []string{"river_job_pkey"}) {
		raw, _ := json.MarshalIndent(plan, "", "  ")
		t.Fatalf("the completion uses indexes %v, want river_job_pkey alone:\n%s", indexes, raw)
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	rows, err := tx.Query(ctx, postgresComplete, ids, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	done, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(done)
	if want := ids[:8]; !slices.Equal(done, want) {
		t.Errorf("completed %v, want %v: the jobs still running only", done, want)
	}
}

// planIndexes returns the names of the indexes that the nodes of an
// EXPLAIN (FORMAT JSON) plan scan, in order.
func planIndexes(plan []map[string]any) []string {
	var names []string
	var walk func(node map[string]any)
	walk = func(node map[string]any) {
		if name, ok := node["Index Name"].(string); ok {
			names = append(names, name)
		}
		children, _ := node["Plans"].([]any)
		for _, c := range children {
			if m, ok := c.(map[string]any); ok {
				walk(m)
			}
		}
	}
	for _, p := range plan {
		if root, ok := p["Plan"].(map[string]any); ok {
			walk(root)
		}
	}
	return names
}
