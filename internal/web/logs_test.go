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

// A whole journey — staff find a child by name, are told what is missing,
// report the concern; the DSL triages it, records a decision and an action,
// closes it and reads the child's chronology — leaves Haven's log (JSON
// lines) without the child's name or anything typed about them.
func TestLogsHoldNoPersonalData(t *testing.T) {
	t.Parallel()
	s := newDSLSite(t)
	staff := s.staffClient(t, "sam@brookfield.test")

	id := openForm(t, staff)
	found := staff.PostForm("/concerns", url.Values{"submission_id": {id}, "q": {"Okafor"}, "action": {"find"}})
	expectStatus(t, found, http.StatusOK, "finding the child")
	form := filledForm(id, s.amara.ID)
	form.Set("account", "")
	expectStatus(t, staff.PostForm("/concerns", form), http.StatusUnprocessableEntity, "a form without its account")
	ref := s.report(t, staff, s.amara.ID)
	staff.Get("/my-concerns")
	staff.Get("/concerns/" + ref)
	staff.Get("/no-such-page?child=Amara+Okafor")

	dsl := signInWithCode(t, s.site, "dsl@brookfield.test", s.dslSecret)
	dsl.Get("/queue")
	page := dsl.Get("/concerns/" + ref)
	expectRedirect(t, dsl.PostForm("/concerns/"+ref+"/acknowledge", url.Values{"version": {version(t, page.Body)}}), "/concerns/"+ref)
	v := version(t, dsl.Get("/concerns/"+ref).Body)
	expectRedirect(t, dsl.PostForm("/concerns/"+ref+"/decision", url.Values{"version": {v}, "outcome": {"social_care"},
		"reason": {"Exploitation indicators seen by Okafor's form tutor"}, "parents": {"not_told"},
		"parents_why_not": {"Risk of alerting the adult"}, "childs_wishes": {"Amara wants it to stop"}}), "/concerns/"+ref)
	today := time.Now()
	expectRedirect(t, dsl.PostForm("/concerns/"+ref+"/action", url.Values{"kind": {"referral"},
		"action_on-day": {fmt.Sprint(today.Day())}, "action_on-month": {fmt.Sprint(int(today.Month()))}, "action_on-year": {fmt.Sprint(today.Year())},
		"note": {"Referred Amara to the front door"}, "agency_ref": {"MASH-1"}}), "/concerns/"+ref)
	v = version(t, dsl.Get("/concerns/"+ref).Body)
	expectRedirect(t, dsl.PostForm("/concerns/"+ref+"/close", url.Values{"version": {v}, "summary": {"Social care leading for Amara"}}), "/concerns/"+ref)
	dsl.Get("/children/" + i64(s.amara.ID))
	dsl.Get("/children/" + i64(s.amara.ID) + "/chronology")

	// The DSLs' emails are sent by a job: wait for it, so its log is read too.
	deadline := time.Now().Add(15 * time.Second)
	for {
		var sent int
		if err := s.DB.Owner.QueryRow(context.Background(), `SELECT count(*) FROM river_job WHERE state = 'completed'`).Scan(&sent); err != nil {
			t.Fatal(err)
		}
		if sent > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}

	logs := s.Logs()
	if !strings.Contains(logs, `"route":"/concerns/{ref}"`) || !strings.Contains(logs, `"status":422`) {
		t.Fatalf("the journey was not logged as expected:\n%s", logs)
	}
	for _, personal := range []string{"Amara", "Okafor", "older man waits", "silver car", "He buys me things",
		"Year 9 corridor", "Exploitation indicators", "alerting the adult", "wants it to stop", "front door",
		"Social care leading", "sam@brookfield.test", "dsl@brookfield.test"} {
		if strings.Contains(logs, personal) {
			t.Errorf("Haven's log holds %q", personal)
		}
	}
}
