package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/auth"
	"github.com/havenschools/haven/internal/browsertest"
	"github.com/havenschools/haven/internal/concern"
	"github.com/havenschools/haven/internal/pupil"
	"github.com/havenschools/haven/internal/when"
)

// TestInjectedScriptNeverRuns stores script and markup in a child's name
// and in a concern's free text, then opens every page they show on in
// Chromium, as the member of staff who wrote it and as the DSL: the text
// is shown as text, no injected script runs, and the pages report no
// error. Then it proves the Content-Security-Policy is what would stop
// script that did get in: an inline script element and an inline event
// handler added to the page are refused, and the browser reports the
// violation.
func TestInjectedScriptNeverRuns(t *testing.T) {
	s := newReportingSchool(t)
	ctx := context.Background()
	const (
		script = `<script>window.__pwned = 1</script>`
		img    = `"><img src=x onerror="window.__pwned = 2">`
		svg    = `<svg onload="window.__pwned = 3"></svg>`
	)
	authSvc := auth.NewService(s.DB.App, s.Jobs, auth.Config{BaseURL: s.URL})
	en, err := authSvc.StartEnrolment(ctx, s.dsl.UserID)
	if err != nil {
		t.Fatal(err)
	}
	key := strings.ReplaceAll(en.Secret, " ", "")
	if _, err := authSvc.ConfirmEnrolment(ctx, actor.Source{ClientIP: "192.0.2.1"}, s.dsl.UserID, codeAt(t, key, -30*time.Second)); err != nil {
		t.Fatal(err)
	}

	y := pupil.YearGroup(9)
	kids, err := pupil.NewService(s.DB.App).AddToRoll(ctx, actor.SystemIn(s.school), []pupil.NewChild{{FirstName: img, LastName: script, YearGroup: &y}})
	if err != nil {
		t.Fatal(err)
	}
	child := kids[0]
	var staffID int64
	if err := s.DB.Owner.QueryRow(ctx, `SELECT id FROM users WHERE email = 'sam@brookfield.test'`).Scan(&staffID); err != nil {
		t.Fatal(err)
	}
	today := when.Today(time.Now())
	receipt, err := concern.NewService(s.DB.App, s.Jobs, s.URL).Submit(ctx, actor.Actor{UserID: staffID, SchoolID: s.school, Role: actor.Staff},
		concern.Form{SubmissionID: concern.NewSubmissionID(), InDanger: "no",
			Children: []concern.FormChild{{ChildID: child.ID, Role: concern.Subject}},
			Account:  script + " " + img, ChildsWords: svg, Location: img, ActionsTaken: "javascript:window.__pwned = 4",
			Happened: when.DatePartsOf(today.AddDate(0, 0, -1)), Seen: when.DatePartsOf(today), ToldDSL: "not_yet"})
	if err != nil {
		t.Fatal(err)
	}
	ref := receipt.Ref

	// pageIsClean checks the page now shown: the payloads are there as
	// text, nothing ran, and nothing went wrong.
	pageIsClean := func(t *testing.T, tab *browsertest.Tab, shows ...string) {
		t.Helper()
		if ran := browsertest.Eval[bool](tab, `window.__pwned !== undefined`); ran {
			t.Errorf("%s: injected script ran (window.__pwned = %v)", tab.Path(), browsertest.Eval[any](tab, `window.__pwned`))
		}
		if n := browsertest.Eval[int](tab, `document.querySelectorAll('img[src="x"], svg[onload], [onerror]').length`); n != 0 {
			t.Errorf("%s: %d injected elements in the page", tab.Path(), n)
		}
		text := tab.Text()
		for _, s := range shows {
			if !strings.Contains(text, s) {
				t.Errorf("%s does not show %q as text", tab.Path(), s)
			}
		}
		tab.ExpectNoConsoleErrors()
	}

	t.Run("the author's pages", func(t *testing.T) {
		tab := browsertest.NewTab(t, s.URL)
		signInAsStaff(tab)
		tab.Go("/my-concerns")
		pageIsClean(t, tab, ref)
		tab.Go("/concerns/" + ref)
		pageIsClean(t, tab, script, img, svg)
	})

	t.Run("the DSL's pages", func(t *testing.T) {
		tab := browsertest.NewTab(t, s.URL)
		signInWith(tab, "dsl@brookfield.test", staffPassword)
		tab.Fill("Security code", codeAt(t, key, 0))
		tab.Click("Continue")
		if tab.Path() != "/" {
			t.Fatalf("the DSL signed in to %s:\n%s", tab.Path(), tab.Text())
		}
		childPage := fmt.Sprintf("/children/%d", child.ID)
		for _, page := range []struct {
			path  string
			shows []string
		}{
			{"/queue", []string{ref, script}},
			{"/concerns/" + ref, []string{script, img, svg}},
			{childPage, []string{script}},
			{childPage + "/chronology", []string{script, img}},
			{childPage + "/chronology/print", []string{script, img}},
		} {
			tab.Go(page.path)
			pageIsClean(t, tab, page.shows...)
		}

		// The CSP is what stops script that gets into a page: an inline
		// script element and an inline event handler are refused, and the
		// browser reports each violation.
		tab.Go("/concerns/" + ref)
		browsertest.Eval[bool](tab, `(() => {
			window.__violations = [];
			document.addEventListener('securitypolicyviolation', e => window.__violations.push(e.violatedDirective));
			const s = document.createElement('script');
			s.textContent = 'window.__csp = 1';
			document.body.appendChild(s);
			const b = document.createElement('button');
			b.setAttribute('onclick', 'window.__csp = 2');
			document.body.appendChild(b);
			b.click();
			return true;
		})()`)
		tab.WaitUntil(`window.__violations.length >= 2`)
		if ran := browsertest.Eval[bool](tab, `window.__csp !== undefined`); ran {
			t.Error("an inline script added to the page ran: the CSP did not block it")
		}
		directives := browsertest.Eval[[]string](tab, `window.__violations`)
		for _, d := range directives {
			if !strings.HasPrefix(d, "script-src") {
				t.Errorf("violated %q, want script-src", d)
			}
		}
		reported := false
		for _, e := range tab.ConsoleErrors() {
			if strings.Contains(e.Text, "Content Security Policy") {
				reported = true
			}
		}
		if !reported {
			t.Errorf("the browser reported no CSP violation: %v", tab.ConsoleErrors())
		}
	})
}
