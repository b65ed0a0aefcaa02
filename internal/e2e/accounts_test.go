package e2e

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/apptest"
	"github.com/havenschools/haven/internal/auth"
	"github.com/havenschools/haven/internal/browsertest"
	"github.com/havenschools/haven/internal/mailtest"
	"github.com/havenschools/haven/internal/school"
)

// accountsSite is Haven for one journey, with a school to add people to.
type accountsSite struct {
	*apptest.App
	auth   *auth.Service
	school int64
}

const journeyPassword = "tidy otter lamp forty-two"

func newAccountsSite(t *testing.T, opts ...apptest.Option) *accountsSite {
	t.Helper()
	a := apptest.New(t, opts...)
	sc, err := school.NewService(a.DB.App).Create(context.Background(), actor.Actor{Role: actor.System}, "brookfield", "Brookfield Primary")
	if err != nil {
		t.Fatal(err)
	}
	return &accountsSite{App: a, auth: auth.NewService(a.DB.App, nil, auth.Config{BaseURL: a.URL}), school: sc.ID}
}

// person adds a member of the school with journeyPassword.
func (s *accountsSite) person(t *testing.T, email string, role actor.Role) int64 {
	t.Helper()
	ctx := context.Background()
	sys := actor.SystemIn(s.school)
	id, err := s.auth.CreateUser(ctx, sys, auth.NewUser{Email: email, Name: "Pat " + string(role), Role: role})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.auth.SetPassword(ctx, sys, id, journeyPassword); err != nil {
		t.Fatal(err)
	}
	return id
}

// enrolled gives a person an authenticator app, confirmed with the previous
// time step's code so the current one is still unused, and returns its key.
func (s *accountsSite) enrolled(t *testing.T, userID int64) string {
	t.Helper()
	ctx := context.Background()
	en, err := s.auth.StartEnrolment(ctx, userID)
	if err != nil {
		t.Fatal(err)
	}
	key := strings.ReplaceAll(en.Secret, " ", "")
	if _, err := s.auth.ConfirmEnrolment(ctx, actor.Source{ClientIP: "192.0.2.1"}, userID, codeAt(t, key, -30*time.Second)); err != nil {
		t.Fatal(err)
	}
	return key
}

// codeAt is what an authenticator app with key shows at now+offset.
func codeAt(t *testing.T, key string, offset time.Duration) string {
	t.Helper()
	code, err := totp.GenerateCode(key, time.Now().Add(offset))
	if err != nil {
		t.Fatal(err)
	}
	return code
}

func signInWith(tab *browsertest.Tab, email, password string) {
	tab.Go("/sign-in")
	tab.Fill("Email address", email)
	tab.Fill("Password", password)
	tab.Click("Sign in")
}

func expectHeading(t *testing.T, tab *browsertest.Tab, want string) {
	t.Helper()
	if got := tab.Heading(); got != want {
		t.Fatalf("on %s the heading is %q, want %q\n%s", tab.Path(), got, want, tab.Text())
	}
}

// checked runs the page checks every journey step gets: no axe violations,
// and no errors in the browser — except the 422 and 429 answers the journeys
// provoke on purpose (a form with problems, throttling), which the browser
// logs as failed loads.
func checked(t *testing.T, tab *browsertest.Tab) {
	t.Helper()
	tab.ExpectNoAxeViolations()
	for _, e := range tab.ConsoleErrors() {
		// A page's own status (a form re-shown with 422, the throttling page's
		// 429, a conflict page's 409 — possibly logged late, after the next
		// navigation) is the page working, not an error.
		if e.Source == "network" && (strings.Contains(e.Text, "status of 422") || strings.Contains(e.Text, "status of 429") ||
			strings.Contains(e.Text, "status of 409")) {
			continue
		}
		t.Errorf("on %s the browser reported %s", tab.Path(), e)
	}
}

// navText is the text of the page with its navigation open (on a phone it
// is behind the Menu button).
func navText(tab *browsertest.Tab, vp browsertest.Viewport) string {
	if vp.Mobile {
		tab.Click("Menu")
	}
	return tab.Text()
}

func TestStaffSignsInAndOut(t *testing.T) {
	s := newAccountsSite(t)
	for _, vp := range viewports {
		t.Run(vp.Name, func(t *testing.T) {
			email := "sam." + vp.Name + "@brookfield.test"
			s.person(t, email, actor.Staff)
			tab := browsertest.NewTab(t, s.URL)
			tab.SetViewport(vp)

			tab.Go("/account") // needs signing in: comes back here afterwards
			expectHeading(t, tab, "Sign in to Haven")
			checked(t, tab)
			tab.Fill("Email address", email)
			tab.Fill("Password", journeyPassword)
			tab.Click("Sign in")
			expectHeading(t, tab, "Your account")
			if text := tab.Text(); !strings.Contains(text, "Brookfield Primary") || !strings.Contains(text, "Sign out") {
				t.Errorf("the header does not show the school and Sign out:\n%s", text)
			}
			checked(t, tab)

			tab.Click("Sign out")
			expectHeading(t, tab, "Sign in to Haven")
			if !strings.Contains(tab.Text(), "You have signed out") {
				t.Errorf("no confirmation of signing out:\n%s", tab.Text())
			}
			checked(t, tab)
			tab.Go("/account")
			expectHeading(t, tab, "Sign in to Haven")
		})
	}
}

func TestDSLSetsUpAnAuthenticatorAppAndSignsInWithACode(t *testing.T) {
	s := newAccountsSite(t)
	for _, vp := range viewports {
		t.Run(vp.Name, func(t *testing.T) {
			email := "dsl." + vp.Name + "@brookfield.test"
			s.person(t, email, actor.DSL)
			tab := browsertest.NewTab(t, s.URL)
			tab.SetViewport(vp)

			signInWith(tab, email, journeyPassword)
			expectHeading(t, tab, "Set up your authenticator app")
			if !browsertest.Eval[bool](tab, `(() => { const i = document.querySelector('img[alt^="QR code"]'); return !!i && i.complete && i.naturalWidth > 0 })()`) {
				t.Error("the QR code image did not load")
			}
			checked(t, tab)
			tab.Go("/role-requests") // a DSL page: not before the second factor
			expectHeading(t, tab, "Set up your authenticator app")

			tab.Click("I cannot scan the QR code")
			key := strings.ReplaceAll(browsertest.Eval[string](tab, `document.getElementById('totp-key').textContent`), " ", "")
			tab.Fill("Security code", codeAt(t, key, 0))
			tab.Click("Continue")
			expectHeading(t, tab, "Save your recovery codes")
			codes := regexp.MustCompile(`[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}`).FindAllString(tab.Text(), -1)
			if len(codes) != 10 {
				t.Errorf("%d recovery codes shown, want 10", len(codes))
			}
			checked(t, tab)
			tab.Click("I have saved my recovery codes")
			expectHeading(t, tab, "Record a safeguarding concern")
			tab.Go("/role-requests")
			expectHeading(t, tab, "Role requests")
			checked(t, tab)

			tab.Click("Sign out")
			signInWith(tab, email, journeyPassword)
			expectHeading(t, tab, "Enter your security code")
			checked(t, tab)
			tab.Fill("Security code", "000000")
			tab.Click("Continue")
			expectHeading(t, tab, "Enter your security code")
			if !strings.Contains(tab.Text(), "The security code is not correct") {
				t.Errorf("no error for a wrong code:\n%s", tab.Text())
			}
			checked(t, tab)
			// The enrolment used this time step's code: the app's next code
			// (one step ahead is allowed) signs in.
			tab.Fill("Security code", codeAt(t, key, 30*time.Second))
			tab.Click("Continue")
			expectHeading(t, tab, "Record a safeguarding concern")
			if text := navText(tab, vp); !strings.Contains(text, "Role requests") {
				t.Errorf("the DSL's navigation is missing:\n%s", text)
			}
		})
	}
}

func TestWrongPasswordShowsAnErrorSummaryAndKeepsTheEmail(t *testing.T) {
	s := newAccountsSite(t)
	s.person(t, "sam@brookfield.test", actor.Staff)
	for _, vp := range viewports {
		t.Run(vp.Name, func(t *testing.T) {
			tab := browsertest.NewTab(t, s.URL)
			tab.SetViewport(vp)
			signInWith(tab, "sam@brookfield.test", "not the right password")
			expectHeading(t, tab, "Sign in to Haven")
			if tab.Status() != 422 {
				t.Errorf("status = %d, want 422", tab.Status())
			}
			if !strings.HasPrefix(tab.Title(), "Error: ") {
				t.Errorf("title %q does not start with Error:", tab.Title())
			}
			summary := browsertest.Eval[string](tab, `document.querySelector('.govuk-error-summary')?.innerText ?? ''`)
			if !strings.Contains(summary, "There is a problem") || !strings.Contains(summary, "Enter a correct email address and password") {
				t.Errorf("error summary = %q", summary)
			}
			if got := browsertest.Eval[string](tab, `document.getElementById('email').value`); got != "sam@brookfield.test" {
				t.Errorf("the email field holds %q, want what was typed", got)
			}
			if got := browsertest.Eval[string](tab, `document.getElementById('password').value`); got != "" {
				t.Errorf("the password field holds %q, want it empty", got)
			}
			checked(t, tab)
		})
	}
}

func TestThrottlingSaysWhenToTryAgain(t *testing.T) {
	s := newAccountsSite(t)
	for _, vp := range viewports {
		t.Run(vp.Name, func(t *testing.T) {
			email := "guessed." + vp.Name + "@brookfield.test"
			if vp.Name == "desktop" {
				s.person(t, email, actor.Staff) // an account that exists looks the same
			}
			c := s.Client(t)
			for range 10 {
				c.PostForm("/sign-in", url.Values{"email": {email}, "password": {"a wrong guess"}})
			}
			tab := browsertest.NewTab(t, s.URL)
			tab.SetViewport(vp)
			signInWith(tab, email, journeyPassword)
			expectHeading(t, tab, "Sign in to Haven")
			if tab.Status() != 429 {
				t.Errorf("status = %d, want 429", tab.Status())
			}
			summary := browsertest.Eval[string](tab, `document.querySelector('.govuk-error-summary')?.innerText ?? ''`)
			if !strings.Contains(summary, "You have tried to sign in too many times. Try again in 5 minutes.") {
				t.Errorf("error summary = %q", summary)
			}
			checked(t, tab)
		})
	}
}

// TestInvitationByEmail: an admin invites the school's first DSL (on a
// phone) and a member of staff (on a desktop); the email arrives at a real
// mailpit; the person follows its link, sets a password and signs in — the
// DSL straight on to set up their authenticator app.
func TestInvitationByEmail(t *testing.T) {
	s := newAccountsSite(t, apptest.WithMail())
	adminID := s.person(t, "admin@brookfield.test", actor.Admin)
	adminKey := s.enrolled(t, adminID)
	for i, vp := range viewports {
		t.Run(vp.Name, func(t *testing.T) {
			invitee, role, landing := "new.dsl@brookfield.test", "DSL", "Set up your authenticator app"
			if i > 0 {
				invitee, role, landing = "new.staff@brookfield.test", "Staff", "Record a safeguarding concern"
			}
			admin := browsertest.NewTab(t, s.URL)
			admin.SetViewport(vp)
			signInWith(admin, "admin@brookfield.test", journeyPassword)
			expectHeading(t, admin, "Enter your security code")
			admin.Fill("Security code", codeAt(t, adminKey, time.Duration(i)*30*time.Second))
			admin.Click("Continue")
			expectHeading(t, admin, "Record a safeguarding concern")
			admin.Go("/admin/users")
			expectHeading(t, admin, "Users")
			checked(t, admin)
			admin.Click("Invite a user")
			expectHeading(t, admin, "Invite a user")
			checked(t, admin)
			admin.Click("Send invitation")
			expectHeading(t, admin, "Invite a user")
			checked(t, admin) // the error state
			admin.Fill("Full name", "Dana Lee")
			admin.Fill("Email address", invitee)
			admin.Choose("Role", role)
			admin.Click("Send invitation")
			expectHeading(t, admin, "Users")
			if text := admin.Text(); !strings.Contains(text, "Invitation sent to "+invitee) {
				t.Errorf("no confirmation of the invitation:\n%s", text)
			}
			checked(t, admin)

			mail := s.Mail.WaitFor(t, func(m mailtest.Summary) bool { return m.SentTo(invitee) }, 30*time.Second)
			link := regexp.MustCompile(regexp.QuoteMeta(s.URL) + `/invitations/[A-Za-z0-9_-]+`).FindString(mail.Text)
			if link == "" || strings.Contains(strings.ToLower(mail.Text), journeyPassword) {
				t.Fatalf("the email has no invitation link (or has a password):\n%s", mail.Text)
			}
			tab := browsertest.NewTab(t, s.URL)
			tab.SetViewport(vp)
			tab.Go(link)
			expectHeading(t, tab, "Join Brookfield Primary on Haven")
			checked(t, tab)
			tab.Fill("Create a password", "password1234")
			tab.Fill("Confirm your password", "password1234")
			tab.Click("Accept invitation")
			expectHeading(t, tab, "Join Brookfield Primary on Haven")
			if !strings.Contains(tab.Text(), "too common") {
				t.Errorf("a common password was not refused:\n%s", tab.Text())
			}
			checked(t, tab)
			tab.Fill("Create a password", "violet kettle harbour nine")
			tab.Fill("Confirm your password", "violet kettle harbour nine")
			tab.Click("Accept invitation")
			expectHeading(t, tab, "Sign in to Haven")
			if !strings.Contains(tab.Text(), "You have joined Brookfield Primary") {
				t.Errorf("no welcome:\n%s", tab.Text())
			}
			checked(t, tab)
			tab.Fill("Email address", invitee)
			tab.Fill("Password", "violet kettle harbour nine")
			tab.Click("Sign in")
			expectHeading(t, tab, landing)
			tab.Go(link)
			expectHeading(t, tab, "This link has expired")
		})
	}
}
