package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/notify"
	"github.com/havenschools/haven/internal/paths"
	"github.com/havenschools/haven/internal/validate"
)

// passwordContext returns the credentials of userID and the names of the
// schools they belong to, as context words a password must not be built
// from.
func (s *Service) passwordContext(ctx context.Context, userID int64) (c credentials, names []string, err error) {
	err = s.ownAccount(ctx, userID, func(tx pgx.Tx) error {
		if c, err = loadCredentials(ctx, tx, userID); err != nil {
			return err
		}
		rows, _ := tx.Query(ctx, `SELECT s.name FROM memberships m JOIN schools s ON s.id = m.school_id WHERE m.user_id = $1`, userID)
		names, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	return c, names, err
}

// ChangePassword sets a new password for by's user, who must type their
// current one (checked and throttled like a sign-in). It ends every other
// session of the user and returns the new session epoch, which the caller's
// own session takes so it stays signed in. Audited. Problems are on
// "current_password", "new_password" and "confirm_password".
func (s *Service) ChangePassword(ctx context.Context, by actor.Actor, current, newPassword, confirm string) (epoch int, err error) {
	c, names, err := s.passwordContext(ctx, by.UserID)
	if err != nil {
		return 0, fmt.Errorf("change password: %w", err)
	}
	p := validate.Problems{}
	if current == "" {
		p.Add("current_password", "Enter your current password")
	}
	if msg := CheckNewPassword(newPassword, append(names, c.Name, c.Email)...); msg != "" {
		p.Add("new_password", msg)
	} else if confirm != newPassword {
		p.Add("confirm_password", msgPasswordConfirm)
	}
	if len(p) > 0 {
		return 0, p
	}
	res, err := s.reserve(ctx, c.Email, by.Source.ClientIP)
	if err != nil {
		return 0, err
	}
	ok, _, err := VerifyPassword(current, c.PasswordHash, s.cfg.Params)
	if err != nil {
		return 0, fmt.Errorf("change password: %w", err)
	}
	if !ok {
		if err := s.failed(ctx, by.Source, res, by.UserID, "auth.sign_in_failed",
			map[string]any{"factor": "password", "reason": "wrong_current_password"}); err != nil {
			return 0, err
		}
		return 0, validate.Problems{"current_password": "Your current password is not correct"}
	}
	err = db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		if err := release(ctx, tx, res); err != nil {
			return err
		}
		if epoch, err = setPassword(ctx, tx, by.UserID, HashPassword(newPassword, s.cfg.Params)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, userSubject(audit.Event{Action: "auth.password_change"}, by.UserID))
	})
	if err != nil {
		return 0, fmt.Errorf("change password: %w", err)
	}
	return epoch, nil
}

// setPassword stores a new hash, uses up every open password link of the
// user and ends their sessions, returning the new epoch.
func setPassword(ctx context.Context, q db.Querier, userID int64, hash string) (int, error) {
	if _, err := q.Exec(ctx, `UPDATE users SET password_hash = $2, password_changed_at = now(), updated_at = now()
		WHERE id = $1`, userID, hash); err != nil {
		return 0, err
	}
	if _, err := q.Exec(ctx, `UPDATE password_tokens SET used_at = now() WHERE user_id = $1 AND used_at IS NULL`, userID); err != nil {
		return 0, err
	}
	return bumpEpoch(ctx, q, userID)
}

// RequestPasswordReset emails a one-time link (valid 1 hour) to set a new
// password, when email belongs to a person with an active membership and
// a password. Whether or not it does, the result is the same (nil), so the
// form reveals nothing; requests count towards the sign-in limits for the
// address typed and the client address (*ThrottledError). Audited in the
// person's schools when an email is sent.
func (s *Service) RequestPasswordReset(ctx context.Context, src actor.Source, email string) error {
	email = NormaliseEmail(email)
	if msg := checkEmail(email); msg != "" {
		return validate.Problems{"email": msg}
	}
	if _, err := s.reserve(ctx, email, src.ClientIP); err != nil {
		return err // the reservation stays: a reset request counts as a guess
	}
	if s.jobs == nil {
		return ErrNoEmail
	}
	c, err := s.credentialsByEmail(ctx, email)
	if errors.Is(err, db.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("password reset: %w", err)
	}
	a, err := s.Account(ctx, c.ID)
	if err != nil {
		return fmt.Errorf("password reset: %w", err)
	}
	if len(a.Schools) == 0 || c.PasswordHash == "" {
		return nil
	}
	by := actor.Actor{Source: src} // someone not signed in asked
	err = s.ownAccount(ctx, c.ID, func(tx pgx.Tx) error {
		token, err := newPasswordToken(ctx, tx, c.ID, "reset")
		if err != nil {
			return err
		}
		_, err = s.jobs.InsertTx(ctx, tx, notify.EmailArgs{
			To:      c.Email,
			Subject: "Reset your Haven password",
			Text: "Someone asked to reset the password of your Haven account.\n\n" +
				"To choose a new password, follow this link:\n" + s.cfg.BaseURL + paths.ResetPassword(token) + "\n\n" +
				"The link works once and expires in 1 hour. If you did not ask for this, you can ignore this email: your password has not changed.\n",
		}, nil)
		if err != nil {
			return fmt.Errorf("enqueue reset email: %w", err)
		}
		return auditAccount(ctx, tx, by, c.ID, userSubject(audit.Event{Action: "auth.password_reset_request"}, c.ID))
	})
	if err != nil {
		return fmt.Errorf("password reset: %w", err)
	}
	return nil
}

// newPasswordToken stores a new password link for a user and returns its token.
func newPasswordToken(ctx context.Context, q db.Querier, userID int64, purpose string) (string, error) {
	lifetime := ResetLifetime
	if purpose == "set" {
		lifetime = SetPasswordLifetime
	}
	token, hash := newToken()
	_, err := q.Exec(ctx, `INSERT INTO password_tokens (user_id, purpose, token_hash, expires_at)
		VALUES ($1, $2, $3, now() + make_interval(secs => $4))`, userID, purpose, hash, lifetime.Seconds())
	return token, err
}

// PasswordLink is the person a password link is for.
type PasswordLink struct {
	UserID int64
	Name   string
	Email  string
}

// PasswordLinkByToken returns whom a password link of purpose ("reset" or
// "set") is for, or ErrLinkInvalid when it is unknown, used or expired.
func (s *Service) PasswordLinkByToken(ctx context.Context, purpose, token string) (PasswordLink, error) {
	var l PasswordLink
	// Nobody is known before the link is followed: the database's
	// auth_password_link answers this one question (row-level security
	// shows no account to a transaction of nobody).
	err := s.pool.QueryRow(ctx, `SELECT user_id, name, email FROM auth_password_link($1, $2)`,
		hashToken(token), purpose).Scan(&l.UserID, &l.Name, &l.Email)
	if errors.Is(err, pgx.ErrNoRows) {
		return PasswordLink{}, ErrLinkInvalid
	}
	if err != nil {
		return PasswordLink{}, fmt.Errorf("password link: %w", err)
	}
	return l, nil
}

// SetPasswordByToken sets a new password through a password link (purpose
// "reset" or "set"), using the link up and ending every session of the
// person. It does not sign them in, and their second factor still applies.
// Audited. Problems are on "password" and "confirm"; a bad link is
// ErrLinkInvalid.
func (s *Service) SetPasswordByToken(ctx context.Context, src actor.Source, purpose, token, password, confirm string) error {
	l, err := s.PasswordLinkByToken(ctx, purpose, token)
	if err != nil {
		return err
	}
	_, names, err := s.passwordContext(ctx, l.UserID)
	if err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	p := validate.Problems{}
	if msg := CheckNewPassword(password, append(names, l.Name, l.Email)...); msg != "" {
		p.Add("password", msg)
	} else if confirm != password {
		p.Add("confirm", msgPasswordConfirm)
	}
	if len(p) > 0 {
		return p
	}
	by := actor.Actor{UserID: l.UserID, Source: src}
	err = db.InTx(ctx, s.pool, by, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE password_tokens SET used_at = now()
			WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()`, hashToken(token), purpose)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ErrLinkInvalid // used meanwhile
		}
		if _, err := setPassword(ctx, tx, l.UserID, HashPassword(password, s.cfg.Params)); err != nil {
			return err
		}
		action := "auth.password_reset"
		if purpose == "set" {
			action = "auth.password_set"
		}
		return auditAccount(ctx, tx, by, l.UserID, userSubject(audit.Event{Action: action}, l.UserID))
	})
	if err != nil && !errors.Is(err, ErrLinkInvalid) {
		return fmt.Errorf("set password: %w", err)
	}
	return err
}
