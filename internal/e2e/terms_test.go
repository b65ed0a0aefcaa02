package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/browsertest"
)

// TestAdminSetsASchoolYearsTermDates: an admin's home page says term dates
// are missing; the admin follows it, enters a school year's terms in one
// form (a wrong date first: the problem beside its row, what was typed
// kept), and the prompt is gone.
func TestAdminSetsASchoolYearsTermDates(t *testing.T) {
	for _, vp := range viewports {
		t.Run(vp.Name, func(t *testing.T) {
			s := newAccountsSite(t)
			email := "admin." + vp.Name + "@brookfield.test"
			key := s.enrolled(t, s.person(t, email, actor.Admin))
			tab := browsertest.NewTab(t, s.URL)
			tab.SetViewport(vp)
			signInWith(tab, email, journeyPassword)
			tab.Fill("Security code", codeAt(t, key, 0))
			tab.Click("Continue")
			expectHeading(t, tab, "Record a safeguarding concern")
			if !strings.Contains(tab.Text(), "No term dates are set") {
				t.Fatalf("the admin's home page does not ask for term dates:\n%s", tab.Text())
			}
			checked(t, tab)

			tab.Click("Set the term dates")
			expectHeading(t, tab, "Term dates")
			checked(t, tab)
			now := time.Now()
			tab.Fill("Name of term 1", "This half term")
			fillDate(tab, "First day of term 1", now.AddDate(0, 0, -10))
			fillDate(tab, "Last day of term 1", now.AddDate(0, 0, 10))
			tab.Fill("Name of term 2", "Next half term")
			fillDate(tab, "First day of term 2", now.AddDate(0, 0, 5)) // overlaps term 1
			fillDate(tab, "Last day of term 2", now.AddDate(0, 0, 40))
			tab.Click("Add these terms")
			expectHeading(t, tab, "Term dates")
			if text := tab.Text(); !strings.Contains(text, "There is a problem") || !strings.Contains(text, "This term overlaps This half term") {
				t.Fatalf("no problem shown for the overlapping term:\n%s", text)
			}
			if got := browsertest.Eval[string](tab, `document.getElementById('term-2-name').value`); got != "Next half term" {
				t.Errorf("term 2's name after the problem = %q, want it kept", got)
			}
			checked(t, tab)
			fillDate(tab, "First day of term 2", now.AddDate(0, 0, 20))
			tab.Click("Add these terms")
			if text := tab.Text(); !strings.Contains(text, "Terms added") || !strings.Contains(text, "Next half term") {
				t.Fatalf("after adding the year:\n%s", text)
			}
			checked(t, tab)
			tab.Go("/")
			if strings.Contains(tab.Text(), "No term dates are set") {
				t.Error("the home page still asks for term dates")
			}
		})
	}
}
