package browsertest

import "strings"

// SmallPhone is the narrowest screen Haven supports: 320 CSS pixels wide
// (WCAG 1.4.10 Reflow), with mobile and touch emulation.
var SmallPhone = Viewport{Name: "small phone", Width: 320, Height: 640, Mobile: true}

// overflowJS measures the page's width against the viewport's and names
// the elements that stick out past its right edge (the innermost ones, not
// those inside a box that scrolls or clips them).
const overflowJS = `(() => {
  const root = document.documentElement;
  const width = root.clientWidth;
  const out = { scrollWidth: root.scrollWidth, width: width, culprits: [] };
  if (root.scrollWidth <= width) return out;
  const clipped = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== 'visible') return true;
    }
    return false;
  };
  const past = (el) => el.getBoundingClientRect().right > width + 0.5;
  for (const el of document.body.querySelectorAll('*')) {
    if (!past(el) || clipped(el) || [...el.children].some(past)) continue;
    let name = el.tagName.toLowerCase();
    if (el.id) name += '#' + el.id;
    if (el.className && typeof el.className === 'string') name += '.' + el.className.trim().split(/\s+/).join('.');
    out.culprits.push(name + ' (right edge ' + Math.round(el.getBoundingClientRect().right) + ')');
    if (out.culprits.length === 5) break;
  }
  return out;
})()`

// Overflow is how far a page sticks out past the viewport's right edge.
type Overflow struct {
	// ScrollWidth is the page's width; Width the viewport's (its clientWidth).
	ScrollWidth int `json:"scrollWidth"`
	Width       int `json:"width"`
	// Culprits name up to five elements past the right edge.
	Culprits []string `json:"culprits"`
}

// PageOverflow measures the page as it is now against the viewport.
func (tb *Tab) PageOverflow() Overflow {
	tb.t.Helper()
	return Eval[Overflow](tb, overflowJS)
}

// ExpectNoPageOverflow fails the test if the page as it is now is wider
// than the viewport (document.documentElement.scrollWidth above its
// clientWidth): a person would have to scroll sideways to read it. A wide
// table must scroll inside its own region (ui.Table does), never the page.
// The message names the elements that stick out.
func (tb *Tab) ExpectNoPageOverflow() {
	tb.t.Helper()
	o := tb.PageOverflow()
	if o.ScrollWidth <= o.Width {
		return
	}
	tb.t.Errorf("browsertest: %s is %d px wide in a %d px viewport; sticking out: %s",
		tb.where(), o.ScrollWidth, o.Width, strings.Join(o.Culprits, ", "))
}
