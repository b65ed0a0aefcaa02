package concern_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/concern"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/db/dbtest"
	"github.com/havenschools/haven/internal/validate"
	"github.com/havenschools/haven/internal/when"
)

// referralWithChase records a referral with a follow-up on a new concern
// about Amara and returns the concern's reference and the ids of its
// chase and follow-up tasks.
func referralWithChase(t *testing.T, f *fixture) (ref string, chase, followUp int64) {
	t.Helper()
	ctx := t.Context()
	ref = submit(t, f, f.staff, validForm(f.amara.ID))
	if err := f.svc.Acknowledge(ctx, f.dsl, ref, 1); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.RecordAction(ctx, f.dsl, ref, concern.ActionForm{Kind: string(concern.ActionReferral), On: today(),
		Note: "Referred to children's social care", FollowUp: when.DatePartsOf(when.Today(time.Now()).AddDate(0, 0, 7))}); err != nil {
		t.Fatal(err)
	}
	for _, task := range openTasks(t, f, ref) {
		switch task.Kind {
		case concern.TaskChase:
			chase = task.ID
		case concern.TaskFollowUp:
			followUp = task.ID
		}
	}
	if chase == 0 || followUp == 0 {
		t.Fatalf("the referral has no chase or no follow-up: %+v", openTasks(t, f, ref))
	}
	return ref, chase, followUp
}

// openTasks are the DSL's open tasks on the concern ref.
func openTasks(t *testing.T, f *fixture, ref string) []concern.Task {
	t.Helper()
	tasks, err := f.svc.MyTasks(t.Context(), f.dsl)
	if err != nil {
		t.Fatal(err)
	}
	var out []concern.Task
	for _, task := range tasks {
		if task.ConcernRef == ref {
			out = append(out, task)
		}
	}
	return out
}

// chronologyEntry is the entry of Amara's chronology for ref titled title.
func chronologyEntry(t *testing.T, f *fixture, ref, title string) (concern.Entry, bool) {
	t.Helper()
	ch, err := f.svc.Chronology(t.Context(), f.dsl, f.amara.ID, concern.ChronologyFilter{}, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ch.Entries {
		if e.Ref == ref && e.Title == title {
			return e, true
		}
	}
	return concern.Entry{}, false
}

func noteOf(e concern.Entry) string {
	for _, d := range e.Details {
		if d.Label == "Note" {
			return d.Value
		}
	}
	return ""
}

// Closing a referral chase asks what happened (issue 15, item 5): the
// agency's feedback, chased again (a new chase, so nothing is lost), or no
// longer needed (with why); the chronology says which. Only a follow-up is
// marked done in one click.
func TestEndChase(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()

	t.Run("without an outcome or, for no longer needed, a note, it is a problem and the chase stays open", func(t *testing.T) {
		ref, chase, _ := referralWithChase(t, f)
		for _, form := range []concern.ChaseForm{{}, {Outcome: "shrug", Note: "x"}, {Outcome: string(concern.OutcomeNotNeeded), Note: "  "},
			{Outcome: string(concern.OutcomeFeedback)}} {
			err := f.svc.EndChase(ctx, f.dsl, chase, form)
			p, ok := errors.AsType[validate.Problems](err)
			if !ok {
				t.Fatalf("%+v: %v, want problems", form, err)
			}
			want := concern.FieldChaseNote
			if form.Outcome == "" || form.Outcome == "shrug" {
				want = concern.FieldChaseOutcome
			}
			if p[want] == "" || len(p) != 1 {
				t.Errorf("%+v: problems %v, want one for %s", form, p, want)
			}
		}
		if n := len(openTasks(t, f, ref)); n != 2 {
			t.Errorf("open tasks after the refused forms = %d, want 2", n)
		}
	})

	t.Run("feedback received records the referral's feedback, which ends the chase", func(t *testing.T) {
		ref, chase, _ := referralWithChase(t, f)
		if err := f.svc.EndChase(ctx, f.dsl, chase, concern.ChaseForm{Outcome: string(concern.OutcomeFeedback),
			Note: "Social worker allocated; assessment under way"}); err != nil {
			t.Fatal(err)
		}
		c := mustCase(t, f, f.dsl, ref)
		if a := c.Actions[0]; a.FeedbackAt == nil || a.FeedbackNote != "Social worker allocated; assessment under way" {
			t.Errorf("the referral's feedback = %v %q, want the note", a.FeedbackAt, a.FeedbackNote)
		}
		if tasks := openTasks(t, f, ref); len(tasks) != 1 || tasks[0].Kind != concern.TaskFollowUp {
			t.Errorf("open tasks = %+v, want the follow-up only", tasks)
		}
		if _, ok := chronologyEntry(t, f, ref, "Chase ended: the agency's feedback was recorded"); !ok {
			t.Error("the chronology does not say the chase ended with the feedback")
		}
		if err := f.svc.RecordFeedback(ctx, f.dsl, ref, c.Actions[0].ID, "again"); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("feedback a second time: %v, want not found", err)
		}
		if err := f.svc.EndChase(ctx, f.dsl, chase, concern.ChaseForm{Outcome: string(concern.OutcomeNotNeeded), Note: "x"}); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("ending the ended chase: %v, want not found", err)
		}
		if n := dbtest.Count(t, f.db.Owner, "audit_events WHERE action = 'task.chase_end' AND subject_id = $1", ref); n != 1 {
			t.Errorf("task.chase_end audit events = %d, want 1", n)
		}
	})

	t.Run("chased again leaves one open chase, due on a later working day, with the note on the chronology", func(t *testing.T) {
		ref, chase, _ := referralWithChase(t, f)
		if err := f.svc.EndChase(ctx, f.dsl, chase, concern.ChaseForm{Outcome: string(concern.OutcomeChased),
			Note: "Left a message with the duty social worker"}); err != nil {
			t.Fatal(err)
		}
		var chases []concern.Task
		for _, task := range openTasks(t, f, ref) {
			if task.Kind == concern.TaskChase {
				chases = append(chases, task)
			}
		}
		if len(chases) != 1 || chases[0].ID == chase {
			t.Fatalf("open chases = %+v, want one new chase", chases)
		}
		today := when.Today(time.Now())
		if due := chases[0].DueOn; !due.After(today) || due.Weekday() == time.Saturday || due.Weekday() == time.Sunday {
			t.Errorf("the new chase is due %s, want a working day after %s", due, today)
		}
		if chases[0].AssignedTo != f.dsl.UserID {
			t.Errorf("the new chase is assigned to %d, want %d", chases[0].AssignedTo, f.dsl.UserID)
		}
		e, ok := chronologyEntry(t, f, ref, "Referral chased again")
		if !ok || noteOf(e) != "Left a message with the duty social worker" || e.By != "Dee Ess" {
			t.Errorf("the chronology's entry = %+v (found %v), want the note, by Dee Ess", e, ok)
		}
		if c := mustCase(t, f, f.dsl, ref); c.Actions[0].FeedbackAt != nil {
			t.Error("chasing again recorded feedback")
		}
		// The new chase can be chased again too: still one open.
		if err := f.svc.EndChase(ctx, f.dsl, chases[0].ID, concern.ChaseForm{Outcome: string(concern.OutcomeChased)}); err != nil {
			t.Fatal(err)
		}
		if n := dbtest.Count(t, f.db.Owner, "concern_tasks t JOIN concerns c ON c.id = t.concern_id WHERE c.ref = $1 AND t.kind = 'referral_chase' AND t.done_at IS NULL", ref); n != 1 {
			t.Errorf("open chases after a second chase = %d, want 1", n)
		}
	})

	t.Run("no longer needed ends the chase with why, on the chronology", func(t *testing.T) {
		ref, chase, _ := referralWithChase(t, f)
		if err := f.svc.EndChase(ctx, f.dsl, chase, concern.ChaseForm{Outcome: string(concern.OutcomeNotNeeded),
			Note: "Referral withdrawn: the family moved out of the area"}); err != nil {
			t.Fatal(err)
		}
		if tasks := openTasks(t, f, ref); len(tasks) != 1 || tasks[0].Kind != concern.TaskFollowUp {
			t.Errorf("open tasks = %+v, want the follow-up only", tasks)
		}
		e, ok := chronologyEntry(t, f, ref, "Chase ended: no longer needed")
		if !ok || noteOf(e) != "Referral withdrawn: the family moved out of the area" {
			t.Errorf("the chronology's entry = %+v (found %v), want the note", e, ok)
		}
	})

	t.Run("only a follow-up is marked done in one click", func(t *testing.T) {
		ref, chase, followUp := referralWithChase(t, f)
		if err := f.svc.CompleteTask(ctx, f.dsl, chase); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("marking the chase done: %v, want not found", err)
		}
		if err := f.svc.CompleteTask(ctx, f.dsl, followUp); err != nil {
			t.Fatalf("marking the follow-up done: %v", err)
		}
		if tasks := openTasks(t, f, ref); len(tasks) != 1 || tasks[0].ID != chase {
			t.Errorf("open tasks = %+v, want the chase only", tasks)
		}
		if _, err := f.svc.OpenChase(ctx, f.dsl, followUp); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("opening a follow-up as a chase: %v, want not found", err)
		}
		if _, ok := chronologyEntry(t, f, ref, "Follow-up of the referral marked done"); !ok {
			t.Error("the chronology does not say the follow-up was marked done")
		}
	})

	t.Run("another school's DSL, or staff, find no chase", func(t *testing.T) {
		ref, chase, _ := referralWithChase(t, f)
		other := concernSchool(t, f.db.Owner, "st-bedes")
		theirs := dbtest.MustMember(t, f.db.Owner, other, "dsl@st-bedes.test", "Bea Dee", actor.DSL)
		for _, by := range []actor.Actor{theirs, f.staff} {
			if _, err := f.svc.OpenChase(ctx, by, chase); !errors.Is(err, db.ErrNotFound) {
				t.Errorf("%v opening the chase: %v, want not found", by.Role, err)
			}
			if err := f.svc.EndChase(ctx, by, chase, concern.ChaseForm{Outcome: string(concern.OutcomeNotNeeded), Note: "x"}); !errors.Is(err, db.ErrNotFound) {
				t.Errorf("%v ending the chase: %v, want not found", by.Role, err)
			}
		}
		task, err := f.svc.OpenChase(ctx, f.dsl, chase)
		if err != nil || task.ConcernRef != ref || !strings.Contains(task.Children, "Amara") {
			t.Errorf("the DSL opening the chase: %+v %v", task, err)
		}
	})
}
