package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/auth"
	"github.com/havenschools/haven/internal/web"
)

// checked reports whether the page's checkbox for value is checked.
func checked(body, value string) bool {
	return regexp.MustCompile(`value="` + regexp.QuoteMeta(value) + `"[^>]*checked`).MatchString(body)
}

func TestDSLChangesAChildsDetails(t *testing.T) {
	t.Parallel()
	s := newDSLSite(t)
	dsl := signInWithCode(t, s.site, "dsl@brookfield.test", s.dslSecret)
	child := "/children/" + i64(s.amara.ID)
	details := child + "/details"

	page := dsl.Get(child)
	expectStatus(t, page, http.StatusOK, "the child's page")
	if !strings.Contains(page.Body, `href="`+details+`"`) || !strings.Contains(visible(page.Body), "Change details") {
		t.Errorf("the child's page has no Change details link")
	}

	form := dsl.Get(details)
	expectStatus(t, form, http.StatusOK, "the form")
	for _, want := range []string{"Amara Okafor", "Change details", "Flags", "Looked after", "Child protection plan", "Child in need",
		"SEND", "EHCP", "Social worker", "come from the school’s roll", "Save details"} {
		if !strings.Contains(visible(form.Body), want) {
			t.Errorf("the form lacks %q", want)
		}
	}
	if !strings.Contains(form.Body, `<legend class="govuk-fieldset__legend govuk-fieldset__legend--m">Flags</legend>`) {
		t.Error("the flags are not in a fieldset with the legend Flags")
	}
	if !strings.Contains(form.Body, `<label class="govuk-label govuk-label--m" for="social_worker">Social worker</label>`) {
		t.Error("the social worker has no visible label")
	}
	for _, name := range []string{"first_name", "last_name", "date_of_birth", "upn"} {
		if strings.Contains(form.Body, `name="`+name+`"`) {
			t.Errorf("the form has a %s field: those come from the roll", name)
		}
	}
	if checked(form.Body, "cp_plan") {
		t.Error("a flag the child does not have is checked")
	}

	r := dsl.PostForm(details, url.Values{"flags": {"cp_plan", "child_in_need"}, "social_worker": {"Jo Marsh, Northshire"}})
	expectSeeOther(t, r, child)
	shown := dsl.Follow(r)
	for _, want := range []string{"The child’s details have been saved", "Child protection plan", "Child in need", "Jo Marsh, Northshire"} {
		if !strings.Contains(visible(shown.Body), want) {
			t.Errorf("after saving, the child's page lacks %q", want)
		}
	}
	if n := s.count(t, "audit_events WHERE action = 'child.details_change' AND subject_id = $1 AND details NOT LIKE '%Marsh%'", i64(s.amara.ID)); n != 1 {
		t.Errorf("audit events = %d, want 1", n)
	}

	again := dsl.Get(details)
	if !checked(again.Body, "cp_plan") || !checked(again.Body, "child_in_need") || checked(again.Body, "ehcp") ||
		!strings.Contains(again.Body, `value="Jo Marsh, Northshire"`) {
		t.Errorf("the form does not show what was saved:\n%s", visible(again.Body))
	}

	t.Run("a social worker too long is shown with what was typed, and nothing is saved", func(t *testing.T) {
		long := strings.Repeat("Jo Marsh ", 56) // 504 bytes
		r := dsl.PostForm(details, url.Values{"flags": {"ehcp"}, "social_worker": {long}})
		expectStatus(t, r, http.StatusUnprocessableEntity, "too long")
		body := visible(r.Body)
		if !strings.Contains(body, "There is a problem") || !strings.Contains(r.Body, `href="#social_worker"`) {
			t.Errorf("no error summary linking to the field:\n%s", body)
		}
		if !strings.Contains(r.Body, `<p id="social_worker-error" class="govuk-error-message"><span class="govuk-visually-hidden">Error:</span> Social worker must be 500 characters or fewer</p>`) {
			t.Errorf("no message next to the field:\n%s", r.Body)
		}
		if !strings.Contains(r.Body, `value="`+long+`"`) || !checked(r.Body, "ehcp") || checked(r.Body, "cp_plan") {
			t.Error("what was typed is not kept")
		}
		if !strings.HasPrefix(strings.TrimSpace(regexp.MustCompile(`(?s)<title>(.*?)</title>`).FindStringSubmatch(r.Body)[1]), "Error:") {
			t.Error("the title does not start with Error:")
		}
		if n := s.count(t, "children WHERE id = $1 AND ehcp", s.amara.ID); n != 0 {
			t.Error("the flag was saved")
		}
	})

	t.Run("staff get what the route table says", func(t *testing.T) {
		staff := s.staffClient(t, "sam@brookfield.test")
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			rule, ok := web.RuleFor(method, "/children/{id}/details")
			if !ok {
				t.Fatalf("%s /children/{id}/details has no rule", method)
			}
			want := http.StatusNotFound
			if !rule.Allows(auth.InSchool, actor.Staff) {
				want = http.StatusForbidden
			}
			var got int
			if method == http.MethodGet {
				got = staff.Get(details).Status
			} else {
				got = staff.PostForm(details, url.Values{"flags": {"looked_after"}}).Status
			}
			if got != want {
				t.Errorf("staff %s %s = %d, want %d", method, details, got, want)
			}
		}
		var la bool
		if err := s.DB.Owner.QueryRow(context.Background(), `SELECT looked_after FROM children WHERE id = $1`, s.amara.ID).Scan(&la); err != nil || la {
			t.Errorf("looked_after = %v (%v), want false", la, err)
		}
	})

	t.Run("an unknown child is not found", func(t *testing.T) {
		if r := dsl.Get("/children/999999999/details"); r.Status != http.StatusNotFound {
			t.Errorf("GET = %d, want 404", r.Status)
		}
		if r := dsl.PostForm("/children/999999999/details", url.Values{"social_worker": {strings.Repeat("x", 501)}}); r.Status != http.StatusNotFound {
			t.Errorf("POST with a problem = %d, want 404", r.Status)
		}
	})
}
