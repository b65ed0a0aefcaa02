package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/havenschools/haven/internal/when"
)

// The printed chronology lists a day's entries in the order they were
// done: an action given its time sits between the acknowledgement before it
// and the decision after it, however late it was recorded, and every time
// reads "2:48pm, 7 December 2026".
func TestPrintedChronologyIsInTheOrderThingsWereDone(t *testing.T) {
	t.Parallel()
	s := newDSLSite(t)
	staff := s.staffClient(t, "sam@brookfield.test")
	ref := s.report(t, staff, s.amara.ID)
	expectRedirect(t, staff.PostForm("/concerns/"+ref+"/addenda", url.Values{"addendum": {"She was picked up again at lunch."}}),
		"/concerns/"+ref+"?added=1")
	dsl := signInWithCode(t, s.site, "dsl@brookfield.test", s.dslSecret)
	expectRedirect(t, dsl.PostForm("/concerns/"+ref+"/acknowledge", url.Values{"version": {"1"}}), "/concerns/"+ref)
	expectRedirect(t, dsl.PostForm("/concerns/"+ref+"/decision", url.Values{"version": {"2"}, "outcome": {"social_care"},
		"reason": {"Exploitation indicators"}, "parents": {"not_told"}, "parents_why_not": {"Risk of alerting the adult"},
		"childs_wishes": {"Wants it to stop"}}), "/concerns/"+ref)
	y := when.Today(time.Now()).AddDate(0, 0, -1)
	day := url.Values{"action_on-day": {fmt.Sprint(y.Day())}, "action_on-month": {fmt.Sprint(int(y.Month()))}, "action_on-year": {fmt.Sprint(y.Year())}}
	with := func(v url.Values) url.Values {
		for k, x := range day {
			v[k] = x
		}
		return v
	}
	expectRedirect(t, dsl.PostForm("/concerns/"+ref+"/action", with(url.Values{"kind": {"referral"}, "note": {"Referred by phone"},
		"action_at-hour": {"2"}, "action_at-minute": {"48"}, "action_at-ampm": {"pm"}})), "/concerns/"+ref)
	expectRedirect(t, dsl.PostForm("/concerns/"+ref+"/action", with(url.Values{"kind": {"conversation_child"}, "note": {"Spoke with Amara"}})),
		"/concerns/"+ref)

	at := func(h, m int) time.Time { return time.Date(y.Year(), y.Month(), y.Day(), h, m, 0, 0, when.London()) }
	for _, step := range []struct {
		sql string
		at  time.Time
	}{
		{`UPDATE concerns SET created_at = $2 WHERE ref = $1`, at(14, 0)},
		{`UPDATE concern_addenda SET created_at = $2 WHERE concern_id = (SELECT id FROM concerns WHERE ref = $1)`, at(14, 30)},
		{`UPDATE concern_events SET at = $2 WHERE kind = 'acknowledged' AND concern_id = (SELECT id FROM concerns WHERE ref = $1)`, at(14, 47)},
		{`UPDATE concern_decisions SET decided_at = $2 WHERE concern_id = (SELECT id FROM concerns WHERE ref = $1)`, at(14, 52)},
		{`UPDATE concern_actions SET recorded_at = $2 WHERE kind = 'referral' AND concern_id = (SELECT id FROM concerns WHERE ref = $1)`, at(16, 0)},
		{`UPDATE concern_actions SET recorded_at = $2 WHERE kind = 'conversation_child' AND concern_id = (SELECT id FROM concerns WHERE ref = $1)`, at(15, 5)},
	} {
		if tag, err := s.DB.Owner.Exec(t.Context(), step.sql, ref, step.at); err != nil || tag.RowsAffected() != 1 {
			t.Fatalf("%s: %v", step.sql, err)
		}
	}

	printed := dsl.Get("/children/" + i64(s.amara.ID) + "/chronology/print")
	expectStatus(t, printed, http.StatusOK, "the printed chronology")
	text := visible(printed.Body)
	date := when.Day(y)
	last := -1
	for _, want := range []string{
		date + ": Concern " + ref + " recorded",
		"2:30pm, " + date + ": Further information added to " + ref,
		"2:47pm, " + date + ": Acknowledged",
		"2:48pm, " + date + ": Action: Referral",
		"2:52pm, " + date + ": Decision: Refer to children",
		date + ": Action: Conversation with the child",
	} {
		i := strings.Index(text, want)
		if i < 0 {
			t.Fatalf("the printed chronology lacks %q:\n%s", want, text)
		}
		if i < last {
			t.Errorf("%q is out of order:\n%s", want, text)
		}
		last = i
	}
	if strings.Contains(text, "14:") || strings.Contains(text, "15:") || strings.Contains(text, "16:") {
		t.Errorf("a 24-hour time is printed:\n%s", text)
	}
	page := dsl.Get("/concerns/" + ref)
	if !strings.Contains(visible(page.Body), "Referral, 2:48pm, "+date) {
		t.Errorf("the concern page does not give the referral's time:\n%s", visible(page.Body))
	}
}
