package concern_test

import (
	"context"
	"flag"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/concern"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/db/dbtest"
	"github.com/havenschools/haven/internal/scale"
	"github.com/havenschools/haven/internal/when"
)

// Benchmarks run only with -bench (`make bench`), never in `make test`:
//
//	go test ./internal/concern/ -run '^$' -bench . -args -concern.concerns=100000
var (
	benchConcerns = flag.Int("concern.concerns", 20_000, "concerns BenchmarkConcern generates")
	benchSchools  = flag.Int("concern.schools", 10, "schools they are spread over (the first has a quarter)")
)

// benchSchool is a generated school with people to act as.
type benchSchool struct {
	scale.School
	dsl, staff actor.Actor
}

func benchSchoolOf(b *testing.B, d dbtest.DB, s scale.School) benchSchool {
	b.Helper()
	ctx := context.Background()
	bs := benchSchool{School: s}
	src := actor.Source{RequestID: "bench", ClientIP: "192.0.2.1", UserAgent: "Mozilla/5.0 (bench)"}
	for _, p := range []struct {
		who   *actor.Actor
		query string
		role  actor.Role
	}{
		{&bs.dsl, `SELECT user_id FROM memberships WHERE school_id = $1 AND role = 'dsl' AND NOT deputy`, actor.DSL},
		{&bs.staff, `SELECT min(user_id) FROM memberships WHERE school_id = $1 AND role = 'staff'`, actor.Staff},
	} {
		*p.who = actor.Actor{SchoolID: s.ID, Role: p.role, Source: src}
		if err := d.Owner.QueryRow(ctx, p.query, s.ID).Scan(&p.who.UserID); err != nil {
			b.Fatal(err)
		}
	}
	return bs
}

// BenchmarkConcern measures the hot paths on generated data (package
// scale): submitting a concern (the whole transaction: children,
// indicators, the DSLs' email jobs, the escalation job and the audit row),
// the Safeguarding queue's first page and a later one, and a child's
// chronology, each for a typical school and the largest.
func BenchmarkConcern(b *testing.B) {
	d := dbtest.Open(b)
	ctx := context.Background()
	start := time.Now()
	res, err := scale.Generate(ctx, d.Owner, scale.Options{Schools: *benchSchools, Concerns: *benchConcerns, Seed: 1,
		Largest: 0.25})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("generated %d concerns over %d schools in %v", *benchConcerns, *benchSchools, time.Since(start).Round(time.Millisecond))
	svc := concern.NewService(d.App, newJobs(b, d.App), "https://haven.example.test")
	typical, largest := benchSchoolOf(b, d, res.Typical()), benchSchoolOf(b, d, res.Largest())
	schools := []struct {
		name string
		s    benchSchool
	}{{"typical", typical}, {"largest", largest}}

	b.Run("submit", func(b *testing.B) {
		// Each iteration also times, outside the benchmark's timer, an
		// empty school transaction and one that only appends an audit row:
		// the difference is the audit step's cost, reported as a share of
		// a submission.
		var submit, bare, audited time.Duration
		n := 0
		for b.Loop() {
			t0 := time.Now()
			if _, err := svc.Submit(ctx, typical.staff, benchForm(typical.School)); err != nil {
				b.Fatal(err)
			}
			submit += time.Since(t0)
			b.StopTimer()
			t0 = time.Now()
			if err := db.InSchool(ctx, d.App, typical.staff, func(pgx.Tx) error { return nil }); err != nil {
				b.Fatal(err)
			}
			bare += time.Since(t0)
			t0 = time.Now()
			if err := db.InSchool(ctx, d.App, typical.staff, func(tx pgx.Tx) error {
				return audit.Record(ctx, tx, typical.staff, audit.Event{Action: "concern.submit", SubjectType: "concern",
					SubjectID: "C-2026-999999", Details: map[string]any{"children": 2, "in_danger": false, "attachments": 0,
						"indicators": 3, "body_marks": 0, "on_behalf": false}})
			}); err != nil {
				b.Fatal(err)
			}
			audited += time.Since(t0)
			n++
			b.StartTimer()
		}
		b.ReportMetric(100*float64(audited-bare)/float64(submit), "audit-%")
	})

	b.Run("submit/parallel", func(b *testing.B) {
		// Eight submitters at once, each in a school of their own: appends
		// to different audit chains share no lock.
		var others []benchSchool
		for _, s := range res.Schools {
			if len(others) < 8 {
				others = append(others, benchSchoolOf(b, d, s))
			}
		}
		var next atomic.Int64
		b.SetParallelism(4) // 8 goroutines on 2 cores
		b.RunParallel(func(pb *testing.PB) {
			s := others[int(next.Add(1)-1)%len(others)]
			for pb.Next() {
				if _, err := svc.Submit(ctx, s.staff, benchForm(s.School)); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})

	for _, sc := range schools {
		b.Run("queue/first/"+sc.name, func(b *testing.B) {
			for b.Loop() {
				p, err := svc.Queue(ctx, sc.s.dsl, concern.QueueFilter{})
				if err != nil || len(p.Rows) == 0 {
					b.Fatalf("queue: %d rows, %v", len(p.Rows), err)
				}
			}
		})
		// Every concern, closed ones too, walked to the last page: keyset
		// paging makes it cost what the first does.
		after, pages := "", 0
		for {
			p, err := svc.Queue(ctx, sc.s.dsl, concern.QueueFilter{Status: "all", After: after})
			if err != nil {
				b.Fatal(err)
			}
			pages++
			if p.Next == "" {
				break
			}
			after = p.Next
		}
		b.Run("queue/all-first/"+sc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := svc.Queue(ctx, sc.s.dsl, concern.QueueFilter{Status: "all"}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("queue/all-last/"+sc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := svc.Queue(ctx, sc.s.dsl, concern.QueueFilter{Status: "all", After: after}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(pages), "page")
		})
		b.Run("chronology/"+sc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := svc.Chronology(ctx, sc.s.dsl, sc.s.Busiest, concern.ChronologyFilter{}, false); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(sc.s.BusiestConcerns), "concerns")
		})
	}
}

// benchForm is a full "Report a concern" form: the child it is about and a
// witness from the roll, three CSE indicators, two categories.
func benchForm(s scale.School) concern.Form {
	today := when.DatePartsOf(when.Today(time.Now()))
	return concern.Form{
		SubmissionID: concern.NewSubmissionID(),
		InDanger:     "no",
		Children: []concern.FormChild{{ChildID: s.FirstChild + 1, Role: concern.Subject},
			{ChildID: s.FirstChild + 2, Role: concern.Witness}},
		Account: "She was collected from the school gate by an adult man who is not on her contact list. " +
			"Her friend said he buys her things and she has a new phone.",
		ChildsWords: "He's just a friend, he buys me stuff",
		Happened:    today, Seen: today,
		Location:   "The school gate",
		ToldDSL:    "not_yet",
		Categories: []string{"cse", "online_safety"},
		Indicators: []string{"cars_unknown_adults", "older_groups", "unexplained_money_gifts"},
	}
}
