package allegation_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/allegation"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/db/dbtest"
	"github.com/havenschools/haven/internal/validate"
	"github.com/havenschools/haven/internal/when"
)

// A concern about a colleague reaches the head: listed for them, emailed
// to them (a link only), and seen by nobody else — not the DSL, not an
// admin, not the reporter beyond their receipt — in the service or
// through row-level security.
func TestAConcernAboutAColleagueReachesTheHead(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	form := report("Tom Teacher", "Year 8 form tutor", allegation.HarmThreshold)
	form.SubjectUserID = f.teacher.UserID
	form.ChildID = f.amara.ID
	r := f.mustReport(t, f.ta, form)
	if r.RoutedTo != allegation.ToHead || r.NoRecipient || !strings.HasPrefix(r.Ref, "A-2026-") {
		t.Fatalf("receipt = %+v", r)
	}

	t.Run("the head sees it", func(t *testing.T) {
		list, err := f.svc.List(ctx, f.head)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].Ref != r.Ref || list[0].SubjectName != "Tom Teacher" || list[0].Status != allegation.Submitted {
			t.Fatalf("list = %+v", list)
		}
		c, err := f.svc.Case(ctx, f.head, r.Ref)
		if err != nil {
			t.Fatal(err)
		}
		if c.ChildName != "Amara Okafor" || c.ReportedByName != "Tess Assistant" || c.SubjectUserID != f.teacher.UserID {
			t.Errorf("case = %+v", c.Allegation)
		}
		if len(c.Views) != 1 || c.Views[0].UserID != f.head.UserID || c.Views[0].Action != "allegation.view" {
			t.Errorf("who has seen this = %+v", c.Views)
		}
	})

	t.Run("nobody else sees it, not even through row-level security", func(t *testing.T) {
		for _, who := range []actor.Actor{f.dsl, f.admin, f.ta, f.teacher, f.chair, f.lunchtime} {
			if _, err := f.svc.Case(ctx, who, r.Ref); !errors.Is(err, db.ErrNotFound) {
				t.Errorf("Case as %s %d: err = %v, want not found", who.Role, who.UserID, err)
			}
			if _, err := f.svc.List(ctx, who); !errors.Is(err, db.ErrNotFound) && who != f.chair {
				t.Errorf("List as %s: err = %v, want not found", who.Role, err)
			}
			for _, table := range []string{"allegations", "allegation_lado", "allegation_actions", "allegation_retention"} {
				if n := f.rowsSeen(t, who, table); n != 0 {
					t.Errorf("%s (user %d) reads %d rows of %s", who.Role, who.UserID, n, table)
				}
			}
		}
		if list, err := f.svc.List(ctx, f.chair); err != nil || len(list) != 0 {
			t.Errorf("the chair's list = %+v, %v: want it empty (this one is for the head)", list, err)
		}
	})

	t.Run("the reporter sees their receipt only", func(t *testing.T) {
		got, err := f.svc.Receipt(ctx, f.ta, r.Ref)
		if err != nil || got.Ref != r.Ref || got.RoutedTo != allegation.ToHead {
			t.Errorf("receipt = %+v, %v", got, err)
		}
		if _, err := f.svc.Receipt(ctx, f.lunchtime, r.Ref); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("someone else's receipt: err = %v", err)
		}
	})

	t.Run("sent again, stored once", func(t *testing.T) {
		again := f.mustReport(t, f.ta, form)
		if !again.Again || again.Ref != r.Ref {
			t.Errorf("second submission = %+v", again)
		}
		if n := dbtest.Count(t, f.db.Owner, "allegations"); n != 1 {
			t.Errorf("%d allegations stored", n)
		}
		if _, err := f.svc.Submit(ctx, f.lunchtime, form); !errors.Is(err, allegation.ErrBadSubmission) {
			t.Errorf("someone else's submission id: err = %v", err)
		}
	})

	t.Run("the head is emailed a link, and the audit trail holds no names", func(t *testing.T) {
		var to, text string
		if err := f.db.Owner.QueryRow(ctx, `SELECT args->>'to', args->>'text' FROM river_job WHERE kind = 'email'`).Scan(&to, &text); err != nil {
			t.Fatal(err)
		}
		if to != "head@st-aidans.test" || !strings.Contains(text, "https://haven.example.test/allegations/"+r.Ref) ||
			strings.Contains(text, "Tom") || strings.Contains(text, "Amara") {
			t.Errorf("email to %s: %s", to, text)
		}
		if n := dbtest.Count(t, f.db.Owner, "audit_events WHERE details LIKE '%Tom%' OR subject_id LIKE '%Tom%' OR details LIKE '%Amara%'"); n != 0 {
			t.Errorf("%d audit events name the people", n)
		}
	})

	t.Run("the child's file gets a note for the head only", func(t *testing.T) {
		notes, err := f.svc.ChildNotes(ctx, f.head, f.amara.ID)
		if err != nil || len(notes) != 1 || notes[0].Ref != r.Ref {
			t.Errorf("head's notes = %+v, %v", notes, err)
		}
		notes, err = f.svc.ChildNotes(ctx, f.dsl, f.amara.ID)
		if err != nil || len(notes) != 0 {
			t.Errorf("DSL's notes = %+v, %v", notes, err)
		}
	})
}

// A concern about the head goes to the chair of governors — whether the
// reporter chose the head's account or only typed their name — and the
// head can never find it.
func TestAConcernAboutTheHeadGoesToTheChair(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	byAccount := report("Hazel Head", "Headteacher", allegation.HarmThreshold)
	byAccount.SubjectUserID = f.head.UserID
	byName := report("  hazel   HEAD ", "The head", allegation.LowLevel)
	var refs []string
	for _, form := range []allegation.Form{byAccount, byName} {
		r := f.mustReport(t, f.teacher, form)
		if r.RoutedTo != allegation.ToChair || r.NoRecipient {
			t.Errorf("receipt = %+v", r)
		}
		refs = append(refs, r.Ref)
	}
	list, err := f.svc.List(ctx, f.chair)
	if err != nil || len(list) != 2 {
		t.Fatalf("chair's list = %+v, %v", list, err)
	}
	c, err := f.svc.Case(ctx, f.chair, refs[1])
	if err != nil {
		t.Fatal(err)
	}
	if c.SubjectUserID != f.head.UserID {
		t.Errorf("the head named by name is not linked: subject %d", c.SubjectUserID)
	}
	if list, err := f.svc.List(ctx, f.head); err != nil || len(list) != 0 {
		t.Errorf("the head's list = %+v, %v", list, err)
	}
	for _, ref := range refs {
		if _, err := f.svc.Case(ctx, f.head, ref); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("the head opens %s: err = %v", ref, err)
		}
	}
	for _, table := range []string{"allegations", "allegation_retention"} {
		if n := f.rowsSeen(t, f.head, table); n != 0 {
			t.Errorf("the head reads %d rows of %s", n, table)
		}
	}
	var to string
	if err := f.db.Owner.QueryRow(ctx, `SELECT DISTINCT args->>'to' FROM river_job WHERE kind = 'email'`).Scan(&to); err != nil || to != "chair@st-aidans.test" {
		t.Errorf("emailed %q, %v", to, err)
	}

	t.Run("with no chair named, it waits for one and the reporter is told", func(t *testing.T) {
		if _, err := f.db.Owner.Exec(ctx, `UPDATE school_settings SET chair_of_governors = NULL WHERE school_id = $1`, f.school); err != nil {
			t.Fatal(err)
		}
		r := f.mustReport(t, f.teacher, report("Hazel Head", "Headteacher", allegation.NotSure))
		if r.RoutedTo != allegation.ToChair || !r.NoRecipient {
			t.Errorf("receipt = %+v", r)
		}
		if n := f.rowsSeen(t, f.chair, "allegations"); n != 0 {
			t.Errorf("a former chair reads %d", n)
		}
	})
}

// The adult a concern is about never sees it, whatever their role: a head
// reported by another head (it goes to the chair), and a DSL or an admin
// (it goes to the head).
func TestTheSubjectCannotFindIt(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	cohead := dbtest.MustMember(t, f.db.Owner, f.school, "cohead@st-aidans.test", "Carl Cohead", actor.Head)
	aboutCohead := report("Carl Cohead", "Co-headteacher", allegation.HarmThreshold)
	aboutCohead.SubjectUserID = cohead.UserID
	r := f.mustReport(t, f.head, aboutCohead)
	if r.RoutedTo != allegation.ToChair {
		t.Fatalf("about a head: routed to %s", r.RoutedTo)
	}
	if _, err := f.svc.Case(ctx, cohead, r.Ref); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("the co-head opens it: %v", err)
	}
	refs := map[int64]string{}
	for _, subject := range []actor.Actor{f.dsl, f.admin} {
		form := report("Someone", "Their job", allegation.LowLevel)
		form.SubjectUserID = subject.UserID
		r := f.mustReport(t, f.teacher, form)
		refs[subject.UserID] = r.Ref
		if r.RoutedTo != allegation.ToHead {
			t.Errorf("about a %s: routed to %s", subject.Role, r.RoutedTo)
		}
		if _, err := f.svc.Case(ctx, subject, r.Ref); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("the %s opens the concern about them: %v", subject.Role, err)
		}
		if n := f.rowsSeen(t, subject, "allegations"); n != 0 {
			t.Errorf("the %s reads %d rows", subject.Role, n)
		}
	}
	// Were the DSL made head, the concern about them would still be hidden
	// from them, while they would see the one about the admin.
	asHead := actor.Actor{UserID: f.dsl.UserID, SchoolID: f.school, Role: actor.Head}
	if _, err := f.svc.Case(ctx, asHead, refs[f.dsl.UserID]); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("the subject, as head, opens the concern about them: %v", err)
	}
	if _, err := f.svc.Case(ctx, asHead, refs[f.admin.UserID]); err != nil {
		t.Errorf("as head, a concern about someone else: %v", err)
	}
	if n := f.rowsSeen(t, asHead, "allegations"); n != 1 {
		t.Errorf("as head, the subject reads %d rows, want 1 (not their own)", n)
	}
}

// The form's problems, and nothing stored.
func TestReportProblems(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	form := allegation.Form{SubmissionID: allegation.NewSubmissionID(), Happened: when.DateParts{Day: "3", Month: "3", Year: "2026"},
		SubjectUserID: 999999, ChildID: 999999}
	_, err := f.svc.Submit(context.Background(), f.teacher, form)
	p, ok := errors.AsType[validate.Problems](err)
	if !ok {
		t.Fatalf("err = %v", err)
	}
	for _, field := range []string{allegation.FieldSubjectName, allegation.FieldSubjectRole, allegation.FieldAccount, allegation.FieldHappened,
		allegation.FieldKind} {
		if p[field] == "" {
			t.Errorf("no problem for %s: %v", field, p)
		}
	}
	valid := report("Tom Teacher", "Teacher", allegation.LowLevel)
	valid.SubjectUserID, valid.ChildID = 999999, 999999
	_, err = f.svc.Submit(context.Background(), f.teacher, valid)
	if p, _ := errors.AsType[validate.Problems](err); p[allegation.FieldSubjectAccount] == "" || p[allegation.FieldChild] == "" {
		t.Errorf("unknown account and child: %v", err)
	}
	if n := dbtest.Count(t, f.db.Owner, "allegations"); n != 0 {
		t.Errorf("%d stored", n)
	}
}

// From first report to outcome: acknowledge, the LADO prompt after one
// working day (the service's clock moved), the consultation, an action,
// the outcome with how long the record is kept — each audited.
func TestFromReportToOutcome(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	r := f.mustReport(t, f.teacher, report("Lou Lunch", "Lunchtime supervisor", allegation.NotSure))

	list, _ := f.svc.List(ctx, f.head)
	if list[0].LADOPrompt {
		t.Error("prompted on the day of the report")
	}
	f.now = f.now.Add(22 * time.Hour) // Tuesday 08:00
	list, _ = f.svc.List(ctx, f.head)
	if !list[0].LADOPrompt {
		t.Error("no LADO prompt the next working day")
	}
	if err := f.svc.Acknowledge(ctx, f.head, r.Ref); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.SetKind(ctx, f.head, r.Ref, allegation.HarmThreshold); err != nil {
		t.Fatal(err)
	}
	err := f.svc.RecordLADO(ctx, f.head, r.Ref, allegation.LADOForm{On: when.DateParts{Day: "3", Month: "3", Year: "2026"}})
	if p, _ := errors.AsType[validate.Problems](err); p[allegation.FieldLADOOfficer] == "" || p[allegation.FieldLADOAdvice] == "" {
		t.Errorf("LADO form without officer or advice: %v", err)
	}
	if err := f.svc.RecordLADO(ctx, f.head, r.Ref, allegation.LADOForm{On: when.DateParts{Day: "3", Month: "3", Year: "2026"},
		Officer: "Lee Ado", Advice: "Strategy meeting on Thursday; do not speak to the person yet.", Reference: "LADO/26/114"}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.RecordAction(ctx, f.head, r.Ref, allegation.ActionForm{Kind: string(allegation.ActionStrategyMeeting),
		On: when.DateParts{Day: "3", Month: "3", Year: "2026"}, Note: "Met the LADO and the police."}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.RecordAction(ctx, f.dsl, r.Ref, allegation.ActionForm{Kind: string(allegation.ActionOther),
		On: when.DateParts{Day: "3", Month: "3", Year: "2026"}, Note: "x"}); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("a DSL records an action: %v", err)
	}
	err = f.svc.RecordOutcome(ctx, f.head, r.Ref, allegation.OutcomeForm{Outcome: string(allegation.LowLevelClosed), Note: "x"})
	if p, _ := errors.AsType[validate.Problems](err); p[allegation.FieldOutcome] == "" {
		t.Errorf("an allegation closed as low-level: %v", err)
	}
	if err := f.svc.RecordOutcome(ctx, f.head, r.Ref, allegation.OutcomeForm{Outcome: string(allegation.Substantiated),
		Note: "Found to have contacted the pupil. Dismissed; referred to the DBS.", DOB: when.DateParts{Day: "30", Month: "6", Year: "1995"}}); err != nil {
		t.Fatal(err)
	}
	c, err := f.svc.Case(ctx, f.head, r.Ref)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != allegation.Closed || c.Outcome != allegation.Substantiated || len(c.Consultations) != 1 || len(c.Actions) != 1 || c.LADOPrompt {
		t.Errorf("case = %+v", c)
	}
	if c.RetainUntil == nil || c.RetainUntil.Format(time.DateOnly) != "2062-06-30" || c.Retention.Due {
		t.Errorf("kept until %v, due %v", c.RetainUntil, c.Retention.Due)
	}
	var actions []string
	rows, _ := f.db.Owner.Query(ctx, `SELECT action FROM audit_events WHERE subject_id = $1 ORDER BY seq`, r.Ref)
	for rows.Next() {
		var a string
		_ = rows.Scan(&a)
		actions = append(actions, a)
	}
	for _, want := range []string{"allegation.submit", "allegation.list", "allegation.acknowledge", "allegation.reclassify", "allegation.lado",
		"allegation.action", "allegation.outcome", "allegation.view"} {
		if want == "allegation.list" {
			continue // lists name no record
		}
		if !slices.Contains(actions, want) {
			t.Errorf("no %s in %v", want, actions)
		}
	}
	if due, err := allegation.DueForReview(ctx, f.db.Owner, f.school, f.now.AddDate(40, 0, 0)); err != nil || len(due) != 1 {
		t.Errorf("due in 40 years = %+v, %v", due, err)
	}
}

// Low-level concerns about one adult are pieced together: three within a
// year raise the flag, a pattern review settles it, the next raises it again.
func TestLowLevelConcernsAddUp(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	for i, name := range []string{"Tom Teacher", "tom  teacher", "TOM TEACHER"} {
		f.mustReport(t, []actor.Actor{f.ta, f.lunchtime, f.dsl}[i], report(name, "Teacher", allegation.LowLevel))
		f.now = f.now.AddDate(0, 0, 7)
	}
	log, rule, err := f.svc.LowLevelLog(ctx, f.head)
	if err != nil {
		t.Fatal(err)
	}
	if rule != allegation.DefaultFlagRule || len(log) != 1 || len(log[0].Concerns) != 3 || !log[0].Flag.Raised {
		t.Fatalf("log = %+v", log)
	}
	if err := f.svc.RecordPatternReview(ctx, f.head, log[0].Person, ""); err == nil {
		t.Error("a review without a note")
	}
	if err := f.svc.RecordPatternReview(ctx, f.dsl, log[0].Person, "Looked"); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("a DSL reviews: %v", err)
	}
	if err := f.svc.RecordPatternReview(ctx, f.head, log[0].Person, "Spoke to Tom about boundaries; no pattern of concern to children."); err != nil {
		t.Fatal(err)
	}
	log, _, _ = f.svc.LowLevelLog(ctx, f.head)
	if log[0].Flag.Raised || !log[0].Flag.Reviewed || log[0].LastReview.By != "Hazel Head" {
		t.Errorf("after the review: %+v", log[0])
	}
	f.now = f.now.AddDate(0, 0, 1)
	r := f.mustReport(t, f.ta, report("Tom Teacher", "Teacher", allegation.LowLevel))
	log, _, _ = f.svc.LowLevelLog(ctx, f.head)
	if !log[0].Flag.Raised || log[0].Flag.InWindow != 4 {
		t.Errorf("after a fourth: %+v", log[0].Flag)
	}
	c, err := f.svc.Case(ctx, f.head, r.Ref)
	if err != nil || !c.Flag.Raised || len(c.Related) != 3 {
		t.Errorf("case flag %+v, related %d, %v", c.Flag, len(c.Related), err)
	}

	t.Run("the school's own rule", func(t *testing.T) {
		if err := f.svc.UpdateSettings(ctx, f.head, allegation.SettingsForm{}); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("the head changes the rules: %v", err)
		}
		err := f.svc.UpdateSettings(ctx, f.admin, allegation.SettingsForm{RetirementAge: "67", MinimumYears: "10", LowLevelCount: "1", LowLevelDays: "30"})
		if p, _ := errors.AsType[validate.Problems](err); p[allegation.FieldLowLevelCount] == "" {
			t.Errorf("a count of 1: %v", err)
		}
		if err := f.svc.UpdateSettings(ctx, f.admin, allegation.SettingsForm{RetirementAge: "68", MinimumYears: "12", LowLevelCount: "5",
			LowLevelDays: "90"}); err != nil {
			t.Fatal(err)
		}
		log, rule, _ := f.svc.LowLevelLog(ctx, f.head)
		if rule.Count != 5 || log[0].Flag.Raised {
			t.Errorf("rule %+v, flag %+v", rule, log[0].Flag)
		}
	})

	t.Run("when the person leaves, their low-level concerns come up for review", func(t *testing.T) {
		if err := f.svc.RecordLeft(ctx, f.head, r.Ref, when.DatePartsOf(f.now)); err != nil {
			t.Fatal(err)
		}
		due, err := allegation.DueForReview(ctx, f.db.Owner, f.school, f.now)
		if err != nil || len(due) != 4 || due[0].Kind != allegation.LowLevel {
			t.Fatalf("due = %+v, %v", due, err)
		}
		if err := f.svc.KeepAfterReview(ctx, f.head, r.Ref, "A reference request is open."); err != nil {
			t.Fatal(err)
		}
		due, _ = allegation.DueForReview(ctx, f.db.Owner, f.school, f.now)
		if len(due) != 3 {
			t.Errorf("after keeping one for a year, %d due", len(due))
		}
		due, _ = allegation.DueForReview(ctx, f.db.Owner, f.school, f.now.AddDate(1, 0, 1))
		if len(due) != 4 {
			t.Errorf("a year later, %d due", len(due))
		}
	})
}

// A false allegation is due for removal at once; its personal data goes
// only after two sign-offs (its handler first, then a second person who
// sees its reference and dates only), and every audit chain still verifies.
func TestAFalseAllegationIsRemovedAfterTwoSignOffs(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	form := report("Tom Teacher", "Teacher", allegation.HarmThreshold)
	form.ChildID = f.amara.ID
	r := f.mustReport(t, f.ta, form)
	if err := f.svc.RecordLADO(ctx, f.head, r.Ref, allegation.LADOForm{On: when.DatePartsOf(f.now), Officer: "Lee Ado",
		Advice: "No further action by the LADO."}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SignOff(ctx, f.head, r.Ref); err == nil {
		t.Error("signed off an open allegation")
	}
	if err := f.svc.RecordOutcome(ctx, f.head, r.Ref, allegation.OutcomeForm{Outcome: string(allegation.False), Note: "CCTV shows it did not happen."}); err != nil {
		t.Fatal(err)
	}
	due, err := allegation.DueForReview(ctx, f.db.Owner, f.school, f.now)
	if err != nil || len(due) != 1 || due[0].Ref != r.Ref || due[0].Ready() {
		t.Fatalf("due = %+v, %v", due, err)
	}
	if err := allegation.Delete(ctx, f.db.Owner, actor.SystemIn(f.school), f.school, due[0].ID, f.now); !errors.Is(err, allegation.ErrNotSignedOff) {
		t.Errorf("Delete without sign-offs: %v", err)
	}
	if _, err := f.svc.SignOff(ctx, f.admin, r.Ref); err == nil {
		t.Error("the second person signed off before the handler")
	}
	if _, err := f.svc.SignOff(ctx, f.dsl, r.Ref); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("a DSL signs off: %v", err)
	}
	if removed, err := f.svc.SignOff(ctx, f.head, r.Ref); err != nil || removed {
		t.Fatalf("the head signs off: removed %v, %v", removed, err)
	}
	if _, err := f.svc.SignOff(ctx, f.head, r.Ref); err == nil {
		t.Error("the head signed off twice")
	}
	list, err := f.svc.Retention(ctx, f.admin)
	if err != nil || len(list) != 1 || len(list[0].Signers) != 1 || list[0].Signers[0].Name != "Hazel Head" {
		t.Fatalf("the admin's retention list = %+v, %v", list, err)
	}
	if removed, err := f.svc.SignOff(ctx, f.admin, r.Ref); err != nil || !removed {
		t.Fatalf("the admin signs off: removed %v, %v", removed, err)
	}

	var name, account, key string
	var child, subject *int64
	if err := f.db.Owner.QueryRow(ctx, `SELECT subject_name, account, subject_key, child_id, subject_user_id FROM allegations WHERE ref = $1`, r.Ref).
		Scan(&name, &account, &key, &child, &subject); err != nil {
		t.Fatal(err)
	}
	if name != "" || account != "" || key != "" || child != nil || subject != nil {
		t.Errorf("left after removal: %q %q %q %v %v", name, account, key, child, subject)
	}
	if n := dbtest.Count(t, f.db.Owner, "allegations WHERE ref = $1 AND subject_id IS NOT NULL", r.Ref); n != 0 {
		t.Error("the removed record still points at the identity of the person it was about")
	}
	if n := dbtest.Count(t, f.db.Owner, "allegation_lado"); n != 0 {
		t.Errorf("%d LADO consultations left", n)
	}
	c, err := f.svc.Case(ctx, f.head, r.Ref)
	if err != nil || !c.Removed() || c.Outcome != allegation.False {
		t.Errorf("the removed record: %+v, %v", c.Allegation, err)
	}
	if err := f.svc.Acknowledge(ctx, f.head, r.Ref); err == nil {
		t.Error("a removed record changed")
	}
	if due, _ := allegation.DueForReview(ctx, f.db.Owner, f.school, f.now); len(due) != 0 {
		t.Errorf("still due: %+v", due)
	}
	if n := dbtest.Count(t, f.db.Owner, "audit_events WHERE action = 'allegation.remove' AND subject_id = $1", r.Ref); n != 1 {
		t.Errorf("%d removal events", n)
	}
	rep, err := audit.Verify(ctx, f.db.Owner, audit.Options{})
	if err != nil || !rep.OK() {
		t.Errorf("audit verify after removal: %+v, %v", rep, err)
	}
}
