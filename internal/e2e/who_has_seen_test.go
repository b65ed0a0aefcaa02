package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/havenschools/haven/internal/browsertest"
)

// The DSL opens a concern, acknowledges it and opens it again, at phone
// and desktop sizes: "Who has seen this" lists her as one row of two views
// (the page her acknowledgement redirected to is not a third), with her
// role, and no accessibility violations.
func TestWhoHasSeenThisListsVisitsByPersonAndDay(t *testing.T) {
	s := newReportingSchool(t)
	key := s.dslKey(t)
	for i, vp := range viewports {
		t.Run(vp.Name, func(t *testing.T) {
			ref := reportQuickly(t, s, vp)
			tab := browsertest.NewTab(t, s.URL)
			tab.SetViewport(vp)
			signInWith(tab, "dsl@brookfield.test", staffPassword)
			tab.Fill("Security code", codeAt(t, key, time.Duration(i)*30*time.Second))
			tab.Click("Continue")
			tab.Go("/concerns/" + ref)
			expectHeading(t, tab, ref)
			tab.Click("Acknowledge")
			if !strings.Contains(tab.Text(), "You have acknowledged "+ref) {
				t.Fatalf("after Acknowledge:\n%s", tab.Text())
			}
			tab.Go("/concerns/" + ref)
			expectHeading(t, tab, ref)
			checked(t, tab)
			_, list, _ := strings.Cut(tab.Text(), "Who has seen this")
			if !strings.Contains(list, "(DSL)") || !strings.Contains(list, "Viewed the concern 2 times") ||
				!strings.Contains(list, "people outside the DSL team first") || strings.Contains(list, "3 times") {
				t.Errorf("Who has seen this:\n%s", list)
			}
		})
	}
}
