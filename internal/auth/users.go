package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/notify"
	"github.com/havenschools/haven/internal/paths"
	"github.com/havenschools/haven/internal/validate"
)

// Member is a person as a member of one school, for the Users page.
type Member struct {
	UserID       int64
	Name         string
	Email        string
	Role         actor.Role
	Deputy       bool
	Active       bool
	SecondFactor bool
	PasswordSet  bool
	// PendingRole is a DSL or head role an admin asked to give, waiting
	// for approval ("" when none).
	PendingRole   actor.Role
	PendingDeputy bool
}

// Invitation is an invitation not yet accepted.
type Invitation struct {
	ID        int64
	Email     string
	Name      string
	Role      actor.Role
	Deputy    bool
	Status    string // "awaiting_approval" or "sent"
	CreatedAt time.Time
	ExpiresAt *time.Time
}

// Expired reports whether a sent invitation's link no longer works.
func (i Invitation) Expired(now time.Time) bool {
	return i.ExpiresAt != nil && !now.Before(*i.ExpiresAt)
}

// allow returns ErrForbidden unless by holds one of roles.
func allow(by actor.Actor, roles ...actor.Role) error {
	if by.UserID == 0 || by.SchoolID == 0 || !slices.Contains(roles, by.Role) {
		return ErrForbidden
	}
	return nil
}

// Members lists the members of by's school, active first, by name. Admins only.
func (s *Service) Members(ctx context.Context, by actor.Actor) ([]Member, error) {
	if err := allow(by, actor.Admin); err != nil {
		return nil, err
	}
	var out []Member
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var err error
		out, err = members(ctx, tx, by.SchoolID, 0)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list members: %w", err)
	}
	return out, nil
}

// Member returns one member of by's school, or db.ErrNotFound. Admins only.
func (s *Service) Member(ctx context.Context, by actor.Actor, userID int64) (Member, error) {
	if err := allow(by, actor.Admin); err != nil {
		return Member{}, err
	}
	var m Member
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var err error
		m, err = member(ctx, tx, by.SchoolID, userID)
		return err
	})
	return m, err
}

func member(ctx context.Context, q db.Querier, schoolID, userID int64) (Member, error) {
	ms, err := members(ctx, q, schoolID, userID)
	if err != nil {
		return Member{}, err
	}
	if len(ms) == 0 {
		return Member{}, db.ErrNotFound
	}
	return ms[0], nil
}

// members lists a school's members, or just userID when not 0.
func members(ctx context.Context, q db.Querier, schoolID, userID int64) ([]Member, error) {
	rows, _ := q.Query(ctx, `
		SELECT u.id AS user_id, u.name, u.email, m.role, m.deputy, m.deactivated_at IS NULL AS active,
		       u.totp_secret IS NOT NULL AS second_factor, u.password_hash IS NOT NULL AS password_set,
		       coalesce(r.role, '') AS pending_role, coalesce(r.deputy, false) AS pending_deputy
		FROM memberships m
		JOIN users u ON u.id = m.user_id
		LEFT JOIN LATERAL (
			SELECT role, deputy FROM role_requests
			WHERE school_id = m.school_id AND user_id = m.user_id AND status = 'pending'
			ORDER BY id DESC LIMIT 1) r ON true
		WHERE m.school_id = $1 AND ($2 = 0 OR m.user_id = $2)
		ORDER BY m.deactivated_at IS NOT NULL, lower(u.name), u.id`, schoolID, userID)
	return pgx.CollectRows(rows, pgx.RowToStructByName[Member])
}

// Invitations lists by's school's invitations that are waiting for approval
// or sent and not yet accepted (expired ones included, marked by ExpiresAt).
// Admins only.
func (s *Service) Invitations(ctx context.Context, by actor.Actor) ([]Invitation, error) {
	if err := allow(by, actor.Admin); err != nil {
		return nil, err
	}
	var out []Invitation
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, `
			SELECT id, email, name, role, deputy, status, created_at, expires_at FROM invitations
			WHERE school_id = $1 AND status IN ('awaiting_approval', 'sent')
			  AND (expires_at IS NULL OR expires_at > now() - interval '30 days')
			ORDER BY created_at DESC, id DESC`, by.SchoolID)
		var err error
		out, err = pgx.CollectRows(rows, pgx.RowToStructByName[Invitation])
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list invitations: %w", err)
	}
	return out, nil
}

// Invite is an admin's invitation form.
type Invite struct {
	Email  string
	Name   string
	Role   actor.Role
	Deputy bool
}

// Problems checks the form.
func (in Invite) Problems() validate.Problems {
	p := validate.Problems{}
	if msg := validate.Name(in.Name, "the person's full name", true, 200); msg != "" {
		p.Add("name", msg)
	}
	if msg := checkEmail(in.Email); msg != "" {
		p.Add("email", msg)
	}
	if !in.Role.Valid() {
		p.Add("role", "Select the person's role")
	}
	return p
}

// Invite invites a person by email to join by's school with a role. The
// email carries a one-time link (valid 72 hours) to set a password; it is
// enqueued in the same transaction, so it is sent exactly when the
// invitation is stored. Inviting someone as DSL or head needs a DSL's or the
// head's approval first, unless the school has never had either (its first
// one); until approved, nothing is sent and awaiting is true. An earlier
// open invitation to the same address is withdrawn. Audited. Admins only;
// form problems are validate.Problems.
func (s *Service) Invite(ctx context.Context, by actor.Actor, in Invite) (awaiting bool, err error) {
	if err := allow(by, actor.Admin); err != nil {
		return false, err
	}
	in.Email = NormaliseEmail(in.Email)
	in.Deputy = in.Deputy && in.Role == actor.DSL
	if p := in.Problems(); len(p) > 0 {
		return false, p
	}
	err = db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var state string
		err := tx.QueryRow(ctx, `SELECT CASE WHEN m.deactivated_at IS NULL THEN 'active' ELSE 'deactivated' END
			FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.school_id = $1 AND u.email = $2`,
			by.SchoolID, in.Email).Scan(&state)
		switch {
		case err == nil && state == "active":
			return validate.Problems{"email": "This person already has an account in this school"}
		case err == nil:
			return validate.Problems{"email": "This person's account in this school is deactivated: reactivate it from their page instead"}
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		if err := withdrawInvitations(ctx, tx, by.SchoolID, in.Email); err != nil {
			return err
		}
		first, err := firstDSLOrHead(ctx, tx, by.SchoolID)
		if err != nil {
			return err
		}
		awaiting = needsApproval(actor.Staff, in.Role) && !first
		var id int64
		err = tx.QueryRow(ctx, `INSERT INTO invitations (school_id, email, name, role, deputy, status, invited_by)
			VALUES ($1, $2, $3, $4, $5, 'awaiting_approval', $6) RETURNING id`,
			by.SchoolID, in.Email, in.Name, in.Role, in.Deputy, by.UserID).Scan(&id)
		if err != nil {
			return err
		}
		if needsApproval(actor.Staff, in.Role) {
			status := "pending"
			if !awaiting {
				status = "unapproved"
			}
			if _, err := tx.Exec(ctx, `INSERT INTO role_requests (school_id, invitation_id, role, deputy, status, requested_by)
				VALUES ($1, $2, $3, $4, $5, $6)`, by.SchoolID, id, in.Role, in.Deputy, status, by.UserID); err != nil {
				return err
			}
		}
		if !awaiting {
			if err := s.sendInvitation(ctx, tx, id); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "user.invite", SubjectType: "invitation", SubjectID: fmt.Sprint(id),
			Details: map[string]any{"role": string(in.Role), "deputy": in.Deputy, "awaiting_approval": awaiting}})
	})
	if p, ok := errors.AsType[validate.Problems](err); ok {
		return false, p
	}
	if err != nil {
		return false, fmt.Errorf("invite: %w", err)
	}
	return awaiting, nil
}

// withdrawInvitations withdraws the open invitations to email in a school,
// and their pending role requests.
func withdrawInvitations(ctx context.Context, q db.Querier, schoolID int64, email string) error {
	_, err := q.Exec(ctx, `
		WITH w AS (
			UPDATE invitations SET status = 'withdrawn'
			WHERE school_id = $1 AND email = $2 AND status IN ('awaiting_approval', 'sent') RETURNING id)
		UPDATE role_requests SET status = 'withdrawn', decided_at = now()
		WHERE invitation_id IN (SELECT id FROM w) AND status = 'pending'`, schoolID, email)
	return err
}

// firstDSLOrHead reports whether the school has never had a DSL or head:
// no member holds either role (active or not) and none was ever granted.
// Then an admin may give the role without a second person, since nobody
// could approve it.
func firstDSLOrHead(ctx context.Context, q db.Querier, schoolID int64) (bool, error) {
	var any bool
	err := q.QueryRow(ctx, `SELECT
		EXISTS (SELECT 1 FROM memberships WHERE school_id = $1 AND role IN ('dsl', 'head'))
		OR EXISTS (SELECT 1 FROM role_requests WHERE school_id = $1 AND status IN ('approved', 'unapproved'))`,
		schoolID).Scan(&any)
	return !any, err
}

// sendInvitation gives invitation id a fresh token valid 72 hours, marks it
// sent and enqueues its email in q's transaction.
func (s *Service) sendInvitation(ctx context.Context, tx pgx.Tx, id int64) error {
	if s.jobs == nil {
		return ErrNoEmail
	}
	token, hash := newToken()
	var email, school string
	err := tx.QueryRow(ctx, `
		UPDATE invitations i SET token_hash = $2, status = 'sent', sent_at = now(), expires_at = now() + make_interval(secs => $3)
		FROM schools s WHERE i.id = $1 AND s.id = i.school_id
		RETURNING i.email, s.name`, id, hash, InvitationLifetime.Seconds()).Scan(&email, &school)
	if err != nil {
		return fmt.Errorf("send invitation %d: %w", id, err)
	}
	_, err = s.jobs.InsertTx(ctx, tx, notify.EmailArgs{
		To:      email,
		Subject: "You are invited to Haven",
		Text: "You have been invited to use Haven, where " + school + " records safeguarding concerns.\n\n" +
			"To accept, set your password here:\n" + s.cfg.BaseURL + paths.Invitation(token) + "\n\n" +
			"The link works once and expires in 72 hours. If you did not expect this email, you can ignore it.\n",
	}, nil)
	if err != nil {
		return fmt.Errorf("enqueue invitation email: %w", err)
	}
	return nil
}

// InvitationView is what the person following an invitation link sees.
type InvitationView struct {
	SchoolName string
	Name       string
	Email      string
	Role       actor.Role
	Deputy     bool
	// HasAccount: the email already has a Haven account (in another
	// school), so the person confirms their password instead of choosing one.
	HasAccount bool
}

// InvitationByToken returns the invitation a link's token opens, or
// ErrLinkInvalid when it is unknown, used, withdrawn or expired.
func (s *Service) InvitationByToken(ctx context.Context, token string) (InvitationView, error) {
	_, _, v, err := openInvitation(ctx, s.pool, token)
	return v, err
}

// openInvitation finds a usable invitation by token. Nobody is known before
// the link is followed, so row-level security shows no invitation: the
// database's auth_invitation_by_token_hash answers this one question.
func openInvitation(ctx context.Context, q db.Querier, token string) (id, schoolID int64, v InvitationView, err error) {
	err = q.QueryRow(ctx, `SELECT id, school_id, school_name, name, email, role, deputy, has_account
		FROM auth_invitation_by_token_hash($1)`, hashToken(token)).
		Scan(&id, &schoolID, &v.SchoolName, &v.Name, &v.Email, &v.Role, &v.Deputy, &v.HasAccount)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, 0, v, ErrLinkInvalid
	}
	return id, schoolID, v, err
}

// AcceptInvitation accepts the invitation a link's token opens: a new
// person chooses a password (password and confirm, checked by
// CheckNewPassword); someone who already has a Haven account types their
// current password instead (confirm unused), checked and throttled like a
// sign-in. The membership is created with the invited role and the link is
// used up. Audited in the school. Problems are validate.Problems on
// "password" and "confirm"; a bad link is ErrLinkInvalid; too many wrong
// current passwords give a *ThrottledError.
func (s *Service) AcceptInvitation(ctx context.Context, src actor.Source, token, password, confirm string) error {
	id, schoolID, view, err := openInvitation(ctx, s.pool, token)
	if err != nil {
		return err
	}
	var existing credentials
	if view.HasAccount {
		if password == "" {
			return validate.Problems{"password": "Enter your Haven password"}
		}
		if existing, err = s.credentialsByEmail(ctx, view.Email); err != nil {
			return fmt.Errorf("accept invitation: %w", err)
		}
		res, err := s.reserve(ctx, view.Email, src.ClientIP)
		if err != nil {
			return err
		}
		ok, _, err := VerifyPassword(password, existing.PasswordHash, s.cfg.Params)
		if err != nil {
			return fmt.Errorf("accept invitation: %w", err)
		}
		if !ok {
			if err := s.failed(ctx, src, res, existing.ID, "auth.sign_in_failed", map[string]any{"factor": "password", "reason": "wrong_password"}); err != nil {
				return err
			}
			return validate.Problems{"password": "The password is not correct"}
		}
		if err := release(ctx, s.pool, res); err != nil {
			return err
		}
	} else {
		p := validate.Problems{}
		if msg := CheckNewPassword(password, view.Name, view.Email, view.SchoolName); msg != "" {
			p.Add("password", msg)
		} else if confirm != password {
			p.Add("confirm", msgPasswordConfirm)
		}
		if len(p) > 0 {
			return p
		}
	}
	err = db.InSchool(ctx, s.pool, actor.Actor{SchoolID: schoolID, Source: src}, func(tx pgx.Tx) error {
		// Lock the invitation and check it is still usable.
		var v InvitationView
		err := tx.QueryRow(ctx, `SELECT name, email, role, deputy FROM invitations
			WHERE school_id = $1 AND id = $2 AND status = 'sent' AND expires_at > now() FOR UPDATE`,
			schoolID, id).Scan(&v.Name, &v.Email, &v.Role, &v.Deputy)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrLinkInvalid // used or withdrawn meanwhile
		}
		if err != nil {
			return err
		}
		v.HasAccount = view.HasAccount
		userID := existing.ID
		var added bool
		var hash string
		if !v.HasAccount {
			hash = HashPassword(password, s.cfg.Params)
			// An account without a password may exist, made by an operator
			// for another school, where this school's transaction cannot
			// see it (row-level security): add one unless it exists, then
			// look its id up by email (see CreateUser for the ON CONFLICT).
			tag, err := tx.Exec(ctx, `INSERT INTO users (email, name, password_hash, password_changed_at)
				VALUES ($1, $2, $3, now()) ON CONFLICT DO NOTHING`, v.Email, v.Name, hash)
			if err != nil {
				return err
			}
			added = tag.RowsAffected() == 1
			if userID, err = userIDByEmail(ctx, tx, v.Email); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO memberships (school_id, user_id, role, deputy) VALUES ($1, $2, $3, $4)`,
			schoolID, userID, v.Role, v.Deputy); err != nil {
			return err
		}
		if !v.HasAccount && !added {
			// The account existed without a password: set it, now that the
			// membership shows the account to this school's transaction.
			tag, err := tx.Exec(ctx, `UPDATE users SET password_hash = $2, password_changed_at = now(), updated_at = now()
				WHERE id = $1 AND password_hash IS NULL`, userID, hash)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return ErrLinkInvalid // an account with a password appeared meanwhile: follow the link again
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE invitations SET status = 'accepted', accepted_at = now(), user_id = $2 WHERE id = $1`, id, userID); err != nil {
			return err
		}
		by := actor.Actor{UserID: userID, SchoolID: schoolID, Role: v.Role, Source: src}
		return audit.Record(ctx, tx, by, audit.Event{Action: "user.invite_accept", SubjectType: "invitation", SubjectID: fmt.Sprint(id),
			Details: map[string]any{"role": string(v.Role), "deputy": v.Deputy, "new_account": !v.HasAccount}})
	})
	if db.IsUniqueViolation(err, "") {
		return ErrLinkInvalid
	}
	if err != nil && !errors.Is(err, ErrLinkInvalid) {
		return fmt.Errorf("accept invitation: %w", err)
	}
	return err
}
