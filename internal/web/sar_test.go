package web_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/havenschools/haven/internal/apptest"
	"github.com/havenschools/haven/internal/testenv"
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

// TestADisclosedRequestIsReadOnlyAndItsBundleAPDF: a bundle with a passage
// withheld and one redacted downloads as a PDF (printed by Chromium) that
// holds the redaction and not the withheld or redacted-out text; once
// disclosed, the request's page has no review forms, logs each passage's
// decision and reason, offers a new request for a correction, and a review
// posted anyway is refused with a message saying so.
func TestADisclosedRequestIsReadOnlyAndItsBundleAPDF(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"pdftotext", "chromium"} {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.Missing(t, tool+" is not installed (apt-get install poppler-utils chromium)")
		}
	}
	s := newRecordsSite(t)
	var second int64
	if err := s.DB.Owner.QueryRow(context.Background(), `INSERT INTO concerns (school_id, ref, submission_id, recorded_by, happened_on, seen_on,
			account, told_dsl, in_danger, categories) VALUES ($1, 'C-2026-000002', gen_random_uuid(), $2, '2026-10-06',
			'2026-10-06', 'Her aunt Zara Quill said she was left alone.', 'not_yet', false, '{neglect}') RETURNING id`, s.school, s.staff.UserID).Scan(&second); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB.Owner.Exec(context.Background(), `INSERT INTO concern_children (school_id, concern_id, position, child_id, role)
		VALUES ($1, $2, 0, $3, 'subject')`, s.school, second, s.child); err != nil {
		t.Fatal(err)
	}
	dsl := signedInWithCode(t, s.site, "dsl@brookfield.test", s.dslSecret, 0)
	admin := signedInWithCode(t, s.site, "admin@brookfield.test", s.adminSecret, 0)
	r := dsl.PostForm("/children/"+i64(s.child)+"/sar", url.Values{"requester_kind": {"parent"}, "requester_name": {"Mrs Okafor"},
		"received_on-day": {"20"}, "received_on-month": {"11"}, "received_on-year": {"2026"}, "dpl": {i64(s.admin.UserID)}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("start: %d\n%.2000s", r.Status, visible(r.Body))
	}
	path := r.Location()
	forms := passageFormRE.FindAllStringSubmatch(dsl.Get(path).Body, -1)
	if len(forms) != 2 {
		t.Fatalf("%d passages, want 2", len(forms))
	}
	withheld, redacted := forms[0][1], forms[1][1]
	if r := dsl.Get(path + "/bundle.pdf"); r.Status != http.StatusConflict || !strings.Contains(visible(r.Body), "needs a DSL") {
		t.Errorf("the PDF of a bundle not settled: %d", r.Status)
	}
	for _, who := range []*apptest.Client{dsl, admin} {
		expectRedirect(t, who.PostForm(withheld, url.Values{"decision": {"withhold"}, "reason": {"Serious harm exemption"}}), path)
		expectRedirect(t, who.PostForm(redacted, url.Values{"decision": {"redact"}, "reason": {"Names a relative"}, "redacted": {"Her aunt [a relative] said she was left alone."}}), path)
	}

	pdf := dsl.Get(path + "/bundle.pdf")
	if pdf.Status != http.StatusOK || pdf.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(pdf.Body, "%PDF-") ||
		!strings.Contains(pdf.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("the bundle's PDF: %d %s", pdf.Status, pdf.Header.Get("Content-Type"))
	}
	name := filepath.Join(t.TempDir(), "bundle.pdf")
	if err := os.WriteFile(name, []byte(pdf.Body), 0o600); err != nil {
		t.Fatal(err)
	}
	text, err := exec.Command("pdftotext", name, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, text)
	}
	for _, want := range []string{"Personal data held about Amara", "Asked for by Mrs Okafor", "Her aunt [a relative] said she was left alone.",
		"This passage is withheld.", "page 1 of"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("the PDF lacks %q:\n%s", want, text)
		}
	}
	for _, not := range []string{"HYPERLINK", "Zara", "Quill", "Serious harm"} {
		if strings.Contains(string(text), not) {
			t.Errorf("the PDF holds %q, withheld or redacted:\n%s", not, text)
		}
	}
	if n := s.count(t, "audit_events WHERE action = 'sar.bundle_pdf'"); n != 1 {
		t.Errorf("%d PDF downloads audited, want 1", n)
	}

	expectRedirect(t, admin.PostForm(path+"/disclose", url.Values{"to": {"Mrs Okafor"}, "method": {"In person"}}), path)
	page := dsl.Get(path)
	got := visible(page.Body)
	if passageFormRE.MatchString(page.Body) || strings.Contains(page.Body, `action="`+path+`/disclose"`) || strings.Contains(got, "Save review of passage") {
		t.Errorf("the disclosed request still has review forms:\n%.3000s", got)
	}
	for _, want := range []string{"This request has been disclosed, so it is read-only", "Withheld", "Serious harm exemption",
		"Disclosed with third parties redacted", "Names a relative", "Each passage’s decision and reason"} {
		if !strings.Contains(got, want) {
			t.Errorf("the disclosed request's page lacks %q:\n%.3000s", want, got)
		}
	}
	if !strings.Contains(page.Body, `href="/children/`+i64(s.child)+`/sar/new"`) || !strings.Contains(got, "Start a new request") {
		t.Error("the disclosed request offers no new request for a correction")
	}
	refused := dsl.PostForm(redacted, url.Values{"decision": {"disclose"}})
	if refused.Status != http.StatusConflict || !strings.Contains(visible(refused.Body), "has been disclosed and can no longer be changed") ||
		!strings.Contains(refused.Body, `href="#disclosed"`) {
		t.Errorf("a review after disclosure: %d\n%.2000s", refused.Status, visible(refused.Body))
	}
	if r := admin.PostForm(path+"/disclose", url.Values{"to": {"Someone"}, "method": {"Post"}}); r.Status != http.StatusConflict {
		t.Errorf("a second disclosure: %d, want 409", r.Status)
	}
	if n := s.count(t, "sar_passages WHERE decision = 'disclose' AND request_id::text = $1", strings.TrimPrefix(path, "/sar/")); n != 0 {
		t.Errorf("%d passages changed to disclose after disclosure", n)
	}
}
