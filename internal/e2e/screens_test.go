package e2e

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/havenschools/haven/internal/browsertest"
)

// navRows is how many rows the service navigation's links take up.
const navRows = `new Set([...document.querySelectorAll('#navigation > li')].map((li) => li.getBoundingClientRect().top)).size`

// The DSL's menu: the daily work in one row at desktop, and every link —
// the roll import included — reachable at the narrowest phone width, with
// JavaScript (the "Menu" button) and without it.
func TestDSLMenuReachesEveryLink(t *testing.T) {
	s := newReportingSchool(t)
	key := s.dslKey(t)
	primary := []string{"Safeguarding queue", "My tasks", "Report a concern", "More"}
	more := []string{"Dashboard", "Operation Encompass", "Transfers", "My concerns", "Import the roll", "Exports",
		"Retention", "Subject access", "Role requests", "Your account"}
	navLinks := func(tab *browsertest.Tab) []string {
		return browsertest.Eval[[]string](tab, `[...document.querySelectorAll('#navigation a')].map((a) => a.textContent.trim())`)
	}
	for i, vp := range []browsertest.Viewport{browsertest.SmallPhone, browsertest.Desktop} {
		t.Run(vp.Name, func(t *testing.T) {
			tab := browsertest.NewTab(t, s.URL)
			tab.SetViewport(vp)
			signInWith(tab, "dsl@brookfield.test", staffPassword)
			tab.Fill("Security code", codeAt(t, key, time.Duration(i)*30*time.Second))
			tab.Click("Continue")
			tab.Go("/queue")
			if got := navLinks(tab); !slices.Equal(got, primary) {
				t.Errorf("the navigation = %q, want %q", got, primary)
			}
			if !vp.Mobile {
				if rows := browsertest.Eval[int](tab, navRows); rows != 1 {
					t.Errorf("the navigation takes %d rows at %d px, want 1", rows, vp.Width)
				}
			}
			tab.ExpectNoPageOverflow()

			menu(tab, vp, "More")
			expectHeading(t, tab, "More")
			checked(t, tab)
			tab.ExpectNoPageOverflow()
			text := tab.Text()
			for _, want := range append([]string{"Casework", "Records"}, more...) {
				if !strings.Contains(text, want) {
					t.Errorf("More lacks %q:\n%s", want, text)
				}
			}
			tab.Click("Import the roll")
			expectHeading(t, tab, "Import the roll")

			// Without JavaScript the links are a plain list, and More a plain link.
			tab.DisableJavaScript()
			tab.Go("/queue")
			tab.Click("More")
			expectHeading(t, tab, "More")
			tab.ExpectNoPageOverflow()
		})
	}
}
