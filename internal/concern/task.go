package concern

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/validate"
	"github.com/havenschools/haven/internal/when"
)

// TaskKind is why a task exists.
type TaskKind string

// The kinds of task.
const (
	// TaskFollowUp is an action's follow-up date.
	TaskFollowUp TaskKind = "follow_up"
	// TaskChase is a referral with no feedback one working day after it was made.
	TaskChase TaskKind = "referral_chase"
)

// TaskOutcome is how a task ended (concern_tasks.outcome).
type TaskOutcome string

// The ways a task ends. A task ends only when someone marks it done or
// the thing it waits for arrives; closing a concern ends none.
const (
	OutcomeDone      TaskOutcome = "done"       // marked done (a follow-up)
	OutcomeFeedback  TaskOutcome = "feedback"   // the referral's feedback was recorded
	OutcomeChased    TaskOutcome = "chased"     // the agency chased again: a new chase follows
	OutcomeNotNeeded TaskOutcome = "not_needed" // no longer needed, with the DSL's note
	OutcomeClosed    TaskOutcome = "closed"     // ended by closing the concern, before issue 15
)

// Title says in the chronology how the task t ended.
func (o TaskOutcome) Title(t Task) string {
	what := "Follow-up"
	if t.Kind == TaskChase {
		what = "Chase"
	} else if t.ActionKind != "" {
		what = "Follow-up of the " + strings.ToLower(t.ActionKind.Label())
	}
	switch o {
	case OutcomeDone:
		return what + " marked done"
	case OutcomeFeedback:
		return what + " ended: the agency's feedback was recorded"
	case OutcomeChased:
		return "Referral chased again"
	case OutcomeNotNeeded:
		return what + " ended: no longer needed"
	case OutcomeClosed:
		return what + " ended when the concern was closed"
	}
	return what + " ended"
}

// Task is something a DSL must do about a concern by a date.
type Task struct {
	ID         int64
	Kind       TaskKind
	DueOn      time.Time
	ConcernRef string
	Children   string     // the children the concern is about
	ActionKind ActionKind // the action it comes from
	AssignedTo int64
	Assignee   string
	DoneAt     *time.Time
}

// Label says what to do.
func (t Task) Label() string {
	switch t.Kind {
	case TaskChase:
		return "Chase the referral: no feedback yet"
	case TaskFollowUp:
		return "Follow up: " + t.ActionKind.Label()
	}
	return string(t.Kind)
}

// Overdue reports whether the task was due before the date today.
func (t Task) Overdue(today time.Time) bool { return t.DoneAt == nil && t.DueOn.Before(today) }

// addTask adds a task for an action of a concern.
func addTask(ctx context.Context, q db.Querier, schoolID, concernID, actionID int64, kind TaskKind, due time.Time, to int64) error {
	_, err := q.Exec(ctx, `INSERT INTO concern_tasks (school_id, concern_id, action_id, kind, due_on, assigned_to)
		VALUES ($1, $2, $3, $4, $5, $6)`, schoolID, concernID, actionID, kind, due, to)
	return err
}

const taskColumns = `t.id, t.kind, t.due_on, c.ref, ` + subjectNamesSQL + `, coalesce(a.kind, ''), t.assigned_to,
	coalesce(u.name, ''), t.done_at`

const taskJoins = `FROM concern_tasks t
	JOIN concerns c ON c.school_id = t.school_id AND c.id = t.concern_id
	LEFT JOIN concern_actions a ON a.school_id = t.school_id AND a.id = t.action_id
	LEFT JOIN users u ON u.id = t.assigned_to`

// concernTasks returns a concern's open tasks, soonest first.
func concernTasks(ctx context.Context, q db.Querier, schoolID, concernID int64) ([]Task, error) {
	rows, _ := q.Query(ctx, `SELECT `+taskColumns+` `+taskJoins+`
		WHERE t.school_id = $1 AND t.concern_id = $2 AND t.done_at IS NULL ORDER BY t.due_on, t.id`, schoolID, concernID)
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Task])
}

// MyTasks lists the open tasks assigned to the DSL by — follow-ups and
// referral chases — overdue first, then by due date. A closed concern's
// open tasks are listed (closing ends no task); a concern entered in error
// has none. DSLs only (anyone else:
// db.ErrNotFound). It reads only names and dates: not audited.
func (s *Service) MyTasks(ctx context.Context, by actor.Actor) ([]Task, error) {
	if !isDSL(by) {
		return nil, db.ErrNotFound
	}
	var out []Task
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, `SELECT `+taskColumns+` `+taskJoins+`
			WHERE t.school_id = $1 AND t.assigned_to = $2 AND t.done_at IS NULL AND c.entered_in_error_at IS NULL
			  AND concern_visible_to(c.school_id, c.id, c.restricted, $2)
			ORDER BY t.due_on, t.id LIMIT 500`, by.SchoolID, by.UserID)
		var err error
		out, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Task])
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list my tasks: %w", err)
	}
	return out, nil
}

// CountMyTasks returns how many of by's open tasks are due by the date
// today (London), for a count beside "My tasks".
func (s *Service) CountMyTasks(ctx context.Context, by actor.Actor) (int, error) {
	if !isDSL(by) {
		return 0, nil
	}
	var n int
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM concern_tasks t
			JOIN concerns c ON c.school_id = t.school_id AND c.id = t.concern_id
			WHERE t.school_id = $1 AND t.assigned_to = $2 AND t.done_at IS NULL AND c.entered_in_error_at IS NULL
			  AND t.due_on <= $3 AND concern_visible_to(c.school_id, c.id, c.restricted, $2)`, by.SchoolID, by.UserID, when.Today(s.now())).Scan(&n)
	})
	if err != nil {
		return 0, fmt.Errorf("count my tasks: %w", err)
	}
	return n, nil
}

// CompleteTask marks a follow-up task done. Any DSL who may see its
// concern may do it; an unknown, done or hidden task is db.ErrNotFound, and
// so is a referral chase, which ends with what happened (EndChase). Audited as
// task.done on the concern.
func (s *Service) CompleteTask(ctx context.Context, by actor.Actor, taskID int64) error {
	if !isDSL(by) {
		return db.ErrNotFound
	}
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var ref string
		err := tx.QueryRow(ctx, `UPDATE concern_tasks t SET done_at = now(), done_by = $3, outcome = 'done'
			FROM concerns c
			WHERE t.school_id = $1 AND t.id = $2 AND t.done_at IS NULL AND t.kind = 'follow_up'
			  AND c.school_id = t.school_id AND c.id = t.concern_id AND concern_visible_to(c.school_id, c.id, c.restricted, $3)
			RETURNING c.ref`, by.SchoolID, taskID, by.UserID).Scan(&ref)
		if errors.Is(err, pgx.ErrNoRows) {
			return db.ErrNotFound
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "task.done", SubjectType: "concern", SubjectID: ref,
			Details: map[string]any{"task_id": strconv.FormatInt(taskID, 10)}})
	})
	if err != nil {
		return fmt.Errorf("complete task %d: %w", taskID, err)
	}
	return nil
}

// ChaseForm is "Close the chase" as typed: what happened to a referral
// chase, and a note.
type ChaseForm struct {
	Outcome string // "feedback", "chased" or "not_needed"
	Note    string
}

// Fields of the chase form.
const (
	FieldChaseOutcome = "chase_outcome"
	FieldChaseNote    = "chase_note"
)

// ChaseOutcomes are the answers to "What happened?", in the form's order.
func ChaseOutcomes() []TaskOutcome {
	return []TaskOutcome{OutcomeFeedback, OutcomeChased, OutcomeNotNeeded}
}

// ChaseLabel is the answer in words.
func (o TaskOutcome) ChaseLabel() string {
	switch o {
	case OutcomeFeedback:
		return "Feedback received"
	case OutcomeChased:
		return "Chased again"
	case OutcomeNotNeeded:
		return "No longer needed"
	}
	return string(o)
}

func (f ChaseForm) check() validate.Problems {
	p := validate.Problems{}
	switch TaskOutcome(f.Outcome) {
	case OutcomeFeedback:
		if msg := textProblem(f.Note, "the agency's feedback", MaxReasonChars, true); msg != "" {
			p.Add(FieldChaseNote, msg)
		}
	case OutcomeNotNeeded:
		if msg := textProblem(f.Note, "why the chase is no longer needed", MaxReasonChars, true); msg != "" {
			p.Add(FieldChaseNote, msg)
		}
	case OutcomeChased:
		if msg := textProblem(f.Note, "the note", MaxReasonChars, false); msg != "" {
			p.Add(FieldChaseNote, msg)
		}
	default:
		p.Add(FieldChaseOutcome, "Select what happened")
	}
	return p
}

// OpenChase returns the open referral chase taskID, for "Close the chase",
// to a DSL who may see its concern; anyone else, a done task, a follow-up or
// a concern entered in error is db.ErrNotFound. It reads only names and
// dates: not audited.
func (s *Service) OpenChase(ctx context.Context, by actor.Actor, taskID int64) (Task, error) {
	if !isDSL(by) {
		return Task{}, db.ErrNotFound
	}
	var t Task
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, `SELECT `+taskColumns+` `+taskJoins+`
			WHERE t.school_id = $1 AND t.id = $2 AND t.kind = 'referral_chase' AND t.done_at IS NULL AND c.entered_in_error_at IS NULL
			  AND concern_visible_to(c.school_id, c.id, c.restricted, $3)`, by.SchoolID, taskID, by.UserID)
		var err error
		t, err = pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[Task])
		if errors.Is(err, pgx.ErrNoRows) {
			return db.ErrNotFound
		}
		return err
	})
	if err != nil {
		return Task{}, fmt.Errorf("task %d: %w", taskID, err)
	}
	return t, nil
}

// EndChase ends the open referral chase taskID with what happened (issue
// 15): the agency's feedback received (the note is the feedback, recorded
// on the referral as RecordFeedback records it, which is what ends the
// chase), chased again (a note if any; a new chase, assigned as this one
// was, falls due the next working day of the school's calendar, so nothing
// is lost), or no longer needed (a note of why, required). The chronology
// shows the chase's end and its note. Form problems are validate.Problems;
// an unknown, done, hidden or non-chase task, or one of a concern entered
// in error, is db.ErrNotFound. One transaction, audited as task.chase_end
// (and concern.referral_feedback for feedback).
func (s *Service) EndChase(ctx context.Context, by actor.Actor, taskID int64, f ChaseForm) error {
	if !isDSL(by) {
		return db.ErrNotFound
	}
	if p := f.check(); len(p) > 0 {
		return p
	}
	outcome := TaskOutcome(f.Outcome)
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var ref string
		var concernID, actionID, owner int64
		err := tx.QueryRow(ctx, `SELECT c.ref, c.id, t.action_id, t.assigned_to FROM concern_tasks t
			JOIN concerns c ON c.school_id = t.school_id AND c.id = t.concern_id
			WHERE t.school_id = $1 AND t.id = $2 AND t.kind = 'referral_chase' AND t.done_at IS NULL
			  AND c.entered_in_error_at IS NULL AND concern_visible_to(c.school_id, c.id, c.restricted, $3)
			FOR UPDATE OF t`, by.SchoolID, taskID, by.UserID).Scan(&ref, &concernID, &actionID, &owner)
		if errors.Is(err, pgx.ErrNoRows) {
			return db.ErrNotFound
		}
		if err != nil {
			return err
		}
		if outcome == OutcomeFeedback {
			if err := recordFeedback(ctx, tx, by, concernID, actionID, f.Note); err != nil {
				return err
			}
			if err := audit.Record(ctx, tx, by, auditEvent("concern.referral_feedback", ref, map[string]any{"action_id": actionID})); err != nil {
				return err
			}
		} else {
			if _, err := tx.Exec(ctx, `UPDATE concern_tasks SET done_at = now(), done_by = $3, outcome = $4, note = $5
				WHERE school_id = $1 AND id = $2`, by.SchoolID, taskID, by.UserID, f.Outcome, strings.TrimSpace(f.Note)); err != nil {
				return err
			}
		}
		if outcome == OutcomeChased {
			cal, err := calendarOf(ctx, tx, by.SchoolID)
			if err != nil {
				return err
			}
			if err := addTask(ctx, tx, by.SchoolID, concernID, actionID, TaskChase, cal.AddWorkingDays(when.Today(s.now()), 1), owner); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "task.chase_end", SubjectType: "concern", SubjectID: ref,
			Details: map[string]any{"task_id": strconv.FormatInt(taskID, 10), "outcome": f.Outcome}})
	})
	if err != nil {
		return fmt.Errorf("end chase %d: %w", taskID, err)
	}
	return nil
}
