package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/fail"
	"github.com/havenschools/haven/internal/paths"
	"github.com/havenschools/haven/internal/validate"
)

// The operator's use cases, for the command line (`haven user …`) and the
// demo seed. by is the system acting in a school (actor.SystemIn): nobody
// signed in, so these skip the web's checks, and each is audited as the
// system with what it did.

// NewUser is an account an operator creates.
type NewUser struct {
	Email  string
	Name   string
	Role   actor.Role
	Deputy bool
}

// ErrAlreadyMember means the person already belongs to the school.
var ErrAlreadyMember = fail.New(fail.Conflict, "this person already has an account in this school")

// CreateUser makes a membership of by's school with a role for the person
// with email, creating their account (with no password yet) unless one
// exists. Giving DSL or head this way is recorded as a grant without
// approval. Audited as user.create. Form problems are validate.Problems;
// an existing membership is ErrAlreadyMember.
func (s *Service) CreateUser(ctx context.Context, by actor.Actor, nu NewUser) (userID int64, err error) {
	nu.Email = NormaliseEmail(nu.Email)
	nu.Deputy = nu.Deputy && nu.Role == actor.DSL
	if p := (Invite{Email: nu.Email, Name: nu.Name, Role: nu.Role}).Problems(); len(p) > 0 {
		return 0, p
	}
	err = db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		// The account may exist already, in another school, where this
		// school's transaction cannot see it (row-level security): add it
		// unless it exists, then look its id up by email. (ON CONFLICT
		// names no column: naming one makes the new row pass the SELECT
		// policies too, which an account of no school of ours does not.)
		if _, err := tx.Exec(ctx, `INSERT INTO users (email, name) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
			nu.Email, nu.Name); err != nil {
			return err
		}
		var err error
		if userID, err = userIDByEmail(ctx, tx, nu.Email); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO memberships (school_id, user_id, role, deputy) VALUES ($1, $2, $3, $4)
			ON CONFLICT (school_id, user_id) DO NOTHING`, by.SchoolID, userID, nu.Role, nu.Deputy)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ErrAlreadyMember
		}
		if needsApproval(actor.Staff, nu.Role) {
			if _, err := tx.Exec(ctx, `INSERT INTO role_requests (school_id, user_id, role, deputy, status, decided_at)
				VALUES ($1, $2, $3, $4, 'unapproved', now())`, by.SchoolID, userID, nu.Role, nu.Deputy); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, by, userSubject(audit.Event{Action: "user.create",
			Details: map[string]any{"role": string(nu.Role), "deputy": nu.Deputy, "by": "operator"}}, userID))
	})
	if err != nil && !errors.Is(err, ErrAlreadyMember) {
		return 0, fmt.Errorf("create user: %w", err)
	}
	return userID, err
}

// HasPassword reports whether the account with email (in any school) has a
// password, for `haven user create`, which leaves such an account as it is
// rather than print a link that would set its password. An unknown email
// is false.
func (s *Service) HasPassword(ctx context.Context, email string) (bool, error) {
	c, err := s.credentialsByEmail(ctx, NormaliseEmail(email))
	if errors.Is(err, db.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("has password: %w", err)
	}
	return c.PasswordHash != "", nil
}

// SetPasswordLink returns a one-time link, valid 24 hours, with which a
// member of by's school sets their password. Audited (never the link).
func (s *Service) SetPasswordLink(ctx context.Context, by actor.Actor, userID int64) (string, error) {
	var token string
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		if _, err := member(ctx, tx, by.SchoolID, userID); err != nil {
			return err
		}
		var err error
		if token, err = newPasswordToken(ctx, tx, userID, "set"); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, userSubject(audit.Event{Action: "auth.password_link"}, userID))
	})
	if err != nil {
		return "", fmt.Errorf("set-password link: %w", err)
	}
	return s.cfg.BaseURL + paths.SetPassword(token), nil
}

// SetPassword sets the password of a member of by's school directly (the
// operator typed it, or the demo seed made it), checked like any new
// password. Audited as auth.password_set.
func (s *Service) SetPassword(ctx context.Context, by actor.Actor, userID int64, password string) error {
	c, names, err := s.passwordContext(ctx, userID)
	if err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	if msg := CheckNewPassword(password, append(names, c.Name, c.Email)...); msg != "" {
		return validate.Problems{"password": msg}
	}
	err = db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		if _, err := member(ctx, tx, by.SchoolID, userID); err != nil {
			return err
		}
		if _, err := setPassword(ctx, tx, userID, HashPassword(password, s.cfg.Params)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, userSubject(audit.Event{Action: "auth.password_set",
			Details: map[string]any{"by": "operator"}}, userID))
	})
	if err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	return nil
}

// UserIDByEmail returns the id of the account with email, or db.ErrNotFound.
func (s *Service) UserIDByEmail(ctx context.Context, email string) (int64, error) {
	return userIDByEmail(ctx, s.pool, NormaliseEmail(email))
}

// OperatorResetSecondFactor removes the second factor of the account with
// email, for the day someone (perhaps the last admin) loses their phone:
// they enrol again at their next sign-in. Audited as the system in every
// school the person belongs to. An unknown email is db.ErrNotFound.
func (s *Service) OperatorResetSecondFactor(ctx context.Context, src actor.Source, email string) error {
	id, err := s.UserIDByEmail(ctx, email)
	if err != nil {
		return err
	}
	by := actor.Actor{Role: actor.System, Source: src}
	err = s.ownAccount(ctx, id, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, `SELECT school_id FROM memberships WHERE user_id = $1 ORDER BY school_id`, id)
		schools, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return err
		}
		if len(schools) == 0 {
			schools = []int64{0}
		}
		for i, school := range schools {
			b := by
			b.SchoolID = school
			if i == 0 {
				err = resetSecondFactor(ctx, tx, b, id)
			} else {
				err = audit.Record(ctx, tx, b, userSubject(audit.Event{Action: "auth.mfa_reset"}, id))
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("reset second factor: %w", err)
	}
	return nil
}

// OperatorSetRole gives the account with email a role in by's school —
// break-glass, for when no admin is left: it creates or reactivates the
// membership, needs no approval and ends the person's sessions. Audited as
// the system with the old and new role. An unknown email is db.ErrNotFound.
func (s *Service) OperatorSetRole(ctx context.Context, by actor.Actor, email string, role actor.Role, deputy bool) error {
	if !role.Valid() {
		return validate.Problems{"role": "role must be staff, dsl, head or admin"}
	}
	deputy = deputy && role == actor.DSL
	id, err := s.UserIDByEmail(ctx, email)
	if err != nil {
		return err
	}
	err = db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var from string
		err := tx.QueryRow(ctx, `SELECT CASE WHEN deactivated_at IS NULL THEN role ELSE 'deactivated_' || role END
			FROM memberships WHERE school_id = $1 AND user_id = $2`, by.SchoolID, id).Scan(&from)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO memberships (school_id, user_id, role, deputy) VALUES ($1, $2, $3, $4)
			ON CONFLICT (school_id, user_id) DO UPDATE SET role = EXCLUDED.role, deputy = EXCLUDED.deputy,
				deactivated_at = NULL, updated_at = now()`, by.SchoolID, id, role, deputy); err != nil {
			return err
		}
		if err := withdrawRoleRequests(ctx, tx, by.SchoolID, id); err != nil {
			return err
		}
		if needsApproval(actor.Staff, role) {
			if _, err := tx.Exec(ctx, `INSERT INTO role_requests (school_id, user_id, role, deputy, status, decided_at)
				VALUES ($1, $2, $3, $4, 'unapproved', now())`, by.SchoolID, id, role, deputy); err != nil {
				return err
			}
		}
		if _, err := bumpEpoch(ctx, tx, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, userSubject(audit.Event{Action: "user.role_change",
			Details: map[string]any{"from": from, "to": string(role), "deputy": deputy, "approval": "operator"}}, id))
	})
	if err != nil {
		return fmt.Errorf("set role: %w", err)
	}
	return nil
}
