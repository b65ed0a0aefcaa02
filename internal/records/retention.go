package records

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/fail"
	"github.com/havenschools/haven/internal/notify"
	"github.com/havenschools/haven/internal/plural"
	"github.com/havenschools/haven/internal/validate"
	"github.com/havenschools/haven/internal/when"
)

// Retention: each child's record has a review date — their date of birth
// plus the school's retention years (25 by default), or the record's
// creation plus those years when the date of birth is not known, or later
// when a review kept it. Records due are the review queue, worked out each
// time from the records themselves (RetentionQueue), listed daily by a job
// that emails the DSL team a link when any are due, and by `haven
// retention run`. A DSL may mark a record "Do not destroy" with a reason,
// which blocks deletion, or keep it to a later review. Deleting needs a
// DSL's and an admin's sign-off (SignOffDeletion); the second deletes the
// child's personal data (migration 00094's retention_delete_child).

// Errors of retention.
var (
	// ErrNotDue: the record's review date has not come.
	ErrNotDue = fail.New(fail.Conflict, "this record is not due for review")
	// ErrDoNotDestroy: the record is on legal hold ("Do not destroy").
	ErrDoNotDestroy = fail.New(fail.Conflict, `this record is on legal hold ("Do not destroy")`)
	// ErrAlreadySigned: the person signed this deletion off already, or
	// signed the other half (one person cannot be both).
	ErrAlreadySigned = fail.New(fail.Conflict, "you have already signed this deletion off")
)

// DueChild is a child's record and its retention facts.
type DueChild struct {
	ChildID      int64
	Name         string
	DateOfBirth  *time.Time
	ReviewOn     time.Time
	Concerns     int  // concerns naming the child, in any role
	DoNotDestroy bool // a legal hold: never reviewed or deleted while on
	DNDReason    string
	// A pending deletion's sign-offs, by name ("" not yet).
	DSLSignedBy   string
	AdminSignedBy string
	// State is where the record stands, by RetentionStateOf at the time
	// it was read.
	State RetentionState `db:"-"`
}

// RetentionState is where a child's record stands in its retention review.
type RetentionState string

// The retention states.
const (
	NotDue      RetentionState = "not_due"      // its review date has not come
	Due         RetentionState = "due"          // due for review: keep, hold or delete it
	OnHold      RetentionState = "on_hold"      // a legal hold ("Do not destroy"): skipped by every review
	DSLSigned   RetentionState = "dsl_signed"   // due, its deletion signed off by a DSL; waiting for an admin
	AdminSigned RetentionState = "admin_signed" // due, its deletion signed off by an admin; waiting for a DSL
)

// Label is the state in words, as the retention pages show it.
func (st RetentionState) Label() string {
	switch st {
	case NotDue:
		return "Not due for review"
	case Due:
		return "Due for review"
	case OnHold:
		return "On legal hold: do not destroy"
	case DSLSigned:
		return "Deletion signed off by a DSL; waiting for an admin"
	case AdminSigned:
		return "Deletion signed off by an admin; waiting for a DSL"
	}
	return string(st)
}

// RetentionStateOf is the one rule for where a child's record stands on
// the day today: a legal hold first (whatever the dates), then not due
// while its review date is after today, then due — with any half of a
// deletion's sign-off.
func RetentionStateOf(d DueChild, today time.Time) RetentionState {
	switch {
	case d.DoNotDestroy:
		return OnHold
	case d.ReviewOn.After(today):
		return NotDue
	case d.DSLSignedBy != "" && d.AdminSignedBy == "":
		return DSLSigned
	case d.AdminSignedBy != "" && d.DSLSignedBy == "":
		return AdminSigned
	}
	return Due
}

// reviewSQL is the review date of child ch: the later of its date of birth
// (or creation) plus the school's retention years, and a review's
// review_after. $1 is the school.
const reviewSQL = `greatest(
	(coalesce(ch.date_of_birth, (ch.created_at AT TIME ZONE 'Europe/London')::date)
	 + make_interval(years => coalesce((SELECT s.retention_years FROM records_settings s WHERE s.school_id = $1), 25)))::date,
	coalesce(r.review_after, '-infinity'::date))`

// Review is the retention review of a school's children's records at a
// time: those due, and those on legal hold, which no review touches.
type Review struct {
	Due  []DueChild // due for review, oldest first (none on hold)
	Held []DueChild // on legal hold, due or not, by review date
}

// RetentionQueue returns the retention review of by's school at now: the
// children's records due for review (review date on or before today),
// oldest first, with pending sign-offs, and apart from them those on legal
// hold, which are skipped. DSLs, the head and admins (who sign deletions
// off) only: anyone else gets ErrForbidden. Audited as retention.view with
// the counts (names are never audited).
func (s *Service) RetentionQueue(ctx context.Context, by actor.Actor) (Review, error) {
	if by.UserID == 0 || (by.Role != actor.Admin && !isTeam(by)) {
		return Review{}, ErrForbidden
	}
	var out Review
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var err error
		if out, err = review(ctx, tx, by.SchoolID, s.now()); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "retention.view", Details: map[string]any{"due": len(out.Due), "held": len(out.Held)}})
	})
	if err != nil {
		return Review{}, fmt.Errorf("retention queue: %w", err)
	}
	return out, nil
}

// retentionRows lists the school's children whose record is due at now or
// on legal hold (only child, due or not, when it is not 0), each with its
// State.
func retentionRows(ctx context.Context, q db.Querier, schoolID int64, now time.Time, child int64) ([]DueChild, error) {
	today := when.Today(now)
	rows, _ := q.Query(ctx, `SELECT ch.id, ch.first_name || ' ' || ch.last_name, ch.date_of_birth, `+reviewSQL+`,
			(SELECT count(*) FROM concern_children cc WHERE cc.school_id = ch.school_id AND cc.child_id = ch.id)::int,
			coalesce(r.do_not_destroy, false), coalesce(r.dnd_reason, ''),
			coalesce((SELECT u.name FROM retention_deletions d JOIN users u ON u.id = d.dsl_by
			          WHERE d.school_id = ch.school_id AND d.child_id = ch.id AND d.status = 'pending'), ''),
			coalesce((SELECT u.name FROM retention_deletions d JOIN users u ON u.id = d.admin_by
			          WHERE d.school_id = ch.school_id AND d.child_id = ch.id AND d.status = 'pending'), '')
		FROM children ch LEFT JOIN child_retention r ON r.school_id = ch.school_id AND r.child_id = ch.id
		WHERE ch.school_id = $1 AND (($3 = 0 AND (`+reviewSQL+` <= $2 OR r.do_not_destroy)) OR ch.id = $3)
		ORDER BY 4, ch.id`, schoolID, today, child)
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[DueChild])
	for i := range list {
		list[i].State = RetentionStateOf(list[i], today)
	}
	return list, err
}

// review splits the school's records due or held at now by RetentionStateOf.
func review(ctx context.Context, q db.Querier, schoolID int64, now time.Time) (Review, error) {
	list, err := retentionRows(ctx, q, schoolID, now, 0)
	if err != nil {
		return Review{}, err
	}
	var r Review
	for _, d := range list {
		if d.State == OnHold {
			r.Held = append(r.Held, d)
		} else {
			r.Due = append(r.Due, d)
		}
	}
	return r, nil
}

// ChildRetention returns the retention facts and state of one child of
// by's school at now (due or not), for their retention page. DSLs, the
// head and admins; an unknown child is db.ErrNotFound. Not audited: the
// child's page is.
func (s *Service) ChildRetention(ctx context.Context, by actor.Actor, childID int64) (DueChild, error) {
	if by.UserID == 0 || (by.Role != actor.Admin && !isTeam(by)) {
		return DueChild{}, ErrForbidden
	}
	var d DueChild
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var err error
		d, err = childRetention(ctx, tx, by.SchoolID, s.now(), childID)
		return err
	})
	if err != nil {
		return DueChild{}, fmt.Errorf("retention of child %d: %w", childID, err)
	}
	return d, nil
}

func childRetention(ctx context.Context, q db.Querier, schoolID int64, now time.Time, childID int64) (DueChild, error) {
	if childID <= 0 {
		return DueChild{}, db.ErrNotFound
	}
	list, err := retentionRows(ctx, q, schoolID, now, childID)
	if err != nil {
		return DueChild{}, err
	}
	if len(list) != 1 {
		return DueChild{}, db.ErrNotFound
	}
	return list[0], nil
}

// SetDoNotDestroy places a legal hold ("Do not destroy") on the record
// of child childID, or lifts it — at any time, due or not — with the
// reason (a problem for "reason" without one). While held, the record is
// skipped by every retention review and cannot be deleted; placing it
// cancels a pending deletion; lifting it leaves the record to fall due on
// its review date as before. DSLs and the head only (ErrForbidden); an
// unknown child is db.ErrNotFound. Audited as retention.do_not_destroy
// with on (never with the reason).
func (s *Service) SetDoNotDestroy(ctx context.Context, by actor.Actor, childID int64, on bool, reason string) error {
	if !isTeam(by) {
		return ErrForbidden
	}
	reason = strings.TrimSpace(reason)
	what := "why the record must not be destroyed"
	if !on {
		what = "why the hold is lifted"
	}
	if msg := validate.Text(reason, what, true, 2000); msg != "" {
		return validate.Problems{"reason": msg}
	}
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		if err := childExists(ctx, tx, by.SchoolID, childID); err != nil {
			return err
		}
		var err error
		if on {
			_, err = tx.Exec(ctx, `INSERT INTO child_retention (school_id, child_id, do_not_destroy, dnd_reason, dnd_set_by, dnd_set_at)
				VALUES ($1, $2, true, $3, $4, now())
				ON CONFLICT (school_id, child_id) DO UPDATE SET do_not_destroy = true, dnd_reason = $3, dnd_set_by = $4, dnd_set_at = now()`,
				by.SchoolID, childID, reason, by.UserID)
		} else {
			_, err = tx.Exec(ctx, `UPDATE child_retention SET do_not_destroy = false, dnd_reason = '',
					hold_lifted_reason = $3, hold_lifted_by = $4, hold_lifted_at = now()
				WHERE school_id = $1 AND child_id = $2`, by.SchoolID, childID, reason, by.UserID)
		}
		if err != nil {
			return err
		}
		if on { // a pending deletion cannot go ahead
			if _, err := tx.Exec(ctx, `UPDATE retention_deletions SET status = 'cancelled'
				WHERE school_id = $1 AND child_id = $2 AND status = 'pending'`, by.SchoolID, childID); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "retention.do_not_destroy", SubjectType: "child",
			SubjectID: strconv.FormatInt(childID, 10), Details: map[string]any{"on": on}})
	})
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		if _, ok := errors.AsType[validate.Problems](err); !ok {
			return fmt.Errorf("do not destroy child %d: %w", childID, err)
		}
	}
	return err
}

// KeepRecord records a review that keeps child childID's record until a
// later review on until (a problem for "until" when it is not after
// today), cancelling any pending deletion. DSLs and the head only.
// Audited as retention.keep.
func (s *Service) KeepRecord(ctx context.Context, by actor.Actor, childID int64, until time.Time) error {
	if !isTeam(by) {
		return ErrForbidden
	}
	if !until.After(when.Today(s.now())) {
		return validate.Problems{"until": "The next review must be after today"}
	}
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		if err := childExists(ctx, tx, by.SchoolID, childID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO child_retention (school_id, child_id, review_after, reviewed_by, reviewed_at)
			VALUES ($1, $2, $3, $4, now())
			ON CONFLICT (school_id, child_id) DO UPDATE SET review_after = $3, reviewed_by = $4, reviewed_at = now()`,
			by.SchoolID, childID, until, by.UserID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE retention_deletions SET status = 'cancelled'
			WHERE school_id = $1 AND child_id = $2 AND status = 'pending'`, by.SchoolID, childID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "retention.keep", SubjectType: "child",
			SubjectID: strconv.FormatInt(childID, 10), Details: map[string]any{"until": until.Format(time.DateOnly)}})
	})
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		return fmt.Errorf("keep record of child %d: %w", childID, err)
	}
	return err
}

func childExists(ctx context.Context, q db.Querier, schoolID, childID int64) error {
	var n int
	if err := q.QueryRow(ctx, `SELECT count(*) FROM children WHERE school_id = $1 AND id = $2`, schoolID, childID).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return db.ErrNotFound
	}
	return nil
}

// Deleted is what a deletion removed.
type Deleted struct {
	Concerns    int `json:"concerns"` // concerns about the child alone, deleted whole
	NamedIn     int `json:"named_in"` // concerns naming other children too, where the child is now "a child whose record was deleted"
	Attachments int `json:"attachments"`
}

// SignOffDeletion records by's sign-off of deleting child childID's
// record, which must be due for review (ErrNotDue) and not marked "Do not
// destroy", a legal hold (ErrDoNotDestroy). A DSL signs one half, an admin the other, in
// either order, never the same person twice (ErrAlreadySigned); the second
// sign-off deletes the child's personal data in the same transaction and
// returns what went (deleted is nil until then). Anyone else gets
// ErrForbidden; an unknown child is db.ErrNotFound. Audited as
// retention.sign_off, and retention.delete with the counts.
func (s *Service) SignOffDeletion(ctx context.Context, by actor.Actor, childID int64) (deleted *Deleted, err error) {
	if by.UserID == 0 || (by.Role != actor.DSL && by.Role != actor.Admin) {
		return nil, ErrForbidden
	}
	err = db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		if err := childExists(ctx, tx, by.SchoolID, childID); err != nil {
			return err
		}
		rec, err := childRetention(ctx, tx, by.SchoolID, s.now(), childID)
		if err != nil {
			return err
		}
		switch rec.State {
		case OnHold:
			return ErrDoNotDestroy
		case NotDue:
			return ErrNotDue
		}
		var id int64
		var dslBy, adminBy *int64
		err = tx.QueryRow(ctx, `SELECT id, dsl_by, admin_by FROM retention_deletions
			WHERE school_id = $1 AND child_id = $2 AND status = 'pending' FOR UPDATE`, by.SchoolID, childID).Scan(&id, &dslBy, &adminBy)
		if errors.Is(err, pgx.ErrNoRows) {
			err = tx.QueryRow(ctx, `INSERT INTO retention_deletions (school_id, child_id) VALUES ($1, $2) RETURNING id`,
				by.SchoolID, childID).Scan(&id)
		}
		if err != nil {
			return err
		}
		mine, other := &dslBy, adminBy
		column := "dsl"
		if by.Role == actor.Admin {
			mine, other, column = &adminBy, dslBy, "admin"
		}
		if *mine != nil || (other != nil && *other == by.UserID) {
			return ErrAlreadySigned
		}
		if _, err := tx.Exec(ctx, `UPDATE retention_deletions SET `+column+`_by = $3, `+column+`_at = now()
			WHERE school_id = $1 AND id = $2`, by.SchoolID, id, by.UserID); err != nil {
			return err
		}
		child := strconv.FormatInt(childID, 10)
		if err := audit.Record(ctx, tx, by, audit.Event{Action: "retention.sign_off", SubjectType: "child", SubjectID: child,
			Details: map[string]any{"as": column, "deletion": id}}); err != nil {
			return err
		}
		if other == nil {
			return nil
		}
		var removed []byte
		if err := tx.QueryRow(ctx, `SELECT retention_delete_child($1)`, id).Scan(&removed); err != nil {
			return err
		}
		var d Deleted
		if err := json.Unmarshal(removed, &d); err != nil {
			return err
		}
		deleted = &d
		return audit.Record(ctx, tx, by, audit.Event{Action: "retention.delete", SubjectType: "child", SubjectID: child,
			Details: map[string]any{"deletion": id, "concerns": d.Concerns, "named_in": d.NamedIn, "attachments": d.Attachments}})
	})
	switch {
	case err == nil:
		return deleted, nil
	case errors.Is(err, db.ErrNotFound), errors.Is(err, ErrNotDue), errors.Is(err, ErrDoNotDestroy), errors.Is(err, ErrAlreadySigned):
		return nil, err
	}
	return nil, fmt.Errorf("sign off deletion of child %d: %w", childID, err)
}

// RetentionReviewArgs is the daily job that lists each school's records
// due for review and emails its DSL team a link when any are.
type RetentionReviewArgs struct{}

// Kind names the job for River.
func (RetentionReviewArgs) Kind() string { return "records_retention_review" }

type retentionWorker struct {
	river.WorkerDefaults[RetentionReviewArgs]
	s *Service
}

// Work runs the review for every school.
func (w *retentionWorker) Work(ctx context.Context, _ *river.Job[RetentionReviewArgs]) error {
	_, err := w.s.ReviewRetention(ctx, nil)
	return err
}

// SchoolReview is one school's records due for review.
type SchoolReview struct {
	SchoolID int64
	Children []DueChild // due for review (none on legal hold)
	Held     []DueChild // on legal hold: skipped
	Emailed  bool       // the DSL team was emailed today's reminder
}

// ReviewRetention lists, for every school (or those in only), the
// children's records due for review today, as the system, skipping those
// on legal hold (listed apart, in Held, so the run can say so). Once a day per
// school with any due, it records the run and — with a job client — emails
// the school's DSLs a link to the review queue (never a name), audited as
// retention.review. `haven retention run` and the daily job call it.
func (s *Service) ReviewRetention(ctx context.Context, only []int64) ([]SchoolReview, error) {
	schools := only
	if schools == nil {
		var err error
		if schools, err = schoolIDs(ctx, s.pool); err != nil {
			return nil, err
		}
	}
	now := s.now()
	var out []SchoolReview
	for _, school := range schools {
		sys := actor.SystemIn(school)
		r := SchoolReview{SchoolID: school}
		err := db.InSchool(ctx, s.pool, sys, func(tx pgx.Tx) error {
			rv, err := review(ctx, tx, school, now)
			if err != nil {
				return err
			}
			r.Children, r.Held = rv.Due, rv.Held
			if len(r.Children) == 0 {
				return nil
			}
			tag, err := tx.Exec(ctx, `INSERT INTO retention_runs (school_id, run_on, due) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
				school, when.Today(now), len(r.Children))
			if err != nil || tag.RowsAffected() == 0 {
				return err
			}
			r.Emailed = true
			if err := s.emailTeam(ctx, tx, school, "Records due for a retention review",
				fmt.Sprintf("%s in Haven due for a retention review: keep them, mark them "+
					"\"Do not destroy\", or sign their deletion off (a DSL and an admin).\n\nSee the review queue "+
					"(you will be asked to sign in):\n%s/retention\n", plural.Count(len(r.Children), "child's record is", "children's records are"), s.baseURL)); err != nil {
				return err
			}
			return audit.Record(ctx, tx, sys, audit.Event{Action: "retention.review", Details: map[string]any{"due": len(r.Children)}})
		})
		if err != nil {
			return nil, fmt.Errorf("retention review of school %d: %w", school, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// emailTeam enqueues an email to the school's DSLs (a link, no detail).
func (s *Service) emailTeam(ctx context.Context, tx pgx.Tx, schoolID int64, subject, text string) error {
	if s.jobs == nil {
		return nil
	}
	rows, _ := tx.Query(ctx, `SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.school_id = $1 AND m.role = 'dsl' AND m.deactivated_at IS NULL ORDER BY u.id`, schoolID)
	emails, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(emails) == 0 {
		return err
	}
	var jobs []river.InsertManyParams
	for _, to := range emails {
		jobs = append(jobs, river.InsertManyParams{Args: notify.EmailArgs{To: to, Subject: subject,
			Text: text + "\nFor the children's safety this email holds no names or details.\n"}})
	}
	_, err = s.jobs.InsertManyTx(ctx, tx, jobs)
	return err
}
