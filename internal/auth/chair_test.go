package auth

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/validate"
)

// A member of staff named the school's chair of governors receives
// concerns about the head, so they need a second factor like a head.
func TestTheChairOfGovernorsNeedsASecondFactor(t *testing.T) {
	t.Parallel()
	e := newEnv(t, DefaultLimits)
	governor := e.member(t, "governor@brookfield.test", actor.Staff)
	ctx := context.Background()
	a, err := e.svc.Account(ctx, governor.UserID)
	if err != nil || a.NeedsSecondFactor || a.Schools[0].ChairOfGovernors {
		t.Fatalf("before: %+v, %v", a, err)
	}
	if _, err := e.d.Owner.Exec(ctx, `UPDATE school_settings SET chair_of_governors = $2 WHERE school_id = $1`, e.school, governor.UserID); err != nil {
		t.Fatal(err)
	}
	a, err = e.svc.Account(ctx, governor.UserID)
	if err != nil || !a.NeedsSecondFactor || !a.Schools[0].ChairOfGovernors {
		t.Errorf("as chair: %+v, %v", a, err)
	}
}

// requestChair asks, as by, for userID to be named chair, as the School
// settings form does (in one transaction).
func (e *env) requestChair(t *testing.T, by actor.Actor, userID int64) (bool, error) {
	t.Helper()
	var pending bool
	err := db.InSchool(context.Background(), e.d.App, by, func(tx pgx.Tx) error {
		var err error
		pending, err = RequestChair(context.Background(), tx, by, userID)
		return err
	})
	return pending, err
}

func (e *env) chair(t *testing.T) int64 {
	t.Helper()
	var id *int64
	if err := e.d.Owner.QueryRow(context.Background(), `SELECT chair_of_governors FROM school_settings WHERE school_id = $1`, e.school).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if id == nil {
		return 0
	}
	return *id
}

// Naming the chair of governors is a two-person action like giving the
// DSL or head role (issue 16 item 13): an admin asks, and a DSL or the
// head — not the admin who asked, not the person named — approves. A
// head, an admin or a DSL cannot be the chair, and the chair cannot
// become one.
func TestNamingTheChairNeedsASecondPerson(t *testing.T) {
	t.Parallel()
	e := newEnv(t, DefaultLimits)
	ctx := context.Background()
	admin := e.member(t, "admin@brookfield.test", actor.Admin)
	head := e.member(t, "head@brookfield.test", actor.Head)
	dsl := e.member(t, "dsl@brookfield.test", actor.DSL)
	governor := e.member(t, "governor@brookfield.test", actor.Staff)

	for _, who := range []actor.Actor{admin, head, dsl} {
		_, err := e.requestChair(t, admin, who.UserID)
		if p, _ := errors.AsType[validate.Problems](err); p[FieldChair] != ChairProblem(who.Role) {
			t.Errorf("a %s as chair: %v", who.Role, err)
		}
	}
	if _, err := e.requestChair(t, dsl, governor.UserID); !errors.Is(err, ErrForbidden) {
		t.Errorf("a DSL asks: %v", err)
	}
	pending, err := e.requestChair(t, admin, governor.UserID)
	if err != nil || !pending || e.chair(t) != 0 {
		t.Fatalf("asked: pending %v, chair %d, %v", pending, e.chair(t), err)
	}
	reqs, err := e.svc.RoleRequests(ctx, dsl)
	if err != nil || len(reqs) != 1 || reqs[0].Role != RoleChair || reqs[0].UserID != governor.UserID || reqs[0].MadeOrAboutSelf {
		t.Fatalf("requests = %+v, %v", reqs, err)
	}
	// The chair handles the concerns about the head: the head does not choose them.
	if hr, err := e.svc.RoleRequests(ctx, head); err != nil || len(hr) != 1 || !hr[0].MadeOrAboutSelf {
		t.Errorf("the head's view of the chair request = %+v, %v; want it not theirs to decide", hr, err)
	}
	if err := e.svc.DecideRoleRequest(ctx, head, reqs[0].ID, true); !errors.Is(err, ErrHeadNamesChair) {
		t.Errorf("the head approves the chair: %v, want ErrHeadNamesChair", err)
	}
	if err := e.svc.DecideRoleRequest(ctx, admin, reqs[0].ID, true); !errors.Is(err, ErrForbidden) {
		t.Errorf("the admin approves their own: %v", err)
	}
	if err := e.svc.DecideRoleRequest(ctx, governor, reqs[0].ID, true); !errors.Is(err, ErrForbidden) {
		t.Errorf("the person named approves: %v", err)
	}
	if err := e.svc.DecideRoleRequest(ctx, dsl, reqs[0].ID, true); err != nil {
		t.Fatal(err)
	}
	a, err := e.svc.Account(ctx, governor.UserID)
	if e.chair(t) != governor.UserID || err != nil || !a.NeedsSecondFactor {
		t.Errorf("approved: chair %d, account %+v, %v", e.chair(t), a, err)
	}
	if n := e.count(t, `audit_events WHERE action = 'user.role_approve' AND details LIKE '%chair_of_governors%'`); n != 1 {
		t.Errorf("%d approvals audited", n)
	}

	t.Run("the chair cannot become a DSL, head or admin", func(t *testing.T) {
		for _, role := range []actor.Role{actor.DSL, actor.Head, actor.Admin} {
			_, err := e.svc.ChangeRole(ctx, admin, governor.UserID, role, false)
			if p, _ := errors.AsType[validate.Problems](err); p["role"] == "" {
				t.Errorf("the chair made %s: %v", role, err)
			}
		}
	})

	t.Run("someone waiting to be a DSL who is named chair is not then made a DSL", func(t *testing.T) {
		other := e.member(t, "other@brookfield.test", actor.Staff)
		if pending, err := e.svc.ChangeRole(ctx, admin, other.UserID, actor.DSL, false); err != nil || !pending {
			t.Fatalf("DSL request: %v, %v", pending, err)
		}
		if _, err := e.requestChair(t, admin, other.UserID); err != nil {
			t.Fatal(err)
		}
		reqs, _ := e.svc.RoleRequests(ctx, head)
		var dslReq, chairReq int64
		for _, r := range reqs {
			if r.Role == RoleChair {
				chairReq = r.ID
			} else {
				dslReq = r.ID
			}
		}
		if err := e.svc.DecideRoleRequest(ctx, dsl, chairReq, true); err != nil {
			t.Fatal(err)
		}
		err := e.svc.DecideRoleRequest(ctx, head, dslReq, true)
		if p, _ := errors.AsType[validate.Problems](err); p["role"] == "" {
			t.Errorf("the new chair made a DSL: %v", err)
		}
		if n := e.count(t, `memberships WHERE user_id = $1 AND role = 'staff'`, other.UserID); n != 1 {
			t.Error("their role changed")
		}
	})

	t.Run("no chair applies at once and withdraws a waiting request", func(t *testing.T) {
		if _, err := e.requestChair(t, admin, governor.UserID); err != nil {
			t.Fatal(err)
		}
		if pending, err := e.requestChair(t, admin, 0); err != nil || pending {
			t.Fatalf("none: %v, %v", pending, err)
		}
		if n := e.count(t, `role_requests WHERE role = 'chair' AND status = 'pending'`); n != 0 {
			t.Errorf("%d chair requests still waiting", n)
		}
	})
}
