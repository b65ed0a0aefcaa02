package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/apptest"
	"github.com/havenschools/haven/internal/concern"
	"github.com/havenschools/haven/internal/mailtest"
	"github.com/havenschools/haven/internal/pupil"
	"github.com/havenschools/haven/internal/when"
)

// concernSite is a school with a roll, a DSL, a deputy and two members of
// staff, for the "Report a concern" tests.
type concernSite struct {
	*site
	amara, ben pupil.Child
	staff      actor.Actor
}

func newConcernSite(t *testing.T, opts ...apptest.Option) *concernSite {
	t.Helper()
	s := &concernSite{site: newSite(t, opts...)}
	s.person(t, "dsl@brookfield.test", actor.DSL)
	deputy := s.person(t, "deputy@brookfield.test", actor.DSL)
	if _, err := s.DB.Owner.Exec(context.Background(), `UPDATE memberships SET deputy = true WHERE user_id = $1`, deputy.UserID); err != nil {
		t.Fatal(err)
	}
	s.staff = s.person(t, "sam@brookfield.test", actor.Staff)
	s.person(t, "alex@brookfield.test", actor.Staff)
	y := pupil.YearGroup(9)
	kids, err := pupil.NewService(s.DB.App).AddToRoll(context.Background(), actor.SystemIn(s.school), []pupil.NewChild{
		{FirstName: "Amara", LastName: "Okafor", YearGroup: &y},
		{FirstName: "Ben", LastName: "Carter", YearGroup: &y},
	})
	if err != nil {
		t.Fatal(err)
	}
	s.amara, s.ben = kids[0], kids[1]
	return s
}

// staffClient is a member of staff signed in (no second factor needed).
func (s *concernSite) staffClient(t *testing.T, email string) *apptest.Client {
	t.Helper()
	c := s.Client(t)
	expectRedirect(t, signIn(t, c, email, password), "/")
	return c
}

var submissionRE = regexp.MustCompile(`name="submission_id" value="([0-9a-f-]{36})"`)

// openForm gets a new form and returns its submission id.
func openForm(t *testing.T, c *apptest.Client) string {
	t.Helper()
	r := c.Get("/concerns/new")
	if r.Status != http.StatusOK {
		t.Fatalf("GET /concerns/new = %d\n%s", r.Status, r.Body)
	}
	m := submissionRE.FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatal("the form has no submission id")
	}
	return m[1]
}

// filledForm is a complete form about child, as a browser posts it.
func filledForm(submissionID string, child int64) url.Values {
	today := when.Today(time.Now())
	yesterday := today.AddDate(0, 0, -1)
	return url.Values{
		"submission_id":  {submissionID},
		"in_danger":      {"no"},
		"child-0-id":     {fmt.Sprint(child)},
		"child-0-role":   {"subject"},
		"account":        {"She said an older man waits for her after school in a silver car."},
		"childs_words":   {"\"He buys me things\""},
		"happened-day":   {fmt.Sprint(yesterday.Day())},
		"happened-month": {fmt.Sprint(int(yesterday.Month()))},
		"happened-year":  {fmt.Sprint(yesterday.Year())},
		"seen-day":       {fmt.Sprint(today.Day())},
		"seen-month":     {fmt.Sprint(int(today.Month()))},
		"seen-year":      {fmt.Sprint(today.Year())},
		"location":       {"Year 9 corridor"},
		"told_dsl":       {"not_yet"},
		"categories":     {"cse"},
		"indicators":     {"much_older_partner", "cars_unknown_adults"},
		"action":         {"submit"},
	}
}

var refRE = regexp.MustCompile(`C-\d{4}-\d{6}`)

func TestReportAConcern(t *testing.T) {
	t.Parallel()
	s := newConcernSite(t)
	c := s.staffClient(t, "sam@brookfield.test")

	form := c.Get("/concerns/new")
	for _, label := range []string{"Is the child in immediate danger?", ">Child<", "Child not known", "What happened?",
		"When did it happen?", "Where did it happen?", "Have you told a DSL in person?", "CSE indicators", "Submit concern"} {
		if !strings.Contains(form.Body, label) {
			t.Errorf("the form lacks %q", label)
		}
	}
	id := submissionRE.FindStringSubmatch(form.Body)[1]

	t.Run("finding a child by name is a POST and shows the roll's matches", func(t *testing.T) {
		v := url.Values{"submission_id": {id}, "q": {"okafor"}, "action": {"find"}}
		r := c.PostForm("/concerns", v)
		if r.Status != http.StatusOK || !strings.Contains(visible(r.Body), "Choose the child") || !strings.Contains(r.Body, "Amara Okafor") {
			t.Fatalf("find: %d\n%s", r.Status, visible(r.Body))
		}
		v.Set("action", "add")
		v.Set("pick", fmt.Sprint(s.amara.ID))
		r = c.PostForm("/concerns", v)
		if !strings.Contains(r.Body, `name="child-0-id" value="`+fmt.Sprint(s.amara.ID)+`"`) {
			t.Errorf("after add, the form does not hold the child:\n%s", visible(r.Body))
		}
	})

	var ref string
	t.Run("submitting redirects to a receipt with the reference, after the commit", func(t *testing.T) {
		r := c.PostForm("/concerns", filledForm(id, s.amara.ID))
		if r.Status != http.StatusSeeOther || !regexp.MustCompile(`^/concerns/C-\d{4}-000001/submitted$`).MatchString(r.Location()) {
			t.Fatalf("submit: %d to %q\n%s", r.Status, r.Location(), visible(r.Body))
		}
		ref = refRE.FindString(r.Location())
		receipt := c.Follow(r)
		if receipt.Status != http.StatusOK || !strings.Contains(visible(receipt.Body), "Concern submitted Your reference "+ref) ||
			!strings.Contains(receipt.Body, "Report another concern") {
			t.Errorf("receipt: %d\n%s", receipt.Status, visible(receipt.Body))
		}
		if n := s.count(t, "concern_drafts"); n != 0 {
			t.Errorf("drafts after submission = %d, want 0", n)
		}
	})

	t.Run("the same form again gives the same receipt and nothing new", func(t *testing.T) {
		r := c.PostForm("/concerns", filledForm(id, s.amara.ID))
		if r.Status != http.StatusSeeOther || r.Location() != "/concerns/"+ref+"/submitted?again=1" {
			t.Errorf("resubmit: %d to %q", r.Status, r.Location())
		}
		if n := s.count(t, "concerns"); n != 1 {
			t.Errorf("concerns = %d, want 1", n)
		}
	})

	t.Run("My concerns lists it in plain words, and its page shows what was recorded", func(t *testing.T) {
		mine := visible(c.Get("/my-concerns").Body)
		if !strings.Contains(mine, ref+" Amara Okafor") || !strings.Contains(mine, "Received") {
			t.Errorf("My concerns:\n%s", mine)
		}
		page := c.Get("/concerns/" + ref)
		if page.Status != http.StatusOK || !strings.Contains(visible(page.Body), "an older man waits for her") ||
			!strings.Contains(visible(page.Body), "In a relationship with someone much older") {
			t.Errorf("concern page: %d\n%s", page.Status, visible(page.Body))
		}
	})

	t.Run("the author adds further information", func(t *testing.T) {
		r := c.PostForm("/concerns/"+ref+"/addenda", url.Values{"addendum": {""}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(visible(r.Body), "There is a problem Enter the further information") {
			t.Errorf("empty addendum: %d\n%s", r.Status, visible(r.Body))
		}
		r = c.PostForm("/concerns/"+ref+"/addenda", url.Values{"addendum": {"She mentioned the car again today."}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("addendum: %d", r.Status)
		}
		if !strings.Contains(visible(c.Follow(r).Body), "She mentioned the car again today.") {
			t.Error("the addendum is not shown")
		}
	})
}

func TestConcernFormKeepsWhatWasTyped(t *testing.T) {
	t.Parallel()
	s := newConcernSite(t)
	c := s.staffClient(t, "sam@brookfield.test")
	id := openForm(t, c)

	v := filledForm(id, s.amara.ID)
	v.Set("account", "")
	tomorrow := when.Today(time.Now()).AddDate(0, 0, 1)
	v.Set("happened-day", fmt.Sprint(tomorrow.Day()))
	v.Set("happened-month", fmt.Sprint(int(tomorrow.Month())))
	v.Set("happened-year", fmt.Sprint(tomorrow.Year()))
	v.Set("location", "By the <bike sheds>")
	r := c.PostForm("/concerns", v)
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("status = %d, want 422", r.Status)
	}
	text := visible(r.Body)
	if !strings.Contains(text, "There is a problem Enter what happened The date it happened must be today or in the past") {
		t.Errorf("error summary:\n%s", text)
	}
	if !strings.Contains(r.Body, `href="#account"`) || !strings.Contains(r.Body, `href="#happened-day"`) {
		t.Error("the error summary does not link to the fields")
	}
	if !strings.Contains(r.Body, `value="By the &lt;bike sheds&gt;"`) || !strings.Contains(r.Body, `value="`+fmt.Sprint(s.amara.ID)+`"`) {
		t.Error("what was typed is not kept")
	}
	if n := s.count(t, "concerns"); n != 0 {
		t.Errorf("concerns = %d, want 0", n)
	}
	if n := s.count(t, "concern_drafts WHERE submission_id = $1", id); n != 1 {
		t.Errorf("drafts = %d: a form with problems is kept as a draft", n)
	}
}

func TestImmediateDanger(t *testing.T) {
	t.Parallel()
	s := newConcernSite(t)
	if _, err := s.DB.Owner.Exec(context.Background(), `UPDATE school_settings SET
		dsl_contacts = '[{"name": "Dee Ess", "phone": "01632 960001"}]', front_door_name = 'Brookfield MASH',
		front_door_phone = '01632 960100', out_of_hours_name = 'Emergency Duty Team', out_of_hours_phone = '01632 960200',
		school_days = '{}' WHERE school_id = $1`, s.school); err != nil {
		t.Fatal(err)
	}
	c := s.staffClient(t, "sam@brookfield.test")
	id := openForm(t, c)

	t.Run("the steps come first once yes is posted, and no draft is kept", func(t *testing.T) {
		r := c.PostForm("/concerns", url.Values{"submission_id": {id}, "in_danger": {"yes"}, "action": {"save"}})
		text := visible(r.Body)
		steps := strings.Index(text, "The child is in immediate danger Do this now")
		heading := strings.Index(text, "Report a concern Tell the Designated")
		if steps < 0 || heading < 0 || steps > heading {
			t.Errorf("the steps are not above the form:\n%s", text)
		}
		for _, want := range []string{"Tell a DSL in person now. Dee Ess: 01632 960001", "Call 999 if the child is at risk of harm now",
			"Then call Brookfield MASH: 01632 960100", "Out of hours, call Emergency Duty Team: 01632 960200",
			"Haven does not alert anyone out of hours", "is not saved as a draft"} {
			if !strings.Contains(text, want) {
				t.Errorf("missing %q in:\n%s", want, text)
			}
		}
		if n := s.count(t, "concern_drafts"); n != 0 {
			t.Errorf("drafts = %d, want none when a child is in immediate danger", n)
		}
	})

	t.Run("the receipt repeats the steps, and says the school is closed", func(t *testing.T) {
		v := filledForm(id, s.amara.ID)
		v.Set("in_danger", "yes")
		r := c.Follow(c.PostForm("/concerns", v))
		text := visible(r.Body)
		if !strings.Contains(text, "The child is in immediate danger") || !strings.Contains(text, "Call 999") {
			t.Errorf("receipt lacks the steps:\n%s", text)
		}
		if !strings.Contains(text, "The school is closed now, so the DSL may not see your concern until the next school day") ||
			!strings.Contains(text, "Emergency Duty Team: 01632 960200") {
			t.Errorf("receipt lacks the out-of-hours advice:\n%s", text)
		}
	})
}

func TestConcernsAreTheirAuthorsOnly(t *testing.T) {
	t.Parallel()
	s := newConcernSite(t)
	sam := s.staffClient(t, "sam@brookfield.test")
	alex := s.staffClient(t, "alex@brookfield.test")

	id := openForm(t, sam)
	upload(t, sam, s.URL, id, "statement.pdf", []byte("%PDF-1.7\n%%EOF\n"), nil)
	var attachment string
	if err := s.DB.Owner.QueryRow(context.Background(), `SELECT public_id::text FROM concern_attachments`).Scan(&attachment); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/concerns/drafts/" + id, "/attachments/" + attachment} {
		if r := alex.Get(path); r.Status != http.StatusNotFound {
			t.Errorf("another member of staff: GET %s = %d, want 404", path, r.Status)
		}
	}
	if r := sam.Get("/concerns/drafts/" + id); r.Status != http.StatusOK {
		t.Errorf("the author's draft: %d", r.Status)
	}

	ref := refRE.FindString(sam.PostForm("/concerns", filledForm(id, s.amara.ID)).Location())
	if ref == "" {
		t.Fatal("no receipt")
	}
	for _, path := range []string{"/concerns/" + ref, "/concerns/" + ref + "/submitted", "/attachments/" + attachment} {
		if r := alex.Get(path); r.Status != http.StatusNotFound {
			t.Errorf("another member of staff: GET %s = %d, want 404", path, r.Status)
		}
	}
	if r := alex.PostForm("/concerns/"+ref+"/addenda", url.Values{"addendum": {"x"}}); r.Status != http.StatusNotFound {
		t.Errorf("another member of staff: addendum = %d, want 404", r.Status)
	}
	if r := alex.PostForm("/concerns", filledForm(id, s.amara.ID)); r.Status != http.StatusNotFound {
		t.Errorf("another member of staff sending the same form = %d, want 404", r.Status)
	}
	if mine := visible(alex.Get("/my-concerns").Body); strings.Contains(mine, ref) {
		t.Errorf("another's My concerns lists %s", ref)
	}
}

// upload posts the form with one file, as the browser does.
func upload(t *testing.T, c *apptest.Client, base, submissionID, name string, content []byte, extra url.Values) apptest.Response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("submission_id", submissionID)
	_ = mw.WriteField("action", "save")
	for k, vs := range extra {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	fw, err := mw.CreateFormFile("attachments", name)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write(content)
	_ = mw.Close()
	req, err := http.NewRequest(http.MethodPost, base+"/concerns", &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.Do(req)
}

func TestHostileFilesAreRefused(t *testing.T) {
	t.Parallel()
	s := newConcernSite(t)
	c := s.staffClient(t, "sam@brookfield.test")
	id := openForm(t, c)

	for _, tc := range []struct {
		name    string
		file    string
		content []byte
		extra   url.Values
		want    string
	}{
		{"oversize", "big.pdf", append([]byte("%PDF-1.7\n"), make([]byte, concern.MaxAttachmentSize)...), nil, "big.pdf must be smaller than 20 MB"},
		{"wrong type", "notes.txt", []byte("hello"), nil, "notes.txt must be a PDF, a Word document (DOCX), or a PNG, JPEG or HEIC image"},
		{"HTML renamed .pdf", "report.pdf", []byte("<html><body><script>alert(1)</script>"), nil, "report.pdf is a web page or an SVG image, which could run code"},
		{"SVG", "logo.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), nil, "logo.svg is a web page or an SVG image"},
		{"an image on a sexual-abuse concern", "photo.jpg", []byte("\xFF\xD8\xFF\xE0\x00\x10JFIF"), url.Values{"categories": {"sexual_abuse"}},
			"photo.jpg is an image. Images cannot be attached to a concern about sexual abuse, exploitation or sharing nudes. Do not view, copy, forward or delete the image"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := upload(t, c, s.URL, id, tc.file, tc.content, tc.extra)
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(visible(r.Body), "There is a problem "+tc.want) {
				t.Errorf("%d\n%s", r.Status, visible(r.Body))
			}
		})
	}
	if n := s.count(t, "concern_attachments"); n != 0 {
		t.Errorf("stored %d refused files", n)
	}

	t.Run("a good file is kept and downloaded as an attachment, never inline", func(t *testing.T) {
		r := upload(t, c, s.URL, id, "Café notes.pdf", []byte("%PDF-1.7\n%%EOF\n"), nil)
		if r.Status != http.StatusOK || !strings.Contains(visible(r.Body), "Café notes.pdf") {
			t.Fatalf("%d\n%s", r.Status, visible(r.Body))
		}
		var attachment string
		if err := s.DB.Owner.QueryRow(context.Background(), `SELECT public_id::text FROM concern_attachments`).Scan(&attachment); err != nil {
			t.Fatal(err)
		}
		d := c.Get("/attachments/" + attachment)
		want := map[string]string{
			"Content-Type":            "application/pdf",
			"Content-Disposition":     `attachment; filename="Caf_ notes.pdf"; filename*=UTF-8''Caf%C3%A9%20notes.pdf`,
			"X-Content-Type-Options":  "nosniff",
			"Content-Security-Policy": "sandbox; default-src 'none'",
			"Cache-Control":           "no-store",
		}
		for h, v := range want {
			if got := d.Header.Get(h); got != v {
				t.Errorf("%s = %q, want %q", h, got, v)
			}
		}
		if d.Body != "%PDF-1.7\n%%EOF\n" {
			t.Errorf("body = %q", d.Body)
		}
	})
}

func TestSubmittingTwentyTimesAtOnceStoresOneConcern(t *testing.T) {
	t.Parallel()
	s := newConcernSite(t)
	c := s.staffClient(t, "sam@brookfield.test")
	v := filledForm(openForm(t, c), s.amara.ID)
	var wg sync.WaitGroup
	locations := make([]string, 20)
	for i := range locations {
		wg.Go(func() {
			r := c.PostForm("/concerns", v)
			locations[i] = fmt.Sprint(r.Status, " ", r.Location())
		})
	}
	wg.Wait()
	// One of them stored it; the others say it had been sent already.
	for i, l := range locations {
		l = strings.TrimSuffix(l, "?again=1")
		if !regexp.MustCompile(`^303 /concerns/C-\d{4}-000001/submitted$`).MatchString(l) || l != strings.TrimSuffix(locations[0], "?again=1") {
			t.Errorf("submission %d: %s (the first: %s)", i, l, locations[0])
		}
	}
	if n := s.count(t, "concerns"); n != 1 {
		t.Errorf("concerns = %d, want 1", n)
	}
}

func TestTheDSLsEmailSaysNothingOfTheConcern(t *testing.T) {
	t.Parallel()
	s := newConcernSite(t, apptest.WithMail())
	c := s.staffClient(t, "sam@brookfield.test")
	v := filledForm(openForm(t, c), s.amara.ID)
	v.Set("in_danger", "yes")
	ref := refRE.FindString(c.PostForm("/concerns", v).Location())
	if ref == "" {
		t.Fatal("no receipt")
	}
	for _, to := range []string{"dsl@brookfield.test", "deputy@brookfield.test"} {
		m := s.Mail.WaitFor(t, func(m mailtest.Summary) bool { return m.SentTo(to) }, 30*time.Second)
		if m.Subject != "URGENT: new safeguarding concern — immediate danger" {
			t.Errorf("subject = %q", m.Subject)
		}
		if !strings.Contains(m.Text, s.URL+"/concerns/"+ref) {
			t.Errorf("the email lacks the link:\n%s", m.Text)
		}
		for _, secret := range []string{"Amara", "Okafor", "silver car", "He buys me things", "corridor", "exploitation", "cse", "older"} {
			if strings.Contains(m.Raw, secret) {
				t.Errorf("the email holds %q:\n%s", secret, m.Raw)
			}
		}
	}
	for _, m := range s.Mail.Messages(t) {
		if !m.SentTo("dsl@brookfield.test") && !m.SentTo("deputy@brookfield.test") {
			t.Errorf("an email went to %v", m.To)
		}
	}
}

func TestAutosaveAndTypeAhead(t *testing.T) {
	t.Parallel()
	s := newConcernSite(t)
	c := s.staffClient(t, "sam@brookfield.test")
	id := openForm(t, c)

	r := c.PostForm("/concerns/draft", url.Values{"submission_id": {id}, "account": {"Half a sentence"}})
	var saved map[string]string
	if err := json.Unmarshal([]byte(r.Body), &saved); r.Status != http.StatusOK || err != nil || !strings.HasPrefix(saved["status"], "Draft saved at ") {
		t.Errorf("autosave: %d %s", r.Status, r.Body)
	}
	if n := s.count(t, "audit_events WHERE action = 'draft.save' AND details = '{\"autosave\":true}'"); n != 1 {
		t.Errorf("autosaves audited = %d, want 1", n)
	}
	r = c.PostForm("/concerns/draft", url.Values{"submission_id": {id}, "in_danger": {"yes"}})
	if r.Status != http.StatusConflict || !strings.Contains(r.Body, "in_danger") {
		t.Errorf("autosave in danger: %d %s", r.Status, r.Body)
	}
	mine := visible(c.Get("/my-concerns").Body)
	if !strings.Contains(mine, "You have a concern you have not sent") || !strings.Contains(mine, "Not sent yet") {
		t.Errorf("My concerns has no reminder of the draft:\n%s", mine)
	}

	r = c.PostForm("/concerns/children", url.Values{"q": {"amara"}})
	if r.Status != http.StatusOK || !strings.Contains(r.Body, `"name":"Amara Okafor"`) || strings.Contains(r.Body, "Ben") {
		t.Errorf("type-ahead: %d %s", r.Status, r.Body)
	}
}

func TestExpiredSessionKeepsTheForm(t *testing.T) {
	t.Parallel()
	s := newConcernSite(t)
	c := s.staffClient(t, "sam@brookfield.test")
	v := filledForm(openForm(t, c), s.amara.ID)
	v.Set("account", "Typed while the session ran out")
	v.Set("author", fmt.Sprint(s.staff.UserID)) // the page's hidden field
	if _, err := s.DB.Owner.Exec(context.Background(), `DELETE FROM sessions`); err != nil {
		t.Fatal(err)
	}
	r := c.PostForm("/concerns", v)
	expectRedirect(t, r, "/sign-in")
	r = signIn(t, c, "sam@brookfield.test", password)
	expectRedirect(t, r, "/concerns/new")
	page := c.Follow(r)
	if !strings.Contains(page.Body, "Typed while the session ran out") || !strings.Contains(visible(page.Body), "Your session had ended") {
		t.Errorf("the form is not shown again:\n%s", visible(page.Body))
	}
	if n := s.count(t, "concerns"); n != 0 {
		t.Errorf("concerns = %d: nothing is sent without the person", n)
	}

	t.Run("and nobody else signing in on that browser gets it", func(t *testing.T) {
		c2 := s.Client(t)
		if _, err := s.DB.Owner.Exec(context.Background(), `DELETE FROM sessions`); err != nil {
			t.Fatal(err)
		}
		c2.PostForm("/concerns", v)
		r := signIn(t, c2, "alex@brookfield.test", password)
		page := c2.Follow(r)
		if strings.Contains(page.Body, "Typed while the session ran out") {
			t.Error("another person was shown the form")
		}
	})
}

func TestDatabaseOutageShowsTheFormBack(t *testing.T) {
	t.Parallel()
	s := newConcernSite(t)
	c := s.staffClient(t, "sam@brookfield.test")
	v := filledForm(openForm(t, c), s.amara.ID)
	v.Set("account", "Typed just before the database went away")
	v.Set("child-0-name", "Amara Okafor")

	ctx := context.Background()
	var dbname string
	if err := s.DB.Owner.QueryRow(ctx, `SELECT current_database()`).Scan(&dbname); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(s.DB.SuperURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/postgres" // a database may not be closed from inside it
	super, err := pgx.Connect(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { super.Close(context.Background()) })
	if _, err := super.Exec(ctx, `ALTER DATABASE `+dbname+` ALLOW_CONNECTIONS false`); err != nil {
		t.Fatal(err)
	}
	if _, err := super.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = $1 AND pid <> pg_backend_pid() AND usename = 'haven_app'`, dbname); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = super.Exec(context.Background(), `ALTER DATABASE `+dbname+` ALLOW_CONNECTIONS true`) })

	r := c.PostForm("/concerns", v)
	text := visible(r.Body)
	if r.Status != http.StatusServiceUnavailable || !strings.Contains(text, "Your concern has not been sent") {
		t.Fatalf("status %d:\n%s", r.Status, text)
	}
	if !strings.Contains(r.Body, "Typed just before the database went away") || !strings.Contains(text, "Amara Okafor") {
		t.Errorf("what was typed is not shown back:\n%s", text)
	}
}

// After a submission whose outcome the person could not see, "Check status"
// finds the concern if it arrived, and otherwise gives the form back.
func TestCheckStatusAfterAnUnconfirmedSubmission(t *testing.T) {
	t.Parallel()
	s := newConcernSite(t)
	c := s.staffClient(t, "sam@brookfield.test")

	sent := openForm(t, c)
	ref := refRE.FindString(c.PostForm("/concerns", filledForm(sent, s.amara.ID)).Location())
	r := c.PostForm("/concerns/status", url.Values{"submission_id": {sent}})
	if r.Status != http.StatusSeeOther || r.Location() != "/concerns/"+ref+"/submitted" {
		t.Errorf("a form that arrived: %d to %q, want its receipt", r.Status, r.Location())
	}

	lost := openForm(t, c)
	draft := filledForm(lost, s.amara.ID)
	draft.Set("action", "save")
	draft.Set("account", "Saved before the connection dropped")
	c.PostForm("/concerns", draft)
	r = c.PostForm("/concerns/status", url.Values{"submission_id": {lost}})
	if r.Status != http.StatusOK || !strings.Contains(visible(r.Body), "Your concern did not arrive") ||
		!strings.Contains(r.Body, "Saved before the connection dropped") {
		t.Errorf("a form that did not arrive: %d\n%s", r.Status, visible(r.Body))
	}

	alex := s.staffClient(t, "alex@brookfield.test")
	r = alex.PostForm("/concerns/status", url.Values{"submission_id": {sent}})
	if r.Status != http.StatusOK || strings.Contains(r.Body, ref) || strings.Contains(r.Body, "older man") {
		t.Errorf("someone else checking the form: %d, shows the concern", r.Status)
	}
}

// A submission that fails in a way that does not prove nothing was stored
// asks the person to check its status, not to type it again.
func TestUnconfirmedSubmissionAsksToCheckStatus(t *testing.T) {
	t.Parallel()
	s := newConcernSite(t)
	c := s.staffClient(t, "sam@brookfield.test")
	id := openForm(t, c)
	v := filledForm(id, s.amara.ID)
	v.Set("account", "Typed before the failure")
	ctx := context.Background()
	if _, err := s.DB.Owner.Exec(ctx, `REVOKE INSERT ON concerns FROM haven_app`); err != nil {
		t.Fatal(err)
	}
	r := c.PostForm("/concerns", v)
	if _, err := s.DB.Owner.Exec(ctx, `GRANT INSERT ON concerns TO haven_app`); err != nil {
		t.Fatal(err)
	}
	text := visible(r.Body)
	if r.Status != http.StatusInternalServerError || !strings.Contains(text, "We could not confirm your concern was received") ||
		!strings.Contains(text, "Do not type it again") || !strings.Contains(r.Body, "Typed before the failure") {
		t.Fatalf("%d\n%s", r.Status, text)
	}
	r = c.PostForm("/concerns/status", url.Values{"submission_id": {id}})
	if r.Status != http.StatusOK || !strings.Contains(visible(r.Body), "Your concern did not arrive") {
		t.Errorf("check status: %d\n%s", r.Status, visible(r.Body))
	}
}

// The form's other buttons, without JavaScript: a child not on the roll is
// added inline, a child is removed, a body-map row is kept and a new one
// offered, and a file is removed before submission.
func TestConcernFormSteps(t *testing.T) {
	t.Parallel()
	s := newConcernSite(t)
	c := s.staffClient(t, "sam@brookfield.test")
	id := openForm(t, c)

	r := c.PostForm("/concerns", url.Values{"submission_id": {id}, "action": {"add-new"},
		"new_first_name": {"Sam"}, "new_last_name": {""}, "new_year_group": {"4"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(html.UnescapeString(visible(r.Body)), "There is a problem Enter the child's last name") {
		t.Errorf("inline child without a last name: %d\n%s", r.Status, visible(r.Body))
	}
	r = c.PostForm("/concerns", url.Values{"submission_id": {id}, "action": {"add-new"},
		"new_first_name": {"Sam"}, "new_last_name": {"Lee"}, "new_year_group": {"4"}})
	if r.Status != http.StatusOK || !strings.Contains(visible(r.Body), "Sam Lee Remove Sam Lee Year 4, not on the roll") {
		t.Fatalf("inline child: %d\n%s", r.Status, visible(r.Body))
	}
	if n := s.count(t, "children WHERE added_inline AND first_name = 'Sam'"); n != 1 {
		t.Errorf("inline children = %d, want 1", n)
	}

	var sam string
	if err := s.DB.Owner.QueryRow(context.Background(), `SELECT id::text FROM children WHERE first_name = 'Sam'`).Scan(&sam); err != nil {
		t.Fatal(err)
	}
	v := url.Values{"submission_id": {id}, "child-0-id": {sam}, "child-0-role": {"subject"},
		"child-1-id": {fmt.Sprint(s.ben.ID)}, "child-1-role": {"witness"},
		"mark-0-region": {"forearm_left"}, "mark-0-side": {"front"}, "mark-0-note": {"bruise"}, "action": {"add-mark"}}
	r = c.PostForm("/concerns", v)
	if !strings.Contains(r.Body, `name="mark-1-region"`) || !strings.Contains(r.Body, `value="bruise"`) {
		t.Errorf("add another mark: the mark is not kept, or no new row:\n%s", visible(r.Body))
	}
	v.Set("action", "remove-child-0")
	r = c.PostForm("/concerns", v)
	if strings.Contains(visible(r.Body), "Sam Lee Remove") || !strings.Contains(r.Body, `name="child-0-id" value="`+fmt.Sprint(s.ben.ID)+`"`) {
		t.Errorf("remove the first child: Ben is not now the only child:\n%s", visible(r.Body))
	}

	upload(t, c, s.URL, id, "statement.pdf", []byte("%PDF-1.7\n%%EOF\n"), nil)
	var file string
	if err := s.DB.Owner.QueryRow(context.Background(), `SELECT public_id::text FROM concern_attachments`).Scan(&file); err != nil {
		t.Fatal(err)
	}
	r = c.PostForm("/concerns", url.Values{"submission_id": {id}, "action": {"remove-file-" + file}})
	if strings.Contains(r.Body, "statement.pdf") || s.count(t, "concern_attachments") != 0 {
		t.Errorf("remove the file: still there")
	}
}
