package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db"
)

// Account returns the account of userID with its active memberships, or
// db.ErrNotFound. The web layer calls it on every request to check the
// session's epoch and build the actor.
func (s *Service) Account(ctx context.Context, userID int64) (Account, error) {
	var a Account
	err := s.ownAccount(ctx, userID, func(tx pgx.Tx) error {
		var err error
		a, err = account(ctx, tx, userID)
		return err
	})
	return a, err
}

// SignIn checks an email address and password and returns the account.
// Every failure is ErrBadCredentials — unknown address, wrong password, no
// password set yet, no active membership — and costs the same time (an
// unknown address is checked against a dummy hash). Too many failures give
// a *ThrottledError. A password hashed with weaker parameters than today's
// is re-hashed. Failures and lockouts are audited; the successful sign-in
// is audited by RecordSignIn once the person is in a school.
//
// The guess is counted in its own transaction before the password is
// checked (so limits hold under concurrent guesses) and the result is
// written in a second one.
func (s *Service) SignIn(ctx context.Context, src actor.Source, email, password string) (Account, error) {
	email = NormaliseEmail(email)
	res, err := s.reserve(ctx, email, src.ClientIP)
	if err != nil {
		return Account{}, err
	}
	c, err := s.credentialsByEmail(ctx, email)
	found := err == nil
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		return Account{}, fmt.Errorf("sign in: %w", err)
	}
	hash := s.dummyHash
	if found && c.PasswordHash != "" {
		hash = c.PasswordHash
	}
	ok, rehash, err := VerifyPassword(password, hash, s.cfg.Params)
	if err != nil {
		return Account{}, fmt.Errorf("sign in user %d: %w", c.ID, err)
	}
	reason := "wrong_password"
	switch {
	case !found:
		reason = "unknown_email"
	case c.PasswordHash == "":
		ok, reason = false, "no_password"
	}
	var a Account
	if ok {
		if a, err = s.Account(ctx, c.ID); err != nil {
			return Account{}, fmt.Errorf("sign in: %w", err)
		}
		if len(a.Schools) == 0 {
			ok, reason = false, "no_active_membership"
		}
	}
	if !ok {
		if err := s.failed(ctx, src, res, c.ID, "auth.sign_in_failed", map[string]any{"factor": "password", "reason": reason}); err != nil {
			return Account{}, err
		}
		return Account{}, ErrBadCredentials
	}
	err = db.InTx(ctx, s.pool, actor.Actor{UserID: c.ID, Source: src}, func(tx pgx.Tx) error {
		if err := release(ctx, tx, res); err != nil {
			return err
		}
		if rehash {
			_, err := tx.Exec(ctx, `UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1`,
				c.ID, HashPassword(password, s.cfg.Params))
			return err
		}
		return nil
	})
	if err != nil {
		return Account{}, fmt.Errorf("sign in user %d: %w", c.ID, err)
	}
	return a, nil
}

// failed audits a failed guess (userID 0: no such account) and, when this
// failure reached a limit, the lockout.
func (s *Service) failed(ctx context.Context, src actor.Source, res reservation, userID int64, action string, details map[string]any) error {
	by := actor.Actor{Source: src}
	err := s.ownAccount(ctx, userID, func(tx pgx.Tx) error {
		locked, err := s.lockouts(ctx, tx, res)
		if err != nil {
			return err
		}
		events := []audit.Event{{Action: action, Details: details}}
		for _, scope := range locked {
			events = append(events, audit.Event{Action: "auth.lockout", Details: map[string]any{"scope": scope, "factor": details["factor"]}})
		}
		for _, e := range events {
			if userID == 0 {
				err = audit.Record(ctx, tx, by, e)
			} else {
				err = auditAccount(ctx, tx, by, userID, userSubject(e, userID))
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record failed attempt: %w", err)
	}
	return nil
}

// VerifyCode checks a security code from the user's authenticator app. A
// code is accepted for the current 30-second step or one step either side,
// and only for a step later than the last accepted one, so a code cannot
// be used twice. Wrong codes count towards the same limits as passwords and
// are audited; too many give a *ThrottledError.
func (s *Service) VerifyCode(ctx context.Context, src actor.Source, userID int64, code string) error {
	c, err := s.credentialsOf(ctx, userID)
	if err != nil {
		return fmt.Errorf("verify code: %w", err)
	}
	if c.TOTPSecret == "" {
		return fmt.Errorf("verify code: user %d has no second factor", userID)
	}
	res, err := s.reserve(ctx, c.Email, src.ClientIP)
	if err != nil {
		return err
	}
	reason := "wrong_code"
	if step := matchStep(c.TOTPSecret, code, s.cfg.Now()); step > 0 {
		reason = "replayed_code"
		var used bool
		err := db.InTx(ctx, s.pool, actor.Actor{UserID: userID, Source: src}, func(tx pgx.Tx) error {
			tag, err := tx.Exec(ctx, `UPDATE users SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2`, userID, step)
			if err != nil || tag.RowsAffected() == 0 {
				return err
			}
			used = true
			return release(ctx, tx, res)
		})
		if err != nil {
			return fmt.Errorf("verify code: %w", err)
		}
		if used {
			return nil
		}
	}
	if err := s.failed(ctx, src, res, userID, "auth.mfa_failed", map[string]any{"factor": "totp", "reason": reason}); err != nil {
		return err
	}
	return ErrBadCode
}

// UseRecoveryCode signs in with one of the user's recovery codes instead of
// a security code, using it up, and returns how many are left. Wrong codes
// count and are audited like wrong security codes; using one is audited.
func (s *Service) UseRecoveryCode(ctx context.Context, src actor.Source, userID int64, code string) (left int, err error) {
	c, err := s.credentialsOf(ctx, userID)
	if err != nil {
		return 0, fmt.Errorf("recovery code: %w", err)
	}
	res, err := s.reserve(ctx, c.Email, src.ClientIP)
	if err != nil {
		return 0, err
	}
	used := false
	if norm := normaliseRecoveryCode(code); norm != "" && c.TOTPSecret != "" {
		by := actor.Actor{UserID: userID, Source: src}
		err = db.InTx(ctx, s.pool, by, func(tx pgx.Tx) error {
			tag, err := tx.Exec(ctx, `UPDATE recovery_codes SET used_at = now()
				WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL`, userID, hashToken(norm))
			if err != nil || tag.RowsAffected() == 0 {
				return err
			}
			used = true
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL`, userID).Scan(&left); err != nil {
				return err
			}
			if err := release(ctx, tx, res); err != nil {
				return err
			}
			return auditAccount(ctx, tx, by, userID, userSubject(audit.Event{Action: "auth.recovery_code_used",
				Details: map[string]any{"codes_left": left}}, userID))
		})
		if err != nil {
			return 0, fmt.Errorf("recovery code: %w", err)
		}
	}
	if used {
		return left, nil
	}
	if err := s.failed(ctx, src, res, userID, "auth.mfa_failed", map[string]any{"factor": "recovery_code", "reason": "wrong_code"}); err != nil {
		return 0, err
	}
	return 0, ErrBadCode
}

// StartEnrolment returns the secret a user without a second factor is to
// add to their authenticator app, creating it on first call and returning
// the same one until enrolment is confirmed. It returns ErrForbidden when
// the user already has a second factor.
func (s *Service) StartEnrolment(ctx context.Context, userID int64) (Enrolment, error) {
	var secret, email string
	err := db.InTx(ctx, s.pool, actor.Actor{UserID: userID}, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `UPDATE users SET totp_pending_secret = coalesce(totp_pending_secret, $2)
			WHERE id = $1 AND totp_secret IS NULL RETURNING totp_pending_secret, email`, userID, newTOTPSecret()).
			Scan(&secret, &email)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return Enrolment{}, ErrForbidden
	}
	if err != nil {
		return Enrolment{}, fmt.Errorf("start enrolment: %w", err)
	}
	return enrolment(secret, email)
}

// ConfirmEnrolment completes enrolment with the first code from the app:
// the secret becomes the user's second factor and ten new recovery codes
// are made and returned (they are stored hashed and never shown again).
// A wrong code is ErrBadCode, counted and audited like any wrong code; the
// enrolment is audited in each of the user's schools.
func (s *Service) ConfirmEnrolment(ctx context.Context, src actor.Source, userID int64, code string) ([]string, error) {
	c, err := s.credentialsOf(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("confirm enrolment: %w", err)
	}
	if c.TOTPSecret != "" || c.TOTPPending == "" {
		return nil, ErrForbidden
	}
	res, err := s.reserve(ctx, c.Email, src.ClientIP)
	if err != nil {
		return nil, err
	}
	step := matchStep(c.TOTPPending, code, s.cfg.Now())
	if step == 0 {
		if err := s.failed(ctx, src, res, userID, "auth.mfa_failed", map[string]any{"factor": "totp_enrolment", "reason": "wrong_code"}); err != nil {
			return nil, err
		}
		return nil, ErrBadCode
	}
	codes := make([]string, RecoveryCodeCount)
	by := actor.Actor{UserID: userID, Source: src}
	err = db.InTx(ctx, s.pool, by, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE users SET totp_secret = totp_pending_secret, totp_pending_secret = NULL,
			totp_enrolled_at = now(), totp_last_step = $3, updated_at = now()
			WHERE id = $1 AND totp_secret IS NULL AND totp_pending_secret = $2`, userID, c.TOTPPending, step)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ErrForbidden // enrolled meanwhile, in another tab
		}
		if err := replaceRecoveryCodes(ctx, tx, userID, codes); err != nil {
			return err
		}
		if err := release(ctx, tx, res); err != nil {
			return err
		}
		return auditAccount(ctx, tx, by, userID, userSubject(audit.Event{Action: "auth.mfa_enrol",
			Details: map[string]any{"factor": "totp", "recovery_codes": RecoveryCodeCount}}, userID))
	})
	if err != nil {
		return nil, fmt.Errorf("confirm enrolment: %w", err)
	}
	return codes, nil
}

// replaceRecoveryCodes fills codes with new recovery codes and stores their
// hashes in place of the user's old ones.
func replaceRecoveryCodes(ctx context.Context, q db.Querier, userID int64, codes []string) error {
	if _, err := q.Exec(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, userID); err != nil {
		return err
	}
	for i := range codes {
		codes[i] = newRecoveryCode()
		if _, err := q.Exec(ctx, `INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)`, userID, hashToken(codes[i])); err != nil {
			return err
		}
	}
	return nil
}

// RecordSignIn audits that by has signed in to by's school, with the second
// factor used ("totp", "recovery_code" or "none"), or switched to it from
// another school (switched true).
func (s *Service) RecordSignIn(ctx context.Context, by actor.Actor, secondFactor string, switched bool) error {
	action := "auth.sign_in"
	if switched {
		action = "auth.school_switch"
	}
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		return audit.Record(ctx, tx, by, userSubject(audit.Event{Action: action,
			Details: map[string]any{"second_factor": secondFactor}}, by.UserID))
	})
	if err != nil {
		return fmt.Errorf("record sign-in: %w", err)
	}
	return nil
}

// RecordSignOut audits that by signed out (in by's school, or in the
// deployment-level chain when no school was chosen yet).
func (s *Service) RecordSignOut(ctx context.Context, by actor.Actor) error {
	err := db.InTx(ctx, s.pool, by, func(tx pgx.Tx) error {
		return audit.Record(ctx, tx, by, userSubject(audit.Event{Action: "auth.sign_out"}, by.UserID))
	})
	if err != nil {
		return fmt.Errorf("record sign-out: %w", err)
	}
	return nil
}
