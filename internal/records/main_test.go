package records_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/db/dbtest"
	"github.com/havenschools/haven/internal/pupil"
	"github.com/havenschools/haven/internal/records"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// fixture is a school with a DSL, the head, an admin and a member of staff,
// two children on its roll, and the records service on it (no job client:
// tests run exports with RunExport).
type fixture struct {
	db                      dbtest.DB
	svc                     *records.Service
	school                  int64
	dsl, head, admin, staff actor.Actor
	amara, ben              pupil.Child
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	d := dbtest.Open(t)
	f := &fixture{db: d, svc: records.NewService(d.App, nil, "https://haven.example.test")}
	f.school = recordsSchool(t, d.Owner, "st-aidans", "St Aidan's")
	f.dsl = dbtest.MustMember(t, d.Owner, f.school, "dsl@st-aidans.test", "Dee Ess", actor.DSL)
	f.head = dbtest.MustMember(t, d.Owner, f.school, "head@st-aidans.test", "Hed Teacher", actor.Head)
	f.admin = dbtest.MustMember(t, d.Owner, f.school, "admin@st-aidans.test", "Ad Min", actor.Admin)
	f.staff = dbtest.MustMember(t, d.Owner, f.school, "teacher@st-aidans.test", "Tea Cher", actor.Staff)
	y := pupil.YearGroup(9)
	dob := time.Date(2012, 3, 14, 0, 0, 0, 0, time.UTC)
	kids, err := pupil.NewService(d.App).AddToRoll(t.Context(), actor.SystemIn(f.school), []pupil.NewChild{
		{FirstName: "Amara", LastName: "Okafor", YearGroup: &y, DateOfBirth: &dob, UPN: "A123456789012"},
		{FirstName: "Ben", LastName: "Carter", YearGroup: &y},
	})
	if err != nil {
		t.Fatal(err)
	}
	f.amara, f.ben = kids[0], kids[1]
	return f
}

// recordsSchool is a school as these tests need it: its settings and two
// concern categories, whose names the exports show.
func recordsSchool(t testing.TB, owner *pgxpool.Pool, slug, name string) int64 {
	t.Helper()
	id := dbtest.MustSchool(t, owner, slug, name)
	dbtest.MustSettings(t, owner, id)
	dbtest.MustCategories(t, owner, id, dbtest.Category{Key: "cse", Name: "Child sexual exploitation"},
		dbtest.Category{Key: "neglect", Name: "Neglect"})
	return id
}

func mustDecision(t testing.TB, owner *pgxpool.Pool, by actor.Actor, concernID int64, reason string) {
	t.Helper()
	if _, err := owner.Exec(context.Background(), `INSERT INTO concern_decisions (school_id, concern_id, outcome, reason,
			parents, childs_wishes, decided_by) VALUES ($1, $2, 'social_care', $3, 'told', 'She wants it to stop.', $4)`,
		by.SchoolID, concernID, reason, by.UserID); err != nil {
		t.Fatal(err)
	}
}

func mustAction(t testing.TB, owner *pgxpool.Pool, by actor.Actor, concernID int64, note string) {
	t.Helper()
	if _, err := owner.Exec(context.Background(), `INSERT INTO concern_actions (school_id, concern_id, kind, action_on, note,
			agency_ref, follow_up_on, recorded_by) VALUES ($1, $2, 'referral', '2026-10-07', $3, 'MASH-1', '2026-10-09', $4)`,
		by.SchoolID, concernID, note, by.UserID); err != nil {
		t.Fatal(err)
	}
}

// exportFile runs a queued export and returns its file as its requester downloads it.
func (f *fixture) exportFile(t testing.TB, by actor.Actor, e records.Export) []byte {
	t.Helper()
	ctx := context.Background()
	if err := f.svc.RunExport(ctx, f.school, e.ID); err != nil {
		t.Fatal(err)
	}
	opened, err := f.svc.Open(ctx, by, e.PublicID)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.svc.WriteFile(ctx, by, opened, &buf); err != nil {
		t.Fatal(err)
	}
	if int64(buf.Len()) != opened.SizeBytes {
		t.Fatalf("downloaded %d bytes, the export says %d", buf.Len(), opened.SizeBytes)
	}
	return buf.Bytes()
}
