package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/apptest"
	"github.com/havenschools/haven/internal/mailtest"
)

// signedInWithCode signs a person with an authenticator app in, with the
// app's code offset steps from now.
func signedInWithCode(t *testing.T, s *site, email, secret string, steps int) *apptest.Client {
	t.Helper()
	c := s.Client(t)
	expectRedirect(t, signIn(t, c, email, password), "/sign-in/security-code")
	code, err := totp.GenerateCode(secret, time.Now().Add(time.Duration(steps)*30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	expectRedirect(t, c.PostForm("/sign-in/security-code", url.Values{"code": {code}}), "/")
	return c
}

func TestGivingTheDSLRoleTakesTwoPeople(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	admin := s.person(t, "admin@brookfield.test", actor.Admin)
	dsl := s.person(t, "dsl@brookfield.test", actor.Staff)
	staff := s.person(t, "sam@brookfield.test", actor.Staff)
	adminC := signedInWithCode(t, s, "admin@brookfield.test", s.enrol(t, admin.UserID), 0)
	userPath := func(a actor.Actor) string { return "/admin/users/" + i64(a.UserID) }

	// The school's first DSL applies at once; then the DSL signs in.
	expectRedirect(t, adminC.PostForm(userPath(dsl)+"/role", url.Values{"role": {"dsl"}}), userPath(dsl))
	dslC := signedInWithCode(t, s, "dsl@brookfield.test", s.enrol(t, dsl.UserID), 0)

	// A second DSL waits for the first's approval.
	expectRedirect(t, adminC.PostForm(userPath(staff)+"/role", url.Values{"role": {"deputy"}}), userPath(staff))
	page := adminC.Get(userPath(staff))
	if !strings.Contains(visible(page.Body), "A DSL or the head must approve this change") ||
		!strings.Contains(visible(page.Body), "Waiting for approval") {
		t.Errorf("the person's page does not say the change waits:\n%s", visible(page.Body))
	}
	if r := adminC.Get("/role-requests"); r.Status != http.StatusForbidden {
		t.Errorf("an admin on Role requests: %d, want 403", r.Status)
	}
	reqs := dslC.Get("/role-requests")
	m := regexp.MustCompile(`action="/role-requests/(\d+)/approve"`).FindStringSubmatch(reqs.Body)
	if m == nil || !strings.Contains(visible(reqs.Body), "Staff to Deputy DSL") {
		t.Fatalf("the DSL's Role requests page:\n%s", visible(reqs.Body))
	}
	expectRedirect(t, dslC.PostForm("/role-requests/"+m[1]+"/approve", nil), "/role-requests")
	if got := visible(dslC.Get("/role-requests").Body); !strings.Contains(got, "Approved") || !strings.Contains(got, "There are no role requests waiting") {
		t.Errorf("after approval:\n%s", got)
	}
	if !strings.Contains(visible(adminC.Get(userPath(staff)).Body), "Role Deputy DSL") {
		t.Error("the role did not change")
	}
	if n := s.count(t, "audit_events WHERE action IN ('user.role_request', 'user.role_approve', 'user.role_change') AND school_id = $1", s.school); n != 3 {
		t.Errorf("role events audited = %d, want 3 (first grant, request, approval)", n)
	}
}

func TestAdminPages(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	admin := s.person(t, "admin@brookfield.test", actor.Admin)
	staff := s.person(t, "sam@brookfield.test", actor.Staff)
	c := signedInWithCode(t, s, "admin@brookfield.test", s.enrol(t, admin.UserID), 0)

	t.Run("an invitation with problems keeps what was typed", func(t *testing.T) {
		r := c.PostForm("/admin/users/invite", url.Values{"name": {"Dana Lee"}, "email": {"dana@"}, "role": {"staff"}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `value="Dana Lee"`) ||
			!strings.Contains(visible(r.Body), "Enter an email address in the correct format") {
			t.Errorf("%d\n%s", r.Status, visible(r.Body))
		}
		expectRedirect(t, c.PostForm("/admin/users/invite", url.Values{"name": {"Dana Lee"}, "email": {"dana@brookfield.test"}, "role": {"staff"}}), "/admin/users")
		if got := visible(c.Get("/admin/users").Body); !strings.Contains(got, "Invitation sent to dana@brookfield.test") ||
			!strings.Contains(got, "Invitations not yet accepted") {
			t.Errorf("the Users page after inviting:\n%s", got)
		}
	})
	t.Run("deactivating ends the person's session", func(t *testing.T) {
		sc := s.Client(t)
		expectRedirect(t, signIn(t, sc, "sam@brookfield.test", password), "/")
		expectRedirect(t, c.PostForm("/admin/users/"+i64(staff.UserID)+"/deactivate", nil), "/admin/users/"+i64(staff.UserID))
		expectRedirect(t, sc.Get("/account"), "/sign-in")
		if got := visible(c.Get("/admin/users/" + i64(staff.UserID)).Body); !strings.Contains(got, "Reactivate account") {
			t.Errorf("no reactivation offered:\n%s", got)
		}
		if r := c.PostForm("/admin/users/"+i64(admin.UserID)+"/deactivate", nil); r.Status != http.StatusForbidden {
			t.Errorf("deactivating oneself: %d, want 403", r.Status)
		}
		if r := c.Get("/admin/users/999999"); r.Status != http.StatusNotFound {
			t.Errorf("an unknown person: %d, want 404", r.Status)
		}
	})
	t.Run("school settings are saved, and problems shown beside their fields", func(t *testing.T) {
		form := url.Values{"name": {"Brookfield Primary School"}, "dsl_name": {"Priya Shah", ""}, "dsl_phone": {"01632 960001", ""},
			"front_door_name": {"MASH"}, "front_door_phone": {"01632 960100"}, "out_of_hours_name": {""}, "out_of_hours_phone": {""},
			"day_starts": {"8:45"}, "day_ends": {"15:15"}, "school_days": {"1", "2", "3", "4", "5"}, "categories": {"Neglect\nOther"},
			"urgent_minutes": {"10"}, "escalation_hours": {"12"}, "cumulative_count": {"3"}, "cumulative_days": {"90"},
			"cse_staff": {"2"}, "require_2fa": {"no"}}
		expectRedirect(t, c.PostForm("/admin/settings", form), "/admin/settings")
		got := c.Get("/admin/settings")
		if !strings.Contains(visible(got.Body), "School settings saved") || !strings.Contains(got.Body, `value="08:45"`) ||
			!strings.Contains(got.Body, `value="Priya Shah"`) || !strings.Contains(visible(got.Body), "Brookfield Primary School") {
			t.Errorf("after saving:\n%s", visible(got.Body))
		}
		form.Set("day_ends", "07:00")
		form["dsl_phone"] = []string{"ring me", ""}
		r := c.PostForm("/admin/settings", form)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `href="#dsl-phone-1"`) ||
			!strings.Contains(r.Body, `href="#day-ends"`) || !strings.Contains(r.Body, `value="ring me"`) {
			t.Errorf("%d\n%s", r.Status, visible(r.Body))
		}
		if n := s.count(t, "audit_events WHERE action = 'school.settings_change'"); n != 1 {
			t.Errorf("settings changes audited = %d, want 1", n)
		}
		start := url.Values{"term_name": {"Autumn term 2026"}, "starts-day": {"3"}, "starts-month": {"9"}, "starts-year": {"2026"},
			"ends-day": {"18"}, "ends-month": {"12"}, "ends-year": {"2026"}}
		expectRedirect(t, c.PostForm("/admin/settings/terms", start), "/admin/settings/terms")
		if got := visible(c.Get("/admin/settings/terms").Body); !strings.Contains(got, "Autumn term 2026 3 September 2026 18 December 2026") {
			t.Errorf("terms page:\n%s", got)
		}
	})
}

// TestTermDates: an admin is told when term dates are missing or have
// ended (on the home page and, for DSLs, the transfer pages), and sets a
// school year's terms in one form, problems beside the row they belong to.
func TestTermDates(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	admin := s.person(t, "admin@brookfield.test", actor.Admin)
	dsl := s.person(t, "dsl@brookfield.test", actor.DSL)
	c := signedInWithCode(t, s, "admin@brookfield.test", s.enrol(t, admin.UserID), 0)
	d := signedInWithCode(t, s, "dsl@brookfield.test", s.enrol(t, dsl.UserID), 0)
	const missing = "No term dates are set"

	if got := visible(c.Get("/").Body); !strings.Contains(got, missing) || !strings.Contains(got, "Set the term dates") {
		t.Errorf("the admin's home page does not ask for term dates:\n%.2000s", got)
	}
	if got := visible(d.Get("/transfers").Body); !strings.Contains(got, missing) || !strings.Contains(got, "Ask your school’s admin") {
		t.Errorf("the DSL's transfers page does not say term dates are missing:\n%.2000s", got)
	}
	if got := visible(d.Get("/").Body); strings.Contains(got, missing) {
		t.Error("the DSL's home page shows the admin's prompt")
	}

	// Last year's terms only: they have ended.
	last := url.Values{"term_name": {"Summer 2025"}, "starts-day": {"2"}, "starts-month": {"6"}, "starts-year": {"2025"},
		"ends-day": {"18"}, "ends-month": {"7"}, "ends-year": {"2025"}}
	expectRedirect(t, c.PostForm("/admin/settings/terms", last), "/admin/settings/terms")
	if got := visible(c.Get("/").Body); !strings.Contains(got, "The term dates end on 18 July 2025") {
		t.Errorf("ended term dates are not called so:\n%.2000s", got)
	}

	now := time.Now()
	year := url.Values{}
	set := func(n int, name string, from, to time.Time) {
		k := "term-" + strconv.Itoa(n) + "-"
		year.Set(k+"name", name)
		for part, d := range map[string]time.Time{"starts": from, "ends": to} {
			year.Set(k+part+"-day", strconv.Itoa(d.Day()))
			year.Set(k+part+"-month", strconv.Itoa(int(d.Month())))
			year.Set(k+part+"-year", strconv.Itoa(d.Year()))
		}
	}
	set(1, "This term", now.AddDate(0, 0, -20), now.AddDate(0, 0, 20))
	set(2, "Next term", now.AddDate(0, 0, 30), now.AddDate(0, 0, 80))
	year.Set("term-2-ends-day", "32")
	r := c.PostForm("/admin/settings/terms/year", year)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `href="#term-2-ends-day"`) ||
		!strings.Contains(r.Body, `value="Next term"`) || !strings.Contains(r.Body, `value="This term"`) {
		t.Errorf("a bad date in row 2: %d\n%.3000s", r.Status, visible(r.Body))
	}
	if n := s.count(t, "school_terms WHERE school_id = $1", s.school); n != 1 {
		t.Errorf("terms after a refused year = %d, want 1 (nothing half-stored)", n)
	}
	set(2, "Next term", now.AddDate(0, 0, 30), now.AddDate(0, 0, 80))
	expectRedirect(t, c.PostForm("/admin/settings/terms/year", year), "/admin/settings/terms")
	if got := visible(c.Get("/admin/settings/terms").Body); !strings.Contains(got, "Terms added") || !strings.Contains(got, "This term") ||
		!strings.Contains(got, "Next term") || !strings.Contains(got, "Summer bank holiday") {
		t.Errorf("the terms page after adding a year:\n%.3000s", got)
	}
	if got := visible(c.Get("/").Body); strings.Contains(got, missing) || strings.Contains(got, "The term dates end") {
		t.Errorf("the prompt stays once term dates reach today:\n%.2000s", got)
	}
	if got := visible(d.Get("/transfers").Body); strings.Contains(got, "Ask your school’s admin") {
		t.Error("the transfers page still warns")
	}
	if r := d.PostForm("/admin/settings/terms/year", year); r.Status != http.StatusForbidden {
		t.Errorf("a DSL adding terms: %d, want 403", r.Status)
	}
}

func TestForgottenPassword(t *testing.T) {
	t.Parallel()
	s := newSite(t, apptest.WithMail())
	s.person(t, "sam@brookfield.test", actor.Staff)
	c := s.Client(t)

	known := c.PostForm("/forgot-password", url.Values{"email": {"sam@brookfield.test"}})
	unknown := c.PostForm("/forgot-password", url.Values{"email": {"nobody@brookfield.test"}})
	norm := func(b string) string {
		return strings.NewReplacer("sam@brookfield.test", "X", "nobody@brookfield.test", "X").Replace(nonceAttrRE.ReplaceAllString(b, ""))
	}
	if known.Status != http.StatusOK || norm(known.Body) != norm(unknown.Body) {
		t.Errorf("the answers differ: %d and %d", known.Status, unknown.Status)
	}
	mail := s.Mail.WaitFor(t, func(m mailtest.Summary) bool { return m.SentTo("sam@brookfield.test") }, 30*time.Second)
	link := regexp.MustCompile(regexp.QuoteMeta(s.URL) + `(/reset-password/[A-Za-z0-9_-]+)`).FindStringSubmatch(mail.Text)
	if link == nil {
		t.Fatalf("no reset link in:\n%s", mail.Text)
	}
	if r := c.Get(link[1]); r.Status != http.StatusOK || !strings.Contains(r.Body, `for="password">Create a password</label>`) {
		t.Fatalf("the reset page: %d\n%s", r.Status, visible(r.Body))
	}
	r := c.PostForm(link[1], url.Values{"password": {"short"}, "confirm": {"short"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(visible(r.Body), "12 characters or more") {
		t.Errorf("a short password: %d\n%s", r.Status, visible(r.Body))
	}
	expectRedirect(t, c.PostForm(link[1], url.Values{"password": {"violet kettle harbour nine"}, "confirm": {"violet kettle harbour nine"}}), "/sign-in")
	if got := visible(c.Get("/sign-in").Body); !strings.Contains(got, "Your password has been saved") {
		t.Errorf("no confirmation:\n%s", got)
	}
	expectRedirect(t, signIn(t, c, "sam@brookfield.test", "violet kettle harbour nine"), "/")
	if r := c.Get(link[1]); r.Status != http.StatusNotFound || !strings.Contains(visible(r.Body), "This link has expired") {
		t.Errorf("the used link: %d", r.Status)
	}
	if n := len(s.Mail.Messages(t)); n != 1 {
		t.Errorf("%d emails sent, want 1 (none for the unknown address)", n)
	}
}
