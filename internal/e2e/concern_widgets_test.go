package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/browsertest"
	"github.com/havenschools/haven/internal/concern"
	"github.com/havenschools/haven/internal/when"
)

// fillRequired answers the questions a concern cannot be sent without.
func fillRequired(tab *browsertest.Tab, account string) {
	tab.Fill("What happened?", account)
	fillDate(tab, "When did it happen?", when.Today(time.Now()))
	tab.Choose("Have you told a DSL in person?", "Not yet")
}

// The "Child" box lists matching children as the person types (an ARIA 1.2
// combobox), and the arrow keys and Enter choose one, at phone and desktop
// sizes: the child is added without the page being loaded again (what was
// typed stays, focus comes back to the box), a second child is chosen the
// same way, and the concern is sent about both. The name typed never goes
// in a URL. (Without JavaScript, "Find child" does the same in two steps:
// TestReportWithoutJavaScript.)
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
			account := "Cara said someone at the bus stop asked where she lives; Amara saw it (" + vp.Name + ")."
			fillRequired(tab, account)
			browsertest.Eval[bool](tab, `window.sameVisit = true`)

			// Two children match "car": Ben Carter and Cara Doyle.
			tab.Fill("Child", "car")
			tab.WaitUntil(`document.querySelectorAll('#child-suggestions [role=option]').length === 2`)
			box := `document.querySelector('[data-child-search]')`
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
			tab.Press(kb.Enter)
			tab.WaitUntil(`document.querySelector('#child-0 h3') !== null`)
			if got := browsertest.Eval[string](tab, `document.querySelector('#child-0 h3').textContent`); got != "Cara Doyle" {
				t.Fatalf("the child added is %q, want Cara Doyle\n%s", got, tab.Text())
			}
			if !browsertest.Eval[bool](tab, `window.sameVisit === true`) {
				t.Error("choosing a child loaded the page again")
			}
			if got := tab.Focused(); got.ID != "child" {
				t.Errorf("focus is on %+v, want the box again", got)
			}
			tab.WaitUntil(`document.getElementById('child-suggestions-status').textContent === 'Cara Doyle has been added to the concern.'`)
			// The section's GOV.UK components work again ("Child not known" reveals its box).
			if !browsertest.Eval[bool](tab, `[...document.querySelectorAll('#child-section [data-module]')].every(e => e.hasAttribute('data-' + e.dataset.module + '-init'))`) {
				t.Error("the redrawn section's components were not started")
			}

			// The box works again for a second child, now "Add another child".
			tab.Fill("Add another child", "okaf")
			tab.WaitUntil(`document.querySelectorAll('#child-suggestions [role=option]').length === 1`)
			tab.Press(kb.ArrowDown)
			tab.Press(kb.Enter)
			tab.WaitUntil(`document.querySelector('#child-1 h3') !== null`)
			tab.Choose("How is Amara Okafor involved?", "Witness")
			tab.ExpectNoAxeViolations()
			if browsertest.Eval[bool](tab, `performance.getEntriesByType('resource').concat(performance.getEntriesByType('navigation')).some(e => /car|okaf/i.test(e.name))`) {
				t.Error("a name typed went into a URL")
			}
			if got := browsertest.Eval[string](tab, `document.getElementById('account').value`); got != account {
				t.Errorf("What happened? now holds %q", got)
			}

			tab.Click("Submit concern")
			if got := tab.Heading(); got != "Concern submitted" {
				t.Fatalf("heading = %q\n%s", got, tab.Text())
			}
			ref := refPattern.FindString(tab.Text())
			for _, want := range []struct {
				child int64
				role  concern.Role
			}{{s.cara.ID, concern.Subject}, {s.amara.ID, concern.Witness}} {
				file, err := svc.ForChild(context.Background(), s.dsl, want.child)
				if err != nil {
					t.Fatal(err)
				}
				found := false
				for _, c := range file {
					found = found || c.Ref == ref && c.Role == want.role
				}
				if !found {
					t.Errorf("child %d's file = %+v, want %s as %s", want.child, file, ref, want.role)
				}
			}
			tab.ExpectNoConsoleErrors()
		})
	}
}

// storedMarks lists the body map stored with the concern ref, in order, as
// "region side note".
func storedMarks(t *testing.T, s *reportingSchool, ref string) []string {
	t.Helper()
	rows, err := s.DB.Owner.Query(context.Background(), `SELECT m.region || ' ' || m.side || ' ' || m.note
		FROM concern_body_marks m JOIN concerns c ON c.id = m.concern_id
		WHERE c.ref = $1 ORDER BY m.position`, ref)
	if err != nil {
		t.Fatal(err)
	}
	marks, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return marks
}

// markRow is mark i's region and side (from 0) as the list holds them.
func markRow(tab *browsertest.Tab, i int) string {
	return browsertest.Eval[string](tab, fmt.Sprintf(`(() => {
		const region = document.getElementById('mark-%[1]d-region');
		const side = document.querySelector('input[name="mark-%[1]d-side"]:checked');
		return region ? region.value + ' ' + (side ? side.value : '') : 'no mark %[1]d';
	})()`, i))
}

// The body map's figure: tapping two regions adds two marks to the list
// with the right regions and sides, the figure shades and numbers them, a
// region is a button a keyboard reaches (Enter adds a third), and the
// concern stores all three; at phone and desktop sizes, with axe. Without
// JavaScript the figure is not shown and the list alone does the same.
func TestBodyMapFigure(t *testing.T) {
	s := newReportingSchool(t)
	for _, vp := range viewports {
		t.Run(vp.Name, func(t *testing.T) {
			tab := browsertest.NewTab(t, s.URL)
			tab.SetViewport(vp)
			signInAsStaff(tab)
			tab.Go("/concerns/new")
			tab.Choose("Is the child in immediate danger?", "No")
			findAndAddChild(tab, "Child", "okafor", "Amara Okafor")
			tab.Click("Marks or injuries (body map)")
			tab.WaitUntil(`!document.querySelector('[data-body-figure]').hidden`)
			tab.ExpectNoAxeViolations()
			if w := browsertest.Eval[float64](tab, `document.documentElement.scrollWidth`); w > float64(vp.Width) {
				t.Errorf("the page is %.0f px wide at %d px", w, vp.Width)
			}

			tab.Click("Left forearm (front)")
			tab.Click("Back of the right knee")
			if got := markRow(tab, 0); got != "forearm_left front" {
				t.Errorf("mark 1 = %q, want forearm_left front", got)
			}
			if got := markRow(tab, 1); got != "knee_right back" {
				t.Errorf("mark 2 = %q, want knee_right back", got)
			}
			if got := browsertest.Eval[string](tab, `document.getElementById('body-figure-status').textContent`); !strings.HasPrefix(got, "Mark 2 added: Back of the right knee") {
				t.Errorf("the live region says %q", got)
			}
			marked := `[...document.querySelectorAll('.haven-body-figure__region--marked')].map(e => e.getAttribute('aria-label')).join(', ')`
			if got := browsertest.Eval[string](tab, marked); got != "Left forearm (front), Back of the right knee" {
				t.Errorf("the figure shades %q", got)
			}
			tab.FillIn("Mark 1", "What it looks like", "A bruise the size of a thumbprint")
			tab.FillIn("Mark 2", "What it looks like", "A graze")

			// A keyboard reaches each region: Enter on one adds a mark too.
			tab.Do(chromedp.Focus(chromedp.CSS(`[data-region="head"][data-side="front"]`)))
			tab.Press(kb.Enter)
			if got := markRow(tab, 2); got != "head front" {
				t.Errorf("mark 3 = %q, want head front", got)
			}
			if got := browsertest.Eval[string](tab, `document.querySelector('#mark-2-region').closest('fieldset').querySelector('legend').textContent`); got != "Mark 3" {
				t.Errorf("the new mark is headed %q", got)
			}
			// The list's own drop-down moves a mark, and the figure follows.
			tab.Do(chromedp.SetValue(chromedp.ID("mark-2-region"), "neck"))
			browsertest.Eval[bool](tab, `document.getElementById('mark-2-region').dispatchEvent(new Event('change', {bubbles: true}))`)
			if got := browsertest.Eval[string](tab, marked); got != "Neck (front), Left forearm (front), Back of the right knee" {
				t.Errorf("after choosing Neck in the list, the figure shades %q", got)
			}
			tab.ExpectNoAxeViolations()

			fillRequired(tab, "Amara has marks on her arm and leg ("+vp.Name+").")
			tab.Click("Submit concern")
			if got := tab.Heading(); got != "Concern submitted" {
				t.Fatalf("heading = %q\n%s", got, tab.Text())
			}
			got := storedMarks(t, s, refPattern.FindString(tab.Text()))
			want := []string{"forearm_left front A bruise the size of a thumbprint", "knee_right back A graze", "neck front "}
			if strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("stored marks = %q, want %q", got, want)
			}
			tab.ExpectNoConsoleErrors()
		})
	}

	t.Run("without JavaScript", func(t *testing.T) {
		tab := browsertest.NewTab(t, s.URL)
		tab.SetViewport(browsertest.Phone)
		tab.DisableJavaScript()
		signInAsStaff(tab)
		tab.Go("/concerns/new")
		tab.Choose("Is the child in immediate danger?", "No")
		findAndAddChild(tab, "Child", "okafor", "Amara Okafor")
		tab.Click("Marks or injuries (body map)")
		if browsertest.Eval[bool](tab, `document.querySelector('[data-body-figure]').getClientRects().length > 0`) {
			t.Error("the figure shows without JavaScript, where its buttons do nothing")
		}
		tab.Select("Where on the body", "Left forearm")
		tab.Choose("Front or back", "Front")
		tab.Click("Add another mark")
		tab.Do(chromedp.SetValue(chromedp.ID("mark-1-region"), "knee_right"))
		tab.Do(chromedp.Click(chromedp.ID("mark-1-side-back")))
		fillRequired(tab, "Amara has marks on her arm and leg (no JavaScript).")
		tab.Click("Submit concern")
		if got := tab.Heading(); got != "Concern submitted" {
			t.Fatalf("heading = %q\n%s", got, tab.Text())
		}
		got := storedMarks(t, s, refPattern.FindString(tab.Text()))
		if want := []string{"forearm_left front ", "knee_right back "}; strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("stored marks = %q, want %q", got, want)
		}
	})
}
