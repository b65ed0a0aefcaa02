package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/browsertest"
	"github.com/havenschools/haven/internal/when"
)

// recordsSchool is Haven for the records journeys: an admin and a DSL with
// authenticator apps, a member of staff, and Amara with one concern whose
// account, child's words and outcome are the passages of her file.
type recordsSchool struct {
	*accountsSite
	adminKey, dslKey string
	staff            int64
	amara            int64
}

func newRecordsSchool(t *testing.T) *recordsSchool {
	t.Helper()
	s := &recordsSchool{accountsSite: newAccountsSite(t)}
	s.adminKey = s.enrolled(t, s.person(t, "admin@brookfield.test", actor.Admin))
	s.dslKey = s.enrolled(t, s.person(t, "dsl@brookfield.test", actor.DSL))
	s.staff = s.person(t, "sam@brookfield.test", actor.Staff)
	s.amara = s.child(t, "Amara", "Okafor", "2012-03-14")
	ctx := context.Background()
	var concern int64
	if err := s.DB.Owner.QueryRow(ctx, `INSERT INTO concerns (school_id, ref, submission_id, recorded_by, happened_on, seen_on,
			account, childs_words, outcome_summary, told_dsl, in_danger, categories) VALUES ($1, 'C-2026-000001',
			gen_random_uuid(), $2, '2026-10-05', '2026-10-05', 'Amara said Ben''s uncle drives her home after school.',
			'He tells me not to tell my mum.', 'Referred to children''s social care; a strategy meeting was held.',
			'not_yet', false, '{cse}') RETURNING id`, s.school, s.staff).Scan(&concern); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB.Owner.Exec(ctx, `INSERT INTO concern_children (school_id, concern_id, position, child_id, role)
		VALUES ($1, $2, 0, $3, 'subject')`, s.school, concern, s.amara); err != nil {
		t.Fatal(err)
	}
	return s
}

// child puts a child on the school's roll, born on dob (YYYY-MM-DD).
func (s *recordsSchool) child(t *testing.T, first, last, dob string) int64 {
	t.Helper()
	var id int64
	if err := s.DB.Owner.QueryRow(context.Background(), `INSERT INTO children (school_id, first_name, last_name, year_group, date_of_birth)
		VALUES ($1, $2, $3, 9, $4) RETURNING id`, s.school, first, last, dob).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// signedIn signs email in with the authenticator app's code step time
// steps ahead (each sign-in of a person needs a code not used before).
func (s *recordsSchool) signedIn(t *testing.T, vp browsertest.Viewport, email, key string, step int) *browsertest.Tab {
	t.Helper()
	tab := browsertest.NewTab(t, s.URL)
	tab.SetViewport(vp)
	signInWith(tab, email, journeyPassword)
	tab.Fill("Security code", codeAt(t, key, time.Duration(step)*30*time.Second))
	tab.Click("Continue")
	if tab.Heading() == "Enter your security code" {
		t.Fatalf("%s was not signed in:\n%s", email, tab.Text())
	}
	return tab
}

// menu follows a link of the navigation, opening it first on a phone, or
// of the "More" page when the link is not in the primary row.
func menu(tab *browsertest.Tab, vp browsertest.Viewport, link string) {
	if vp.Mobile {
		tab.Click("Menu")
	}
	inNav := browsertest.Eval[bool](tab, `[...document.querySelectorAll('#navigation a')].some((a) => a.textContent.trim() === `+strconv.Quote(link)+`)`)
	if !inNav {
		tab.Click("More") // the rest of the menu, on a page of its own
	}
	tab.Click(link)
}

// checkedAllowing is checked for a page reached through answers the journey
// provokes on purpose besides those checked allows (a used link's 410).
func checkedAllowing(t *testing.T, tab *browsertest.Tab, statuses ...int) {
	t.Helper()
	tab.ExpectNoAxeViolations()
	allowed := []int{409, 422, 429}
	allowed = append(allowed, statuses...)
errors:
	for _, e := range tab.ConsoleErrors() {
		for _, code := range allowed {
			if e.Source == "network" && strings.Contains(e.Text, fmt.Sprintf("status of %d", code)) {
				continue errors
			}
		}
		t.Errorf("on %s the browser reported %s", tab.Path(), e)
	}
}

// expectText fails the test unless the page's visible text holds each of want.
func expectText(t *testing.T, tab *browsertest.Tab, want ...string) {
	t.Helper()
	text := tab.Text()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("on %s there is no %q:\n%s", tab.Path(), w, text)
		}
	}
}

// expectProblem checks a form came back with status 422, the error summary
// holding message and linking to an element that exists, and message by
// the field too.
func expectProblem(t *testing.T, tab *browsertest.Tab, message string) {
	t.Helper()
	if tab.Status() != 422 {
		t.Errorf("on %s the status is %d, want 422", tab.Path(), tab.Status())
	}
	if !strings.HasPrefix(tab.Title(), "Error: ") {
		t.Errorf("on %s the title %q does not start with Error:", tab.Path(), tab.Title())
	}
	summary := browsertest.Eval[string](tab, `document.querySelector('.govuk-error-summary')?.innerText ?? ''`)
	if !strings.Contains(summary, "There is a problem") || !strings.Contains(summary, message) {
		t.Fatalf("on %s the error summary is %q, want %q in it", tab.Path(), summary, message)
	}
	// Each of the summary's links leads to a field that shows the message.
	broken := browsertest.Eval[[]string](tab, `[...document.querySelectorAll('.govuk-error-summary a')].filter(a => {
		const el = document.getElementById(decodeURIComponent(a.getAttribute('href').slice(1)));
		if (!el || !['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName)) { return true; }
		const group = el.closest('.govuk-form-group--error');
		return !group || !group.querySelector('.govuk-error-message')?.innerText.includes(a.innerText.trim());
	}).map(a => a.getAttribute('href') + ' ' + a.innerText)`)
	if len(broken) > 0 {
		t.Errorf("on %s the error summary's links lead to no field showing their message: %q", tab.Path(), broken)
	}
}

// clickSubmit clicks the submit button of the form matched by css and
// waits for the page it loads, for a button whose text is also a link's.
func clickSubmit(t *testing.T, tab *browsertest.Tab, css string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab.Context(), browsertest.ActionTimeout)
	defer cancel()
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(css+` button[type="submit"], `+css+` button:not([type])`))); err != nil {
		t.Fatalf("submit %s: %v", css, err)
	}
}

// TestSubjectAccessRequest: from Amara's page a DSL starts a subject
// access request naming the admin as data protection lead and reviews each
// passage — redact, withhold (first without a reason: the problem comes
// back by the field), disclose; the admin, signed in beside them, reviews
// too; the DSL checks the bundle and records the disclosure, and the log
// shows to whom — at phone and desktop sizes.
func TestSubjectAccessRequest(t *testing.T) {
	s := newRecordsSchool(t)
	child := fmt.Sprint(s.amara)
	for i, vp := range viewports {
		t.Run(vp.Name, func(t *testing.T) {
			dsl := s.signedIn(t, vp, "dsl@brookfield.test", s.dslKey, i)
			dsl.Go("/children/" + child)
			expectHeading(t, dsl, "Amara Okafor")
			checked(t, dsl)
			dsl.Click("Start a subject access request")
			expectHeading(t, dsl, "Start a subject access request")
			checked(t, dsl)
			dsl.Click("Start the request")
			expectProblem(t, dsl, "Choose who made the request")
			checked(t, dsl)
			dsl.Choose("Who made the request?", "A parent or carer")
			dsl.Fill("Their name", "Mrs Okafor")
			fillDate(dsl, "Date the request was received", when.Today(time.Now()).AddDate(0, 0, -2))
			dsl.Select("Data protection lead who reviews it with you", "Pat admin")
			dsl.Click("Start the request")
			expectHeading(t, dsl, "Subject access request about Amara Okafor")
			expectText(t, dsl, "A parent or carer: Mrs Okafor", "C-2026-000001: what happened",
				"C-2026-000001: the child's words", "C-2026-000001: outcome", "Pat admin")
			checked(t, dsl)
			sar := dsl.Path()

			dsl.Choose("Decision on passage 1", "Redact")
			dsl.Fill("Passage 1 as disclosed, when redacted", "Amara said [a third party] drives her home after school.")
			dsl.Fill("Reason for passage 1 (the exemption, or whose details are removed)", "Names another child's family")
			dsl.Click("Save review of passage 1")
			expectText(t, dsl, "Review saved")
			checked(t, dsl)

			dsl.Choose("Decision on passage 2", "Withhold")
			dsl.Click("Save review of passage 2")
			expectProblem(t, dsl, "Enter the reason (the exemption, or whose details are removed)")
			if !dsl.Checked("Decision on passage 2", "Withhold") {
				t.Error("the decision on passage 2 was not kept with the problem")
			}
			checked(t, dsl)
			dsl.Fill("Reason for passage 2 (the exemption, or whose details are removed)", "Serious harm exemption")
			dsl.Click("Save review of passage 2")
			expectText(t, dsl, "Review saved")

			dsl.Choose("Decision on passage 3", "Disclose")
			dsl.Click("Save review of passage 3")
			expectText(t, dsl, "Review saved", "Reviewed by a DSL: Pat dsl; by the data protection lead: not yet",
				"Every passage needs both reviews before the bundle can be disclosed.")
			checked(t, dsl)

			admin := s.signedIn(t, vp, "admin@brookfield.test", s.adminKey, i)
			menu(admin, vp, "Subject access")
			expectHeading(t, admin, "Subject access requests")
			expectText(t, admin, "Being reviewed")
			checked(t, admin)
			admin.Click("Amara Okafor") // newest first: this one
			if got := admin.Path(); got != sar {
				t.Fatalf("the admin opened %s, want %s", got, sar)
			}
			expectHeading(t, admin, "Subject access request about Amara Okafor")
			checked(t, admin)
			for n := 1; n <= 3; n++ {
				admin.Click(fmt.Sprintf("Save review of passage %d", n))
				expectText(t, admin, "Review saved")
			}
			expectText(t, admin, "Reviewed by a DSL: Pat dsl; by the data protection lead: Pat admin",
				"See the bundle as it will be disclosed")
			checked(t, admin)

			dsl.Go(sar)
			dsl.Click("See the bundle as it will be disclosed")
			expectHeading(t, dsl, "Personal data held about Amara Okafor")
			expectText(t, dsl, "Amara said [a third party] drives her home after school.", "This passage is withheld.",
				"Referred to children's social care; a strategy meeting was held.")
			if text := dsl.Text(); strings.Contains(text, "Ben's uncle") || strings.Contains(text, "not to tell my mum") {
				t.Errorf("the bundle shows what was redacted or withheld:\n%s", text)
			}
			checked(t, dsl)
			dsl.Click("Back to the request")
			dsl.Fill("Disclosed to", "Mrs Okafor, her mother")
			dsl.Fill("How", "Collected in person with identification checked")
			dsl.Click("Record the disclosure")
			expectHeading(t, dsl, "Subject access request about Amara Okafor")
			expectText(t, dsl, "Disclosure recorded", "Disclosure log",
				"to Mrs Okafor, her mother (Collected in person with identification checked), by Pat dsl — 1 disclosed, 1 redacted, 1 withheld")
			// Disclosed: read-only, each passage's decision and reason logged,
			// and a correction is a new request.
			expectText(t, dsl, "This request has been disclosed, so it is read-only", "Each passage’s decision and reason",
				"Names another child's family", "Serious harm exemption", "Download the bundle as PDF")
			if text := dsl.Text(); strings.Contains(text, "Save review of passage") || strings.Contains(text, "Record the disclosure") {
				t.Errorf("the disclosed request still offers its forms:\n%s", text)
			}
			checked(t, dsl)
			admin.Go(sar)
			expectText(t, admin, "This request has been disclosed, so it is read-only")
			checked(t, admin)
			admin.Go("/sar")
			expectText(t, admin, "Disclosed")
			checked(t, admin)
			dsl.Click("Start a new request")
			expectHeading(t, dsl, "Start a subject access request")
			if want := "/children/" + child + "/sar/new"; dsl.Path() != want {
				t.Errorf("Start a new request leads to %s, want %s", dsl.Path(), want)
			}
			checked(t, dsl)
		})
	}
}

var receiptLink = regexp.MustCompile(`/transfers/receipt/[A-Z2-7]+`)

// TestTransferWhenAChildLeaves: the DSL records from the child's page that
// they are moving school (first without the details: the problems come
// back), the Transfers page lists the transfer with its due date, the DSL
// records sending the file, and the receiving DSL confirms receipt through
// the one-time link, which then says it has been used — at phone and
// desktop sizes.
func TestTransferWhenAChildLeaves(t *testing.T) {
	s := newRecordsSchool(t)
	for i, vp := range viewports {
		t.Run(vp.Name, func(t *testing.T) {
			first := "Leah" + strings.ToUpper(vp.Name[:1]) + vp.Name[1:]
			child := s.child(t, first, "Moss", "2013-06-01")
			name := first + " Moss"
			email := "rae." + vp.Name + "@riverside.test"
			dsl := s.signedIn(t, vp, "dsl@brookfield.test", s.dslKey, i)
			dsl.Go(fmt.Sprint("/children/", child))
			expectHeading(t, dsl, name)
			dsl.Click("Record a transfer to another school")
			expectHeading(t, dsl, "Record a transfer")
			checked(t, dsl)
			dsl.Click("Record transfer")
			expectProblem(t, dsl, "Enter the date the child left, for example 17 7 2026")
			checked(t, dsl)
			dsl.Fill("School the child is moving to", "Riverside Academy")
			dsl.Fill("Name of that school’s DSL", "Rae Ceiver")
			dsl.Fill("That DSL’s email address", email)
			fillDate(dsl, "Date the child left (or leaves)", when.Today(time.Now()))
			dsl.Click("Record transfer")
			expectHeading(t, dsl, "Transfer of "+name)
			due := regexp.MustCompile(`the file is due by ([0-9]{1,2} [A-Z][a-z]+ [0-9]{4})`).FindStringSubmatch(dsl.Text())
			if due == nil {
				t.Fatalf("no due date after recording the transfer:\n%s", dsl.Text())
			}
			checked(t, dsl)
			transfer := dsl.Path()

			menu(dsl, vp, "Transfers")
			expectHeading(t, dsl, "Transfers")
			row := browsertest.Eval[string](dsl, `[...document.querySelectorAll('tbody tr')].map(r => r.innerText)
				.find(t => t.includes(`+fmt.Sprintf("%q", name)+`)) ?? ''`)
			if !strings.Contains(row, "Riverside Academy") || !strings.Contains(row, due[1]) {
				t.Errorf("the Transfers page's row for %s is %q, want the school and due date %s", name, row, due[1])
			}
			checked(t, dsl)

			dsl.Click(name)
			if dsl.Path() != transfer {
				t.Fatalf("the list's link leads to %s, want %s", dsl.Path(), transfer)
			}
			// Not sent before the file is made (or an alternative recorded).
			dsl.Choose("What did you send?", "The child’s file made in Haven")
			dsl.Fill("How did you send it?", "Secure email to the DSL; password by phone")
			dsl.Click("Record that the file was sent")
			expectProblem(t, dsl, "No child’s file has been made for this transfer: make it first (step 1), or record what was sent instead")
			checked(t, dsl)
			dsl.Click("Make the child’s file")
			expectHeading(t, dsl, "Make the child’s file")
			dsl.Choose("Format", "Encrypted package for a school that uses Haven")
			dsl.Fill("Why are you making the file?", name+" has moved to Riverside Academy")
			dsl.Click("Make the file")
			expectHeading(t, dsl, "Export")
			dsl.Go(transfer)
			expectText(t, dsl, "Encrypted package for another Haven")
			dsl.Choose("What did you send?", "The child’s file made in Haven")
			dsl.Fill("How did you send it?", "Secure email to the DSL; password by phone")
			dsl.Click("Record that the file was sent")
			expectText(t, dsl, "Recorded as sent", "Secure email to the DSL; password by phone")
			checked(t, dsl)

			var text string
			if err := s.DB.Owner.QueryRow(context.Background(), `SELECT args->>'text' FROM river_job
				WHERE kind = 'email' AND args->>'to' = $1`, email).Scan(&text); err != nil {
				t.Fatalf("the receiving DSL's email: %v", err)
			}
			link := receiptLink.FindString(text)
			if link == "" {
				t.Fatalf("no receipt link in the email:\n%s", text)
			}
			them := browsertest.NewTab(t, s.URL) // no account at this Haven
			them.SetViewport(vp)
			them.Go(link)
			expectHeading(t, them, "Confirm receipt of a child’s file")
			expectText(t, them, "The child’s safeguarding file made in Haven on", "Encrypted package for another Haven")
			if strings.Contains(them.Text(), "Moss") {
				t.Errorf("the receipt page names the child:\n%s", them.Text())
			}
			checked(t, them)
			them.Click("Confirm receipt")
			expectProblem(t, them, "Enter your full name")
			checked(t, them)
			them.Fill("Your full name", "Rae Ceiver")
			them.Click("Confirm receipt")
			expectHeading(t, them, "Receipt confirmed")
			checked(t, them)
			them.Go(link)
			expectHeading(t, them, "This link has been used")
			if them.Status() != 410 {
				t.Errorf("the used link's status is %d, want 410", them.Status())
			}
			checkedAllowing(t, them, 410)

			dsl.Go(transfer)
			expectText(t, dsl, "Receipt confirmed by Rae Ceiver")
			checked(t, dsl)
		})
	}
}

var filePassword = regexp.MustCompile(`^[A-Za-z0-9]{5}-[A-Za-z0-9]{5}-[A-Za-z0-9]{5}-[A-Za-z0-9]{5}$`)

// TestChildsFilePDF: the DSL makes Amara's file as a PDF from her page
// (first without a reason: the problem comes back); the export's page
// shows the password once and a download — at phone and desktop sizes.
func TestChildsFilePDF(t *testing.T) {
	s := newRecordsSchool(t)
	for i, vp := range viewports {
		t.Run(vp.Name, func(t *testing.T) {
			dsl := s.signedIn(t, vp, "dsl@brookfield.test", s.dslKey, i)
			dsl.Go(fmt.Sprint("/children/", s.amara))
			dsl.Click("Make the child’s file")
			expectHeading(t, dsl, "Make the child’s file")
			if !dsl.Checked("Format", "PDF, protected by a password") {
				t.Error("the PDF is not chosen by default (is Chromium missing?)")
			}
			checked(t, dsl)
			dsl.Click("Make the file")
			expectProblem(t, dsl, "Enter why you are making the file")
			checked(t, dsl)
			dsl.Fill("Why are you making the file?", "Amara has moved to Riverside Academy")
			dsl.Click("Make the file")
			expectHeading(t, dsl, "Export")
			password := strings.TrimSpace(browsertest.Eval[string](dsl, `document.getElementById('password')?.textContent ?? ''`))
			if !filePassword.MatchString(password) {
				t.Errorf("the password shown is %q, want four groups of five characters", password)
			}
			expectText(t, dsl, "The child's file is ready: note its password now", "it is shown only once")
			checked(t, dsl)
			download := browsertest.Eval[string](dsl, `(() => { const a = [...document.querySelectorAll('a')]
				.find(a => a.textContent.trim().startsWith('Download ')); return a ? a.href : '' })()`)
			if download == "" {
				t.Errorf("no download on the file's page:\n%s", dsl.Text())
			} else {
				got := browsertest.Eval[string](dsl, `fetch(`+fmt.Sprintf("%q", download)+`).then(r => r.arrayBuffer()
					.then(b => r.status + ' ' + r.headers.get('content-type') + ' ' + new TextDecoder().decode(b.slice(0, 5))))`)
				if got != "200 application/pdf %PDF-" {
					t.Errorf("the download: %s", got)
				}
			}

			dsl.Go(dsl.Path())
			if strings.Contains(dsl.Text(), password) {
				t.Error("the password is shown a second time")
			}
			checked(t, dsl)
		})
	}
}

// TestImportingTheRoll: an admin uploads a roll with bad rows (first no
// file at all): the preview lists each problem with its line and nothing
// is saved; then a good file, its preview, the import and its result — at
// phone and desktop sizes.
func TestImportingTheRoll(t *testing.T) {
	s := newRecordsSchool(t)
	dir := t.TempDir()
	children := func() int {
		var n int
		if err := s.DB.Owner.QueryRow(context.Background(), `SELECT count(*) FROM children WHERE school_id = $1`, s.school).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for i, vp := range viewports {
		t.Run(vp.Name, func(t *testing.T) {
			bad := filepath.Join(dir, vp.Name+"-bad.csv")
			good := filepath.Join(dir, vp.Name+"-roll.csv")
			must(t, os.WriteFile(bad, []byte("Forename,Surname,DOB,Year,UPN\n"+
				"Ben,Carter,01/05/2012,9,B12345678901"+fmt.Sprint(i)+"\nCara,,01/01/2012,9,\nDan,Evans,31/02/2012,9,\n"), 0o600))
			must(t, os.WriteFile(good, []byte("Forename,Surname,DOB,Year,UPN\n"+
				"Ben,Carter"+fmt.Sprint(i)+",01/05/2012,Year 9,B12345678901"+fmt.Sprint(i)+"\n"+
				"Cara,Diaz"+fmt.Sprint(i)+",2012-01-01,9,C12345678901"+fmt.Sprint(i)+"\n"), 0o600))
			before := children()

			admin := s.signedIn(t, vp, "admin@brookfield.test", s.adminKey, i)
			menu(admin, vp, "Import the roll")
			expectHeading(t, admin, "Import the roll")
			checked(t, admin)
			admin.Click("Upload and preview")
			expectProblem(t, admin, "Choose the roll CSV file")
			checked(t, admin)

			admin.Do(chromedp.SetUploadFiles(chromedp.ID("roll"), []string{bad}))
			admin.Click("Upload and preview")
			expectHeading(t, admin, "Check the roll import")
			if admin.Status() != 422 {
				t.Errorf("the preview of a refused file has status %d, want 422", admin.Status())
			}
			expectText(t, admin, "This file cannot be imported", "Nothing has been saved")
			rows := browsertest.Eval[[]string](admin, `[...document.querySelectorAll('tbody tr')]
				.map(r => [...r.cells].map(c => c.innerText.trim()).join(' | '))`)
			if len(rows) != 2 || !strings.HasPrefix(rows[0], "3 | Last name | ") || !strings.HasPrefix(rows[1], "4 | Date of birth | ") {
				t.Errorf("the problems, by line: %q", rows)
			}
			if n := children(); n != before {
				t.Errorf("%d children after a refused file, want %d", n, before)
			}
			checked(t, admin)

			admin.Click("Upload a corrected file")
			expectHeading(t, admin, "Import the roll")
			admin.Do(chromedp.SetUploadFiles(chromedp.ID("roll"), []string{good}))
			admin.Click("Upload and preview")
			expectHeading(t, admin, "Check the roll import")
			expectText(t, admin, "Children to add", "Children to update", "Line 2: Ben Carter"+fmt.Sprint(i), "Line 3: Cara Diaz"+fmt.Sprint(i))
			if n := children(); n != before {
				t.Errorf("%d children after the preview, want %d", n, before)
			}
			checked(t, admin)
			// The navigation has an "Import the roll" link too: press the form's button.
			clickSubmit(t, admin, `form[action^="/pupils/import/"]`)
			expectHeading(t, admin, "Check the roll import")
			expectText(t, admin, "Roll imported: 2 added, 0 updated, 0 matched", "2 added, 0 updated")
			if n := children(); n != before+2 {
				t.Errorf("%d children after the import, want %d", n, before+2)
			}
			checked(t, admin)
		})
	}
}

// TestRetentionDoNotDestroy: a DSL opens a record due for review from the
// Retention page and places a legal hold on it (first without a reason:
// the problem comes back), which takes deletion off its page and moves it
// to the list's records on hold — at phone and desktop sizes.
func TestRetentionDoNotDestroy(t *testing.T) {
	s := newRecordsSchool(t)
	for i, vp := range viewports {
		t.Run(vp.Name, func(t *testing.T) {
			first := "Old" + strings.ToUpper(vp.Name[:1]) + vp.Name[1:]
			child := s.child(t, first, "Record", "1990-04-01") // reviewed in 2015: due
			name := first + " Record"
			dsl := s.signedIn(t, vp, "dsl@brookfield.test", s.dslKey, i)
			menu(dsl, vp, "Retention")
			expectHeading(t, dsl, "Retention review")
			expectText(t, dsl, name, "1 April 2015")
			checked(t, dsl)
			dsl.Click(name)
			if want := fmt.Sprint("/retention/", child); dsl.Path() != want {
				t.Fatalf("the link leads to %s, want %s", dsl.Path(), want)
			}
			expectHeading(t, dsl, name)
			expectText(t, dsl, "Due for review", "Sign off deletion")
			checked(t, dsl)
			dsl.Click("Place a legal hold")
			expectProblem(t, dsl, "Enter why the record must not be destroyed")
			checked(t, dsl)
			dsl.Fill("Why must this record not be destroyed?", "Independent inquiry: moratorium on destroying records")
			dsl.Click("Place a legal hold")
			expectHeading(t, dsl, name)
			expectText(t, dsl, "Legal hold placed", "Independent inquiry: moratorium on destroying records",
				"On legal hold: do not destroy", "Lift the legal hold")
			if strings.Contains(dsl.Text(), "Sign off deletion") {
				t.Error("a record on legal hold can still be signed off for deletion")
			}
			checked(t, dsl)
			dsl.Click("Back to the retention review")
			row := browsertest.Eval[string](dsl, `[...document.querySelectorAll('tbody tr')].map(r => r.innerText)
				.find(t => t.includes(`+fmt.Sprintf("%q", name)+`)) ?? ''`)
			if !strings.Contains(row, "On legal hold") {
				t.Errorf("the Retention page's row for %s is %q, want On legal hold", name, row)
			}
			expectText(t, dsl, "On legal hold", "skipped by the review")
			checked(t, dsl)
		})
	}
}

// TestALegalHoldAheadOfTime: a DSL places a legal hold on a record years
// before it is due, from the child's page — its retention page says "Not
// due for review" first, then "On legal hold", and so does the Retention
// list —, then lifts it with a reason, at phone and desktop sizes.
func TestALegalHoldAheadOfTime(t *testing.T) {
	s := newRecordsSchool(t)
	for i, vp := range viewports {
		t.Run(vp.Name, func(t *testing.T) {
			first := "Young" + strings.ToUpper(vp.Name[:1]) + vp.Name[1:]
			child := s.child(t, first, "Hold", "2015-06-01") // reviewed in 2040
			name := first + " Hold"
			dsl := s.signedIn(t, vp, "dsl@brookfield.test", s.dslKey, i)
			dsl.Go(fmt.Sprint("/children/", child))
			expectHeading(t, dsl, name)
			dsl.Click("Retention of this record")
			expectHeading(t, dsl, name)
			expectText(t, dsl, "Not due for review", "1 June 2040")
			if strings.Contains(dsl.Text(), "Due for review") || strings.Contains(dsl.Text(), "Sign off deletion") {
				t.Errorf("a record due in 2040 is offered for review or deletion:\n%s", dsl.Text())
			}
			checked(t, dsl)
			dsl.Fill("Why must this record not be destroyed?", "Inquiry: hold all records of the year group")
			dsl.Click("Place a legal hold")
			expectText(t, dsl, "Legal hold placed", "On legal hold: do not destroy", "Lift the legal hold")
			checked(t, dsl)
			menu(dsl, vp, "Retention")
			row := browsertest.Eval[string](dsl, `[...document.querySelectorAll('tbody tr')].map(r => r.innerText)
				.find(t => t.includes(`+fmt.Sprintf("%q", name)+`)) ?? ''`)
			if !strings.Contains(row, "On legal hold") || !strings.Contains(row, "1 June 2040") {
				t.Errorf("the Retention page's row for %s is %q, want On legal hold and 1 June 2040", name, row)
			}
			checked(t, dsl)
			dsl.Click(name)
			dsl.Click("Lift the legal hold")
			expectProblem(t, dsl, "Enter why the hold is lifted")
			checked(t, dsl)
			dsl.Fill("Why is the hold lifted?", "The inquiry has ended")
			dsl.Click("Lift the legal hold")
			expectText(t, dsl, "Legal hold lifted", "Not due for review", "Place a legal hold")
			checked(t, dsl)
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
