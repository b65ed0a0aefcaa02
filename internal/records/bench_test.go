package records_test

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/havenschools/haven/internal/records"
)

// BenchmarkExport100k exports 100,000 generated concerns (each with a
// decision and an action) in each format and reports rows per second and
// the peak heap while it ran, sampled every 10 ms. The heap stays flat: one
// batch of concerns and one chunk of the file are held at a time.
//
//	go test ./internal/records/ -run '^$' -bench Export100k -benchtime 1x
func BenchmarkExport100k(b *testing.B) {
	f := newFixture(b)
	ctx := context.Background()
	const n = 100_000
	if _, err := f.db.Owner.Exec(ctx, `
		INSERT INTO concerns (school_id, ref, submission_id, recorded_by, happened_on, seen_on, location, account,
			childs_words, told_dsl, in_danger, categories, status)
		SELECT $1, 'C-2026-' || lpad(g::text, 6, '0'), gen_random_uuid(), $2, date '2026-01-01' + (g % 300),
			date '2026-01-01' + (g % 300), 'Corridor ' || g, repeat('She said an older man picks her up. ', 8) || g,
			'"He buys me things"', 'not_yet', g % 50 = 0, '{cse}', 'in_progress'
		FROM generate_series(1, $3) AS g`, f.school, f.staff.UserID, n); err != nil {
		b.Fatal(err)
	}
	for _, sql := range []string{
		`INSERT INTO concern_children (school_id, concern_id, position, child_id, role)
			SELECT school_id, id, 0, $2, 'subject' FROM concerns WHERE school_id = $1 AND $3::bigint > 0`,
		`INSERT INTO concern_decisions (school_id, concern_id, outcome, reason, parents, childs_wishes, decided_by)
			SELECT school_id, id, 'monitor', 'Pattern of lifts from an adult', 'told', 'She wants it to stop', $3
			FROM concerns WHERE school_id = $1 AND $2::bigint > 0`,
		`INSERT INTO concern_actions (school_id, concern_id, kind, action_on, note, recorded_by)
			SELECT school_id, id, 'monitoring', happened_on + 1, 'Checked in with her at lunch', $3
			FROM concerns WHERE school_id = $1 AND $2::bigint > 0`,
	} {
		if _, err := f.db.Owner.Exec(ctx, sql, f.school, f.amara.ID, f.dsl.UserID); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := f.db.Owner.Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	for _, format := range records.Formats() {
		b.Run(string(format), func(b *testing.B) {
			for b.Loop() {
				e, err := f.svc.RequestExport(ctx, f.dsl, records.Request{Format: format, Reason: "Benchmark"})
				if err != nil {
					b.Fatal(err)
				}
				runtime.GC()
				var base runtime.MemStats
				runtime.ReadMemStats(&base)
				var peak atomic.Uint64
				stop := make(chan struct{})
				done := make(chan struct{})
				go func() {
					defer close(done)
					var m runtime.MemStats
					for {
						runtime.ReadMemStats(&m)
						if m.HeapInuse > peak.Load() {
							peak.Store(m.HeapInuse)
						}
						select {
						case <-stop:
							return
						case <-time.After(10 * time.Millisecond):
						}
					}
				}()
				start := time.Now()
				if err := f.svc.RunExport(ctx, f.school, e.ID); err != nil {
					b.Fatal(err)
				}
				elapsed := time.Since(start)
				close(stop)
				<-done
				got, err := f.svc.Export(ctx, f.dsl, e.PublicID)
				if err != nil || got.RowsDone != n {
					b.Fatalf("exported %d concerns (%v), want %d", got.RowsDone, err, n)
				}
				b.ReportMetric(float64(n)/elapsed.Seconds(), "rows/s")
				b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
				b.ReportMetric(float64(peak.Load()-min(peak.Load(), base.HeapInuse))/(1<<20), "heap-growth-MiB")
				b.ReportMetric(float64(got.SizeBytes)/(1<<20), "file-MiB")
			}
		})
	}
}
