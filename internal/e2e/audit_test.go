package e2e

import (
	"strings"
	"testing"

	"github.com/havenschools/haven/internal/browsertest"
)

// The DSL reads the school's audit log on a phone and at a desk, filtered,
// with the concerns about adults only counted; the head reads only the
// part about the concerns about adults she handles — not the one about
// her, which the chair reads.
func TestTheDSLAndTheHeadReadTheAuditLog(t *testing.T) {
	s := newAdultsSchool(t)
	staff := s.signIn(t, "sam@brookfield.test", browsertest.Desktop)
	aboutColin, _ := reportAboutAnAdult(t, staff, browsertest.Desktop, "Colin Colleague", "Teacher",
		"Colin shouted at a Year 6 pupil in the corridor.", "")
	aboutHead, _ := reportAboutAnAdult(t, staff, browsertest.Desktop, "Hazel Head", "Headteacher",
		"The head pulled a Year 6 pupil out of the hall by his arm.", "")

	dsl := s.signIn(t, "dee@brookfield.test", browsertest.Phone)
	for _, vp := range []browsertest.Viewport{browsertest.Phone, browsertest.Desktop} {
		dsl.SetViewport(vp)
		dsl.Go("/audit")
		expectHeading(t, dsl, "Audit log")
		checked(t, dsl)
		text := dsl.Text()
		if !strings.Contains(text, "auth.sign_in") || !strings.Contains(text, "entries about concerns about adults are not shown") {
			t.Errorf("the DSL's audit log (%s):\n%s", vp.Name, text)
		}
		if strings.Contains(text, aboutColin) || strings.Contains(text, aboutHead) || strings.Contains(text, "allegation.") {
			t.Errorf("the DSL's audit log (%s) shows a concern about an adult:\n%s", vp.Name, text)
		}
	}
	dsl.Fill("Action", "auth")
	dsl.Click("Filter the log")
	expectHeading(t, dsl, "Audit log")
	checked(t, dsl)
	if text := dsl.Text(); !strings.Contains(text, "auth.sign_in") || strings.Contains(text, "concern.submit") {
		t.Errorf("the DSL's log filtered by auth:\n%s", text)
	}

	head := s.signIn(t, "hazel@brookfield.test", browsertest.Desktop)
	for _, vp := range []browsertest.Viewport{browsertest.Desktop, browsertest.Phone} {
		head.SetViewport(vp)
		head.Go("/audit")
		expectHeading(t, head, "Audit log")
		checked(t, head)
		text := head.Text()
		if !strings.Contains(text, "concerns about adults that you handle") || !strings.Contains(text, aboutColin) {
			t.Errorf("the head's audit log (%s):\n%s", vp.Name, text)
		}
		if strings.Contains(text, aboutHead) || strings.Contains(text, "auth.sign_in") {
			t.Errorf("the head's audit log (%s) shows more than the concerns she handles:\n%s", vp.Name, text)
		}
	}

	chair := s.signIn(t, "gwen@brookfield.test", browsertest.Phone)
	chair.Go("/audit")
	expectHeading(t, chair, "Audit log")
	checked(t, chair)
	if text := chair.Text(); !strings.Contains(text, aboutHead) || strings.Contains(text, aboutColin) {
		t.Errorf("the chair's audit log:\n%s", text)
	}
}
