package web_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pquerna/otp/totp"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/apptest"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db"
)

// signInWithCode signs email in with the password and a code from secret.
func signInWithCode(t *testing.T, s *site, email, secret string) *apptest.Client {
	t.Helper()
	c := s.Client(t)
	expectRedirect(t, signIn(t, c, email, password), "/sign-in/security-code")
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	expectRedirect(t, c.PostForm("/sign-in/security-code", url.Values{"code": {code}}), "/")
	return c
}

var nextRE = regexp.MustCompile(`href="(/audit\?[^"]*)"[^>]*rel="next"`)

func TestAuditLogPage(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	admin := s.person(t, "admin@brookfield.test", actor.Admin)
	secret := s.enrol(t, admin.UserID)
	dsl := s.person(t, "dsl@brookfield.test", actor.DSL)
	ctx := context.Background()
	for i := range 60 { // more than a page
		by := actor.Actor{UserID: dsl.UserID, SchoolID: s.school, Role: actor.DSL}
		err := db.InSchool(ctx, s.DB.App, by, func(tx pgx.Tx) error {
			return audit.Record(ctx, tx, by, audit.Event{Action: "concern.view", SubjectType: "concern",
				SubjectID: fmt.Sprintf("C-2026-%06d", i%10+1)})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	c := signInWithCode(t, s, "admin@brookfield.test", secret)

	r := c.Get("/audit")
	if r.Status != http.StatusOK {
		t.Fatalf("GET /audit: %d\n%s", r.Status, r.Body)
	}
	text := visible(r.Body)
	for _, want := range []string{"Audit log", "Events, newest first", "auth.sign_in", "Pat admin", "Pat dsl", "concern.view"} {
		if !strings.Contains(text, want) {
			t.Errorf("the page lacks %q:\n%.3000s", want, text)
		}
	}
	m := nextRE.FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatalf("no Next page link on a log of more than 50 events")
	}
	older := c.Get(html.UnescapeString(m[1]))
	if older.Status != http.StatusOK || !strings.Contains(visible(older.Body), "school.create") || !strings.Contains(older.Body, "Newest events") {
		t.Errorf("the next page: %d\n%.2000s", older.Status, visible(older.Body))
	}

	onlySignIns := c.Get("/audit?action=auth")
	if got := visible(onlySignIns.Body); !strings.Contains(got, "auth.sign_in") || strings.Contains(got, "concern C-2026-") {
		t.Errorf("filtered by the auth area:\n%.2000s", got)
	}
	bad := c.Get("/audit?from-day=31&from-month=2&from-year=2026&action=Concern%20View")
	if bad.Status != http.StatusUnprocessableEntity || !strings.Contains(bad.Body, "There is a problem") ||
		!strings.Contains(bad.Body, `href="#from-day"`) || !strings.Contains(bad.Body, "Enter an action such as concern.view") {
		t.Errorf("invalid filters: %d\n%.2000s", bad.Status, visible(bad.Body))
	}
	if n := s.count(t, "audit_events WHERE action = 'audit.view' AND actor_user_id = $1", admin.UserID); n != 3 {
		t.Errorf("audit.view events = %d, want 3 (one per page of results shown)", n)
	}

	s.person(t, "sam@brookfield.test", actor.Staff)
	sc := s.Client(t)
	expectRedirect(t, signIn(t, sc, "sam@brookfield.test", password), "/")
	if r := sc.Get("/audit"); r.Status != http.StatusNotFound {
		t.Errorf("staff GET /audit: %d, want 404", r.Status)
	}
}

// reportAdult reports a concern about subject (an account of the school)
// as staff, and returns its reference.
func reportAdult(t *testing.T, staff *apptest.Client, subject actor.Actor, name string) string {
	t.Helper()
	r := staff.PostForm("/concerns", url.Values{"submission_id": {openForm(t, staff)}, "about_adult": {"yes"},
		"account": {"They shouted at a pupil."}, "location": {"Hall"}, "action": {"submit"}})
	id := allegationSubmissionRE.FindStringSubmatch(r.Body)
	if id == nil {
		t.Fatalf("no form for adults:\n%s", visible(r.Body))
	}
	r = staff.PostForm("/allegations", url.Values{"submission_id": {id[1]}, "subject_name": {name}, "subject_role": {"Office manager"},
		"subject_account": {fmt.Sprint(subject.UserID)}, "account": {"They shouted at a pupil."},
		"kind": {"harm_threshold"}, "action": {"submit"}})
	ref := allegationRefRE.FindString(r.Location())
	if r.Status != http.StatusSeeOther || ref == "" {
		t.Fatalf("report a concern about an adult: %d\n%.2000s", r.Status, visible(r.Body))
	}
	return ref
}

// TestTheAdminWhoIsTheSubjectLearnsNothingFromTheLog: a concern about the
// admin, handled by the head to its outcome, leaves no reference, name or
// outcome in the admin's audit log, however it is filtered — only a count.
func TestTheAdminWhoIsTheSubjectLearnsNothingFromTheLog(t *testing.T) {
	t.Parallel()
	s := newAdultsSite(t)
	const typedName = "Adaeze Quartermaine"
	ref := reportAdult(t, s.staffClient(t, "sam@brookfield.test"), s.admin, typedName)
	head := s.with2FA(t, "head@brookfield.test", s.head)
	if r := head.Get("/allegations/" + ref); r.Status != http.StatusOK {
		t.Fatalf("the head opens %s: %d", ref, r.Status)
	}
	expectRedirect(t, head.PostForm("/allegations/"+ref+"/outcome", url.Values{"outcome": {"unsubstantiated"},
		"outcome_note": {"Not enough evidence either way."}}), "/allegations/"+ref+"#outcome-section")

	admin := s.with2FA(t, "admin@brookfield.test", s.admin)
	first := admin.Get("/audit")
	if first.Status != http.StatusOK || !strings.Contains(seen(first), "entries about concerns about adults are not shown") {
		t.Errorf("the admin's log says nothing of what it leaves out: %d\n%.3000s", first.Status, seen(first))
	}
	for _, q := range []string{"", "?action=allegation", "?action=allegation.outcome", "?record=" + ref, "?record=allegation",
		fmt.Sprintf("?person=%d", s.head.UserID), fmt.Sprintf("?person=%d&action=allegation", s.head.UserID)} {
		r := admin.Get("/audit" + q)
		// What the log shows, less the filter form, which holds what was
		// typed into it. (The admin's own searches are in the log, as typed.)
		shown := r.Body[strings.LastIndex(r.Body, "</form>")+1:]
		body := strings.ToLower(html.UnescapeString(shown))
		for _, leak := range []string{strings.ToLower(ref), "unsubstantiated", strings.ToLower(typedName), "allegation.submit", "allegation.view"} {
			if r.Status != http.StatusOK || strings.Contains(body, leak) {
				t.Errorf("GET /audit%s: %d, and it shows %q:\n%.3000s", q, r.Status, leak, seen(r))
			}
		}
	}
	if r := admin.Get("/audit?record=" + ref); strings.Contains(seen(r), "not shown") {
		t.Errorf("a search for the reference counts its entries, so says it exists:\n%.2000s", seen(r))
	}
}

// TestTheDSLTeamAndTheHeadReadTheAuditLog: the DSL team (a deputy too)
// reads the school's log less the concerns about adults, the head only
// the concerns about adults they handle — not one about themselves, which
// the chair reads — and the old admin address still leads to the log.
func TestTheDSLTeamAndTheHeadReadTheAuditLog(t *testing.T) {
	t.Parallel()
	s := newAdultsSite(t)
	staff := s.staffClient(t, "sam@brookfield.test")
	aboutAdmin := reportAdult(t, staff, s.admin, "Pat admin")
	aboutHead := reportAdult(t, staff, s.head, "Pat head")
	head := s.with2FA(t, "head@brookfield.test", s.head)
	chair := s.with2FA(t, "chair@brookfield.test", s.chair)
	if r := chair.Get("/allegations/" + aboutHead); r.Status != http.StatusOK {
		t.Fatalf("the chair opens %s: %d", aboutHead, r.Status)
	}
	deputy := s.with2FA(t, "deputy@brookfield.test", actor.Actor{UserID: userID(t, s.site, "deputy@brookfield.test")})
	if r := deputy.Get(fmt.Sprintf("/children/%d", s.amara.ID)); r.Status != http.StatusOK {
		t.Fatalf("the deputy opens Amara's record: %d", r.Status)
	}

	for name, c := range map[string]*apptest.Client{"the DSL": s.with2FA(t, "dsl@brookfield.test",
		actor.Actor{UserID: userID(t, s.site, "dsl@brookfield.test")}), "the deputy DSL": deputy} {
		r := c.Get("/audit")
		text := seen(r)
		if r.Status != http.StatusOK || !strings.Contains(text, "Everything done and every record viewed in this school") ||
			!strings.Contains(text, "child.view") || !strings.Contains(text, "auth.sign_in") {
			t.Errorf("%s's audit log: %d\n%.3000s", name, r.Status, text)
		}
		if strings.Contains(text, aboutAdmin) || strings.Contains(text, aboutHead) || strings.Contains(text, "allegation.submit") ||
			!strings.Contains(text, "entries about concerns about adults are not shown") {
			t.Errorf("%s's audit log shows the concerns about adults, or does not count them:\n%.3000s", name, text)
		}
	}

	r := head.Get("/audit")
	text := seen(r)
	if r.Status != http.StatusOK || !strings.Contains(text, "concerns about adults that you handle") || !strings.Contains(text, aboutAdmin) {
		t.Errorf("the head's audit log: %d\n%.3000s", r.Status, text)
	}
	if strings.Contains(text, aboutHead) || strings.Contains(text, "child.view") || strings.Contains(text, "auth.sign_in") ||
		strings.Contains(text, "not shown") {
		t.Errorf("the head's audit log shows more than the concerns they handle:\n%.3000s", text)
	}
	if r := head.Get("/audit?record=" + aboutHead); r.Status != http.StatusOK || !strings.Contains(seen(r), "No events match") {
		t.Errorf("the head searches for the concern about them: %d\n%.3000s", r.Status, seen(r))
	}

	r = chair.Get("/audit")
	if text := seen(r); r.Status != http.StatusOK || !strings.Contains(text, aboutHead) || strings.Contains(text, aboutAdmin) {
		t.Errorf("the chair's audit log: %d\n%.3000s", r.Status, text)
	}
	if r := staff.Get("/audit"); r.Status != http.StatusNotFound {
		t.Errorf("a member of staff's audit log: %d, want 404", r.Status)
	}

	admin := s.with2FA(t, "admin@brookfield.test", s.admin)
	r = admin.Get("/admin/audit?action=auth")
	if r.Status != http.StatusMovedPermanently || r.Location() != "/audit?action=auth" {
		t.Errorf("the old address: %d to %q, want 301 to /audit?action=auth", r.Status, r.Location())
	}
}

// TestWhoHasSeenThisCountsVisitsNotRedirects: the page a DSL's own
// acknowledgement redirects her to is in the audit trail, marked, but not
// another view in "Who has seen this"; her two visits are one row, and a
// deputy is named as one.
func TestWhoHasSeenThisCountsVisitsNotRedirects(t *testing.T) {
	t.Parallel()
	s := newDSLSite(t)
	ref := s.report(t, s.staffClient(t, "sam@brookfield.test"), s.amara.ID)
	deputy := signInWithCode(t, s.site, "deputy@brookfield.test", s.deputySecret)
	expectStatus(t, deputy.Get("/concerns/"+ref), http.StatusOK, "the deputy's view")
	dsl := signInWithCode(t, s.site, "dsl@brookfield.test", s.dslSecret)
	page := dsl.Get("/concerns/" + ref)
	r := dsl.PostForm("/concerns/"+ref+"/acknowledge", url.Values{"version": {version(t, page.Body)}})
	expectRedirect(t, r, "/concerns/"+ref)
	dsl.Follow(r)
	page = dsl.Get("/concerns/" + ref)
	expectStatus(t, page, http.StatusOK, "the DSL's second visit")

	text := seen(page)
	_, list, _ := strings.Cut(text, "Who has seen this")
	for _, want := range []string{"Pat dsl (DSL)", "Viewed the concern 2 times", "Pat dsl (Deputy DSL)", "Viewed the concern once"} {
		if !strings.Contains(list, want) {
			t.Errorf("Who has seen this lacks %q:\n%.2000s", want, list)
		}
	}
	if strings.Contains(list, "3 times") {
		t.Errorf("the redirect after acknowledging counts as a view:\n%.2000s", list)
	}
	if n := s.count(t, "audit_events WHERE action = 'concern.view' AND subject_id = $1", ref); n != 4 {
		t.Errorf("concern.view events = %d, want 4: every view stays in the audit trail", n)
	}
	if n := s.count(t, `audit_events WHERE action = 'concern.view' AND subject_id = $1 AND details LIKE '%"after_own_action":true%'`, ref); n != 1 {
		t.Errorf("views marked as following the DSL's own action = %d, want 1", n)
	}
}
