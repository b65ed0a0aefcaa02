package e2e

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/browsertest"
	"github.com/havenschools/haven/internal/concern"
	"github.com/havenschools/haven/internal/pupil"
	"github.com/havenschools/haven/internal/when"
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

// queueSchool is a reporting school with 13 concerns in its queue, of
// several urgencies and categories, one recorded two days ago.
func queueSchool(t *testing.T) (*reportingSchool, string, []string) {
	t.Helper()
	s := newReportingSchool(t)
	key := s.dslKey(t)
	ctx := context.Background()
	svc := concern.NewService(s.DB.App, s.Jobs, s.URL)
	staff := actor.Actor{SchoolID: s.school, Role: actor.Staff}
	must(t, s.DB.Owner.QueryRow(ctx, `SELECT id FROM users WHERE email = 'sam@brookfield.test'`).Scan(&staff.UserID))
	cats := []string{"cse", "cce", "neglect", "online_safety", "physical_abuse", "emotional_abuse", "self_harm_mental_health",
		"domestic_abuse", "child_on_child", "sexual_violence_harassment", "absent_from_education", "radicalisation", "other"}
	urgencies := []concern.Urgency{concern.High, concern.Low, concern.Medium, ""}
	var refs []string
	for i, cat := range cats {
		child := []pupil.Child{s.amara, s.ben, s.cara}[i%3]
		r, err := svc.Submit(ctx, staff, concern.Form{SubmissionID: concern.NewSubmissionID(), InDanger: "no",
			Children: []concern.FormChild{{ChildID: child.ID, Role: concern.Subject}},
			Account:  "Seen upset at the gate.", Happened: when.DatePartsOf(time.Now().AddDate(0, 0, -1)),
			Seen: when.DatePartsOf(time.Now()), ToldDSL: "not_yet", Categories: []string{cat}})
		must(t, err)
		if u := urgencies[i%len(urgencies)]; u != "" {
			must(t, svc.SetUrgency(ctx, s.dsl, r.Ref, 1, u))
		}
		refs = append(refs, r.Ref)
	}
	return s, key, refs
}

// The queue at a desk is a compact table whose headers sort it; on a phone
// it is cards, with the filters behind "Show filter". Nothing is wider
// than the screen, and the dashboard of the same concerns fits too.
func TestQueueIsATableAtDesktopAndCardsOnAPhone(t *testing.T) {
	s, key, refs := queueSchool(t)
	tableShown := `getComputedStyle(document.querySelector('.haven-queue__table')).display !== 'none'`
	cardsShown := `getComputedStyle(document.getElementById('queue-rows')).display !== 'none'`
	firstRef := `document.querySelector('#queue-table tbody tr a').textContent.split(':')[0].trim()`
	for i, vp := range []browsertest.Viewport{browsertest.SmallPhone, browsertest.Desktop} {
		t.Run(vp.Name, func(t *testing.T) {
			tab := browsertest.NewTab(t, s.URL)
			tab.SetViewport(vp)
			signInWith(tab, "dsl@brookfield.test", staffPassword)
			tab.Fill("Security code", codeAt(t, key, time.Duration(i)*30*time.Second))
			tab.Click("Continue")
			tab.Go("/queue")
			expectHeading(t, tab, "Safeguarding queue")
			checked(t, tab)
			tab.ExpectNoPageOverflow()
			tab.Screenshot("queue-" + vp.Name)
			table, cards := browsertest.Eval[bool](tab, tableShown), browsertest.Eval[bool](tab, cardsShown)
			if vp.Mobile {
				if table || !cards {
					t.Fatalf("on a phone: table shown %v, cards shown %v; want cards only", table, cards)
				}
				if !strings.Contains(tab.Text(), "Child: Amara Okafor") && !strings.Contains(tab.Text(), "Child:Amara Okafor") {
					t.Errorf("the cards do not name the child:\n%s", tab.Text())
				}
				tab.Click("Show filter")
				tab.Select("Urgency", "High")
				tab.Click("Apply filters")
				if !strings.Contains(tab.Path(), "urgency=high") {
					t.Errorf("filtering on a phone went to %s", tab.Path())
				}
				return
			}
			if !table || cards {
				t.Fatalf("at a desk: table shown %v, cards shown %v; want the table only", table, cards)
			}
			text := tab.Text()
			for _, want := range []string{"Urgency", "Concern", "Child", "Status", "Recorded", "Assigned to", "High", "Not set", "Nobody yet"} {
				if !strings.Contains(text, want) {
					t.Errorf("the table lacks %q:\n%s", want, text)
				}
			}
			// The server's order: none acknowledged yet, so oldest first.
			if got := browsertest.Eval[string](tab, firstRef); got != refs[0] {
				t.Errorf("first row %s, want %s (the oldest)", got, refs[0])
			}
			// Sorting by urgency: the four high ones lead, then the medium ones.
			tab.Click("Urgency")
			urgencies := browsertest.Eval[[]string](tab, `[...document.querySelectorAll('#queue-table tbody tr')].map((tr) => tr.cells[0].textContent.trim())`)
			if want := []string{"High", "High", "High", "High", "Medium"}; len(urgencies) != len(refs) || !slices.Equal(urgencies[:5], want) {
				t.Errorf("sorted by urgency: %q, want %q first", urgencies, want)
			}
			// Sorting by when recorded, then back the other way.
			tab.Click("Recorded")
			if got := browsertest.Eval[string](tab, firstRef); got != refs[0] {
				t.Errorf("sorted by Recorded, oldest first: first row %s, want %s", got, refs[0])
			}
			tab.Click("Recorded")
			if got := browsertest.Eval[string](tab, firstRef); got != refs[len(refs)-1] {
				t.Errorf("sorted by Recorded, newest first: first row %s, want %s", got, refs[len(refs)-1])
			}
			if got := browsertest.Eval[string](tab, `document.querySelector('#queue-table th[aria-sort="descending"]').textContent.trim()`); got != "Recorded" {
				t.Errorf("the sorted column is %q, want Recorded", got)
			}
			tab.ExpectNoAxeViolations()

			// The dashboard of 13 categories: nothing past the edge, at a wide screen too.
			for _, w := range []int64{320, 1280, 1920} {
				tab.SetViewport(browsertest.Viewport{Name: "wide", Width: w, Height: 900})
				tab.Go("/dashboard")
				expectHeading(t, tab, "Dashboard")
				tab.ExpectNoPageOverflow()
				tab.Screenshot("dashboard-" + strconv.FormatInt(w, 10))
			}
			checked(t, tab)
		})
	}
}
