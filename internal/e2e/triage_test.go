package e2e

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/auth"
	"github.com/havenschools/haven/internal/browsertest"
	"github.com/havenschools/haven/internal/concern"
	"github.com/havenschools/haven/internal/when"
)

// dslKey gives the school's DSL an authenticator app and returns its key.
func (s *reportingSchool) dslKey(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	a := auth.NewService(s.DB.App, s.Jobs, auth.Config{BaseURL: s.URL})
	en, err := a.StartEnrolment(ctx, s.dsl.UserID)
	if err != nil {
		t.Fatal(err)
	}
	key := strings.ReplaceAll(en.Secret, " ", "")
	code, err := totp.GenerateCode(key, time.Now().Add(-30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.ConfirmEnrolment(ctx, actor.Source{ClientIP: "192.0.2.1"}, s.dsl.UserID, code); err != nil {
		t.Fatal(err)
	}
	return key
}

// reportQuickly reports a concern about Amara as the member of staff and
// returns its reference.
func reportQuickly(t *testing.T, s *reportingSchool, vp browsertest.Viewport) string {
	t.Helper()
	tab := browsertest.NewTab(t, s.URL)
	tab.SetViewport(vp)
	signInAsStaff(tab)
	tab.Go("/concerns/new")
	tab.Choose("Is the child in immediate danger?", "No")
	findAndAddChild(tab, "Child", "okafor", "Amara Okafor")
	tab.Fill("What happened?", "Amara said an older man waits for her after school in a silver car and gives her money.")
	fillDate(tab, "When did it happen?", when.Today(time.Now()).AddDate(0, 0, -1))
	tab.Fill("Where did it happen?", "Bus stop outside school")
	tab.Choose("Have you told a DSL in person?", "Not yet")
	tab.Choose("What kind of concern is it? (optional)", "Child sexual exploitation")
	tab.Choose("Relationships and whereabouts", "In a relationship with someone much older")
	tab.Click("Submit concern")
	expectHeading(t, tab, "Concern submitted")
	ref := refPattern.FindString(tab.Text())
	if ref == "" {
		t.Fatal("no reference on the receipt")
	}
	return ref
}

// A member of staff reports a concern; the DSL finds it on the
// Safeguarding queue, acknowledges it, records a decision and an action,
// closes it, and reads the child's chronology — at phone and desktop
// sizes, with no accessibility violations on any page.
func TestDSLJourneyFromQueueToChronology(t *testing.T) {
	s := newReportingSchool(t)
	key := s.dslKey(t)
	for i, vp := range viewports {
		t.Run(vp.Name, func(t *testing.T) {
			ref := reportQuickly(t, s, vp)

			tab := browsertest.NewTab(t, s.URL)
			tab.SetViewport(vp)
			signInWith(tab, "dsl@brookfield.test", staffPassword)
			// Each sign-in needs a code not used before: the next time step's for the second.
			tab.Fill("Security code", codeAt(t, key, time.Duration(i)*30*time.Second))
			tab.Click("Continue")
			if vp.Mobile {
				tab.Click("Menu")
			}
			tab.Click("Safeguarding queue")
			expectHeading(t, tab, "Safeguarding queue")
			if !strings.Contains(tab.Text(), ref) {
				t.Fatalf("the queue does not list %s:\n%s", ref, tab.Text())
			}
			checked(t, tab)

			tab.Click(ref + ": Amara Okafor")
			expectHeading(t, tab, ref)
			checked(t, tab)
			tab.Click("Acknowledge")
			if !strings.Contains(tab.Text(), "You have acknowledged "+ref) {
				t.Fatalf("after Acknowledge:\n%s", tab.Text())
			}
			checked(t, tab)

			tab.Click("Record decision")
			expectHeading(t, tab, "Record decision")
			checked(t, tab)
			tab.Click("Record decision")
			if tab.Status() != 422 || !strings.Contains(tab.Text(), "There is a problem") {
				t.Fatalf("an empty decision: %d\n%s", tab.Status(), tab.Text())
			}
			checked(t, tab)
			tab.Choose("What have you decided?", "Refer to children's social care")
			tab.Fill("Reason for the decision", "An older adult giving her money and collecting her from school: CSE indicators.")
			tab.Choose("Were parents or carers told, or their consent sought?", "No")
			tab.Fill("If not, why not?", "Telling her mother could alert the man; social care advised against it.")
			tab.Fill("The child’s wishes and feelings", "She wants it to stop but does not want her mother told.")
			tab.Click("Record decision")
			if !strings.Contains(tab.Text(), "Your decision has been recorded") {
				t.Fatalf("after the decision:\n%s", tab.Text())
			}

			tab.Click("Record action")
			expectHeading(t, tab, "Record action")
			tab.Choose("What was done?", "Referral")
			tab.Fill("Note", "Referred to the front door by phone; strategy discussion tomorrow.")
			tab.Fill("Agency reference (optional)", "MASH-2026-0042")
			checked(t, tab)
			tab.Click("Record action")
			if !strings.Contains(tab.Text(), "The action has been recorded") || !strings.Contains(tab.Text(), "MASH-2026-0042") {
				t.Fatalf("after the action:\n%s", tab.Text())
			}

			tab.Click("Close concern")
			expectHeading(t, tab, "Close concern")
			checked(t, tab)
			tab.Fill("Outcome summary", "Social care leading under a child protection plan; school monitoring daily.")
			tab.Click("Close concern")
			if !strings.Contains(tab.Text(), "The concern has been closed") || !strings.Contains(tab.Text(), "Reopen concern") {
				t.Fatalf("after closing:\n%s", tab.Text())
			}
			checked(t, tab)

			tab.Click("Amara Okafor")
			expectHeading(t, tab, "Amara Okafor")
			if !strings.Contains(tab.Text(), "No flag does not mean no concern") {
				t.Error("the child's page does not say that no flag does not mean no concern")
			}
			checked(t, tab)
			tab.Click("Chronology")
			expectHeading(t, tab, "Chronology")
			text := tab.Text()
			for _, want := range []string{"Concern " + ref + " recorded", "Acknowledged", "Decision: Refer to children's social care",
				"Action: Referral", "Closed", "Social care leading"} {
				if !strings.Contains(text, want) {
					t.Errorf("the chronology lacks %q", want)
				}
			}
			if strings.Index(text, "Concern "+ref+" recorded") > strings.Index(text, "Decision: Refer") {
				t.Error("the chronology is not in date order")
			}
			checked(t, tab)

			tab.Click("Printable version")
			expectHeading(t, tab, "Chronology")
			tab.Do(chromedp.Func(func(ctx context.Context, target *chromedp.Target) error {
				_, err := cdp.Call(ctx, target, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
				return err
			}))
			if shown := browsertest.Eval[string](tab, `getComputedStyle(document.querySelector('header')).display`); shown != "none" {
				t.Errorf("printed, the header shows (display %q)", shown)
			}
			checked(t, tab)
		})
	}
}

// The DSL's other pages — the queue filtered, a conflict, who can see a
// concern, entered in error, a flagged child, My tasks and the dashboard —
// have no accessibility violations at either size, and the queue works
// without JavaScript.
func TestDSLPagesAreAccessible(t *testing.T) {
	s := newReportingSchool(t)
	key := s.dslKey(t)
	svc := concern.NewService(s.DB.App, s.Jobs, s.URL)
	ctx := context.Background()
	staff := actor.Actor{SchoolID: s.school, Role: actor.Staff}
	if err := s.DB.Owner.QueryRow(ctx, `SELECT id FROM users WHERE email = 'sam@brookfield.test'`).Scan(&staff.UserID); err != nil {
		t.Fatal(err)
	}
	var refs []string
	for i := range 3 {
		f := concern.Form{SubmissionID: concern.NewSubmissionID(), InDanger: "no",
			Children: []concern.FormChild{{ChildID: s.amara.ID, Role: concern.Subject}},
			Account:  "Seen getting into a car with an adult the family do not know.", Happened: when.DatePartsOf(time.Now().AddDate(0, 0, -i-1)),
			Seen: when.DatePartsOf(time.Now()), ToldDSL: "not_yet", Categories: []string{"cse"}, Indicators: []string{"cars_unknown_adults"}}
		if i == 2 {
			f.InDanger = "yes"
		}
		r, err := svc.Submit(ctx, staff, f)
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, r.Ref)
	}
	if err := svc.Acknowledge(ctx, s.dsl, refs[0], 1); err != nil {
		t.Fatal(err)
	}
	if err := svc.RecordAction(ctx, s.dsl, refs[0], concern.ActionForm{Kind: string(concern.ActionMonitoring),
		On: when.DatePartsOf(time.Now()), Note: "Tutor checks in daily", FollowUp: when.DatePartsOf(time.Now().AddDate(0, 0, 7))}); err != nil {
		t.Fatal(err)
	}

	for i, vp := range viewports {
		t.Run(vp.Name, func(t *testing.T) {
			tab := browsertest.NewTab(t, s.URL)
			tab.SetViewport(vp)
			signInWith(tab, "dsl@brookfield.test", staffPassword)
			tab.Fill("Security code", codeAt(t, key, time.Duration(i)*30*time.Second))
			tab.Click("Continue")

			tab.Go("/queue?category=cse&urgency=none")
			expectHeading(t, tab, "Safeguarding queue")
			text := tab.Text()
			if !strings.Contains(text, "Immediate danger") || !strings.Contains(text, "Flag: 3 concerns in the last 90 days") {
				t.Errorf("the queue:\n%s", text)
			}
			if strings.Index(text, refs[2]) > strings.Index(text, refs[1]) {
				t.Error("the concern about a child in immediate danger is not first")
			}
			checked(t, tab)

			tab.Go("/concerns/" + refs[1])
			tab.Go("/concerns/" + refs[1] + "/access")
			expectHeading(t, tab, "Who can see this concern")
			checked(t, tab)
			tab.Go("/concerns/" + refs[1] + "/entered-in-error")
			expectHeading(t, tab, "Entered in error")
			checked(t, tab)

			// A stale page: someone acknowledges the concern after this page was opened.
			tab.Go("/concerns/" + refs[1])
			if err := svc.Acknowledge(ctx, s.dsl, refs[1], 1); err != nil && i == 0 {
				t.Fatal(err)
			}
			if i == 0 {
				tab.Click("Acknowledge")
				if tab.Status() != 409 {
					t.Errorf("a stale acknowledgement: %d", tab.Status())
				}
				expectHeading(t, tab, "This concern has changed")
				checkedBesides409(t, tab)
			}

			tab.Go("/children/" + i64(s.amara.ID))
			expectHeading(t, tab, "Amara Okafor")
			if !strings.Contains(tab.Text(), "Acknowledge flag") {
				t.Errorf("the child is not flagged:\n%s", tab.Text())
			}
			checked(t, tab)
			// The DSL records a child protection plan and the social worker;
			// too long an entry comes back with its message and the boxes ticked.
			tab.Go("/children/" + i64(s.amara.ID) + "/details")
			expectHeading(t, tab, "Change details")
			checked(t, tab)
			tab.Choose("Flags", "Child protection plan")
			tab.Fill("Social worker", strings.Repeat("x", 501))
			tab.Click("Save details")
			if tab.Status() != 422 || !strings.Contains(tab.Text(), "There is a problem") ||
				!strings.Contains(tab.Text(), "Social worker must be 500 characters or fewer") || !tab.Checked("Flags", "Child protection plan") {
				t.Errorf("too long a social worker: %d\n%s", tab.Status(), tab.Text())
			}
			checkedBesides409(t, tab)
			tab.Fill("Social worker", "Jo Smith, Brookfield children's services")
			tab.Click("Save details")
			expectHeading(t, tab, "Amara Okafor")
			if text := tab.Text(); !strings.Contains(text, "Jo Smith, Brookfield children's services") || !strings.Contains(text, "Child protection plan") {
				t.Errorf("the child's page after changing details:\n%s", text)
			}
			checked(t, tab)
			tab.Go("/tasks")
			expectHeading(t, tab, "My tasks")
			if !strings.Contains(tab.Text(), "Follow up: Monitoring") {
				t.Errorf("My tasks:\n%s", tab.Text())
			}
			checked(t, tab)
			tab.Go("/dashboard")
			expectHeading(t, tab, "Dashboard")
			checked(t, tab)

			if vp.Mobile {
				return
			}
			// Without JavaScript the queue's filters still work, and it
			// offers a link to check for new concerns.
			tab.DisableJavaScript()
			tab.Go("/queue")
			tab.Select("Urgency", "Not set") // the filters are beside the table at a desk
			tab.Click("Apply filters")
			if !strings.Contains(tab.Path(), "urgency=none") || !strings.Contains(tab.Text(), refs[2]) {
				t.Errorf("filtering without JavaScript: %s\n%s", tab.Path(), tab.Text())
			}
			if !strings.Contains(tab.Text(), "Check for new concerns") {
				t.Error("without JavaScript the queue offers no way to check for new concerns")
			}
		})
	}
}

// checkedBesides409 is checked for the conflict page, whose status the
// browser logs as a failed load.
func checkedBesides409(t *testing.T, tab *browsertest.Tab) {
	t.Helper()
	tab.ExpectNoAxeViolations()
	for _, e := range tab.ConsoleErrors() {
		if e.Source == "network" && (strings.Contains(e.Text, "status of 409") || strings.Contains(e.Text, "status of 422")) {
			continue
		}
		t.Errorf("on %s the browser reported %s", tab.Path(), e)
	}
}

func i64(n int64) string { return strconv.FormatInt(n, 10) }
