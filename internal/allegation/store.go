package allegation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/db"
)

// Allegation is one concern about an adult, as its handler reads it.
type Allegation struct {
	ID             int64
	Ref            string
	RoutedTo       Route
	Kind           Kind
	SubjectUserID  int64
	SubjectName    string
	SubjectRole    string
	SubjectKey     string
	Account        string
	HappenedOn     *time.Time
	HappenedTime   string
	Location       string
	Witnesses      string
	ChildID        int64
	ChildName      string
	Status         Status
	ReportedBy     int64
	ReportedByName string
	CreatedAt      time.Time
	AcknowledgedAt *time.Time
	AcknowledgedBy string
	Outcome        Outcome // "" until closed
	OutcomeNote    string
	OutcomeAt      *time.Time
	OutcomeBy      string
	SubjectDOB     *time.Time
	RetainUntil    *time.Time
	SubjectLeftOn  *time.Time
	ReviewedAt     *time.Time
	ReviewAfter    *time.Time
	ReviewNote     string
	DeletedAt      *time.Time
	// Person is the adult it is about, however it named them (people.go):
	// their first identity (0 once its personal data is removed).
	Person int64
}

// Removed reports whether the record's personal data has been removed.
func (a Allegation) Removed() bool { return a.DeletedAt != nil }

// Consultation is one LADO consultation.
type Consultation struct {
	ID         int64
	On         time.Time
	Officer    string
	Advice     string
	Reference  string
	RecordedBy string
	RecordedAt time.Time
}

// Action is one thing the handler did.
type Action struct {
	ID         int64
	Kind       ActionKind
	On         time.Time
	Note       string
	RecordedBy string
	RecordedAt time.Time
}

const selectAllegation = `SELECT a.id, a.ref, a.routed_to, a.kind, coalesce(a.subject_user_id, 0), a.subject_name, a.subject_role,
		a.subject_key, a.account, a.happened_on, a.happened_time, a.location, a.witnesses, coalesce(a.child_id, 0),
		coalesce(ch.first_name || ' ' || ch.last_name, ''), a.status, a.reported_by, coalesce(rb.name, ''), a.created_at,
		a.acknowledged_at, coalesce(ab.name, ''), coalesce(a.outcome, ''), a.outcome_note, a.outcome_at, coalesce(ob.name, ''),
		a.subject_dob, a.retain_until, a.subject_left_on, a.reviewed_at, a.review_after, a.review_note, a.deleted_at,
		coalesce((SELECT coalesce(s.merged_into, s.id) FROM allegation_subjects s WHERE s.school_id = a.school_id AND s.id = a.subject_id), 0)
	FROM allegations a
	LEFT JOIN children ch ON ch.school_id = a.school_id AND ch.id = a.child_id
	LEFT JOIN users rb ON rb.id = a.reported_by
	LEFT JOIN users ab ON ab.id = a.acknowledged_by
	LEFT JOIN users ob ON ob.id = a.outcome_by`

// get returns the record ref if the transaction's user handles it (the
// check is in the query as well as in row-level security), or db.ErrNotFound.
func get(ctx context.Context, q db.Querier, schoolID int64, ref string) (Allegation, error) {
	return getWhere(ctx, q, schoolID, ref, "")
}

// getForUpdate is get, locking the record's row.
func getForUpdate(ctx context.Context, q db.Querier, schoolID int64, ref string) (Allegation, error) {
	return getWhere(ctx, q, schoolID, ref, " FOR UPDATE OF a")
}

func getWhere(ctx context.Context, q db.Querier, schoolID int64, ref, lock string) (Allegation, error) {
	rows, _ := q.Query(ctx, selectAllegation+`
		WHERE a.school_id = $1 AND a.ref = $2 AND allegation_handler(a.school_id, a.routed_to, a.subject_user_id)`+lock,
		schoolID, ref)
	a, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[Allegation])
	if errors.Is(err, pgx.ErrNoRows) {
		return Allegation{}, db.ErrNotFound
	}
	return a, err
}

// receiptBy returns the receipt of a concern the transaction's user
// reported, found by column ("ref" or "submission_id"), or db.ErrNotFound.
func receiptBy(ctx context.Context, q db.Querier, column, value string) (Receipt, error) {
	if column != "ref" && column != "submission_id" {
		return Receipt{}, fmt.Errorf("receipt by %q", column)
	}
	var r Receipt
	err := q.QueryRow(ctx, `SELECT ref, routed_to, created_at FROM allegation_receipts WHERE `+column+`::text = $1`, value).
		Scan(&r.Ref, &r.RoutedTo, &r.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Receipt{}, db.ErrNotFound
	}
	return r, err
}

// isMember reports whether userID is a member of the school (active or not).
func isMember(ctx context.Context, q db.Querier, schoolID, userID int64) (bool, error) {
	var ok bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM memberships WHERE school_id = $1 AND user_id = $2)`, schoolID, userID).Scan(&ok)
	return ok, err
}

// childOnRoll reports whether childID is a child of the school.
func childOnRoll(ctx context.Context, q db.Querier, schoolID, childID int64) (bool, error) {
	var ok bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM children WHERE school_id = $1 AND id = $2)`, schoolID, childID).Scan(&ok)
	return ok, err
}

// isChair reports whether by is their school's chair of governors.
func isChair(ctx context.Context, q db.Querier, by actor.Actor) (bool, error) {
	var ok bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM school_settings WHERE school_id = $1 AND chair_of_governors = $2)`,
		by.SchoolID, by.UserID).Scan(&ok)
	return ok, err
}

// routeFor decides who handles a concern about the adult with account
// userID (0: none chosen) and name: the chair of governors when they are
// an active head of the school — by account, or, with no account chosen,
// by a head's name — and the head otherwise. It returns the subject's
// account as it should be stored (a head matched by name is linked, so
// they can never see the record).
func routeFor(ctx context.Context, q db.Querier, schoolID, userID int64, name string) (Route, int64, error) {
	rows, _ := q.Query(ctx, `SELECT m.user_id, u.name FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.school_id = $1 AND m.role = 'head' AND m.deactivated_at IS NULL`, schoolID)
	heads, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Person])
	if err != nil {
		return "", 0, err
	}
	for _, h := range heads {
		if userID == h.ID || (userID == 0 && SubjectKey(0, h.Name) == SubjectKey(0, name)) {
			return ToChair, h.ID, nil
		}
	}
	return ToHead, userID, nil
}

// nextRef takes the school's next reference for the year, A-2026-000001.
func nextRef(ctx context.Context, q db.Querier, schoolID int64, year int) (string, error) {
	var n int
	err := q.QueryRow(ctx, `INSERT INTO allegation_ref_counters (school_id, year, last_number) VALUES ($1, $2, 1)
		ON CONFLICT (school_id, year) DO UPDATE SET last_number = allegation_ref_counters.last_number + 1
		RETURNING last_number`, schoolID, year).Scan(&n)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("A-%04d-%06d", year, n), nil
}

// insert stores a report made at created. The reporter may not read the
// row back, so the id is taken first and nothing is RETURNed.
func insert(ctx context.Context, q db.Querier, by actor.Actor, ref, submission string, route Route, r report, created time.Time) error {
	var id int64
	if err := q.QueryRow(ctx, `SELECT nextval(pg_get_serial_sequence('allegations', 'id'))`).Scan(&id); err != nil {
		return err
	}
	var subject, child any
	if r.subjectUserID != 0 {
		subject = r.subjectUserID
	}
	if r.childID != 0 {
		child = r.childID
	}
	_, err := q.Exec(ctx, `INSERT INTO allegations (id, school_id, ref, submission_id, reported_by, routed_to, kind,
			subject_user_id, subject_name, subject_key, subject_role, account, happened_on, happened_time, location, witnesses,
			child_id, created_at)
		VALUES (@id, @school, @ref, @submission, @by, @route, @kind,
			@subject, @name, @key, @role, @account, @happened_on, @happened_time, @location, @witnesses, @child, @created)`,
		pgx.NamedArgs{
			"id": id, "school": by.SchoolID, "ref": ref, "submission": submission, "by": by.UserID, "route": route,
			"kind": r.kind, "subject": subject, "name": r.subjectName, "key": SubjectKey(r.subjectUserID, r.subjectName),
			"role": r.subjectRole, "account": r.account, "happened_on": r.happenedOn, "happened_time": r.happenedTime,
			"location": r.location, "witnesses": r.witnesses, "child": child, "created": created,
		})
	return err
}

// recipients returns the email addresses of those who receive a concern
// routed to route: the school's active heads (never subject), or its
// chair of governors when they are an active member.
func recipients(ctx context.Context, q db.Querier, schoolID int64, route Route, subject int64) ([]string, error) {
	var rows pgx.Rows
	if route == ToChair {
		rows, _ = q.Query(ctx, `SELECT u.email FROM school_settings s
			JOIN memberships m ON m.school_id = s.school_id AND m.user_id = s.chair_of_governors AND m.deactivated_at IS NULL
			JOIN users u ON u.id = m.user_id
			WHERE s.school_id = $1 AND s.chair_of_governors IS DISTINCT FROM $2`, schoolID, subject)
	} else {
		rows, _ = q.Query(ctx, `SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id
			WHERE m.school_id = $1 AND m.role = 'head' AND m.deactivated_at IS NULL AND m.user_id <> $2
			ORDER BY u.id`, schoolID, subject)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

const selectSummary = `SELECT a.ref, a.routed_to, a.kind, a.subject_name, a.subject_role, a.status, coalesce(a.outcome, ''),
		a.created_at, a.deleted_at IS NOT NULL,
		EXISTS (SELECT 1 FROM allegation_lado l WHERE l.school_id = a.school_id AND l.allegation_id = a.id),
		'0001-01-01'::timestamptz, false
	FROM allegations a`

// list returns every record the transaction's user handles: open ones
// first (new before acknowledged), then newest first.
func list(ctx context.Context, q db.Querier, schoolID int64) ([]Summary, error) {
	rows, _ := q.Query(ctx, selectSummary+`
		WHERE a.school_id = $1 AND allegation_handler(a.school_id, a.routed_to, a.subject_user_id)
		ORDER BY a.status = 'closed', a.status <> 'submitted', a.created_at DESC, a.id DESC`, schoolID)
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Summary])
}

// related returns the other records about the person (their first
// identity) that the transaction's user handles, newest first.
func related(ctx context.Context, q db.Querier, schoolID int64, person int64, except string) ([]Summary, error) {
	rows, _ := q.Query(ctx, selectSummary+`
		WHERE a.school_id = $1 AND a.subject_id IN `+personIdentities+` AND a.ref <> $3 AND a.deleted_at IS NULL
		  AND allegation_handler(a.school_id, a.routed_to, a.subject_user_id)
		ORDER BY a.created_at DESC, a.id DESC`, schoolID, person, except)
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Summary])
}

func consultations(ctx context.Context, q db.Querier, schoolID, id int64) ([]Consultation, error) {
	rows, _ := q.Query(ctx, `SELECT l.id, l.consulted_on, l.officer, l.advice, l.reference, coalesce(u.name, ''), l.recorded_at
		FROM allegation_lado l LEFT JOIN users u ON u.id = l.recorded_by
		WHERE l.school_id = $1 AND l.allegation_id = $2 ORDER BY l.consulted_on, l.id`, schoolID, id)
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Consultation])
}

func actions(ctx context.Context, q db.Querier, schoolID, id int64) ([]Action, error) {
	rows, _ := q.Query(ctx, `SELECT a.id, a.kind, a.action_on, a.note, coalesce(u.name, ''), a.recorded_at
		FROM allegation_actions a LEFT JOIN users u ON u.id = a.recorded_by
		WHERE a.school_id = $1 AND a.allegation_id = $2 ORDER BY a.action_on, a.id`, schoolID, id)
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Action])
}

// flagOf is the low-level flag of the person (their first identity), from
// the records the transaction's user handles.
func flagOf(ctx context.Context, q db.Querier, schoolID int64, person int64, r FlagRule, now time.Time) (Flag, error) {
	rows, _ := q.Query(ctx, `SELECT a.created_at FROM allegations a
		WHERE a.school_id = $1 AND a.subject_id IN `+personIdentities+` AND a.kind = 'low_level' AND a.deleted_at IS NULL
		  AND allegation_handler(a.school_id, a.routed_to, a.subject_user_id)`, schoolID, person)
	dates, err := pgx.CollectRows(rows, pgx.RowTo[time.Time])
	if err != nil {
		return Flag{}, err
	}
	last, err := lastReview(ctx, q, schoolID, person)
	if err != nil {
		return Flag{}, err
	}
	return LowLevelFlag(dates, last.At, r, now), nil
}

// PatternReview is a review of the low-level concerns about one adult.
type PatternReview struct {
	Note string
	By   string
	At   time.Time
}

// lastReview is the latest pattern review of the person (their first
// identity), made of any identity of theirs, that the transaction's user
// may see (zero: none).
func lastReview(ctx context.Context, q db.Querier, schoolID int64, person int64) (PatternReview, error) {
	var r PatternReview
	err := q.QueryRow(ctx, `SELECT r.note, coalesce(u.name, ''), r.reviewed_at FROM allegation_pattern_reviews r
		LEFT JOIN users u ON u.id = r.reviewed_by
		WHERE r.school_id = $1 AND r.subject_id IN `+personIdentities+` ORDER BY r.reviewed_at DESC, r.id DESC LIMIT 1`, schoolID, person).
		Scan(&r.Note, &r.By, &r.At)
	if errors.Is(err, pgx.ErrNoRows) {
		return PatternReview{}, nil
	}
	return r, err
}

// settingsOf reads a school's rules, or the defaults.
func settingsOf(ctx context.Context, q db.Querier, schoolID int64) (Settings, error) {
	st := Settings{Retention: DefaultRetention, Flag: DefaultFlagRule}
	err := q.QueryRow(ctx, `SELECT retirement_age, minimum_years, low_level_count, low_level_days
		FROM allegation_settings WHERE school_id = $1`, schoolID).
		Scan(&st.Retention.RetirementAge, &st.Retention.MinimumYears, &st.Flag.Count, &st.Flag.Days)
	if errors.Is(err, pgx.ErrNoRows) {
		return st, nil
	}
	return st, err
}

// ChildNotes returns, in q's transaction, the notes that restricted
// records about adults name the child childID: references and dates only,
// and only of records the transaction's user handles (row-level security
// shows nobody else any). For a child's file (internal/records). Not
// audited here.
func ChildNotes(ctx context.Context, q db.Querier, schoolID, childID int64) ([]ChildNote, error) {
	rows, _ := q.Query(ctx, `SELECT a.ref, a.created_at FROM allegations a
		WHERE a.school_id = $1 AND a.child_id = $2 AND a.deleted_at IS NULL
		  AND ((SELECT current_setting('app.role', true)) = 'system' OR allegation_handler(a.school_id, a.routed_to, a.subject_user_id))
		ORDER BY a.created_at, a.id`, schoolID, childID)
	return pgx.CollectRows(rows, pgx.RowToStructByPos[ChildNote])
}
