package school

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/auth"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/db/dbtest"
	"github.com/havenschools/haven/internal/validate"
	"github.com/havenschools/haven/internal/when"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func newSchool(t *testing.T) (*Service, dbtest.DB, actor.Actor) {
	t.Helper()
	d := dbtest.Open(t)
	svc := NewService(d.App)
	sc, err := svc.Create(context.Background(), actor.Actor{Role: actor.System}, "brookfield", "Brookfield Primary")
	if err != nil {
		t.Fatal(err)
	}
	uid := dbtest.MustUser(t, d.Owner, "admin@b.test", "Admin")
	return svc, d, actor.Actor{UserID: uid, SchoolID: sc.ID, Role: actor.Admin}
}

func TestSettingsDefaults(t *testing.T) {
	t.Parallel()
	svc, _, admin := newSchool(t)
	st, err := svc.Settings(context.Background(), admin)
	if err != nil {
		t.Fatal(err)
	}
	if st.Name != "Brookfield Primary" || st.DayStarts != "08:30" || st.DayEnds != "15:30" ||
		!slices.Equal(st.SchoolDays, []int{1, 2, 3, 4, 5}) || st.UrgentEscalation != 15*time.Minute ||
		st.Escalation != 24*time.Hour || st.CumulativeCount != 3 || st.CumulativeDays != 90 ||
		st.CSEStaffThreshold != 2 || st.Require2FAAll {
		t.Errorf("defaults = %+v", st)
	}
	if len(st.ActiveCategories()) != 16 || st.Categories[0].Key != "cse" || st.Categories[15].Name != "Other" {
		t.Errorf("categories = %+v", st.Categories)
	}
}

func TestUpdateSettings(t *testing.T) {
	t.Parallel()
	svc, d, admin := newSchool(t)
	ctx := context.Background()
	st, _ := svc.Settings(ctx, admin)
	f := FormFrom(st)
	f.DSLNames = []string{"Priya Shah", "", "Tom Reed"}
	f.DSLPhones = []string{"01632 960001", "", "01632 960002"}
	f.FrontDoorName, f.FrontDoorPhone = "Brookfield MASH", "01632 960100"
	f.Categories = "Child sexual exploitation\nNeglect\nBullying\nOther"
	f.Require2FAAll = "yes"
	f.EscalationHours = "12"

	if err := svc.UpdateSettings(ctx, admin, f); err != nil {
		t.Fatal(err)
	}
	st, _ = svc.Settings(ctx, admin)
	if len(st.DSLContacts) != 2 || st.DSLContacts[1] != (Contact{"Tom Reed", "01632 960002"}) || !st.Require2FAAll ||
		st.Escalation != 12*time.Hour || st.FrontDoorName != "Brookfield MASH" {
		t.Errorf("after update: %+v", st)
	}
	var active []string
	for _, c := range st.ActiveCategories() {
		active = append(active, c.Key)
	}
	if !slices.Equal(active, []string{"cse", "neglect", "bullying", "other"}) {
		t.Errorf("active category keys = %v", active)
	}
	if len(st.Categories) != 17 {
		t.Errorf("%d categories kept, want 17 (16 defaults, one new)", len(st.Categories))
	}
	var details string
	if err := d.Owner.QueryRow(ctx, `SELECT details FROM audit_events WHERE action = 'school.settings_change'`).Scan(&details); err != nil {
		t.Fatal(err)
	}
	if want := `{"fields":["dsl_contacts","front_door","escalation","categories","require_2fa_all"]}`; details != want {
		t.Errorf("audit details = %s, want %s", details, want)
	}

	t.Run("saving unchanged settings audits nothing", func(t *testing.T) {
		st, _ := svc.Settings(ctx, admin)
		if err := svc.UpdateSettings(ctx, admin, FormFrom(st)); err != nil {
			t.Fatal(err)
		}
		if n := dbtest.Count(t, d.Owner, "audit_events WHERE action = 'school.settings_change'"); n != 1 {
			t.Errorf("%d settings changes audited, want 1", n)
		}
	})
	t.Run("invalid values are problems beside their fields", func(t *testing.T) {
		bad := FormFrom(st)
		bad.Name = ""
		bad.DSLNames, bad.DSLPhones = []string{"Priya"}, []string{"call me"}
		bad.DayStarts, bad.DayEnds = "16:00", "09:00"
		bad.SchoolDays = nil
		bad.UrgentMinutes = "0"
		bad.Categories = "A\na"
		err := svc.UpdateSettings(ctx, admin, bad)
		p, ok := errors.AsType[validate.Problems](err)
		if !ok {
			t.Fatalf("err = %v, want problems", err)
		}
		for _, field := range []string{"name", "dsl-phone-1", "day-ends", "school-days", "urgent-minutes", "categories"} {
			if p[field] == "" {
				t.Errorf("no problem for %s in %v", field, p)
			}
		}
	})
	t.Run("only admins change settings", func(t *testing.T) {
		dsl := admin
		dsl.Role = actor.DSL
		if err := svc.UpdateSettings(ctx, dsl, FormFrom(st)); !errors.Is(err, ErrForbidden) {
			t.Errorf("err = %v, want ErrForbidden", err)
		}
	})
}

func TestTerms(t *testing.T) {
	t.Parallel()
	svc, _, admin := newSchool(t)
	ctx := context.Background()
	autumn := TermForm{Name: "Autumn term 2026", StartDay: "3", StartMonth: "9", StartYear: "2026", EndDay: "18", EndMonth: "12", EndYear: "2026"}
	if err := svc.AddTerm(ctx, admin, autumn); err != nil {
		t.Fatal(err)
	}
	overlap := autumn
	overlap.Name = "Overlap"
	if err := svc.AddTerm(ctx, admin, overlap); err == nil {
		t.Error("an overlapping term was added")
	}
	bad := TermForm{Name: "Bad", StartDay: "31", StartMonth: "2", StartYear: "2027", EndDay: "1", EndMonth: "1", EndYear: "2027"}
	if p, ok := errors.AsType[validate.Problems](svc.AddTerm(ctx, admin, bad)); !ok || p["starts"] == "" {
		t.Errorf("31 February: problems = %v", p)
	}
	st, _ := svc.Settings(ctx, admin)
	if len(st.Terms) != 1 {
		t.Fatalf("terms = %+v", st.Terms)
	}

	t.Run("the school is open in term, on school days, in school hours", func(t *testing.T) {
		tests := []struct {
			at   string
			open bool
		}{
			{"2026-11-26T10:00:00Z", true},  // a Thursday in term
			{"2026-11-26T08:29:00Z", false}, // before 08:30
			{"2026-11-26T15:30:00Z", false}, // at the end of the day
			{"2026-11-28T10:00:00Z", false}, // a Saturday
			{"2026-12-21T10:00:00Z", false}, // a Monday after term
			{"2026-09-03T07:45:00Z", true},  // 08:45 BST on the first day
		}
		if _, err := svc.Settings(ctx, admin); err != nil {
			t.Fatal(err)
		}
		for _, tt := range tests {
			at, _ := time.Parse(time.RFC3339, tt.at)
			if got := st.Open(at); got != tt.open {
				t.Errorf("Open(%s) = %v, want %v", tt.at, got, tt.open)
			}
		}
	})
	t.Run("the school is closed on a bank holiday, even in term", func(t *testing.T) {
		s2 := st
		s2.Terms = []Term{{Name: "Summer 2", StartsOn: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), EndsOn: time.Date(2026, 9, 30, 0, 0, 0, 0, time.UTC)}}
		if s2.Open(time.Date(2026, 8, 31, 10, 0, 0, 0, when.London())) {
			t.Error("open on the summer bank holiday")
		}
		if !s2.Open(time.Date(2026, 9, 1, 10, 0, 0, 0, when.London())) {
			t.Error("closed on the Tuesday after it")
		}
	})
	if err := svc.DeleteTerm(ctx, admin, st.Terms[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := svc.DeleteTerm(ctx, admin, st.Terms[0].ID); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("deleting twice: err = %v, want db.ErrNotFound", err)
	}
}

func TestYearTerms(t *testing.T) {
	t.Parallel()
	svc, _, admin := newSchool(t)
	ctx := context.Background()
	term := func(name, d1, m1, y1, d2, m2, y2 string) TermForm {
		return TermForm{Name: name, StartDay: d1, StartMonth: m1, StartYear: y1, EndDay: d2, EndMonth: m2, EndYear: y2}
	}
	terms := func() []Term {
		t.Helper()
		st, err := svc.Settings(ctx, admin)
		if err != nil {
			t.Fatal(err)
		}
		return st.Terms
	}

	t.Run("every row blank is one problem, on the first row", func(t *testing.T) {
		p, ok := errors.AsType[validate.Problems](svc.AddYearTerms(ctx, admin, make([]TermForm, YearTerms)))
		if !ok || p["term-1-name"] == "" {
			t.Errorf("problems = %v, want one on term-1-name", p)
		}
	})
	t.Run("a bad row keeps every term out and names its own fields", func(t *testing.T) {
		rows := make([]TermForm, YearTerms)
		rows[0] = term("Autumn 1", "3", "9", "2026", "23", "10", "2026")
		rows[2] = term("Spring 1", "5", "1", "2027", "31", "2", "2027")  // 31 February
		rows[3] = term("Spring 2", "10", "2", "2027", "26", "3", "2027") // overlaps Spring 1's start
		p, ok := errors.AsType[validate.Problems](svc.AddYearTerms(ctx, admin, rows))
		if !ok || p["term-3-ends"] == "" || len(p) != 1 {
			t.Errorf("problems = %v, want only term-3-ends", p)
		}
		if got := terms(); len(got) != 0 {
			t.Errorf("terms after a refused year: %+v", got)
		}
		rows[2] = term("Spring 1", "5", "1", "2027", "12", "2", "2027")
		p, ok = errors.AsType[validate.Problems](svc.AddYearTerms(ctx, admin, rows))
		if !ok || p["term-4-starts"] == "" {
			t.Errorf("overlapping rows: problems = %v, want term-4-starts", p)
		}
	})
	t.Run("a whole year is added at once, audited once", func(t *testing.T) {
		rows := []TermForm{
			term("Autumn 1", "3", "9", "2026", "23", "10", "2026"),
			term("Autumn 2", "2", "11", "2026", "18", "12", "2026"),
			term("Spring 1", "5", "1", "2027", "12", "2", "2027"),
			{}, // left blank: skipped
			term("Summer 1", "12", "4", "2027", "28", "5", "2027"),
			term("Summer 2", "7", "6", "2027", "21", "7", "2027"),
		}
		if err := svc.AddYearTerms(ctx, admin, rows); err != nil {
			t.Fatal(err)
		}
		if got := terms(); len(got) != 5 || got[0].Name != "Autumn 1" || got[4].Name != "Summer 2" {
			t.Errorf("terms = %+v", got)
		}
		again := []TermForm{term("Autumn again", "1", "9", "2026", "4", "9", "2026")}
		if p, ok := errors.AsType[validate.Problems](svc.AddYearTerms(ctx, admin, again)); !ok || p["term-1-starts"] == "" {
			t.Errorf("a term overlapping one already set: problems = %v", p)
		}
	})
	t.Run("only admins set term dates", func(t *testing.T) {
		dsl := admin
		dsl.Role = actor.DSL
		rows := []TermForm{term("Autumn 1", "3", "9", "2030", "23", "10", "2030")}
		if err := svc.AddYearTerms(ctx, dsl, rows); !errors.Is(err, ErrForbidden) {
			t.Errorf("err = %v, want ErrForbidden", err)
		}
	})
}

func TestTermCover(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, when.London())
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	if c := (Calendar{}).TermCover(now); !c.Missing || c.Current() {
		t.Errorf("no terms: %+v", c)
	}
	ended := Calendar{Terms: []Term{{StartsOn: day(2026, 4, 13), EndsOn: day(2026, 7, 22)}, {StartsOn: day(2026, 1, 5), EndsOn: day(2026, 2, 13)}}}
	if c := ended.TermCover(now); c.Missing || !c.EndedOn.Equal(day(2026, 7, 22)) || c.Current() {
		t.Errorf("terms ending in July: %+v", c)
	}
	today := Calendar{Terms: []Term{{StartsOn: day(2026, 11, 2), EndsOn: day(2026, 12, 7)}}}
	if c := today.TermCover(now); !c.Current() {
		t.Errorf("a term ending today: %+v", c)
	}
}

// The chair of governors is an active member who is not a head, an admin
// or a DSL; naming one waits for a DSL's approval, never the head's (issue 16
// item 13), and having none applies at once, audited as a settings change.
func TestChairOfGovernors(t *testing.T) {
	t.Parallel()
	svc, d, admin := newSchool(t)
	ctx := context.Background()
	member := func(email string, role actor.Role) int64 {
		return dbtest.MustMember(t, d.Owner, admin.SchoolID, email, email, role).UserID
	}
	governor, head := member("governor@b.test", actor.Staff), member("head@b.test", actor.Head)
	dsl, other := member("dsl@b.test", actor.DSL), member("admin2@b.test", actor.Admin)
	st, _ := svc.Settings(ctx, admin)
	f := FormFrom(st)
	for _, bad := range []string{"x", "999999", fmt.Sprint(head), fmt.Sprint(dsl), fmt.Sprint(other)} {
		f.ChairOfGovernors = bad
		err := svc.UpdateSettings(ctx, admin, f)
		if p, _ := errors.AsType[validate.Problems](err); p["chair-of-governors"] == "" {
			t.Errorf("chair %q: err = %v", bad, err)
		}
	}
	f.ChairOfGovernors = fmt.Sprint(governor)
	if err := svc.UpdateSettings(ctx, admin, f); err != nil {
		t.Fatal(err)
	}
	if st, _ := svc.Settings(ctx, admin); st.ChairOfGovernors != 0 {
		t.Fatalf("named without a second person: chair = %d", st.ChairOfGovernors)
	}
	auths := auth.NewService(d.App, nil, auth.Config{})
	byHead := actor.Actor{UserID: head, SchoolID: admin.SchoolID, Role: actor.Head}
	byDSL := actor.Actor{UserID: dsl, SchoolID: admin.SchoolID, Role: actor.DSL}
	reqs, err := auths.RoleRequests(ctx, byDSL)
	if err != nil || len(reqs) != 1 || reqs[0].Role != auth.RoleChair {
		t.Fatalf("requests = %+v, %v", reqs, err)
	}
	if err := auths.DecideRoleRequest(ctx, byHead, reqs[0].ID, true); !errors.Is(err, auth.ErrHeadNamesChair) {
		t.Errorf("the head names the chair who would handle concerns about them: %v", err)
	}
	if err := auths.DecideRoleRequest(ctx, byDSL, reqs[0].ID, true); err != nil {
		t.Fatal(err)
	}
	if st, _ := svc.Settings(ctx, admin); st.ChairOfGovernors != governor || FormFrom(st).ChairOfGovernors != fmt.Sprint(governor) {
		t.Errorf("approved: chair = %d", st.ChairOfGovernors)
	}
	f.ChairOfGovernors = ""
	if err := svc.UpdateSettings(ctx, admin, f); err != nil {
		t.Fatal(err)
	}
	if st, _ := svc.Settings(ctx, admin); st.ChairOfGovernors != 0 {
		t.Errorf("none: chair = %d", st.ChairOfGovernors)
	}
	if n := dbtest.Count(t, d.Owner, `audit_events WHERE action = 'school.settings_change' AND details LIKE '%chair_of_governors%'`); n != 1 {
		t.Errorf("%d audit events name the removal", n)
	}
	members, err := svc.Members(ctx, admin)
	if err != nil || len(members) != 4 {
		t.Errorf("members = %+v, %v", members, err)
	}
}
