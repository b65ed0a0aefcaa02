package auth

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/havenschools/haven/internal/actor"
)

func TestSignIn(t *testing.T) {
	t.Parallel()
	e := newEnv(t, DefaultLimits)
	ctx := context.Background()
	staff := e.member(t, "sam.taylor@brookfield.test", actor.Staff)

	t.Run("the right password signs in, whatever the case of the email", func(t *testing.T) {
		a, err := e.svc.SignIn(ctx, src, "  Sam.Taylor@Brookfield.TEST ", testPassword)
		if err != nil {
			t.Fatal(err)
		}
		if a.UserID != staff.UserID || len(a.Schools) != 1 || a.Schools[0].SchoolName != "Brookfield Primary" || a.Schools[0].Role != actor.Staff {
			t.Errorf("account = %+v", a)
		}
		if a.NeedsSecondFactor {
			t.Error("staff need a second factor, but the school does not require it")
		}
	})
	t.Run("a wrong password and an unknown email give the same error", func(t *testing.T) {
		_, err1 := e.svc.SignIn(ctx, src, "sam.taylor@brookfield.test", testPassword+"!")
		_, err2 := e.svc.SignIn(ctx, src, "nobody@brookfield.test", testPassword)
		if !errors.Is(err1, ErrBadCredentials) || !errors.Is(err2, ErrBadCredentials) || err1.Error() != err2.Error() {
			t.Errorf("errors = %v, %v; want ErrBadCredentials for both", err1, err2)
		}
	})
	t.Run("failures are audited: the known person's in their school, the unknown in the deployment chain", func(t *testing.T) {
		if n := e.count(t, `audit_events WHERE action = 'auth.sign_in_failed' AND school_id = $1 AND subject_id = $2
			AND details::jsonb->>'reason' = 'wrong_password'`, e.school, fmtID(staff.UserID)); n != 1 {
			t.Errorf("school-chain failures = %d, want 1", n)
		}
		if n := e.count(t, `audit_events WHERE action = 'auth.sign_in_failed' AND school_id IS NULL
			AND details::jsonb->>'reason' = 'unknown_email' AND subject_id = ''`); n != 1 {
			t.Errorf("deployment-chain failures = %d, want 1", n)
		}
		if n := e.count(t, `audit_events WHERE details LIKE '%nobody%' OR details LIKE '%otter%'`); n != 0 {
			t.Errorf("%d audit events hold a typed email or password", n)
		}
	})
	t.Run("a person without a password cannot sign in with an empty one", func(t *testing.T) {
		id, err := e.svc.CreateUser(ctx, actor.SystemIn(e.school), NewUser{Email: "new@brookfield.test", Name: "New Person", Role: actor.Staff})
		if err != nil {
			t.Fatal(err)
		}
		_ = id
		if _, err := e.svc.SignIn(ctx, src, "new@brookfield.test", ""); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("err = %v, want ErrBadCredentials", err)
		}
	})
	t.Run("a weaker hash is recomputed at sign-in", func(t *testing.T) {
		weak := HashPassword(testPassword, Params{Memory: 8192, Time: 1, Threads: 1})
		if _, err := e.d.Owner.Exec(ctx, `UPDATE users SET password_hash = $2 WHERE id = $1`, staff.UserID, weak); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.SignIn(ctx, src, "sam.taylor@brookfield.test", testPassword); err != nil {
			t.Fatal(err)
		}
		var h string
		if err := e.d.Owner.QueryRow(ctx, `SELECT password_hash FROM users WHERE id = $1`, staff.UserID).Scan(&h); err != nil {
			t.Fatal(err)
		}
		if !phcRE.MatchString(h) {
			t.Errorf("hash after sign-in = %q, want today's parameters", h)
		}
	})
	t.Run("DSLs, heads and admins need a second factor", func(t *testing.T) {
		for _, r := range []actor.Role{actor.DSL, actor.Head, actor.Admin} {
			m := e.member(t, string(r)+"@brookfield.test", r)
			a, err := e.svc.Account(ctx, m.UserID)
			if err != nil {
				t.Fatal(err)
			}
			if !a.NeedsSecondFactor || a.Enrolled {
				t.Errorf("%s: NeedsSecondFactor = %v, Enrolled = %v; want true, false", r, a.NeedsSecondFactor, a.Enrolled)
			}
		}
	})
	t.Run("a school's setting makes staff need one too", func(t *testing.T) {
		if _, err := e.d.Owner.Exec(ctx, `UPDATE school_settings SET require_2fa_all = true WHERE school_id = $1`, e.school); err != nil {
			t.Fatal(err)
		}
		a, err := e.svc.Account(ctx, staff.UserID)
		if err != nil || !a.NeedsSecondFactor {
			t.Errorf("NeedsSecondFactor = %v, %v; want true", a.NeedsSecondFactor, err)
		}
	})
}

func TestThrottle(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Limits{Account: 10, Address: 100, Window: 5 * time.Minute})
	ctx := context.Background()
	e.member(t, "kim@brookfield.test", actor.Staff)

	t.Run("ten wrong passwords lock the account, even against the right one", func(t *testing.T) {
		for i := range 10 {
			if _, err := e.svc.SignIn(ctx, src, "kim@brookfield.test", "wrong password "+string(rune('a'+i))); !errors.Is(err, ErrBadCredentials) {
				t.Fatalf("attempt %d: err = %v, want ErrBadCredentials", i+1, err)
			}
		}
		_, err := e.svc.SignIn(ctx, src, "kim@brookfield.test", testPassword)
		te, ok := errors.AsType[*ThrottledError](err)
		if !ok {
			t.Fatalf("11th attempt: err = %v, want *ThrottledError", err)
		}
		if te.Minutes() != 5 {
			t.Errorf("try again in %d minutes, want 5", te.Minutes())
		}
		if n := audits(t, e, "auth.lockout"); n != 1 {
			t.Errorf("lockouts audited = %d, want 1", n)
		}
	})
	t.Run("an unknown email is throttled the same way", func(t *testing.T) {
		for range 10 {
			_, _ = e.svc.SignIn(ctx, src, "ghost@brookfield.test", "whatever it is")
		}
		_, err := e.svc.SignIn(ctx, src, "ghost@brookfield.test", "whatever it is")
		te, ok := errors.AsType[*ThrottledError](err)
		if !ok || te.Minutes() != 5 {
			t.Errorf("err = %v, want *ThrottledError of 5 minutes", err)
		}
	})
	t.Run("a right guess is not counted as a failure", func(t *testing.T) {
		e.member(t, "lee@brookfield.test", actor.Staff)
		for range 9 {
			_, _ = e.svc.SignIn(ctx, src, "lee@brookfield.test", "not the password")
		}
		for range 3 {
			if _, err := e.svc.SignIn(ctx, src, "lee@brookfield.test", testPassword); err != nil {
				t.Fatalf("right password after 9 failures: %v", err)
			}
		}
	})
	t.Run("twenty guesses at once get at most ten checked", func(t *testing.T) {
		e.member(t, "ash@brookfield.test", actor.Staff)
		var wg sync.WaitGroup
		var mu sync.Mutex
		counts := map[string]int{}
		for i := range 20 {
			wg.Go(func() {
				_, err := e.svc.SignIn(ctx, actor.Source{ClientIP: "198.51.100." + string(rune('0'+i%10))}, "ash@brookfield.test", "bad guess")
				kind := "other: " + errString(err)
				if errors.Is(err, ErrBadCredentials) {
					kind = "checked"
				} else if _, ok := errors.AsType[*ThrottledError](err); ok {
					kind = "throttled"
				}
				mu.Lock()
				counts[kind]++
				mu.Unlock()
			})
		}
		wg.Wait()
		if counts["checked"] != 10 || counts["throttled"] != 10 {
			t.Errorf("outcomes = %v, want 10 checked and 10 throttled", counts)
		}
	})
}

func errString(err error) string {
	if err == nil {
		return "nil"
	}
	return err.Error()
}

func TestThrottleByAddress(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Limits{Account: 10, Address: 3, Window: 5 * time.Minute})
	ctx := context.Background()
	for _, email := range []string{"a@x.test", "b@x.test", "c@x.test"} {
		if _, err := e.svc.SignIn(ctx, src, email, "guess guess guess"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("err = %v", err)
		}
	}
	if _, err := e.svc.SignIn(ctx, src, "d@x.test", "guess guess guess"); err == nil {
		t.Fatal("4th failure from one address was checked")
	} else if _, ok := errors.AsType[*ThrottledError](err); !ok {
		t.Fatalf("err = %v, want *ThrottledError", err)
	}
	other := src
	other.ClientIP = "203.0.113.9"
	if _, err := e.svc.SignIn(ctx, other, "d@x.test", "guess guess guess"); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("from another address: err = %v, want ErrBadCredentials", err)
	}
}
