package records_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db/dbtest"
	"github.com/havenschools/haven/internal/records"
	"github.com/havenschools/haven/internal/validate"
)

func TestRetentionDeletionTakesTwoAndLeavesTheAuditVerifying(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	owner := f.db.Owner
	// A care leaver born in 2000: 25 years on, her record is due.
	var old int64
	if err := owner.QueryRow(ctx, `INSERT INTO children (school_id, first_name, last_name, date_of_birth)
		VALUES ($1, 'Zoe', 'Oldfield', '2000-01-01') RETURNING id`, f.school).Scan(&old); err != nil {
		t.Fatal(err)
	}
	alone := dbtest.MustConcern(t, owner, f.staff, old, dbtest.Concern{Account: "About Zoe alone"})
	mustDecision(t, owner, f.dsl, alone, "Referred")
	mustAction(t, owner, f.dsl, alone, "Called the front door")
	if _, err := owner.Exec(ctx, `INSERT INTO concern_attachments (school_id, submission_id, concern_id, uploaded_by, display_name,
			content_type, size_bytes, sha256, content) VALUES ($1, gen_random_uuid(), $2, $3, 'note.pdf', 'application/pdf', 4,
			sha256('%PDF'), '%PDF')`, f.school, alone, f.staff.UserID); err != nil {
		t.Fatal(err)
	}
	shared := dbtest.MustConcern(t, owner, f.staff, f.amara.ID, dbtest.Concern{Account: "About Amara, Zoe a witness"})
	if _, err := owner.Exec(ctx, `INSERT INTO concern_children (school_id, concern_id, position, child_id, role)
		VALUES ($1, $2, 1, $3, 'witness')`, f.school, shared, old); err != nil {
		t.Fatal(err)
	}

	rv, err := f.svc.RetentionQueue(ctx, f.dsl)
	if err != nil {
		t.Fatal(err)
	}
	queue := rv.Due
	if len(queue) != 1 || queue[0].State != records.Due || queue[0].ChildID != old || queue[0].Concerns != 2 ||
		!queue[0].ReviewOn.Equal(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("queue: %+v", queue)
	}
	if _, err := f.svc.RetentionQueue(ctx, f.staff); !errors.Is(err, records.ErrForbidden) {
		t.Errorf("staff reading the queue: %v", err)
	}

	t.Run("a record not due cannot be deleted", func(t *testing.T) {
		if _, err := f.svc.SignOffDeletion(ctx, f.dsl, f.amara.ID); !errors.Is(err, records.ErrNotDue) {
			t.Errorf("signing off a record not due: %v", err)
		}
	})
	t.Run("Do not destroy blocks deletion", func(t *testing.T) {
		if _, ok := errors.AsType[validate.Problems](f.svc.SetDoNotDestroy(ctx, f.dsl, old, true, "")); !ok {
			t.Error("Do not destroy without a reason was accepted")
		}
		if err := f.svc.SetDoNotDestroy(ctx, f.dsl, old, true, "Independent inquiry moratorium"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SignOffDeletion(ctx, f.dsl, old); !errors.Is(err, records.ErrDoNotDestroy) {
			t.Errorf("signing off a record marked Do not destroy: %v", err)
		}
		if err := f.svc.SetDoNotDestroy(ctx, f.admin, old, false, ""); !errors.Is(err, records.ErrForbidden) {
			t.Errorf("an admin removing the marker: %v", err)
		}
		if _, ok := errors.AsType[validate.Problems](f.svc.SetDoNotDestroy(ctx, f.head, old, false, "")); !ok {
			t.Error("a hold lifted without a reason")
		}
		if err := f.svc.SetDoNotDestroy(ctx, f.head, old, false, "The inquiry ended"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a DSL and an admin sign off, and the second deletes", func(t *testing.T) {
		if _, err := f.svc.SignOffDeletion(ctx, f.staff, old); !errors.Is(err, records.ErrForbidden) {
			t.Errorf("staff signing off: %v", err)
		}
		d, err := f.svc.SignOffDeletion(ctx, f.dsl, old)
		if err != nil || d != nil {
			t.Fatalf("the DSL's sign-off: %v, %+v (nothing deleted yet)", err, d)
		}
		if _, err := f.svc.SignOffDeletion(ctx, f.dsl, old); !errors.Is(err, records.ErrAlreadySigned) {
			t.Errorf("the DSL signing twice: %v", err)
		}
		if n := dbtest.Count(t, owner, "children WHERE id = $1", old); n != 1 {
			t.Fatal("one sign-off deleted the record")
		}
		d, err = f.svc.SignOffDeletion(ctx, f.admin, old)
		if err != nil {
			t.Fatal(err)
		}
		if d == nil || *d != (records.Deleted{Concerns: 1, NamedIn: 1, Attachments: 1}) {
			t.Errorf("deleted %+v", d)
		}
	})
	t.Run("the personal data is gone, other children's records stay", func(t *testing.T) {
		for what, n := range map[string]int{
			"children WHERE id = $1":        dbtest.Count(t, owner, "children WHERE id = $1", old),
			"concerns about her alone":      dbtest.Count(t, owner, "concerns WHERE id = $1", alone),
			"decisions":                     dbtest.Count(t, owner, "concern_decisions WHERE concern_id = $1", alone),
			"actions":                       dbtest.Count(t, owner, "concern_actions WHERE concern_id = $1", alone),
			"attachments":                   dbtest.Count(t, owner, "concern_attachments WHERE concern_id = $1", alone),
			"her row on the shared concern": dbtest.Count(t, owner, "concern_children WHERE child_id = $1", old),
			"account text of the concern about her alone": dbtest.Count(t, owner, "concerns WHERE account = 'About Zoe alone'"),
		} {
			if n != 0 {
				t.Errorf("%s: %d rows left", what, n)
			}
		}
		if n := dbtest.Count(t, owner, "concern_children WHERE concern_id = $1 AND child_id = $2", shared, f.amara.ID); n != 1 {
			t.Error("Amara's concern lost her")
		}
		if n := dbtest.Count(t, owner, "concern_children WHERE concern_id = $1 AND child_id IS NULL AND description LIKE 'A child whose record was deleted%'", shared); n != 1 {
			t.Error("the shared concern does not say a child's record was deleted")
		}
	})
	t.Run("the audit trail still verifies and never held her name", func(t *testing.T) {
		rep, err := audit.Verify(context.Background(), owner, audit.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK() {
			t.Errorf("audit verify after deletion: %+v", rep)
		}
		if n := dbtest.Count(t, owner, "audit_events WHERE details LIKE '%Oldfield%' OR details LIKE '%Zoe%' OR details LIKE '%inquiry%'"); n != 0 {
			t.Error("personal data reached the audit trail")
		}
		for action, want := range map[string]int{"retention.sign_off": 2, "retention.delete": 1, "retention.do_not_destroy": 2} {
			if n := dbtest.Count(t, owner, "audit_events WHERE action = $1", action); n != want {
				t.Errorf("%s events: %d, want %d", action, n, want)
			}
		}
	})
}

func TestRetentionReviewRunsOncePerDay(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	if _, err := f.db.Owner.Exec(ctx, `INSERT INTO children (school_id, first_name, last_name, date_of_birth)
		VALUES ($1, 'Zoe', 'Oldfield', '1999-06-01')`, f.school); err != nil {
		t.Fatal(err)
	}
	for i, wantEmailed := range []bool{true, false} {
		got, err := f.svc.ReviewRetention(ctx, []int64{f.school})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || len(got[0].Children) != 1 || got[0].Emailed != wantEmailed {
			t.Errorf("run %d: %+v", i+1, got)
		}
	}
	if err := f.svc.SetSettings(ctx, f.dsl, records.Settings{ExportApproval: true, RetentionYears: 40}); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.svc.ReviewRetention(ctx, []int64{f.school}); len(got[0].Children) != 0 {
		t.Errorf("with 40 years' retention, %d due", len(got[0].Children))
	}
}

// TestRetentionStateOf is the one rule the child's retention page, the
// retention list and `haven retention run` show.
func TestRetentionStateOf(t *testing.T) {
	t.Parallel()
	today := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	in2037 := time.Date(2037, 3, 1, 0, 0, 0, 0, time.UTC)
	past := time.Date(2015, 4, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		d    records.DueChild
		want records.RetentionState
	}{
		{"a review date in 2037 is not due", records.DueChild{ReviewOn: in2037}, records.NotDue},
		{"a review date today is due", records.DueChild{ReviewOn: today}, records.Due},
		{"a review date past is due", records.DueChild{ReviewOn: past}, records.Due},
		{"a hold before the record is due", records.DueChild{ReviewOn: in2037, DoNotDestroy: true}, records.OnHold},
		{"a hold on a record due", records.DueChild{ReviewOn: past, DoNotDestroy: true}, records.OnHold},
		{"a DSL's half of a deletion", records.DueChild{ReviewOn: past, DSLSignedBy: "Dee"}, records.DSLSigned},
		{"an admin's half of a deletion", records.DueChild{ReviewOn: past, AdminSignedBy: "Ad"}, records.AdminSigned},
		{"a hold outranks a sign-off", records.DueChild{ReviewOn: past, DSLSignedBy: "Dee", DoNotDestroy: true}, records.OnHold},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := records.RetentionStateOf(tc.d, today); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

// TestALegalHoldPlacedYearsAhead: a hold placed long before a record is
// due keeps it out of every review (which says it skipped it) and out of
// deletion; lifted, the record falls due on its date as before.
func TestALegalHoldPlacedYearsAhead(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	// Amara, born 14 March 2012, is due on 14 March 2037.
	if err := f.svc.SetDoNotDestroy(ctx, f.dsl, f.amara.ID, true, "Independent inquiry: moratorium"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.SetDoNotDestroy(ctx, f.admin, f.amara.ID, true, "x"); !errors.Is(err, records.ErrForbidden) {
		t.Errorf("an admin placing a hold: %v", err)
	}
	if d, err := f.svc.ChildRetention(ctx, f.dsl, f.amara.ID); err != nil || d.State != records.OnHold {
		t.Errorf("in 2026, held: %+v, %v", d, err)
	}
	in2040 := f.svc.WithClock(func() time.Time { return time.Date(2040, 1, 6, 9, 0, 0, 0, time.UTC) })
	runs, err := in2040.ReviewRetention(ctx, []int64{f.school})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || len(runs[0].Held) != 1 || runs[0].Held[0].ChildID != f.amara.ID || runs[0].Held[0].State != records.OnHold {
		t.Fatalf("the run in 2040 does not report the held record: %+v", runs)
	}
	for _, c := range runs[0].Children {
		if c.ChildID == f.amara.ID {
			t.Error("the run in 2040 lists the held record as due")
		}
	}
	rv, err := in2040.RetentionQueue(ctx, f.dsl)
	if err != nil || len(rv.Held) != 1 || len(rv.Due) != 0 {
		t.Errorf("the retention list in 2040: %+v, %v", rv, err)
	}
	if _, err := in2040.SignOffDeletion(ctx, f.dsl, f.amara.ID); !errors.Is(err, records.ErrDoNotDestroy) {
		t.Errorf("signing off a held record: %v", err)
	}

	if err := f.svc.SetDoNotDestroy(ctx, f.head, f.amara.ID, false, "The inquiry has lifted its moratorium"); err != nil {
		t.Fatal(err)
	}
	if n := dbtest.Count(t, f.db.Owner, "child_retention WHERE child_id = $1 AND hold_lifted_reason = 'The inquiry has lifted its moratorium'", f.amara.ID); n != 1 {
		t.Error("the reason for lifting the hold is not kept")
	}
	if d, _ := f.svc.ChildRetention(ctx, f.dsl, f.amara.ID); d.State != records.NotDue {
		t.Errorf("lifted in 2026: %s, want not due", d.State)
	}
	rv, err = in2040.RetentionQueue(ctx, f.dsl)
	if err != nil || len(rv.Held) != 0 || len(rv.Due) != 1 || rv.Due[0].ChildID != f.amara.ID || rv.Due[0].State != records.Due ||
		!rv.Due[0].ReviewOn.Equal(time.Date(2037, 3, 14, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("after the hold is lifted, in 2040: %+v, %v", rv, err)
	}
	if n := dbtest.Count(t, f.db.Owner, "audit_events WHERE action = 'retention.do_not_destroy'"); n != 2 {
		t.Errorf("%d hold events audited, want 2", n)
	}
	if n := dbtest.Count(t, f.db.Owner, "audit_events WHERE details LIKE '%moratorium%'"); n != 0 {
		t.Error("a hold's reason reached the audit trail")
	}
}
