package allegation

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/fail"
	"github.com/havenschools/haven/internal/validate"
	"github.com/havenschools/haven/internal/when"
)

// Retention of concerns about adults (docs/allegations.md). Their own
// rules, not a child's file's: substantiated, unsubstantiated and
// unfounded allegations are kept until the person's normal retirement age
// or for MinimumYears from the report, whichever is later; false and
// malicious allegations are removed; low-level concerns are reviewed when
// the person leaves. A record due for review is either kept for another
// year (KeepAfterReview, with a reason) or has its personal data removed
// once two people have signed off (SignOff, then Delete): first its
// handler, then a second head, admin or chair of governors, who sees only
// its reference, kind, outcome and dates. What is left of a removed record
// is its reference, kind, outcome and dates — no names, no account —, and
// the audit trail, which never held any, still verifies.

// Errors of removal.
var (
	// ErrNotDue: the record is not due for review or removal.
	ErrNotDue = fail.New(fail.Conflict, "the record is not due for removal")
	// ErrNotSignedOff: removal needs two people's sign-offs since the last
	// review, one of them the record's handler.
	ErrNotSignedOff = fail.New(fail.Conflict, "removing a record needs two sign-offs, one of them by its handler")
)

// Due is a record due for review or removal.
type Due struct {
	ID       int64
	Ref      string
	RoutedTo Route
	Kind     Kind
	Outcome  Outcome
	DueOn    time.Time
	Reason   string // why it is due, in words
	DOBKnown bool
	// SignOffs since the last review, and whether the handler's is one.
	SignOffs         int
	HandlerSignedOff bool
	Signers          []SignOff // filled by Service.Retention, not by DueForReview
}

// Ready reports whether Delete may remove the record now: two sign-offs,
// one of them its handler's.
func (d Due) Ready() bool { return d.SignOffs >= 2 && d.HandlerSignedOff }

// retentionFacts are what the retention rule reads of a record.
type retentionFacts struct {
	ID          int64
	Ref         string
	RoutedTo    Route
	Kind        Kind
	Outcome     Outcome
	OutcomeAt   *time.Time
	DOBKnown    bool
	RetainUntil *time.Time
	LeftOn      *time.Time
	ReviewedAt  *time.Time
	ReviewAfter *time.Time
	Deleted     bool
	SignOffs    int
	HandlerSign bool
	Held        bool // a legal hold: never due while it is on
}

// due reports whether the record is due for review or removal on day,
// when, and why. A record on legal hold is never due.
func (f retentionFacts) due(day time.Time) (bool, time.Time, string) {
	if f.Deleted || f.Held || (f.ReviewAfter != nil && f.ReviewAfter.After(day)) {
		return false, time.Time{}, ""
	}
	on := func(t time.Time) time.Time {
		if f.ReviewAfter != nil && f.ReviewAfter.After(t) {
			return *f.ReviewAfter
		}
		return t
	}
	switch {
	case f.Outcome.Removed():
		at := day
		if f.OutcomeAt != nil {
			at = today(*f.OutcomeAt)
		}
		return true, on(at), "The allegation was found to be " + lower(f.Outcome.Label()) + ": its record is removed from the person's file."
	case f.RetainUntil != nil && !f.RetainUntil.After(day):
		why := "Kept until " + when.Day(*f.RetainUntil) + " (normal retirement age or the least number of years, whichever was later)."
		if !f.DOBKnown {
			why += " Their date of birth was not recorded: check they have reached normal retirement age before removing it."
		}
		return true, on(*f.RetainUntil), why
	case f.Kind == LowLevel && f.LeftOn != nil && !f.LeftOn.After(day):
		return true, on(*f.LeftOn), "A low-level concern about someone who left on " + when.Day(*f.LeftOn) +
			": review whether it is still needed (for a reference, say)."
	}
	return false, time.Time{}, ""
}

func lower(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]|0x20) + s[1:]
}

// retentionColumns are retentionFacts' columns, on a (the allegations table
// or the allegation_retention view) with dob_known and the legal hold given
// as expressions (the view leaves held records out: "false" there).
func retentionColumns(dobKnown, held string) string {
	return `a.id, a.ref, a.routed_to, a.kind, coalesce(a.outcome, ''), a.outcome_at, ` + dobKnown + `, a.retain_until,
		a.subject_left_on, a.reviewed_at, a.review_after, a.deleted_at IS NOT NULL,
		(SELECT count(*) FROM allegation_signoffs s WHERE s.school_id = a.school_id AND s.allegation_id = a.id
		  AND s.signed_at > coalesce(a.reviewed_at, '-infinity')),
		EXISTS (SELECT 1 FROM allegation_signoffs s WHERE s.school_id = a.school_id AND s.allegation_id = a.id
		  AND s.signed_at > coalesce(a.reviewed_at, '-infinity') AND s.handler), ` + held
}

// maybeDue narrows a query to records that may be due: not removed, with
// an outcome to remove, a date kept until, or a person who left.
const maybeDue = ` AND a.deleted_at IS NULL AND (a.outcome IN ('false', 'malicious') OR a.retain_until IS NOT NULL OR a.subject_left_on IS NOT NULL)`

func dueList(facts []retentionFacts, now time.Time) []Due {
	var out []Due
	for _, f := range facts {
		ok, on, why := f.due(today(now))
		if !ok {
			continue
		}
		out = append(out, Due{ID: f.ID, Ref: f.Ref, RoutedTo: f.RoutedTo, Kind: f.Kind, Outcome: f.Outcome, DueOn: on, Reason: why,
			DOBKnown: f.DOBKnown, SignOffs: f.SignOffs, HandlerSignedOff: f.HandlerSign})
	}
	slices.SortStableFunc(out, func(a, b Due) int { return a.DueOn.Compare(b.DueOn) })
	return out
}

// DueForReview returns, in q's transaction, the school's concerns about
// adults that are due for review or removal at now, oldest due first, with
// their sign-offs; records on legal hold are never among them (Held lists
// those). For `haven retention run`: run it as the system
// (db.InSchool with actor.SystemIn) or as the owner; any other reader sees
// only what row-level security lets them. It reads only, and audits nothing.
func DueForReview(ctx context.Context, q db.Querier, schoolID int64, now time.Time) ([]Due, error) {
	rows, _ := q.Query(ctx, `SELECT `+retentionColumns("a.subject_dob IS NOT NULL", "a.legal_hold")+`
		FROM allegations a WHERE a.school_id = $1`+maybeDue+` ORDER BY a.created_at, a.id`, schoolID)
	facts, err := pgx.CollectRows(rows, pgx.RowToStructByPos[retentionFacts])
	if err != nil {
		return nil, fmt.Errorf("allegations due for review: %w", err)
	}
	return dueList(facts, now), nil
}

// Held returns, in q's transaction, the references of the school's
// concerns about adults on legal hold, which no review or removal touches:
// for `haven retention run` to say it skipped them. Run it as the system
// or the owner. It reads only, and audits nothing.
func Held(ctx context.Context, q db.Querier, schoolID int64) ([]string, error) {
	rows, _ := q.Query(ctx, `SELECT ref FROM allegations WHERE school_id = $1 AND legal_hold AND deleted_at IS NULL
		ORDER BY created_at, id`, schoolID)
	refs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("allegations on legal hold: %w", err)
	}
	return refs, nil
}

// Delete removes, in q's transaction at now, the personal data of the
// record id of the school: its subject, account, dates, places, witnesses, child,
// LADO consultations, actions and outcome summary (and the pattern reviews
// of its subject when no other record about them is left). What remains is
// its reference, kind, outcome and dates. It refuses a record not due
// (ErrNotDue) or without two sign-offs since its last review, one of them
// its handler's (ErrNotSignedOff); a record already removed is left as it
// is. Audited as allegation.remove by by (the system, for `haven retention
// run`), naming who signed off. Run it as the system or the owner.
func Delete(ctx context.Context, q db.Querier, by actor.Actor, schoolID, id int64, now time.Time) error {
	rows, _ := q.Query(ctx, `SELECT `+retentionColumns("a.subject_dob IS NOT NULL", "a.legal_hold")+`
		FROM allegations a WHERE a.school_id = $1 AND a.id = $2 FOR UPDATE OF a`, schoolID, id)
	f, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[retentionFacts])
	if errors.Is(err, pgx.ErrNoRows) {
		return db.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("remove allegation %d: %w", id, err)
	}
	if f.Deleted {
		return nil
	}
	if ok, _, _ := f.due(today(now)); !ok {
		return ErrNotDue
	}
	if f.SignOffs < 2 || !f.HandlerSign {
		return ErrNotSignedOff
	}
	signers, err := signOffs(ctx, q, schoolID, id, f.ReviewedAt)
	if err != nil {
		return err
	}
	var key string
	if err := q.QueryRow(ctx, `SELECT subject_key FROM allegations WHERE school_id = $1 AND id = $2`, schoolID, id).Scan(&key); err != nil {
		return err
	}
	for _, stmt := range []string{
		`DELETE FROM allegation_lado WHERE school_id = $1 AND allegation_id = $2`,
		`DELETE FROM allegation_actions WHERE school_id = $1 AND allegation_id = $2`,
		`UPDATE allegations SET subject_user_id = NULL, subject_name = '', subject_key = '', subject_role = '', account = '',
			happened_on = NULL, happened_approx = false, happened_time = '', location = '', witnesses = '', child_id = NULL,
			outcome_note = '', subject_dob = NULL, subject_left_on = NULL, review_note = '', hold_lifted_reason = '', deleted_at = now()
		WHERE school_id = $1 AND id = $2`,
	} {
		if _, err := q.Exec(ctx, stmt, schoolID, id); err != nil {
			return fmt.Errorf("remove allegation %d: %w", id, err)
		}
	}
	if _, err := q.Exec(ctx, `DELETE FROM allegation_pattern_reviews r WHERE r.school_id = $1 AND r.subject_key = $2
		AND NOT EXISTS (SELECT 1 FROM allegations a WHERE a.school_id = r.school_id AND a.subject_key = r.subject_key)`,
		schoolID, key); err != nil {
		return fmt.Errorf("remove allegation %d: pattern reviews: %w", id, err)
	}
	var ids []int64
	for _, s := range signers {
		ids = append(ids, s.UserID)
	}
	return audit.Record(ctx, q, by, audit.Event{Action: "allegation.remove", SubjectType: "allegation", SubjectID: f.Ref,
		Details: map[string]any{"outcome": string(f.Outcome), "kind": string(f.Kind), "signed_off_by": ids}})
}

// signOffs returns a record's sign-offs since the review at reviewed (nil: ever).
func signOffs(ctx context.Context, q db.Querier, schoolID, id int64, reviewed *time.Time) ([]SignOff, error) {
	rows, _ := q.Query(ctx, `SELECT s.user_id, coalesce(u.name, ''), s.handler, s.signed_at
		FROM allegation_signoffs s LEFT JOIN users u ON u.id = s.user_id
		WHERE s.school_id = $1 AND s.allegation_id = $2 AND s.signed_at > coalesce($3, '-infinity'::timestamptz)
		ORDER BY s.signed_at`, schoolID, id, reviewed)
	return pgx.CollectRows(rows, pgx.RowToStructByPos[SignOff])
}

// retentionOf is where the record a stands under rule at now.
func retentionOf(ctx context.Context, q db.Querier, schoolID int64, a Allegation, rule RetentionRule, now time.Time) (Retention, error) {
	r := Retention{Rule: rule, Until: a.RetainUntil, Remove: a.Outcome.Removed()}
	switch a.Outcome {
	case Substantiated, Unsubstantiated, Unfounded:
		r.DOBMissing = a.SubjectDOB == nil
	}
	hold, err := holdOf(ctx, q, schoolID, a.ID)
	if err != nil {
		return Retention{}, err
	}
	f := retentionFacts{Kind: a.Kind, Outcome: a.Outcome, OutcomeAt: a.OutcomeAt, DOBKnown: a.SubjectDOB != nil,
		RetainUntil: a.RetainUntil, LeftOn: a.SubjectLeftOn, ReviewedAt: a.ReviewedAt, ReviewAfter: a.ReviewAfter, Deleted: a.Removed(),
		Held: hold.On}
	r.Due, _, r.Reason = f.due(today(now))
	r.SignOffs, err = signOffs(ctx, q, schoolID, a.ID, a.ReviewedAt)
	return r, err
}

// LegalHold is a record's legal hold: while On, it is never due for review
// or removal.
type LegalHold struct {
	On     bool
	Reason string // why it is held ("" when not)
}

func holdOf(ctx context.Context, q db.Querier, schoolID, id int64) (LegalHold, error) {
	var h LegalHold
	err := q.QueryRow(ctx, `SELECT legal_hold, hold_reason FROM allegations WHERE school_id = $1 AND id = $2`, schoolID, id).Scan(&h.On, &h.Reason)
	if errors.Is(err, pgx.ErrNoRows) {
		return LegalHold{}, db.ErrNotFound
	}
	return h, err
}

// FieldHoldReason is the form field of a legal hold's reason.
const FieldHoldReason = "hold_reason"

// Hold returns the legal hold of the record ref, for its handler (anyone
// else, or an unknown ref: db.ErrNotFound). Not audited: the record's page is.
func (s *Service) Hold(ctx context.Context, by actor.Actor, ref string) (LegalHold, error) {
	var h LegalHold
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		if err := mustHandle(ctx, tx, by); err != nil {
			return err
		}
		a, err := get(ctx, tx, by.SchoolID, ref)
		if err != nil {
			return err
		}
		h, err = holdOf(ctx, tx, by.SchoolID, a.ID)
		return err
	})
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		return LegalHold{}, fmt.Errorf("legal hold of %s: %w", ref, err)
	}
	return h, err
}

// SetLegalHold places a legal hold on the record ref (on), or lifts it, at
// any time — due or not — with the reason (a problem for FieldHoldReason
// without one). While held the record is never due for review or removal,
// so no one can sign its removal off, and `haven retention run` skips it;
// placing the hold voids sign-offs made so far (they count only since the
// last review, which placing it records). Its handler only (the head, or
// the chair of governors when it is about the head): anyone else, or an
// unknown ref, is db.ErrNotFound. Audited as allegation.hold with on
// (never with the reason).
func (s *Service) SetLegalHold(ctx context.Context, by actor.Actor, ref string, on bool, reason string) error {
	reason = strings.TrimSpace(reason)
	what := "why the record must not be destroyed"
	if !on {
		what = "why the hold is lifted"
	}
	if msg := validate.Text(reason, what, true, 2000); msg != "" {
		return validate.Problems{FieldHoldReason: msg}
	}
	now := s.now()
	return s.change(ctx, by, ref, FieldHoldReason, func(tx pgx.Tx, a Allegation) error {
		var err error
		if on {
			// reviewed_at = now: sign-offs before the hold no longer count.
			_, err = tx.Exec(ctx, `UPDATE allegations SET legal_hold = true, hold_reason = $3, hold_set_by = $4, hold_set_at = $5,
					reviewed_at = $5 WHERE school_id = $1 AND id = $2`, by.SchoolID, a.ID, reason, by.UserID, now)
		} else {
			_, err = tx.Exec(ctx, `UPDATE allegations SET legal_hold = false, hold_reason = '', hold_lifted_reason = $3,
					hold_lifted_by = $4, hold_lifted_at = $5 WHERE school_id = $1 AND id = $2`, by.SchoolID, a.ID, reason, by.UserID, now)
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "allegation.hold", SubjectType: "allegation", SubjectID: ref,
			Details: map[string]any{"on": on}})
	})
}

// Retention returns the concerns about adults due for review or removal
// that by may sign off — the school's heads, admins and chair of
// governors, never about themselves — with who has signed off so far,
// and audits allegation.retention_list. Handlers see them on each record
// too; a second person sees only references, kinds, outcomes and dates.
// Anyone else gets db.ErrNotFound.
func (s *Service) Retention(ctx context.Context, by actor.Actor) ([]Due, error) {
	now := s.now()
	var out []Due
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		if err := mayDecideRemoval(ctx, tx, by); err != nil {
			return err
		}
		rows, _ := tx.Query(ctx, `SELECT `+retentionColumns("a.dob_known", "false")+`
			FROM allegation_retention a WHERE a.school_id = $1`+maybeDue+` ORDER BY a.created_at, a.id`, by.SchoolID)
		facts, err := pgx.CollectRows(rows, pgx.RowToStructByPos[retentionFacts])
		if err != nil {
			return err
		}
		out = dueList(facts, now)
		for i := range out {
			var reviewed *time.Time
			for _, f := range facts {
				if f.ID == out[i].ID {
					reviewed = f.ReviewedAt
				}
			}
			if out[i].Signers, err = signOffs(ctx, tx, by.SchoolID, out[i].ID, reviewed); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "allegation.retention_list", Details: map[string]any{"count": len(out)}})
	})
	if err != nil {
		return nil, fmt.Errorf("concerns about adults due for review: %w", err)
	}
	return out, nil
}

// mayDecideRemoval returns db.ErrNotFound unless by is a head, an admin or
// the chair of governors of their school.
func mayDecideRemoval(ctx context.Context, q db.Querier, by actor.Actor) error {
	if by.UserID == 0 {
		return db.ErrNotFound
	}
	if by.Role == actor.Head || by.Role == actor.Admin {
		return nil
	}
	ok, err := isChair(ctx, q, by)
	if err != nil {
		return err
	}
	if !ok {
		return db.ErrNotFound
	}
	return nil
}

// SignOff records by's agreement to remove the personal data of the record
// ref, due for removal. The record's handler signs off first; a second
// person — another head, an admin or the chair of governors, never the
// record's subject — then signs off from its reference and dates, and the
// record's personal data is removed at once (Delete, as the system, in a
// second transaction: if that fails, `haven retention run` removes it).
// removed says whether it was. Audited as allegation.sign_off. Anyone who
// may not sign off gets db.ErrNotFound; a record not due, a second
// sign-off by the same person, or a second person before the handler are
// problems on FieldSignOff.
func (s *Service) SignOff(ctx context.Context, by actor.Actor, ref string) (removed bool, err error) {
	now := s.now()
	var id int64
	ready := false
	err = db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		if err := mayDecideRemoval(ctx, tx, by); err != nil {
			return err
		}
		rows, _ := tx.Query(ctx, `SELECT `+retentionColumns("a.dob_known", "false")+`
			FROM allegation_retention a WHERE a.school_id = $1 AND a.ref = $2`, by.SchoolID, ref)
		f, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[retentionFacts])
		if errors.Is(err, pgx.ErrNoRows) {
			return db.ErrNotFound
		}
		if err != nil {
			return err
		}
		id = f.ID
		if ok, _, _ := f.due(today(now)); !ok {
			return validate.Problems{FieldSignOff: "This record is not due for removal"}
		}
		var handler bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM allegations a WHERE a.school_id = $1 AND a.id = $2
			AND allegation_handler(a.school_id, a.routed_to, a.subject_user_id))`, by.SchoolID, f.ID).Scan(&handler); err != nil {
			return err
		}
		signers, err := signOffs(ctx, tx, by.SchoolID, f.ID, f.ReviewedAt)
		if err != nil {
			return err
		}
		if slices.ContainsFunc(signers, func(s SignOff) bool { return s.UserID == by.UserID }) {
			return validate.Problems{FieldSignOff: "You have already signed off: a second person must sign off too"}
		}
		if !handler && !f.HandlerSign {
			return validate.Problems{FieldSignOff: "The headteacher or chair of governors who handles this record signs off first"}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO allegation_signoffs (school_id, allegation_id, user_id, handler, signed_at)
			VALUES ($1, $2, $3, $4, $5)`, by.SchoolID, f.ID, by.UserID, handler, now); err != nil {
			return err
		}
		ready = len(signers)+1 >= 2
		return audit.Record(ctx, tx, by, audit.Event{Action: "allegation.sign_off", SubjectType: "allegation", SubjectID: ref,
			Details: map[string]any{"handler": handler}})
	})
	if _, ok := errors.AsType[validate.Problems](err); ok || errors.Is(err, db.ErrNotFound) {
		return false, err
	}
	if err != nil {
		return false, fmt.Errorf("sign off removing %s: %w", ref, err)
	}
	if !ready {
		return false, nil
	}
	sys := actor.SystemIn(by.SchoolID)
	sys.Source = by.Source
	err = db.InSchool(ctx, s.pool, sys, func(tx pgx.Tx) error { return Delete(ctx, tx, sys, by.SchoolID, id, now) })
	if err != nil {
		return false, fmt.Errorf("remove %s after two sign-offs: %w", ref, err)
	}
	return true, nil
}
