package pupil_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/db/dbtest"
	"github.com/havenschools/haven/internal/pupil"
	"github.com/havenschools/haven/internal/validate"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func yg(y pupil.YearGroup) *pupil.YearGroup { return &y }

func date(y int, m time.Month, d int) *time.Time {
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return &t
}

func TestSearchAndAdd(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t)
	ctx := t.Context()
	svc := pupil.NewService(d.App)
	school, other := dbtest.MustSchool(t, d.Owner, "st-aidans", "st-aidans"), dbtest.MustSchool(t, d.Owner, "elsewhere", "elsewhere")
	admin := actor.Actor{UserID: 1, SchoolID: school, Role: actor.Admin}
	staff := actor.Actor{UserID: dbtest.MustUser(t, d.Owner, "teacher@st-aidans.test", "teacher@st-aidans.test"), SchoolID: school, Role: actor.Staff}

	roll, err := svc.AddToRoll(ctx, admin, []pupil.NewChild{
		{FirstName: "Amara", LastName: "Okafor", YearGroup: yg(9), UPN: "a123456789012"},
		{FirstName: "Amir", LastName: "Hussain", YearGroup: yg(9), DateOfBirth: date(2012, 3, 4)},
		{FirstName: "Lily-Mae", LastName: "Okafor", YearGroup: yg(7), MISID: "MIS-77"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddToRoll(ctx, actor.Actor{UserID: 9, SchoolID: other, Role: actor.Admin},
		[]pupil.NewChild{{FirstName: "Amara", LastName: "Okafor-Elsewhere", YearGroup: yg(9)}}); err != nil {
		t.Fatal(err)
	}

	names := func(r pupil.SearchResult) []string {
		var out []string
		for _, c := range r.Children {
			out = append(out, c.Name())
		}
		return out
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"okafor", []string{"Amara Okafor", "Lily-Mae Okafor"}},
		{"  OKAFOR amara ", []string{"Amara Okafor"}},
		{"am", []string{"Amir Hussain", "Amara Okafor"}},
		{"A1234 56789012", []string{"Amara Okafor"}},
		{"MIS-77", []string{"Lily-Mae Okafor"}},
		{"nobody", nil},
	} {
		t.Run("search "+tc.query, func(t *testing.T) {
			r, err := svc.Search(ctx, staff, tc.query)
			if err != nil {
				t.Fatal(err)
			}
			if got := names(r); !equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}

	t.Run("an empty search is a problem", func(t *testing.T) {
		_, err := svc.Search(ctx, staff, "   ")
		if p, ok := errors.AsType[validate.Problems](err); !ok || p["q"] == "" {
			t.Errorf("err = %v, want a problem for q", err)
		}
	})

	t.Run("another school's children are not found", func(t *testing.T) {
		if _, err := svc.Get(ctx, actor.Actor{UserID: 9, SchoolID: other, Role: actor.Staff}, roll[0].ID); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("err = %v, want db.ErrNotFound", err)
		}
	})

	t.Run("a duplicate UPN is refused", func(t *testing.T) {
		_, err := svc.AddToRoll(ctx, admin, []pupil.NewChild{{FirstName: "X", LastName: "Y", UPN: "A123456789012"}})
		if !errors.Is(err, pupil.ErrDuplicateID) {
			t.Errorf("err = %v, want ErrDuplicateID", err)
		}
	})

	t.Run("inline needs a name and a date of birth or year group", func(t *testing.T) {
		_, err := svc.AddInline(ctx, staff, pupil.NewChild{FirstName: "Sam"})
		p, ok := errors.AsType[validate.Problems](err)
		if !ok || p["last_name"] == "" || p["date_of_birth"] == "" {
			t.Errorf("problems = %v, want last_name and date_of_birth", p)
		}
		_, err = svc.AddInline(ctx, staff, pupil.NewChild{FirstName: "Sam", LastName: "Lee", DateOfBirth: date(2999, 1, 1)})
		if p, _ := errors.AsType[validate.Problems](err); p["date_of_birth"] != "The date of birth must be in the past" {
			t.Errorf("problems = %v, want a future date of birth refused", p)
		}
	})

	t.Run("inline child is marked, audited and found", func(t *testing.T) {
		c, err := svc.AddInline(ctx, staff, pupil.NewChild{FirstName: " Sam ", LastName: "Lee", YearGroup: yg(pupil.Reception)})
		if err != nil {
			t.Fatal(err)
		}
		if !c.AddedInline || c.FirstName != "Sam" || c.YearGroup == nil || *c.YearGroup != pupil.Reception {
			t.Errorf("child = %+v", c)
		}
		if got := c.Describe(); got != "Reception, not on the roll" {
			t.Errorf("Describe() = %q", got)
		}
		if n := dbtest.Count(t, d.Owner, "audit_events WHERE action = 'child.add_inline' AND subject_id = $1 AND details NOT LIKE '%Sam%'",
			fmt.Sprint(c.ID)); n != 1 {
			t.Errorf("audit events = %d, want 1", n)
		}
		r, _ := svc.Search(ctx, staff, "sam lee")
		if len(r.Children) != 1 || r.Children[0].ID != c.ID {
			t.Errorf("search = %+v", r)
		}
	})

	t.Run("row-level security hides another school even without a school_id filter", func(t *testing.T) {
		var n int
		err := db.InSchool(ctx, d.App, staff, func(tx pgx.Tx) error {
			return tx.QueryRow(ctx, `SELECT count(*) FROM children`).Scan(&n)
		})
		if err != nil {
			t.Fatal(err)
		}
		if want := dbtest.Count(t, d.Owner, "children WHERE school_id = $1", school); n != want {
			t.Errorf("children seen = %d, want the school's %d", n, want)
		}
		if err := d.App.QueryRow(ctx, `SELECT count(*) FROM children`).Scan(&n); err != nil || n != 0 {
			t.Errorf("outside a school transaction: %d children, %v; want 0", n, err)
		}
	})
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestYearGroup(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
		ok   bool
	}{{"-1", "Nursery", true}, {"0", "Reception", true}, {"7", "Year 7", true}, {"14", "", false}, {"x", "", false}} {
		y, ok := pupil.ParseYearGroup(tc.in)
		if ok != tc.ok || (ok && y.String() != tc.want) {
			t.Errorf("ParseYearGroup(%q) = %v %v, want %q %v", tc.in, y, ok, tc.want, tc.ok)
		}
	}
}
