package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/havenschools/haven/internal/apptest"
	"github.com/havenschools/haven/internal/mailtest"
	"github.com/havenschools/haven/internal/when"
)

// A deputy DSL who reports a concern themselves is not emailed about it:
// the alert goes to the rest of the DSL team, through the real mailpit.
func TestADeputyWhoReportsIsNotAlerted(t *testing.T) {
	t.Parallel()
	s := newConcernSite(t, apptest.WithMail())
	var deputy int64
	if err := s.DB.Owner.QueryRow(context.Background(), `SELECT id FROM users WHERE email = 'deputy@brookfield.test'`).Scan(&deputy); err != nil {
		t.Fatal(err)
	}
	c := signInWithCode(t, s.site, "deputy@brookfield.test", s.enrol(t, deputy))
	v := filledForm(openForm(t, c), s.amara.ID)
	v.Set("in_danger", "yes")
	if ref := refRE.FindString(c.PostForm("/concerns", v).Location()); ref == "" {
		t.Fatal("no receipt")
	}
	s.Mail.WaitFor(t, func(m mailtest.Summary) bool { return m.SentTo("dsl@brookfield.test") }, 30*time.Second)
	// The emails are enqueued in the transaction that stored the concern:
	// whatever mailpit has yet, the job table holds every one.
	if n := s.count(t, `river_job WHERE kind = 'email' AND args ->> 'to' = 'deputy@brookfield.test'`); n != 0 {
		t.Errorf("%d emails to the deputy who recorded the concern, want none", n)
	}
	if n := s.count(t, `river_job WHERE kind = 'email' AND args ->> 'to' = 'dsl@brookfield.test'`); n != 1 {
		t.Errorf("%d emails to the DSL, want 1", n)
	}
	for _, m := range s.Mail.Messages(t) {
		if m.SentTo("deputy@brookfield.test") {
			t.Errorf("the deputy was emailed %q", m.Subject)
		}
	}
}

// "When did it happen?" today at a time that has not come yet is refused
// beside the time, saying it is later than now, with what was typed kept.
func TestATimeLaterThanNowIsShownBesideTheQuestion(t *testing.T) {
	t.Parallel()
	now := time.Now().In(when.London())
	later := now.Add(2 * time.Minute)
	if later.Day() != now.Day() {
		t.Skip("no later time today: it is nearly midnight in London")
	}
	s := newConcernSite(t)
	c := s.staffClient(t, "sam@brookfield.test")
	v := filledForm(openForm(t, c), s.amara.ID)
	typed := strings.ToLower(later.Format("3:04PM"))
	v.Set("happened-day", fmt.Sprint(now.Day()))
	v.Set("happened-month", fmt.Sprint(int(now.Month())))
	v.Set("happened-year", fmt.Sprint(now.Year()))
	v.Set("happened_time", typed)
	r := c.PostForm("/concerns", v)
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 422", r.Status)
	}
	want := "The time it happened, " + typed + " today, is later than now"
	if n := strings.Count(visible(r.Body), want); n != 2 { // in the summary and beside the field
		t.Errorf("%q shown %d times, want 2 (summary and field)\n%s", want, n, visible(r.Body))
	}
	if !strings.Contains(r.Body, `href="#happened_time"`) || !strings.Contains(r.Body, `value="`+typed+`"`) {
		t.Error("the summary does not link to the time, or the time typed is gone")
	}
	if n := s.count(t, "concerns"); n != 0 {
		t.Errorf("%d concerns stored", n)
	}
}

// Someone who has not told a DSL in person is told on the receipt to speak
// to one now, with the school's DSLs and their numbers; someone who has is not.
func TestTheReceiptSaysSpeakToADSLWhenNotToldYet(t *testing.T) {
	t.Parallel()
	s := newConcernSite(t)
	if _, err := s.DB.Owner.Exec(context.Background(), `UPDATE school_settings
		SET dsl_contacts = '[{"name": "Dee Ess", "phone": "01632 960001"}]' WHERE school_id = $1`, s.school); err != nil {
		t.Fatal(err)
	}
	c := s.staffClient(t, "sam@brookfield.test")
	for _, told := range []string{"not_yet", "yes"} {
		v := filledForm(openForm(t, c), s.amara.ID)
		v.Set("told_dsl", told)
		v.Set("told_dsl_who", "Dee Ess")
		r := c.PostForm("/concerns", v)
		receipt := visible(c.Get(r.Location()).Body)
		asked := strings.Contains(receipt, "Now speak to a DSL") && strings.Contains(receipt, "Dee Ess: 01632 960001")
		if asked != (told == "not_yet") {
			t.Errorf("told a DSL %q: the receipt asks to speak to one = %v\n%s", told, asked, receipt)
		}
	}
}

// Back after submitting comes to the receipt, saying it was sent already:
// from the draft's address, from the address the page's script gives the
// form's history entry, and when the browser posts the form again. Anyone
// else gets nothing of it.
func TestBackAfterSubmittingGivesTheReceipt(t *testing.T) {
	t.Parallel()
	s := newConcernSite(t)
	c := s.staffClient(t, "sam@brookfield.test")
	id := openForm(t, c)
	v := filledForm(id, s.amara.ID)
	v.Set("action", "save")
	if r := c.PostForm("/concerns", v); r.Status != http.StatusOK {
		t.Fatalf("save draft: %d", r.Status)
	}
	v.Set("action", "submit")
	ref := refRE.FindString(c.PostForm("/concerns", v).Location())
	if ref == "" {
		t.Fatal("no receipt")
	}
	want := "/concerns/" + ref + "/submitted?again=1"
	for _, path := range []string{"/concerns/drafts/" + id, "/concerns/new?submission=" + id} {
		if r := c.Get(path); r.Status != http.StatusSeeOther || r.Location() != want {
			t.Errorf("GET %s: %d to %q, want %s", path, r.Status, r.Location(), want)
		}
	}
	for _, action := range []string{"submit", "find", "save"} {
		v.Set("action", action)
		if r := c.PostForm("/concerns", v); r.Status != http.StatusSeeOther || r.Location() != want {
			t.Errorf("the form posted again (%s): %d to %q, want %s", action, r.Status, r.Location(), want)
		}
	}
	receipt := visible(c.Get(want).Body)
	if !strings.Contains(receipt, "This concern has already been sent to the DSL") || !strings.Contains(receipt, ref) {
		t.Errorf("the receipt does not say it was sent already:\n%s", receipt)
	}
	if n := s.count(t, "concerns"); n != 1 {
		t.Errorf("concerns = %d, want 1", n)
	}

	alex := s.staffClient(t, "alex@brookfield.test")
	if r := alex.Get("/concerns/drafts/" + id); r.Status != http.StatusNotFound {
		t.Errorf("someone else at the draft's address: %d, want 404", r.Status)
	}
	r := alex.Get("/concerns/new?submission=" + id)
	if r.Status != http.StatusOK || strings.Contains(r.Body, ref) || strings.Contains(r.Body, id) || strings.Contains(r.Body, "silver car") {
		t.Errorf("someone else at the address after submitting: %d, want a new form with nothing of it", r.Status)
	}
}

// Opening, reloading and autosaving a form nobody has filled in keeps no
// draft; the author discards a draft after a confirmation page, and
// nobody else can.
func TestDraftsAreKeptOnlyWithContentAndCanBeDiscarded(t *testing.T) {
	t.Parallel()
	s := newConcernSite(t)
	c := s.staffClient(t, "sam@brookfield.test")
	blank := openForm(t, c)
	for range 3 {
		r := c.PostForm("/concerns/draft", url.Values{"submission_id": {blank}, "in_danger": {"no"},
			"seen-day": {"1"}, "seen-month": {"12"}, "seen-year": {"2026"}})
		if r.Status != http.StatusOK || !strings.Contains(r.Body, `"empty"`) {
			t.Errorf("autosave of a blank form: %d %s", r.Status, r.Body)
		}
	}
	v := url.Values{"submission_id": {blank}, "action": {"save"}}
	if r := visible(c.PostForm("/concerns", v).Body); !strings.Contains(r, "There is nothing to save yet") {
		t.Errorf("Save draft on a blank form does not say there is nothing to save:\n%s", r)
	}
	if n := s.count(t, "concern_drafts"); n != 0 {
		t.Errorf("drafts of a blank form = %d, want 0", n)
	}

	id := openForm(t, c)
	v = filledForm(id, s.amara.ID)
	v.Set("action", "save")
	form := visible(c.PostForm("/concerns", v).Body)
	if !strings.Contains(form, "Draft saved at ") || !strings.Contains(form, "Discard this draft") {
		t.Errorf("the form does not say when it saved, or offer to discard:\n%s", form)
	}
	alex := s.staffClient(t, "alex@brookfield.test")
	for _, r := range []apptest.Response{alex.Get("/concerns/drafts/" + id + "/discard"), alex.PostForm("/concerns/drafts/"+id+"/discard", nil)} {
		if r.Status != http.StatusNotFound {
			t.Errorf("someone else discarding: %d, want 404", r.Status)
		}
	}
	confirm := c.Get("/concerns/drafts/" + id + "/discard")
	if confirm.Status != http.StatusOK || !strings.Contains(visible(confirm.Body), "Discard this draft?") ||
		!strings.Contains(visible(confirm.Body), "Amara Okafor") {
		t.Fatalf("the confirmation page: %d\n%s", confirm.Status, visible(confirm.Body))
	}
	if n := s.count(t, "concern_drafts"); n != 1 {
		t.Fatalf("asking to discard deleted it: drafts = %d", n)
	}
	expectRedirect(t, c.PostForm("/concerns/drafts/"+id+"/discard", nil), "/my-concerns")
	mine := visible(c.Get("/my-concerns").Body)
	if !strings.Contains(mine, "Your draft has been discarded") || strings.Contains(mine, "Not sent yet") {
		t.Errorf("My concerns after discarding:\n%s", mine)
	}
	if n := s.count(t, "concern_drafts"); n != 0 {
		t.Errorf("drafts after discarding = %d", n)
	}
	if n := s.count(t, "audit_events WHERE action = 'draft.discard' AND subject_id = $1 AND details::text NOT LIKE '%silver%'", id); n != 1 {
		t.Errorf("discards audited = %d, want 1", n)
	}
}
