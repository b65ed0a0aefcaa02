package browsertest_test

import (
	"bytes"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/havenschools/haven/internal/browsertest"
)

func TestMain(m *testing.M) { browsertest.Main(m) }

const formPage = `<!DOCTYPE html>
<html lang="en"><head><title>A form</title><meta name="viewport" content="width=device-width, initial-scale=1"></head><body><main>
<h1>Tell us   what happened</h1>
<form method="post" action="/submitted">
  <label for="name">Your name</label> <input id="name" name="name" type="text" value="typed before">
  <label for="story">What happened?</label> <textarea id="story" name="story"></textarea>
  <fieldset><legend>Is the child in immediate danger?</legend>
    <input type="radio" id="danger-yes" name="danger" value="yes"><label for="danger-yes">Yes</label>
    <input type="radio" id="danger-no" name="danger" value="no"><label for="danger-no">No</label>
  </fieldset>
  <fieldset><legend><h2>Have you told a DSL in person?</h2></legend>
    <input type="radio" id="told-yes" name="told" value="yes"><label for="told-yes">Yes</label>
    <input type="radio" id="told-no" name="told" value="no"><label for="told-no">No</label>
  </fieldset>
  <fieldset><legend>When did it happen?</legend>
    <label for="when-day">Day</label><input id="when-day" name="when-day">
    <label for="when-year">Year</label><input id="when-year" name="when-year">
  </fieldset>
  <label><input type="checkbox" name="agree" value="yes"> I agree</label>
  <label for="year">Year group</label>
  <select id="year" name="year"><option value="">Choose</option><option value="7">Year 7</option></select>
  <button>Send</button>
</form>
<p><a href="/other">Another page</a></p>
</main></body></html>`

const badPage = `<!DOCTYPE html>
<html><head><title>Bad</title></head><body>
<img src="/missing.png">
<input type="text">
<script>document.title = 'inline ran'</script>
</body></html>`

// controlsPage breaks each rule ControlProblems checks once, beside
// controls that keep them in ways a hand-written check could miss.
const controlsPage = `<!DOCTYPE html>
<html lang="en"><head><title>Controls</title></head><body><main>
<h1>Controls</h1>
<form>
  <input type="checkbox" id="first" name="ind" value="a"><label for="first">First</label>
  <input type="checkbox" id="second" name="ind" value="b"><label for="second">Second</label>
  <input type="checkbox" id="second" name="ind" value="c"><label for="second">Third, which ticks Second</label>
  <label for="nowhere">Label for nothing</label>
  <div id="a-div">Not a control</div><label for="a-div">Label for a div</label>
  <input type="text" name="nameless">
  <button type="button" name="empty-button"></button>
  <span id="by-ref">Named by reference</span><input type="text" name="labelledby" aria-labelledby="by-ref">
  <input type="text" name="titled" title="Named by its title">
  <button type="button"><span class="visually-hidden">Named by its text</span></button>
  <input type="hidden" name="token" value="x">
  <input type="text" name="not-shown" hidden>
  <details><summary>More</summary><select name="in-details"><option>One</option></select></details>
</form>
</main></body></html>`

const scriptedPage = `<!DOCTYPE html>
<html lang="en"><head><title>Scripted</title></head><body><main>
<h1>Without JavaScript</h1>
<script src="/script.js"></script>
</main></body></html>`

// site is a small site with the kinds of page the helpers must handle,
// served under a strict Content-Security-Policy as Haven's pages are.
func site(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	page := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self'")
			fmt.Fprint(w, body)
		}
	}
	mux.HandleFunc("GET /form", page(formPage))
	mux.HandleFunc("GET /bad", page(badPage))
	mux.HandleFunc("GET /scripted", page(scriptedPage))
	// No CSP on these two: their widths are inline styles.
	plain := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, body) }
	}
	mux.HandleFunc("GET /wide", plain(`<!DOCTYPE html><html lang="en"><head><title>Wide</title><meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>Wide</h1><div id="scrolls" style="overflow-x:auto"><p style="width:900px">scrolls in its box</p></div><p id="too-wide" style="width:600px">too wide</p></main></body></html>`))
	mux.HandleFunc("GET /narrow", plain(`<!DOCTYPE html><html lang="en"><head><title>Narrow</title><meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>Narrow</h1><div style="overflow-x:auto"><p style="width:900px">scrolls in its box</p></div></main></body></html>`))
	mux.HandleFunc("GET /controls", page(controlsPage))
	mux.HandleFunc("GET /script.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		fmt.Fprint(w, `document.querySelector('h1').textContent = 'With JavaScript'`)
	})
	mux.HandleFunc("GET /other", page(`<!DOCTYPE html><html lang="en"><title>Other</title><main><h1>Another page</h1></main></html>`))
	mux.HandleFunc("POST /submitted", func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var b strings.Builder
		for _, k := range []string{"name", "story", "danger", "told", "when-day", "when-year", "agree", "year"} {
			fmt.Fprintf(&b, "<p>%s=%s</p>", k, html.EscapeString(strings.ReplaceAll(r.PostFormValue(k), "\r\n", "|")))
		}
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprint(w, `<!DOCTYPE html><html lang="en"><title>Sent</title><main><h1>Sent</h1>`+b.String()+`</main></html>`)
	})
	mux.HandleFunc("GET /cookie", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("set") != "" {
			http.SetCookie(w, &http.Cookie{Name: "who", Value: r.URL.Query().Get("set")})
		}
		c, _ := r.Cookie("who")
		v := "none"
		if c != nil {
			v = c.Value
		}
		fmt.Fprint(w, `<!DOCTYPE html><html lang="en"><title>Cookie</title><main><h1>cookie `+html.EscapeString(v)+`</h1></main></html>`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestFillChooseSelectAndSubmit(t *testing.T) {
	t.Parallel()
	srv := site(t)
	tab := browsertest.NewTab(t, srv.URL)
	tab.Go("/form")
	if got := tab.Heading(); got != "Tell us what happened" {
		t.Errorf("heading = %q", got)
	}
	tab.Fill("Your name", "Ada Lovelace")
	tab.Fill("What happened?", "line one\nline two")
	tab.Choose("Is the child in immediate danger?", "Yes")
	tab.Choose("Have you told a DSL in person?", "No")
	tab.FillIn("When did it happen?", "Day", "3")
	tab.FillIn("When did it happen?", "Year", "2026")
	tab.Choose("", "I agree")
	tab.Choose("", "I agree") // ticking a ticked box leaves it ticked
	tab.Select("Year group", "Year 7")
	if !tab.Checked("Is the child in immediate danger?", "Yes") || tab.Checked("Have you told a DSL in person?", "Yes") {
		t.Error("the radios are not as chosen")
	}
	tab.Click("Send")
	if tab.Status() != http.StatusAccepted || tab.Path() != "/submitted" {
		t.Fatalf("after Send: status %d at %s, want 202 at /submitted", tab.Status(), tab.Path())
	}
	text := tab.Text()
	for _, want := range []string{"name=Ada Lovelace", "story=line one|line two", "danger=yes", "told=no",
		"when-day=3", "when-year=2026", "agree=yes", "year=7"} {
		if !strings.Contains(text, want) {
			t.Errorf("submitted page lacks %q:\n%s", want, text)
		}
	}
}

func TestClickFollowsALink(t *testing.T) {
	t.Parallel()
	tab := browsertest.NewTab(t, site(t).URL)
	tab.Go("/form")
	tab.Click("Another page")
	if tab.Heading() != "Another page" || tab.Status() != http.StatusOK {
		t.Errorf("after the link: heading %q, status %d", tab.Heading(), tab.Status())
	}
	tab.Go("/nowhere")
	if tab.Status() != http.StatusNotFound {
		t.Errorf("status of a missing page = %d, want 404", tab.Status())
	}
}

func TestAxeAndConsoleFindProblems(t *testing.T) {
	t.Parallel()
	tab := browsertest.NewTab(t, site(t).URL)
	tab.Go("/bad")
	var ids []string
	for _, v := range tab.AxeViolations() {
		ids = append(ids, v.ID)
		if v.Help == "" || v.Nodes == 0 || len(v.Targets) == 0 {
			t.Errorf("violation without help or elements: %+v", v)
		}
	}
	for _, want := range []string{"html-has-lang", "image-alt", "label"} {
		if !slices.Contains(ids, want) {
			t.Errorf("axe found %v, want %s among them", ids, want)
		}
	}
	var csp, missing bool
	for _, e := range tab.ConsoleErrors() {
		csp = csp || strings.Contains(e.Text, "Content Security Policy")
		missing = missing || strings.HasSuffix(e.URL, "/missing.png")
	}
	if !csp || !missing {
		t.Errorf("console errors %v: want the blocked inline script and the missing image", tab.ConsoleErrors())
	}

	tab.Go("/other")
	if vs := tab.AxeViolations(); len(vs) != 0 {
		t.Errorf("a plain page has violations: %v", vs)
	}
}

func TestControlProblemsFindsIdsLabelsAndNames(t *testing.T) {
	t.Parallel()
	tab := browsertest.NewTab(t, site(t).URL)
	tab.Go("/controls")
	got := tab.ControlProblems()
	want := []string{
		`id "second" is used 2 times: input[type=checkbox]#second[name=ind][value=b], input[type=checkbox]#second[name=ind][value=c]`,
		`label "Second" is for "second", which names 2 elements`,
		`label "Third, which ticks Second" is for "second", which names 2 elements`,
		`label "Label for nothing" is for "nowhere", which is no element`,
		`label "Label for a div" is for div#a-div, which cannot be labelled`,
		`input[type=checkbox]#second[name=ind][value=c] has no accessible name`,
		`input[type=text][name=nameless] has no accessible name`,
		`button[name=empty-button] has no accessible name`,
		`select[name=in-details] has no accessible name`,
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("ControlProblems lacks %s", w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("ControlProblems = %d problems, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	if browsertest.Eval[bool](tab, "document.querySelector('details').open") {
		t.Error("the closed details was left open")
	}

	tab.Go("/form")
	if ps := tab.ControlProblems(); len(ps) != 0 {
		t.Errorf("a well-formed form has problems: %v", ps)
	}
}

func TestViewportsAndKeyboard(t *testing.T) {
	t.Parallel()
	tab := browsertest.NewTab(t, site(t).URL)
	tab.Go("/form")
	if w := browsertest.Eval[int](tab, "window.innerWidth"); w != int(browsertest.Desktop.Width) {
		t.Errorf("a new tab is %d wide, want desktop (%d)", w, browsertest.Desktop.Width)
	}
	tab.SetViewport(browsertest.Phone)
	if w := browsertest.Eval[int](tab, "window.innerWidth"); w != 390 {
		t.Errorf("phone width = %d, want 390", w)
	}
	if !browsertest.Eval[bool](tab, "matchMedia('(pointer: coarse)').matches") {
		t.Error("the phone has no touch screen")
	}
	if first := tab.FirstFocusable(); first.Tag != "input" || first.ID != "name" {
		t.Errorf("first focusable = %+v, want the name field", first)
	}
}

func TestTabsDoNotShareCookies(t *testing.T) {
	t.Parallel()
	srv := site(t)
	a, b := browsertest.NewTab(t, srv.URL), browsertest.NewTab(t, srv.URL)
	a.Go("/cookie?set=ada")
	a.Go("/cookie")
	if got := a.Heading(); got != "cookie ada" {
		t.Fatalf("the tab that set the cookie reads %q", got)
	}
	b.Go("/cookie")
	if got := b.Heading(); got != "cookie none" {
		t.Errorf("another tab reads %q, want no cookie", got)
	}
}

func TestDisableJavaScript(t *testing.T) {
	t.Parallel()
	srv := site(t)
	on := browsertest.NewTab(t, srv.URL)
	on.Go("/scripted")
	if got := on.Heading(); got != "With JavaScript" {
		t.Errorf("with JavaScript: heading %q", got)
	}
	off := browsertest.NewTab(t, srv.URL)
	off.DisableJavaScript()
	off.Go("/scripted")
	if got := off.Heading(); got != "Without JavaScript" {
		t.Errorf("without JavaScript: heading %q", got)
	}
}

func TestScreenshot(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("HAVEN_SCREENSHOTS", dir)
	tab := browsertest.NewTab(t, site(t).URL)
	tab.Go("/form")
	tab.Screenshot("Test/form page")
	png, err := os.ReadFile(filepath.Join(dir, "Test_form_page.png"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("the screenshot is not a PNG: % x", png[:8])
	}
}

func TestPageOverflow(t *testing.T) {
	t.Parallel()
	srv := site(t)
	tab := browsertest.NewTab(t, srv.URL)
	tab.SetViewport(browsertest.SmallPhone)
	tab.Go("/wide")
	o := tab.PageOverflow()
	if o.ScrollWidth <= o.Width || o.Width != 320 {
		t.Errorf("a 600 px paragraph on a 320 px phone: %+v, want the page wider than 320", o)
	}
	if len(o.Culprits) != 1 || !strings.HasPrefix(o.Culprits[0], "p#too-wide") {
		t.Errorf("culprits = %q, want only p#too-wide (the box that scrolls is no culprit)", o.Culprits)
	}
	tab.Go("/narrow")
	tab.ExpectNoPageOverflow() // a wide paragraph inside its own scrolling box is fine
}
