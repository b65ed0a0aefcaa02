package records_test

import (
	"bytes"
	"context"
	"fmt"
	"sync/atomic"
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
	f.school = mustSchool(t, d.Owner, "st-aidans", "St Aidan's")
	f.dsl = mustMember(t, d.Owner, f.school, "dsl@st-aidans.test", "Dee Ess", actor.DSL)
	f.head = mustMember(t, d.Owner, f.school, "head@st-aidans.test", "Hed Teacher", actor.Head)
	f.admin = mustMember(t, d.Owner, f.school, "admin@st-aidans.test", "Ad Min", actor.Admin)
	f.staff = mustMember(t, d.Owner, f.school, "teacher@st-aidans.test", "Tea Cher", actor.Staff)
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

func mustSchool(t testing.TB, owner *pgxpool.Pool, slug, name string) int64 {
	t.Helper()
	ctx := context.Background()
	var id int64
	if err := owner.QueryRow(ctx, `INSERT INTO schools (slug, name) VALUES ($1, $2) RETURNING id`, slug, name).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.Exec(ctx, `INSERT INTO school_settings (school_id) VALUES ($1)`, id); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.Exec(ctx, `INSERT INTO concern_categories (school_id, key, name, position)
		VALUES ($1, 'cse', 'Child sexual exploitation', 1), ($1, 'neglect', 'Neglect', 2)`, id); err != nil {
		t.Fatal(err)
	}
	return id
}

func mustMember(t testing.TB, owner *pgxpool.Pool, school int64, email, name string, role actor.Role) actor.Actor {
	t.Helper()
	ctx := context.Background()
	var id int64
	if err := owner.QueryRow(ctx, `INSERT INTO users (email, name) VALUES ($1, $2)
		ON CONFLICT (email) DO UPDATE SET name = EXCLUDED.name RETURNING id`, email, name).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.Exec(ctx, `INSERT INTO memberships (school_id, user_id, role) VALUES ($1, $2, $3)`,
		school, id, role); err != nil {
		t.Fatal(err)
	}
	return actor.Actor{UserID: id, SchoolID: school, Role: role, Source: actor.Source{RequestID: "req", ClientIP: "192.0.2.1"}}
}

// concernOpts is what a test concern holds beyond the defaults.
type concernOpts struct {
	account, words, location string
	status                   string
	categories               []string
	restricted               bool
}

var refCounter atomic.Int64

// mustConcern stores a concern about child as recorded by by, straight in
// the database (the concern package's own tests cover submitting).
func mustConcern(t testing.TB, owner *pgxpool.Pool, by actor.Actor, child int64, o concernOpts) int64 {
	t.Helper()
	ctx := context.Background()
	if o.account == "" {
		o.account = "She said an older man picks her up after school."
	}
	if o.status == "" {
		o.status = "submitted"
	}
	if o.categories == nil {
		o.categories = []string{"cse"}
	}
	var id int64
	err := owner.QueryRow(ctx, `INSERT INTO concerns (school_id, ref, submission_id, recorded_by, happened_on, seen_on,
			location, account, childs_words, told_dsl, in_danger, categories, status, restricted)
		VALUES ($1, $2, gen_random_uuid(), $3, '2026-10-05', '2026-10-06', $4, $5, $6, 'not_yet', false, $7, $8, $9)
		RETURNING id`, by.SchoolID, fmt.Sprintf("C-2026-%06d", refCounter.Add(1)), by.UserID, o.location, o.account, o.words,
		o.categories, o.status, o.restricted).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := owner.Exec(ctx, `INSERT INTO concern_children (school_id, concern_id, position, child_id, role)
		VALUES ($1, $2, 0, $3, 'subject')`, by.SchoolID, id, child); err != nil {
		t.Fatal(err)
	}
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
