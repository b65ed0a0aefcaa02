package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp/kb"

	"github.com/havenschools/haven/internal/apptest"
	"github.com/havenschools/haven/internal/browsertest"
)

var viewports = []browsertest.Viewport{browsertest.Phone, browsertest.Desktop}

func TestFoundationPagesAreAccessible(t *testing.T) {
	a := apptest.New(t)
	pages := []struct {
		name    string
		visit   func(tab *browsertest.Tab)
		status  int
		heading string
		title   string
	}{
		{"start page", func(tab *browsertest.Tab) { tab.Go("/") }, http.StatusOK, "Record a safeguarding concern", "Record a safeguarding concern – Haven"},
		{"accessibility statement, from the footer", func(tab *browsertest.Tab) {
			tab.Go("/")
			tab.Click("Accessibility statement")
		}, http.StatusOK, "Accessibility statement for Haven", "Accessibility statement – Haven"},
		{"a page that does not exist", func(tab *browsertest.Tab) { tab.Go("/no-such-page") }, http.StatusNotFound, "Page not found", "Page not found – Haven"},
	}
	for _, p := range pages {
		for _, vp := range viewports {
			t.Run(p.name+" on a "+vp.Name, func(t *testing.T) {
				tab := browsertest.NewTab(t, a.URL)
				tab.SetViewport(vp)
				p.visit(tab)
				if tab.Status() != p.status {
					t.Errorf("status = %d, want %d", tab.Status(), p.status)
				}
				if got := tab.Heading(); got != p.heading {
					t.Errorf("heading = %q, want %q", got, p.heading)
				}
				if got := tab.Title(); got != p.title {
					t.Errorf("title = %q, want %q", got, p.title)
				}
				tab.ExpectNoAxeViolations()
				tab.ExpectNoConsoleErrors()
			})
		}
	}
}

func TestSkipLinkIsFirstAndMovesFocusToMain(t *testing.T) {
	a := apptest.New(t)
	for _, vp := range viewports {
		t.Run(vp.Name, func(t *testing.T) {
			tab := browsertest.NewTab(t, a.URL)
			tab.SetViewport(vp)
			tab.Go("/")
			first := tab.FirstFocusable()
			if first.Tag != "a" || first.Text != "Skip to main content" || first.Href != "#main-content" {
				t.Fatalf("first focusable element = %+v, want the link \"Skip to main content\" to #main-content", first)
			}
			tab.Press(kb.Enter)
			tab.WaitUntil(`document.activeElement && document.activeElement.id === 'main-content'`)
			if got := tab.Focused(); got.Tag != "main" {
				t.Errorf("after following the skip link, focus is on %+v, want the main element", got)
			}
		})
	}
}

func TestNoGOVUKBranding(t *testing.T) {
	a := apptest.New(t)
	tab := browsertest.NewTab(t, a.URL)
	for _, path := range []string{"/", "/accessibility", "/no-such-page"} {
		tab.Go(path)
		for _, sel := range []string{"body", "h1"} {
			font := browsertest.Eval[string](tab, `getComputedStyle(document.querySelector('`+sel+`')).fontFamily`)
			if strings.Contains(font, "GDS Transport") {
				t.Errorf("%s: %s font-family = %q, want no GDS Transport", path, sel, font)
			}
		}
		html := tab.HTML()
		for _, mark := range []string{"govuk-logo", "govuk-header__logotype", "govuk-crest", "crown"} {
			if strings.Contains(html, mark) {
				t.Errorf("%s: page contains %q (a GOV.UK crown or logotype)", path, mark)
			}
		}
		if header := browsertest.Eval[string](tab, `document.querySelector('header').innerText`); header != "Haven" {
			t.Errorf("%s: header reads %q, want just Haven's own name", path, header)
		}
	}
	resp, err := http.Get(a.URL + "/static/css/haven.css")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	css, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || len(css) < 10000 {
		t.Fatalf("GET /static/css/haven.css: %s, %d bytes", resp.Status, len(css))
	}
	if strings.Contains(string(css), "GDS Transport") {
		t.Error("the served CSS names GDS Transport")
	}
	if strings.Contains(string(css), "govuk-crest") || strings.Contains(string(css), "crown") {
		t.Error("the served CSS carries the crown")
	}
}

func TestPagesWorkWithoutJavaScript(t *testing.T) {
	a := apptest.New(t)
	tab := browsertest.NewTab(t, a.URL)
	tab.DisableJavaScript()
	tab.Go("/")
	if got := tab.Heading(); got != "Record a safeguarding concern" {
		t.Errorf("heading without JavaScript = %q, want the start page's", got)
	}
	// init.js did not run: GOV.UK Frontend's JavaScript-only styles are off.
	if cls := browsertest.Eval[string](tab, "document.body.className"); strings.Contains(cls, "js-enabled") {
		t.Errorf("body class = %q: JavaScript ran", cls)
	}
	tab.Click("Accessibility statement")
	if got := tab.Heading(); got != "Accessibility statement for Haven" {
		t.Errorf("after following the footer link without JavaScript, heading = %q", got)
	}
}
