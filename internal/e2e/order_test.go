package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/havenschools/haven/internal/browsertest"
)

// A DSL who opens "Record decision" on a concern not yet acknowledged is
// told so before typing anything, and "Acknowledge and continue" brings
// them back to the decision, now open to them (issue 15, item 4) — at
// phone and desktop sizes, with no accessibility violations.
func TestAcknowledgeAndContinueToTheDecision(t *testing.T) {
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

			tab.Go("/concerns/" + ref + "/decision")
			expectHeading(t, tab, "Record decision")
			if !strings.Contains(tab.Text(), "Acknowledge the concern before recording a decision.") ||
				strings.Contains(tab.Text(), "Reason for the decision") || strings.Contains(tab.Text(), "This concern has changed") {
				t.Fatalf("the decision page of a new concern:\n%s", tab.Text())
			}
			checked(t, tab)
			tab.Click("Acknowledge and continue")
			expectHeading(t, tab, "Record decision")
			if !strings.Contains(tab.Text(), "You have acknowledged "+ref) || strings.Contains(tab.Text(), "Acknowledge and continue") {
				t.Fatalf("after Acknowledge and continue:\n%s", tab.Text())
			}
			checked(t, tab)
			tab.Choose("What have you decided?", "Early help")
			tab.Fill("Reason for the decision", "Needs support at home; no immediate risk.")
			tab.Choose("Were parents or carers told, or their consent sought?", "Yes, they were told")
			tab.Fill("The child’s wishes and feelings", "She would like help with her mother.")
			tab.Click("Record decision")
			if !strings.Contains(tab.Text(), "Your decision has been recorded") {
				t.Fatalf("after the decision:\n%s", tab.Text())
			}
		})
	}
}
