package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/havenschools/haven/internal/browsertest"
	"github.com/havenschools/haven/internal/pupil"
)

// fillAConcern fills in the form about Amara, the way a person does, with
// "Have you told a DSL in person?" answered told.
func fillAConcern(tab *browsertest.Tab, told string) {
	tab.Choose("Is the child in immediate danger?", "No")
	findAndAddChild(tab, "Child", "okafor", "Amara Okafor")
	tab.Fill("What happened?", "Amara said an older man waits for her after school in a silver car.")
	fillDate(tab, "When did it happen?", pupil.Today(time.Now()).AddDate(0, 0, -1))
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
