package allegation_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/allegation"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/db/dbtest"
	"github.com/havenschools/haven/internal/jobs"
	"github.com/havenschools/haven/internal/notify"
	"github.com/havenschools/haven/internal/pupil"
	"github.com/havenschools/haven/internal/when"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// fixture is a school with a head, a chair of governors (a member of staff
// named in the school's settings), a DSL, an admin and three members of
// staff, a child on its roll, and the service on it with a clock the test
// moves.
type fixture struct {
	db                     dbtest.DB
	svc                    *allegation.Service
	school                 int64
	head, chair, dsl       actor.Actor
	admin                  actor.Actor
	teacher, ta, lunchtime actor.Actor
	amara                  pupil.Child
	now                    time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	d := dbtest.Open(t)
	f := &fixture{db: d}
	ctx := context.Background()
	f.school = dbtest.MustSchool(t, d.Owner, "st-aidans", "St Aidan's")
	dbtest.MustSettings(t, d.Owner, f.school)
	f.head = dbtest.MustMember(t, d.Owner, f.school, "head@st-aidans.test", "Hazel Head", actor.Head)
	f.chair = dbtest.MustMember(t, d.Owner, f.school, "chair@st-aidans.test", "Cyril Chair", actor.Staff)
	f.dsl = dbtest.MustMember(t, d.Owner, f.school, "dsl@st-aidans.test", "Dee Ess", actor.DSL)
	f.admin = dbtest.MustMember(t, d.Owner, f.school, "admin@st-aidans.test", "Ad Min", actor.Admin)
	f.teacher = dbtest.MustMember(t, d.Owner, f.school, "teacher@st-aidans.test", "Tom Teacher", actor.Staff)
	f.ta = dbtest.MustMember(t, d.Owner, f.school, "ta@st-aidans.test", "Tess Assistant", actor.Staff)
	f.lunchtime = dbtest.MustMember(t, d.Owner, f.school, "lunch@st-aidans.test", "Lou Lunch", actor.Staff)
	if _, err := d.Owner.Exec(ctx, `UPDATE school_settings SET chair_of_governors = $2 WHERE school_id = $1`, f.school, f.chair.UserID); err != nil {
		t.Fatal(err)
	}
	y := pupil.YearGroup(8)
	kids, err := pupil.NewService(d.App).AddToRoll(ctx, actor.SystemIn(f.school), []pupil.NewChild{{FirstName: "Amara", LastName: "Okafor", YearGroup: &y}})
	if err != nil {
		t.Fatal(err)
	}
	f.amara = kids[0]
	f.svc = allegation.NewService(d.App, newJobs(t, d.App), "https://haven.example.test/")
	f.now = time.Date(2026, 3, 2, 10, 0, 0, 0, when.London()) // a Monday in term
	f.svc.SetClock(func() time.Time { return f.now })
	return f
}

func newJobs(t *testing.T, pool *pgxpool.Pool) *jobs.Client {
	t.Helper()
	outbox, err := notify.NewOutbox(t.TempDir(), "haven@example.test")
	if err != nil {
		t.Fatal(err)
	}
	c, err := jobs.New(pool, slog.New(slog.NewTextHandler(io.Discard, nil)), func(w *river.Workers) { notify.AddWorkers(w, outbox) })
	if err != nil {
		t.Fatal(err)
	}
	return c // never started: jobs stay in the table for the test to read
}

// report is a complete form about an adult, as a member of staff fills it in.
func report(name, role string, kind allegation.Kind) allegation.Form {
	return allegation.Form{
		SubmissionID: allegation.NewSubmissionID(),
		SubjectName:  name,
		SubjectRole:  role,
		Account:      "I saw them messaging a Year 8 pupil from their personal phone after school.",
		Happened:     when.DateParts{Day: "27", Month: "2", Year: "2026"},
		HappenedTime: "about 4pm",
		Location:     "Car park",
		Witnesses:    "No one else",
		Kind:         string(kind),
	}
}

func (f *fixture) mustReport(t *testing.T, by actor.Actor, form allegation.Form) allegation.Receipt {
	t.Helper()
	r, err := f.svc.Submit(context.Background(), by, form)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// rowsSeen counts the rows of table that a transaction as by can read:
// what row-level security lets through, whatever the service does.
func (f *fixture) rowsSeen(t *testing.T, by actor.Actor, table string) int {
	t.Helper()
	var n int
	err := db.InSchool(context.Background(), f.db.App, by, func(tx pgx.Tx) error {
		return tx.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n)
	})
	if err != nil {
		t.Fatalf("count %s as %s: %v", table, by.Role, err)
	}
	return n
}
