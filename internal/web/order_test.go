package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// A step out of order (deciding before acknowledging, closing before a
// decision, reopening an open concern) is said before the DSL types, with
// the step that must come first offered; posted from an old tab it keeps
// what was typed. It is never the "This concern has changed" page, which
// stays for a real conflict (issue 15, item 4).
func TestOrderRulesAreSaidBeforeTypingAndAreNotConflicts(t *testing.T) {
	t.Parallel()
	s := newDSLSite(t)
	ref := s.report(t, s.staffClient(t, "sam@brookfield.test"), s.amara.ID)
	dsl := signInWithCode(t, s.site, "dsl@brookfield.test", s.dslSecret)
	base := "/concerns/" + ref

	notConflict := func(t *testing.T, body string) {
		t.Helper()
		if strings.Contains(visible(body), "This concern has changed") || strings.Contains(visible(body), "Nothing has been overwritten") {
			t.Errorf("an order rule is shown as a conflict:\n%s", visible(body))
		}
	}

	t.Run("a decision before acknowledging", func(t *testing.T) {
		r := dsl.Get(base + "/decision")
		expectStatus(t, r, http.StatusOK, "the decision page of a new concern")
		notConflict(t, r.Body)
		if !strings.Contains(visible(r.Body), "Acknowledge the concern before recording a decision.") ||
			!strings.Contains(visible(r.Body), "Acknowledge and continue") {
			t.Errorf("the page does not say what comes first:\n%s", visible(r.Body))
		}
		if strings.Contains(r.Body, `name="reason"`) {
			t.Error("the decision form can be filled in before acknowledging")
		}
		posted := dsl.PostForm(base+"/decision", url.Values{"version": {"1"}, "outcome": {"social_care"},
			"reason": {"My careful reason"}, "parents": {"told"}, "childs_wishes": {"Wants it to stop"}})
		expectStatus(t, posted, http.StatusConflict, "a decision posted before acknowledging")
		notConflict(t, posted.Body)
		if !strings.Contains(posted.Body, "My careful reason") || !strings.Contains(visible(posted.Body), "Acknowledge and continue") {
			t.Errorf("what was typed is lost, or nothing is offered:\n%s", visible(posted.Body))
		}
	})

	t.Run("closing before acknowledging", func(t *testing.T) {
		r := dsl.Get(base + "/close")
		notConflict(t, r.Body)
		if !strings.Contains(visible(r.Body), "Acknowledge the concern before closing it.") || strings.Contains(r.Body, `name="summary"`) {
			t.Errorf("the close page:\n%s", visible(r.Body))
		}
	})

	t.Run("acknowledge and continue returns to the decision page", func(t *testing.T) {
		expectRedirect(t, dsl.PostForm(base+"/acknowledge", url.Values{"version": {"1"}, "then": {"decision"}}), base+"/decision")
		r := dsl.Get(base + "/decision")
		if !strings.Contains(r.Body, `name="reason"`) || strings.Contains(visible(r.Body), "Acknowledge and continue") {
			t.Errorf("after acknowledging, the decision page:\n%s", visible(r.Body))
		}
	})

	t.Run("closing before a decision", func(t *testing.T) {
		r := dsl.Get(base + "/close")
		expectStatus(t, r, http.StatusOK, "the close page without a decision")
		notConflict(t, r.Body)
		if !strings.Contains(visible(r.Body), "Record a decision before closing the concern.") || strings.Contains(r.Body, `name="summary"`) ||
			!strings.Contains(r.Body, `href="`+base+`/decision"`) {
			t.Errorf("the close page:\n%s", visible(r.Body))
		}
		posted := dsl.PostForm(base+"/close", url.Values{"version": {"2"}, "summary": {"My careful summary"}})
		expectStatus(t, posted, http.StatusConflict, "closing posted before a decision")
		notConflict(t, posted.Body)
		if !strings.Contains(posted.Body, "My careful summary") {
			t.Errorf("the summary typed is lost:\n%s", visible(posted.Body))
		}
	})

	t.Run("reopening an open concern", func(t *testing.T) {
		r := dsl.Get(base + "/reopen")
		notConflict(t, r.Body)
		if !strings.Contains(visible(r.Body), "Only a closed concern can be reopened: this one is open.") || strings.Contains(r.Body, `name="reason"`) {
			t.Errorf("the reopen page:\n%s", visible(r.Body))
		}
		posted := dsl.PostForm(base+"/reopen", url.Values{"version": {"2"}, "reason": {"My careful reason to reopen"}})
		expectStatus(t, posted, http.StatusConflict, "reopening an open concern")
		notConflict(t, posted.Body)
		if !strings.Contains(posted.Body, "My careful reason to reopen") {
			t.Errorf("the reason typed is lost:\n%s", visible(posted.Body))
		}
	})

	t.Run("a stale version is still a conflict", func(t *testing.T) {
		r := dsl.PostForm(base+"/close", url.Values{"version": {"1"}, "summary": {"From an old tab"}})
		expectStatus(t, r, http.StatusConflict, "a stale closure")
		if !strings.Contains(visible(r.Body), "This concern has changed") || !strings.Contains(visible(r.Body), "From an old tab") {
			t.Errorf("the conflict page:\n%s", visible(r.Body))
		}
	})
}
