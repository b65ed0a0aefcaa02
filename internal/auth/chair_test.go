package auth

import (
	"context"
	"testing"

	"github.com/havenschools/haven/internal/actor"
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
