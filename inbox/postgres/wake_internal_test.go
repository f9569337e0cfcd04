package postgres

import (
	"context"
	"errors"
	"testing"

	"github.com/riverqueue/river/riverdriver"
)

// A fakeListener is a connection whose notifications the test sends.
type fakeListener struct {
	riverdriver.Listener
	notes chan *riverdriver.Notification
	// onCancel, when set, is what a wait interrupted returns: a
	// notification that arrived as it was cancelled, or an error.
	onCancel *riverdriver.Notification
	failWith error
	waiting  chan struct{} // a value each time a wait begins, when not nil
}

func (f *fakeListener) Listen(context.Context, string) error   { return nil }
func (f *fakeListener) Unlisten(context.Context, string) error { return nil }
func (f *fakeListener) Close(context.Context) error            { return nil }

func (f *fakeListener) WaitForNotification(ctx context.Context) (*riverdriver.Notification, error) {
	if f.waiting != nil {
		f.waiting <- struct{}{}
	}
	select {
	case n := <-f.notes:
		return n, nil
	case <-ctx.Done():
		if f.failWith != nil {
			return nil, f.failWith
		}
		if n := f.onCancel; n != nil {
			f.onCancel = nil
			return n, nil
		}
		return nil, ctx.Err()
	}
}

// wait returns the next notification of l, from a goroutine, as River's
// notifier waits.
func wait(l riverdriver.Listener) chan any {
	got := make(chan any, 1)
	go func() {
		n, err := l.WaitForNotification(context.Background())
		if err != nil {
			got <- err
			return
		}
		got <- *n
	}()
	return got
}

func TestWakingListener(t *testing.T) {
	insert := func(queue string) riverdriver.Notification {
		return riverdriver.Notification{Topic: insertTopic, Payload: `{"queue":"` + queue + `"}`}
	}
	control := &riverdriver.Notification{Topic: "river_control", Payload: "{}"}
	broken := errors.New("connection reset")
	for _, tc := range []struct {
		name     string
		onCancel *riverdriver.Notification
		failWith error
		want     []any // what two waits return, the first interrupted by wake("q")
	}{
		{name: "a wake interrupts the wait", want: []any{insert("q"), *control}},
		{name: "a notification that came meanwhile comes first", onCancel: control, want: []any{*control, insert("q")}},
		{name: "a broken connection fails the wait, the wake is kept", failWith: broken, want: []any{broken, insert("q")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var w waker
			f := &fakeListener{notes: make(chan *riverdriver.Notification, 1), onCancel: tc.onCancel, failWith: tc.failWith, waiting: make(chan struct{}, 4)}
			l := w.listener(f)
			first := wait(l)
			<-f.waiting // on the connection
			w.wake("q")
			if got := <-first; !same(got, tc.want[0]) {
				t.Fatalf("first wait = %v, want %v", got, tc.want[0])
			}
			f.failWith = nil
			if tc.onCancel == nil && tc.failWith == nil {
				f.notes <- control
			}
			if got := <-wait(l); !same(got, tc.want[1]) {
				t.Fatalf("second wait = %v, want %v", got, tc.want[1])
			}
		})
	}
}

// same compares a wait's outcome with a wanted one.
func same(got, want any) bool {
	if err, ok := want.(error); ok {
		e, _ := got.(error)
		return errors.Is(e, err)
	}
	return got == want
}

// A fakeTx counts the notifications sent through it, by topic.
type fakeTx struct {
	riverdriver.ExecutorTx
	sent map[string]int
}

func (f *fakeTx) NotifyMany(_ context.Context, p *riverdriver.NotifyManyParams) error {
	f.sent[p.Topic]++
	return nil
}

func TestQuietTx(t *testing.T) {
	ctx := context.Background()
	var w waker
	l := w.listener(&fakeListener{notes: make(chan *riverdriver.Notification)})
	for _, tc := range []struct {
		step       func() error
		wantInsert int // insert notifications sent, after the step and one NotifyMany of each topic
	}{
		{step: func() error { return nil }, wantInsert: 1},                            // no worker listens: River notifies
		{step: func() error { return l.Listen(ctx, "river_control") }, wantInsert: 1}, // another topic
		{step: func() error { return l.Listen(ctx, insertTopic) }, wantInsert: 0},     // workers listen: woken by the commit
		{step: func() error { return l.Unlisten(ctx, insertTopic) }, wantInsert: 1},   // no longer
		{step: func() error { return l.Listen(ctx, insertTopic) }, wantInsert: 0},     // again
		{step: func() error { return l.Close(ctx) }, wantInsert: 1},                   // the connection closed
	} {
		if err := tc.step(); err != nil {
			t.Fatal(err)
		}
		f := &fakeTx{sent: map[string]int{}}
		tx := quietTx{ExecutorTx: f, w: &w}
		for _, topic := range []string{insertTopic, "river_control", "river_leadership"} {
			if err := tx.NotifyMany(ctx, &riverdriver.NotifyManyParams{Topic: topic, Payload: []string{"{}"}}); err != nil {
				t.Fatal(err)
			}
		}
		if f.sent[insertTopic] != tc.wantInsert || f.sent["river_control"] != 1 || f.sent["river_leadership"] != 1 {
			t.Errorf("sent %v, want %d insert notifications and one of each other topic", f.sent, tc.wantInsert)
		}
	}
}
