package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/apptest"
	"github.com/havenschools/haven/internal/auth"
	"github.com/havenschools/haven/internal/school"
	"github.com/havenschools/haven/internal/web"
)

// site is Haven for one test, with a school to add people to.
type site struct {
	*apptest.App
	auth   *auth.Service
	school int64
}

const password = "tidy otter lamp forty-two"

func newSite(t *testing.T, opts ...apptest.Option) *site {
	t.Helper()
	a := apptest.New(t, opts...)
	sc, err := school.NewService(a.DB.App).Create(context.Background(), actor.Actor{Role: actor.System}, "brookfield", "Brookfield Primary")
	if err != nil {
		t.Fatal(err)
	}
	return &site{App: a, auth: auth.NewService(a.DB.App, a.Jobs, auth.Config{BaseURL: a.URL}), school: sc.ID}
}

// person creates a member of the school with the test password.
func (s *site) person(t *testing.T, email string, role actor.Role) actor.Actor {
	t.Helper()
	return s.personIn(t, s.school, email, role)
}

func (s *site) personIn(t *testing.T, schoolID int64, email string, role actor.Role) actor.Actor {
	t.Helper()
	ctx := context.Background()
	sys := actor.SystemIn(schoolID)
	id, err := s.auth.CreateUser(ctx, sys, auth.NewUser{Email: email, Name: "Pat " + string(role), Role: role})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.auth.SetPassword(ctx, sys, id, password); err != nil {
		t.Fatal(err)
	}
	return actor.Actor{UserID: id, SchoolID: schoolID, Role: role}
}

// enrol gives a user a second factor, confirmed with the previous time
// step's code (so the current step's code is still unused), and returns the
// secret.
func (s *site) enrol(t *testing.T, userID int64) string {
	t.Helper()
	ctx := context.Background()
	en, err := s.auth.StartEnrolment(ctx, userID)
	if err != nil {
		t.Fatal(err)
	}
	secret := strings.ReplaceAll(en.Secret, " ", "")
	code, err := totp.GenerateCode(secret, time.Now().Add(-30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.auth.ConfirmEnrolment(ctx, actor.Source{ClientIP: "192.0.2.1"}, userID, code); err != nil {
		t.Fatal(err)
	}
	return secret
}

func signIn(t *testing.T, c *apptest.Client, email, pw string) apptest.Response {
	t.Helper()
	return c.PostForm("/sign-in", url.Values{"email": {email}, "password": {pw}})
}

func expectRedirect(t *testing.T, r apptest.Response, to string) {
	t.Helper()
	if r.Status != http.StatusSeeOther || r.Location() != to {
		t.Fatalf("got %d to %q, want 303 to %q\n%.2000s", r.Status, r.Location(), to, r.Body)
	}
}

var (
	nonceAttrRE = regexp.MustCompile(`nonce="[^"]*"`)
	visibleRE   = regexp.MustCompile(`<[^>]*>`)
)

// visible is a page's text without tags, spaces folded, for checks on
// what people see.
func visible(body string) string {
	return strings.Join(strings.Fields(visibleRE.ReplaceAllString(body, " ")), " ")
}

func TestSignInAnswersAlikeForUnknownEmailAndWrongPassword(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	s.person(t, "sam@brookfield.test", actor.Staff)
	c := s.Client(t)

	wrong := signIn(t, c, "sam@brookfield.test", "not the password at all")
	unknown := signIn(t, c, "nobody@brookfield.test", "not the password at all")
	if wrong.Status != http.StatusUnprocessableEntity || unknown.Status != wrong.Status {
		t.Fatalf("statuses = %d and %d, want 422 for both", wrong.Status, unknown.Status)
	}
	norm := func(body string) string {
		body = nonceAttrRE.ReplaceAllString(body, `nonce=""`)
		return strings.ReplaceAll(strings.ReplaceAll(body, "nobody@brookfield.test", "EMAIL"), "sam@brookfield.test", "EMAIL")
	}
	if norm(wrong.Body) != norm(unknown.Body) {
		t.Errorf("the pages differ:\n%s\n----\n%s", norm(wrong.Body), norm(unknown.Body))
	}
	if !strings.Contains(visible(wrong.Body), "There is a problem Enter a correct email address and password") {
		t.Errorf("no error summary: %s", visible(wrong.Body))
	}
	if !strings.Contains(wrong.Body, `value="sam@brookfield.test"`) {
		t.Error("the email typed is not kept")
	}
	if strings.Contains(wrong.Body, "not the password at all") {
		t.Error("the password typed is sent back")
	}

	t.Run("and take about as long", func(t *testing.T) {
		// Interleaved, so load on the machine falls on both alike; the
		// bound is loose, but without the dummy hash an unknown email
		// answers in a tenth of the time.
		var known, unknown []time.Duration
		for range 5 {
			for _, email := range []string{"sam@brookfield.test", "nobody@brookfield.test"} {
				start := time.Now()
				signIn(t, c, email, "another wrong password")
				if email == "sam@brookfield.test" {
					known = append(known, time.Since(start))
				} else {
					unknown = append(unknown, time.Since(start))
				}
			}
		}
		slices.Sort(known)
		slices.Sort(unknown)
		k, u := known[2], unknown[2]
		if u < k/3 || k < u/3 {
			t.Errorf("median times: wrong password %v, unknown email %v; want them alike", k, u)
		}
	})
}

func TestStaffSignInAndOut(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	s.person(t, "sam@brookfield.test", actor.Staff)
	c := s.Client(t)

	// A page that needs signing in sends there, and back afterwards.
	expectRedirect(t, c.Get("/account"), "/sign-in")
	before := sessionCookie(t, s, c)
	page := c.Get("/sign-in")
	if !strings.Contains(page.Body, `<label class="govuk-label" for="email">Email address</label>`) ||
		!strings.Contains(page.Body, `<label class="govuk-label" for="password">Password</label>`) {
		t.Errorf("the sign-in page lacks its labelled fields:\n%s", page.Body)
	}
	expectRedirect(t, signIn(t, c, "Sam@Brookfield.test", password), "/account")
	after := sessionCookie(t, s, c)
	if before == "" || after == "" || before == after {
		t.Errorf("session token before %q and after %q sign-in: want it renewed", before, after)
	}
	expectRedirect(t, c.Get("/sign-in"), "/") // already signed in
	acct := c.Get("/account")
	if acct.Status != http.StatusOK || !strings.Contains(visible(acct.Body), "Brookfield Primary") ||
		!strings.Contains(acct.Body, ">Sign out</button>") {
		t.Fatalf("account page: %d\n%s", acct.Status, acct.Body)
	}
	if n := s.count(t, "audit_events WHERE action = 'auth.sign_in' AND school_id = $1", s.school); n != 1 {
		t.Errorf("sign-ins audited = %d, want 1", n)
	}

	r := c.PostForm("/sign-out", nil)
	expectRedirect(t, r, "/sign-in")
	if got := r.Header.Get("Clear-Site-Data"); !strings.Contains(got, `"storage"`) {
		t.Errorf("Clear-Site-Data = %q", got)
	}
	if n := s.count(t, "sessions WHERE token = $1", after); n != 0 {
		t.Error("the session is still stored after sign-out")
	}
	if got := visible(c.Get("/sign-in").Body); !strings.Contains(got, "You have signed out") {
		t.Errorf("no confirmation of signing out:\n%s", got)
	}
	expectRedirect(t, c.Get("/account"), "/sign-in")
	if n := s.count(t, "audit_events WHERE action = 'auth.sign_out' AND school_id = $1", s.school); n != 1 {
		t.Errorf("sign-outs audited = %d, want 1", n)
	}

	t.Run("the old cookie replayed lands on sign-in", func(t *testing.T) {
		replay := s.Client(t)
		u, _ := url.Parse(s.URL)
		replay.HTTP.Jar.SetCookies(u, []*http.Cookie{{Name: "haven_session", Value: after, Path: "/"}})
		expectRedirect(t, replay.Get("/account"), "/sign-in")
	})
}

// sessionCookie returns the client's session token ("" if none).
func sessionCookie(t *testing.T, s *site, c *apptest.Client) string {
	t.Helper()
	u, _ := url.Parse(s.URL)
	for _, ck := range c.HTTP.Jar.Cookies(u) {
		if ck.Name == "haven_session" {
			return ck.Value
		}
	}
	return ""
}

func (s *site) count(t *testing.T, from string, args ...any) int {
	t.Helper()
	var n int
	if err := s.DB.Owner.QueryRow(context.Background(), "SELECT count(*) FROM "+from, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestUsedSecurityCodeIsRefused(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	dsl := s.person(t, "dsl@brookfield.test", actor.DSL)
	secret := s.enrol(t, dsl.UserID)

	first := s.Client(t)
	expectRedirect(t, signIn(t, first, "dsl@brookfield.test", password), "/sign-in/security-code")
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	expectRedirect(t, first.PostForm("/sign-in/security-code", url.Values{"code": {code}}), "/")
	if r := first.Get("/role-requests"); r.Status != http.StatusOK {
		t.Errorf("the DSL's page after the code: %d", r.Status)
	}

	second := s.Client(t)
	expectRedirect(t, signIn(t, second, "dsl@brookfield.test", password), "/sign-in/security-code")
	r := second.PostForm("/sign-in/security-code", url.Values{"code": {code}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(visible(r.Body), "The security code is not correct") {
		t.Errorf("the same code again: %d\n%s", r.Status, visible(r.Body))
	}
	expectRedirect(t, second.Get("/role-requests"), "/sign-in/security-code")
}

func TestDeactivatedUsersSessionEnds(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	staff := s.person(t, "sam@brookfield.test", actor.Staff)
	admin := s.person(t, "admin@brookfield.test", actor.Admin)
	c := s.Client(t)
	expectRedirect(t, signIn(t, c, "sam@brookfield.test", password), "/")
	if r := c.Get("/account"); r.Status != http.StatusOK {
		t.Fatalf("signed in: %d", r.Status)
	}
	admin.Source = actor.Source{ClientIP: "192.0.2.1"}
	if err := s.auth.SetActive(context.Background(), admin, staff.UserID, false); err != nil {
		t.Fatal(err)
	}
	expectRedirect(t, c.Get("/account"), "/sign-in")
	if r := signIn(t, c, "sam@brookfield.test", password); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("signing in again: %d, want 422", r.Status)
	}
}

// TestDSLWithoutSecondFactorReachesNoDSLPage walks every route of the
// permission table as a DSL who has only typed their password: every page
// beyond the second-factor pages sends them to set up their app.
func TestDSLWithoutSecondFactorReachesNoDSLPage(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	s.person(t, "dsl@brookfield.test", actor.DSL)
	c := s.Client(t)
	expectRedirect(t, signIn(t, c, "dsl@brookfield.test", password), "/two-factor/setup")
	checked := 0
	for _, key := range web.RouteKeys() {
		method, pattern, _ := strings.Cut(key, " ")
		rule, _ := web.RuleFor(method, pattern)
		if rule.Public || rule.Stage <= auth.PasswordChecked || strings.Contains(pattern, "*") {
			continue
		}
		path := strings.NewReplacer("{id}", "1", "{token}", "x").Replace(pattern)
		var r apptest.Response
		if method == http.MethodGet {
			r = c.Get(path)
		} else {
			r = c.PostForm(path, url.Values{})
		}
		if r.Status != http.StatusSeeOther || r.Location() != "/two-factor/setup" {
			t.Errorf("%s %s: %d to %q, want 303 to /two-factor/setup", method, path, r.Status, r.Location())
		}
		checked++
	}
	if checked < 10 {
		t.Errorf("only %d routes checked", checked)
	}
	setup := c.Get("/two-factor/setup")
	if setup.Status != http.StatusOK || !strings.Contains(setup.Body, `src="/two-factor/qr.png"`) ||
		!strings.Contains(setup.Body, `for="code">Security code</label>`) {
		t.Errorf("the enrolment page: %d\n%s", setup.Status, setup.Body)
	}
	if qr := c.Get("/two-factor/qr.png"); qr.Status != http.StatusOK || qr.Header.Get("Content-Type") != "image/png" ||
		!strings.HasPrefix(qr.Body, "\x89PNG") || qr.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("the QR code: %d %q %q", qr.Status, qr.Header.Get("Content-Type"), qr.Header.Get("Cache-Control"))
	}
}

func TestRolesAreEnforced(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	s.person(t, "sam@brookfield.test", actor.Staff)
	c := s.Client(t)
	expectRedirect(t, signIn(t, c, "sam@brookfield.test", password), "/")
	for _, path := range []string{"/admin/users", "/admin/settings", "/role-requests"} {
		if r := c.Get(path); r.Status != http.StatusForbidden {
			t.Errorf("staff GET %s: %d, want 403", path, r.Status)
		}
	}
	if r := c.PostForm("/admin/users/invite", url.Values{"email": {"x@y.test"}, "name": {"X"}, "role": {"admin"}}); r.Status != http.StatusForbidden {
		t.Errorf("staff inviting: %d, want 403", r.Status)
	}
}

func TestThrottledSignInSaysWhenToTryAgain(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	c := s.Client(t)
	for range 10 {
		signIn(t, c, "anyone@brookfield.test", "a wrong password")
	}
	r := signIn(t, c, "anyone@brookfield.test", "a wrong password")
	if r.Status != http.StatusTooManyRequests || !strings.Contains(visible(r.Body), "Try again in 5 minutes") {
		t.Errorf("11th attempt: %d\n%s", r.Status, visible(r.Body))
	}
}

func TestSeveralSchools(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	other, err := school.NewService(s.DB.App).Create(context.Background(), actor.Actor{Role: actor.System}, "oakfield", "Oakfield Academy")
	if err != nil {
		t.Fatal(err)
	}
	s.person(t, "sam@brookfield.test", actor.Staff)
	s.personIn(t, other.ID, "sam@brookfield.test", actor.Staff)
	c := s.Client(t)
	expectRedirect(t, signIn(t, c, "sam@brookfield.test", password), "/choose-school")
	expectRedirect(t, c.Get("/account"), "/choose-school")
	r := c.PostForm("/choose-school", url.Values{"school": {"999999"}})
	if r.Status != http.StatusUnprocessableEntity {
		t.Errorf("a school not theirs: %d", r.Status)
	}
	// Back to the page they were going to.
	expectRedirect(t, c.PostForm("/choose-school", url.Values{"school": {i64(other.ID)}}), "/account")
	acct := c.Get("/account")
	if !strings.Contains(visible(acct.Body), "Oakfield Academy") || !strings.Contains(acct.Body, "Switch school") {
		t.Errorf("the header does not show the school and a switch:\n%s", visible(acct.Body))
	}
	expectRedirect(t, c.PostForm("/choose-school", url.Values{"school": {i64(s.school)}}), "/")
	if !strings.Contains(visible(c.Get("/account").Body), "Brookfield Primary") {
		t.Error("switching school did not switch")
	}
	if n := s.count(t, "audit_events WHERE action = 'auth.school_switch'"); n != 1 {
		t.Errorf("switches audited = %d, want 1", n)
	}
}

func i64(n int64) string { return strconv.FormatInt(n, 10) }
