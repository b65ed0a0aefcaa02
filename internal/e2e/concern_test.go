package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/apptest"
	"github.com/havenschools/haven/internal/auth"
	"github.com/havenschools/haven/internal/browsertest"
	"github.com/havenschools/haven/internal/concern"
	"github.com/havenschools/haven/internal/pupil"
	"github.com/havenschools/haven/internal/school"
	"github.com/havenschools/haven/internal/when"
)

const staffPassword = "tidy otter lamp forty-two"

// reportingSchool is Haven with a school, its roll, a DSL and a member of
// staff who can sign in with a password.
type reportingSchool struct {
	*apptest.App
	school           int64
	amara, ben, cara pupil.Child
	dsl              actor.Actor
}

func newReportingSchool(t *testing.T) *reportingSchool {
	t.Helper()
	a := apptest.New(t)
	ctx := context.Background()
	sc, err := school.NewService(a.DB.App).Create(ctx, actor.Actor{Role: actor.System}, "brookfield", "Brookfield Academy")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.DB.Owner.Exec(ctx, `UPDATE school_settings SET
		dsl_contacts = '[{"name": "Dee Ess", "phone": "01632 960001"}]', front_door_name = 'Brookfield MASH',
		front_door_phone = '01632 960100', out_of_hours_name = 'Emergency Duty Team', out_of_hours_phone = '01632 960200'
		WHERE school_id = $1`, sc.ID); err != nil {
		t.Fatal(err)
	}
	s := &reportingSchool{App: a, school: sc.ID}
	authSvc := auth.NewService(a.DB.App, a.Jobs, auth.Config{BaseURL: a.URL})
	sys := actor.SystemIn(sc.ID)
	for _, p := range []struct {
		email string
		role  actor.Role
	}{{"sam@brookfield.test", actor.Staff}, {"dsl@brookfield.test", actor.DSL}} {
		id, err := authSvc.CreateUser(ctx, sys, auth.NewUser{Email: p.email, Name: "Pat " + string(p.role), Role: p.role})
		if err != nil {
			t.Fatal(err)
		}
		if err := authSvc.SetPassword(ctx, sys, id, staffPassword); err != nil {
			t.Fatal(err)
		}
		if p.role == actor.DSL {
			s.dsl = actor.Actor{UserID: id, SchoolID: sc.ID, Role: actor.DSL}
		}
	}
	y9, y10 := pupil.YearGroup(9), pupil.YearGroup(10)
	kids, err := pupil.NewService(a.DB.App).AddToRoll(ctx, sys, []pupil.NewChild{
		{FirstName: "Amara", LastName: "Okafor", YearGroup: &y9},
		{FirstName: "Ben", LastName: "Carter", YearGroup: &y10},
		{FirstName: "Cara", LastName: "Doyle", YearGroup: &y9},
	})
	if err != nil {
		t.Fatal(err)
	}
	s.amara, s.ben, s.cara = kids[0], kids[1], kids[2]
	return s
}

// signInAsStaff signs the member of staff in, the way a person does.
func signInAsStaff(tab *browsertest.Tab) {
	tab.Go("/sign-in")
	tab.Fill("Email address", "sam@brookfield.test")
	tab.Fill("Password", staffPassword)
	tab.Click("Sign in")
}

// fillDate types a date into the three boxes of question.
func fillDate(tab *browsertest.Tab, question string, d time.Time) {
	tab.FillIn(question, "Day", fmt.Sprint(d.Day()))
	tab.FillIn(question, "Month", fmt.Sprint(int(d.Month())))
	tab.FillIn(question, "Year", fmt.Sprint(d.Year()))
}

// findAndAddChild finds a child on the roll by name and adds them.
func findAndAddChild(tab *browsertest.Tab, label, query, name string) {
	tab.Fill(label, query)
	tab.Click("Find child")
	tab.Choose("Choose the child", name)
	tab.Click("Add this child")
}

// expectNoConsoleErrorsBesides422 is ExpectNoConsoleErrors for a journey
// that passed through the form's 422 page: the browser logs that status as
// a failed load, and it is what the journey meant to see.
func expectNoConsoleErrorsBesides422(t *testing.T, tab *browsertest.Tab) {
	t.Helper()
	for _, e := range tab.ConsoleErrors() {
		if e.Source == "network" && strings.Contains(e.Text, "status of 422") && strings.Contains(e.URL, "/concerns") {
			continue
		}
		t.Errorf("the browser reported %s", e)
	}
}

var refPattern = regexp.MustCompile(`C-\d{4}-\d{6}`)

// A member of staff reports a CSE concern about a child on the roll, with
// indicators and an attachment, at phone and desktop sizes: first with an
// empty account and a date in the future (the errors, with what was typed
// kept), then put right.
func TestStaffReportsAConcern(t *testing.T) {
	s := newReportingSchool(t)
	pdf := filepath.Join(t.TempDir(), "note from Amara.pdf")
	if err := os.WriteFile(pdf, []byte("%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, vp := range viewports {
		t.Run(vp.Name, func(t *testing.T) {
			tab := browsertest.NewTab(t, s.URL)
			tab.SetViewport(vp)
			signInAsStaff(tab)
			if vp.Mobile {
				tab.Click("Menu")
			}
			tab.Click("Report a concern")
			if got := tab.Heading(); got != "Report a concern" {
				t.Fatalf("heading = %q", got)
			}
			tab.ExpectNoAxeViolations()

			tab.Choose("Is the child in immediate danger?", "No")
			if vp.Mobile {
				findAndAddChild(tab, "Child", "okafor", "Amara Okafor")
			} else {
				// The type-ahead: suggestions as you type, chosen with the keyboard.
				tab.Fill("Child", "okaf")
				tab.WaitUntil(`document.querySelectorAll('#child-suggestions [role=option]').length === 1`)
				tab.Press(kb.ArrowDown)
				tab.Press(kb.Enter) // chooses, and the children's section is drawn again in place
				tab.WaitUntil(`document.querySelector('#child-0 h3') !== null`)
			}
			if !strings.Contains(tab.Text(), "Amara Okafor") {
				t.Fatal("the child was not added")
			}
			fillDate(tab, "When did it happen?", when.Today(time.Now()).AddDate(0, 0, 2))
			tab.Fill("Where did it happen?", "Bus stop outside school")
			tab.Choose("Have you told a DSL in person?", "Not yet")
			tab.Click("Submit concern")

			if tab.Status() != 422 || !strings.HasPrefix(tab.Title(), "Error: ") {
				t.Errorf("status %d, title %q: want 422 and an error title", tab.Status(), tab.Title())
			}
			text := tab.Text()
			for _, want := range []string{"There is a problem", "Enter what happened", "The date it happened must be today or in the past"} {
				if !strings.Contains(text, want) {
					t.Errorf("the error page lacks %q", want)
				}
			}
			if v := browsertest.Eval[string](tab, `document.getElementById('location').value`); v != "Bus stop outside school" {
				t.Errorf("Where did it happen? now holds %q", v)
			}
			tab.ExpectNoAxeViolations()

			tab.Fill("What happened?", "Amara said an older man waits for her after school in a silver car and gives her money.")
			fillDate(tab, "When did it happen?", when.Today(time.Now()).AddDate(0, 0, -1))
			tab.Choose("What kind of concern is it? (optional)", "Child sexual exploitation")
			tab.Choose("Relationships and whereabouts", "In a relationship with someone much older")
			tab.Choose("Behaviour and wellbeing", "Money, gifts or a phone they cannot explain")
			tab.Do(chromedp.SetUploadFiles(chromedp.ID("attachments"), []string{pdf}))
			tab.Click("Submit concern")

			if got := tab.Heading(); got != "Concern submitted" {
				t.Fatalf("heading = %q\n%s", got, tab.Text())
			}
			ref := refPattern.FindString(tab.Text())
			if ref == "" {
				t.Fatal("no reference on the receipt")
			}
			tab.ExpectNoAxeViolations()
			expectNoConsoleErrorsBesides422(t, tab)

			if vp.Mobile {
				tab.Click("Menu")
			}
			tab.Click("My concerns")
			if !strings.Contains(tab.Text(), ref) {
				t.Errorf("My concerns does not list %s", ref)
			}
			tab.Click(ref)
			text = tab.Text()
			for _, want := range []string{"In a relationship with someone much older", "note from Amara.pdf", "Child sexual exploitation"} {
				if !strings.Contains(text, want) {
					t.Errorf("the concern page lacks %q", want)
				}
			}
			tab.ExpectNoAxeViolations()
		})
	}
}

// Without JavaScript, the whole journey still works: immediate danger shows
// the steps first, a child not known is described, a second child is found
// and given a role, and each child's file shows only their own part.
func TestReportWithoutJavaScript(t *testing.T) {
	s := newReportingSchool(t)
	tab := browsertest.NewTab(t, s.URL)
	tab.SetViewport(browsertest.Phone)
	tab.DisableJavaScript()
	signInAsStaff(tab)
	tab.Go("/concerns/new")

	tab.Choose("Is the child in immediate danger?", "Yes")
	tab.Choose("", "Child not known")
	tab.Fill("Describe the child", "Girl of about 14 in a Northfield School blazer")
	tab.Fill("Child", "carter")
	tab.Click("Find child")
	text := tab.Text()
	steps, heading := strings.Index(text, "The child is in immediate danger"), strings.Index(text, "Tell the Designated Safeguarding Lead")
	if steps < 0 || steps > heading || !strings.Contains(text, "Dee Ess: 01632 960001") {
		t.Errorf("the emergency steps are not first:\n%s", text)
	}
	// axe-core cannot run with scripts off; the same markup is checked with
	// them on in the other journeys.
	tab.Choose("Choose the child", "Ben Carter")
	tab.Click("Add this child")
	tab.Choose("How is Ben Carter involved?", "Alleged to have caused harm")
	tab.Fill("What happened?", "Ben pushed her into a car outside the gates. She was crying.")
	fillDate(tab, "When did it happen?", when.Today(time.Now()))
	tab.Choose("Have you told a DSL in person?", "Yes")
	tab.Fill("If yes, which DSL did you tell?", "Dee Ess")
	tab.Choose("What kind of concern is it? (optional)", "Child sexual exploitation")
	tab.Choose("Relationships and whereabouts", "Getting into cars with adults who are not known to the family")
	tab.Click("Submit concern")

	if got := tab.Heading(); got != "Concern submitted" {
		t.Fatalf("heading = %q\n%s", got, tab.Text())
	}
	receipt := tab.Text()
	if !strings.Contains(receipt, "The child is in immediate danger") || !strings.Contains(receipt, "Call 999") {
		t.Errorf("the receipt does not repeat the steps:\n%s", receipt)
	}
	ref := refPattern.FindString(receipt)

	svc := concern.NewService(s.DB.App, s.Jobs, s.URL)
	ben, err := svc.ForChild(context.Background(), s.dsl, s.ben.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ben) != 1 || ben[0].Ref != ref || ben[0].Role != concern.AllegedHarmer || len(ben[0].Indicators) != 0 {
		t.Errorf("Ben's file = %+v: his role only, and not the other child's indicators", ben)
	}
	var unknown int
	if err := s.DB.Owner.QueryRow(context.Background(), `SELECT count(*) FROM concern_indicators i
		JOIN concern_children cc ON cc.id = i.concern_child_id
		WHERE cc.child_id IS NULL AND cc.description LIKE 'Girl of about 14%' AND cc.role = 'subject'`).Scan(&unknown); err != nil {
		t.Fatal(err)
	}
	if unknown != 1 {
		t.Errorf("indicators recorded for the child not known = %d, want 1", unknown)
	}
}

// "Yes" to immediate danger shows the steps at once (with JavaScript, under
// the question), hides "Save draft", and the receipt repeats the steps; a
// child who is not known is described.
func TestImmediateDangerShowsTheStepsFirst(t *testing.T) {
	s := newReportingSchool(t)
	tab := browsertest.NewTab(t, s.URL)
	tab.SetViewport(browsertest.Phone)
	signInAsStaff(tab)
	tab.Go("/concerns/new")
	if !browsertest.Eval[bool](tab, `document.getElementById('danger-steps').hidden`) {
		t.Error("the emergency steps show before anyone said the child is in danger")
	}
	tab.Choose("Is the child in immediate danger?", "Yes")
	tab.WaitUntil(`!document.getElementById('danger-steps').hidden`)
	if browsertest.Eval[bool](tab, `!document.querySelector('[data-save-draft]').hidden`) {
		t.Error("Save draft is offered for a child in immediate danger")
	}
	text := tab.Text()
	if i, j := strings.Index(text, "Tell a DSL in person now"), strings.Index(text, "What happened?"); i < 0 || i > j {
		t.Errorf("the steps do not come straight after the question:\n%s", text)
	}
	tab.ExpectNoAxeViolations()

	tab.Choose("", "Child not known")
	tab.Fill("Describe the child", "Boy of about 10, red coat, with two older teenagers")
	tab.Fill("What happened?", "He was being pulled into a car by the park gate.")
	fillDate(tab, "When did it happen?", when.Today(time.Now()))
	tab.Choose("Have you told a DSL in person?", "Yes")
	tab.Fill("If yes, which DSL did you tell?", "Dee Ess")
	tab.Click("Submit concern")
	if got := tab.Heading(); got != "Concern submitted" {
		t.Fatalf("heading = %q\n%s", got, tab.Text())
	}
	receipt := tab.Text()
	for _, want := range []string{"The child is in immediate danger", "Tell a DSL in person now", "Call 999", "Brookfield MASH: 01632 960100"} {
		if !strings.Contains(receipt, want) {
			t.Errorf("the receipt lacks %q", want)
		}
	}
	tab.ExpectNoAxeViolations()
	tab.ExpectNoConsoleErrors()
}
