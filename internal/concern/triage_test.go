package concern_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/concern"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/db/dbtest"
	"github.com/havenschools/haven/internal/pupil"
	"github.com/havenschools/haven/internal/validate"
)

func submit(t *testing.T, f *fixture, by actor.Actor, form concern.Form) string {
	t.Helper()
	r, err := f.svc.Submit(t.Context(), by, form)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	return r.Ref
}

func mustCase(t *testing.T, f *fixture, by actor.Actor, ref string) concern.Case {
	t.Helper()
	c, err := f.svc.Case(t.Context(), by, ref)
	if err != nil {
		t.Fatalf("case %s: %v", ref, err)
	}
	return c
}

func problemsOf(t *testing.T, err error) validate.Problems {
	t.Helper()
	p, ok := errors.AsType[validate.Problems](err)
	if !ok {
		t.Fatalf("got %v, want form problems", err)
	}
	return p
}

func auditCount(t *testing.T, f *fixture, action, ref string) int {
	t.Helper()
	var n int
	if err := f.db.Owner.QueryRow(context.Background(), `SELECT count(*) FROM audit_events
		WHERE chain_id = $1 AND action = $2 AND subject_id = $3`, f.school, action, ref).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

var goodDecision = concern.DecisionForm{Outcome: string(concern.SocialCare),
	Reason:  "Older man collecting her from school; indicators of CSE recorded by two staff.",
	Parents: string(concern.ParentsNotTold), ParentsWhyNot: "Telling her mother may alert the man; social care advised not to.",
	ChildsWishes: "She does not want her mother told and wants to keep seeing him."}

func TestTriageFromAcknowledgementToClosure(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	ref := submit(t, f, f.staff, validForm(f.amara.ID))

	for _, who := range []actor.Actor{f.staff, f.staff2, {UserID: f.staff.UserID, SchoolID: f.school, Role: actor.Admin}} {
		if _, err := f.svc.Case(ctx, who, ref); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("Case as %s = %v, want not found", who.Role, err)
		}
		if err := f.svc.Acknowledge(ctx, who, ref, 1); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("Acknowledge as %s = %v, want not found", who.Role, err)
		}
	}

	c := mustCase(t, f, f.dsl, ref)
	if c.Status != concern.Submitted || c.Version != 1 || c.AssignedTo != 0 || c.RecordedByName != "Tea Cher" {
		t.Fatalf("new case = status %s version %d assigned %d recorded by %q", c.Status, c.Version, c.AssignedTo, c.RecordedByName)
	}
	if err := f.svc.RecordDecision(ctx, f.dsl, ref, withVersion(goodDecision, 1)); !errors.Is(err, concern.ErrState) {
		t.Errorf("decision before acknowledging = %v, want a state error", err)
	}

	if err := f.svc.Acknowledge(ctx, f.dsl, ref, 1); err != nil {
		t.Fatal(err)
	}
	c = mustCase(t, f, f.dsl, ref)
	if c.Status != concern.Acknowledged || c.AssignedTo != f.dsl.UserID || c.Version != 2 || c.AcknowledgedBy != "Dee Ess" {
		t.Fatalf("after acknowledging: status %s assigned %d version %d by %q", c.Status, c.AssignedTo, c.Version, c.AcknowledgedBy)
	}

	t.Run("a decision without its reason, parents' answer or the child's wishes is refused", func(t *testing.T) {
		p := problemsOf(t, f.svc.RecordDecision(ctx, f.dsl, ref, concern.DecisionForm{Version: 2, Parents: "not_told"}))
		for _, field := range []string{concern.FieldOutcome, concern.FieldReason, concern.FieldParentsWhyNot, concern.FieldChildsWishes} {
			if p[field] == "" {
				t.Errorf("no problem for %s in %v", field, p)
			}
		}
	})
	if err := f.svc.RecordDecision(ctx, f.dsl, ref, withVersion(goodDecision, 2)); err != nil {
		t.Fatal(err)
	}

	t.Run("a referral prompts a chase one working day later", func(t *testing.T) {
		err := f.svc.RecordAction(ctx, f.dsl, ref, concern.ActionForm{Kind: string(concern.ActionReferral), On: today(),
			Note: "Referred to the front door by phone", AgencyRef: "MASH-4471", FollowUp: daysAgo(-7)})
		if err != nil {
			t.Fatal(err)
		}
		tasks, err := f.svc.MyTasks(ctx, f.dsl)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []concern.TaskKind
		for _, tk := range tasks {
			kinds = append(kinds, tk.Kind)
		}
		if len(tasks) != 2 || !slices.Contains(kinds, concern.TaskChase) || !slices.Contains(kinds, concern.TaskFollowUp) {
			t.Fatalf("tasks = %+v, want a chase and a follow-up", tasks)
		}
		chase := tasks[slices.IndexFunc(tasks, func(tk concern.Task) bool { return tk.Kind == concern.TaskChase })]
		if !chase.DueOn.After(mustDate(t, today())) || chase.DueOn.Weekday() == time.Saturday || chase.DueOn.Weekday() == time.Sunday {
			t.Errorf("chase due on %s, want the next working day", chase.DueOn.Format(time.DateOnly))
		}
		c := mustCase(t, f, f.dsl, ref)
		if len(c.Actions) != 1 || !c.Actions[0].AwaitingFeedback() || c.Actions[0].ChaseFrom != chase.DueOn {
			t.Fatalf("actions = %+v", c.Actions)
		}
		if err := f.svc.RecordFeedback(ctx, f.dsl, ref, c.Actions[0].ID, "Strategy meeting on Thursday"); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.RecordFeedback(ctx, f.dsl, ref, c.Actions[0].ID, "again"); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("feedback twice = %v, want not found", err)
		}
		tasks, _ = f.svc.MyTasks(ctx, f.dsl)
		if len(tasks) != 1 || tasks[0].Kind != concern.TaskFollowUp {
			t.Errorf("after feedback, tasks = %+v, want only the follow-up", tasks)
		}
	})

	t.Run("closing needs an outcome summary", func(t *testing.T) {
		p := problemsOf(t, f.svc.Close(ctx, f.dsl, ref, concern.CloseForm{Version: 3, Summary: "  "}))
		if p[concern.FieldSummary] == "" {
			t.Errorf("problems = %v", p)
		}
	})
	if err := f.svc.Close(ctx, f.dsl, ref, concern.CloseForm{Version: 3, Summary: "Social care took the lead; plan in place."}); err != nil {
		t.Fatal(err)
	}
	c = mustCase(t, f, f.dsl, ref)
	// Closing ends no task: the referral's chase waits for its feedback (issue 15).
	if c.Status != concern.Closed || c.ClosedAt == nil || c.OutcomeSummary == "" || len(c.Tasks) != 1 {
		t.Fatalf("after closing: status %s closed %v summary %q tasks %d, want 1", c.Status, c.ClosedAt, c.OutcomeSummary, len(c.Tasks))
	}
	if err := f.svc.SetUrgency(ctx, f.dsl, ref, 4, concern.High); !errors.Is(err, concern.ErrState) {
		t.Errorf("changing a closed concern = %v, want a state error", err)
	}
	if p := problemsOf(t, f.svc.Reopen(ctx, f.dsl, ref, concern.ReasonForm{Version: 4})); p[concern.FieldReason] == "" {
		t.Errorf("reopening without a reason: %v", p)
	}
	if err := f.svc.Reopen(ctx, f.dsl, ref, concern.ReasonForm{Version: 4, Reason: "She disclosed more to her tutor."}); err != nil {
		t.Fatal(err)
	}
	c = mustCase(t, f, f.dsl, ref)
	if c.Status != concern.InProgress || c.Version != 5 {
		t.Fatalf("after reopening: status %s version %d", c.Status, c.Version)
	}
	var kinds []concern.EventKind
	for _, e := range c.Events {
		kinds = append(kinds, e.Kind)
	}
	want := []concern.EventKind{concern.EventAcknowledged, concern.EventDecision, concern.EventClosed, concern.EventReopened}
	if !slices.Equal(kinds, want) {
		t.Errorf("events = %v, want %v", kinds, want)
	}
	for action, n := range map[string]int{"concern.acknowledge": 1, "concern.decision": 1, "concern.action": 1,
		"concern.referral_feedback": 1, "concern.close": 1, "concern.reopen": 1} {
		if got := auditCount(t, f, action, ref); got != n {
			t.Errorf("%s audited %d times, want %d", action, got, n)
		}
	}
	if got := auditCount(t, f, "concern.view", ref); got < 4 {
		t.Errorf("concern.view audited %d times, want one per view", got)
	}
	if len(c.Views) != 1 || c.Views[0].UserName != "Dee Ess" || c.Views[0].Count < 4 {
		t.Errorf("who has seen this = %+v, want Dee Ess's views in one row", c.Views)
	}
}

func withVersion(d concern.DecisionForm, v int) concern.DecisionForm {
	d.Version = v
	return d
}

func TestSecondDSLSeesWhatChangedAndOverwritesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	ref := submit(t, f, f.staff, validForm(f.amara.ID))
	seen := mustCase(t, f, f.deputy, ref).Version // both DSLs open the page at version 1
	if err := f.svc.Acknowledge(ctx, f.dsl, ref, seen); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.SetUrgency(ctx, f.dsl, ref, seen+1, concern.High); err != nil {
		t.Fatal(err)
	}

	err := f.svc.SetUrgency(ctx, f.deputy, ref, seen, concern.Low)
	conflict, ok := errors.AsType[*concern.ConflictError](err)
	if !ok {
		t.Fatalf("stale change = %v, want a conflict", err)
	}
	if conflict.Seen != 1 || conflict.Version != 3 || len(conflict.Changes) != 2 {
		t.Fatalf("conflict = %+v", conflict)
	}
	if got := conflict.Changes[1]; got.Actor != "Dee Ess" || got.Summary != "Urgency: High" {
		t.Errorf("second change = %+v", got)
	}
	if err := f.svc.Acknowledge(ctx, f.deputy, ref, seen); !errors.As(err, &conflict) {
		t.Errorf("stale acknowledgement = %v, want a conflict", err)
	}
	c := mustCase(t, f, f.dsl, ref)
	if c.Urgency != concern.High || c.AssignedTo != f.dsl.UserID || c.Version != 3 {
		t.Errorf("after the stale changes: urgency %s assigned %d version %d", c.Urgency, c.AssignedTo, c.Version)
	}

	t.Run("two changes at once: one wins, the other conflicts", func(t *testing.T) {
		ref := submit(t, f, f.staff, validForm(f.ben.ID))
		errs := make(chan error, 2)
		for _, by := range []actor.Actor{f.dsl, f.deputy} {
			go func() { errs <- f.svc.Acknowledge(ctx, by, ref, 1) }()
		}
		var wins, conflicts int
		for range 2 {
			err := <-errs
			switch {
			case err == nil:
				wins++
			case errors.As(err, &conflict):
				conflicts++
			default:
				t.Errorf("acknowledge: %v", err)
			}
		}
		if wins != 1 || conflicts != 1 {
			t.Errorf("%d won and %d conflicted, want 1 and 1", wins, conflicts)
		}
	})
}

func TestEnteredInError(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	ref := submit(t, f, f.staff, validForm(f.amara.ID))
	kept := submit(t, f, f.staff2, validForm(f.amara.ID))

	if p := problemsOf(t, f.svc.MarkEnteredInError(ctx, f.dsl, ref, concern.ReasonForm{Version: 1})); p[concern.FieldReason] == "" {
		t.Errorf("no reason: %v", p)
	}
	if err := f.svc.MarkEnteredInError(ctx, f.dsl, ref, concern.ReasonForm{Version: 1, Reason: "Recorded on the wrong child"}); err != nil {
		t.Fatal(err)
	}
	ch, err := f.svc.Chronology(ctx, f.dsl, f.amara.ID, concern.ChronologyFilter{}, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ch.Entries {
		if e.Ref == ref {
			t.Errorf("the chronology still has %s: %+v", ref, e)
		}
	}
	if !slices.ContainsFunc(ch.Entries, func(e concern.Entry) bool { return e.Ref == kept }) {
		t.Errorf("the chronology lost %s", kept)
	}
	q, err := f.svc.Queue(ctx, f.dsl, concern.QueueFilter{Status: "all"})
	if err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(q.Rows, func(r concern.QueueRow) bool { return r.Ref == ref }) {
		t.Errorf("the queue still has %s", ref)
	}
	c := mustCase(t, f, f.dsl, ref)
	if !c.InError() || c.EnteredInErrorReason != "Recorded on the wrong child" {
		t.Errorf("its own page does not say it was entered in error: %+v", c.EnteredInErrorAt)
	}
	if err := f.svc.Acknowledge(ctx, f.dsl, ref, c.Version); !errors.Is(err, concern.ErrState) {
		t.Errorf("acknowledging it = %v, want a state error", err)
	}
	if auditCount(t, f, "concern.submit", ref) != 1 || auditCount(t, f, "concern.entered_in_error", ref) != 1 {
		t.Error("the audit trail lost the concern or its marking")
	}
}

// A concern marked entered in error shows that status wherever a status
// is shown — its own page, a concern linked to it, My concerns and its
// author's view of it, the child's concerns — never the stage it stopped
// at ("New"); the others keep theirs.
func TestEnteredInErrorIsTheStatusShown(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	ref := submit(t, f, f.staff, validForm(f.amara.ID))
	kept := submit(t, f, f.staff, validForm(f.amara.ID))
	if err := f.svc.Link(ctx, f.dsl, kept, 1, ref); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.MarkEnteredInError(ctx, f.dsl, ref, concern.ReasonForm{Version: 1, Reason: "Recorded on the wrong child."}); err != nil {
		t.Fatal(err)
	}
	if c := mustCase(t, f, f.dsl, ref); c.Status != concern.EnteredInError || c.Status.Label() != "Entered in error" {
		t.Errorf("its page's status = %q (%s), want entered in error", c.Status, c.Status.Label())
	}
	other := mustCase(t, f, f.dsl, kept)
	if other.Status != concern.Submitted || len(other.Links) != 1 || other.Links[0].Status != concern.EnteredInError {
		t.Errorf("the other concern = %q, its link = %+v: want submitted, linked to one entered in error", other.Status, other.Links)
	}
	mine, err := f.svc.Mine(ctx, f.staff)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mine {
		want := concern.Submitted
		if m.Ref == ref {
			want = concern.EnteredInError
		}
		if m.Status != want {
			t.Errorf("My concerns: %s is %q, want %q", m.Ref, m.Status, want)
		}
	}
	v, err := f.svc.Recorded(ctx, f.staff, ref)
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != concern.EnteredInError || v.Status.ForStaff() != "Entered in error" {
		t.Errorf("its author sees %q (%s), want entered in error", v.Status, v.Status.ForStaff())
	}
	entries, err := f.svc.ForChild(ctx, f.dsl, f.amara.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if (e.Ref == ref) != (e.Status == concern.EnteredInError) {
			t.Errorf("the child's concerns: %s is %q", e.Ref, e.Status)
		}
	}
	if auditCount(t, f, "concern.submit", ref) != 1 {
		t.Error("the audit trail lost the concern or its marking")
	}
}

func TestRestrictionHidesAConcernFromDSLsNotNamed(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	form := validForm(f.amara.ID)
	if _, err := f.svc.Attach(ctx, f.staff, form.SubmissionID, nil, concern.Upload{Name: "note.pdf", Content: pdfFile}); err != nil {
		t.Fatal(err)
	}
	ref := submit(t, f, f.staff, form)
	c := mustCase(t, f, f.dsl, ref)
	if err := f.svc.SetAccess(ctx, f.dsl, ref, concern.AccessForm{Version: c.Version, Restricted: true}); err != nil {
		t.Fatal(err)
	}
	c = mustCase(t, f, f.dsl, ref)
	if !c.Restricted || len(c.Named) != 1 || c.Named[0].ID != f.dsl.UserID {
		t.Fatalf("after restricting: restricted %v named %+v", c.Restricted, c.Named)
	}

	hidden := func(t *testing.T, who actor.Actor) {
		t.Helper()
		if _, err := f.svc.Case(ctx, who, ref); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("Case = %v, want not found", err)
		}
		q, err := f.svc.Queue(ctx, who, concern.QueueFilter{Status: "all"})
		if err != nil {
			t.Fatal(err)
		}
		if len(q.Rows) != 0 || q.Open() != 0 {
			t.Errorf("queue = %d rows, %d open, want none", len(q.Rows), q.Open())
		}
		ch, err := f.svc.Chronology(ctx, who, f.amara.ID, concern.ChronologyFilter{}, false)
		if err != nil {
			t.Fatal(err)
		}
		if len(ch.Entries) != 0 {
			t.Errorf("chronology = %+v, want nothing", ch.Entries)
		}
		if _, err := f.svc.Download(ctx, who, c.Attachments[0].PublicID); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("download = %v, want not found", err)
		}
		if err := f.svc.Acknowledge(ctx, who, ref, c.Version); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("acknowledge = %v, want not found", err)
		}
		// Row-level security hides it even from a query that forgets the rule.
		var n int
		err = db.InSchool(ctx, f.db.App, who, func(tx pgx.Tx) error {
			return tx.QueryRow(ctx, `SELECT count(*) FROM concerns WHERE ref = $1`, ref).Scan(&n)
		})
		if err != nil || n != 0 {
			t.Errorf("row-level security: %d rows, %v", n, err)
		}
	}
	t.Run("a DSL not named cannot see it anywhere", func(t *testing.T) { hidden(t, f.deputy) })
	t.Run("its author still sees what they recorded", func(t *testing.T) {
		if _, err := f.svc.Recorded(ctx, f.staff, ref); err != nil {
			t.Errorf("Recorded = %v", err)
		}
	})
	t.Run("named, the deputy sees it", func(t *testing.T) {
		c := mustCase(t, f, f.dsl, ref)
		if err := f.svc.SetAccess(ctx, f.dsl, ref, concern.AccessForm{Version: c.Version, Restricted: true,
			Named: []int64{f.deputy.UserID}}); err != nil {
			t.Fatal(err)
		}
		mustCase(t, f, f.deputy, ref)
	})
	t.Run("excluded for a conflict of interest, unrestricted or not, the deputy cannot", func(t *testing.T) {
		c := mustCase(t, f, f.dsl, ref)
		err := f.svc.SetAccess(ctx, f.dsl, ref, concern.AccessForm{Version: c.Version, Excluded: []int64{f.deputy.UserID}})
		if err != nil {
			t.Fatal(err)
		}
		c = mustCase(t, f, f.dsl, ref)
		if c.Restricted || len(c.Excluded) != 1 {
			t.Fatalf("restricted %v excluded %+v", c.Restricted, c.Excluded)
		}
		hidden(t, f.deputy)
	})
	t.Run("a DSL excluded from a concern they recorded sees only what they recorded", func(t *testing.T) {
		own := submit(t, f, f.deputy, validForm(f.ben.ID))
		c := mustCase(t, f, f.dsl, own)
		if err := f.svc.SetAccess(ctx, f.dsl, own, concern.AccessForm{Version: c.Version, Excluded: []int64{f.deputy.UserID}}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Case(ctx, f.deputy, own); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("Case = %v, want not found: the exclusion is enforced by the query, not only by row-level security", err)
		}
		if _, err := f.svc.Recorded(ctx, f.deputy, own); err != nil {
			t.Errorf("Recorded = %v", err)
		}
	})
	t.Run("nobody excludes themselves or hides a concern from its assignee", func(t *testing.T) {
		c := mustCase(t, f, f.dsl, ref)
		p := problemsOf(t, f.svc.SetAccess(ctx, f.dsl, ref, concern.AccessForm{Version: c.Version, Excluded: []int64{f.dsl.UserID}}))
		if p[concern.FieldExcluded] == "" {
			t.Errorf("problems = %v", p)
		}
		if err := f.svc.Acknowledge(ctx, f.dsl, ref, c.Version); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Assign(ctx, f.dsl, ref, c.Version+1, f.deputy.UserID); problemsOf(t, err)[concern.FieldAssignee] == "" {
			t.Errorf("assigning to an excluded DSL: %v", err)
		}
	})
}

func TestQueueOrderFiltersAndPaging(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	y7 := pupil.YearGroup(7)
	kids, err := pupil.NewService(f.db.App).AddToRoll(ctx, actor.SystemIn(f.school), []pupil.NewChild{
		{FirstName: "Dan", LastName: "Eze", YearGroup: &y7}})
	if err != nil {
		t.Fatal(err)
	}
	dan := kids[0]

	// 40 concerns, recorded a minute apart, oldest first: every fifth about
	// a child in immediate danger, every third about Dan (Year 7) with the
	// category neglect.
	base := time.Now().Add(-48 * time.Hour).Truncate(time.Minute)
	var refs []string
	for i := range 40 {
		form := validForm(f.amara.ID)
		if i%3 == 0 {
			form = validForm(dan.ID)
			form.Categories = []string{"neglect"}
		}
		if i%5 == 0 {
			form.InDanger = "yes"
		}
		ref := submit(t, f, f.staff, form)
		if _, err := f.db.Owner.Exec(ctx, `UPDATE concerns SET created_at = $2 WHERE ref = $1 AND school_id = $3`,
			ref, base.Add(time.Duration(i)*time.Minute), f.school); err != nil {
			t.Fatal(err)
		}
		refs = append(refs, ref)
	}
	// Triage some: acknowledge 10..19 (the deputy takes 10..14), set
	// urgencies, close 30..34.
	for i := 10; i < 20; i++ {
		by := f.dsl
		if i < 15 {
			by = f.deputy
		}
		if err := f.svc.Acknowledge(ctx, by, refs[i], 1); err != nil {
			t.Fatal(err)
		}
		u := []concern.Urgency{concern.High, concern.Medium, concern.Low, ""}[i%4]
		if u != "" {
			if err := f.svc.SetUrgency(ctx, by, refs[i], 2, u); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i := 30; i < 35; i++ {
		if _, err := f.db.Owner.Exec(ctx, `UPDATE concerns SET status = 'closed', closed_at = now() WHERE ref = $1`, refs[i]); err != nil {
			t.Fatal(err)
		}
	}

	all := readQueue(t, f, f.dsl, concern.QueueFilter{Limit: 7})
	if len(all) != 35 {
		t.Fatalf("open concerns over all pages = %d, want 35", len(all))
	}
	// The order: unacknowledged in danger oldest first; other unacknowledged
	// oldest first; then high, medium, low, not set — oldest first in each.
	rank := func(r concern.QueueRow) int {
		switch {
		case r.Status == concern.Submitted && r.InDanger:
			return 0
		case r.Status == concern.Submitted:
			return 1
		}
		return map[concern.Urgency]int{concern.High: 2, concern.Medium: 3, concern.Low: 4, "": 5}[r.Urgency]
	}
	for i := 1; i < len(all); i++ {
		a, b := all[i-1], all[i]
		if rank(a) > rank(b) || (rank(a) == rank(b) && a.CreatedAt.After(b.CreatedAt)) {
			t.Errorf("row %d (%s, rank %d) comes before row %d (%s, rank %d)", i-1, a.Ref, rank(a), i, b.Ref, rank(b))
		}
	}
	if all[0].Ref != refs[0] || !all[0].InDanger {
		t.Errorf("first row = %s, want %s (in danger, oldest)", all[0].Ref, refs[0])
	}
	if !all[0].Overdue || !strings.Contains(strings.Join(all[0].Flags, " "), "concerns in the last 90 days") {
		t.Errorf("first row: overdue %v flags %v, want overdue and flagged", all[0].Overdue, all[0].Flags)
	}
	seen := map[string]bool{}
	for _, r := range all {
		if seen[r.Ref] {
			t.Errorf("%s is on two pages", r.Ref)
		}
		seen[r.Ref] = true
	}

	for _, tt := range []struct {
		name   string
		filter concern.QueueFilter
		want   int
	}{
		{"unacknowledged", concern.QueueFilter{Status: "submitted"}, 25},
		{"closed", concern.QueueFilter{Status: "closed"}, 5},
		{"everything", concern.QueueFilter{Status: "all"}, 40},
		{"neglect", concern.QueueFilter{Category: "neglect"}, 12},
		{"high urgency", concern.QueueFilter{Urgency: "high"}, 2},
		{"urgency not set", concern.QueueFilter{Urgency: "none"}, 28},
		{"assigned to me", concern.QueueFilter{Mine: true}, 5},
		{"Year 7", concern.QueueFilter{YearGroup: &y7}, 12},
		{"recorded today only", concern.QueueFilter{From: time.Now(), To: time.Now()}, 0},
		{"recorded in the window", concern.QueueFilter{From: base, To: base.Add(72 * time.Hour)}, 35},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.filter.Limit = 100
			if got := len(readQueue(t, f, f.dsl, tt.filter)); got != tt.want {
				t.Errorf("%d rows, want %d", got, tt.want)
			}
		})
	}

	q, err := f.svc.Queue(ctx, f.dsl, concern.QueueFilter{Category: "neglect"})
	if err != nil {
		t.Fatal(err)
	}
	// Neglect (Dan) is i = 0, 3, …, 39: acknowledged 12, 15 and 18, closed
	// 30 and 33 (the closed are not counted).
	if _, ok := q.Counts[concern.Closed]; q.Counts[concern.Submitted] != 9 || q.Counts[concern.Acknowledged] != 3 || ok {
		t.Errorf("counts = %v", q.Counts)
	}
	if got := auditCount(t, f, "queue.view", ""); got == 0 {
		t.Error("the queue's views are not audited")
	}
}

// readQueue reads every page of the queue under filter.
func readQueue(t *testing.T, f *fixture, by actor.Actor, filter concern.QueueFilter) []concern.QueueRow {
	t.Helper()
	var rows []concern.QueueRow
	for range 100 {
		p, err := f.svc.Queue(t.Context(), by, filter)
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, p.Rows...)
		if p.Next == "" {
			return rows
		}
		filter.After = p.Next
	}
	t.Fatal("the queue never ended")
	return nil
}

func TestStaffGetNoQueue(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	submit(t, f, f.staff, validForm(f.amara.ID))
	for _, who := range []actor.Actor{f.staff, {UserID: f.staff.UserID, SchoolID: f.school, Role: actor.Head}} {
		if _, err := f.svc.Queue(t.Context(), who, concern.QueueFilter{}); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("queue as %s = %v, want not found", who.Role, err)
		}
		if _, err := f.svc.Child(t.Context(), who, f.amara.ID); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("child as %s = %v, want not found", who.Role, err)
		}
	}
}

func TestADSLOfAnotherSchoolFindsNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	ref := submit(t, f, f.staff, validForm(f.amara.ID))
	other := concernSchool(t, f.db.Owner, "other-school")
	outsider := dbtest.MustMember(t, f.db.Owner, other, "dsl@other.test", "Out Sider", actor.DSL)

	if _, err := f.svc.Case(ctx, outsider, ref); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("case = %v", err)
	}
	if _, err := f.svc.Child(ctx, outsider, f.amara.ID); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("child = %v", err)
	}
	if _, err := f.svc.Chronology(ctx, outsider, f.amara.ID, concern.ChronologyFilter{}, false); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("chronology = %v", err)
	}
	if err := f.svc.Acknowledge(ctx, outsider, ref, 1); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("acknowledge = %v", err)
	}
	if err := f.svc.AcknowledgeFlag(ctx, outsider, f.amara.ID, concern.FlagCount, "no"); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("flag = %v", err)
	}
	q, err := f.svc.Queue(ctx, outsider, concern.QueueFilter{Status: "all"})
	if err != nil || len(q.Rows) != 0 {
		t.Errorf("queue = %d rows, %v", len(q.Rows), err)
	}
}

func TestChronologyShowsEachChildTheirPartOnly(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	form := validForm(f.amara.ID)
	form.Children = append(form.Children, concern.FormChild{ChildID: f.ben.ID, Role: concern.Witness})
	form.Indicators = []string{"older_groups", "cars_unknown_adults"}
	form.Categories = []string{"cse"}
	ref := submit(t, f, f.staff, form)
	if err := f.svc.Acknowledge(ctx, f.dsl, ref, 1); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.RecordDecision(ctx, f.dsl, ref, withVersion(goodDecision, 2)); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.RecordAction(ctx, f.dsl, ref, concern.ActionForm{Kind: string(concern.ActionConversation), On: today(),
		Note: "Spoke with Amara with her tutor present"}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.AddAddendum(ctx, f.staff, ref, "She was picked up again on Friday."); err != nil {
		t.Fatal(err)
	}

	amara, err := f.svc.Chronology(ctx, f.dsl, f.amara.ID, concern.ChronologyFilter{}, false)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []concern.EntryKind
	for _, e := range amara.Entries {
		kinds = append(kinds, e.Kind)
	}
	for _, k := range []concern.EntryKind{concern.EntryConcern, concern.EntryDecision, concern.EntryAction, concern.EntryAddendum, concern.EntryChange} {
		if !slices.Contains(kinds, k) {
			t.Errorf("Amara's chronology has no %s: %v", k, kinds)
		}
	}
	for i := 1; i < len(amara.Entries); i++ {
		if amara.Entries[i].At.Before(amara.Entries[i-1].At) {
			t.Errorf("entry %d is out of date order", i)
		}
	}
	text := chronologyText(amara)
	for _, want := range []string{"older man picks her up", "Spending time with older people", "Refer to children's social care"} {
		if !strings.Contains(text, want) {
			t.Errorf("Amara's chronology lacks %q", want)
		}
	}

	ben, err := f.svc.Chronology(ctx, f.dsl, f.ben.ID, concern.ChronologyFilter{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(ben.Entries) != 1 || ben.Entries[0].Role != concern.Witness || !strings.Contains(ben.Entries[0].Title, "Witness") {
		t.Fatalf("Ben's chronology = %+v, want one entry as a witness", ben.Entries)
	}
	text = chronologyText(ben)
	for _, never := range []string{"older man", "He buys me things", "Spending time with older people", "social care", "Friday"} {
		if strings.Contains(text, never) {
			t.Errorf("Ben's chronology shows Amara's part: %q", never)
		}
	}

	decisionsOnly, err := f.svc.Chronology(ctx, f.dsl, f.amara.ID, concern.ChronologyFilter{Kinds: []concern.EntryKind{concern.EntryDecision}}, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(decisionsOnly.Entries) != 1 || decisionsOnly.Entries[0].Kind != concern.EntryDecision {
		t.Errorf("filtered = %+v", decisionsOnly.Entries)
	}
	if auditCount(t, f, "chronology.print", strconv.FormatInt(f.amara.ID, 10)) != 1 || auditCount(t, f, "chronology.view", strconv.FormatInt(f.amara.ID, 10)) != 1 {
		t.Error("chronology views are not audited")
	}

	p, err := f.svc.Child(ctx, f.dsl, f.amara.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Indicators) != 1 || p.Indicators[0].Group != "Relationships and whereabouts" || len(p.Indicators[0].Items) != 2 ||
		p.Indicators[0].Items[0].Marks[0].By != "Tea Cher" || p.Indicators[0].Items[0].Marks[0].Ref != ref {
		t.Errorf("indicators over time = %+v", p.Indicators)
	}
	if len(p.Views) == 0 || p.Views[0].Action != "child.view" {
		t.Errorf("views = %+v", p.Views)
	}
}

func chronologyText(ch concern.Chronology) string {
	var b strings.Builder
	for _, e := range ch.Entries {
		b.WriteString(e.Title + "\n")
		for _, d := range e.Details {
			b.WriteString(d.Label + ": " + d.Value + "\n")
		}
	}
	return b.String()
}
