package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river/riverdriver"
)

// River's PostgreSQL driver tells every replica of every insert: the
// inserting transaction NOTIFYs river_insert (at most once a
// FetchCooldown per replica), and each replica listening is told in a
// transaction of its own, then fetches. With three replicas that was one
// transaction more per delivery than storing it took, and PostgreSQL
// serializes the commits of notifying transactions.
//
// A replica whose workers listen takes what it stores itself: its commit
// wakes its own workers through their listener, and leaves out River's
// NOTIFY. The other replicas find what it leaves at their next poll
// (PollInterval), as they find a killed replica's deliveries. Notifying
// them while its workers were all busy, as an earlier version did, made
// every replica read a notification of every commit just when a backlog
// had formed, and under load the replicas then forwarded less than they
// received, so that the backlog stayed. A replica without workers, or
// whose workers do not run, notifies as River does, and River's other
// notifications (a retry due, a queue paused, a leader resigning) are
// unchanged.

// insertTopic is the topic of River's insert notifications, v0.51.2.
const insertTopic = "river_insert"

// A waker wakes the workers of this process to fetch from a queue,
// through the listeners River's notifier uses.
type waker struct {
	mu        sync.Mutex
	listeners []*wakingListener
	// listening counts the listeners listening to insertTopic: while
	// one does, this process's workers are woken by wake, and its
	// commits do not notify.
	listening atomic.Int32
}

// wake tells the workers of queue, in this process, that it has
// deliveries due.
func (w *waker) wake(queue string) {
	w.mu.Lock()
	ls := w.listeners
	w.mu.Unlock()
	for _, l := range ls {
		l.wake(queue)
	}
}

// quiet reports whether commits leave River's insert notification out.
func (w *waker) quiet() bool {
	return w.listening.Load() > 0
}

// listener returns River's listener l, which wakes its notifier also
// when w.wake is called.
func (w *waker) listener(l riverdriver.Listener) *wakingListener {
	wl := &wakingListener{Listener: l, w: w, woken: map[string]bool{}, signal: make(chan struct{}, 1)}
	w.mu.Lock()
	w.listeners = append(w.listeners, wl)
	w.mu.Unlock()
	return wl
}

// A wakingListener is River's listener, which also returns an insert
// notification for each queue woken locally.
type wakingListener struct {
	riverdriver.Listener
	w *waker

	mu        sync.Mutex
	listening bool            // to insertTopic
	woken     map[string]bool // queues woken, yet to be returned
	held      *riverdriver.Notification
	signal    chan struct{} // a value when a wake is yet to interrupt a wait
}

// wake records queue as woken, and interrupts a wait.
func (l *wakingListener) wake(queue string) {
	l.mu.Lock()
	l.woken[queue] = true
	l.mu.Unlock()
	select {
	case l.signal <- struct{}{}:
	default:
	}
}

// Listen listens to topic, noting whether it is insertTopic.
func (l *wakingListener) Listen(ctx context.Context, topic string) error {
	if err := l.Listener.Listen(ctx, topic); err != nil {
		return err
	}
	if topic == insertTopic {
		l.setListening(true)
	}
	return nil
}

// Unlisten stops listening to topic.
func (l *wakingListener) Unlisten(ctx context.Context, topic string) error {
	if topic == insertTopic {
		l.setListening(false)
	}
	return l.Listener.Unlisten(ctx, topic)
}

// Close closes the connection, which listens to nothing anymore.
func (l *wakingListener) Close(ctx context.Context) error {
	l.setListening(false)
	return l.Listener.Close(ctx)
}

// setListening records whether l listens to insertTopic.
func (l *wakingListener) setListening(on bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.listening == on {
		return
	}
	l.listening = on
	if on {
		l.w.listening.Add(1)
	} else {
		l.w.listening.Add(-1)
	}
}

// next returns a notification held or a queue woken, or nil.
func (l *wakingListener) next() *riverdriver.Notification {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := l.held; n != nil {
		l.held = nil
		return n
	}
	for queue := range l.woken {
		delete(l.woken, queue)
		payload, _ := json.Marshal(struct {
			Queue string `json:"queue"`
		}{queue})
		return &riverdriver.Notification{Topic: insertTopic, Payload: string(payload)}
	}
	return nil
}

// WaitForNotification returns the next notification: a queue woken
// locally, or one from PostgreSQL. A wake interrupts the wait on the
// connection, as River's notifier does to listen to another topic; a
// notification the connection returned meanwhile is returned next.
func (l *wakingListener) WaitForNotification(ctx context.Context) (*riverdriver.Notification, error) {
	for {
		if n := l.next(); n != nil {
			return n, nil
		}
		type waited struct {
			n   *riverdriver.Notification
			err error
		}
		wctx, cancel := context.WithCancel(ctx)
		got := make(chan waited, 1)
		go func() {
			n, err := l.Listener.WaitForNotification(wctx)
			got <- waited{n, err}
		}()
		select {
		case w := <-got:
			cancel()
			return w.n, w.err
		case <-l.signal:
		}
		cancel()
		w := <-got
		if w.err == nil {
			l.mu.Lock()
			l.held = w.n
			l.mu.Unlock()
			continue
		}
		if ctx.Err() != nil || !errors.Is(w.err, context.Canceled) {
			// What was woken stays for the next call, on this
			// connection or the one River connects instead.
			return nil, w.err
		}
	}
}

// A quietTx is River's executor of a transaction of the store's commit,
// leaving out River's insert notification while this process's workers
// are woken by the commit itself.
type quietTx struct {
	riverdriver.ExecutorTx
	w *waker
}

// NotifyMany sends River's notifications, but for insertTopic's while
// w.quiet holds.
func (t quietTx) NotifyMany(ctx context.Context, params *riverdriver.NotifyManyParams) error {
	if params.Topic == insertTopic && t.w.quiet() {
		return nil
	}
	return t.ExecutorTx.NotifyMany(ctx, params)
}

// unwrapTx returns the pgx.Tx of River's executor e, which a quietTx wraps.
func unwrapTx(unwrap func(riverdriver.ExecutorTx) pgx.Tx, e riverdriver.ExecutorTx) pgx.Tx {
	if q, ok := e.(quietTx); ok {
		e = q.ExecutorTx
	}
	return unwrap(e)
}
