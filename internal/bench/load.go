// Package bench is Haven's HTTP benchmark (`make bench`, cmd/havenbench):
// a load generator of concurrent clients with their own sessions, Haven
// served in-process on loopback, and the bare baseline it is judged
// against — a minimal net/http + pgx server running the same SQL — each on
// a freshly cloned copy of one generated database (package scale), in
// alternating rounds, so that every figure is also a ratio measured under
// the same conditions. Absolute figures on a shared machine drift; the
// ratios are what the targets are set on.
package bench

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Limits bound one load run: it stops at whichever comes first.
type Limits struct {
	Requests int           // requests over all clients
	Duration time.Duration // wall time
}

// Run is one load run's outcome.
type Run struct {
	Requests  int             // answered as expected
	Errors    int             // failed or answered otherwise
	Elapsed   time.Duration   // from the first request to the last answer
	Latencies []time.Duration // of the requests answered as expected, sorted
	FirstErr  error
}

// Throughput is requests answered as expected per second.
func (r Run) Throughput() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// Percentile is the latency at p (0 to 100), by the nearest-rank method.
func (r Run) Percentile(p float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	rank := int(p/100*float64(len(r.Latencies))+0.5) - 1
	return r.Latencies[max(0, min(rank, len(r.Latencies)-1))]
}

// Merge pools several runs of the same kind (the rounds of one stack).
func Merge(runs ...Run) Run {
	var m Run
	for _, r := range runs {
		m.Requests += r.Requests
		m.Errors += r.Errors
		m.Elapsed += r.Elapsed
		m.Latencies = append(m.Latencies, r.Latencies...)
		if m.FirstErr == nil {
			m.FirstErr = r.FirstErr
		}
	}
	slices.Sort(m.Latencies)
	return m
}

// Load runs do from each of clients concurrent workers (worker 0 to
// clients-1), one request after another, until lim: no request starts
// after it, and those in flight finish. do returns nil for an answer as
// expected.
func Load(ctx context.Context, clients int, lim Limits, do func(ctx context.Context, worker, i int) error) Run {
	deadline := time.Now().Add(lim.Duration)
	var (
		mu      sync.Mutex
		run     Run
		started int
		wg      sync.WaitGroup
	)
	take := func() (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		if started >= lim.Requests || ctx.Err() != nil || time.Now().After(deadline) {
			return 0, false
		}
		started++
		return started - 1, true
	}
	start := time.Now()
	for w := range clients {
		wg.Go(func() {
			for {
				i, ok := take()
				if !ok {
					return
				}
				t0 := time.Now()
				err := do(ctx, w, i)
				d := time.Since(t0)
				mu.Lock()
				switch {
				case err == nil:
					run.Requests++
					run.Latencies = append(run.Latencies, d)
				case ctx.Err() != nil:
					// the run was cancelled: neither an answer nor an error
				default:
					run.Errors++
					if run.FirstErr == nil {
						run.FirstErr = fmt.Errorf("request %d: %w", i, err)
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	run.Elapsed = time.Since(start)
	slices.Sort(run.Latencies)
	return run
}
