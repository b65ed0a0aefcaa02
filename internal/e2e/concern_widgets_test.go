package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/havenschools/haven/internal/browsertest"
	"github.com/havenschools/haven/internal/concern"
	"github.com/havenschools/haven/internal/pupil"
)

// pressAndLoad presses key in the focused element and waits for the page it loads.
func pressAndLoad(t *testing.T, tab *browsertest.Tab, key string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab.Context(), browsertest.ActionTimeout)
	defer cancel()
	if _, err := chromedp.RunResponse(ctx, chromedp.KeyEvent(key)); err != nil {
		t.Fatalf("press %q: %v", key, err)
	}
}

// fillRequired answers the questions a concern cannot be sent without.
func fillRequired(tab *browsertest.Tab, account string) {
	tab.Fill("What happened?", account)
	fillDate(tab, "When did it happen?", pupil.Today(time.Now()))
	tab.Choose("Have you told a DSL in person?", "Not yet")
}

// The "Child" box lists matching children as the person types (an ARIA 1.2
// combobox), and the arrow keys and Enter choose one, at phone and desktop
// sizes; the concern is then sent about that child. The name typed never
// goes in a URL. (Without JavaScript, "Find child" does the same in two
// steps: TestReportWithoutJavaScript.)
func TestChildTypeAhead(t *testing.T) {
	s := newReportingSchool(t)
	svc := concern.NewService(s.DB.App, s.Jobs, s.URL)
	for _, vp := range viewports {
		t.Run(vp.Name, func(t *testing.T) {
			tab := browsertest.NewTab(t, s.URL)
			tab.SetViewport(vp)
			signInAsStaff(tab)
			tab.Go("/concerns/new")
			tab.Choose("Is the child in immediate danger?", "No")

			// Two children match "car": Ben Carter and Cara Doyle.
			tab.Fill("Child", "car")
			tab.WaitUntil(`document.querySelectorAll('#child-suggestions [role=option]').length === 2`)
			box := `document.getElementById('child')`
			if got := browsertest.Eval[string](tab, box+`.getAttribute('aria-expanded')`); got != "true" {
				t.Errorf("aria-expanded = %q with the list open", got)
			}
			if got := browsertest.Eval[string](tab, box+`.getAttribute('role') + ' ' + `+box+`.getAttribute('aria-controls')`); got != "combobox child-suggestions" {
				t.Errorf("role and aria-controls = %q", got)
			}
			tab.WaitUntil(`document.getElementById('child-suggestions-status').textContent.startsWith('2 children match')`)
			tab.ExpectNoAxeViolations()

			tab.Press(kb.Escape)
			if browsertest.Eval[bool](tab, `!document.getElementById('child-suggestions').hidden`) ||
				browsertest.Eval[string](tab, box+`.getAttribute('aria-expanded')`) != "false" {
				t.Error("Escape did not close the list")
			}
			tab.Press(kb.ArrowDown) // opens it again, on the first child
			tab.Press(kb.ArrowDown)
			if got := browsertest.Eval[string](tab, box+`.getAttribute('aria-activedescendant')`); got != "child-suggestion-1" {
				t.Errorf("aria-activedescendant = %q after two downs, want the second child", got)
			}
			if got := browsertest.Eval[string](tab, `document.querySelector('#child-suggestions [aria-selected=true]').textContent`); !strings.HasPrefix(got, "Cara Doyle") {
				t.Errorf("the highlighted child is %q, want Cara Doyle", got)
			}
			tab.ExpectNoAxeViolations()
			pressAndLoad(t, tab, kb.Enter)

			if got := browsertest.Eval[string](tab, `document.querySelector('#child-0 h3').textContent`); got != "Cara Doyle" {
				t.Fatalf("the child added is %q, want Cara Doyle\n%s", got, tab.Text())
			}
			if browsertest.Eval[bool](tab, `performance.getEntriesByType('resource').concat(performance.getEntriesByType('navigation')).some(e => /car/i.test(e.name))`) {
				t.Error("a name typed went into a URL")
			}
			account := "Cara said someone at the bus stop asked where she lives (" + vp.Name + ")."
			fillRequired(tab, account)
			tab.Click("Submit concern")
			if got := tab.Heading(); got != "Concern submitted" {
				t.Fatalf("heading = %q\n%s", got, tab.Text())
			}
			ref := refPattern.FindString(tab.Text())
			cara, err := svc.ForChild(context.Background(), s.dsl, s.cara.ID)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, c := range cara {
				found = found || c.Ref == ref && c.Role == concern.Subject
			}
			if !found {
				t.Errorf("Cara's file = %+v, want %s about her", cara, ref)
			}
			tab.ExpectNoConsoleErrors()
		})
	}
}
