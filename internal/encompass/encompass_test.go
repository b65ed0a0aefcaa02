package encompass_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/db/dbtest"
	"github.com/havenschools/haven/internal/encompass"
	"github.com/havenschools/haven/internal/pupil"
	"github.com/havenschools/haven/internal/validate"
	"github.com/havenschools/haven/internal/when"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func seen(t *testing.T, pool *pgxpool.Pool, by actor.Actor, table string) int {
	t.Helper()
	var n int
	if err := db.InSchool(context.Background(), pool, by, func(tx pgx.Tx) error {
		return tx.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n)
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// A notification is restricted by default to the DSL who records it and
// those they name; a DSL excluded for a conflict of interest, staff, the
// head and an admin never see it — in the service, on the child's
// chronology query, or through row-level security.
func TestNotificationsAreRestricted(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t)
	ctx := context.Background()
	school := dbtest.MustSchool(t, d.Owner, "oak", "Oak")
	dsl := dbtest.MustMember(t, d.Owner, school, "dsl@oak.test", "dsl@oak.test", actor.DSL)
	deputy := dbtest.MustMember(t, d.Owner, school, "deputy@oak.test", "deputy@oak.test", actor.DSL)
	other := dbtest.MustMember(t, d.Owner, school, "other@oak.test", "other@oak.test", actor.DSL)
	conflicted := dbtest.MustMember(t, d.Owner, school, "aunt@oak.test", "aunt@oak.test", actor.DSL)
	staff := dbtest.MustMember(t, d.Owner, school, "staff@oak.test", "staff@oak.test", actor.Staff)
	head := dbtest.MustMember(t, d.Owner, school, "head@oak.test", "head@oak.test", actor.Head)
	admin := dbtest.MustMember(t, d.Owner, school, "admin@oak.test", "admin@oak.test", actor.Admin)
	kids, err := pupil.NewService(d.App).AddToRoll(ctx, actor.SystemIn(school), []pupil.NewChild{{FirstName: "Ben", LastName: "Carter"}})
	if err != nil {
		t.Fatal(err)
	}
	svc := encompass.NewService(d.App)
	yesterday := when.DatePartsOf(time.Now().AddDate(0, 0, -1))
	form := encompass.Form{ChildID: kids[0].ID, NotifiedOn: when.DatePartsOf(time.Now()), IncidentOn: yesterday, PoliceRef: "OE/4471",
		Details: "Police attended the family home at 23:10; Ben was present.", Support: "Key adult check-in at registration; ELSA session offered.",
		Named: []int64{deputy.UserID}, Excluded: []int64{conflicted.UserID}}

	if _, err := svc.Record(ctx, staff, form); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("staff record one: %v", err)
	}
	_, err = svc.Record(ctx, dsl, encompass.Form{Excluded: []int64{dsl.UserID, staff.UserID}})
	p, _ := errors.AsType[validate.Problems](err)
	for _, field := range []string{encompass.FieldChild, encompass.FieldNotifiedOn, encompass.FieldDetails, encompass.FieldSupport, encompass.FieldExcluded} {
		if p[field] == "" {
			t.Errorf("no problem for %s: %v", field, err)
		}
	}
	ref, err := svc.Record(ctx, dsl, form)
	if err != nil {
		t.Fatal(err)
	}
	n, err := svc.Get(ctx, deputy, ref)
	if err != nil || !n.Restricted || len(n.Named) != 2 || len(n.Excluded) != 1 || n.ChildName != "Ben Carter" {
		t.Fatalf("the named deputy sees %+v, %v", n, err)
	}
	for _, who := range []actor.Actor{other, conflicted, staff, head, admin} {
		if _, err := svc.Get(ctx, who, ref); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("%s %d opens it: %v", who.Role, who.UserID, err)
		}
		if got := seen(t, d.App, who, "encompass_notifications"); got != 0 {
			t.Errorf("%s %d reads %d rows", who.Role, who.UserID, got)
		}
	}
	forChild := func(by actor.Actor) int {
		var got []encompass.Notification
		if err := db.InSchool(ctx, d.App, by, func(tx pgx.Tx) error {
			var err error
			got, err = encompass.ForChild(ctx, tx, school, kids[0].ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return len(got)
	}
	if forChild(deputy) != 1 || forChild(conflicted) != 0 || forChild(other) != 0 {
		t.Error("the chronology query does not follow the restriction")
	}

	t.Run("unrestricted, every DSL but the excluded one sees it", func(t *testing.T) {
		if err := svc.SetAccess(ctx, conflicted, ref, encompass.AccessForm{}); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("the excluded DSL changes it: %v", err)
		}
		err := svc.SetAccess(ctx, deputy, ref, encompass.AccessForm{Excluded: []int64{dsl.UserID}})
		if p, _ := errors.AsType[validate.Problems](err); p[encompass.FieldExcluded] == "" {
			t.Errorf("excluding the DSL who recorded it: %v", err)
		}
		if err := svc.SetAccess(ctx, deputy, ref, encompass.AccessForm{Restricted: false, Excluded: []int64{conflicted.UserID}}); err != nil {
			t.Fatal(err)
		}
		if forChild(other) != 1 || forChild(conflicted) != 0 {
			t.Error("after lifting the restriction")
		}
		if got := seen(t, d.App, staff, "encompass_notifications"); got != 0 {
			t.Errorf("staff read %d", got)
		}
	})

	t.Run("every view is audited and listed", func(t *testing.T) {
		n, err := svc.Get(ctx, other, ref)
		if err != nil {
			t.Fatal(err)
		}
		if len(n.Views) != 2 {
			t.Errorf("who has seen it: %+v", n.Views)
		}
	})
}
