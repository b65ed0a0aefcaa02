// Package browsertest drives Debian's Chromium through chromedp for browser
// journeys and accessibility checks. A test package starts one Chromium
// (browsertest.Main from TestMain, which also sets up dbtest); each test
// gets a tab in its own browser context, so cookies and storage never leak
// between tests, and works it the way a person would: by the labels, the
// button and link texts and the headings they can see.
//
//	func TestMain(m *testing.M) { browsertest.Main(m) }
//
//	func TestStartPage(t *testing.T) {
//		a := apptest.New(t)
//		tab := browsertest.NewTab(t, a.URL)
//		tab.SetViewport(browsertest.Phone)
//		tab.Go("/")
//		tab.Click("Accessibility statement")
//		if got := tab.Heading(); got != "Accessibility statement for Haven" { … }
//		tab.ExpectNoAxeViolations()
//	}
//
// Chromium comes from $HAVEN_CHROMIUM, else chromium (or chromium-browser,
// google-chrome) on PATH. Without it browser tests are skipped, or fail when
// CI=true. On failure a test's screenshot is saved in $HAVEN_SCREENSHOTS
// when that is set.
package browsertest

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/havenschools/haven/internal/db/dbtest"
	"github.com/havenschools/haven/internal/testenv"
)

// ActionTimeout bounds each step a Tab takes (a navigation, a click and
// the page it loads, an axe run). It is generous: the machines these tests
// run on are small and shared.
const ActionTimeout = 20 * time.Second

// launchTimeout bounds starting Chromium and opening a tab.
const launchTimeout = 90 * time.Second

// The package's one browser, started by the first NewTab and stopped by Run.
var browser struct {
	mu      sync.Mutex
	started bool   // Run was called
	path    string // the Chromium binary
	missing string // why there is no Chromium, when there is none
	ctx     context.Context
	err     error
	dir     string
	stop    []func()
}

// Main is TestMain for a package of browser tests: it runs the tests with
// one Chromium for the whole package and a test database server (dbtest),
// and exits. func TestMain(m *testing.M) { browsertest.Main(m) }.
func Main(m *testing.M) {
	os.Exit(Run(m))
}

// Run is Main without the exit: it runs dbtest.Run(m) with Chromium
// available to NewTab, stops Chromium and removes its folders afterwards, and
// returns the exit code. Without Chromium it returns 1 when CI=true; otherwise
// the browser tests skip.
func Run(m *testing.M) int {
	browser.started = true
	path, err := chromiumPath()
	if err != nil {
		if testenv.CI() {
			fmt.Fprintln(os.Stderr, "browsertest:", err)
			return 1
		}
		browser.missing = err.Error()
	}
	browser.path = path
	defer stopBrowser()
	return dbtest.Run(m)
}

func chromiumPath() (string, error) {
	if p := os.Getenv("HAVEN_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("HAVEN_CHROMIUM=%s: %w", p, err)
		}
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no Chromium for browser tests: install it (Debian/Ubuntu: apt-get install chromium) " +
		"or set HAVEN_CHROMIUM to a Chrome or Chromium binary")
}

// launch starts Chromium once for the package and returns its context.
func launch(t testing.TB) context.Context {
	t.Helper()
	browser.mu.Lock()
	defer browser.mu.Unlock()
	if browser.ctx != nil || browser.err != nil {
		if browser.err != nil {
			t.Fatalf("browsertest: %v", browser.err)
		}
		return browser.ctx
	}
	dir, err := os.MkdirTemp("", "haven-chromium-")
	if err != nil {
		browser.err = err
		t.Fatal(err)
	}
	browser.dir = dir
	tmp := filepath.Join(dir, "tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		browser.err = err
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser.path),
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.UserDataDir(filepath.Join(dir, "profile")),
		// Chromium leaves org.chromium.Chromium.* files in TMPDIR.
		chromedp.Env("TMPDIR="+tmp),
		chromedp.WindowSize(int(Desktop.Width), int(Desktop.Height)),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Chromium's sandbox refuses to run as root
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelBrowser := chromedp.NewContext(actx)
	browser.stop = append(browser.stop, cancelAlloc, func() {
		_ = chromedp.Cancel(ctx) // closes Chromium and waits for it
		cancelBrowser()
	})
	// The first Do starts Chromium and binds its life to ctx, so it has no
	// timeout of its own; the wait is bounded here instead.
	if err := withTimeout(launchTimeout, func() error { return chromedp.Do(ctx) }); err != nil {
		browser.err = fmt.Errorf("start Chromium (%s): %w", browser.path, err)
		t.Fatalf("browsertest: %v", browser.err)
	}
	browser.ctx = ctx
	return ctx
}

// withTimeout runs fn and returns its error, or a timeout error after d
// (fn keeps running until its context is cancelled).
func withTimeout(d time.Duration, fn func() error) error {
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		return fmt.Errorf("timed out after %v", d)
	}
}

func stopBrowser() {
	browser.mu.Lock()
	defer browser.mu.Unlock()
	for i := len(browser.stop) - 1; i >= 0; i-- {
		browser.stop[i]()
	}
	if browser.dir != "" {
		os.RemoveAll(browser.dir)
	}
}

// Viewport is a screen size to test at.
type Viewport struct {
	Name          string
	Width, Height int64
	Mobile        bool // mobile and touch emulation
}

// The two sizes every page is checked at.
var (
	Phone   = Viewport{Name: "phone", Width: 390, Height: 844, Mobile: true}
	Desktop = Viewport{Name: "desktop", Width: 1280, Height: 900}
)

// Tab is one browser tab in a browser context of its own. Its methods fail
// the test that opened it (with t.Fatal) when a step cannot be done, so call
// them from that test's goroutine, and open a new tab in each subtest.
type Tab struct {
	t      testing.TB
	ctx    context.Context
	base   string
	status int

	mu      sync.Mutex
	console []ConsoleEntry
}

// ConsoleEntry is one error the page reported: a console.error call, an
// uncaught exception, or a browser log entry (a failed load, a CSP violation).
type ConsoleEntry struct {
	Source string // "console", "exception", or the browser log's source (network, security, …)
	Text   string
	URL    string
}

func (e ConsoleEntry) String() string {
	if e.URL != "" {
		return e.Source + ": " + e.Text + " (" + e.URL + ")"
	}
	return e.Source + ": " + e.Text
}

// NewTab opens a tab in a fresh browser context (no cookies, no storage) at
// desktop size. baseURL is what Go's paths are relative to, usually an
// apptest.App's URL. The tab closes when the test ends; if the test failed,
// a screenshot is saved first when $HAVEN_SCREENSHOTS names a folder.
func NewTab(t testing.TB, baseURL string) *Tab {
	t.Helper()
	if !browser.started {
		t.Fatal("browsertest: call browsertest.Main(m) from TestMain")
	}
	if browser.missing != "" {
		testenv.Missing(t, "browsertest: "+browser.missing)
	}
	bctx := launch(t)
	ctx, cancel := chromedp.NewContext(bctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	tb := &Tab{t: t, ctx: ctx, base: strings.TrimRight(baseURL, "/")}
	if err := withTimeout(launchTimeout, func() error { return chromedp.Do(ctx) }); err != nil {
		t.Fatalf("browsertest: open a tab: %v", err)
	}
	if err := chromedp.Listen(ctx, tb.record); err != nil {
		t.Fatalf("browsertest: listen to the console: %v", err)
	}
	t.Cleanup(tb.screenshotOnFailure)
	tb.Do(chromedp.Func(func(ctx context.Context, target *chromedp.Target) error {
		// Headless tabs are not focused; keyboard tests need them to behave as if they were.
		_, err := cdp.Call(ctx, target, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true})
		return err
	}))
	tb.SetViewport(Desktop)
	return tb
}

// record keeps the page's errors. It runs in the tab's event loop: no commands.
func (tb *Tab) record(ev any) {
	var e ConsoleEntry
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError && ev.Type != runtime.ConsoleAPICalledTypeAssert {
			return
		}
		var parts []string
		for _, a := range ev.Args {
			if a.Value != nil {
				parts = append(parts, strings.Trim(string(a.Value), `"`))
			} else {
				parts = append(parts, a.Description)
			}
		}
		e = ConsoleEntry{Source: "console", Text: strings.Join(parts, " ")}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			text += " " + d.Exception.Description
		}
		e = ConsoleEntry{Source: "exception", Text: text, URL: d.URL}
	case *cdplog.EventEntryAdded:
		if ev.Entry.Level != cdplog.EntryLevelError {
			return
		}
		e = ConsoleEntry{Source: string(ev.Entry.Source), Text: ev.Entry.Text, URL: ev.Entry.URL}
	default:
		return
	}
	tb.mu.Lock()
	tb.console = append(tb.console, e)
	tb.mu.Unlock()
}

// Context is the tab's chromedp context, for steps the helpers lack. It has
// no deadline; Do adds ActionTimeout.
func (tb *Tab) Context() context.Context { return tb.ctx }

// Do runs chromedp actions in the tab within ActionTimeout, failing the test
// on error.
func (tb *Tab) Do(actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, ActionTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.t.Fatalf("browsertest: %v", err)
	}
}

// Eval evaluates the JavaScript expression js in tab's page and returns its
// value (awaiting a promise), failing the test on error.
func Eval[T any](tb *Tab, js string) T {
	tb.t.Helper()
	return run(tb, "evaluate "+abbrev(js), chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
}

func run[T any](tb *Tab, what string, a chromedp.Action[T]) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, ActionTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		tb.t.Fatalf("browsertest: %s: %v", what, err)
	}
	return v
}

func abbrev(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

//go:embed dom.js
var domJS string

// dom calls one of dom.js's functions with args and decodes its result.
// A result with an error field fails the test with that message.
func dom[T any](tb *Tab, fn string, args ...any) T {
	tb.t.Helper()
	enc := make([]string, len(args))
	for i, a := range args {
		b, _ := json.Marshal(a)
		enc[i] = string(b)
	}
	js := "(() => {\n" + domJS + "\nreturn " + fn + "(" + strings.Join(enc, ", ") + ");\n})()"
	raw := run(tb, fn, chromedp.Evaluate[[]byte](js))
	var problem struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(raw, &problem) == nil && problem.Error != "" {
		tb.t.Fatalf("browsertest: on %s: %s", tb.where(), problem.Error)
	}
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		tb.t.Fatalf("browsertest: %s: decode %s: %v", fn, raw, err)
	}
	return v
}

// where names the page the tab is on, for failure messages.
func (tb *Tab) where() string {
	ctx, cancel := context.WithTimeout(tb.ctx, ActionTimeout)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "the page"
	}
	return strings.TrimPrefix(loc, tb.base)
}

// Go loads path (relative to the base URL, or a whole URL) and waits for the
// page to load. Status then reports the HTTP status.
func (tb *Tab) Go(path string) {
	tb.t.Helper()
	u := path
	if !strings.Contains(path, "://") {
		u = tb.base + path
	}
	resp := run(tb, "go to "+path, chromedp.NavigateResponse(u))
	if resp != nil {
		tb.status = int(resp.Status)
	}
}

// Status is the HTTP status of the last page loaded.
func (tb *Tab) Status() int { return tb.status }

// URL is the address of the page the tab shows.
func (tb *Tab) URL() string {
	tb.t.Helper()
	return run(tb, "read the location", chromedp.Location())
}

// Path is the path and query of the page the tab shows.
func (tb *Tab) Path() string {
	tb.t.Helper()
	u, err := url.Parse(tb.URL())
	if err != nil {
		tb.t.Fatal(err)
	}
	return u.RequestURI()
}

// Title is the document's title.
func (tb *Tab) Title() string {
	tb.t.Helper()
	return run(tb, "read the title", chromedp.Title())
}

// Heading is the visible text of the page's h1 ("" when it has none).
func (tb *Tab) Heading() string {
	tb.t.Helper()
	return dom[string](tb, "heading")
}

// Text is the visible text of the whole page.
func (tb *Tab) Text() string {
	tb.t.Helper()
	return Eval[string](tb, "document.body.innerText")
}

// HTML is the page's current markup.
func (tb *Tab) HTML() string {
	tb.t.Helper()
	return Eval[string](tb, "document.documentElement.outerHTML")
}

type found struct {
	Selector  string `json:"selector"`
	Tag       string `json:"tag"`
	Type      string `json:"type"`
	Checked   bool   `json:"checked"`
	Label     string `json:"label"`
	Navigates bool   `json:"navigates"`
}

// Fill types value into the field whose label is label, replacing what was
// there. The label must be unique on the page; otherwise use FillIn.
func (tb *Tab) Fill(label, value string) {
	tb.t.Helper()
	tb.FillIn("", label, value)
}

// FillIn is Fill for a field inside the fieldset whose legend is question,
// such as "Day" in "When did it happen?".
func (tb *Tab) FillIn(question, label, value string) {
	tb.t.Helper()
	f := dom[found](tb, "control", question, label, true)
	if f.Tag == "select" {
		tb.t.Fatalf("browsertest: %q is a select: use Select", label)
	}
	tb.Do(
		chromedp.Focus(chromedp.CSS(f.Selector)),
		chromedp.Func(func(ctx context.Context, target *chromedp.Target) error {
			// One insertText is what a paste does: quick for long text, and it
			// fires the input events the character count listens to.
			_, err := cdp.Call(ctx, target, input.InsertText, input.InsertTextParams{Text: value})
			return err
		}),
	)
}

// Select chooses option (by its text) in the dropdown labelled label.
func (tb *Tab) Select(label, option string) {
	tb.t.Helper()
	f := dom[found](tb, "control", "", label, false)
	if f.Tag != "select" {
		tb.t.Fatalf("browsertest: %q is a %s, not a select", label, f.Tag)
	}
	dom[struct{}](tb, "choose", f.Selector, option)
}

// Choose ticks the radio or checkbox labelled option in the fieldset whose
// legend is question ("" for anywhere on the page), by clicking its label
// as a person would. A box already ticked stays ticked.
func (tb *Tab) Choose(question, option string) {
	tb.t.Helper()
	f := dom[found](tb, "control", question, option, false)
	if f.Type != "radio" && f.Type != "checkbox" {
		tb.t.Fatalf("browsertest: %q is a %s %s, not a radio or checkbox", option, f.Tag, f.Type)
	}
	if f.Checked {
		return
	}
	target := f.Selector
	if f.Label != "" {
		target = f.Label
	}
	tb.Do(chromedp.Click(chromedp.CSS(target)))
}

// Checked reports whether the radio or checkbox labelled option in question's
// fieldset ("" for anywhere) is ticked.
func (tb *Tab) Checked(question, option string) bool {
	tb.t.Helper()
	return dom[found](tb, "control", question, option, false).Checked
}

// Click clicks the visible link or button whose text is text (the first, if
// several), and when that loads a page (a link, a form's submit button),
// waits for it; Status then reports its HTTP status.
func (tb *Tab) Click(text string) {
	tb.t.Helper()
	f := dom[found](tb, "clickable", text)
	click := chromedp.Click(chromedp.CSS(f.Selector))
	if !f.Navigates {
		tb.Do(click)
		return
	}
	ctx, cancel := context.WithTimeout(tb.ctx, ActionTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, click)
	if err != nil {
		tb.t.Fatalf("browsertest: click %q: %v", text, err)
	}
	if resp != nil {
		tb.status = int(resp.Status)
	}
}

// SetViewport resizes the page to v, with mobile and touch emulation for a phone.
func (tb *Tab) SetViewport(v Viewport) {
	tb.t.Helper()
	opts := []chromedp.EmulateViewportOption{chromedp.EmulatePortrait}
	if v.Mobile {
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	tb.Do(chromedp.EmulateViewport(v.Width, v.Height, opts...))
}

// DisableJavaScript turns off the page's scripts for the pages loaded next,
// to check a page works without them.
func (tb *Tab) DisableJavaScript() {
	tb.t.Helper()
	tb.Do(chromedp.Func(func(ctx context.Context, target *chromedp.Target) error {
		_, err := cdp.Call(ctx, target, emulation.SetScriptExecutionDisabled,
			emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	}))
}

// EnableJavaScript turns the page's scripts back on (after
// DisableJavaScript) for the pages loaded next.
func (tb *Tab) EnableJavaScript() {
	tb.t.Helper()
	tb.Do(chromedp.Func(func(ctx context.Context, target *chromedp.Target) error {
		_, err := cdp.Call(ctx, target, emulation.SetScriptExecutionDisabled,
			emulation.SetScriptExecutionDisabledParams{Value: false})
		return err
	}))
}

// Element describes an element on the page.
type Element struct {
	Tag   string `json:"tag"` // lower case: "a", "main"; "body" when nothing has focus
	ID    string `json:"id"`
	Text  string `json:"text"`
	Href  string `json:"href"`
	Class string `json:"className"`
}

// Press sends keys as key presses to the focused element: text, or keys from
// github.com/chromedp/chromedp/kb such as kb.Tab and kb.Enter.
func (tb *Tab) Press(keys string) {
	tb.t.Helper()
	tb.Do(chromedp.KeyEvent(keys))
}

// Focused describes the element that has focus.
func (tb *Tab) Focused() Element {
	tb.t.Helper()
	return dom[Element](tb, "focused")
}

// FirstFocusable reloads the page, presses Tab once, and describes the
// element that then has focus: the first thing a keyboard user reaches.
func (tb *Tab) FirstFocusable() Element {
	tb.t.Helper()
	tb.Do(chromedp.Reload())
	tb.Press(kb.Tab)
	return tb.Focused()
}

// WaitUntil waits (up to ActionTimeout) until the JavaScript expression js is
// true, failing the test if it never is.
func (tb *Tab) WaitUntil(js string) {
	tb.t.Helper()
	run(tb, "wait until "+abbrev(js), chromedp.Poll[bool](js, chromedp.WithPollingTimeout(ActionTimeout)))
}

// ConsoleErrors returns the errors the tab's pages have reported so far.
func (tb *Tab) ConsoleErrors() []ConsoleEntry {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return append([]ConsoleEntry(nil), tb.console...)
}

// ExpectNoConsoleErrors fails the test if any page reported an error: a
// script exception, console.error, a resource that failed to load or a
// Content-Security-Policy violation. A page's own error status (a 404 page)
// does not count.
func (tb *Tab) ExpectNoConsoleErrors() {
	tb.t.Helper()
	loc := tb.URL()
	for _, e := range tb.ConsoleErrors() {
		if e.Source == "network" && e.URL == loc {
			continue
		}
		tb.t.Errorf("browsertest: on %s the browser reported %s", strings.TrimPrefix(loc, tb.base), e)
	}
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// Screenshot saves a PNG of the whole page as name.png in $HAVEN_SCREENSHOTS;
// without that variable it does nothing.
func (tb *Tab) Screenshot(name string) {
	tb.t.Helper()
	dir := os.Getenv("HAVEN_SCREENSHOTS")
	if dir == "" {
		return
	}
	ctx, cancel := context.WithTimeout(tb.ctx, ActionTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tb.t.Logf("browsertest: screenshot: %v", err)
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.t.Logf("browsertest: screenshot: %v", err)
		return
	}
	path := filepath.Join(dir, unsafeName.ReplaceAllString(name, "_")+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		tb.t.Logf("browsertest: screenshot: %v", err)
		return
	}
	tb.t.Logf("browsertest: screenshot saved in %s", path)
}

func (tb *Tab) screenshotOnFailure() {
	if tb.t.Failed() {
		tb.Screenshot(tb.t.Name())
	}
}
