package audit_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/db/dbtest"
)

func TestList(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t)
	ctx := t.Context()
	s, other := dbtest.MustSchool(t, d.Owner, "st-aidans", "st-aidans"), dbtest.MustSchool(t, d.Owner, "st-bedes", "st-bedes")
	staff := actor.Actor{UserID: 1, SchoolID: s, Role: actor.Staff}
	dsl := actor.Actor{UserID: 2, SchoolID: s, Role: actor.DSL}
	record(t, d.App, staff, audit.Event{Action: "concern.submit", SubjectType: "concern", SubjectID: "C-2026-000001"}) // seq 1
	record(t, d.App, dsl, audit.Event{Action: "concern.view", SubjectType: "concern", SubjectID: "C-2026-000001"})     // 2
	record(t, d.App, dsl, audit.Event{Action: "concern.acknowledge", SubjectType: "concern", SubjectID: "C-2026-000001"})
	record(t, d.App, dsl, audit.Event{Action: "child.view", SubjectType: "child", SubjectID: "17"}) // 4
	record(t, d.App, staff, audit.Event{Action: "concern.view", SubjectType: "concern", SubjectID: "C-2026-000002"})
	record(t, d.App, dsl, audit.Event{Action: "attachment.download", SubjectType: "concern", SubjectID: "C-2026-000001"}) // 6
	record(t, d.App, actor.Actor{UserID: 2, SchoolID: other, Role: actor.DSL},
		audit.Event{Action: "concern.view", SubjectType: "concern", SubjectID: "C-2026-000001"}) // another school's concern

	seqs := func(p audit.Page) []int64 {
		var out []int64
		for _, e := range p.Entries {
			out = append(out, e.Seq)
		}
		return out
	}
	list := func(f audit.Filter) audit.Page {
		t.Helper()
		p, err := inSchool(d.App, s, func(tx pgx.Tx) (audit.Page, error) { return audit.List(ctx, tx, s, audit.Part{School: true}, f) })
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name string
		f    audit.Filter
		want []int64
	}{
		{"everything, newest first", audit.Filter{}, []int64{6, 5, 4, 3, 2, 1}},
		{"by person", audit.Filter{UserID: 1}, []int64{5, 1}},
		{"by action", audit.Filter{Action: "concern.view"}, []int64{5, 2}},
		{"by area", audit.Filter{Action: "concern."}, []int64{5, 3, 2, 1}},
		{"by record", audit.Filter{SubjectType: "concern", SubjectID: "C-2026-000001"}, []int64{6, 3, 2, 1}},
		{"by reference alone", audit.Filter{SubjectID: "17"}, []int64{4}},
		{"a date range that holds everything", audit.Filter{From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour)}, []int64{6, 5, 4, 3, 2, 1}},
		{"a date range in the past", audit.Filter{To: time.Now().Add(-time.Hour)}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := seqs(list(tc.f)); !slices.Equal(got, tc.want) {
				t.Errorf("seqs = %v, want %v", got, tc.want)
			}
		})
	}

	t.Run("pages by keyset", func(t *testing.T) {
		p1 := list(audit.Filter{Limit: 4})
		if got := seqs(p1); !slices.Equal(got, []int64{6, 5, 4, 3}) || p1.Next != 3 {
			t.Fatalf("page 1 = %v next %d, want [6 5 4 3] next 3", got, p1.Next)
		}
		p2 := list(audit.Filter{Limit: 4, After: p1.Next})
		if got := seqs(p2); !slices.Equal(got, []int64{2, 1}) || p2.Next != 0 {
			t.Errorf("page 2 = %v next %d, want [2 1] next 0", got, p2.Next)
		}
		if p := list(audit.Filter{Limit: 2, After: 3}); !slices.Equal(seqs(p), []int64{2, 1}) || p.Next != 0 {
			t.Errorf("a full last page = %v next %d, want [2 1] next 0", seqs(p), p.Next)
		}
	})

	t.Run("entries carry who and what", func(t *testing.T) {
		e := list(audit.Filter{Limit: 1}).Entries[0]
		if e.UserID != 2 || e.Role != actor.DSL || e.Action != "attachment.download" || e.SubjectID != "C-2026-000001" ||
			e.Details != "{}" || time.Since(e.OccurredAt) > time.Minute {
			t.Errorf("entry = %+v", e)
		}
	})

	t.Run("who has seen a record", func(t *testing.T) {
		views, err := inSchool(d.App, s, func(tx pgx.Tx) ([]audit.View, error) {
			return audit.ViewsOf(ctx, tx, s, "concern", "C-2026-000001")
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(views) != 2 || views[0].Action != "attachment.download" || views[1].Action != "concern.view" ||
			views[1].UserID != 2 || views[1].Role != actor.DSL {
			t.Errorf("views = %+v, want the download then the view, by user 2 as dsl (not the other school's view)", views)
		}
		none, err := inSchool(d.App, s, func(tx pgx.Tx) ([]audit.View, error) {
			return audit.ViewsOf(ctx, tx, s, "concern", "C-2026-000404")
		})
		if err != nil || len(none) != 0 {
			t.Errorf("views of an unseen record = %v, %v; want none", none, err)
		}
	})
}

func TestNamesPeopleAndTheLogPage(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t)
	ctx := t.Context()
	s := dbtest.MustSchool(t, d.Owner, "st-aidans", "st-aidans")
	// Members of the school: row-level security shows a school's
	// transactions the names of its members only.
	user := func(email, name string) int64 {
		return dbtest.MustMember(t, d.Owner, s, email, name, actor.Staff).UserID
	}
	zoe, adam := user("zoe@example.test", "Zoe Ng"), user("adam@example.test", "Adam Ash")
	record(t, d.App, actor.Actor{UserID: zoe, SchoolID: s, Role: actor.DSL},
		audit.Event{Action: "concern.view", SubjectType: "concern", SubjectID: "C-2026-000001"})
	record(t, d.App, actor.Actor{UserID: adam, SchoolID: s, Role: actor.Staff},
		audit.Event{Action: "concern.submit", SubjectType: "concern", SubjectID: "C-2026-000002"})
	record(t, d.App, actor.Actor{UserID: zoe, SchoolID: s, Role: actor.DSL}, audit.Event{Action: "child.view", SubjectType: "child", SubjectID: "3"})
	record(t, d.App, actor.Actor{SchoolID: s, Role: actor.System}, audit.Event{Action: "concern.escalate", SubjectType: "concern", SubjectID: "C-2026-000002"})

	people, err := inSchool(d.App, s, func(tx pgx.Tx) ([]audit.Person, error) { return audit.People(ctx, tx, s) })
	if err != nil {
		t.Fatal(err)
	}
	if want := []audit.Person{{adam, "Adam Ash"}, {zoe, "Zoe Ng"}}; !slices.Equal(people, want) {
		t.Errorf("people = %v, want %v", people, want)
	}
	views, err := inSchool(d.App, s, func(tx pgx.Tx) ([]audit.View, error) {
		return audit.ViewsOf(ctx, tx, s, "concern", "C-2026-000001")
	})
	if err != nil || len(views) != 1 || views[0].UserName != "Zoe Ng" {
		t.Errorf("views = %+v, %v; want one by Zoe Ng", views, err)
	}

	svc := audit.NewService(d.App)
	admin := actor.Actor{UserID: adam, SchoolID: s, Role: actor.Admin}
	p, ppl, err := svc.Log(ctx, admin, audit.Filter{UserID: zoe})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Entries) != 2 || p.Entries[0].UserName != "Zoe Ng" || len(ppl) != 2 {
		t.Errorf("log page = %+v, people %v; want Zoe's 2 events, 2 people", p, ppl)
	}
	last, err := inSchool(d.App, s, func(tx pgx.Tx) (audit.Page, error) {
		return audit.List(ctx, tx, s, audit.Part{School: true}, audit.Filter{Limit: 1})
	})
	if err != nil {
		t.Fatal(err)
	}
	if e := last.Entries[0]; e.Action != "audit.view" || e.UserID != adam || e.Details != `{"user_id":`+strconv.FormatInt(zoe, 10)+`}` {
		t.Errorf("reading the log was recorded as %+v, want audit.view by the admin with the filter", e)
	}
	if _, _, err := svc.Log(ctx, actor.Actor{UserID: zoe, SchoolID: s, Role: actor.Staff}, audit.Filter{}); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("a member of staff reading the log: err = %v, want db.ErrNotFound", err)
	}
	sv, err := svc.ViewsOf(ctx, admin, "child", "3")
	if err != nil || len(sv) != 1 || sv[0].Role != actor.DSL {
		t.Errorf("service views = %+v, %v", sv, err)
	}
}

// inSchool runs f in a transaction of school s, as the audit log's pages
// do: row-level security shows a school's transactions its own chain only.
func inSchool[T any](pool *pgxpool.Pool, s int64, f func(pgx.Tx) (T, error)) (T, error) {
	var out T
	err := db.InSchool(context.Background(), pool, actor.Actor{SchoolID: s, Role: actor.System}, func(tx pgx.Tx) (err error) {
		out, err = f(tx)
		return err
	})
	return out, err
}
