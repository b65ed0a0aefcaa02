package pupil_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/db/dbtest"
	"github.com/havenschools/haven/internal/pupil"
	"github.com/havenschools/haven/internal/validate"
)

func TestChangeDetails(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t)
	ctx := t.Context()
	svc := pupil.NewService(d.App)
	school, other := dbtest.MustSchool(t, d.Owner, "st-aidans", "st-aidans"), dbtest.MustSchool(t, d.Owner, "elsewhere", "elsewhere")
	dsl := actor.Actor{UserID: dbtest.MustUser(t, d.Owner, "dsl@st-aidans.test", "dsl@st-aidans.test"), SchoolID: school, Role: actor.DSL}
	roll, err := svc.AddToRoll(ctx, actor.SystemIn(school), []pupil.NewChild{
		{FirstName: "Amara", LastName: "Okafor", YearGroup: yg(9)},
		{FirstName: "Ben", LastName: "Carter", YearGroup: yg(9)},
	})
	if err != nil {
		t.Fatal(err)
	}
	amara, ben := roll[0], roll[1]
	theirs, err := svc.AddToRoll(ctx, actor.SystemIn(other), []pupil.NewChild{{FirstName: "Zeph", LastName: "Quill", YearGroup: yg(9)}})
	if err != nil {
		t.Fatal(err)
	}

	audited := func(t *testing.T, id int64) int {
		t.Helper()
		return dbtest.Count(t, d.Owner, "audit_events WHERE action = 'child.details_change' AND subject_id = $1", strconv.FormatInt(id, 10))
	}
	stored := func(t *testing.T, id int64) pupil.Details {
		t.Helper()
		c, err := svc.Get(ctx, dsl, id)
		if err != nil {
			t.Fatal(err)
		}
		return c.Details()
	}

	t.Run("a DSL changes the flags and social worker, audited without personal data", func(t *testing.T) {
		want := pupil.Details{CPPlan: true, ChildInNeed: true, SocialWorker: "Jo Marsh, Northshire children's services"}
		if err := svc.ChangeDetails(ctx, dsl, amara.ID, pupil.Details{CPPlan: true, ChildInNeed: true,
			SocialWorker: "  Jo Marsh, Northshire children's services "}); err != nil {
			t.Fatal(err)
		}
		if got := stored(t, amara.ID); got != want {
			t.Errorf("stored %+v, want %+v", got, want)
		}
		if n := audited(t, amara.ID); n != 1 {
			t.Fatalf("audit events = %d, want 1", n)
		}
		var details string
		if err := d.Owner.QueryRow(ctx, `SELECT details FROM audit_events WHERE action = 'child.details_change' AND subject_id = $1`,
			strconv.FormatInt(amara.ID, 10)).Scan(&details); err != nil {
			t.Fatal(err)
		}
		if want := `{"fields":["cp_plan","child_in_need","social_worker"]}`; details != want {
			t.Errorf("audit details = %s, want %s", details, want)
		}
		for _, personal := range []string{"Jo", "Marsh", "Northshire", "Amara", "Okafor"} {
			if strings.Contains(details, personal) {
				t.Errorf("audit details %s hold %q", details, personal)
			}
		}
	})

	t.Run("turning a flag off and clearing the social worker is a change", func(t *testing.T) {
		if err := svc.ChangeDetails(ctx, dsl, amara.ID, pupil.Details{CPPlan: true}); err != nil {
			t.Fatal(err)
		}
		if got, want := stored(t, amara.ID), (pupil.Details{CPPlan: true}); got != want {
			t.Errorf("stored %+v, want %+v", got, want)
		}
		if n := audited(t, amara.ID); n != 2 {
			t.Errorf("audit events = %d, want 2", n)
		}
	})

	t.Run("no change writes nothing and audits nothing", func(t *testing.T) {
		before := dbtest.Count(t, d.Owner, "audit_events WHERE school_id = $1", school)
		if err := svc.ChangeDetails(ctx, dsl, amara.ID, pupil.Details{CPPlan: true, SocialWorker: "  "}); err != nil {
			t.Fatal(err)
		}
		if after := dbtest.Count(t, d.Owner, "audit_events WHERE school_id = $1", school); after != before {
			t.Errorf("audit events = %d, want %d", after, before)
		}
	})

	t.Run("staff, the head and admins are forbidden", func(t *testing.T) {
		for _, role := range []actor.Role{actor.Staff, actor.Head, actor.Admin} {
			by := actor.Actor{UserID: dsl.UserID, SchoolID: school, Role: role}
			if err := svc.ChangeDetails(ctx, by, ben.ID, pupil.Details{LookedAfter: true}); !errors.Is(err, pupil.ErrForbidden) {
				t.Errorf("%s: err = %v, want ErrForbidden", role, err)
			}
		}
		if got := stored(t, ben.ID); got != (pupil.Details{}) {
			t.Errorf("stored %+v, want nothing", got)
		}
	})

	t.Run("a child of another school, or of none, is not found", func(t *testing.T) {
		for _, id := range []int64{theirs[0].ID, 999999999} {
			if err := svc.ChangeDetails(ctx, dsl, id, pupil.Details{EHCP: true}); !errors.Is(err, db.ErrNotFound) {
				t.Errorf("child %d: err = %v, want db.ErrNotFound", id, err)
			}
		}
		if n := dbtest.Count(t, d.Owner, "children WHERE school_id = $1 AND ehcp", other); n != 0 {
			t.Errorf("the other school's child was changed")
		}
	})

	t.Run("a social worker over 500 characters is a problem and writes nothing", func(t *testing.T) {
		err := svc.ChangeDetails(ctx, dsl, ben.ID, pupil.Details{SEND: true, SocialWorker: strings.Repeat("x", 501)})
		p, ok := errors.AsType[validate.Problems](err)
		if !ok || p["social_worker"] != "Social worker must be 500 characters or fewer" {
			t.Errorf("err = %v, want a problem for social_worker", err)
		}
		if err := svc.ChangeDetails(ctx, dsl, ben.ID, pupil.Details{SocialWorker: strings.Repeat("x", 500)}); err != nil {
			t.Errorf("500 characters: %v", err)
		}
		if got := stored(t, ben.ID); got.SEND || len(got.SocialWorker) != 500 {
			t.Errorf("stored %+v, want no SEND and 500 characters", got)
		}
	})

	t.Run("NUL bytes, invalid UTF-8 and line breaks are problems", func(t *testing.T) {
		before := dbtest.Count(t, d.Owner, "audit_events WHERE school_id = $1", school)
		for _, sw := range []string{"Jo\x00Marsh", "Jo \xff Marsh", "Jo\nMarsh", "Jo \u202eMarsh"} {
			err := svc.ChangeDetails(ctx, dsl, ben.ID, pupil.Details{SocialWorker: sw})
			if p, ok := errors.AsType[validate.Problems](err); !ok || p["social_worker"] == "" {
				t.Errorf("%q: err = %v, want a problem for social_worker", sw, err)
			}
		}
		if after := dbtest.Count(t, d.Owner, "audit_events WHERE school_id = $1", school); after != before {
			t.Errorf("audit events = %d, want %d", after, before)
		}
	})
}

func TestDetailsFlags(t *testing.T) {
	var d pupil.Details
	for _, f := range pupil.Flags() {
		d.Set(f, true)
	}
	d.Set("made_up", true)
	if want := (pupil.Details{LookedAfter: true, CPPlan: true, ChildInNeed: true, SEND: true, EHCP: true}); d != want {
		t.Errorf("every flag set: %+v, want %+v", d, want)
	}
	if d.Has("made_up") {
		t.Error("an unknown flag is set")
	}
	for _, f := range pupil.Flags() {
		if f.Label() == string(f) {
			t.Errorf("%s has no label", f)
		}
	}
}
