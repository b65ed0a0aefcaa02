package e2e

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/browsertest"
	"github.com/havenschools/haven/internal/concern"
	"github.com/havenschools/haven/internal/when"
)

// runTogether finds a label and its value with no space between them
// ("Child:Amara"): a label's colon is followed by a space (times such as
// 2:30pm have digits, addresses "://").
var runTogether = regexp.MustCompile(`\p{L}{2,}:\p{L}+`)

// expectNoRunTogetherLabels fails the test if the visible text of the page
// runs a label into its value, as the queue's cards once did ("Child:Amara").
func expectNoRunTogetherLabels(t *testing.T, tab *browsertest.Tab) {
	t.Helper()
	if m := runTogether.FindAllString(tab.Text(), 5); len(m) > 0 {
		t.Errorf("on %s a label runs into its value: %q", tab.Path(), m)
	}
}

// A concern marked entered in error says so wherever its status is shown:
// on its page (the banner ends its sentence once, whatever the DSL typed),
// and on its author's My concerns and their view of it — never "New" or
// "Received". The queue's cards put a space after each label.
func TestEnteredInErrorShowsEverywhere(t *testing.T) {
	s := newReportingSchool(t)
	key := s.dslKey(t)
	svc := concern.NewService(s.DB.App, s.Jobs, s.URL)
	ctx := context.Background()
	staff := actor.Actor{SchoolID: s.school, Role: actor.Staff}
	must(t, s.DB.Owner.QueryRow(ctx, `SELECT id FROM users WHERE email = 'sam@brookfield.test'`).Scan(&staff.UserID))
	var refs []string
	for range 2 {
		r, err := svc.Submit(ctx, staff, concern.Form{SubmissionID: concern.NewSubmissionID(), InDanger: "no",
			Children: []concern.FormChild{{ChildID: s.amara.ID, Role: concern.Subject}},
			Account:  "Seen getting into a car with an adult the family do not know.", Happened: when.DatePartsOf(time.Now()),
			Seen: when.DatePartsOf(time.Now()), ToldDSL: "not_yet", Categories: []string{"cse"}})
		must(t, err)
		refs = append(refs, r.Ref)
	}
	wrong, kept := refs[0], refs[1]

	dsl := browsertest.NewTab(t, s.URL)
	dsl.SetViewport(browsertest.Phone)
	signInWith(dsl, "dsl@brookfield.test", staffPassword)
	dsl.Fill("Security code", codeAt(t, key, 0))
	dsl.Click("Continue")
	dsl.Go("/queue")
	expectHeading(t, dsl, "Safeguarding queue")
	if text := dsl.Text(); !strings.Contains(text, "Child: Amara Okafor") {
		t.Errorf("the queue's cards:\n%s", text)
	}
	expectNoRunTogetherLabels(t, dsl)

	dsl.Go("/concerns/" + wrong + "/entered-in-error")
	dsl.Fill("Why was this concern entered in error?", "Recorded on the wrong child.")
	dsl.Click("Mark as entered in error")
	expectHeading(t, dsl, wrong)
	text := dsl.Text()
	if !strings.Contains(text, ": Recorded on the wrong child. It is on no chronology.") || strings.Contains(text, "..") {
		t.Errorf("the banner:\n%s", text)
	}
	if got := browsertest.Eval[string](dsl, `document.querySelector('#case-status dd').innerText.trim()`); got != "Entered in error" {
		t.Errorf("its status reads %q, want Entered in error", got)
	}
	checked(t, dsl)
	dsl.Go("/queue")
	if text := dsl.Text(); strings.Contains(text, wrong) || !strings.Contains(text, kept) {
		t.Errorf("the queue should have %s and not %s:\n%s", kept, wrong, text)
	}

	author := browsertest.NewTab(t, s.URL)
	author.SetViewport(browsertest.Phone)
	signInAsStaff(author)
	author.Go("/my-concerns")
	rows := browsertest.Eval[map[string]string](author, `Object.fromEntries([...document.querySelectorAll('tbody tr')]
		.map((tr) => [tr.cells[0].innerText.trim(), tr.cells[3].innerText.trim()]))`)
	if rows[wrong] != "Entered in error" || rows[kept] != "Received" {
		t.Errorf("My concerns: %v, want %s entered in error and %s received", rows, wrong, kept)
	}
	checked(t, author)
	author.Click(wrong)
	if text := author.Text(); !strings.Contains(text, "Status: Entered in error") {
		t.Errorf("its author's view:\n%s", text)
	}
	checked(t, author)
}
