package concern_test

import (
	"testing"
	"time"

	"github.com/havenschools/haven/internal/concern"
	"github.com/havenschools/haven/internal/when"
)

// A follow-up task set on a referral survives the concern being closed and
// reopened and the referral's feedback arriving (issue 15, item 3): a task
// ends only when someone marks it done or the thing it waits for arrives,
// and the chronology says which.
func TestAFollowUpSurvivesCloseReopenAndFeedback(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	ref := submit(t, f, f.staff, validForm(f.amara.ID))
	if err := f.svc.Acknowledge(ctx, f.dsl, ref, 1); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.RecordDecision(ctx, f.dsl, ref, withVersion(goodDecision, 2)); err != nil {
		t.Fatal(err)
	}
	followUp := when.Today(time.Now()).AddDate(0, 0, 2)
	if err := f.svc.RecordAction(ctx, f.dsl, ref, concern.ActionForm{Kind: string(concern.ActionReferral), On: today(),
		Note: "Referred to children's social care", FollowUp: when.DatePartsOf(followUp)}); err != nil {
		t.Fatal(err)
	}
	kinds := func(step string) map[concern.TaskKind]bool {
		t.Helper()
		tasks, err := f.svc.MyTasks(ctx, f.dsl)
		if err != nil {
			t.Fatal(err)
		}
		got := map[concern.TaskKind]bool{}
		for _, task := range tasks {
			got[task.Kind] = true
			if task.Kind == concern.TaskFollowUp && !task.DueOn.Equal(followUp) {
				t.Errorf("%s: the follow-up is due %s, want %s", step, task.DueOn, followUp)
			}
		}
		return got
	}
	if k := kinds("after the referral"); !k[concern.TaskFollowUp] || !k[concern.TaskChase] {
		t.Fatalf("after the referral: %v, want the follow-up and the chase", k)
	}
	if err := f.svc.Close(ctx, f.dsl, ref, concern.CloseForm{Version: 3, Summary: "Social care leading"}); err != nil {
		t.Fatal(err)
	}
	if k := kinds("after closing"); !k[concern.TaskFollowUp] || !k[concern.TaskChase] {
		t.Errorf("after closing: %v, want the follow-up and the chase still open", k)
	}
	if err := f.svc.Reopen(ctx, f.dsl, ref, concern.ReasonForm{Version: 4, Reason: "Social care passed it back"}); err != nil {
		t.Fatal(err)
	}
	if k := kinds("after reopening"); !k[concern.TaskFollowUp] || !k[concern.TaskChase] {
		t.Errorf("after reopening: %v, want the follow-up and the chase", k)
	}
	c := mustCase(t, f, f.dsl, ref)
	if err := f.svc.RecordFeedback(ctx, f.dsl, ref, c.Actions[0].ID, "Assessment under way"); err != nil {
		t.Fatal(err)
	}
	if k := kinds("after the feedback"); !k[concern.TaskFollowUp] || k[concern.TaskChase] {
		t.Errorf("after the feedback: %v, want the follow-up only (the chase waited for the feedback)", k)
	}

	ch, err := f.svc.Chronology(ctx, f.dsl, f.amara.ID, concern.ChronologyFilter{}, false)
	if err != nil {
		t.Fatal(err)
	}
	var ended []string
	for _, e := range ch.Entries {
		if e.Kind == concern.EntryAction && e.Title != "Action: Referral" {
			ended = append(ended, e.Title)
		}
	}
	want := []string{"Feedback on the referral of " + when.Day(mustDate(t, today())), "Chase ended: the agency's feedback was recorded"}
	if len(ended) != len(want) || ended[0] != want[0] || ended[1] != want[1] {
		t.Errorf("the chronology's task and feedback entries = %q, want %q", ended, want)
	}
}
