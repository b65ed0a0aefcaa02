package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/browsertest"
	"github.com/havenschools/haven/internal/concern"
	"github.com/havenschools/haven/internal/when"
)

// An overdue referral chase on My tasks is not marked done in one click:
// the DSL closes it on its own page, saying what happened — "No longer
// needed" without a note comes back with its message, "Chased again" leaves
// a new chase, "Feedback received" records the agency's feedback — and the
// child's chronology says each (issue 15, item 5). At phone and desktop
// sizes, with no accessibility violations.
func TestDSLClosesAReferralChaseSayingWhatHappened(t *testing.T) {
	s := newReportingSchool(t)
	key := s.dslKey(t)
	svc := concern.NewService(s.DB.App, s.Jobs, s.URL)
	ctx := context.Background()
	staff := actor.Actor{SchoolID: s.school, Role: actor.Staff}
	if err := s.DB.Owner.QueryRow(ctx, `SELECT id FROM users WHERE email = 'sam@brookfield.test'`).Scan(&staff.UserID); err != nil {
		t.Fatal(err)
	}
	for i, vp := range viewports {
		t.Run(vp.Name, func(t *testing.T) {
			// A referral made a week ago with no feedback: its chase is overdue.
			r, err := svc.Submit(ctx, staff, concern.Form{SubmissionID: concern.NewSubmissionID(), InDanger: "no",
				Children: []concern.FormChild{{ChildID: s.amara.ID, Role: concern.Subject}},
				Account:  "Seen getting into a car with an adult the family do not know.", Happened: when.DatePartsOf(time.Now().AddDate(0, 0, -8)),
				Seen: when.DatePartsOf(time.Now().AddDate(0, 0, -8)), ToldDSL: "not_yet"})
			if err != nil {
				t.Fatal(err)
			}
			ref := r.Ref
			if err := svc.Acknowledge(ctx, s.dsl, ref, 1); err != nil {
				t.Fatal(err)
			}
			if err := svc.RecordAction(ctx, s.dsl, ref, concern.ActionForm{Kind: string(concern.ActionReferral),
				On: when.DatePartsOf(time.Now().AddDate(0, 0, -7)), Note: "Referred to the front door by phone"}); err != nil {
				t.Fatal(err)
			}

			tab := browsertest.NewTab(t, s.URL)
			tab.SetViewport(vp)
			signInWith(tab, "dsl@brookfield.test", staffPassword)
			tab.Fill("Security code", codeAt(t, key, time.Duration(i)*30*time.Second))
			tab.Click("Continue")
			tab.Go("/tasks")
			expectHeading(t, tab, "My tasks")
			if text := tab.Text(); !strings.Contains(text, "Chase the referral: no feedback yet") || !strings.Contains(text, "Overdue") {
				t.Fatalf("My tasks does not show the overdue chase:\n%s", text)
			}
			checked(t, tab)

			tab.Click("Close the chase: " + ref)
			expectHeading(t, tab, "Close the chase")
			if !strings.Contains(tab.Text(), ref) || !strings.Contains(tab.Text(), "Overdue") {
				t.Errorf("the chase page does not say which chase:\n%s", tab.Text())
			}
			checked(t, tab)
			tab.Choose("What happened?", "No longer needed")
			tab.Click("Close the chase")
			if tab.Status() != 422 || !strings.Contains(tab.Text(), "There is a problem") ||
				!strings.Contains(tab.Text(), "why the chase is no longer needed") || !tab.Checked("What happened?", "No longer needed") {
				t.Fatalf("no longer needed without a note: %d\n%s", tab.Status(), tab.Text())
			}
			checked(t, tab)

			tab.Choose("What happened?", "Chased again")
			tab.Fill("Note", "Left a message with the duty social worker")
			tab.Click("Close the chase")
			expectHeading(t, tab, "My tasks")
			if text := tab.Text(); !strings.Contains(text, "A new chase is on your tasks") || !strings.Contains(text, "Close the chase") {
				t.Fatalf("after chasing again, no new chase:\n%s", text)
			}
			checked(t, tab)

			tab.Click("Close the chase: " + ref)
			expectHeading(t, tab, "Close the chase")
			tab.Choose("What happened?", "Feedback received")
			tab.Fill("Note", "Social worker allocated; strategy discussion on Thursday")
			tab.Click("Close the chase")
			expectHeading(t, tab, "My tasks")
			if text := tab.Text(); !strings.Contains(text, "The referral's feedback has been recorded") || strings.Contains(text, "Close the chase: "+ref) {
				t.Errorf("after the feedback:\n%s", text)
			}
			checked(t, tab)

			tab.Go("/children/" + i64(s.amara.ID) + "/chronology")
			expectHeading(t, tab, "Chronology")
			text := tab.Text()
			for _, want := range []string{"Referral chased again", "Left a message with the duty social worker",
				"Chase ended: the agency's feedback was recorded", "Social worker allocated; strategy discussion on Thursday"} {
				if !strings.Contains(text, want) {
					t.Errorf("the chronology lacks %q", want)
				}
			}
			checked(t, tab)
		})
	}
}
