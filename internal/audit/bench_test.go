package audit

import (
	"context"
	"crypto/sha256"
	"flag"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/db/dbtest"
)

// Benchmarks run only with -bench (a future `make bench`), never in `make test`:
//
//	go run ./cmd/withpg -- go test -run XXX -bench . -benchtime 2000x ./internal/audit/
var benchRows = flag.Int("audit.rows", 1_000_000, "rows BenchmarkVerify generates")

// BenchmarkAppend measures one audited transaction: begin, Record, commit.
func BenchmarkAppend(b *testing.B) {
	d := dbtest.Open(b)
	ctx := context.Background()
	schools := make([]int64, 8)
	for i := range schools {
		if err := d.Owner.QueryRow(ctx, `INSERT INTO schools (slug, name) VALUES ($1, $1) RETURNING id`,
			fmt.Sprintf("bench-%d", i)).Scan(&schools[i]); err != nil {
			b.Fatal(err)
		}
	}
	e := Event{Action: "concern.view", SubjectType: "concern", SubjectID: "C-2026-000123", Details: map[string]any{"tab": "chronology"}}
	src := actor.Source{RequestID: "bench", ClientIP: "192.0.2.1", UserAgent: "Mozilla/5.0 (bench)"}
	appendIn := func(school int64) error {
		by := actor.Actor{UserID: 1, SchoolID: school, Role: actor.DSL, Source: src}
		return db.InSchool(ctx, d.App, by, func(tx pgx.Tx) error { return Record(ctx, tx, by, e) })
	}

	b.Run("one school", func(b *testing.B) {
		for b.Loop() {
			if err := appendIn(schools[0]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("one school, parallel", func(b *testing.B) { // appends queue on the head lock
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := appendIn(schools[1]); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("many schools, parallel", func(b *testing.B) { // no lock shared
		var n atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			school := schools[2+int(n.Add(1))%(len(schools)-2)]
			for pb.Next() {
				if err := appendIn(school); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkVerify measures Verify's throughput on one chain of -audit.rows
// rows (a million by default), generated with hashes computed in Go and
// copied in with the chaining trigger off.
func BenchmarkVerify(b *testing.B) {
	if testing.Short() {
		b.Skip("generates a million audit rows")
	}
	d := dbtest.Open(b)
	ctx := context.Background()
	var school int64
	if err := d.Owner.QueryRow(ctx, `INSERT INTO schools (slug, name) VALUES ('bench', 'Bench') RETURNING id`).Scan(&school); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	head := generate(b, d, school, *benchRows)
	b.Logf("generated %d rows in %v", *benchRows, time.Since(start).Round(time.Millisecond))
	if _, err := d.Owner.Exec(ctx, `INSERT INTO audit_heads (chain_id, last_seq, last_hash) VALUES ($1, $2, $3)`,
		school, *benchRows, head); err != nil {
		b.Fatal(err)
	}
	if _, err := d.Owner.Exec(ctx, `VACUUM ANALYZE audit_events`); err != nil {
		b.Fatal(err)
	}

	// Each iteration also times the plain pass over the same rows, right
	// after Verify (A then B, alternating), outside the benchmark's timer.
	b.ResetTimer()
	var rows, plainRows int64
	var plain time.Duration
	for b.Loop() {
		rep, err := Verify(ctx, d.Owner, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if !rep.OK() || rep.Rows != int64(*benchRows) {
			b.Fatalf("report = %+v, want %d rows holding", rep, *benchRows)
		}
		rows += rep.Rows
		b.StopTimer()
		start := time.Now()
		n, err := plainPass(ctx, d.Owner, school)
		if err != nil || n != int64(*benchRows) {
			b.Fatalf("plain pass: %d rows, %v", n, err)
		}
		plain += time.Since(start)
		plainRows += n
		b.StartTimer()
	}
	verifyRate := float64(rows) / b.Elapsed().Seconds()
	plainRate := float64(plainRows) / plain.Seconds()
	b.ReportMetric(verifyRate, "rows/s")
	b.ReportMetric(plainRate, "plain-rows/s")
	b.ReportMetric(verifyRate/plainRate, "x-plain")
}

// generate copies n chained rows into school's chain as the owner, made by
// a Chain with the chaining trigger disabled for the copy (in the copy's
// transaction), and returns the last hash.
func generate(b *testing.B, d dbtest.DB, school int64, n int) []byte {
	ctx := context.Background()
	t0 := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)
	chain := NewChain(school)
	src := actor.Source{RequestID: "bench", ClientIP: "192.0.2.1", UserAgent: "Mozilla/5.0 (bench)"}
	i := 0
	err := pgx.BeginFunc(ctx, d.Owner, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `ALTER TABLE audit_events DISABLE TRIGGER audit_events_append`); err != nil {
			return err
		}
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"audit_events"}, CopyColumns, pgx.CopyFromFunc(func() ([]any, error) {
			if i == n {
				return nil, nil
			}
			i++
			by := actor.Actor{UserID: int64(i%40 + 1), SchoolID: school, Role: actor.DSL, Source: src}
			return chain.Append(t0.Add(time.Duration(i)*time.Second), by, Event{Action: "concern.view",
				SubjectType: "concern", SubjectID: fmt.Sprintf("C-2026-%06d", i%5000), Details: map[string]any{"n": i}})
		}))
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `ALTER TABLE audit_events ENABLE TRIGGER audit_events_append`)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	_, head := chain.Head()
	return head
}

// plainPass is the baseline Verify is judged against: the same rows
// streamed over pgx in seq order with SHA-256 over their bytes, and
// nothing else (no canonical encoding, no links, heads or checkpoints).
func plainPass(ctx context.Context, pool *pgxpool.Pool, chainID int64) (int64, error) {
	rows, _ := pool.Query(ctx, `
		SELECT seq, occurred_at, coalesce(actor_user_id, 0), actor_role, action, subject_type, subject_id,
			request_id, client_addr, user_agent, details, prev_hash, row_hash
		FROM audit_events WHERE chain_id = $1 ORDER BY seq`, chainID)
	var (
		seq, user                                           int64
		at                                                  time.Time
		role, action, stype, sid, req, addr, agent, details string
		prev, hash                                          []byte
		n                                                   int64
		sum                                                 [sha256.Size]byte
	)
	_, err := pgx.ForEachRow(rows, []any{&seq, &at, &user, &role, &action, &stype, &sid, &req, &addr, &agent, &details,
		&prev, &hash}, func() error {
		h := sha256.New()
		h.Write(prev)
		for _, f := range []string{role, action, stype, sid, req, addr, agent, details} {
			h.Write([]byte(f))
		}
		h.Sum(sum[:0])
		n++
		return nil
	})
	return n, err
}
