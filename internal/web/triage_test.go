package web_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/apptest"
	"github.com/havenschools/haven/internal/school"
)

// dslSite is a concernSite whose DSL and deputy have a second factor.
type dslSite struct {
	*concernSite
	dslSecret, deputySecret string
}

func newDSLSite(t *testing.T) *dslSite {
	t.Helper()
	s := &dslSite{concernSite: newConcernSite(t)}
	var dsl, deputy int64
	if err := s.DB.Owner.QueryRow(context.Background(), `SELECT id FROM users WHERE email = 'dsl@brookfield.test'`).Scan(&dsl); err != nil {
		t.Fatal(err)
	}
	if err := s.DB.Owner.QueryRow(context.Background(), `SELECT id FROM users WHERE email = 'deputy@brookfield.test'`).Scan(&deputy); err != nil {
		t.Fatal(err)
	}
	s.dslSecret, s.deputySecret = s.enrol(t, dsl), s.enrol(t, deputy)
	return s
}

// report submits a concern about child as the staff client and returns its reference.
func (s *dslSite) report(t *testing.T, staff *apptest.Client, child int64) string {
	t.Helper()
	r := staff.PostForm("/concerns", filledForm(openForm(t, staff), child))
	if r.Status != http.StatusSeeOther {
		t.Fatalf("submit: %d\n%s", r.Status, visible(r.Body))
	}
	ref := refRE.FindString(r.Location())
	if ref == "" {
		t.Fatalf("no reference in %q", r.Location())
	}
	return ref
}

var versionRE = regexp.MustCompile(`name="version" value="(\d+)"`)

func version(t *testing.T, body string) string {
	t.Helper()
	m := versionRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no version on the page:\n%s", visible(body))
	}
	return m[1]
}

func expectStatus(t *testing.T, r apptest.Response, want int, what string) {
	t.Helper()
	if r.Status != want {
		t.Fatalf("%s: %d, want %d\n%.3000s", what, r.Status, want, visible(r.Body))
	}
}

func TestDSLTriagesAConcernFromTheQueueToClosure(t *testing.T) {
	t.Parallel()
	s := newDSLSite(t)
	staff := s.staffClient(t, "sam@brookfield.test")
	ref := s.report(t, staff, s.amara.ID)
	dsl := signInWithCode(t, s.site, "dsl@brookfield.test", s.dslSecret)

	q := dsl.Get("/queue")
	expectStatus(t, q, http.StatusOK, "the queue")
	for _, want := range []string{"Safeguarding queue", ref, "Amara Okafor", "Year 9", "New (1)", "Recorded: just now by Pat staff", "Assigned to: Nobody yet"} {
		if !strings.Contains(visible(q.Body), want) {
			t.Errorf("the queue lacks %q", want)
		}
	}
	if !strings.Contains(q.Body, `src="/static/js/queue.js"`) || !strings.Contains(q.Body, `data-events="/queue/events"`) {
		t.Error("the queue has no live line")
	}
	for _, path := range []string{"/queue", "/tasks", "/dashboard", "/children/" + i64(s.amara.ID), "/children/" + i64(s.amara.ID) + "/chronology"} {
		if r := staff.Get(path); r.Status != http.StatusForbidden {
			t.Errorf("staff GET %s = %d, want 403", path, r.Status)
		}
	}
	if r := staff.PostForm("/concerns/"+ref+"/acknowledge", url.Values{"version": {"1"}}); r.Status != http.StatusForbidden {
		t.Errorf("staff acknowledging = %d, want 403", r.Status)
	}

	page := dsl.Get("/concerns/" + ref)
	expectStatus(t, page, http.StatusOK, "the DSL's concern page")
	for _, want := range []string{"Acknowledge", "What happened", "older man waits for her", "Who has seen this"} {
		if !strings.Contains(visible(page.Body), want) {
			t.Errorf("the concern page lacks %q", want)
		}
	}
	expectRedirect(t, dsl.PostForm("/concerns/"+ref+"/acknowledge", url.Values{"version": {version(t, page.Body)}}), "/concerns/"+ref)
	page = dsl.Get("/concerns/" + ref)
	for _, want := range []string{"You have acknowledged " + ref, "Record decision", "Record action", "Close concern", "Assigned to Pat dsl"} {
		if !strings.Contains(visible(page.Body), want) {
			t.Errorf("after acknowledging, the page lacks %q", want)
		}
	}

	v := version(t, page.Body)
	decision := dsl.Get("/concerns/" + ref + "/decision")
	expectStatus(t, decision, http.StatusOK, "the decision form")
	bad := dsl.PostForm("/concerns/"+ref+"/decision", url.Values{"version": {v}, "outcome": {"no_further_action"}, "reason": {"Typed reason"}})
	expectStatus(t, bad, http.StatusUnprocessableEntity, "an incomplete decision")
	if !strings.Contains(bad.Body, "There is a problem") || !strings.Contains(bad.Body, "Typed reason") ||
		!strings.Contains(bad.Body, `href="#parents"`) || !strings.Contains(bad.Body, `href="#childs_wishes"`) {
		t.Errorf("the refused decision:\n%s", visible(bad.Body))
	}
	expectRedirect(t, dsl.PostForm("/concerns/"+ref+"/decision", url.Values{"version": {v}, "outcome": {"social_care"},
		"reason": {"Exploitation indicators"}, "parents": {"not_told"}, "parents_why_not": {"Risk of alerting the adult"},
		"childs_wishes": {"Wants it to stop"}}), "/concerns/"+ref)

	today := time.Now()
	expectRedirect(t, dsl.PostForm("/concerns/"+ref+"/action", url.Values{"kind": {"referral"},
		"action_on-day": {fmt.Sprint(today.Day())}, "action_on-month": {fmt.Sprint(int(today.Month()))}, "action_on-year": {fmt.Sprint(today.Year())},
		"note": {"Referred to the front door"}, "agency_ref": {"MASH-1"}}), "/concerns/"+ref)
	tasks := dsl.Get("/tasks")
	if !strings.Contains(visible(tasks.Body), "Chase the referral: no feedback yet") {
		t.Errorf("My tasks:\n%s", visible(tasks.Body))
	}

	page = dsl.Get("/concerns/" + ref)
	v = version(t, page.Body)
	expectStatus(t, dsl.PostForm("/concerns/"+ref+"/close", url.Values{"version": {v}}), http.StatusUnprocessableEntity, "closing without a summary")
	expectRedirect(t, dsl.PostForm("/concerns/"+ref+"/close", url.Values{"version": {v}, "summary": {"Social care leading"}}), "/concerns/"+ref)
	page = dsl.Get("/concerns/" + ref)
	if !strings.Contains(visible(page.Body), "Reopen concern") || !strings.Contains(visible(page.Body), "Social care leading") {
		t.Errorf("after closing:\n%s", visible(page.Body))
	}

	chron := dsl.Get("/children/" + i64(s.amara.ID) + "/chronology")
	expectStatus(t, chron, http.StatusOK, "the chronology")
	for _, want := range []string{"Chronology", "Concern " + ref + " recorded", "Decision: Refer to children",
		"Action: Referral", "Closed"} {
		if !strings.Contains(visible(chron.Body), want) {
			t.Errorf("the chronology lacks %q", want)
		}
	}
	printed := dsl.Get("/children/" + i64(s.amara.ID) + "/chronology/print?kind=decision")
	if printed.Status != http.StatusOK || !strings.Contains(printed.Body, "Confidential") || strings.Contains(visible(printed.Body), "Action: Referral") {
		t.Errorf("the print version: %d\n%s", printed.Status, visible(printed.Body))
	}
	child := dsl.Get("/children/" + i64(s.amara.ID))
	for _, want := range []string{"Amara Okafor", "Chronology", "Cumulative concerns", "No flag does not mean no concern",
		"CSE indicators over time", "In a relationship with someone much older", "Viewed the chronology", "Printed the chronology"} {
		if !strings.Contains(visible(child.Body), want) {
			t.Errorf("the child's page lacks %q", want)
		}
	}
	dash := dsl.Get("/dashboard")
	if dash.Status != http.StatusOK || !strings.Contains(dash.Body, "<svg") || !strings.Contains(dash.Body, "Time to acknowledge") {
		t.Errorf("the dashboard: %d", dash.Status)
	}
	if strings.Contains(dash.Body, "style=") {
		t.Error("the dashboard has inline style, which the CSP forbids")
	}
}

func TestConflictPageShowsWhatChangedAndKeepsWhatWasTyped(t *testing.T) {
	t.Parallel()
	s := newDSLSite(t)
	ref := s.report(t, s.staffClient(t, "sam@brookfield.test"), s.amara.ID)
	dsl := signInWithCode(t, s.site, "dsl@brookfield.test", s.dslSecret)
	deputy := signInWithCode(t, s.site, "deputy@brookfield.test", s.deputySecret)

	seen := version(t, deputy.Get("/concerns/"+ref).Body) // the deputy opens it
	expectRedirect(t, dsl.PostForm("/concerns/"+ref+"/acknowledge", url.Values{"version": {seen}}), "/concerns/"+ref)

	r := deputy.PostForm("/concerns/"+ref+"/acknowledge", url.Values{"version": {seen}})
	expectStatus(t, r, http.StatusConflict, "a stale acknowledgement")
	for _, want := range []string{"This concern has changed", "Nothing has been overwritten", "Acknowledged", "Pat dsl"} {
		if !strings.Contains(visible(r.Body), want) {
			t.Errorf("the conflict page lacks %q:\n%s", want, visible(r.Body))
		}
	}
	r = deputy.PostForm("/concerns/"+ref+"/close", url.Values{"version": {seen}, "summary": {"My careful summary"}})
	expectStatus(t, r, http.StatusConflict, "a stale closure")
	if !strings.Contains(visible(r.Body), "My careful summary") {
		t.Errorf("what the deputy typed is lost:\n%s", visible(r.Body))
	}
	page := dsl.Get("/concerns/" + ref)
	if strings.Contains(visible(page.Body), "My careful summary") || !strings.Contains(visible(page.Body), "Acknowledged") {
		t.Error("the stale change was written")
	}
}

func TestADSLOfAnotherSchoolGets404(t *testing.T) {
	t.Parallel()
	s := newDSLSite(t)
	ref := s.report(t, s.staffClient(t, "sam@brookfield.test"), s.amara.ID)
	other, err := school.NewService(s.DB.App).Create(context.Background(), actor.Actor{Role: actor.System}, "elmwood", "Elmwood School")
	if err != nil {
		t.Fatal(err)
	}
	outsider := s.personIn(t, other.ID, "dsl@elmwood.test", actor.DSL)
	c := signInWithCode(t, s.site, "dsl@elmwood.test", s.enrol(t, outsider.UserID))
	for _, path := range []string{"/concerns/" + ref, "/concerns/" + ref + "/decision", "/children/" + i64(s.amara.ID),
		"/children/" + i64(s.amara.ID) + "/chronology", "/children/" + i64(s.amara.ID) + "/chronology/print"} {
		if r := c.Get(path); r.Status != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, r.Status)
		}
	}
	if r := c.PostForm("/concerns/"+ref+"/acknowledge", url.Values{"version": {"1"}}); r.Status != http.StatusNotFound {
		t.Errorf("acknowledging = %d, want 404", r.Status)
	}
	if r := c.Get("/queue"); r.Status != http.StatusOK || strings.Contains(r.Body, ref) {
		t.Errorf("the other school's queue shows %s", ref)
	}
}

func TestQueueEventsTellOfNewConcerns(t *testing.T) {
	t.Parallel()
	s := newDSLSite(t)
	staff := s.staffClient(t, "sam@brookfield.test")
	dsl := signInWithCode(t, s.site, "dsl@brookfield.test", s.dslSecret)
	since := time.Now().UTC().Format(time.RFC3339Nano)

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/queue/events?since="+url.QueryEscape(since), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	client := *dsl.HTTP
	client.Timeout = 0
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	lines := bufio.NewScanner(resp.Body)
	next := func() string {
		t.Helper()
		for lines.Scan() {
			if data, ok := strings.CutPrefix(lines.Text(), "data: "); ok {
				return data
			}
		}
		t.Fatalf("the stream ended: %v", lines.Err())
		return ""
	}
	if got := next(); got != "0" {
		t.Fatalf("first count = %q, want 0", got)
	}
	s.report(t, staff, s.amara.ID)
	if got := next(); got != "1" {
		t.Fatalf("after a new concern, count = %q, want 1", got)
	}

	poll := dsl.Get("/queue/new?since=" + url.QueryEscape(since))
	if poll.Status != http.StatusOK || strings.TrimSpace(poll.Body) != `{"count":1}` {
		t.Errorf("polling: %d %s", poll.Status, poll.Body)
	}
	if r := staff.Get("/queue/events?since=" + url.QueryEscape(since)); r.Status != http.StatusForbidden {
		t.Errorf("staff events = %d, want 403", r.Status)
	}

	// Shutting down ends the stream (Serve registers EndStreams with the
	// http.Server), so a graceful shutdown does not wait for it.
	ended := make(chan struct{})
	go func() {
		for lines.Scan() {
		}
		close(ended)
	}()
	s.Web.EndStreams()
	select {
	case <-ended:
	case <-time.After(5 * time.Second):
		t.Error("the stream did not end when the server shut down")
	}
}

func TestRestrictedConcernsAreHiddenFromOtherDSLs(t *testing.T) {
	t.Parallel()
	s := newDSLSite(t)
	ref := s.report(t, s.staffClient(t, "sam@brookfield.test"), s.amara.ID)
	dsl := signInWithCode(t, s.site, "dsl@brookfield.test", s.dslSecret)
	deputy := signInWithCode(t, s.site, "deputy@brookfield.test", s.deputySecret)
	own := s.report(t, deputy, s.ben.ID) // the deputy records one too

	access := dsl.Get("/concerns/" + ref + "/access")
	expectStatus(t, access, http.StatusOK, "who can see it")
	expectRedirect(t, dsl.PostForm("/concerns/"+ref+"/access", url.Values{"version": {version(t, access.Body)}, "restricted": {"yes"}}),
		"/concerns/"+ref)
	access = dsl.Get("/concerns/" + own + "/access")
	var deputyID int64
	if err := s.DB.Owner.QueryRow(context.Background(), `SELECT id FROM users WHERE email = 'deputy@brookfield.test'`).Scan(&deputyID); err != nil {
		t.Fatal(err)
	}
	expectRedirect(t, dsl.PostForm("/concerns/"+own+"/access", url.Values{"version": {version(t, access.Body)}, "restricted": {"no"},
		"excluded": {i64(deputyID)}}), "/concerns/"+own)

	if r := deputy.Get("/queue?status=all"); strings.Contains(r.Body, ref) || strings.Contains(r.Body, own) {
		t.Error("the deputy's queue shows a concern they may not see")
	}
	for _, path := range []string{"/concerns/" + ref, "/concerns/" + ref + "/decision", "/concerns/" + own + "/decision"} {
		if r := deputy.Get(path); r.Status != http.StatusNotFound {
			t.Errorf("the deputy GET %s = %d, want 404", path, r.Status)
		}
	}
	mine := deputy.Get("/concerns/" + own)
	if mine.Status != http.StatusOK || strings.Contains(visible(mine.Body), "Acknowledge") || !strings.Contains(visible(mine.Body), "You recorded this") {
		t.Errorf("the deputy's own concern, excluded: %d\n%s", mine.Status, visible(mine.Body))
	}
}
