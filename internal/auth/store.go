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

// Account is a signed-in person as a request needs them: who they are, the
// epoch their sessions must carry, and the schools they may work in now.
type Account struct {
	UserID int64
	Email  string
	Name   string
	// Epoch is the user's session epoch: a session carrying another is over.
	Epoch int
	// Enrolled: a second factor is set up.
	Enrolled bool
	// NeedsSecondFactor: a role (DSL, head, admin), being a school's chair
	// of governors, or a school's setting requires a second factor of this person.
	NeedsSecondFactor bool
	// Schools are the active memberships, by school name.
	Schools []Membership
}

// Membership is a person's role in one school.
type Membership struct {
	SchoolID   int64
	SchoolName string
	Role       actor.Role
	Deputy     bool
	// SchoolRequires2FA: the school requires a second factor of all staff.
	SchoolRequires2FA bool
	// ChairOfGovernors: the school names this person its chair of
	// governors, who receives concerns about the head (internal/allegation)
	// and so needs a second factor, whatever their role.
	ChairOfGovernors bool
}

// In returns the account's active membership of school, if any.
func (a Account) In(schoolID int64) (Membership, bool) {
	for _, m := range a.Schools {
		if m.SchoolID == schoolID {
			return m, true
		}
	}
	return Membership{}, false
}

// account loads the account of userID, or db.ErrNotFound.
func account(ctx context.Context, q db.Querier, userID int64) (Account, error) {
	var a Account
	err := q.QueryRow(ctx, `SELECT id, email, name, session_epoch, totp_secret IS NOT NULL FROM users WHERE id = $1`, userID).
		Scan(&a.UserID, &a.Email, &a.Name, &a.Epoch, &a.Enrolled)
	if errors.Is(err, pgx.ErrNoRows) {
		return Account{}, db.ErrNotFound
	}
	if err != nil {
		return Account{}, err
	}
	rows, _ := q.Query(ctx, `
		SELECT m.school_id, s.name AS school_name, m.role, m.deputy,
		       coalesce(ss.require_2fa_all, false) AS school_requires2_fa,
		       coalesce(ss.chair_of_governors = m.user_id, false) AS chair_of_governors
		FROM memberships m
		JOIN schools s ON s.id = m.school_id
		LEFT JOIN school_settings ss ON ss.school_id = m.school_id
		WHERE m.user_id = $1 AND m.deactivated_at IS NULL
		ORDER BY s.name, s.id`, userID)
	a.Schools, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (Membership, error) {
		var m Membership
		err := row.Scan(&m.SchoolID, &m.SchoolName, &m.Role, &m.Deputy, &m.SchoolRequires2FA, &m.ChairOfGovernors)
		return m, err
	})
	if err != nil {
		return Account{}, fmt.Errorf("memberships: %w", err)
	}
	for _, m := range a.Schools {
		if NeedsSecondFactor(m.Role) || m.SchoolRequires2FA || m.ChairOfGovernors {
			a.NeedsSecondFactor = true
		}
	}
	return a, nil
}

// credentials is what checking a password or code needs of a user.
type credentials struct {
	ID           int64
	Email        string
	Name         string
	PasswordHash string
	TOTPSecret   string
	TOTPPending  string
	TOTPLastStep int64
}

// credentialsOf loads the credentials of userID, or db.ErrNotFound, in a
// transaction on that user's own account.
func (s *Service) credentialsOf(ctx context.Context, userID int64) (credentials, error) {
	var c credentials
	err := s.ownAccount(ctx, userID, func(tx pgx.Tx) error {
		var err error
		c, err = loadCredentials(ctx, tx, userID)
		return err
	})
	return c, err
}

func loadCredentials(ctx context.Context, q db.Querier, userID int64) (credentials, error) {
	var c credentials
	err := q.QueryRow(ctx, `SELECT id, email, name, coalesce(password_hash, ''), coalesce(totp_secret, ''),
		coalesce(totp_pending_secret, ''), totp_last_step FROM users WHERE id = $1`, userID).
		Scan(&c.ID, &c.Email, &c.Name, &c.PasswordHash, &c.TOTPSecret, &c.TOTPPending, &c.TOTPLastStep)
	if errors.Is(err, pgx.ErrNoRows) {
		return credentials{}, db.ErrNotFound
	}
	return c, err
}

// credentialsByEmail loads the credentials of the account with email
// (normalised), or db.ErrNotFound.
func (s *Service) credentialsByEmail(ctx context.Context, email string) (credentials, error) {
	id, err := userIDByEmail(ctx, s.pool, email)
	if err != nil {
		return credentials{}, err
	}
	return s.credentialsOf(ctx, id)
}

// userIDByEmail returns the id of the account with email (normalised), or
// db.ErrNotFound. It asks the database's auth_user_id_by_email: before
// sign-in no user or school is known, so row-level security shows no
// account, and that function answers this one question.
func userIDByEmail(ctx context.Context, q db.Querier, email string) (int64, error) {
	var id *int64
	if err := q.QueryRow(ctx, `SELECT auth_user_id_by_email($1)`, email).Scan(&id); err != nil {
		return 0, err
	}
	if id == nil {
		return 0, db.ErrNotFound
	}
	return *id, nil
}

// ownAccount runs fn in one transaction on userID's own account: row-level
// security shows a user their own user row, memberships, recovery codes
// and password links, and nothing of anyone else's. Audit events written
// in it name whoever the caller says acted, not userID.
func (s *Service) ownAccount(ctx context.Context, userID int64, fn func(pgx.Tx) error) error {
	return db.InTx(ctx, s.pool, actor.Actor{UserID: userID}, fn)
}

// bumpEpoch ends every session of the user (they carry the old epoch) and
// returns the new epoch.
func bumpEpoch(ctx context.Context, q db.Querier, userID int64) (int, error) {
	var epoch int
	err := q.QueryRow(ctx, `UPDATE users SET session_epoch = session_epoch + 1, updated_at = now()
		WHERE id = $1 RETURNING session_epoch`, userID).Scan(&epoch)
	if err != nil {
		return 0, fmt.Errorf("end sessions: %w", err)
	}
	return epoch, nil
}

// auditAccount records e, an event about a person's account as a whole (a
// sign-in failure, a second factor), in the chain of every school the person
// is an active member of, with their role there; with no active membership,
// in the deployment-level chain. by carries who acted and from where. q is
// a transaction on userID's own account (ownAccount), which sees their
// memberships; the audit log accepts an event about a person from such a
// transaction in the chains of the schools they belong to.
func auditAccount(ctx context.Context, q db.Querier, by actor.Actor, userID int64, e audit.Event) error {
	rows, _ := q.Query(ctx, `SELECT school_id, role FROM memberships
		WHERE user_id = $1 AND deactivated_at IS NULL ORDER BY school_id`, userID)
	type sr struct {
		school int64
		role   actor.Role
	}
	schools, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (sr, error) {
		var x sr
		err := row.Scan(&x.school, &x.role)
		return x, err
	})
	if err != nil {
		return err
	}
	if len(schools) == 0 {
		by.SchoolID = 0
		return audit.Record(ctx, q, by, e)
	}
	for _, x := range schools {
		by.SchoolID = x.school
		if by.UserID == userID {
			by.Role = x.role
		}
		if err := audit.Record(ctx, q, by, e); err != nil {
			return err
		}
	}
	return nil
}

// userSubject is the audit subject for a user.
func userSubject(e audit.Event, userID int64) audit.Event {
	e.SubjectType = "user"
	e.SubjectID = fmt.Sprint(userID)
	return e
}
