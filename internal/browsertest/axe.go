package browsertest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/chromedp/chromedp"

	"github.com/havenschools/haven/internal/testenv"
)

// AxeTags are the axe-core rule sets every page must pass: WCAG 2.2 A and AA
// (with the 2.0 and 2.1 rules they build on) and axe's best practices.
var AxeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"}

var axe struct {
	once sync.Once
	src  string
	err  error
}

// axeSource reads axe-core from the repository's node_modules (package.json
// pins its version; `npm ci` installs it).
func axeSource() (string, error) {
	axe.once.Do(func() {
		root, err := testenv.RepoRoot()
		if err != nil {
			axe.err = err
			return
		}
		b, err := os.ReadFile(filepath.Join(root, "node_modules", "axe-core", "axe.min.js"))
		if err != nil {
			axe.err = fmt.Errorf("axe-core is not installed (run `npm ci` at the repository root): %w", err)
			return
		}
		axe.src = string(b)
	})
	return axe.src, axe.err
}

// AxeViolation is one axe-core rule the page breaks.
type AxeViolation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	HelpURL string   `json:"helpUrl"`
	Nodes   int      `json:"nodes"`
	Targets []string `json:"targets"` // CSS selectors of the first few offending elements
}

func (v AxeViolation) String() string {
	return fmt.Sprintf("%s (%s): %s — %d element(s): %s — %s",
		v.ID, v.Impact, v.Help, v.Nodes, strings.Join(v.Targets, ", "), v.HelpURL)
}

// AxeViolations runs axe-core on the page as it is now and returns what it
// finds against AxeTags.
func (tb *Tab) AxeViolations() []AxeViolation {
	tb.t.Helper()
	src, err := axeSource()
	if err != nil {
		testenv.Missing(tb.t, "browsertest: "+err.Error())
	}
	if !Eval[bool](tb, "typeof window.axe === 'object'") {
		run(tb, "inject axe-core", chromedp.Evaluate[chromedp.Void](src+"\n;undefined"))
	}
	tags := `["` + strings.Join(AxeTags, `","`) + `"]`
	return Eval[[]AxeViolation](tb, `axe.run(document, {runOnly: {type: 'tag', values: `+tags+`}, resultTypes: ['violations']})
		.then(r => r.violations.map(v => ({id: v.id, impact: v.impact || '', help: v.help, helpUrl: v.helpUrl,
			nodes: v.nodes.length, targets: v.nodes.slice(0, 5).map(n => n.target.join(' '))})))`)
}

// ExpectNoAxeViolations fails the test, listing each violation, if axe-core
// finds any on the page as it is now, or if ExpectWellFormedControls does
// (the duplicate ids, broken label[for]s and nameless controls axe misses):
// every journey that runs axe runs both.
func (tb *Tab) ExpectNoAxeViolations() {
	tb.t.Helper()
	if vs := tb.AxeViolations(); len(vs) > 0 {
		lines := make([]string, len(vs))
		for i, v := range vs {
			lines[i] = "  " + v.String()
		}
		tb.t.Errorf("axe-core: %d violation(s) on %s:\n%s", len(vs), tb.where(), strings.Join(lines, "\n"))
	}
	tb.ExpectWellFormedControls()
}
