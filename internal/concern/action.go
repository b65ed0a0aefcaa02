package concern

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/pupil"
	"github.com/havenschools/haven/internal/school"
	"github.com/havenschools/haven/internal/validate"
)

// ActionKind is a kind of thing a DSL did about a concern.
type ActionKind string

// The kinds of action.
const (
	ActionConversation ActionKind = "conversation_child"
	ActionParent       ActionKind = "parent_contact"
	ActionReferral     ActionKind = "referral"
	ActionPolice       ActionKind = "police_report"
	ActionAdvice       ActionKind = "advice_sought"
	ActionMeeting      ActionKind = "multi_agency_meeting"
	ActionSafetyPlan   ActionKind = "safety_plan"
	ActionMonitoring   ActionKind = "monitoring"
	ActionOther        ActionKind = "other"
)

// ActionKinds lists the kinds in the order the form offers them.
func ActionKinds() []ActionKind {
	return []ActionKind{ActionConversation, ActionParent, ActionReferral, ActionPolice, ActionAdvice, ActionMeeting,
		ActionSafetyPlan, ActionMonitoring, ActionOther}
}

// Valid reports whether k is a kind of action.
func (k ActionKind) Valid() bool {
	for _, v := range ActionKinds() {
		if v == k {
			return true
		}
	}
	return false
}

// Label is the kind in words.
func (k ActionKind) Label() string {
	switch k {
	case ActionConversation:
		return "Conversation with the child"
	case ActionParent:
		return "Parent or carer contact"
	case ActionReferral:
		return "Referral"
	case ActionPolice:
		return "Police report"
	case ActionAdvice:
		return "Advice sought"
	case ActionMeeting:
		return "Multi-agency meeting"
	case ActionSafetyPlan:
		return "Safety plan"
	case ActionMonitoring:
		return "Monitoring"
	case ActionOther:
		return "Other"
	}
	return string(k)
}

// Action is something a DSL did about a concern: a chronology entry.
type Action struct {
	ID             int64
	Kind           ActionKind
	On             time.Time // the date it was done
	Note           string
	AgencyRef      string
	FollowUpOn     *time.Time
	RecordedBy     int64
	RecordedByName string
	RecordedAt     time.Time
	// A referral's feedback from the agency, once recorded.
	FeedbackAt     *time.Time
	FeedbackByName string
	FeedbackNote   string
	// ChaseFrom is the working day from which a referral without feedback
	// should be chased (zero for other actions).
	ChaseFrom time.Time
}

// AwaitingFeedback reports whether the action is a referral with no feedback yet.
func (a Action) AwaitingFeedback() bool { return a.Kind == ActionReferral && a.FeedbackAt == nil }

// ChaseDue reports whether a referral has waited a working day for feedback
// by the date today.
func (a Action) ChaseDue(today time.Time) bool {
	return a.AwaitingFeedback() && !a.ChaseFrom.IsZero() && !today.Before(a.ChaseFrom)
}

// ActionForm is the "Record action" form as typed.
type ActionForm struct {
	Kind      string
	On        DateParts
	Note      string
	AgencyRef string
	FollowUp  DateParts
}

// Fields of the action form.
const (
	FieldActionKind = "kind"
	FieldActionOn   = "action_on"
	FieldNote       = "note"
	FieldAgencyRef  = "agency_ref"
	FieldFollowUp   = "follow_up"
)

// ActionFieldOrder is the order of the action form's fields.
var ActionFieldOrder = []string{FieldActionKind, FieldActionOn, FieldNote, FieldAgencyRef, FieldFollowUp}

// check validates the form on the day today (London) and returns the
// action's date, its follow-up date (zero: none) and the problems.
func (f ActionForm) check(today time.Time) (on, followUp time.Time, p validate.Problems) {
	p = validate.Problems{}
	if !ActionKind(f.Kind).Valid() {
		p.Add(FieldActionKind, "Select what was done")
	}
	on = checkDate(p, FieldActionOn, f.On, "the date it was done", today)
	if msg := textProblem(f.Note, "a note of what was done", MaxReasonChars, true); msg != "" {
		p.Add(FieldNote, msg)
	}
	if msg := validate.Name(strings.TrimSpace(f.AgencyRef), "The agency reference", false, 200); msg != "" {
		p.Add(FieldAgencyRef, msg)
	}
	if !f.FollowUp.Empty() {
		d, ok := f.FollowUp.Date()
		switch {
		case !ok:
			p.Add(FieldFollowUp, "The follow-up date must be a real date")
		case d.Before(today):
			p.Add(FieldFollowUp, "The follow-up date must be today or in the future")
		case d.After(today.AddDate(2, 0, 0)):
			p.Add(FieldFollowUp, "The follow-up date must be within the next two years")
		default:
			followUp = d
		}
	}
	return on, followUp, p
}

// RecordAction records something a DSL did about the concern ref. The
// concern must be acknowledged and open (a *StateError otherwise). A
// follow-up date becomes a task; a referral becomes a chase task, due one
// working day (by the school calendar) after it was made, done when its
// feedback is recorded. Tasks go to the DSL the concern is assigned to.
// Recording an action does not change the concern's version: actions are
// appended, so two DSLs may record them at once. Audited as concern.action.
func (s *Service) RecordAction(ctx context.Context, by actor.Actor, ref string, f ActionForm) error {
	if !isDSL(by) {
		return db.ErrNotFound
	}
	on, followUp, p := f.check(pupil.Today(s.now()))
	if len(p) > 0 {
		return p
	}
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		c, err := caseRowOf(ctx, tx, by.SchoolID, by.UserID, ref)
		if err != nil {
			return err
		}
		if c.Status == Submitted {
			return &StateError{"Acknowledge the concern before recording an action"}
		}
		if _, err := next(c.Status, c.InError, OpTriage); err != nil {
			return err
		}
		var followUpOn any
		if !followUp.IsZero() {
			followUpOn = followUp
		}
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO concern_actions (school_id, concern_id, kind, action_on, note, agency_ref,
				follow_up_on, recorded_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			by.SchoolID, c.ID, f.Kind, on, f.Note, strings.TrimSpace(f.AgencyRef), followUpOn, by.UserID).Scan(&id); err != nil {
			return err
		}
		owner := c.AssignedTo
		if owner == 0 {
			owner = by.UserID
		}
		if !followUp.IsZero() {
			if err := addTask(ctx, tx, by.SchoolID, c.ID, id, TaskFollowUp, followUp, owner); err != nil {
				return err
			}
		}
		if ActionKind(f.Kind) == ActionReferral {
			cal, err := school.CalendarOf(ctx, tx, by.SchoolID)
			if errors.Is(err, db.ErrNotFound) {
				cal, err = school.Calendar{Days: []int{1, 2, 3, 4, 5}}, nil // a school without settings: weekdays
			}
			if err != nil {
				return err
			}
			if err := addTask(ctx, tx, by.SchoolID, c.ID, id, TaskChase, cal.AddWorkingDays(on, 1), owner); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, by, auditEvent("concern.action", ref,
			map[string]any{"action_id": id, "kind": f.Kind, "follow_up": !followUp.IsZero()}))
	})
	if err != nil {
		return fmt.Errorf("record action on %s: %w", ref, err)
	}
	return nil
}

// FieldFeedback is the referral feedback form's note.
const FieldFeedback = "feedback"

// RecordFeedback records the agency's feedback on a referral (action
// actionID of the concern ref), which ends its chase task. A referral that
// already has feedback, or any other action, is db.ErrNotFound. Audited as
// concern.referral_feedback.
func (s *Service) RecordFeedback(ctx context.Context, by actor.Actor, ref string, actionID int64, note string) error {
	if !isDSL(by) {
		return db.ErrNotFound
	}
	if msg := textProblem(note, "the feedback", MaxReasonChars, true); msg != "" {
		return validate.Problems{FieldFeedback: msg}
	}
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		c, err := caseRowOf(ctx, tx, by.SchoolID, by.UserID, ref)
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE concern_actions SET feedback_at = now(), feedback_by = $4, feedback_note = $5
			WHERE school_id = $1 AND concern_id = $2 AND id = $3 AND kind = 'referral' AND feedback_at IS NULL`,
			by.SchoolID, c.ID, actionID, by.UserID, note)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return db.ErrNotFound
		}
		if _, err := tx.Exec(ctx, `UPDATE concern_tasks SET done_at = now(), done_by = $3
			WHERE school_id = $1 AND action_id = $2 AND kind = 'referral_chase' AND done_at IS NULL`,
			by.SchoolID, actionID, by.UserID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, auditEvent("concern.referral_feedback", ref, map[string]any{"action_id": actionID}))
	})
	if err != nil {
		return fmt.Errorf("record feedback on %s: %w", ref, err)
	}
	return nil
}

// actions returns a concern's actions in date order.
func actions(ctx context.Context, q db.Querier, schoolID, concernID int64) ([]Action, error) {
	rows, _ := q.Query(ctx, `SELECT a.id, a.kind, a.action_on, a.note, a.agency_ref, a.follow_up_on, a.recorded_by,
			coalesce(u.name, ''), a.recorded_at, a.feedback_at, coalesce(f.name, ''), a.feedback_note,
			coalesce((SELECT t.due_on FROM concern_tasks t WHERE t.school_id = a.school_id AND t.action_id = a.id
			          AND t.kind = 'referral_chase'), '0001-01-01'::date)
		FROM concern_actions a LEFT JOIN users u ON u.id = a.recorded_by LEFT JOIN users f ON f.id = a.feedback_by
		WHERE a.school_id = $1 AND a.concern_id = $2 ORDER BY a.action_on, a.recorded_at, a.id`, schoolID, concernID)
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Action])
	if err != nil {
		return nil, err
	}
	for i := range list {
		if list[i].ChaseFrom.Year() == 1 {
			list[i].ChaseFrom = time.Time{}
		}
	}
	return list, nil
}
