package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/fail"
	"github.com/havenschools/haven/internal/validate"
)

// ErrLastAdmin means the change would leave the school without an active admin.
var ErrLastAdmin = fail.New(fail.Conflict, "the school must keep at least one active admin")

// ChangeRole gives a member of by's school a new role. Giving the DSL or
// head role to someone who does not hold it is only requested: it waits for
// a DSL's or the head's approval (ApproveRoleRequest) and pending is true —
// except for the school's first DSL or head, which nobody could approve.
// Any other change applies at once and ends the person's sessions, so the
// new role holds from their next request. The last active admin cannot
// stop being one (ErrLastAdmin). Audited. Admins only; an unknown member is
// db.ErrNotFound.
func (s *Service) ChangeRole(ctx context.Context, by actor.Actor, userID int64, role actor.Role, deputy bool) (pending bool, err error) {
	if err := allow(by, actor.Admin); err != nil {
		return false, err
	}
	if !role.Valid() {
		return false, validate.Problems{"role": "Select a role"}
	}
	deputy = deputy && role == actor.DSL
	err = db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		m, err := lockMember(ctx, tx, by.SchoolID, userID)
		if err != nil {
			return err
		}
		if !m.Active {
			return validate.Problems{"role": "Reactivate this account before changing its role"}
		}
		if m.Role == role && m.Deputy == deputy {
			return withdrawRoleRequests(ctx, tx, by.SchoolID, userID)
		}
		if m.Role == actor.Admin && role != actor.Admin {
			if err := keepAnAdmin(ctx, tx, by.SchoolID, userID); err != nil {
				return err
			}
		}
		if err := notChair(ctx, tx, by.SchoolID, userID, role); err != nil {
			return err
		}
		if err := withdrawRoleRequests(ctx, tx, by.SchoolID, userID); err != nil {
			return err
		}
		approval := "not_needed"
		if needsApproval(m.Role, role) {
			first, err := firstDSLOrHead(ctx, tx, by.SchoolID)
			if err != nil {
				return err
			}
			if !first {
				pending = true
				var id int64
				if err := tx.QueryRow(ctx, `INSERT INTO role_requests (school_id, user_id, role, deputy, status, requested_by)
					VALUES ($1, $2, $3, $4, 'pending', $5) RETURNING id`, by.SchoolID, userID, role, deputy, by.UserID).Scan(&id); err != nil {
					return err
				}
				return audit.Record(ctx, tx, by, userSubject(audit.Event{Action: "user.role_request",
					Details: map[string]any{"from": string(m.Role), "to": string(role), "deputy": deputy, "request_id": id}}, userID))
			}
			approval = "first_dsl_or_head"
			if _, err := tx.Exec(ctx, `INSERT INTO role_requests (school_id, user_id, role, deputy, status, requested_by, decided_at)
				VALUES ($1, $2, $3, $4, 'unapproved', $5, now())`, by.SchoolID, userID, role, deputy, by.UserID); err != nil {
				return err
			}
		}
		if err := setRole(ctx, tx, by.SchoolID, userID, role, deputy); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, userSubject(audit.Event{Action: "user.role_change",
			Details: map[string]any{"from": string(m.Role), "to": string(role), "deputy": deputy, "approval": approval}}, userID))
	})
	if p, ok := errors.AsType[validate.Problems](err); ok {
		return false, p
	}
	if err != nil {
		return false, fmt.Errorf("change role of user %d: %w", userID, err)
	}
	return pending, nil
}

// lockMember returns a member of a school, locking the membership row.
func lockMember(ctx context.Context, q db.Querier, schoolID, userID int64) (Member, error) {
	var m Member
	err := q.QueryRow(ctx, `SELECT role, deputy, deactivated_at IS NULL FROM memberships
		WHERE school_id = $1 AND user_id = $2 FOR UPDATE`, schoolID, userID).Scan(&m.Role, &m.Deputy, &m.Active)
	if errors.Is(err, pgx.ErrNoRows) {
		return Member{}, db.ErrNotFound
	}
	m.UserID = userID
	return m, err
}

// keepAnAdmin returns ErrLastAdmin unless the school has an active admin
// other than userID. Admin rows are locked, so two admins demoting each
// other at once cannot both succeed.
func keepAnAdmin(ctx context.Context, q db.Querier, schoolID, userID int64) error {
	rows, _ := q.Query(ctx, `SELECT user_id FROM memberships
		WHERE school_id = $1 AND role = 'admin' AND deactivated_at IS NULL ORDER BY user_id FOR UPDATE`, schoolID)
	admins, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return err
	}
	for _, id := range admins {
		if id != userID {
			return nil
		}
	}
	return ErrLastAdmin
}

// setRole updates a membership's role and ends the person's sessions.
func setRole(ctx context.Context, q db.Querier, schoolID, userID int64, role actor.Role, deputy bool) error {
	if _, err := q.Exec(ctx, `UPDATE memberships SET role = $3, deputy = $4, updated_at = now()
		WHERE school_id = $1 AND user_id = $2`, schoolID, userID, role, deputy); err != nil {
		return err
	}
	_, err := bumpEpoch(ctx, q, userID)
	return err
}

func withdrawRoleRequests(ctx context.Context, q db.Querier, schoolID, userID int64) error {
	_, err := q.Exec(ctx, `UPDATE role_requests SET status = 'withdrawn', decided_at = now()
		WHERE school_id = $1 AND user_id = $2 AND status = 'pending'`, schoolID, userID)
	return err
}

// RoleRequest is a request to give someone the DSL or head role, or to
// name them chair of governors (RoleChair), waiting for a second person.
type RoleRequest struct {
	ID              int64
	UserID          int64  // 0 for an invitation
	Name            string // the person it is about
	Email           string
	Role            actor.Role
	Deputy          bool
	CurrentRole     actor.Role // "" for an invitation
	RequestedBy     string
	RequestedAt     time.Time
	Invitation      bool
	MadeOrAboutSelf bool // by cannot decide it
}

// RoleRequests lists the pending role requests of by's school, oldest
// first. DSLs, the head and admins may see them; only a DSL or the head
// may decide them.
func (s *Service) RoleRequests(ctx context.Context, by actor.Actor) ([]RoleRequest, error) {
	if err := allow(by, actor.DSL, actor.Head, actor.Admin); err != nil {
		return nil, err
	}
	var out []RoleRequest
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, `
			SELECT r.id, coalesce(r.user_id, 0) AS user_id, coalesce(u.name, i.name) AS name, coalesce(u.email, i.email) AS email, r.role, r.deputy,
			       coalesce(m.role, '') AS current_role, coalesce(rb.name, 'Haven') AS requested_by, r.requested_at,
			       r.invitation_id IS NOT NULL AS invitation,
			       ((r.requested_by = $2 OR r.user_id = $2 OR i.email = (SELECT email FROM users WHERE id = $2)) IS TRUE
			        OR (r.role = 'chair' AND $3 = 'head')) AS made_or_about_self
			FROM role_requests r
			LEFT JOIN users u ON u.id = r.user_id
			LEFT JOIN memberships m ON m.school_id = r.school_id AND m.user_id = r.user_id
			LEFT JOIN invitations i ON i.id = r.invitation_id
			LEFT JOIN users rb ON rb.id = r.requested_by
			WHERE r.school_id = $1 AND r.status = 'pending'
			ORDER BY r.requested_at, r.id`, by.SchoolID, by.UserID, string(by.Role))
		var err error
		out, err = pgx.CollectRows(rows, pgx.RowToStructByName[RoleRequest])
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list role requests: %w", err)
	}
	return out, nil
}

// DecideRoleRequest approves or rejects a pending role request of by's
// school. Only a DSL or the head may decide, and never one they asked for
// or one about themselves (ErrOwnRequest); the head never decides who is
// named chair of governors, who handles concerns about the head
// (ErrHeadNamesChair). Approving gives the role at once
// (ending the person's sessions), names the chair of governors (RoleChair),
// or, for an invitation, sends it. The chair may not become a DSL or head,
// nor someone who has become one the chair (validate.Problems). Audited.
// An unknown or decided request is db.ErrNotFound.
func (s *Service) DecideRoleRequest(ctx context.Context, by actor.Actor, requestID int64, approve bool) error {
	if err := allow(by, actor.DSL, actor.Head); err != nil {
		return err
	}
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var userID, invitationID, requestedBy *int64
		var role actor.Role
		var deputy, self bool
		err := tx.QueryRow(ctx, `
			SELECT r.user_id, r.invitation_id, r.requested_by, r.role, r.deputy,
			       (r.requested_by = $3 OR r.user_id = $3 OR i.email = (SELECT email FROM users WHERE id = $3)) IS TRUE
			FROM role_requests r LEFT JOIN invitations i ON i.id = r.invitation_id
			WHERE r.id = $1 AND r.school_id = $2 AND r.status = 'pending'
			FOR UPDATE OF r`, requestID, by.SchoolID, by.UserID).Scan(&userID, &invitationID, &requestedBy, &role, &deputy, &self)
		if errors.Is(err, pgx.ErrNoRows) {
			return db.ErrNotFound
		}
		if err != nil {
			return err
		}
		if self {
			return ErrOwnRequest
		}
		if role == RoleChair && by.Role == actor.Head {
			return ErrHeadNamesChair
		}
		status, action := "rejected", "user.role_reject"
		if approve {
			status, action = "approved", "user.role_approve"
		}
		if _, err := tx.Exec(ctx, `UPDATE role_requests SET status = $2, decided_by = $3, decided_at = now() WHERE id = $1`,
			requestID, status, by.UserID); err != nil {
			return err
		}
		e := audit.Event{Action: action, Details: map[string]any{"request_id": requestID, "to": string(role), "deputy": deputy}}
		switch {
		case invitationID != nil:
			e.SubjectType, e.SubjectID = "invitation", fmt.Sprint(*invitationID)
			if approve {
				err = s.sendInvitation(ctx, tx, *invitationID)
			} else {
				_, err = tx.Exec(ctx, `UPDATE invitations SET status = 'rejected' WHERE id = $1`, *invitationID)
			}
		case role == RoleChair:
			e = userSubject(e, *userID)
			if approve {
				e.Details["setting"] = "chair_of_governors"
				err = approveChair(ctx, tx, by.SchoolID, *userID)
			}
		default:
			e = userSubject(e, *userID)
			if approve {
				err = notChair(ctx, tx, by.SchoolID, *userID, role)
			}
			if approve && err == nil {
				var m Member
				if m, err = lockMember(ctx, tx, by.SchoolID, *userID); err == nil {
					e.Details["from"] = string(m.Role)
					if m.Role == actor.Admin {
						err = keepAnAdmin(ctx, tx, by.SchoolID, *userID)
					}
					if err == nil {
						err = setRole(ctx, tx, by.SchoolID, *userID, role, deputy)
					}
				}
			}
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, e)
	})
	if _, ok := errors.AsType[validate.Problems](err); ok {
		return err
	}
	if err != nil && !errors.Is(err, db.ErrNotFound) && !errors.Is(err, ErrOwnRequest) && !errors.Is(err, ErrLastAdmin) && !errors.Is(err, ErrHeadNamesChair) {
		return fmt.Errorf("decide role request %d: %w", requestID, err)
	}
	return err
}

// SetActive deactivates or reactivates a member of by's school.
// Deactivating ends all the person's sessions at once (their session epoch
// changes) and they can no longer sign in to the school. Admins cannot
// deactivate themselves, nor the last active admin (ErrLastAdmin).
// Audited. Admins only; an unknown member is db.ErrNotFound.
func (s *Service) SetActive(ctx context.Context, by actor.Actor, userID int64, active bool) error {
	if err := allow(by, actor.Admin); err != nil {
		return err
	}
	if userID == by.UserID && !active {
		return ErrForbidden
	}
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		m, err := lockMember(ctx, tx, by.SchoolID, userID)
		if err != nil {
			return err
		}
		if m.Active == active {
			return nil
		}
		action := "user.reactivate"
		if !active {
			action = "user.deactivate"
			if m.Role == actor.Admin {
				if err := keepAnAdmin(ctx, tx, by.SchoolID, userID); err != nil {
					return err
				}
			}
			if err := withdrawRoleRequests(ctx, tx, by.SchoolID, userID); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE memberships SET deactivated_at = CASE WHEN $3 THEN NULL ELSE now() END,
			updated_at = now() WHERE school_id = $1 AND user_id = $2`, by.SchoolID, userID, active); err != nil {
			return err
		}
		if _, err := bumpEpoch(ctx, tx, userID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, userSubject(audit.Event{Action: action,
			Details: map[string]any{"role": string(m.Role)}}, userID))
	})
	if err != nil && !errors.Is(err, db.ErrNotFound) && !errors.Is(err, ErrLastAdmin) {
		return fmt.Errorf("set user %d active=%v: %w", userID, active, err)
	}
	return err
}

// ResetSecondFactor removes a member's second factor and recovery codes and
// ends their sessions: they enrol again at their next sign-in. For someone
// who lost their phone; admins cannot reset their own (an operator can,
// with `haven user reset-2fa`). Audited. Admins only; an unknown member is
// db.ErrNotFound.
func (s *Service) ResetSecondFactor(ctx context.Context, by actor.Actor, userID int64) error {
	if err := allow(by, actor.Admin); err != nil {
		return err
	}
	if userID == by.UserID {
		return ErrForbidden
	}
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		if _, err := lockMember(ctx, tx, by.SchoolID, userID); err != nil {
			return err
		}
		return resetSecondFactor(ctx, tx, by, userID)
	})
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		return fmt.Errorf("reset second factor of user %d: %w", userID, err)
	}
	return err
}

func resetSecondFactor(ctx context.Context, q db.Querier, by actor.Actor, userID int64) error {
	if _, err := q.Exec(ctx, `UPDATE users SET totp_secret = NULL, totp_pending_secret = NULL, totp_enrolled_at = NULL,
		updated_at = now() WHERE id = $1`, userID); err != nil {
		return err
	}
	if _, err := q.Exec(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, userID); err != nil {
		return err
	}
	if _, err := bumpEpoch(ctx, q, userID); err != nil {
		return err
	}
	return audit.Record(ctx, q, by, userSubject(audit.Event{Action: "auth.mfa_reset"}, userID))
}
