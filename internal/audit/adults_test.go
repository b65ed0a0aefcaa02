package audit_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db/dbtest"
)

// TestTheLogOfAdultsCases: entries about a concern about an adult are read
// only by the head or chair who handles it — never by the DSLs, the admin
// or the adult concerned, who see them only as a count — and the verifier
// still checks every entry.
func TestTheLogOfAdultsCases(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t)
	ctx := t.Context()
	s := dbtest.MustSchool(t, d.Owner, "st-aidans", "st-aidans")
	dbtest.MustSettings(t, d.Owner, s)
	head := dbtest.MustMember(t, d.Owner, s, "head@example.test", "Hazel Head", actor.Head)
	chair := dbtest.MustMember(t, d.Owner, s, "chair@example.test", "Cyril Chair", actor.Staff)
	dsl := dbtest.MustMember(t, d.Owner, s, "dsl@example.test", "Dee Ess", actor.DSL)
	admin := dbtest.MustMember(t, d.Owner, s, "admin@example.test", "Ad Min", actor.Admin)
	teacher := dbtest.MustMember(t, d.Owner, s, "teacher@example.test", "Tom Teacher", actor.Staff)
	if _, err := d.Owner.Exec(ctx, `UPDATE school_settings SET chair_of_governors = $2 WHERE school_id = $1`, s, chair.UserID); err != nil {
		t.Fatal(err)
	}
	// A-2026-000001 is about the admin (the head handles it); A-2026-000002
	// about the head (the chair handles it).
	for _, a := range []struct {
		ref, routed string
		subject     actor.Actor
		name        string
	}{{"A-2026-000001", "head", admin, "Ad Min"}, {"A-2026-000002", "chair", head, "Hazel Head"}} {
		if _, err := d.Owner.Exec(ctx, `INSERT INTO allegations (school_id, ref, submission_id, reported_by, routed_to, kind,
				subject_user_id, subject_name, subject_key, subject_role, account)
			VALUES ($1, $2, gen_random_uuid(), $3, $4, 'harm_threshold', $5::bigint, $6, 'u:' || $5::bigint, 'Staff', 'What was seen.')`,
			s, a.ref, teacher.UserID, a.routed, a.subject.UserID, a.name); err != nil {
			t.Fatal(err)
		}
	}
	// As the allegation package records them.
	ev := func(by actor.Actor, action, ref string, details map[string]any) {
		t.Helper()
		e := audit.Event{Action: action, Details: details}
		if ref != "" {
			e.SubjectType, e.SubjectID = "allegation", ref
		}
		record(t, d.App, by, e)
	}
	ev(teacher, "allegation.submit", "A-2026-000001", nil)                                        // 1
	ev(dsl, "concern.view", "", nil)                                                              // 2, not about adults
	ev(head, "allegation.list", "", map[string]any{"count": 1})                                   // 3
	ev(head, "allegation.view", "A-2026-000001", nil)                                             // 4
	ev(head, "allegation.outcome", "A-2026-000001", map[string]any{"outcome": "unsubstantiated"}) // 5
	ev(teacher, "allegation.submit", "A-2026-000002", nil)                                        // 6
	ev(chair, "allegation.view", "A-2026-000002", nil)                                            // 7
	ev(chair, "allegation.list", "", map[string]any{"count": 1})                                  // 8
	// Another area's entry naming a case, and one naming both.
	ev(admin, "audit.view", "", map[string]any{"subject_id": "A-2026-000001"})                       // 9
	ev(head, "records.hold", "", map[string]any{"refs": []string{"A-2026-000001", "A-2026-000002"}}) // 10
	ev(admin, "user.invite", "", map[string]any{"role": "staff"})                                    // 11, not about adults
	const seeded = 11

	svc := audit.NewService(d.App)
	seqs := func(by actor.Actor, f audit.Filter) ([]int64, audit.Page) {
		t.Helper()
		p, _, err := svc.Log(ctx, by, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, e := range p.Entries {
			if e.Seq <= seeded { // leave out the reads of the log this test makes
				out = append(out, e.Seq)
			}
			if !slices.Contains([]actor.Actor{head, chair}, by) &&
				(strings.Contains(e.SubjectID+e.Details, "A-2026") || strings.Contains(e.Details, "unsubstantiated") || strings.HasPrefix(e.Action, "allegation.")) {
				t.Errorf("%s reads an entry about an adult's case: %+v", by.Role, e)
			}
		}
		return out, p
	}
	for _, tc := range []struct {
		name     string
		by       actor.Actor
		f        audit.Filter
		want     []int64
		withheld int64
	}{
		{"the admin (the subject of one) sees only a count", admin, audit.Filter{}, []int64{11, 2}, 9},
		{"the DSL sees only a count", dsl, audit.Filter{}, []int64{11, 2}, 9},
		{"the DSL's count follows the filters", dsl, audit.Filter{Action: "allegation.view"}, nil, 2},
		{"searching for a reference shows nothing, not even a count", admin, audit.Filter{SubjectID: "A-2026-000001"}, nil, 0},
		{"searching an area shows nothing but its count", admin, audit.Filter{Action: "allegation."}, nil, 7},
		{"the head reads the cases they handle, not the one about them", head, audit.Filter{}, []int64{9, 5, 4, 3, 1}, 0},
		{"the head finds a case they handle", head, audit.Filter{SubjectID: "A-2026-000001"}, []int64{5, 4, 1}, 0},
		{"the head does not find the case about them", head, audit.Filter{SubjectID: "A-2026-000002"}, nil, 0},
		{"the chair reads the case about the head", chair, audit.Filter{}, []int64{8, 7, 6}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, p := seqs(tc.by, tc.f)
			if !slices.Equal(got, tc.want) || p.Withheld != tc.withheld {
				t.Errorf("seqs = %v withheld %d, want %v withheld %d", got, p.Withheld, tc.want, tc.withheld)
			}
		})
	}

	t.Run("the head pages through their part by keyset", func(t *testing.T) {
		var all []int64
		f := audit.Filter{Limit: 2, Action: "allegation."}
		for range 5 {
			got, p := seqs(head, f)
			all = append(all, got...)
			if p.Next == 0 {
				break
			}
			f.After = p.Next
		}
		if want := []int64{5, 4, 3, 1}; !slices.Equal(all, want) {
			t.Errorf("pages = %v, want %v", all, want)
		}
	})

	t.Run("the head's search for a reference is itself the head's to read", func(t *testing.T) {
		if _, _, err := svc.Log(ctx, head, audit.Filter{SubjectID: "A-2026-000001"}); err != nil {
			t.Fatal(err)
		}
		var about bool
		if err := d.Owner.QueryRow(ctx, `SELECT about_adults FROM audit_events WHERE chain_id = $1 ORDER BY seq DESC LIMIT 1`, s).Scan(&about); err != nil || !about {
			t.Errorf("the head's audit.view of A-2026-000001: about_adults = %v, %v; want true", about, err)
		}
		seqs(dsl, audit.Filter{Action: "audit.view"}) // fails on any entry naming a case
	})

	t.Run("a member of staff reads none of it", func(t *testing.T) {
		if _, _, err := svc.Log(ctx, teacher, audit.Filter{}); err == nil {
			t.Error("a member of staff read the log")
		}
	})

	t.Run("the verifier checks every entry", func(t *testing.T) {
		rep, err := audit.Verify(ctx, d.Owner, audit.Options{ChainIDs: []int64{s}, IgnoreCheckpoints: true})
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		if err := d.Owner.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE chain_id = $1`, s).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if !rep.OK() || rep.Rows != n {
			t.Errorf("verify: %+v, want OK over %d rows", rep, n)
		}
	})
}

// TestWhoHasSeenByPersonAndDay: fifteen views by one deputy DSL are one
// row with their first and last time; the head's one view comes first; the
// page a DSL's own change redirected her to stays in the audit trail but
// is not another view.
func TestWhoHasSeenByPersonAndDay(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t)
	ctx := t.Context()
	s := dbtest.MustSchool(t, d.Owner, "st-aidans", "st-aidans")
	deputy := dbtest.MustMember(t, d.Owner, s, "deputy@example.test", "Dee Puty", actor.DSL)
	if _, err := d.Owner.Exec(ctx, `UPDATE memberships SET deputy = true WHERE user_id = $1`, deputy.UserID); err != nil {
		t.Fatal(err)
	}
	dsl := dbtest.MustMember(t, d.Owner, s, "dsl@example.test", "Dee Ess", actor.DSL)
	head := dbtest.MustMember(t, d.Owner, s, "head@example.test", "Hazel Head", actor.Head)
	view := audit.Event{Action: "concern.view", SubjectType: "concern", SubjectID: "C-2026-000001"}
	for range 15 {
		record(t, d.App, deputy, view)
	}
	record(t, d.App, head, view)
	record(t, d.App, dsl, view)
	record(t, d.App, dsl, audit.Event{Action: "concern.acknowledge", SubjectType: "concern", SubjectID: "C-2026-000001"})
	redirected := dsl
	redirected.Source.AfterOwnAction = true
	record(t, d.App, redirected, view)
	record(t, d.App, redirected, audit.Event{Action: "concern.acknowledge", SubjectType: "concern", SubjectID: "C-2026-000002"}) // not a view: unmarked
	record(t, d.App, dsl, audit.Event{Action: "attachment.download", SubjectType: "concern", SubjectID: "C-2026-000001"})

	views, err := audit.NewService(d.App).ViewsOf(ctx, dsl, "concern", "C-2026-000001")
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		who    string
		deputy bool
		action string
		count  int
	}
	var got []row
	for _, v := range views {
		got = append(got, row{v.UserName, v.Deputy, v.Action, v.Count})
		if v.First.After(v.At) {
			t.Errorf("%s: first %v after last %v", v.UserName, v.First, v.At)
		}
	}
	want := []row{
		{"Hazel Head", false, "concern.view", 1},     // outside the DSL team: first
		{"Dee Ess", false, "attachment.download", 1}, // then the latest
		{"Dee Ess", false, "concern.view", 1},        // her view after acknowledging is not counted
		{"Dee Puty", true, "concern.view", 15},
	}
	if !slices.Equal(got, want) {
		t.Errorf("views =\n%v, want\n%v", got, want)
	}
	if n := dbtest.Count(t, d.Owner, `audit_events WHERE action = 'concern.view' AND subject_id = 'C-2026-000001'`); n != 18 {
		t.Errorf("concern.view events = %d, want 18: every view stays in the trail", n)
	}
	if n := dbtest.Count(t, d.Owner, `audit_events WHERE details = '{"after_own_action":true}'`); n != 1 {
		t.Errorf("views marked as following an action = %d, want 1 (the view, not the acknowledgement)", n)
	}
}
