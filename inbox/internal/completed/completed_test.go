package completed

import (
	"slices"
	"testing"
	"time"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"
)

// TestCompletedTake splits River's completer's params into the jobs the
// store completed, answered from memory and forgotten, and the rest, left
// to River's driver with every field of theirs.
func TestCompletedTake(t *testing.T) {
	at := 3
	row := func(id int64) *rivertype.JobRow {
		return &rivertype.JobRow{ID: id, State: rivertype.JobStateCompleted}
	}
	type job struct {
		id    int64
		state rivertype.JobState
		merge bool
	}
	for _, tc := range []struct {
		name     string
		stored   []int64
		jobs     []job
		answered []int64
		left     []int64 // nil: no call to River's driver
	}{
		{"all completed by the store", []int64{1, 2}, []job{{1, "completed", false}, {2, "completed", false}}, []int64{1, 2}, nil},
		{"none", nil, []job{{1, "completed", false}}, nil, []int64{1}},
		{"a failed attempt is River's", []int64{1}, []job{{1, "retryable", false}}, nil, []int64{1}},
		{"metadata to merge is River's", []int64{1}, []job{{1, "completed", true}}, nil, []int64{1}},
		{"mixed", []int64{2, 4}, []job{{1, "completed", false}, {2, "completed", false}, {3, "discarded", false}, {4, "completed", false}}, []int64{2, 4}, []int64{1, 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c Jobs
			for _, id := range tc.stored {
				c.Add([]*rivertype.JobRow{row(id)})
			}
			p := &riverdriver.JobSetStateIfRunningManyParams{Schema: "s"}
			for _, j := range tc.jobs {
				p.ID = append(p.ID, j.id)
				p.State = append(p.State, j.state)
				p.MetadataDoMerge = append(p.MetadataDoMerge, j.merge)
				p.Attempt = append(p.Attempt, &at)
				p.ErrData = append(p.ErrData, []byte(`{"n":1}`))
				p.FinalizedAt = append(p.FinalizedAt, nil)
				p.MetadataUpdates = append(p.MetadataUpdates, nil)
				p.ScheduledAt = append(p.ScheduledAt, nil)
			}
			done, rest := c.take(p)
			var answered []int64
			for _, r := range done {
				answered = append(answered, r.ID)
			}
			if !slices.Equal(answered, tc.answered) {
				t.Errorf("answered %v, want %v", answered, tc.answered)
			}
			if tc.left == nil {
				if rest != nil {
					t.Errorf("left %v to River's driver, want no call", rest.ID)
				}
				return
			}
			if rest == nil {
				t.Fatalf("left nothing to River's driver, want %v", tc.left)
			}
			if !slices.Equal(rest.ID, tc.left) || rest.Schema != "s" {
				t.Errorf("left %v (schema %q), want %v (s)", rest.ID, rest.Schema, tc.left)
			}
			for _, f := range []int{len(rest.Attempt), len(rest.ErrData), len(rest.FinalizedAt), len(rest.MetadataDoMerge), len(rest.MetadataUpdates), len(rest.ScheduledAt), len(rest.State)} {
				if f != len(tc.left) {
					t.Errorf("a field of the params left has %d entries, want %d", f, len(tc.left))
				}
			}
			if len(c.rows) != len(tc.stored)-len(tc.answered) {
				t.Errorf("%d completions remembered after, want %d", len(c.rows), len(tc.stored)-len(tc.answered))
			}
			// Asked again, a job answered is River's.
			if len(tc.answered) > 0 {
				if d, _ := c.take(&riverdriver.JobSetStateIfRunningManyParams{ID: tc.answered[:1], State: []rivertype.JobState{"completed"}, MetadataDoMerge: []bool{false},
					Attempt: []*int{nil}, ErrData: [][]byte{nil}, FinalizedAt: []*time.Time{nil}, MetadataUpdates: [][]byte{nil}, ScheduledAt: []*time.Time{nil}}); len(d) != 0 {
					t.Errorf("job %d answered twice", tc.answered[0])
				}
			}
		})
	}
}
