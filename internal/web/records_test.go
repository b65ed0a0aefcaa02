package web_test

import (
	"bytes"
	"context"
	"mime/multipart"
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

// recordsSite is a school with an admin and a DSL (each with a second
// factor), a member of staff, a child and a concern about her.
type recordsSite struct {
	*site
	admin, dsl, staff      actor.Actor
	adminSecret, dslSecret string
	child                  int64
}

func newRecordsSite(t *testing.T, opts ...apptest.Option) *recordsSite {
	t.Helper()
	s := &recordsSite{site: newSite(t, opts...)}
	s.admin = s.person(t, "admin@brookfield.test", actor.Admin)
	s.adminSecret = s.enrol(t, s.admin.UserID)
	s.dsl = s.person(t, "dsl@brookfield.test", actor.DSL)
	s.dslSecret = s.enrol(t, s.dsl.UserID)
	s.staff = s.person(t, "sam@brookfield.test", actor.Staff)
	ctx := context.Background()
	owner := s.DB.Owner
	if err := owner.QueryRow(ctx, `INSERT INTO children (school_id, first_name, last_name, year_group, upn)
		VALUES ($1, 'Amara', 'Okafor', 9, 'A123456789012') RETURNING id`, s.school).Scan(&s.child); err != nil {
		t.Fatal(err)
	}
	var concernID int64
	if err := owner.QueryRow(ctx, `INSERT INTO concerns (school_id, ref, submission_id, recorded_by, happened_on, seen_on,
			account, told_dsl, in_danger, categories) VALUES ($1, 'C-2026-000001', gen_random_uuid(), $2, '2026-10-05',
			'2026-10-05', '=HYPERLINK("http://evil.test")', 'not_yet', false, '{cse}') RETURNING id`, s.school, s.staff.UserID).Scan(&concernID); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.Exec(ctx, `INSERT INTO concern_children (school_id, concern_id, position, child_id, role)
		VALUES ($1, $2, 0, $3, 'subject')`, s.school, concernID, s.child); err != nil {
		t.Fatal(err)
	}
	return s
}

var exportPathRE = regexp.MustCompile(`^/exports/[0-9a-f-]{36}$`)

// waitReady polls an export's page until it says the file is ready.
func waitReady(t *testing.T, c *apptest.Client, path string) apptest.Response {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := c.Get(path)
		if strings.Contains(r.Body, "Ready to download") {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("the export at %s is not ready after 30 s:\n%.2000s", path, visible(r.Body))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestAdminExportWaitsForApprovalAndOnlyTheRequesterDownloads(t *testing.T) {
	t.Parallel()
	s := newRecordsSite(t)
	admin := signedInWithCode(t, s.site, "admin@brookfield.test", s.adminSecret, 0)

	page := admin.Get("/exports")
	if page.Status != http.StatusOK || !strings.Contains(visible(page.Body), "A DSL or the head must approve your export") {
		t.Fatalf("GET /exports: %d\n%.2000s", page.Status, visible(page.Body))
	}
	bad := admin.PostForm("/exports", url.Values{"format": {"csv"}, "reason": {""}, "from-day": {"31"}, "from-month": {"2"}, "from-year": {"2026"}})
	if bad.Status != http.StatusUnprocessableEntity || !strings.Contains(bad.Body, `href="#reason"`) || !strings.Contains(bad.Body, `href="#from-day"`) {
		t.Errorf("a request without a reason: %d\n%.2000s", bad.Status, visible(bad.Body))
	}

	r := admin.PostForm("/exports", url.Values{"format": {"csv"}, "reason": {"Ofsted inspection"}})
	if r.Status != http.StatusSeeOther || !exportPathRE.MatchString(r.Location()) {
		t.Fatalf("POST /exports: %d to %q\n%.2000s", r.Status, r.Location(), visible(r.Body))
	}
	path := r.Location()
	if got := visible(admin.Get(path).Body); !strings.Contains(got, "Waiting for approval") {
		t.Errorf("the admin's export page:\n%.2000s", got)
	}
	if early := admin.Get(path + "/download"); early.Status != http.StatusSeeOther {
		t.Errorf("download before approval: %d, want a redirect back", early.Status)
	}

	dsl := signedInWithCode(t, s.site, "dsl@brookfield.test", s.dslSecret, 0)
	list := visible(dsl.Get("/exports").Body)
	if !strings.Contains(list, "Waiting for your approval") || !strings.Contains(list, "Ofsted inspection") {
		t.Fatalf("the DSL's exports page:\n%.3000s", list)
	}
	if r := admin.PostForm(path+"/approve", nil); r.Status != http.StatusForbidden {
		t.Errorf("the admin approving their own export: %d, want 403", r.Status)
	}
	expectRedirect(t, dsl.PostForm(path+"/approve", nil), path)

	ready := waitReady(t, admin, path)
	if !strings.Contains(ready.Body, path+"/download") {
		t.Fatalf("no download link:\n%.2000s", visible(ready.Body))
	}
	file := admin.Get(path + "/download")
	if file.Status != http.StatusOK || file.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
		!strings.HasPrefix(file.Header.Get("Content-Disposition"), "attachment;") || file.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("download: %d %v", file.Status, file.Header)
	}
	if !strings.HasPrefix(file.Body, "\uFEFF") || !strings.Contains(file.Body, "C-2026-000001") ||
		!strings.Contains(file.Body, `"'=HYPERLINK(""http://evil.test"")"`) {
		t.Errorf("the file:\n%s", file.Body)
	}

	t.Run("nobody else may download it", func(t *testing.T) {
		if r := dsl.Get(path + "/download"); r.Status != http.StatusNotFound {
			t.Errorf("the DSL who approved it: %d, want 404", r.Status)
		}
		other, err := school.NewService(s.DB.App).Create(context.Background(), actor.Actor{Role: actor.System}, "elsewhere", "Elsewhere")
		if err != nil {
			t.Fatal(err)
		}
		stranger := s.personIn(t, other.ID, "admin@elsewhere.test", actor.Admin)
		secret := s.enrol(t, stranger.UserID)
		sc := signedInWithCode(t, s.site, "admin@elsewhere.test", secret, 0)
		for _, p := range []string{path, path + "/download"} {
			if r := sc.Get(p); r.Status != http.StatusNotFound {
				t.Errorf("another school's admin GET %s: %d, want 404", p, r.Status)
			}
		}
	})
	t.Run("staff cannot export", func(t *testing.T) {
		c := s.Client(t)
		expectRedirect(t, signIn(t, c, "sam@brookfield.test", password), "/")
		if r := c.Get("/exports"); r.Status != http.StatusForbidden {
			t.Errorf("staff GET /exports: %d, want 403", r.Status)
		}
		if r := c.PostForm("/exports", url.Values{"format": {"csv"}, "reason": {"x"}}); r.Status != http.StatusForbidden {
			t.Errorf("staff POST /exports: %d, want 403", r.Status)
		}
		if r := c.Get(path + "/download"); r.Status != http.StatusForbidden {
			t.Errorf("staff download: %d, want 403", r.Status)
		}
	})
	t.Run("the DSL team sees every step", func(t *testing.T) {
		got := visible(dsl.Get("/exports").Body)
		for _, want := range []string{"Every export of the school", "Pat admin", "Ready to download", "Pat dsl", "1, last"} {
			if !strings.Contains(got, want) {
				t.Errorf("the DSL's list lacks %q:\n%.3000s", want, got)
			}
		}
		for action, want := range map[string]int{"export.request": 1, "export.approve": 1, "export.ready": 1, "export.download": 1} {
			if n := s.count(t, "audit_events WHERE school_id = $1 AND action = $2", s.school, action); n != want {
				t.Errorf("%s events = %d, want %d", action, n, want)
			}
		}
	})
}

func postFile(t *testing.T, c *apptest.Client, base, path, field, name string, content []byte) apptest.Response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile(field, name)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write(content)
	_ = mw.Close()
	req, err := http.NewRequest(http.MethodPost, base+path, &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.Do(req)
}

func TestRollImportPages(t *testing.T) {
	t.Parallel()
	s := newRecordsSite(t)
	admin := signedInWithCode(t, s.site, "admin@brookfield.test", s.adminSecret, 0)
	if r := admin.Get("/pupils/import"); r.Status != http.StatusOK || !strings.Contains(r.Body, `type="file"`) {
		t.Fatalf("GET /pupils/import: %d", r.Status)
	}
	before := s.count(t, "children WHERE school_id = $1", s.school)

	bad := "Forename,Surname,DOB,Year,UPN\nBen,Carter,01/05/2012,9,B123456789012\nCara,,01/01/2012,9,\nDan,Evans,31/02/2012,9,\n"
	r := postFile(t, admin, s.URL, "/pupils/import", "roll", "roll.csv", []byte(bad))
	if r.Status != http.StatusSeeOther {
		t.Fatalf("upload: %d\n%.2000s", r.Status, visible(r.Body))
	}
	preview := admin.Follow(r)
	got := visible(preview.Body)
	if preview.Status != http.StatusUnprocessableEntity || !strings.Contains(got, "This file cannot be imported") ||
		!strings.Contains(got, "3 Last name Enter the child") || !strings.Contains(got, "4 Date of birth") ||
		strings.Contains(got, "Import the roll</button>") {
		t.Errorf("the preview of a bad file: %d\n%.3000s", preview.Status, got)
	}
	if n := s.count(t, "children WHERE school_id = $1", s.school); n != before {
		t.Errorf("%d children after a refused file, want %d", n, before)
	}
	if r := admin.PostForm(r.Location(), nil); r.Status != http.StatusSeeOther {
		t.Errorf("importing a refused file: %d", r.Status)
	}
	if n := s.count(t, "children WHERE school_id = $1", s.school); n != before {
		t.Errorf("%d children after posting a refused file, want %d", n, before)
	}

	good := "Forename,Surname,DOB,Year,UPN,CLA,CP,SEN\nBen,Carter,01/05/2012,9,B123456789012,Y,Y,N\nAmara,Okafor,14/03/2012,10,A123456789012,N,Y,Y\n"
	r = postFile(t, admin, s.URL, "/pupils/import", "roll", "roll.csv", []byte(good))
	got = visible(admin.Follow(r).Body)
	if !strings.Contains(got, "Children to add 1") || !strings.Contains(got, "Children to update 1") {
		t.Fatalf("the preview:\n%.3000s", got)
	}
	// The preview says which flags the import will set, on a new child and a changed one.
	if !strings.Contains(got, "Line 2: Ben Carter (Year 9, born 1 May 2012, UPN B123456789012, looked after, child protection plan)") ||
		!strings.Contains(got, "child protection plan: yes") || !strings.Contains(got, "SEND: yes") {
		t.Errorf("the preview does not show the flags it will set:\n%.3000s", got)
	}
	done := admin.PostForm(r.Location(), nil)
	expectRedirect(t, done, r.Location())
	if got := visible(admin.Follow(done).Body); !strings.Contains(got, "Roll imported: 1 added, 1 updated") {
		t.Errorf("after import:\n%.2000s", got)
	}
	if n := s.count(t, "children WHERE school_id = $1", s.school); n != before+1 {
		t.Errorf("%d children, want %d", n, before+1)
	}

	c := s.Client(t)
	expectRedirect(t, signIn(t, c, "sam@brookfield.test", password), "/")
	if r := c.Get("/pupils/import"); r.Status != http.StatusForbidden {
		t.Errorf("staff GET /pupils/import: %d, want 403", r.Status)
	}
}

func TestRetentionPages(t *testing.T) {
	t.Parallel()
	s := newRecordsSite(t)
	ctx := context.Background()
	var old int64
	if err := s.DB.Owner.QueryRow(ctx, `INSERT INTO children (school_id, first_name, last_name, date_of_birth)
		VALUES ($1, 'Zoe', 'Oldfield', '1999-01-01') RETURNING id`, s.school).Scan(&old); err != nil {
		t.Fatal(err)
	}
	path := "/retention/" + i64(old)
	dsl := signedInWithCode(t, s.site, "dsl@brookfield.test", s.dslSecret, 0)
	if got := visible(dsl.Get("/retention").Body); !strings.Contains(got, "1 record due for review") || !strings.Contains(got, "Zoe Oldfield") {
		t.Fatalf("the queue:\n%.3000s", got)
	}
	r := dsl.PostForm(path+"/do-not-destroy", url.Values{"on": {"yes"}, "reason": {""}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `href="#reason"`) {
		t.Errorf("Do not destroy without a reason: %d", r.Status)
	}
	expectRedirect(t, dsl.PostForm(path+"/sign-off", nil), path)
	if got := visible(dsl.Get(path).Body); !strings.Contains(got, "signed off by a DSL; waiting for an admin") {
		t.Errorf("after the DSL's sign-off:\n%.2000s", got)
	}
	// A second DSL sign-off is refused, its message beside the deletion
	// and its summary link leading there.
	if r := dsl.PostForm(path+"/sign-off", nil); r.Status != http.StatusConflict ||
		!strings.Contains(r.Body, `href="#sign-off"`) || !strings.Contains(r.Body, `id="sign-off"`) {
		t.Errorf("a second DSL sign-off: %d\n%.2000s", r.Status, visible(r.Body))
	}
	admin := signedInWithCode(t, s.site, "admin@brookfield.test", s.adminSecret, 0)
	if r := admin.PostForm(path+"/do-not-destroy", url.Values{"on": {"yes"}, "reason": {"x"}}); r.Status != http.StatusForbidden {
		t.Errorf("an admin marking Do not destroy: %d, want 403", r.Status)
	}
	expectRedirect(t, admin.PostForm(path+"/sign-off", nil), "/retention")
	if n := s.count(t, "children WHERE id = $1", old); n != 0 {
		t.Error("the record was not deleted after two sign-offs")
	}
	if r := admin.Get(path); r.Status != http.StatusNotFound {
		t.Errorf("the deleted record's page: %d, want 404", r.Status)
	}
	c := s.Client(t)
	expectRedirect(t, signIn(t, c, "sam@brookfield.test", password), "/")
	if r := c.Get("/retention"); r.Status != http.StatusForbidden {
		t.Errorf("staff GET /retention: %d, want 403", r.Status)
	}
}

// TestOneRetentionStateOnBothPages: a child whose record is reviewed in
// 2037 is "Not due for review" on their retention page and absent from the
// retention list's records due; a legal hold placed now shows on both as
// the same state, and lifting it (with a reason) returns both to not due.
func TestOneRetentionStateOnBothPages(t *testing.T) {
	t.Parallel()
	s := newRecordsSite(t)
	var child int64
	if err := s.DB.Owner.QueryRow(context.Background(), `INSERT INTO children (school_id, first_name, last_name, date_of_birth)
		VALUES ($1, 'Nia', 'Later', '2012-03-14') RETURNING id`, s.school).Scan(&child); err != nil {
		t.Fatal(err)
	}
	path := "/retention/" + i64(child)
	dsl := signedInWithCode(t, s.site, "dsl@brookfield.test", s.dslSecret, 0)
	both := func(want string) (string, string) {
		t.Helper()
		mine, list := visible(dsl.Get(path).Body), visible(dsl.Get("/retention").Body)
		if !strings.Contains(mine, want) {
			t.Errorf("the child's retention page lacks %q:\n%.2000s", want, mine)
		}
		return mine, list
	}
	mine, list := both("Not due for review")
	if !strings.Contains(mine, "14 March 2037") || strings.Contains(mine, "Due for review") || strings.Contains(mine, "Sign off deletion") {
		t.Errorf("the child's page of a record due in 2037:\n%.2000s", mine)
	}
	if !strings.Contains(list, "No records are due for review") || strings.Contains(list, "Nia Later") {
		t.Errorf("the retention list with nothing due:\n%.2000s", list)
	}

	expectRedirect(t, dsl.PostForm(path+"/do-not-destroy", url.Values{"on": {"yes"}, "reason": {"Inquiry moratorium"}}), path)
	mine, list = both("On legal hold: do not destroy")
	if !strings.Contains(mine, "Lift the legal hold") || strings.Contains(mine, "Sign off deletion") {
		t.Errorf("the child's page of a held record:\n%.2000s", mine)
	}
	if !strings.Contains(list, "1 record on legal hold") || !strings.Contains(list, "Nia Later") ||
		!strings.Contains(list, "On legal hold: do not destroy") || !strings.Contains(list, "No records are due for review") {
		t.Errorf("the retention list with a record held:\n%.2000s", list)
	}

	if r := dsl.PostForm(path+"/do-not-destroy", url.Values{"on": {"no"}, "reason": {" "}}); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Body, `href="#reason"`) || !strings.Contains(visible(r.Body), "Enter why the hold is lifted") {
		t.Errorf("a hold lifted without a reason: %d\n%.2000s", r.Status, visible(r.Body))
	}
	expectRedirect(t, dsl.PostForm(path+"/do-not-destroy", url.Values{"on": {"no"}, "reason": {"The inquiry ended"}}), path)
	_, list = both("Not due for review")
	if strings.Contains(list, "Nia Later") {
		t.Errorf("the retention list after the hold is lifted:\n%.2000s", list)
	}
}
