package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var (
	passageFormRE    = regexp.MustCompile(`action="(/sar/[0-9]+/passages/[0-9]+)"`)
	withholdChosenRE = regexp.MustCompile(`<input[^>]*value="withhold"[^>]*checked`)
)

func TestSubjectAccessPages(t *testing.T) {
	t.Parallel()
	s := newRecordsSite(t)
	dsl := signedInWithCode(t, s.site, "dsl@brookfield.test", s.dslSecret, 0)
	newPath := "/children/" + i64(s.child) + "/sar/new"
	if r := dsl.Get(newPath); r.Status != http.StatusOK || !strings.Contains(r.Body, "Pat admin") {
		t.Fatalf("GET %s: %d", newPath, r.Status)
	}
	create := "/children/" + i64(s.child) + "/sar"
	if r := dsl.PostForm(create, url.Values{"requester_kind": {"parent"}}); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `href="#dpl"`) {
		t.Errorf("an incomplete request: %d", r.Status)
	}
	if r := dsl.PostForm(create, url.Values{"requester_kind": {"parent"}, "requester_name": {"Mrs Okafor"},
		"received_on-day": {"30"}, "received_on-month": {"2"}, "received_on-year": {"2026"}, "dpl": {i64(s.admin.UserID)}}); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(visible(r.Body), "must be a real date") {
		t.Errorf("an impossible date received: %d", r.Status)
	}
	r := dsl.PostForm(create, url.Values{"requester_kind": {"parent"}, "requester_name": {"Mrs Okafor"},
		"received_on-day": {"20"}, "received_on-month": {"11"}, "received_on-year": {"2026"}, "dpl": {i64(s.admin.UserID)}})
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location(), "/sar/") {
		t.Fatalf("start: %d %q\n%.2000s", r.Status, r.Location(), visible(r.Body))
	}
	path := r.Location()
	page := dsl.Get(path)
	forms := passageFormRE.FindAllStringSubmatch(page.Body, -1)
	if len(forms) != 1 || !strings.Contains(visible(page.Body), "C-2026-000001: what happened") {
		t.Fatalf("the draft bundle:\n%.3000s", visible(page.Body))
	}
	passage := forms[0][1]
	// The problem comes back with what was chosen kept (saving the reason
	// alone must not disclose the passage) and a summary link to the field.
	if r := dsl.PostForm(passage, url.Values{"decision": {"withhold"}}); r.Status != http.StatusUnprocessableEntity ||
		!withholdChosenRE.MatchString(r.Body) || !strings.Contains(r.Body, `href="#reason-0"`) || !strings.Contains(r.Body, `id="reason-0-error"`) ||
		!strings.Contains(r.Body, "<title>Error: ") {
		t.Errorf("withholding without a reason: %d\n%.3000s", r.Status, r.Body)
	}
	expectRedirect(t, dsl.PostForm(passage, url.Values{"decision": {"withhold"}, "reason": {"Serious harm exemption"}}), path)

	admin := signedInWithCode(t, s.site, "admin@brookfield.test", s.adminSecret, 0)
	if r := admin.PostForm(path+"/disclose", url.Values{"to": {"Mrs Okafor"}, "method": {"In person"}}); r.Status != http.StatusConflict ||
		!strings.Contains(r.Body, `href="#disclose"`) || !strings.Contains(r.Body, `id="disclose"`) {
		t.Errorf("disclosing before the data protection lead reviewed: %d", r.Status)
	}
	expectRedirect(t, admin.PostForm(passage, url.Values{"decision": {"withhold"}, "reason": {"Serious harm exemption"}}), path)
	expectRedirect(t, admin.PostForm(path+"/disclose", url.Values{"to": {"Mrs Okafor"}, "method": {"In person"}}), path)
	if got := visible(admin.Get(path).Body); !strings.Contains(got, "to Mrs Okafor (In person), by Pat admin — 0 disclosed, 0 redacted, 1 withheld") {
		t.Errorf("the disclosure log:\n%.3000s", got)
	}
	if got := visible(admin.Get(path + "/bundle").Body); !strings.Contains(got, "This passage is withheld") || strings.Contains(got, "HYPERLINK") {
		t.Errorf("the bundle:\n%.2000s", got)
	}

	c := s.Client(t)
	expectRedirect(t, signIn(t, c, "sam@brookfield.test", password), "/")
	if r := c.Get(path); r.Status != http.StatusForbidden {
		t.Errorf("staff GET %s: %d, want 403", path, r.Status)
	}
}
