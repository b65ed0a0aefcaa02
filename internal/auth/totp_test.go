package auth

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/havenschools/haven/internal/actor"
)

func TestSecondFactor(t *testing.T) {
	t.Parallel()
	e := newEnv(t, DefaultLimits)
	ctx := context.Background()
	dsl := e.member(t, "dsl@brookfield.test", actor.DSL)

	en, err := e.svc.StartEnrolment(ctx, dsl.UserID)
	if err != nil {
		t.Fatal(err)
	}
	secret := strings.ReplaceAll(en.Secret, " ", "")

	t.Run("enrolment shows a 160-bit secret, its otpauth URL and a QR code", func(t *testing.T) {
		if len(secret) != 32 {
			t.Errorf("secret %q is not 160 bits of base32", secret)
		}
		if !strings.HasPrefix(en.URL, "otpauth://totp/Haven:dsl@brookfield.test?") || !strings.Contains(en.URL, "secret="+secret) {
			t.Errorf("URL = %q", en.URL)
		}
		if !strings.HasPrefix(string(en.QRCode), "\x89PNG\r\n") {
			t.Errorf("QR code is not a PNG: %.20q", en.QRCode)
		}
		again, err := e.svc.StartEnrolment(ctx, dsl.UserID)
		if err != nil || again.Secret != en.Secret {
			t.Errorf("a second visit gave secret %q (%v), want the same %q", again.Secret, err, en.Secret)
		}
	})
	var codes []string
	t.Run("a wrong first code does not enrol", func(t *testing.T) {
		if _, err := e.svc.ConfirmEnrolment(ctx, src, dsl.UserID, "000000"); !errors.Is(err, ErrBadCode) {
			t.Errorf("err = %v, want ErrBadCode", err)
		}
	})
	t.Run("the right first code enrols and gives ten recovery codes", func(t *testing.T) {
		codes, err = e.svc.ConfirmEnrolment(ctx, src, dsl.UserID, e.code(t, secret, 0))
		if err != nil {
			t.Fatal(err)
		}
		if len(codes) != 10 {
			t.Errorf("%d recovery codes, want 10", len(codes))
		}
		if n := e.count(t, "recovery_codes WHERE user_id = $1", dsl.UserID); n != 10 {
			t.Errorf("%d stored recovery codes, want 10", n)
		}
		for _, c := range codes {
			if n := e.count(t, "recovery_codes WHERE code_hash = $1", []byte(c)); n != 0 {
				t.Error("a recovery code is stored in clear")
			}
		}
		if n := e.count(t, "audit_events WHERE action = 'auth.mfa_enrol' AND school_id = $1", e.school); n != 1 {
			t.Errorf("enrolments audited = %d, want 1", n)
		}
		if _, err := e.svc.StartEnrolment(ctx, dsl.UserID); !errors.Is(err, ErrForbidden) {
			t.Errorf("enrolling again: err = %v, want ErrForbidden", err)
		}
	})
	t.Run("the enrolment code cannot be used again to sign in", func(t *testing.T) {
		if err := e.svc.VerifyCode(ctx, src, dsl.UserID, e.code(t, secret, 0)); !errors.Is(err, ErrBadCode) {
			t.Errorf("err = %v, want ErrBadCode", err)
		}
	})
	t.Run("a code is accepted once, then refused in its time step", func(t *testing.T) {
		e.advance(totpPeriod * time.Second)
		c := e.code(t, secret, 0)
		if err := e.svc.VerifyCode(ctx, src, dsl.UserID, c); err != nil {
			t.Fatalf("first use: %v", err)
		}
		if err := e.svc.VerifyCode(ctx, src, dsl.UserID, c); !errors.Is(err, ErrBadCode) {
			t.Errorf("replay: err = %v, want ErrBadCode", err)
		}
		if n := e.count(t, `audit_events WHERE action = 'auth.mfa_failed' AND details::jsonb->>'reason' = 'replayed_code'`); n != 2 {
			t.Errorf("replays audited = %d, want 2 (this one and the enrolment code's)", n)
		}
	})
	t.Run("one step of clock skew is allowed either way, two are not", func(t *testing.T) {
		e.advance(10 * totpPeriod * time.Second)
		if err := e.svc.VerifyCode(ctx, src, dsl.UserID, e.code(t, secret, -1)); err != nil {
			t.Errorf("a code one step old: %v", err)
		}
		if err := e.svc.VerifyCode(ctx, src, dsl.UserID, e.code(t, secret, 1)); err != nil {
			t.Errorf("a code one step ahead: %v", err)
		}
		e.advance(10 * totpPeriod * time.Second)
		if err := e.svc.VerifyCode(ctx, src, dsl.UserID, e.code(t, secret, 2)); !errors.Is(err, ErrBadCode) {
			t.Errorf("a code two steps ahead: err = %v, want ErrBadCode", err)
		}
		if err := e.svc.VerifyCode(ctx, src, dsl.UserID, e.code(t, secret, -2)); !errors.Is(err, ErrBadCode) {
			t.Errorf("a code two steps old: err = %v, want ErrBadCode", err)
		}
	})
	t.Run("after a code is used, an older one is refused", func(t *testing.T) {
		e.advance(10 * totpPeriod * time.Second)
		if err := e.svc.VerifyCode(ctx, src, dsl.UserID, e.code(t, secret, 0)); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.VerifyCode(ctx, src, dsl.UserID, e.code(t, secret, -1)); !errors.Is(err, ErrBadCode) {
			t.Errorf("err = %v, want ErrBadCode", err)
		}
	})
	t.Run("a recovery code works once, typed any way", func(t *testing.T) {
		typed := strings.ToUpper(strings.ReplaceAll(codes[3], "-", " "))
		left, err := e.svc.UseRecoveryCode(ctx, src, dsl.UserID, typed)
		if err != nil || left != 9 {
			t.Fatalf("UseRecoveryCode = %d, %v; want 9, nil", left, err)
		}
		if _, err := e.svc.UseRecoveryCode(ctx, src, dsl.UserID, codes[3]); !errors.Is(err, ErrBadCode) {
			t.Errorf("second use: err = %v, want ErrBadCode", err)
		}
		if _, err := e.svc.UseRecoveryCode(ctx, src, dsl.UserID, "abcd-efgh-jkmn-pqrs"); !errors.Is(err, ErrBadCode) {
			t.Errorf("made-up code: err = %v, want ErrBadCode", err)
		}
	})
	t.Run("an admin's reset removes the second factor and ends sessions", func(t *testing.T) {
		admin := e.member(t, "admin@brookfield.test", actor.Admin)
		before, _ := e.svc.Account(ctx, dsl.UserID)
		if err := e.svc.ResetSecondFactor(ctx, admin, dsl.UserID); err != nil {
			t.Fatal(err)
		}
		after, _ := e.svc.Account(ctx, dsl.UserID)
		if after.Enrolled || after.Epoch == before.Epoch {
			t.Errorf("after reset: Enrolled = %v, epoch %d → %d", after.Enrolled, before.Epoch, after.Epoch)
		}
		if n := e.count(t, "recovery_codes WHERE user_id = $1", dsl.UserID); n != 0 {
			t.Errorf("%d recovery codes left", n)
		}
		if n := audits(t, e, "auth.mfa_reset"); n != 1 {
			t.Errorf("resets audited = %d", n)
		}
		again, err := e.svc.StartEnrolment(ctx, dsl.UserID)
		if err != nil || again.Secret == en.Secret {
			t.Errorf("re-enrolment secret %q (%v): want a new one", again.Secret, err)
		}
		if err := e.svc.ResetSecondFactor(ctx, admin, admin.UserID); !errors.Is(err, ErrForbidden) {
			t.Errorf("resetting one's own: err = %v, want ErrForbidden", err)
		}
		staff := e.member(t, "staff@brookfield.test", actor.Staff)
		if err := e.svc.ResetSecondFactor(ctx, staff, dsl.UserID); !errors.Is(err, ErrForbidden) {
			t.Errorf("staff resetting: err = %v, want ErrForbidden", err)
		}
	})
}

func TestEnrolmentSecretIsRandom(t *testing.T) {
	t.Parallel()
	re := regexp.MustCompile(`^[A-Z2-7]{32}$`)
	a, b := newTOTPSecret(), newTOTPSecret()
	if !re.MatchString(a) || a == b {
		t.Errorf("secrets %q, %q: want two different 32-character base32 strings", a, b)
	}
}
