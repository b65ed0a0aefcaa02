package auth

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/validate"
)

// The chair of governors (issue 16 item 13) receives the concerns about
// the headteacher and has the head's powers over them (internal/allegation),
// so naming one is a two-person action like giving the DSL or head role: an
// admin asks (School settings), and a DSL or the head — never the admin who
// asked nor the person named — approves it on "Role requests". The chair is
// a school setting, not a membership role, and cannot be held by a head,
// an admin or a DSL (docs/allegations.md says why).

// RoleChair is the role of a request to name the school's chair of
// governors (migration 00168).
const RoleChair actor.Role = "chair"

// FieldChair is the School settings field naming the chair.
const FieldChair = "chair-of-governors"

// ChairProblem says why userID, with their role in the school, cannot be
// its chair of governors ("" when they can).
func ChairProblem(role actor.Role) string {
	switch role {
	case actor.Head:
		return "The chair of governors cannot be a headteacher: concerns about the head go to them"
	case actor.Admin:
		return "The chair of governors cannot be an admin: an admin manages the accounts of everyone, the head included, whose concerns the chair handles"
	case actor.DSL:
		return "The chair of governors cannot be a DSL: a DSL works in the safeguarding team the head leads, and the chair handles concerns about the head"
	}
	return ""
}

// chairCandidate returns a problem on FieldChair unless userID is an
// active member of the school who is not a head, an admin or a DSL.
func chairCandidate(ctx context.Context, q db.Querier, schoolID, userID int64) error {
	var role actor.Role
	err := q.QueryRow(ctx, `SELECT role FROM memberships WHERE school_id = $1 AND user_id = $2 AND deactivated_at IS NULL`,
		schoolID, userID).Scan(&role)
	if errors.Is(err, pgx.ErrNoRows) {
		return validate.Problems{FieldChair: "Choose the chair of governors from the list"}
	}
	if err != nil {
		return err
	}
	if msg := ChairProblem(role); msg != "" {
		return validate.Problems{FieldChair: msg}
	}
	return nil
}

// RequestChair asks, in q's transaction (the School settings form's), for
// userID to be named by's school's chair of governors, withdrawing any
// request waiting for another. The person must be an active member who is
// not a head, an admin or a DSL (a problem on FieldChair otherwise). It
// returns pending: the request waits for a DSL's or the head's approval
// (DecideRoleRequest), and the setting is not changed until then. Not
// pending — the caller sets the chair itself — when by is the system (the
// demo seed) or the school has never had a DSL or head to approve it (the
// grant is recorded as unapproved, as for the school's first DSL). With
// userID 0 (no chair) it only withdraws a waiting request. Admins and the
// system only (ErrForbidden). Audited as user.role_request.
func RequestChair(ctx context.Context, q db.Querier, by actor.Actor, userID int64) (pending bool, err error) {
	if by.Role != actor.System {
		if err := allow(by, actor.Admin); err != nil {
			return false, err
		}
	}
	if _, err := q.Exec(ctx, `UPDATE role_requests SET status = 'withdrawn', decided_at = now()
		WHERE school_id = $1 AND role = 'chair' AND status = 'pending'`, by.SchoolID); err != nil {
		return false, err
	}
	if userID == 0 {
		return false, nil
	}
	if err := chairCandidate(ctx, q, by.SchoolID, userID); err != nil {
		return false, err
	}
	if by.Role == actor.System {
		return false, nil
	}
	first, err := firstDSLOrHead(ctx, q, by.SchoolID)
	if err != nil {
		return false, err
	}
	if first {
		_, err := q.Exec(ctx, `INSERT INTO role_requests (school_id, user_id, role, status, requested_by, decided_at)
			VALUES ($1, $2, 'chair', 'unapproved', $3, now())`, by.SchoolID, userID, by.UserID)
		return false, err
	}
	var id int64
	if err := q.QueryRow(ctx, `INSERT INTO role_requests (school_id, user_id, role, status, requested_by)
		VALUES ($1, $2, 'chair', 'pending', $3) RETURNING id`, by.SchoolID, userID, by.UserID).Scan(&id); err != nil {
		return false, err
	}
	return true, audit.Record(ctx, q, by, userSubject(audit.Event{Action: "user.role_request",
		Details: map[string]any{"to": string(RoleChair), "request_id": id}}, userID))
}

// approveChair names userID the school's chair of governors, once a second
// person approves: still a member who may be chair, they need a second
// factor from their next request (their sessions end).
func approveChair(ctx context.Context, q db.Querier, schoolID, userID int64) error {
	if err := chairCandidate(ctx, q, schoolID, userID); err != nil {
		return err
	}
	if _, err := q.Exec(ctx, `UPDATE school_settings SET chair_of_governors = $2, updated_at = now() WHERE school_id = $1`,
		schoolID, userID); err != nil {
		return err
	}
	_, err := bumpEpoch(ctx, q, userID)
	return err
}

// notChair returns a problem on "role" when userID is the school's chair
// of governors and role is one the chair may not hold.
func notChair(ctx context.Context, q db.Querier, schoolID, userID int64, role actor.Role) error {
	if ChairProblem(role) == "" {
		return nil
	}
	var chair bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM school_settings WHERE school_id = $1 AND chair_of_governors = $2)`,
		schoolID, userID).Scan(&chair); err != nil {
		return err
	}
	if chair {
		return validate.Problems{"role": "They are the chair of governors, who cannot be a DSL, a head or an admin: name another chair first (School settings)"}
	}
	return nil
}
