package concern

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// FeedChannel is the Postgres channel a new concern notifies with its
// school's id (migration 00069): nothing else of the concern.
const FeedChannel = "haven_concerns"

// Feed tells an open Safeguarding queue when its school has a new concern.
// It LISTENs on one dedicated connection of its own — never one held from
// the application's pool — from the first subscription until Close,
// reconnecting after a failure (and then telling every subscriber, who may
// have missed a notification). Subscribers learn only that something is
// new; each counts what it may see.
type Feed struct {
	cfg *pgx.ConnConfig
	log *slog.Logger

	mu      sync.Mutex
	subs    map[int64]map[chan struct{}]bool
	started bool
	closed  bool
	cancel  context.CancelFunc
	done    chan struct{}
}

// NewFeed returns a Feed that connects with cfg (a copy is taken).
func NewFeed(cfg *pgx.ConnConfig, log *slog.Logger) *Feed {
	return &Feed{cfg: cfg.Copy(), log: log, subs: map[int64]map[chan struct{}]bool{}, done: make(chan struct{})}
}

// Subscribe returns a channel that receives (at most one pending value)
// whenever schoolID has a new concern, and a function to unsubscribe. The
// first subscription starts listening. After Close the channel never fires.
func (f *Feed) Subscribe(schoolID int64) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return ch, func() {}
	}
	if f.subs[schoolID] == nil {
		f.subs[schoolID] = map[chan struct{}]bool{}
	}
	f.subs[schoolID][ch] = true
	if !f.started {
		f.started = true
		ctx, cancel := context.WithCancel(context.Background())
		f.cancel = cancel
		go f.run(ctx)
	}
	return ch, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		delete(f.subs[schoolID], ch)
		if len(f.subs[schoolID]) == 0 {
			delete(f.subs, schoolID)
		}
	}
}

// Close stops listening and closes the connection. Later calls do nothing.
func (f *Feed) Close() {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return
	}
	f.closed = true
	started, cancel := f.started, f.cancel
	f.mu.Unlock()
	if started {
		cancel()
		<-f.done
	}
}

// tell wakes the subscribers of schoolID (every school's when schoolID is 0).
func (f *Feed) tell(schoolID int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for school, subs := range f.subs {
		if schoolID != 0 && school != schoolID {
			continue
		}
		for ch := range subs {
			select {
			case ch <- struct{}{}:
			default: // one wake-up is pending already
			}
		}
	}
}

func (f *Feed) run(ctx context.Context) {
	defer close(f.done)
	backoff := time.Second
	for ctx.Err() == nil {
		err := f.listen(ctx)
		if ctx.Err() != nil {
			return
		}
		f.log.Warn("queue feed: listening stopped; reconnecting", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

// listen connects, LISTENs and hands on notifications until an error.
// Once listening it tells everyone, the first time too: a subscriber that
// counted before the LISTEN took hold (the first queue opened after a
// start) or while it was away (a reconnection) may have missed a
// notification, and counts again.
func (f *Feed) listen(ctx context.Context) error {
	conn, err := pgx.ConnectConfig(ctx, f.cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+FeedChannel); err != nil {
		return err
	}
	f.tell(0)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if id, err := strconv.ParseInt(n.Payload, 10, 64); err == nil && id > 0 {
			f.tell(id)
		}
	}
}
