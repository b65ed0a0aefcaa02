package concern_test

import (
	"errors"
	"testing"

	"github.com/havenschools/haven/internal/concern"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/db/dbtest"
	"github.com/havenschools/haven/internal/validate"
)

func TestMine(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()

	first := validForm(f.amara.ID)
	r1, err := f.svc.Submit(ctx, f.staff, first)
	if err != nil {
		t.Fatal(err)
	}
	second := validForm(f.ben.ID)
	second.Children = []concern.FormChild{{Description: "a girl of about 12", Role: concern.Subject}}
	r2, err := f.svc.Submit(ctx, f.staff, second)
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := f.svc.Submit(ctx, f.staff2, validForm(f.cara.ID))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.Owner.Exec(ctx, `UPDATE concerns SET status = 'in_progress' WHERE ref = $1`, r1.Ref); err != nil {
		t.Fatal(err)
	}

	t.Run("lists only what the person recorded, with the status in plain words", func(t *testing.T) {
		list, err := f.svc.Mine(ctx, f.staff)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].Ref != r2.Ref || list[1].Ref != r1.Ref {
			t.Fatalf("mine = %+v", list)
		}
		if list[0].Children != "Child not known" || list[0].Status.ForStaff() != "Received" {
			t.Errorf("newest = %+v", list[0])
		}
		if list[1].Children != "Amara Okafor" || list[1].Status.ForStaff() != "Acknowledged by the DSL" {
			t.Errorf("older = %+v", list[1])
		}
	})

	t.Run("the author sees what they recorded, and the view is audited", func(t *testing.T) {
		v, err := f.svc.Recorded(ctx, f.staff, r1.Ref)
		if err != nil {
			t.Fatal(err)
		}
		if v.Account != first.Account || v.Names() != "Amara Okafor" || v.ChildsWords != first.ChildsWords {
			t.Errorf("view = %+v", v)
		}
		if n := dbtest.Count(t, f.db.Owner, "audit_events WHERE action = 'concern.view' AND subject_id = $1", r1.Ref); n != 1 {
			t.Errorf("view audit events = %d, want 1", n)
		}
	})

	t.Run("another member of staff gets not found", func(t *testing.T) {
		if _, err := f.svc.Recorded(ctx, f.staff, theirs.Ref); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("err = %v, want db.ErrNotFound", err)
		}
		if _, err := f.svc.ReceiptFor(ctx, f.staff, theirs.Ref); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("receipt: err = %v, want db.ErrNotFound", err)
		}
		if err := f.svc.AddAddendum(ctx, f.staff, theirs.Ref, "me too"); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("addendum: err = %v, want db.ErrNotFound", err)
		}
	})

	t.Run("the author adds further information; the concern itself is unchanged", func(t *testing.T) {
		if err := f.svc.AddAddendum(ctx, f.staff, r1.Ref, "  "); err == nil {
			t.Error("an empty addendum was accepted")
		} else if _, ok := errors.AsType[validate.Problems](err); !ok {
			t.Errorf("err = %v, want problems", err)
		}
		if err := f.svc.AddAddendum(ctx, f.staff, r1.Ref, "She told me again today."); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.AddAddendum(ctx, f.dsl, r1.Ref, "DSL note, not for the author's page"); err != nil {
			t.Fatal(err)
		}
		v, _ := f.svc.Recorded(ctx, f.staff, r1.Ref)
		if len(v.Addenda) != 1 || v.Addenda[0].Body != "She told me again today." || v.Addenda[0].Author != "Tea Cher" {
			t.Errorf("addenda = %+v, want the author's own only", v.Addenda)
		}
		if v.Account != first.Account {
			t.Errorf("account changed to %q", v.Account)
		}
	})
}

func TestTwoChildrenEachSeeOnlyTheirPart(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	form := validForm(f.amara.ID)
	form.Children = append(form.Children, concern.FormChild{ChildID: f.ben.ID, Role: concern.AllegedHarmer})
	form.Categories = []string{"cse"}
	form.Indicators = []string{"missing", "unexplained_money_gifts"}
	form.BodyMarks = []concern.BodyMark{{Region: "neck", Side: "back", Note: "red mark"}}
	r, err := f.svc.Submit(ctx, f.staff, form)
	if err != nil {
		t.Fatal(err)
	}

	amara, err := f.svc.ForChild(ctx, f.dsl, f.amara.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(amara) != 1 || amara[0].Ref != r.Ref || amara[0].Role != concern.Subject ||
		len(amara[0].Indicators) != 2 || len(amara[0].BodyMarks) != 1 || amara[0].BodyMarks[0].Note != "red mark" {
		t.Errorf("Amara's file = %+v", amara)
	}
	ben, err := f.svc.ForChild(ctx, f.dsl, f.ben.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ben) != 1 || ben[0].Role != concern.AllegedHarmer || len(ben[0].Indicators) != 0 || len(ben[0].BodyMarks) != 0 {
		t.Errorf("Ben's file = %+v: his role, and none of Amara's indicators or body map", ben)
	}
	if cara, err := f.svc.ForChild(ctx, f.dsl, f.cara.ID); err != nil || len(cara) != 0 {
		t.Errorf("Cara's file = %+v, %v; want empty", cara, err)
	}
	if _, err := f.svc.ForChild(ctx, f.staff, f.amara.ID); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("staff: err = %v, want db.ErrNotFound", err)
	}
}
