package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// ControlProblems lists what is wrong with the page's ids, labels and form
// controls as it is now:
//   - an id used by more than one element;
//   - a label[for] that does not name exactly one labelable element;
//   - a form control (input other than hidden, select, textarea, button)
//     with no accessible name, as the browser itself computes it (Chromium's
//     accessibility tree, through the DevTools protocol), not as a
//     hand-written guess would.
//
// It checks the controls a person can reveal too: closed <details> and the
// conditional parts of options not chosen are opened while the names are
// read, and closed again. A control hidden from everyone (display: none,
// the hidden attribute, visibility: hidden, inside aria-hidden) is not checked.
//
// Why not axe alone: axe-core 4.x dropped its duplicate-id rules
// (duplicate-id, duplicate-id-active, duplicate-id-aria), and its label
// rule accepts a label[for] that names an element, whichever element that
// is. So when the first CSE indicator of three groups shared an id with
// another group's box, axe passed a page on which tapping "Withdrawn"
// ticked "Frightened of certain people…" and three boxes had no name
// (issue 15).
func (tb *Tab) ControlProblems() []string {
	tb.t.Helper()
	prep := dom[struct {
		Problems []string `json:"problems"`
		Controls []string `json:"controls"`
	}](tb, "controlsPrepare")
	defer dom[struct{}](tb, "controlsRestore")
	problems := prep.Problems
	names := run(tb, "read the controls' accessible names", accessibleNames(len(prep.Controls)))
	for i, desc := range prep.Controls {
		if n, ok := names[i]; ok && strings.TrimSpace(n) == "" {
			problems = append(problems, desc+" has no accessible name")
		}
	}
	return problems
}

// ExpectWellFormedControls fails the test, listing each problem, if
// ControlProblems finds any.
func (tb *Tab) ExpectWellFormedControls() {
	tb.t.Helper()
	ps := tb.ControlProblems()
	if len(ps) == 0 {
		return
	}
	tb.t.Errorf("ids, labels and names: %d problem(s) on %s:\n  %s", len(ps), tb.where(), strings.Join(ps, "\n  "))
}

// accessibleNames returns the accessible name of each of the n elements
// marked data-bt-control="<i>", by i; an element the accessibility tree
// ignores is left out.
func accessibleNames(n int) chromedp.Action[map[int]string] {
	return func(ctx context.Context, t *chromedp.Target) (map[int]string, error) {
		const group = "browsertest-controls"
		defer func() {
			_, _ = cdp.Call(ctx, t, runtime.ReleaseObjectGroup, runtime.ReleaseObjectGroupParams{ObjectGroup: group})
		}()
		list, err := cdp.Call(ctx, t, runtime.Evaluate, runtime.EvaluateParams{ObjectGroup: group,
			Expression: `[...document.querySelectorAll('[data-bt-control]')].sort((a, b) => a.getAttribute('data-bt-control') - b.getAttribute('data-bt-control'))`})
		if err != nil {
			return nil, err
		}
		if list.ExceptionDetails != nil || list.Result == nil || list.Result.ObjectID == "" {
			return nil, fmt.Errorf("list the controls: %v", list.ExceptionDetails)
		}
		own := true
		props, err := cdp.Call(ctx, t, runtime.GetProperties, runtime.GetPropertiesParams{ObjectID: list.Result.ObjectID, OwnProperties: &own})
		if err != nil {
			return nil, err
		}
		names := make(map[int]string, n)
		relatives := false
		for _, p := range props.Result {
			i, err := strconv.Atoi(p.Name)
			if err != nil || p.Value == nil || p.Value.ObjectID == "" {
				continue // length, and the like
			}
			tree, err := cdp.Call(ctx, t, accessibility.GetPartialAXTree, accessibility.GetPartialAXTreeParams{
				ObjectID: p.Value.ObjectID, FetchRelatives: &relatives})
			if err != nil {
				return nil, fmt.Errorf("accessibility node of control %d: %w", i, err)
			}
			if len(tree.Nodes) == 0 || tree.Nodes[0].Ignored {
				continue
			}
			names[i] = axString(tree.Nodes[0].Name)
		}
		return names, nil
	}
}

// axString is an accessibility value as a string ("" when there is none).
func axString(v *accessibility.Value) string {
	if v == nil || len(v.Value) == 0 {
		return ""
	}
	var s string
	if err := json.Unmarshal(v.Value, &s); err != nil {
		return string(v.Value)
	}
	return s
}
