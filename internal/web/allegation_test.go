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

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/allegation"
	"github.com/havenschools/haven/internal/apptest"
	"github.com/havenschools/haven/internal/when"
)

var allegationRefRE = regexp.MustCompile(`A-\d{4}-\d{6}`)

// adultsSite is a school with a head, a chair of governors, two DSLs, an
// admin, staff and a roll, each with a signed-in client on demand.
type adultsSite struct {
	*concernSite
	head, chair, dsl2, admin actor.Actor
	secrets                  map[int64]string
}

func newAdultsSite(t *testing.T) *adultsSite {
	t.Helper()
	s := &adultsSite{concernSite: newConcernSite(t), secrets: map[int64]string{}}
	s.head = s.person(t, "head@brookfield.test", actor.Head)
	s.chair = s.person(t, "chair@brookfield.test", actor.Staff)
	s.dsl2 = s.person(t, "dsl2@brookfield.test", actor.DSL)
	s.admin = s.person(t, "admin@brookfield.test", actor.Admin)
	if _, err := s.DB.Owner.Exec(context.Background(), `UPDATE school_settings SET chair_of_governors = $2 WHERE school_id = $1`,
		s.school, s.chair.UserID); err != nil {
		t.Fatal(err)
	}
	return s
}

// with2FA signs in a person who needs a second factor.
func (s *adultsSite) with2FA(t *testing.T, email string, who actor.Actor) *apptest.Client {
	t.Helper()
	secret, ok := s.secrets[who.UserID]
	if !ok {
		secret = s.enrol(t, who.UserID)
		s.secrets[who.UserID] = secret
	}
	return signInWithCode(t, s.site, email, secret)
}

var allegationSubmissionRE = regexp.MustCompile(`name="submission_id" value="([0-9a-f-]{36})"`)

// seen is what a page says, as text.
func seen(r apptest.Response) string { return html.UnescapeString(visible(r.Body)) }

// TestTheFirstQuestionLeadsToTheFormForAdults: "Yes" on "Report a concern"
// shows the short form (keeping what was typed), which reaches the head —
// not the DSL — with a receipt for the reporter.
func TestTheFirstQuestionLeadsToTheFormForAdults(t *testing.T) {
	t.Parallel()
	s := newAdultsSite(t)
	staff := s.staffClient(t, "sam@brookfield.test")
	form := staff.Get("/concerns/new")
	text := visible(form.Body)
	if i, j := strings.Index(text, "Is this about an adult who works or volunteers here?"), strings.Index(text, "Is the child in immediate danger?"); i < 0 || i > j {
		t.Fatalf("the first question is not first:\n%s", text)
	}
	r := staff.PostForm("/concerns", url.Values{"submission_id": {openForm(t, staff)}, "about_adult": {"yes"},
		"account": {"Mr Jones shouted at a Year 9 pupil and grabbed her arm."}, "location": {"Science lab"}, "action": {"submit"}})
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "Report a concern about an adult") ||
		!strings.Contains(r.Body, "grabbed her arm") || !strings.Contains(r.Body, "Science lab") {
		t.Fatalf("Yes, then Submit concern: %d\n%s", r.Status, visible(r.Body))
	}
	if n := s.count(t, "concerns"); n != 0 {
		t.Fatalf("%d concerns stored for the DSL", n)
	}
	id := allegationSubmissionRE.FindStringSubmatch(r.Body)[1]
	subject := userID(t, s.site, "alex@brookfield.test")
	fields := url.Values{"submission_id": {id}, "subject_name": {"Pat staff"}, "subject_role": {"Science teacher"},
		"subject_account": {fmt.Sprint(subject)}, "account": {"Mr Jones shouted at a Year 9 pupil and grabbed her arm."},
		"kind": {"harm_threshold"}, "child_q": {"okafor"}, "action": {"find"}}
	r = staff.PostForm("/allegations", fields)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "Choose the child") || !strings.Contains(r.Body, fmt.Sprintf(`value="%d"`, s.amara.ID)) {
		t.Fatalf("find child: %d\n%s", r.Status, visible(r.Body))
	}
	fields.Set("child", fmt.Sprint(s.amara.ID))
	fields.Set("action", "submit")
	fields.Del("child_q")
	fields.Set("account", "")
	r = staff.PostForm("/allegations", fields)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(seen(r), "Enter what happened") || !strings.Contains(r.Body, "Amara Okafor") {
		t.Fatalf("without an account: %d\n%s", r.Status, visible(r.Body))
	}
	fields.Set("account", "Mr Jones shouted at a Year 9 pupil and grabbed her arm.")
	r = staff.PostForm("/allegations", fields)
	ref := allegationRefRE.FindString(r.Location())
	if r.Status != http.StatusSeeOther || ref == "" {
		t.Fatalf("submit: %d to %q\n%s", r.Status, r.Location(), visible(r.Body))
	}
	receipt := visible(staff.Follow(r).Body)
	if !strings.Contains(receipt, ref) || !strings.Contains(receipt, "It has gone to the headteacher") {
		t.Errorf("receipt:\n%s", receipt)
	}

	head := s.with2FA(t, "head@brookfield.test", s.head)
	list := head.Get("/allegations")
	if list.Status != http.StatusOK || !strings.Contains(list.Body, ref) || !strings.Contains(visible(list.Body), "Concerns about adults") {
		t.Fatalf("the head's list: %d\n%s", list.Status, visible(list.Body))
	}
	page := head.Get("/allegations/" + ref)
	if page.Status != http.StatusOK || !strings.Contains(page.Body, "grabbed her arm") || !strings.Contains(page.Body, "Amara Okafor") {
		t.Fatalf("the head's page: %d", page.Status)
	}

	t.Run("nobody else finds it", func(t *testing.T) {
		dsl := s.with2FA(t, "dsl@brookfield.test", actor.Actor{UserID: userID(t, s.site, "dsl@brookfield.test")})
		admin := s.with2FA(t, "admin@brookfield.test", s.admin)
		subject := s.staffClient(t, "alex@brookfield.test")
		for name, c := range map[string]*apptest.Client{"DSL": dsl, "admin": admin, "the subject": subject, "the reporter": staff} {
			if r := c.Get("/allegations/" + ref); r.Status != http.StatusNotFound {
				t.Errorf("%s opens it: %d", name, r.Status)
			}
			if r := c.Get("/allegations"); r.Status != http.StatusNotFound {
				t.Errorf("%s lists them: %d", name, r.Status)
			}
			if strings.Contains(c.Get("/account").Body, "Concerns about adults") {
				t.Errorf("%s has the nav item", name)
			}
		}
		if q := dsl.Get("/queue"); strings.Contains(q.Body, "grabbed") || strings.Contains(q.Body, ref) {
			t.Error("the DSL's queue shows it")
		}
		if ch := dsl.Get(fmt.Sprintf("/children/%d/chronology", s.amara.ID)); ch.Status != http.StatusOK || strings.Contains(ch.Body, ref) {
			t.Errorf("the child's chronology: %d, or it shows %s", ch.Status, ref)
		}
	})

	t.Run("the head records the LADO consultation", func(t *testing.T) {
		r := head.PostForm("/allegations/"+ref+"/lado", url.Values{"lado_on-day": {"1"}, "lado_on-month": {"1"}, "lado_on-year": {"2026"}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(seen(r), "Enter the LADO's name") {
			t.Fatalf("LADO without a name: %d\n%s", r.Status, visible(r.Body))
		}
		r = head.PostForm("/allegations/"+ref+"/lado", url.Values{"lado_on-day": {"1"}, "lado_on-month": {"1"}, "lado_on-year": {"2026"},
			"lado_officer": {"Lee Ado"}, "lado_advice": {"Strategy meeting; do not speak to him yet."}, "lado_reference": {"LADO/1"}})
		expectRedirect(t, r, "/allegations/"+ref+"#lado-section")
		if page := visible(head.Get("/allegations/" + ref).Body); !strings.Contains(page, "Lee Ado") || !strings.Contains(page, "Who has seen this") {
			t.Errorf("after the LADO: %s", page)
		}
	})

	t.Run("the chair sees only the concerns about the head", func(t *testing.T) {
		chair := s.with2FA(t, "chair@brookfield.test", s.chair)
		r := chair.Get("/allegations")
		if r.Status != http.StatusOK || strings.Contains(r.Body, ref) || !strings.Contains(r.Body, `href="/allegations"`) {
			t.Errorf("the chair's list: %d\n%s", r.Status, visible(r.Body))
		}
		if r := chair.Get("/allegations/" + ref); r.Status != http.StatusNotFound {
			t.Errorf("the chair opens a concern for the head: %d", r.Status)
		}
	})
}

func userID(t *testing.T, s *site, email string) int64 {
	t.Helper()
	var id int64
	if err := s.DB.Owner.QueryRow(context.Background(), `SELECT id FROM users WHERE email = $1`, email).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// An Operation Encompass notification is recorded by a DSL and shows on the
// child's chronology for the DSLs who may see it — not for a DSL excluded
// for a conflict of interest, nor for staff.
func TestOperationEncompassOnTheChronology(t *testing.T) {
	t.Parallel()
	s := newAdultsSite(t)
	dsl := s.with2FA(t, "dsl@brookfield.test", actor.Actor{UserID: userID(t, s.site, "dsl@brookfield.test")})
	deputy := userID(t, s.site, "deputy@brookfield.test")
	r := dsl.PostForm("/encompass", url.Values{"child_q": {"carter"}, "action": {"find"}})
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "Ben Carter") {
		t.Fatalf("find: %d\n%s", r.Status, visible(r.Body))
	}
	form := url.Values{"child": {fmt.Sprint(s.ben.ID)}, "notified_on-day": {"2"}, "notified_on-month": {"3"}, "notified_on-year": {"2026"},
		"details": {"Police attended the home at 23:10; Ben was present."}, "support": {"Key adult check-in at registration."},
		"named": {fmt.Sprint(deputy)}, "excluded": {fmt.Sprint(s.dsl2.UserID)}, "action": {"save"}}
	r = dsl.PostForm("/encompass", form)
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location(), "/encompass/E-") {
		t.Fatalf("save: %d %q\n%s", r.Status, r.Location(), visible(r.Body))
	}
	ref := strings.TrimPrefix(r.Location(), "/encompass/")
	chronology := fmt.Sprintf("/children/%d/chronology", s.ben.ID)
	if body := dsl.Get(chronology).Body; !strings.Contains(body, "Operation Encompass") || !strings.Contains(body, `href="/encompass/`+ref+`"`) ||
		!strings.Contains(body, "Key adult check-in") {
		t.Errorf("the DSL's chronology lacks it:\n%s", visible(body))
	}
	excluded := s.with2FA(t, "dsl2@brookfield.test", s.dsl2)
	if body := excluded.Get(chronology).Body; strings.Contains(body, ref) || strings.Contains(body, "Key adult check-in") {
		t.Error("the excluded DSL's chronology shows it")
	}
	if r := excluded.Get("/encompass/" + ref); r.Status != http.StatusNotFound {
		t.Errorf("the excluded DSL opens it: %d", r.Status)
	}
	staff := s.staffClient(t, "alex@brookfield.test")
	for _, path := range []string{"/encompass", "/encompass/" + ref, chronology} {
		if r := staff.Get(path); r.Status != http.StatusForbidden && r.Status != http.StatusNotFound {
			t.Errorf("staff get %s: %d", path, r.Status)
		}
	}
	head := s.with2FA(t, "head@brookfield.test", s.head)
	if r := head.Get("/encompass/" + ref); r.Status != http.StatusForbidden && r.Status != http.StatusNotFound {
		t.Errorf("the head gets it: %d", r.Status)
	}
}

// The admins name the chair of governors in the school settings, and set
// the rules for keeping these records.
func TestAdminsSetTheChairAndTheRules(t *testing.T) {
	t.Parallel()
	s := newAdultsSite(t)
	admin := s.with2FA(t, "admin@brookfield.test", s.admin)
	page := admin.Get("/admin/settings")
	if page.Status != http.StatusOK || !strings.Contains(page.Body, `name="chair_of_governors"`) ||
		!strings.Contains(page.Body, fmt.Sprintf(`value="%d" selected`, s.chair.UserID)) {
		t.Fatalf("settings page: %d", page.Status)
	}
	r := admin.PostForm("/admin/settings/allegations", url.Values{"retirement_age": {"40"}, "minimum_years": {"10"},
		"low_level_count": {"3"}, "low_level_days": {"365"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(visible(r.Body), "Enter the normal retirement age") {
		t.Fatalf("a retirement age of 40: %d\n%s", r.Status, visible(r.Body))
	}
	r = admin.PostForm("/admin/settings/allegations", url.Values{"retirement_age": {"68"}, "minimum_years": {"10"},
		"low_level_count": {"4"}, "low_level_days": {"180"}})
	expectRedirect(t, r, "/admin/settings/allegations")
	if body := admin.Get("/admin/settings/allegations").Body; !strings.Contains(body, `value="68"`) || !strings.Contains(body, `value="180"`) {
		t.Error("the rules were not saved")
	}
	staff := s.staffClient(t, "alex@brookfield.test")
	if r := staff.Get("/admin/settings/allegations"); r.Status != http.StatusForbidden {
		t.Errorf("staff: %d", r.Status)
	}
}

// TestTheHeadPlacesALegalHoldOnAConcernAboutAnAdult: on the record's page
// the head places a hold (a reason needed, beside the field) and lifts it;
// anyone else posting one gets 404.
func TestTheHeadPlacesALegalHoldOnAConcernAboutAnAdult(t *testing.T) {
	t.Parallel()
	s := newAdultsSite(t)
	rc, err := allegation.NewService(s.DB.App, nil, s.URL).Submit(context.Background(), s.staff, allegation.Form{
		SubmissionID: allegation.NewSubmissionID(), SubjectName: "Tom Teacher", SubjectRole: "Teacher",
		Account: "Messaged a pupil from his own phone.", Happened: when.DateParts{Day: "2", Month: "11", Year: "2026"},
		Location: "Car park", Kind: string(allegation.HarmThreshold)})
	if err != nil {
		t.Fatal(err)
	}
	path := "/allegations/" + rc.Ref
	head := s.with2FA(t, "head@brookfield.test", s.head)
	if got := seen(head.Get(path)); !strings.Contains(got, "Legal hold (do not destroy)") || !strings.Contains(got, "Place a legal hold") {
		t.Fatalf("the record's page offers no legal hold:\n%.3000s", got)
	}
	r := head.PostForm(path+"/hold", url.Values{"on": {"yes"}, "hold_reason": {""}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `href="#hold_reason"`) || !strings.Contains(r.Body, `id="hold_reason-error"`) {
		t.Errorf("a hold without a reason: %d\n%.2000s", r.Status, seen(r))
	}
	expectRedirect(t, head.PostForm(path+"/hold", url.Values{"on": {"yes"}, "hold_reason": {"Inquiry moratorium"}}), path+"#legal-hold")
	if got := seen(head.Get(path)); !strings.Contains(got, "On legal hold: Inquiry moratorium") || !strings.Contains(got, "Lift the legal hold") {
		t.Errorf("the held record's page:\n%.3000s", got)
	}
	admin := s.with2FA(t, "admin@brookfield.test", s.admin)
	if r := admin.PostForm(path+"/hold", url.Values{"on": {"no"}, "hold_reason": {"x"}}); r.Status != http.StatusNotFound {
		t.Errorf("an admin lifting the hold: %d, want 404", r.Status)
	}
	expectRedirect(t, head.PostForm(path+"/hold", url.Values{"on": {"no"}, "hold_reason": {"The inquiry ended"}}), path+"#legal-hold")
	if got := seen(head.Get(path)); !strings.Contains(got, "Place a legal hold") || strings.Contains(got, "On legal hold:") {
		t.Errorf("after lifting the hold:\n%.3000s", got)
	}
}
