package allegation_test

import (
	"context"
	"errors"
	"testing"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/allegation"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/db/dbtest"
	"github.com/havenschools/haven/internal/validate"
)

// TestALegalHoldOnAConcernAboutAnAdult: the head places a hold on a record
// years before it is due; when it would fall due, the review skips it (and
// Held names it) and no one can sign its removal off; lifted, it falls due
// under its rules as before. Only its handler may place or lift a hold,
// always with a reason, which never reaches the audit trail.
func TestALegalHoldOnAConcernAboutAnAdult(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	r := f.mustReport(t, f.ta, report("Tom Teacher", "Teacher", allegation.HarmThreshold))
	if err := f.svc.RecordOutcome(ctx, f.head, r.Ref, allegation.OutcomeForm{Outcome: string(allegation.Unsubstantiated),
		Note: "Not enough evidence either way."}); err != nil {
		t.Fatal(err)
	}
	later := f.now.AddDate(11, 0, 0) // past the 10 years an unsubstantiated allegation without a date of birth is kept
	if due, _ := allegation.DueForReview(ctx, f.db.Owner, f.school, later); len(due) != 1 {
		t.Fatalf("without a hold, %d due 11 years on, want 1", len(due))
	}

	if err := f.svc.SetLegalHold(ctx, f.admin, r.Ref, true, "Inquiry"); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("an admin placing a hold: %v, want not found", err)
	}
	if _, ok := errors.AsType[validate.Problems](f.svc.SetLegalHold(ctx, f.head, r.Ref, true, " ")); !ok {
		t.Error("a hold without a reason was accepted")
	}
	if err := f.svc.SetLegalHold(ctx, f.head, r.Ref, true, "Independent inquiry: moratorium on destroying records"); err != nil {
		t.Fatal(err)
	}
	if h, err := f.svc.Hold(ctx, f.head, r.Ref); err != nil || !h.On || h.Reason != "Independent inquiry: moratorium on destroying records" {
		t.Errorf("the hold: %+v, %v", h, err)
	}
	if due, err := allegation.DueForReview(ctx, f.db.Owner, f.school, later); err != nil || len(due) != 0 {
		t.Errorf("a held record is due 11 years on: %+v, %v", due, err)
	}
	if held, err := allegation.Held(ctx, f.db.Owner, f.school); err != nil || len(held) != 1 || held[0] != r.Ref {
		t.Errorf("Held = %v, %v, want [%s]", held, err, r.Ref)
	}
	if c, err := f.svc.Case(ctx, f.head, r.Ref); err != nil || c.Retention.Due {
		t.Errorf("the held record's page says due: %+v, %v", c.Retention, err)
	}

	if _, ok := errors.AsType[validate.Problems](f.svc.SetLegalHold(ctx, f.head, r.Ref, false, "")); !ok {
		t.Error("a hold lifted without a reason")
	}
	if err := f.svc.SetLegalHold(ctx, f.head, r.Ref, false, "The inquiry has ended"); err != nil {
		t.Fatal(err)
	}
	if due, _ := allegation.DueForReview(ctx, f.db.Owner, f.school, later); len(due) != 1 || due[0].Ref != r.Ref {
		t.Errorf("after the hold is lifted, due 11 years on: %+v", due)
	}
	if held, _ := allegation.Held(ctx, f.db.Owner, f.school); len(held) != 0 {
		t.Errorf("still held: %v", held)
	}
	if n := dbtest.Count(t, f.db.Owner, "audit_events WHERE action = 'allegation.hold' AND subject_id = $1", r.Ref); n != 2 {
		t.Errorf("%d hold events audited, want 2", n)
	}
	if n := dbtest.Count(t, f.db.Owner, "audit_events WHERE details LIKE '%inquiry%' OR details LIKE '%moratorium%'"); n != 0 {
		t.Error("a hold's reason reached the audit trail")
	}
}

// TestAHeldFalseAllegationCannotBeSignedOff: a false allegation is due for
// removal at once; held, no one may sign it off and Delete refuses it.
func TestAHeldFalseAllegationCannotBeSignedOff(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	r := f.mustReport(t, f.ta, report("Tom Teacher", "Teacher", allegation.HarmThreshold))
	if err := f.svc.RecordOutcome(ctx, f.head, r.Ref, allegation.OutcomeForm{Outcome: string(allegation.False), Note: "CCTV shows it did not happen."}); err != nil {
		t.Fatal(err)
	}
	due, err := allegation.DueForReview(ctx, f.db.Owner, f.school, f.now)
	if err != nil || len(due) != 1 {
		t.Fatalf("due = %+v, %v", due, err)
	}
	if _, err := f.svc.SignOff(ctx, f.head, r.Ref); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.SetLegalHold(ctx, f.head, r.Ref, true, "A tribunal asked for it"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SignOff(ctx, f.admin, r.Ref); err == nil {
		t.Error("a held record was signed off")
	}
	if err := allegation.Delete(ctx, f.db.Owner, actor.SystemIn(f.school), f.school, due[0].ID, f.now); !errors.Is(err, allegation.ErrNotDue) {
		t.Errorf("Delete of a held record: %v, want ErrNotDue", err)
	}
	if list, err := f.svc.Retention(ctx, f.admin); err != nil || len(list) != 0 {
		t.Errorf("the admin's retention list shows a held record: %+v, %v", list, err)
	}
}
