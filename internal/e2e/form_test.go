package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/havenschools/haven/internal/browsertest"
	"github.com/havenschools/haven/internal/when"
)

// fillAConcern fills in the form about Amara, the way a person does, with
// "Have you told a DSL in person?" answered told.
func fillAConcern(tab *browsertest.Tab, told string) {
	tab.Choose("Is the child in immediate danger?", "No")
	findAndAddChild(tab, "Child", "okafor", "Amara Okafor")
	tab.Fill("What happened?", "Amara said an older man waits for her after school in a silver car.")
	fillDate(tab, "When did it happen?", when.Today(time.Now()).AddDate(0, 0, -1))
	tab.Choose("Have you told a DSL in person?", told)
	if told == "Yes" {
		tab.Fill("If yes, which DSL did you tell?", "Dee Ess")
	}
}

// Someone who has not yet told a DSL in person is told on the receipt to
// speak to one now, with the school's DSLs and their numbers.
func TestTheReceiptAsksToSpeakToADSL(t *testing.T) {
	s := newReportingSchool(t)
	for _, vp := range viewports {
		t.Run(vp.Name, func(t *testing.T) {
			tab := browsertest.NewTab(t, s.URL)
			tab.SetViewport(vp)
			signInAsStaff(tab)
			tab.Go("/concerns/new")
			fillAConcern(tab, "Not yet")
			tab.Click("Submit concern")
			if got := tab.Heading(); got != "Concern submitted" {
				t.Fatalf("heading = %q\n%s", got, tab.Text())
			}
			text := tab.Text()
			i, j := strings.Index(text, "Now speak to a DSL"), strings.Index(text, "What happens next")
			if i < 0 || i > j || !strings.Contains(text, "Dee Ess: 01632 960001") {
				t.Errorf("the receipt does not ask to speak to a DSL now, with their numbers, first:\n%s", text)
			}
			if browsertest.Eval[string](tab, `document.querySelector('#tell-a-dsl a[href^="tel:"]').getAttribute('href')`) != "tel:01632 960001" {
				t.Error("the DSL's number is not a link to call")
			}
			tab.ExpectNoAxeViolations()

			tab.Go("/concerns/new")
			fillAConcern(tab, "Yes")
			tab.Click("Submit concern")
			if text := tab.Text(); tab.Heading() != "Concern submitted" || strings.Contains(text, "Now speak to a DSL") {
				t.Errorf("told a DSL already, the receipt still asks to:\n%s", text)
			}
		})
	}
}

// Back after "Submit concern" shows the receipt, saying the concern has
// already been sent — never "Page not found", the browser's "resubmit?"
// page, or the form again with the old text — whether the form had been
// posted on the way (a child found and added), was a draft carried on
// from My concerns, or (without JavaScript) a draft's own address.
func TestBackAfterSubmittingShowsTheReceipt(t *testing.T) {
	s := newReportingSchool(t)
	for _, tc := range []struct {
		name, how string
		vp        browsertest.Viewport
		noJS      bool
	}{
		{"a form posted on the way, at phone width", "posted", browsertest.Phone, false},
		{"a draft carried on, at desktop width", "draft", browsertest.Desktop, false},
		{"a draft carried on without JavaScript", "draft", browsertest.Phone, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tab := browsertest.NewTab(t, s.URL)
			tab.SetViewport(tc.vp)
			if tc.noJS {
				tab.DisableJavaScript()
			}
			signInAsStaff(tab)
			tab.Go("/concerns/new")
			fillAConcern(tab, "Not yet")
			if tc.how == "draft" {
				tab.Click("Save draft")
				tab.Go("/my-concerns")
				tab.Go(browsertest.Eval[string](tab, `document.querySelector('a[href^="/concerns/drafts/"]').getAttribute('href')`))
				if !strings.HasPrefix(tab.Path(), "/concerns/drafts/") {
					t.Fatalf("the draft opened at %s", tab.Path())
				}
			}
			tab.Click("Submit concern")
			ref := refPattern.FindString(tab.Text())
			if tab.Heading() != "Concern submitted" || ref == "" {
				t.Fatalf("heading = %q\n%s", tab.Heading(), tab.Text())
			}

			tab.Do(chromedp.NavigateBack())
			tab.WaitUntil(`document.readyState === 'complete'`)
			text := tab.Text()
			if tab.Heading() != "Concern submitted" || !strings.Contains(text, ref) ||
				!strings.Contains(text, "This concern has already been sent to the DSL") {
				t.Fatalf("Back after submitting: at %s, heading %q\n%.300s", tab.Path(), tab.Heading(), text)
			}
			if browsertest.Eval[bool](tab, `document.getElementById('account') !== null`) {
				t.Error("Back shows the form again")
			}
			if !tc.noJS {
				tab.ExpectNoAxeViolations()
			}
			var n int
			if err := s.DB.Owner.QueryRow(tab.Context(), `SELECT count(*) FROM concerns WHERE school_id = $1 AND submission_id =
				(SELECT submission_id FROM concerns WHERE school_id = $1 AND ref = $2)`, s.school, ref).Scan(&n); err != nil || n != 1 {
				t.Errorf("concerns stored from the form = %d (%v), want 1", n, err)
			}
		})
	}
}

// Reloading Report a concern, and leaving it, keeps no draft until
// something is typed; then the form says when it saved (announced
// politely), and the draft is discarded from My concerns after a
// confirmation page.
func TestDraftsAreKeptAndDiscarded(t *testing.T) {
	s := newReportingSchool(t)
	drafts := func(t *testing.T) int {
		var n int
		if err := s.DB.Owner.QueryRow(t.Context(), `SELECT count(*) FROM concern_drafts WHERE school_id = $1`, s.school).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, vp := range viewports {
		t.Run(vp.Name, func(t *testing.T) {
			tab := browsertest.NewTab(t, s.URL)
			tab.SetViewport(vp)
			signInAsStaff(tab)
			for range 3 {
				tab.Go("/concerns/new")
				tab.Do(chromedp.Reload())
			}
			tab.Choose("Is the child in immediate danger?", "No")
			tab.Go("/my-concerns") // leaving the page saves what has changed
			if n := drafts(t); n != 0 {
				t.Errorf("drafts after reloading an empty form = %d, want 0", n)
			}

			tab.Go("/concerns/new")
			fillAConcern(tab, "Not yet")
			tab.Click("Save draft")
			status := browsertest.Eval[string](tab, `(() => { const s = document.getElementById('draft-status');
				return s.getAttribute('role') + ': ' + s.innerText })()`)
			if !strings.HasPrefix(status, "status: Draft saved at ") {
				t.Errorf("the draft status reads %q", status)
			}
			tab.ExpectNoAxeViolations()

			tab.Go("/my-concerns")
			tab.Click("Discard the draft saved at " + strings.TrimSuffix(strings.TrimPrefix(status, "status: Draft saved at "), "."))
			if got := tab.Heading(); got != "Discard this draft?" {
				t.Fatalf("heading = %q", got)
			}
			tab.ExpectNoAxeViolations()
			tab.Click("Discard draft")
			if text := tab.Text(); !strings.Contains(text, "Your draft has been discarded") || strings.Contains(text, "Not sent yet") {
				t.Errorf("My concerns after discarding:\n%s", text)
			}
			if n := drafts(t); n != 0 {
				t.Errorf("drafts after discarding = %d, want 0", n)
			}
		})
	}
}
