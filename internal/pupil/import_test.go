package pupil_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/db/dbtest"
	"github.com/havenschools/haven/internal/pupil"
)

var rollNow = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func TestParseRoll(t *testing.T) {
	t.Run("a SIMS-style export", func(t *testing.T) {
		csv := "\uFEFFUPN,Legal Surname,Legal Forename,DOB,NC Year,Adno,CLA,SEN Status,Social worker\r\n" +
			"A123456789012,Okafor,Amara,14/03/2012,Year 9,1001,Y,E,Jo Smith\r\n" +
			"B123456789012,Carter,Ben,2012-05-01,9,1002,N,K,\r\n" +
			",,,,,,,,\r\n" +
			"C123456789012,Doyle,Cara,01/09/2021,R,1003,,N,\r\n"
		rows, problems := pupil.ParseRoll([]byte(csv), rollNow)
		if len(problems) > 0 {
			t.Fatalf("problems: %+v", problems)
		}
		if len(rows) != 3 {
			t.Fatalf("%d rows, want 3 (the blank line skipped)", len(rows))
		}
		a, c := rows[0], rows[2]
		if a.Name() != "Amara Okafor" || a.UPN != "A123456789012" || a.MISID != "1001" || *a.YearGroup != 9 ||
			!a.DateOfBirth.Equal(time.Date(2012, 3, 14, 0, 0, 0, 0, time.UTC)) || !*a.LookedAfter || !*a.SEND || !*a.EHCP ||
			*a.SocialWorker != "Jo Smith" || a.CPPlan != nil {
			t.Errorf("first row: %+v", a)
		}
		if c.Line != 5 || *c.YearGroup != pupil.Reception || *c.SEND {
			t.Errorf("third row: line %d, %+v", c.Line, c)
		}
	})
	t.Run("bad rows are named by line and column", func(t *testing.T) {
		csv := "Forename,Surname,Date of birth,Year group,UPN\n" +
			"Amara,Okafor,14/03/2012,9,A123456789012\n" +
			",Carter,31/02/2012,9,\n" +
			"Cara,Doyle,2012-01-01,Year 15,not-a-upn\n" +
			"Dan,Ev\"ans,9,\n" +
			"Eve,Fox,01/01/1990,9,A123456789012\n"
		_, problems := pupil.ParseRoll([]byte(csv), rollNow)
		want := []string{"3 First name", "3 Date of birth", "4 Year group", "4 UPN", "5", "6 Date of birth", "6 UPN"}
		var got []string
		for _, p := range problems {
			got = append(got, strings.TrimSpace(itoa(p.Line)+" "+p.Column))
		}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("problems at %v, want %v\n%+v", got, want, problems)
		}
	})
	t.Run("no name columns", func(t *testing.T) {
		_, problems := pupil.ParseRoll([]byte("Pupil,DOB\nAmara Okafor,14/03/2012\n"), rollNow)
		if len(problems) != 2 || problems[0].Line != 1 || !strings.Contains(problems[0].Message, "Forename") {
			t.Errorf("problems: %+v", problems)
		}
	})
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestRollImport(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t)
	ctx := t.Context()
	svc := pupil.NewService(d.App)
	school := dbtest.MustSchool(t, d.Owner, "st-aidans", "st-aidans")
	admin := actor.Actor{UserID: dbtest.MustUser(t, d.Owner, "admin@st-aidans.test", "admin@st-aidans.test"), SchoolID: school, Role: actor.Admin}
	staff := actor.Actor{UserID: dbtest.MustUser(t, d.Owner, "teacher@st-aidans.test", "teacher@st-aidans.test"), SchoolID: school, Role: actor.Staff}

	// A child added inline by a member of staff, with a concern about her.
	inline, err := svc.AddInline(ctx, staff, pupil.NewChild{FirstName: "Cara", LastName: "Doyle", DateOfBirth: date(2012, 1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	var concernID int64
	if err := d.Owner.QueryRow(ctx, `INSERT INTO concerns (school_id, ref, submission_id, recorded_by, happened_on, seen_on,
			account, told_dsl, in_danger) VALUES ($1, 'C-2026-000001', gen_random_uuid(), $2, '2026-10-01', '2026-10-01',
			'Account', 'not_yet', false) RETURNING id`, school, staff.UserID).Scan(&concernID); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Owner.Exec(ctx, `INSERT INTO concern_children (school_id, concern_id, position, child_id, role)
		VALUES ($1, $2, 0, $3, 'subject')`, school, concernID, inline.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Owner.Exec(ctx, `INSERT INTO concern_indicators (school_id, concern_id, concern_child_id, child_id, code, recorded_by)
		SELECT $1, $2, id, child_id, 'gifts', $3 FROM concern_children WHERE concern_id = $2`, school, concernID, staff.UserID); err != nil {
		t.Fatal(err)
	}

	t.Run("a file with bad rows is refused and writes nothing", func(t *testing.T) {
		bad := "Forename,Surname,DOB,Year,UPN\nAmara,Okafor,14/03/2012,9,A123456789012\nBen,,01/05/2012,9,\n"
		p, err := svc.StageImport(ctx, admin, "roll.csv", []byte(bad))
		if err != nil {
			t.Fatal(err)
		}
		if !p.Refused() || len(p.Problems) != 1 || p.Problems[0].Line != 3 || p.Problems[0].Column != "Last name" {
			t.Fatalf("preview: %+v", p.Problems)
		}
		if _, err := svc.ApplyImport(ctx, admin, p.ID); !errors.Is(err, pupil.ErrImportRefused) {
			t.Errorf("applying a refused file: %v", err)
		}
		if n := dbtest.Count(t, d.Owner, "children WHERE school_id = $1", school); n != 1 {
			t.Errorf("%d children after a refused import, want the 1 added inline", n)
		}
	})

	roll := "Forename,Surname,DOB,Year,UPN,Adno,CLA\n" +
		"Amara,Okafor,14/03/2012,9,A123456789012,1001,N\n" +
		"Ben,Carter,01/05/2012,9,B123456789012,1002,N\n" +
		"Cara,Doyle,01/01/2012,9,C123456789012,1003,Y\n"
	t.Run("the first import adds, and adopts the inline child with her concern", func(t *testing.T) {
		p, err := svc.StageImport(ctx, admin, "roll.csv", []byte(roll))
		if err != nil {
			t.Fatal(err)
		}
		if p.Refused() || len(p.Add) != 2 || len(p.Merge) != 1 || p.Merge[0].Inline.ID != inline.ID || p.Merge[0].Into != nil {
			t.Fatalf("preview: %+v", p)
		}
		res, err := svc.ApplyImport(ctx, admin, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if res != (pupil.ImportResult{Added: 2, Merged: 1}) {
			t.Errorf("result %+v", res)
		}
		c, err := svc.Get(ctx, admin, inline.ID)
		if err != nil {
			t.Fatal(err)
		}
		if c.AddedInline || c.UPN == nil || *c.UPN != "C123456789012" || !c.LookedAfter {
			t.Errorf("the inline child after import: %+v", c)
		}
		if _, err := svc.ApplyImport(ctx, admin, p.ID); !errors.Is(err, pupil.ErrImportRefused) {
			t.Errorf("applying twice: %v", err)
		}
	})
	t.Run("re-importing updates by UPN and never duplicates", func(t *testing.T) {
		again := strings.Replace(roll, "01/05/2012,9,", "01/05/2012,10,", 1)
		p, err := svc.StageImport(ctx, admin, "roll.csv", []byte(again))
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Add) != 0 || len(p.Update) != 1 || p.Unchanged != 2 || p.Update[0].Changes[0] != "year group" {
			t.Fatalf("preview: add %d, update %+v, unchanged %d", len(p.Add), p.Update, p.Unchanged)
		}
		if _, err := svc.ApplyImport(ctx, admin, p.ID); err != nil {
			t.Fatal(err)
		}
		if n := dbtest.Count(t, d.Owner, "children WHERE school_id = $1", school); n != 3 {
			t.Errorf("%d children, want 3", n)
		}
	})
	t.Run("an inline child matching a child already on the roll is merged into it, with her concerns", func(t *testing.T) {
		dup, err := svc.AddInline(ctx, staff, pupil.NewChild{FirstName: "amara", LastName: "OKAFOR", DateOfBirth: date(2012, 3, 14)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Owner.Exec(ctx, `UPDATE concern_children SET child_id = NULL, description = 'moved' WHERE concern_id = $1`, concernID); err == nil {
			t.Fatal("a concern's child could be unset while an indicator names her: the test's set-up is wrong")
		}
		var amara int64
		if err := d.Owner.QueryRow(ctx, `SELECT id FROM children WHERE upn = 'A123456789012'`).Scan(&amara); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Owner.Exec(ctx, `UPDATE concern_indicators SET child_id = NULL WHERE concern_id = $1`, concernID); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Owner.Exec(ctx, `UPDATE concern_children SET child_id = $2 WHERE concern_id = $1`, concernID, dup.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Owner.Exec(ctx, `UPDATE concern_indicators SET child_id = $2 WHERE concern_id = $1`, concernID, dup.ID); err != nil {
			t.Fatal(err)
		}
		p, err := svc.StageImport(ctx, admin, "roll.csv", []byte(roll))
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Merge) != 1 || p.Merge[0].Inline.ID != dup.ID || p.Merge[0].Into == nil || p.Merge[0].Into.ID != amara {
			t.Fatalf("preview merges %+v", p.Merge)
		}
		if _, err := svc.ApplyImport(ctx, admin, p.ID); err != nil {
			t.Fatal(err)
		}
		if n := dbtest.Count(t, d.Owner, "children WHERE id = $1", dup.ID); n != 0 {
			t.Error("the inline duplicate is still there")
		}
		if n := dbtest.Count(t, d.Owner, "concern_children WHERE concern_id = $1 AND child_id = $2", concernID, amara); n != 1 {
			t.Error("the concern did not move to the child on the roll")
		}
		if n := dbtest.Count(t, d.Owner, "concern_indicators WHERE concern_id = $1 AND child_id = $2", concernID, amara); n != 1 {
			t.Error("the indicator did not move to the child on the roll")
		}
	})
	t.Run("staff may not import, and every import is audited", func(t *testing.T) {
		if _, err := svc.StageImport(ctx, staff, "roll.csv", []byte(roll)); !errors.Is(err, pupil.ErrForbidden) {
			t.Errorf("staff import: %v", err)
		}
		if n := dbtest.Count(t, d.Owner, "audit_events WHERE school_id = $1 AND action = 'child.roll_import'", school); n != 3 {
			t.Errorf("%d child.roll_import events, want 3", n)
		}
		if n := dbtest.Count(t, d.Owner, "audit_events WHERE school_id = $1 AND action = 'child.merge'", school); n != 2 {
			t.Errorf("%d child.merge events, want 2", n)
		}
		if n := dbtest.Count(t, d.Owner, "audit_events WHERE school_id = $1 AND details LIKE '%Okafor%'", school); n != 0 {
			t.Error("a child's name reached the audit trail")
		}
	})
}

// TestMergeMovesRecordsAndKeepsDoNotDestroy: merging an inline child into
// the roll child moves their transfer and keeps a "Do not destroy" marker.
func TestMergeMovesRecordsAndKeepsDoNotDestroy(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t)
	ctx := t.Context()
	svc := pupil.NewService(d.App)
	school := dbtest.MustSchool(t, d.Owner, "st-aidans", "st-aidans")
	admin := actor.Actor{UserID: dbtest.MustUser(t, d.Owner, "admin@st-aidans.test", "admin@st-aidans.test"), SchoolID: school, Role: actor.Admin}
	staff := actor.Actor{UserID: dbtest.MustUser(t, d.Owner, "teacher@st-aidans.test", "teacher@st-aidans.test"), SchoolID: school, Role: actor.Staff}
	if _, err := svc.AddToRoll(ctx, admin, []pupil.NewChild{{FirstName: "Amara", LastName: "Okafor", DateOfBirth: date(2012, 3, 14), UPN: "A123456789012"}}); err != nil {
		t.Fatal(err)
	}
	dup, err := svc.AddInline(ctx, staff, pupil.NewChild{FirstName: "Amara", LastName: "Okafor", DateOfBirth: date(2012, 3, 14)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Owner.Exec(ctx, `INSERT INTO child_transfers (school_id, child_id, destination_school, destination_dsl,
			destination_email, left_on, due_on, created_by) VALUES ($1, $2, 'Riverside', 'Rae', 'rae@riverside.test',
			'2026-11-02', '2026-11-09', $3)`, school, dup.ID, staff.UserID); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Owner.Exec(ctx, `INSERT INTO child_retention (school_id, child_id, do_not_destroy, dnd_reason)
		VALUES ($1, $2, true, 'Inquiry')`, school, dup.ID); err != nil {
		t.Fatal(err)
	}
	p, err := svc.StageImport(ctx, admin, "roll.csv", []byte("Forename,Surname,DOB,UPN\nAmara,Okafor,14/03/2012,A123456789012\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Merge) != 1 {
		t.Fatalf("preview: %+v", p)
	}
	if _, err := svc.ApplyImport(ctx, admin, p.ID); err != nil {
		t.Fatal(err)
	}
	if n := dbtest.Count(t, d.Owner, "child_transfers t JOIN children c ON c.id = t.child_id WHERE c.upn = 'A123456789012'"); n != 1 {
		t.Error("the transfer did not move to the roll child")
	}
	if n := dbtest.Count(t, d.Owner, "child_retention r JOIN children c ON c.id = r.child_id WHERE c.upn = 'A123456789012' AND r.do_not_destroy"); n != 1 {
		t.Error("the Do not destroy marker was lost in the merge")
	}
}
