package concern_test

import (
	"archive/zip"
	"bytes"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/concern"
	"github.com/havenschools/haven/internal/db/dbtest"
	"github.com/havenschools/haven/internal/jobs"
	"github.com/havenschools/haven/internal/notify"
	"github.com/havenschools/haven/internal/pupil"
	"github.com/havenschools/haven/internal/when"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// fixture is a school with a DSL, a deputy DSL, two members of staff and a
// few children on its roll, and a concern service on it.
type fixture struct {
	db                         dbtest.DB
	svc                        *concern.Service
	school                     int64
	dsl, deputy, staff, staff2 actor.Actor
	amara, ben, cara           pupil.Child
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	d := dbtest.Open(t)
	f := &fixture{db: d}
	f.school = concernSchool(t, d.Owner, "st-aidans")
	f.dsl = dbtest.MustMember(t, d.Owner, f.school, "dsl@st-aidans.test", "Dee Ess", actor.DSL)
	f.deputy = dbtest.MustDeputy(t, d.Owner, f.school, "deputy@st-aidans.test", "Dep Uty", actor.DSL)
	f.staff = dbtest.MustMember(t, d.Owner, f.school, "teacher@st-aidans.test", "Tea Cher", actor.Staff)
	f.staff2 = dbtest.MustMember(t, d.Owner, f.school, "ta@st-aidans.test", "Tee Ay", actor.Staff)
	dbtest.MustMember(t, d.Owner, f.school, "admin@st-aidans.test", "Ad Min", actor.Admin)
	y := pupil.YearGroup(9)
	kids, err := pupil.NewService(d.App).AddToRoll(t.Context(), actor.SystemIn(f.school), []pupil.NewChild{
		{FirstName: "Amara", LastName: "Okafor", YearGroup: &y},
		{FirstName: "Ben", LastName: "Carter", YearGroup: &y},
		{FirstName: "Cara", LastName: "Doyle", YearGroup: &y},
	})
	if err != nil {
		t.Fatal(err)
	}
	f.amara, f.ben, f.cara = kids[0], kids[1], kids[2]
	f.svc = concern.NewService(d.App, newJobs(t, d.App), "https://haven.example.test/")
	return f
}

func newJobs(t testing.TB, pool *pgxpool.Pool) *jobs.Client {
	t.Helper()
	outbox, err := notify.NewOutbox(t.TempDir(), "haven@example.test")
	if err != nil {
		t.Fatal(err)
	}
	c, err := jobs.New(pool, slog.New(slog.NewTextHandler(io.Discard, nil)),
		func(w *river.Workers) { notify.AddWorkers(w, outbox) }, concern.NewEscalator(pool, "https://haven.example.test", nil).AddWorkers)
	if err != nil {
		t.Fatal(err)
	}
	return c // never started: jobs stay in the table for the test to read
}

// concernSchool is a school with the concern categories
// school.Service.Create gives a new school (named by their keys).
func concernSchool(t testing.TB, owner *pgxpool.Pool, slug string) int64 {
	t.Helper()
	id := dbtest.MustSchool(t, owner, slug, slug)
	var cats []dbtest.Category
	for _, key := range []string{"cse", "cce", "sexual_abuse", "physical_abuse", "neglect", "nudes", "fgm", "other"} {
		cats = append(cats, dbtest.Category{Key: key, Name: key})
	}
	dbtest.MustCategories(t, owner, id, cats...)
	return id
}

// today is the date in Europe/London as the form's three boxes.
func today() when.DateParts { return when.DatePartsOf(when.Today(time.Now())) }

func daysAgo(n int) when.DateParts {
	return when.DatePartsOf(when.Today(time.Now()).AddDate(0, 0, -n))
}

// validForm is a complete form about child, as a member of staff fills it in.
func validForm(child int64) concern.Form {
	return concern.Form{
		SubmissionID: concern.NewSubmissionID(),
		InDanger:     "no",
		Children:     []concern.FormChild{{ChildID: child, Role: concern.Subject}},
		Account:      "She said an older man picks her up after school in a silver car.",
		ChildsWords:  "\"He buys me things\"",
		Happened:     daysAgo(1),
		Seen:         today(),
		Location:     "Year 9 corridor",
		ToldDSL:      "not_yet",
	}
}

// Test files, by content.
var (
	pdfFile  = []byte("%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")
	pngFile  = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00")
	jpegFile = []byte("\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01")
)

// docx builds a minimal Word document; with macros it is a .docm inside.
func docx(t testing.TB, macros bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	ct := `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
		`<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`
	if macros {
		ct = `<?xml version="1.0"?><Types><Override PartName="/word/document.xml" ContentType="application/vnd.ms-word.document.macroEnabled.main+xml"/></Types>`
	}
	files := map[string]string{"[Content_Types].xml": ct, "word/document.xml": "<w:document/>"}
	if macros {
		files["word/vbaProject.bin"] = "macro"
	}
	for name, body := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func mustDate(t testing.TB, d when.DateParts) time.Time {
	t.Helper()
	v, ok := d.Date()
	if !ok {
		t.Fatalf("bad date %+v", d)
	}
	return v
}

// zipOf is a ZIP holding empty files with the names given.
func zipOf(t testing.TB, names ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		if _, err := zw.Create(n); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
