package scale_test

import (
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/concern"
	"github.com/havenschools/haven/internal/db/dbtest"
	"github.com/havenschools/haven/internal/jobs"
	"github.com/havenschools/haven/internal/notify"
	"github.com/havenschools/haven/internal/scale"
	"github.com/havenschools/haven/internal/when"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var end = time.Date(2026, 11, 20, 0, 0, 0, 0, when.London())

func generate(t *testing.T, owner *pgxpool.Pool, seed int64) scale.Result {
	t.Helper()
	res, err := scale.Generate(t.Context(), owner, scale.Options{Schools: 4, Concerns: 1200, Seed: seed, End: end,
		Largest: 0.4, Batch: 500})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestGenerate(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t)
	ctx := t.Context()
	res := generate(t, d.Owner, 7)

	t.Run("writes what it reports", func(t *testing.T) {
		if len(res.Schools) != 4 {
			t.Fatalf("%d schools, want 4", len(res.Schools))
		}
		total := 0
		for _, s := range res.Schools {
			total += s.Concerns
			var n, open int
			if err := d.Owner.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE status <> 'closed') FROM concerns
				WHERE school_id = $1`, s.ID).Scan(&n, &open); err != nil {
				t.Fatal(err)
			}
			if n != s.Concerns || open != s.Open {
				t.Errorf("%s: %d concerns (%d open) stored, reported %d (%d)", s.Slug, n, open, s.Concerns, s.Open)
			}
			if open == 0 || open == n {
				t.Errorf("%s: %d of %d open; want some of each", s.Slug, open, n)
			}
		}
		if total != 1200 || res.Rows["concerns"] != 1200 {
			t.Errorf("%d concerns over the schools, %d rows; want 1200", total, res.Rows["concerns"])
		}
		if got := res.Largest(); got.Concerns != 480 || got.Slug != "scale-0001" {
			t.Errorf("largest = %s with %d concerns, want scale-0001 with 480", got.Slug, got.Concerns)
		}
		for _, table := range []string{"concern_children", "concern_indicators", "concern_decisions", "concern_actions",
			"concern_events", "audit_events", "children", "users"} {
			if res.Rows[table] == 0 {
				t.Errorf("no rows in %s", table)
			}
		}
	})

	t.Run("every audit chain holds", func(t *testing.T) {
		rep, err := audit.Verify(ctx, d.Owner, audit.Options{IgnoreCheckpoints: true})
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK() || rep.Rows != res.Rows["audit_events"] {
			t.Errorf("verify: %d rows of %d, chains %+v", rep.Rows, res.Rows["audit_events"], rep.Chains)
		}
	})

	// Haven reads the data through the app role, under row-level security,
	// and carries on from it: the next reference, the next audit row.
	s := res.Largest()
	var dsl actor.Actor
	if err := d.Owner.QueryRow(ctx, `SELECT user_id FROM memberships WHERE school_id = $1 AND role = 'dsl' AND NOT deputy`,
		s.ID).Scan(&dsl.UserID); err != nil {
		t.Fatal(err)
	}
	dsl.SchoolID, dsl.Role = s.ID, actor.DSL
	jobClient, err := jobs.New(d.App, slog.New(slog.NewTextHandler(io.Discard, nil)), func(w *river.Workers) {
		notify.AddWorkers(w, nil)
	}, concern.NewEscalator(d.App, "https://haven.example.test", nil).AddWorkers)
	if err != nil {
		t.Fatal(err)
	}
	svc := concern.NewService(d.App, jobClient, "https://haven.example.test") // jobs are enqueued, never run

	t.Run("the queue and a chronology read it", func(t *testing.T) {
		p, err := svc.Queue(ctx, dsl, concern.QueueFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if p.Open() != s.Open || len(p.Rows) != min(s.Open, concern.QueueDefaultLimit) {
			t.Errorf("queue: %d open, %d rows; want %d open", p.Open(), len(p.Rows), s.Open)
		}
		ch, err := svc.Chronology(ctx, dsl, s.Busiest, concern.ChronologyFilter{}, false)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range ch.Entries {
			if e.Kind == concern.EntryConcern && e.Role == concern.Subject {
				n++
			}
		}
		if n != s.BusiestConcerns || n < 2 {
			t.Errorf("the busiest child's chronology has %d concerns about them, want %d (at least 2)", n, s.BusiestConcerns)
		}
	})

	t.Run("a new concern follows on", func(t *testing.T) {
		var staff int64
		if err := d.Owner.QueryRow(ctx, `SELECT user_id FROM memberships WHERE school_id = $1 AND role = 'staff' LIMIT 1`,
			s.ID).Scan(&staff); err != nil {
			t.Fatal(err)
		}
		today := when.DatePartsOf(when.Today(time.Now()))
		r, err := svc.Submit(ctx, actor.Actor{UserID: staff, SchoolID: s.ID, Role: actor.Staff}, concern.Form{
			SubmissionID: concern.NewSubmissionID(), InDanger: "no", ToldDSL: "not_yet", Happened: today, Seen: today,
			Children: []concern.FormChild{{ChildID: s.FirstChild, Role: concern.Subject}},
			Account:  "She said an older man picks her up after school in a silver car."})
		if err != nil {
			t.Fatal(err)
		}
		var taken bool
		if err := d.Owner.QueryRow(ctx, `SELECT count(*) > 1 FROM concerns WHERE school_id = $1 AND ref = $2`, s.ID, r.Ref).Scan(&taken); err != nil || taken {
			t.Errorf("reference %s given twice (%v)", r.Ref, err)
		}
		rep, err := audit.Verify(ctx, d.Owner, audit.Options{ChainIDs: []int64{s.ID}, IgnoreCheckpoints: true})
		if err != nil || !rep.OK() {
			t.Errorf("after a new concern: %+v, %v", rep.Chains, err)
		}
	})

	t.Run("refuses a prefix in use", func(t *testing.T) {
		_, err := scale.Generate(ctx, d.Owner, scale.Options{Schools: 1, Concerns: 10, End: end})
		if !errors.Is(err, scale.ErrPrefixTaken) {
			t.Errorf("err = %v, want ErrPrefixTaken", err)
		}
	})
}

// The same seed gives the same data; another seed, other data.
func TestGenerateIsReproducible(t *testing.T) {
	t.Parallel()
	digest := func(seed int64) string {
		d := dbtest.Open(t)
		generate(t, d.Owner, seed)
		var sum string
		if err := d.Owner.QueryRow(t.Context(), `SELECT md5(string_agg(concat_ws('|', c.ref, c.status, c.account, c.created_at,
				c.urgency, ch.first_name, ch.last_name), ',' ORDER BY c.ref, c.school_id))
			|| md5((SELECT string_agg(encode(row_hash, 'hex'), ',' ORDER BY chain_id, seq) FROM audit_events))
			FROM concerns c JOIN concern_children cc ON cc.concern_id = c.id AND cc.position = 0
			LEFT JOIN children ch ON ch.id = cc.child_id`).Scan(&sum); err != nil {
			t.Fatal(err)
		}
		return sum
	}
	a, b, c := digest(7), digest(7), digest(8)
	if a != b {
		t.Errorf("seed 7 twice: %s and %s", a, b)
	}
	if a == c {
		t.Error("seeds 7 and 8 gave the same data")
	}
}
