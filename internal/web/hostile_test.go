package web_test

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/apptest"
	"github.com/havenschools/haven/internal/concern"
	"github.com/havenschools/haven/internal/mailtest"
	"github.com/havenschools/haven/internal/pupil"
	"github.com/havenschools/haven/internal/validate"
	"github.com/havenschools/haven/internal/when"
)

// Hostile input (issue 9): script, markup, SQL and right-to-left override
// characters are stored exactly as typed and shown as text; NUL bytes and
// 100 KB strings are refused with a message beside the field. The browser
// test in internal/e2e (TestInjectedScriptNeverRuns) shows the same pages
// run none of it, and that the Content-Security-Policy blocks inline script.

// hostile are texts that must be stored literally and shown as text.
var hostile = []struct{ name, text string }{
	{"script element", `<script>window.__pwned=1</script>`},
	{"attribute break-out", `"><img src=x onerror="window.__pwned=1">`},
	{"javascript URL", `javascript:window.__pwned=1`},
	{"SQL", `'); DROP TABLE concerns; --`},
	{"right-to-left override", "Payment to \u202Eexe.tnuocca\u202C"},
	{"template syntax", `{{ .Secret }} ${7*7} <%= 7*7 %>`},
}

// refused are texts no free-text field accepts, and the message it shows.
var refused = []struct{ name, text, message string }{
	{"NUL byte", "before\x00after", "cannot be stored"},
	{"100 KB", strings.Repeat("A", 100<<10), ""},
	{"invalid UTF-8", "bad \xff\xfe bytes", "cannot be stored"},
}

// expectShownAsText checks a page shows text as text: its visible text has
// it, and its markup has no unescaped '<' or '"' of it.
func expectShownAsText(t *testing.T, what string, r apptest.Response, text string) {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Errorf("%s: status %d", what, r.Status)
		return
	}
	if strings.ContainsAny(text, `<>"`) && strings.Contains(r.Body, text) {
		t.Errorf("%s: the page has %q unescaped", what, text)
	}
	if !strings.Contains(html.UnescapeString(r.Body), text) {
		t.Errorf("%s: the page does not show %q", what, text)
	}
}

func TestHostileTextInTheConcernFormIsStoredLiterallyOrRefused(t *testing.T) {
	t.Parallel()
	s := newDSLSite(t)
	staff := s.staffClient(t, "sam@brookfield.test")
	dsl := signInWithCode(t, s.site, "dsl@brookfield.test", s.dslSecret)
	// The form's free-text fields and their columns.
	fields := map[string]string{"account": "account", "childs_words": "childs_words", "location": "location", "actions_taken": "actions_taken"}

	for field, column := range fields {
		for _, h := range hostile {
			t.Run(field+" with "+h.name, func(t *testing.T) {
				form := filledForm(openForm(t, staff), s.amara.ID)
				form.Set(field, h.text)
				r := staff.PostForm("/concerns", form)
				ref := refRE.FindString(r.Location())
				if r.Status != http.StatusSeeOther || ref == "" {
					t.Fatalf("submit: %d\n%.1500s", r.Status, visible(r.Body))
				}
				var stored string
				if err := s.DB.Owner.QueryRow(context.Background(), "SELECT "+column+" FROM concerns WHERE school_id = $1 AND ref = $2",
					s.school, ref).Scan(&stored); err != nil {
					t.Fatal(err)
				}
				if stored != h.text {
					t.Errorf("stored %q, typed %q", stored, h.text)
				}
				expectShownAsText(t, "the author's concern page", staff.Get("/concerns/"+ref), h.text)
				expectShownAsText(t, "the DSL's concern page", dsl.Get("/concerns/"+ref), h.text)
			})
		}
		for _, x := range refused {
			t.Run(field+" with "+x.name, func(t *testing.T) {
				form := filledForm(openForm(t, staff), s.amara.ID)
				form.Set(field, x.text)
				r := staff.PostForm("/concerns", form)
				text := visible(r.Body)
				if r.Status != http.StatusUnprocessableEntity || !strings.Contains(text, "There is a problem") ||
					!strings.Contains(r.Body, `href="#`+field+`"`) || !strings.Contains(text, x.message) {
					t.Errorf("%d, want 422 with a message on %s\n%.1500s", r.Status, field, text)
				}
			})
		}
	}
	if n := s.count(t, "concerns WHERE account LIKE 'before%' OR length(account) > 50000"); n != 0 {
		t.Errorf("%d refused concerns stored", n)
	}
}

func TestHostileTextElsewhereIsShownAsText(t *testing.T) {
	t.Parallel()
	s := newDSLSite(t)
	staff := s.staffClient(t, "sam@brookfield.test")
	dsl := signInWithCode(t, s.site, "dsl@brookfield.test", s.dslSecret)
	script := hostile[0].text
	breakout := hostile[1].text

	// A child whose name is markup (names may hold '<'; they may not hold
	// right-to-left overrides, which can disguise a name).
	kids := pupil.NewService(s.DB.App)
	child, err := kids.AddInline(context.Background(), actor.SystemIn(s.school), pupil.NewChild{FirstName: script, LastName: breakout,
		YearGroup: ptr(pupil.YearGroup(7))})
	if err != nil {
		t.Fatal(err)
	}
	_, err = kids.AddInline(context.Background(), actor.SystemIn(s.school), pupil.NewChild{FirstName: "Amy\u202E", LastName: "Lee",
		YearGroup: ptr(pupil.YearGroup(7))})
	if _, ok := errors.AsType[validate.Problems](err); !ok {
		t.Errorf("a name with a right-to-left override: %v, want a problem", err)
	}

	// A concern about that child, with a file whose name is markup.
	id := openForm(t, staff)
	upload(t, staff, s.URL, id, breakout+".pdf", []byte("%PDF-1.7\n%%EOF\n"), nil)
	form := filledForm(id, child.ID)
	form.Del("indicators")
	form.Set("account", script)
	r := staff.PostForm("/concerns", form)
	ref := refRE.FindString(r.Location())
	if r.Status != http.StatusSeeOther || ref == "" {
		t.Fatalf("submit: %d\n%.1500s", r.Status, visible(r.Body))
	}
	concernPage := "/concerns/" + ref
	// A file's name is cleaned (no quotes, slashes, control or
	// bidirectional characters), then shown as text like the rest.
	expectShownAsText(t, "the concern page (file name)", dsl.Get(concernPage), concern.CleanName(breakout+".pdf", "application/pdf"))
	expectSeeOther(t, staff.PostForm(concernPage+"/addenda", url.Values{"addendum": {breakout}}), concernPage)
	expectShownAsText(t, "the addendum", dsl.Get(concernPage), breakout)
	for _, x := range refused {
		r := staff.PostForm(concernPage+"/addenda", url.Values{"addendum": {x.text}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(visible(r.Body), "There is a problem") {
			t.Errorf("an addendum with %s: %d, want 422 with a message", x.name, r.Status)
		}
	}

	page := dsl.Get(concernPage)
	expectSeeOther(t, dsl.PostForm(concernPage+"/acknowledge", url.Values{"version": {version(t, page.Body)}}), concernPage)
	v := version(t, dsl.Get(concernPage).Body)
	expectSeeOther(t, dsl.PostForm(concernPage+"/decision", url.Values{"version": {v}, "outcome": {"social_care"},
		"reason": {script}, "parents": {"not_told"}, "parents_why_not": {breakout}, "childs_wishes": {hostile[3].text}}), concernPage)
	page = dsl.Get(concernPage)
	for _, text := range []string{script, breakout, hostile[3].text} {
		expectShownAsText(t, "the decision", page, text)
	}
	childPage := "/children/" + i64(child.ID)
	for _, path := range []string{"/queue", childPage, childPage + "/chronology", childPage + "/chronology/print", "/my-concerns"} {
		c := dsl
		if path == "/my-concerns" {
			c = staff
		}
		expectShownAsText(t, "GET "+path+" (the child's name)", c.Get(path), script)
	}
	// A hostile reference in a query is shown back as text, or not at all.
	r = dsl.Get("/queue?status=" + url.QueryEscape(breakout))
	if strings.Contains(r.Body, breakout) || r.Status >= 500 {
		t.Errorf("the queue with a hostile filter: %d, shows it unescaped", r.Status)
	}
}

func TestHostileTextInAdminPagesAndEmails(t *testing.T) {
	t.Parallel()
	s := newSite(t, apptest.WithMail())
	admin := s.person(t, "admin@brookfield.test", actor.Admin)
	c := signInWithCode(t, s, "admin@brookfield.test", s.enrol(t, admin.UserID))
	script, breakout := hostile[0].text, hostile[1].text

	expectSeeOther(t, c.PostForm("/admin/settings/terms", url.Values{"term_name": {script},
		"starts-day": {"1"}, "starts-month": {"9"}, "starts-year": {"2026"}, "ends-day": {"18"}, "ends-month": {"12"}, "ends-year": {"2026"}}),
		"/admin/settings/terms")
	expectShownAsText(t, "the terms page", c.Get("/admin/settings/terms"), script)

	// A school name an admin typed with markup in it (names may hold '<').
	if _, err := s.DB.Owner.Exec(context.Background(), `UPDATE schools SET name = 'Brookfield ' || $2 WHERE id = $1`, s.school, script); err != nil {
		t.Fatal(err)
	}
	expectSeeOther(t, c.PostForm("/admin/users/invite", url.Values{"name": {breakout}, "email": {"dana@brookfield.test"}, "role": {"staff"}}),
		"/admin/users")
	expectShownAsText(t, "the users page", c.Get("/admin/users"), breakout)

	// The invitation email is plain text, whatever the names hold: no
	// markup to run, and no header made from them.
	msg := s.Mail.WaitFor(t, func(m mailtest.Summary) bool { return m.Subject == "You are invited to Haven" }, 30*time.Second)
	if msg.HTML != "" || !strings.Contains(msg.Text, "Brookfield "+script) {
		t.Errorf("the invitation email: HTML %q, text %q", msg.HTML, msg.Text)
	}

	// The audit log page shows a hostile filter as text, and refuses what
	// is not a filter.
	r := c.Get("/audit?action=" + url.QueryEscape(script))
	if strings.Contains(r.Body, script) || r.Status >= 500 {
		t.Errorf("the audit log with a hostile filter: %d, shows it unescaped\n%.1500s", r.Status, visible(r.Body))
	}
	r = c.Get("/audit?record=" + url.QueryEscape(breakout))
	if strings.Contains(r.Body, breakout) || r.Status >= 500 {
		t.Errorf("the audit log with a hostile record: %d, shows it unescaped", r.Status)
	}

	// NUL and over-long text in an admin's form: refused with a message.
	for _, x := range refused {
		r := c.PostForm("/admin/settings/terms", url.Values{"term_name": {x.text},
			"starts-day": {"1"}, "starts-month": {"1"}, "starts-year": {"2027"}, "ends-day": {"2"}, "ends-month": {"1"}, "ends-year": {"2027"}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(visible(r.Body), "There is a problem") {
			t.Errorf("a term name with %s: %d, want 422 with a message", x.name, r.Status)
		}
	}
}

// TestNextIsOnlyEverALocalPath signs in with ?next= pointing elsewhere in
// every way a browser would follow: each lands on the start page, and a
// path of Haven's own is kept.
func TestNextIsOnlyEverALocalPath(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	s.person(t, "sam@brookfield.test", actor.Staff)
	for _, tc := range []struct{ next, want string }{
		{"https://evil.test/", "/"},
		{"//evil.test/", "/"},
		{"/\\evil.test/", "/"},
		{"/%2F/evil.test", "/"},
		{"/%252F%252Fevil.test", "/"},
		{"/\t/evil.test", "/"},
		{"javascript:alert(1)", "/"},
		{"data:text/html,<script>alert(1)</script>", "/"},
		{" https://evil.test", "/"},
		{"/my-concerns", "/my-concerns"},
	} {
		t.Run(fmt.Sprintf("%q", tc.next), func(t *testing.T) {
			c := s.Client(t)
			c.Get("/sign-in?next=" + url.QueryEscape(tc.next))
			expectRedirect(t, signIn(t, c, "sam@brookfield.test", password), tc.want)
		})
	}
}

// TestInvalidAndFutureDatesAreRefused: the concern form takes a real date
// that is not in the future.
func TestInvalidAndFutureDatesAreRefused(t *testing.T) {
	t.Parallel()
	s := newConcernSite(t)
	staff := s.staffClient(t, "sam@brookfield.test")
	next := when.Today(time.Now()).AddDate(0, 0, 1)
	for _, tc := range []struct {
		name             string
		day, month, year string
		message          string
	}{
		{"31 February", "31", "2", "2026", "must be a real date"},
		{"month 13", "1", "13", "2026", "must be a real date"},
		{"letters", "first", "June", "2026", "must be a real date"},
		{"year 0", "1", "1", "0", "must be a real date"},
		{"tomorrow", fmt.Sprint(next.Day()), fmt.Sprint(int(next.Month())), fmt.Sprint(next.Year()), "must be today or in the past"},
		{"year 9999", "1", "1", "9999", "must be today or in the past"},
		{"a date 40 years ago", "1", "1", fmt.Sprint(next.Year() - 40), "within the last 30 years"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			form := filledForm(openForm(t, staff), s.amara.ID)
			form.Set("happened-day", tc.day)
			form.Set("happened-month", tc.month)
			form.Set("happened-year", tc.year)
			r := staff.PostForm("/concerns", form)
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `href="#happened-day"`) ||
				!strings.Contains(visible(r.Body), tc.message) {
				t.Errorf("%d, want 422 saying %q\n%.1500s", r.Status, tc.message, visible(r.Body))
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
