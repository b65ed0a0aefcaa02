package e2e

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/allegation"
	"github.com/havenschools/haven/internal/apptest"
	"github.com/havenschools/haven/internal/auth"
	"github.com/havenschools/haven/internal/browsertest"
	"github.com/havenschools/haven/internal/pupil"
	"github.com/havenschools/haven/internal/school"
	"github.com/havenschools/haven/internal/when"
)

// adultsSchool is Haven with a school for the journeys of concerns about
// adults: a member of staff who reports, a colleague, the head, a member of
// staff named chair of governors, two DSLs, and a child on the roll. People
// who need a second factor have one; each sign-in uses the next code.
type adultsSchool struct {
	*apptest.App
	auth   *auth.Service
	school int64
	ben    pupil.Child
	ids    map[string]int64
	keys   map[string]string
	codes  map[string]int
}

func newAdultsSchool(t *testing.T) *adultsSchool {
	t.Helper()
	a := apptest.New(t)
	ctx := context.Background()
	sc, err := school.NewService(a.DB.App).Create(ctx, actor.Actor{Role: actor.System}, "brookfield", "Brookfield Academy")
	if err != nil {
		t.Fatal(err)
	}
	s := &adultsSchool{App: a, auth: auth.NewService(a.DB.App, a.Jobs, auth.Config{BaseURL: a.URL}), school: sc.ID,
		ids: map[string]int64{}, keys: map[string]string{}, codes: map[string]int{}}
	sys := actor.SystemIn(sc.ID)
	for _, p := range []struct {
		email, name string
		role        actor.Role
	}{
		{"sam@brookfield.test", "Sam Reporter", actor.Staff},
		{"colin@brookfield.test", "Colin Colleague", actor.Staff},
		{"hazel@brookfield.test", "Hazel Head", actor.Head},
		{"gwen@brookfield.test", "Gwen Governor", actor.Staff},
		{"dee@brookfield.test", "Dee Ess", actor.DSL},
		{"dan@brookfield.test", "Dan Other", actor.DSL},
	} {
		id, err := s.auth.CreateUser(ctx, sys, auth.NewUser{Email: p.email, Name: p.name, Role: p.role})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.auth.SetPassword(ctx, sys, id, journeyPassword); err != nil {
			t.Fatal(err)
		}
		s.ids[p.email] = id
	}
	if _, err := a.DB.Owner.Exec(ctx, `UPDATE school_settings SET chair_of_governors = $2 WHERE school_id = $1`, sc.ID, s.ids["gwen@brookfield.test"]); err != nil {
		t.Fatal(err)
	}
	for _, email := range []string{"hazel@brookfield.test", "gwen@brookfield.test", "dee@brookfield.test", "dan@brookfield.test"} {
		en, err := s.auth.StartEnrolment(ctx, s.ids[email])
		if err != nil {
			t.Fatal(err)
		}
		key := strings.ReplaceAll(en.Secret, " ", "")
		if _, err := s.auth.ConfirmEnrolment(ctx, actor.Source{ClientIP: "192.0.2.1"}, s.ids[email], codeAt(t, key, -30*time.Second)); err != nil {
			t.Fatal(err)
		}
		s.keys[email] = key
	}
	y := pupil.YearGroup(6)
	kids, err := pupil.NewService(a.DB.App).AddToRoll(ctx, sys, []pupil.NewChild{{FirstName: "Ben", LastName: "Carter", YearGroup: &y}})
	if err != nil {
		t.Fatal(err)
	}
	s.ben = kids[0]
	return s
}

// signIn signs email in on a new tab, with the next unused security code
// when they need one (at most two sign-ins per person: a code may be used
// once, and the clock allows one step ahead).
func (s *adultsSchool) signIn(t *testing.T, email string, vp browsertest.Viewport) *browsertest.Tab {
	t.Helper()
	tab := browsertest.NewTab(t, s.URL)
	tab.SetViewport(vp)
	signInWith(tab, email, journeyPassword)
	if key, ok := s.keys[email]; ok {
		if s.codes[email] > 1 {
			t.Fatalf("%s signs in a third time: no unused code left", email)
		}
		tab.Fill("Security code", codeAt(t, key, time.Duration(s.codes[email])*30*time.Second))
		s.codes[email]++
		tab.Click("Continue")
	}
	if tab.Path() != "/" {
		t.Fatalf("%s signed in to %s:\n%s", email, tab.Path(), tab.Text())
	}
	return tab
}

// navigate follows a link of the navigation, opening the menu on a phone.
func navigate(tab *browsertest.Tab, vp browsertest.Viewport, item string) {
	if vp.Mobile {
		tab.Click("Menu")
	}
	tab.Click(item)
}

var allegationRef = regexp.MustCompile(`A-\d{4}-\d{6}`)

// reportAboutAnAdult answers "Yes" to the first question of "Report a
// concern", fills in the short form about name (choosing their account,
// and the child involved when child is not "") and returns the receipt's
// reference and text.
func reportAboutAnAdult(t *testing.T, tab *browsertest.Tab, vp browsertest.Viewport, name, role, what, child string) (string, string) {
	t.Helper()
	navigate(tab, vp, "Report a concern")
	expectHeading(t, tab, "Report a concern")
	checked(t, tab)
	tab.Choose("Is this about an adult who works or volunteers here?", "Yes")
	tab.Click("Continue")
	expectHeading(t, tab, "Report a concern about an adult")
	checked(t, tab)
	tab.Fill("Who is it about?", name)
	tab.Fill("Their job or role here", role)
	tab.Select("Their Haven account (if they have one)", name)
	tab.Fill("What happened?", what)
	fillDate(tab, "When did it happen? (optional)", when.Today(time.Now()))
	tab.Fill("Where did it happen? (optional)", "Year 6 classroom")
	if child != "" {
		tab.Fill("Child's name", strings.Fields(child)[1])
		tab.Click("Find child")
		tab.Choose("Choose the child", child)
	}
	tab.Choose("Might it meet the harm threshold?", "May meet the harm threshold")
	tab.Click("Submit concern")
	expectHeading(t, tab, "Concern about an adult sent")
	checked(t, tab)
	text := tab.Text()
	ref := allegationRef.FindString(text)
	if ref == "" {
		t.Fatalf("no reference on the receipt:\n%s", text)
	}
	return ref, text
}

// A member of staff raises a concern about a colleague (at phone and
// desktop sizes); it reaches the head — with the LADO prompt once a working
// day has passed on the service's clock — and not the DSLs, and the
// colleague it is about cannot find it.
func TestAConcernAboutAColleagueReachesTheHeadNotTheDSLs(t *testing.T) {
	s := newAdultsSchool(t)
	var refs []string
	for _, vp := range viewports {
		t.Run(vp.Name, func(t *testing.T) {
			tab := s.signIn(t, "sam@brookfield.test", vp)
			ref, receipt := reportAboutAnAdult(t, tab, vp, "Colin Colleague", "Teaching assistant",
				"Colin took a photograph of Ben on his own phone and told him to keep it secret.", "Ben Carter")
			if !strings.Contains(receipt, "It has gone to the headteacher") || !strings.Contains(receipt, "does not go to the DSL") {
				t.Errorf("the receipt does not say where it went:\n%s", receipt)
			}
			refs = append(refs, ref)
		})
	}
	if len(refs) != 2 {
		t.FailNow()
	}

	// The next working day, by the service's clock: the head is prompted.
	s.Allegations.SetClock(func() time.Time { return time.Now().AddDate(0, 0, 7) })
	head := s.signIn(t, "hazel@brookfield.test", browsertest.Desktop)
	navigate(head, browsertest.Desktop, "Concerns about adults")
	expectHeading(t, head, "Concerns about adults")
	checked(t, head)
	list := head.Text()
	for _, ref := range refs {
		if !strings.Contains(list, ref) {
			t.Errorf("the head's list lacks %s:\n%s", ref, list)
		}
	}
	if !strings.Contains(list, "The LADO should be consulted within one working day") {
		t.Errorf("no LADO prompt on the list:\n%s", list)
	}
	head.Click(refs[0])
	expectHeading(t, head, refs[0])
	checked(t, head)
	page := head.Text()
	for _, want := range []string{"Colin Colleague", "took a photograph of Ben", "Ben Carter", "Sam Reporter",
		"No consultation is recorded", "Who has seen this"} {
		if !strings.Contains(page, want) {
			t.Errorf("the head's page lacks %q", want)
		}
	}
	head.Click("Acknowledge")
	expectHeading(t, head, refs[0])
	fillDate(head, "When did you consult the LADO?", when.Today(time.Now()))
	head.Fill("The officer's name", "Lee Ado")
	head.Fill("Their advice", "Do not speak to Colin yet; strategy meeting on Thursday.")
	head.Click("Record LADO consultation")
	expectHeading(t, head, refs[0])
	if text := head.Text(); strings.Contains(text, "No consultation is recorded") || !strings.Contains(text, "Lee Ado") {
		t.Errorf("after recording the LADO:\n%s", text)
	}
	checked(t, head)

	t.Run("not the DSLs", func(t *testing.T) {
		dsl := s.signIn(t, "dee@brookfield.test", browsertest.Desktop)
		if text := navText(dsl, browsertest.Desktop); strings.Contains(text, "Concerns about adults") {
			t.Error("the DSL has the nav item")
		}
		dsl.Go("/queue")
		if text := dsl.Text(); strings.Contains(text, "Colin") || strings.Contains(text, refs[0]) {
			t.Errorf("the queue shows it:\n%s", text)
		}
		dsl.Go("/children/" + fmt.Sprint(s.ben.ID) + "/chronology")
		if text := dsl.Text(); strings.Contains(text, refs[0]) || strings.Contains(text, "photograph") {
			t.Errorf("Ben's chronology shows it:\n%s", text)
		}
		for _, path := range []string{"/allegations", "/allegations/" + refs[0]} {
			dsl.Go(path)
			if dsl.Status() != 404 {
				t.Errorf("the DSL gets %s: %d", path, dsl.Status())
			}
		}
		checked404(t, dsl)
	})

	t.Run("not the colleague it is about", func(t *testing.T) {
		colin := s.signIn(t, "colin@brookfield.test", browsertest.Phone)
		for _, path := range []string{"/allegations/" + refs[0], "/allegations/" + refs[1], "/allegations"} {
			colin.Go(path)
			if colin.Status() != 404 || strings.Contains(colin.Text(), "photograph") {
				t.Errorf("the subject gets %s: %d", path, colin.Status())
			}
		}
		checked404(t, colin)
	})
}

// checked404 is checked for a page the journey meant to be a 404: the
// browser logs that status as a failed load.
func checked404(t *testing.T, tab *browsertest.Tab) {
	t.Helper()
	tab.ExpectNoAxeViolations()
	for _, e := range tab.ConsoleErrors() {
		if e.Source == "network" && strings.Contains(e.Text, "status of 404") {
			continue
		}
		t.Errorf("on %s the browser reported %s", tab.Path(), e)
	}
}

// A concern about the head reaches the chair of governors, and the head
// can neither see it listed nor open it.
func TestAConcernAboutTheHeadReachesTheChairNotTheHead(t *testing.T) {
	s := newAdultsSchool(t)
	staff := s.signIn(t, "sam@brookfield.test", browsertest.Desktop)
	ref, receipt := reportAboutAnAdult(t, staff, browsertest.Desktop, "Hazel Head", "Headteacher",
		"The head shouted at a Year 6 pupil and pulled him out of the hall by his arm.", "")
	if !strings.Contains(receipt, "It has gone to the chair of governors, because it is about the headteacher") {
		t.Errorf("receipt:\n%s", receipt)
	}

	chair := s.signIn(t, "gwen@brookfield.test", browsertest.Phone)
	navigate(chair, browsertest.Phone, "Concerns about adults")
	expectHeading(t, chair, "Concerns about adults")
	checked(t, chair)
	if text := chair.Text(); !strings.Contains(text, ref) || !strings.Contains(text, "concerns about the headteacher") {
		t.Errorf("the chair's list:\n%s", text)
	}
	chair.Click(ref)
	expectHeading(t, chair, ref)
	checked(t, chair)
	if text := chair.Text(); !strings.Contains(text, "pulled him out of the hall") {
		t.Errorf("the chair's page:\n%s", text)
	}

	head := s.signIn(t, "hazel@brookfield.test", browsertest.Desktop)
	navigate(head, browsertest.Desktop, "Concerns about adults")
	expectHeading(t, head, "Concerns about adults")
	if text := head.Text(); strings.Contains(text, ref) {
		t.Errorf("the head's list shows the concern about her:\n%s", text)
	}
	head.Go("/allegations/" + ref)
	if head.Status() != 404 || strings.Contains(head.Text(), "pulled him") {
		t.Errorf("the head opens the concern about her: %d", head.Status())
	}
	checked404(t, head)
}

// A DSL records an Operation Encompass notification about Ben, excluding a
// colleague with a conflict of interest: it is on Ben's chronology for
// her, and neither the excluded DSL nor a member of staff can see it.
func TestOperationEncompassIsInvisibleToStaffAndAnExcludedDSL(t *testing.T) {
	s := newAdultsSchool(t)
	dsl := s.signIn(t, "dee@brookfield.test", browsertest.Desktop)
	navigate(dsl, browsertest.Desktop, "Operation Encompass")
	expectHeading(t, dsl, "Operation Encompass")
	checked(t, dsl)
	dsl.Click("Record a police notification")
	expectHeading(t, dsl, "Record a police notification")
	checked(t, dsl)
	dsl.Fill("Child's name", "carter")
	dsl.Click("Find child")
	dsl.Choose("Choose the child", "Ben Carter")
	fillDate(dsl, "When was the incident? (optional)", when.Today(time.Now()).AddDate(0, 0, -1))
	dsl.Fill("Police reference (optional)", "OE/2026/4471")
	dsl.Fill("What did the police tell the school?", "Police attended Ben's home at 23:10 after a domestic incident; Ben was present.")
	dsl.Fill("What support is offered to the child?", "Key adult check-in at registration; time with the ELSA.")
	dsl.Choose("Exclude anyone with a conflict of interest (optional)", "Dan Other")
	dsl.Click("Save notification")
	ref := strings.TrimPrefix(dsl.Path(), "/encompass/")
	if !strings.HasPrefix(ref, "E-") {
		t.Fatalf("after saving: %s\n%s", dsl.Path(), dsl.Text())
	}
	checked(t, dsl)
	chronology := "/children/" + fmt.Sprint(s.ben.ID) + "/chronology"
	dsl.Go(chronology)
	checked(t, dsl)
	if text := dsl.Text(); !strings.Contains(text, "Operation Encompass") || !strings.Contains(text, "Key adult check-in") || !strings.Contains(text, ref) {
		t.Errorf("Ben's chronology lacks the notification:\n%s", text)
	}

	excluded := s.signIn(t, "dan@brookfield.test", browsertest.Phone)
	excluded.Go(chronology)
	checked(t, excluded)
	if text := excluded.Text(); strings.Contains(text, ref) || strings.Contains(text, "Key adult check-in") || strings.Contains(text, "domestic") {
		t.Errorf("the excluded DSL's chronology shows it:\n%s", text)
	}
	excluded.Go("/encompass/" + ref)
	if excluded.Status() != 404 {
		t.Errorf("the excluded DSL opens it: %d", excluded.Status())
	}
	checked404(t, excluded)

	staff := s.signIn(t, "sam@brookfield.test", browsertest.Desktop)
	for _, path := range []string{"/encompass", "/encompass/" + ref, chronology} {
		staff.Go(path)
		if staff.Status() != 403 && staff.Status() != 404 {
			t.Errorf("staff get %s: %d", path, staff.Status())
		}
		if strings.Contains(staff.Text(), "Key adult check-in") {
			t.Errorf("staff see it at %s", path)
		}
	}
}

// Without JavaScript, "Yes" to the first question still leads to the form
// for concerns about adults, a child is found on the roll, and it is sent.
func TestAConcernAboutAnAdultWithoutJavaScript(t *testing.T) {
	s := newAdultsSchool(t)
	tab := browsertest.NewTab(t, s.URL)
	tab.SetViewport(browsertest.Phone)
	tab.DisableJavaScript()
	signInWith(tab, "sam@brookfield.test", journeyPassword)
	tab.Go("/concerns/new")
	tab.Fill("What happened?", "Colin shouted at Ben and pushed him against the wall.")
	tab.Choose("Is this about an adult who works or volunteers here?", "Yes")
	tab.Click("Continue")
	expectHeading(t, tab, "Report a concern about an adult")
	if v := browsertest.Eval[string](tab, `document.getElementById('account').value`); !strings.Contains(v, "pushed him against the wall") {
		t.Errorf("What happened? now holds %q", v)
	}
	tab.Fill("Who is it about?", "Colin Colleague")
	tab.Fill("Their job or role here", "Teaching assistant")
	tab.Fill("Child's name", "carter")
	tab.Click("Find child")
	tab.Choose("Choose the child", "Ben Carter")
	tab.Click("Submit concern")
	if text := tab.Text(); tab.Status() != 422 || !strings.Contains(text, "Select whether it may meet the harm threshold") ||
		!strings.Contains(text, "Child involved: Ben Carter") {
		t.Fatalf("sent without saying whether it may meet the harm threshold (%d):\n%s", tab.Status(), text)
	}
	tab.Choose("Might it meet the harm threshold?", "Not sure yet")
	tab.Click("Submit concern")
	expectHeading(t, tab, "Concern about an adult sent")
	if ref := allegationRef.FindString(tab.Text()); ref == "" {
		t.Fatalf("no reference:\n%s", tab.Text())
	}
	if n := dbCount(t, s, "concerns"); n != 0 {
		t.Errorf("%d concerns went to the DSL", n)
	}
}

func dbCount(t *testing.T, s *adultsSchool, table string) int {
	t.Helper()
	var n int
	if err := s.DB.Owner.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// One teacher named two ways (issue 16 item 1): two low-level concerns
// choose Colin's Haven account, one only types "Mr Colin Colleague". The
// head, at phone and desktop sizes, is asked "Is this …?" in the
// low-level log, merges them, sees one person with three concerns and the
// flag, and separates them again.
func TestTheHeadMergesOneAdultNamedTwoWays(t *testing.T) {
	s := newAdultsSchool(t)
	ctx := context.Background()
	sam := actor.Actor{UserID: s.ids["sam@brookfield.test"], SchoolID: s.school, Role: actor.Staff}
	for i, account := range []int64{s.ids["colin@brookfield.test"], 0, s.ids["colin@brookfield.test"]} {
		name := "Colin Colleague"
		if account == 0 {
			name = "Mr Colin Colleague"
		}
		if _, err := s.Allegations.Submit(ctx, sam, allegation.Form{SubmissionID: allegation.NewSubmissionID(), SubjectName: name,
			SubjectRole: "Teaching assistant", SubjectUserID: account, Account: fmt.Sprintf("Gave a pupil a lift home, time %d.", i+1),
			Kind: string(allegation.LowLevel)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, vp := range viewports {
		t.Run(vp.Name, func(t *testing.T) {
			head := s.signIn(t, "hazel@brookfield.test", vp)
			navigate(head, vp, "Concerns about adults")
			head.Click("Low-level concerns log")
			expectHeading(t, head, "Low-level concerns log")
			checked(t, head)
			if text := head.Text(); !strings.Contains(text, "Is this Colin Colleague, Teaching assistant?") || strings.Contains(text, "Flag:") {
				t.Fatalf("before merging:\n%s", text)
			}
			head.Click("Yes, this is Colin Colleague")
			expectHeading(t, head, "Low-level concerns log")
			checked(t, head)
			text := head.Text()
			if !strings.Contains(text, "Flag: 3 low-level concerns about this person") || strings.Contains(text, "Is this") ||
				strings.Count(text, "Record a pattern review of") != 1 {
				t.Fatalf("after merging:\n%s", text)
			}
			head.Click("Separate Mr Colin Colleague again")
			expectHeading(t, head, "Low-level concerns log")
			checked(t, head)
			if text := head.Text(); !strings.Contains(text, "Is this Colin Colleague, Teaching assistant?") || strings.Contains(text, "Flag:") {
				t.Errorf("after separating:\n%s", text)
			}
		})
	}
}

// Naming the chair of governors needs a second person (issue 16 item 13):
// the admin chooses Colin on School settings, which says it is waiting;
// a DSL approves it on Role requests (at a phone's size), and Colin is
// then the chair.
func TestNamingTheChairOfGovernorsWaitsForADSL(t *testing.T) {
	s := newAdultsSchool(t)
	ctx := context.Background()
	sys := actor.SystemIn(s.school)
	id, err := s.auth.CreateUser(ctx, sys, auth.NewUser{Email: "ada@brookfield.test", Name: "Ada Admin", Role: actor.Admin})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.auth.SetPassword(ctx, sys, id, journeyPassword); err != nil {
		t.Fatal(err)
	}
	en, err := s.auth.StartEnrolment(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	s.keys["ada@brookfield.test"] = strings.ReplaceAll(en.Secret, " ", "")
	if _, err := s.auth.ConfirmEnrolment(ctx, actor.Source{ClientIP: "192.0.2.1"}, id, codeAt(t, s.keys["ada@brookfield.test"], -30*time.Second)); err != nil {
		t.Fatal(err)
	}

	admin := s.signIn(t, "ada@brookfield.test", browsertest.Desktop)
	admin.Go("/admin/settings")
	expectHeading(t, admin, "School settings")
	admin.Select("Chair of governors", "Colin Colleague")
	admin.Click("Save settings")
	expectHeading(t, admin, "School settings")
	checked(t, admin)
	if text := admin.Text(); !strings.Contains(text, "Waiting for approval: Colin Colleague to be chair of governors") {
		t.Fatalf("after asking:\n%s", text)
	}

	dsl := s.signIn(t, "dee@brookfield.test", browsertest.Phone)
	navigate(dsl, browsertest.Phone, "Role requests")
	expectHeading(t, dsl, "Role requests")
	checked(t, dsl)
	if text := dsl.Text(); !strings.Contains(text, "Staff to Chair of governors") {
		t.Fatalf("role requests:\n%s", text)
	}
	dsl.Click("Approve: Colin Colleague, Staff to Chair of governors")
	expectHeading(t, dsl, "Role requests")
	checked(t, dsl)
	if text := dsl.Text(); !strings.Contains(text, "Approved") || !strings.Contains(text, "There are no role requests waiting") {
		t.Errorf("after approving:\n%s", text)
	}
	var chair int64
	if err := s.DB.Owner.QueryRow(ctx, `SELECT chair_of_governors FROM school_settings WHERE school_id = $1`, s.school).Scan(&chair); err != nil ||
		chair != s.ids["colin@brookfield.test"] {
		t.Errorf("chair %d, %v", chair, err)
	}
}

// TestTheHeadPlacesALegalHoldOnAConcernAboutAnAdult: the head places a
// legal hold on a concern about an adult from its page, long before it is
// due (first without a reason: the problem comes back), and lifts it with
// a reason — at phone and desktop sizes.
func TestTheHeadPlacesALegalHoldOnAConcernAboutAnAdult(t *testing.T) {
	s := newAdultsSchool(t)
	svc := allegation.NewService(s.DB.App, nil, s.URL)
	sam := actor.Actor{UserID: s.ids["sam@brookfield.test"], SchoolID: s.school, Role: actor.Staff}
	for _, vp := range []browsertest.Viewport{browsertest.Phone, browsertest.Desktop} {
		t.Run(vp.Name, func(t *testing.T) {
			rc, err := svc.Submit(context.Background(), sam, allegation.Form{SubmissionID: allegation.NewSubmissionID(),
				SubjectName: "Colin Colleague", SubjectRole: "Teacher", Account: "Messaged a pupil from his own phone.",
				Location: "Car park", Kind: string(allegation.HarmThreshold)})
			if err != nil {
				t.Fatal(err)
			}
			head := s.signIn(t, "hazel@brookfield.test", vp)
			head.Go("/allegations/" + rc.Ref)
			expectText(t, head, "Legal hold (do not destroy)", "A hold can be placed at any time")
			checked(t, head)
			head.Click("Place a legal hold")
			expectProblem(t, head, "Enter why the record must not be destroyed")
			checked(t, head)
			head.Fill("Why must this record not be destroyed?", "Independent inquiry: moratorium on destroying records")
			head.Click("Place a legal hold")
			expectText(t, head, "Legal hold placed", "On legal hold: Independent inquiry: moratorium on destroying records",
				"Lift the legal hold")
			checked(t, head)
			head.Click("Lift the legal hold")
			expectProblem(t, head, "Enter why the hold is lifted")
			checked(t, head)
			head.Fill("Why is the hold lifted?", "The inquiry has ended")
			head.Click("Lift the legal hold")
			expectText(t, head, "Legal hold lifted", "Place a legal hold")
			checked(t, head)
		})
	}
}
