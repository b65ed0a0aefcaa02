package reliability

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// load is members of staff submitting concerns one after another, each
// retrying a submission that got no confirmation with the same form, as a
// person would, until Haven confirms it.
type load struct {
	acks    *acks
	stop    chan struct{} // closed: finish the submission in hand, then stop
	wg      sync.WaitGroup
	retries atomic.Int64 // failed attempts that were retried
	mu      sync.Mutex
	errs    []error
}

// startLoad signs in one client per email and starts them submitting.
// Every submission's account is unique (worker and number), so a duplicate
// shows. giveUp bounds each submission's retries.
func startLoad(t *testing.T, s *site, emails []string, giveUp time.Duration) *load {
	t.Helper()
	l := &load{acks: newAcks(), stop: make(chan struct{})}
	for w, email := range emails {
		c := s.signIn(t, email)
		l.wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-l.stop:
					return
				default:
				}
				sid, err := openForm(c, time.Now().Add(giveUp))
				if err != nil {
					l.fail(fmt.Errorf("worker %d: %w", w, err))
					return
				}
				account := fmt.Sprintf("Load test concern %d from worker %d: she was seen getting into a car after school.", i, w)
				ref, failed, err := submit(c, s.concernForm(sid, account), time.Now().Add(giveUp))
				l.retries.Add(int64(failed))
				if err != nil {
					l.fail(fmt.Errorf("worker %d, submission %d: %w", w, i, err))
					if errors.Is(err, errRejected) {
						return
					}
					continue
				}
				l.acks.add(sid, ref)
			}
		})
	}
	return l
}

func (l *load) fail(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errs = append(l.errs, err)
}

// waitFor blocks until n more submissions have been confirmed, or fails
// the test after limit.
func (l *load) waitFor(t *testing.T, n int, limit time.Duration) {
	t.Helper()
	want := l.acks.len() + n
	deadline := time.Now().Add(limit)
	for l.acks.len() < want {
		if time.Now().After(deadline) {
			l.end(t)
			t.Fatalf("only %d of %d confirmations after %s", l.acks.len(), want, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// end stops the load, waits for the submissions in hand to be confirmed
// and fails the test with any error a worker met.
func (l *load) end(t *testing.T) {
	t.Helper()
	select {
	case <-l.stop:
	default:
		close(l.stop)
	}
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, err := range l.errs {
		t.Error(err)
	}
}
