package web_test

import (
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/havenschools/haven/internal/apptest"
	"github.com/havenschools/haven/internal/mailtest"
	"github.com/havenschools/haven/internal/testenv"
)

var passwordRE = regexp.MustCompile(`id="password">([a-z0-9-]{23})<`)

// TestChildFileIsAPasswordProtectedTaggedPDF makes a child's file through
// the page, as a DSL does, and reads it back with poppler's tools: it
// opens only with the password shown once, is tagged, has page numbers,
// and holds the chronology.
func TestChildFileIsAPasswordProtectedTaggedPDF(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"pdftotext", "pdfinfo", "chromium"} {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.Missing(t, tool+" is not installed (apt-get install poppler-utils chromium)")
		}
	}
	s := newRecordsSite(t)
	dsl := signedInWithCode(t, s.site, "dsl@brookfield.test", s.dslSecret, 0)
	path := "/children/" + i64(s.child) + "/file"
	if r := dsl.Get(path); r.Status != http.StatusOK || !strings.Contains(r.Body, "PDF, protected by a password") {
		t.Fatalf("GET %s: %d", path, r.Status)
	}
	if r := dsl.PostForm(path, url.Values{"format": {"pdf"}}); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `href="#reason"`) {
		t.Errorf("no reason: %d", r.Status)
	}
	r := dsl.PostForm(path, url.Values{"format": {"pdf"}, "reason": {"Moving to Riverside Academy"}})
	if r.Status != http.StatusSeeOther || !exportPathRE.MatchString(r.Location()) {
		t.Fatalf("POST %s: %d %q\n%.2000s", path, r.Status, r.Location(), visible(r.Body))
	}
	page := dsl.Get(r.Location())
	m := passwordRE.FindStringSubmatch(page.Body)
	if m == nil {
		t.Fatalf("no password shown:\n%.3000s", visible(page.Body))
	}
	password := m[1]
	if again := dsl.Get(r.Location()); strings.Contains(again.Body, password) {
		t.Error("the password is shown a second time")
	}
	file := dsl.Get(r.Location() + "/download")
	if file.Status != http.StatusOK || file.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(file.Body, "%PDF-") {
		t.Fatalf("download: %d %s", file.Status, file.Header.Get("Content-Type"))
	}
	if strings.Contains(file.Body, "HYPERLINK") {
		t.Error("the PDF's text is readable without the password")
	}
	name := filepath.Join(t.TempDir(), "file.pdf")
	if err := os.WriteFile(name, []byte(file.Body), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("pdftotext", name, "-").CombinedOutput(); err == nil {
		t.Errorf("pdftotext read the file without a password:\n%s", out)
	}
	text, err := exec.Command("pdftotext", "-upw", password, name, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext with the password: %v\n%s", err, text)
	}
	for _, want := range []string{"Safeguarding file: Amara Okafor", "Chronology", "Concern C-2026-000001 recorded",
		`=HYPERLINK("http://evil.test")`, "UPN: A123456789012", "page 1 of"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("the PDF's text lacks %q:\n%s", want, text)
		}
	}
	info, err := exec.Command("pdfinfo", "-upw", password, name).CombinedOutput()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Tagged:          yes", "Encrypted:       yes", "print:yes", "algorithm:AES-256"} {
		if !strings.Contains(string(info), want) {
			t.Errorf("pdfinfo lacks %q:\n%s", want, info)
		}
	}
}

var receiptLinkRE = regexp.MustCompile(`/transfers/receipt/([A-Z2-7]+)`)

func TestTransferAndItsOneTimeReceiptLink(t *testing.T) {
	t.Parallel()
	s := newRecordsSite(t)
	dsl := signedInWithCode(t, s.site, "dsl@brookfield.test", s.dslSecret, 0)
	if r := dsl.Get("/children/" + i64(s.child)); r.Status != http.StatusOK ||
		!strings.Contains(r.Body, `href="/children/`+i64(s.child)+`/transfers/new"`) || !strings.Contains(r.Body, `/sar/new"`) {
		t.Errorf("the child's page lacks the links to the child's records: %d", r.Status)
	}
	found := dsl.PostForm("/transfers/find", url.Values{"q": {"Okafor"}})
	newPath := "/children/" + i64(s.child) + "/transfers/new"
	if !strings.Contains(found.Body, newPath) {
		t.Fatalf("find the child:\n%.2000s", visible(found.Body))
	}
	if r := dsl.Get(newPath); r.Status != http.StatusOK {
		t.Fatalf("GET %s: %d", newPath, r.Status)
	}
	create := "/children/" + i64(s.child) + "/transfers"
	bad := dsl.PostForm(create, url.Values{"destination_school": {"Riverside"}, "destination_dsl": {"Rae"}, "destination_email": {"nope"}})
	if bad.Status != http.StatusUnprocessableEntity || !strings.Contains(bad.Body, `href="#destination_email"`) || !strings.Contains(bad.Body, `href="#left_on-day"`) {
		t.Errorf("a bad transfer: %d\n%.2000s", bad.Status, visible(bad.Body))
	}
	// An impossible date is called that, not "enter the date", and stays as typed.
	bad = dsl.PostForm(create, url.Values{"destination_school": {"Riverside"}, "destination_dsl": {"Rae"},
		"destination_email": {"rae@riverside.test"}, "left_on-day": {"31"}, "left_on-month": {"2"}, "left_on-year": {"2026"}})
	if got := visible(bad.Body); bad.Status != http.StatusUnprocessableEntity || !strings.Contains(got, "must be a real date") ||
		!strings.Contains(bad.Body, `value="31"`) {
		t.Errorf("an impossible date: %d\n%.2000s", bad.Status, got)
	}
	r := dsl.PostForm(create, url.Values{"destination_school": {"Riverside Academy"}, "destination_dsl": {"Rae Ceiver"},
		"destination_email": {"rae@riverside.test"}, "left_on-day": {"2"}, "left_on-month": {"11"}, "left_on-year": {"2026"}})
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location(), "/transfers/") {
		t.Fatalf("create: %d %q\n%.2000s", r.Status, r.Location(), visible(r.Body))
	}
	transfer := r.Location()
	if got := visible(dsl.Get("/transfers").Body); !strings.Contains(got, "Amara Okafor") || !strings.Contains(got, "overdue") {
		t.Errorf("the transfers list (due 9 November, so overdue):\n%.2000s", got)
	}
	if got := visible(dsl.Get("/dashboard").Body); !strings.Contains(got, "Overdue transfers") || !strings.Contains(got, "Amara Okafor") {
		t.Errorf("the DSL dashboard does not list the overdue transfer:\n%.2000s", got)
	}
	expectRedirect(t, dsl.PostForm(transfer+"/sent", url.Values{"sent_file": {"by_hand"}, "sent_how": {"Handed to their DSL"},
		"sent_reason": {"Their DSL collected it at a meeting"}}), transfer)

	var text string
	if err := s.DB.Owner.QueryRow(t.Context(), `SELECT args->>'text' FROM river_job
		WHERE kind = 'email' AND args->>'to' = 'rae@riverside.test'`).Scan(&text); err != nil {
		t.Fatal(err)
	}
	m := receiptLinkRE.FindStringSubmatch(text)
	if m == nil || strings.Contains(text, "Okafor") {
		t.Fatalf("the receiving DSL's email:\n%s", text)
	}
	link := "/transfers/receipt/" + m[1]
	them := s.Client(t) // the receiving DSL has no account here
	if r := them.Get(link); r.Status != http.StatusOK || strings.Contains(r.Body, "Okafor") || !strings.Contains(visible(r.Body), "Brookfield Primary") ||
		!strings.Contains(visible(r.Body), "Delivered by hand (not a file made in Haven)") || strings.Contains(r.Body, "at a meeting") {
		t.Fatalf("the receipt page: %d\n%.2000s", r.Status, visible(r.Body))
	}
	if r := them.PostForm(link, url.Values{"name": {""}}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("a receipt without a name: %d", r.Status)
	}
	if r := them.PostForm(link, url.Values{"name": {"Rae Ceiver"}}); r.Status != http.StatusOK || !strings.Contains(r.Body, "Receipt confirmed") {
		t.Fatalf("confirm: %d\n%.2000s", r.Status, visible(r.Body))
	}
	if r := them.PostForm(link, url.Values{"name": {"Someone Else"}}); r.Status != http.StatusGone {
		t.Errorf("the link used twice: %d, want 410", r.Status)
	}
	if r := them.Get(link); r.Status != http.StatusGone {
		t.Errorf("the used link's page: %d, want 410", r.Status)
	}
	if got := visible(dsl.Get(transfer).Body); !strings.Contains(got, "Receipt confirmed by Rae Ceiver") {
		t.Errorf("the transfer after receipt:\n%.2000s", got)
	}
	chron := visible(dsl.Get("/children/" + i64(s.child) + "/chronology").Body)
	for _, want := range []string{"Moving to Riverside Academy", "Safeguarding file sent to Riverside Academy",
		"Receipt of the file confirmed by Riverside Academy"} {
		if !strings.Contains(chron, want) {
			t.Errorf("the chronology lacks %q:\n%.3000s", want, chron)
		}
	}
}

// TestATransferIsNotSentWithoutItsFile: marking a transfer sent with no
// child's file made for it (and no alternative recorded) is refused
// beside the question, and the receiving DSL is not emailed; once the
// file is made from the transfer's page, it is sent, and the receipt
// link's page names the file and when it was made.
func TestATransferIsNotSentWithoutItsFile(t *testing.T) {
	t.Parallel()
	s := newRecordsSite(t, apptest.WithMail())
	dsl := signedInWithCode(t, s.site, "dsl@brookfield.test", s.dslSecret, 0)
	r := dsl.PostForm("/children/"+i64(s.child)+"/transfers", url.Values{"destination_school": {"Riverside Academy"},
		"destination_dsl": {"Rae Ceiver"}, "destination_email": {"rae@riverside.test"},
		"left_on-day": {"2"}, "left_on-month": {"11"}, "left_on-year": {"2026"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("create: %d\n%.2000s", r.Status, visible(r.Body))
	}
	transfer := r.Location()
	if got := visible(dsl.Get(transfer).Body); !strings.Contains(got, "Not made yet") {
		t.Errorf("the transfer's page does not say the file is not made:\n%.2000s", got)
	}
	refused := dsl.PostForm(transfer+"/sent", url.Values{"sent_file": {"made"}, "sent_how": {"Secure email; password by phone"}})
	if refused.Status != http.StatusUnprocessableEntity || !strings.Contains(refused.Body, `href="#sent_file"`) ||
		!strings.Contains(refused.Body, `id="sent_file-error"`) || !strings.Contains(visible(refused.Body), "No child’s file has been made for this transfer") ||
		!strings.Contains(refused.Body, `value="Secure email; password by phone"`) {
		t.Fatalf("marked sent with no file: %d\n%.3000s", refused.Status, visible(refused.Body))
	}
	var queued int
	if err := s.DB.Owner.QueryRow(t.Context(), `SELECT count(*) FROM river_job WHERE kind = 'email'
		AND args->>'to' = 'rae@riverside.test'`).Scan(&queued); err != nil {
		t.Fatal(err)
	}
	if n := queued; n != 0 {
		t.Fatalf("%d emails queued to the receiving DSL after the refusal, want 0", n)
	}
	if got := visible(dsl.Get(transfer).Body); !strings.Contains(got, "Not yet") {
		t.Errorf("the refused transfer is shown as sent:\n%.2000s", got)
	}

	// Make the file from the transfer (the package: no Chromium needed).
	made := dsl.PostForm("/children/"+i64(s.child)+"/file", url.Values{"format": {"package"}, "reason": {"Moving school"},
		"transfer": {strings.TrimPrefix(transfer, "/transfers/")}})
	if made.Status != http.StatusSeeOther || !exportPathRE.MatchString(made.Location()) {
		t.Fatalf("make the file: %d\n%.2000s", made.Status, visible(made.Body))
	}
	if got := visible(dsl.Get(transfer).Body); !strings.Contains(got, "Encrypted package for another Haven") {
		t.Errorf("the transfer's page does not name the file made:\n%.2000s", got)
	}
	expectRedirect(t, dsl.PostForm(transfer+"/sent", url.Values{"sent_file": {"made"}, "sent_how": {"Secure email; password by phone"}}), transfer)
	mail := s.Mail.WaitFor(t, func(m mailtest.Summary) bool { return m.SentTo("rae@riverside.test") }, 30*time.Second)
	m := receiptLinkRE.FindStringSubmatch(mail.Text)
	if m == nil {
		t.Fatalf("no receipt link in:\n%s", mail.Text)
	}
	n := 0
	for _, msg := range s.Mail.Messages(t) {
		if msg.SentTo("rae@riverside.test") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d emails to the receiving DSL, want 1 (none for the refused send)", n)
	}
	receipt := visible(s.Client(t).Get("/transfers/receipt/" + m[1]).Body)
	if !strings.Contains(receipt, "The child’s safeguarding file made in Haven on") || !strings.Contains(receipt, "Encrypted package for another Haven") {
		t.Errorf("the receipt page does not name what was sent:\n%.2000s", receipt)
	}
}
