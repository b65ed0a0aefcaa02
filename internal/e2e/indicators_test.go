package e2e

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/havenschools/haven/internal/browsertest"
	"github.com/havenschools/haven/internal/concern"
	"github.com/havenschools/haven/internal/when"
)

// Tapping an indicator's words ticks that indicator, and no other: each of
// the CSE indicators is ticked by clicking its label's text (as a person
// taps it on a phone), the boxes then ticked are exactly those tapped (by
// value), and the concern stores exactly those codes (issue 15: the first
// box of groups 2–4 shared an id with boxes 2–4 of group 1, so "Withdrawn"
// ticked "Frightened of certain people…").
func TestTappingAnIndicatorsLabelTicksThatIndicator(t *testing.T) {
	s := newReportingSchool(t)
	tab := browsertest.NewTab(t, s.URL)
	tab.SetViewport(browsertest.Phone)
	signInAsStaff(tab)
	tab.Go("/concerns/new")
	tab.Choose("Is the child in immediate danger?", "No")
	findAndAddChild(tab, "Child", "okafor", "Amara Okafor")
	tab.Fill("What happened?", "Amara said an older man waits for her after school in a silver car.")
	fillDate(tab, "When did it happen?", when.Today(time.Now()))
	tab.Choose("Have you told a DSL in person?", "Not yet")
	tab.Choose("What kind of concern is it? (optional)", "Child sexual exploitation")

	var tapped []string
	for _, g := range concern.Indicators() {
		for _, in := range g.Indicators {
			tapLabel(t, tab, g.Name, in.Label)
			tapped = append(tapped, in.Code)
			got := browsertest.Eval[[]string](tab,
				`[...document.querySelectorAll('input[name=indicators]:checked')].map((el) => el.value)`)
			if !sameCodes(got, tapped) {
				t.Fatalf("after tapping %q the ticked indicators are %v, want %v", in.Label, got, tapped)
			}
		}
	}
	sent := browsertest.Eval[[]string](tab, `new FormData(document.getElementById('concern-form')).getAll('indicators')`)
	if !sameCodes(sent, tapped) {
		t.Errorf("the form sends indicators %v, want %v", sent, tapped)
	}
	tab.ExpectNoAxeViolations()
	tab.Click("Submit concern")
	if got := tab.Heading(); got != "Concern submitted" {
		t.Fatalf("heading = %q\n%s", got, tab.Text())
	}
	ref := refPattern.FindString(tab.Text())
	rows, err := s.DB.Owner.Query(context.Background(), `SELECT i.code FROM concern_indicators i
		JOIN concerns c ON c.id = i.concern_id WHERE c.school_id = $1 AND c.ref = $2`, s.school, ref)
	if err != nil {
		t.Fatal(err)
	}
	var stored []string
	for rows.Next() {
		var code string
		if err := rows.Scan(&code); err != nil {
			t.Fatal(err)
		}
		stored = append(stored, code)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if !sameCodes(stored, tapped) {
		t.Errorf("concern %s stored indicators %v, want %v", ref, stored, tapped)
	}
}

// tapLabel clicks the text of the label that reads text in the fieldset
// whose legend is group: the label element itself, whatever its for names.
func tapLabel(t *testing.T, tab *browsertest.Tab, group, text string) {
	t.Helper()
	n := browsertest.Eval[int](tab, `(() => {
		const norm = (s) => s.replace(/\s+/g, ' ').trim();
		document.querySelectorAll('[data-tap]').forEach((el) => el.removeAttribute('data-tap'));
		const fs = [...document.querySelectorAll('fieldset')].filter((f) => {
			const lg = f.querySelector(':scope > legend');
			return lg && norm(lg.textContent) === `+jsString(group)+`;
		});
		const found = fs.flatMap((f) => [...f.querySelectorAll('label')]).filter((l) => norm(l.textContent) === `+jsString(text)+`);
		found.forEach((l) => l.setAttribute('data-tap', ''));
		return found.length;
	})()`)
	if n != 1 {
		t.Fatalf("%d labels %q in %q, want 1", n, text, group)
	}
	tab.Do(chromedp.Click(chromedp.CSS("[data-tap]")))
}

// sameCodes reports whether a and b hold the same codes, in any order.
func sameCodes(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// jsString is s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
