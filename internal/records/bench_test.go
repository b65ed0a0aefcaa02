package records_test

import (
	"context"
	"encoding/csv"
	"errors"
	"io"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/db"
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
				// The baseline, right after (A then B): the same rows
				// through one query and encoding/csv, as the same reader.
				b.StopTimer()
				start = time.Now()
				plainRows, err := plainCSV(ctx, f.db.App, f.dsl)
				if err != nil || plainRows != n {
					b.Fatalf("plain export: %d rows, %v", plainRows, err)
				}
				plain := time.Since(start)
				b.StartTimer()
				b.ReportMetric(float64(n)/plain.Seconds(), "plain-rows/s")
				b.ReportMetric(plain.Seconds()/elapsed.Seconds(), "x-plain")
				b.ReportMetric(float64(n)/elapsed.Seconds(), "rows/s")
				b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
				b.ReportMetric(float64(peak.Load()-min(peak.Load(), base.HeapInuse))/(1<<20), "heap-growth-MiB")
				b.ReportMetric(float64(got.SizeBytes)/(1<<20), "file-MiB")
			}
		})
	}
}

// plainCSV is the baseline exports are judged against: a plain streaming
// exporter of the same rows (each concern with its children, decision and
// actions) — one query in the reader's school transaction, written with
// encoding/csv — with nothing else: no batches, no formats, no cell
// neutralising, no file kept in Postgres.
func plainCSV(ctx context.Context, pool *pgxpool.Pool, by actor.Actor) (int, error) {
	n := 0
	err := db.InSchool(ctx, pool, by, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, `SELECT c.ref, c.happened_on::text, c.created_at::text, coalesce(u.name, ''), c.status,
				c.urgency, array_to_string(c.categories, ', '), c.location, c.account, c.childs_words, c.outcome_summary,
				coalesce((SELECT string_agg(coalesce(ch.first_name || ' ' || ch.last_name, cc.description), '; ' ORDER BY cc.position)
					FROM concern_children cc LEFT JOIN children ch ON ch.school_id = cc.school_id AND ch.id = cc.child_id
					WHERE cc.school_id = c.school_id AND cc.concern_id = c.id), ''),
				coalesce((SELECT string_agg(d.outcome || ': ' || d.reason, '; ' ORDER BY d.decided_at)
					FROM concern_decisions d WHERE d.school_id = c.school_id AND d.concern_id = c.id), ''),
				coalesce((SELECT string_agg(a.kind || ' ' || a.action_on || ': ' || a.note, '; ' ORDER BY a.action_on)
					FROM concern_actions a WHERE a.school_id = c.school_id AND a.concern_id = c.id), '')
			FROM concerns c LEFT JOIN users u ON u.id = c.recorded_by
			WHERE c.school_id = $1 AND c.entered_in_error_at IS NULL ORDER BY c.id`, by.SchoolID)
		w := csv.NewWriter(io.Discard)
		record := make([]string, 14)
		dest := make([]any, len(record))
		for i := range record {
			dest[i] = &record[i]
		}
		_, err := pgx.ForEachRow(rows, dest, func() error {
			n++
			return w.Write(record)
		})
		w.Flush()
		return errors.Join(err, w.Error())
	})
	return n, err
}
