package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// My tasks offers a chase "Close the chase", not "Mark done"; its page asks
// what happened, sends bad answers back with 422 keeping what was typed,
// and "Chased again" leaves a new chase (issue 15, item 5).
func TestClosingAChaseAsksWhatHappened(t *testing.T) {
	t.Parallel()
	s := newDSLSite(t)
	staff := s.staffClient(t, "sam@brookfield.test")
	ref := s.report(t, staff, s.amara.ID)
	dsl := signInWithCode(t, s.site, "dsl@brookfield.test", s.dslSecret)
	page := dsl.Get("/concerns/" + ref)
	expectRedirect(t, dsl.PostForm("/concerns/"+ref+"/acknowledge", url.Values{"version": {version(t, page.Body)}}), "/concerns/"+ref)
	today := time.Now()
	expectRedirect(t, dsl.PostForm("/concerns/"+ref+"/action", url.Values{"kind": {"referral"},
		"action_on-day": {fmt.Sprint(today.Day())}, "action_on-month": {fmt.Sprint(int(today.Month()))}, "action_on-year": {fmt.Sprint(today.Year())},
		"note": {"Referred to the front door"}}), "/concerns/"+ref)
	var chase int64
	if err := s.DB.Owner.QueryRow(context.Background(), `SELECT id FROM concern_tasks WHERE kind = 'referral_chase' AND done_at IS NULL`).Scan(&chase); err != nil {
		t.Fatal(err)
	}
	path := "/tasks/" + i64(chase) + "/chase"

	tasks := dsl.Get("/tasks")
	if !strings.Contains(tasks.Body, `href="`+path+`"`) || strings.Contains(tasks.Body, "/tasks/"+i64(chase)+"/done") {
		t.Errorf("My tasks does not link the chase to its page, or still offers Mark done:\n%s", tasks.Body)
	}
	if r := dsl.PostForm("/tasks/"+i64(chase)+"/done", nil); r.Status != http.StatusNotFound {
		t.Errorf("marking the chase done in one click = %d, want 404", r.Status)
	}
	if r := staff.Get(path); r.Status != http.StatusForbidden {
		t.Errorf("staff GET %s = %d, want 403", path, r.Status)
	}

	form := dsl.Get(path)
	expectStatus(t, form, http.StatusOK, "the chase page")
	for _, want := range []string{"Close the chase", "What happened?", "Feedback received", "Chased again", "No longer needed", ref} {
		if !strings.Contains(visible(form.Body), want) {
			t.Errorf("the chase page lacks %q", want)
		}
	}
	bad := dsl.PostForm(path, url.Values{"chase_outcome": {"not_needed"}, "chase_note": {""}})
	expectStatus(t, bad, http.StatusUnprocessableEntity, "no longer needed without a note")
	if !strings.Contains(bad.Body, "There is a problem") || !strings.Contains(bad.Body, `href="#chase_note"`) ||
		!strings.Contains(bad.Body, `id="chase_note-error"`) || !strings.Contains(bad.Body, `value="not_needed" checked`) {
		t.Errorf("the refused form:\n%s", bad.Body)
	}
	bad = dsl.PostForm(path, url.Values{"chase_note": {"Typed before choosing"}})
	expectStatus(t, bad, http.StatusUnprocessableEntity, "no outcome")
	if !strings.Contains(bad.Body, `href="#chase_outcome"`) || !strings.Contains(bad.Body, "Typed before choosing") {
		t.Errorf("the refused form without an outcome:\n%s", visible(bad.Body))
	}

	expectRedirect(t, dsl.PostForm(path, url.Values{"chase_outcome": {"chased"}, "chase_note": {"Left a message with the duty team"}}), "/tasks")
	tasks = dsl.Get("/tasks")
	if !strings.Contains(visible(tasks.Body), "A new chase is on your tasks") || !strings.Contains(visible(tasks.Body), "Chase the referral: no feedback yet") {
		t.Errorf("My tasks after chasing again:\n%s", visible(tasks.Body))
	}
	if r := dsl.Get(path); r.Status != http.StatusNotFound {
		t.Errorf("the ended chase's page = %d, want 404", r.Status)
	}
	chron := dsl.Get("/children/" + i64(s.amara.ID) + "/chronology")
	if !strings.Contains(visible(chron.Body), "Referral chased again") || !strings.Contains(visible(chron.Body), "Left a message with the duty team") {
		t.Errorf("the chronology:\n%s", visible(chron.Body))
	}
}
