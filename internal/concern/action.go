package concern

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/school"
	"github.com/havenschools/haven/internal/validate"
	"github.com/havenschools/haven/internal/when"
)

// TimeParts is a time of day as typed: an hour, a minute and "am" or "pm"
// (GOV.UK style). An hour from 13 to 23, or 0, needs no am or pm.
type TimeParts struct {
	Hour   string
	Minute string
	AmPm   string // "am", "pm" or ""
}

// Empty reports whether nothing was typed.
func (t TimeParts) Empty() bool { return strings.TrimSpace(t.Hour+t.Minute) == "" }

// Clock is a time of day.
type Clock struct{ Hour, Minute int }

// String is the clock as Postgres reads a time: "14:48".
func (c Clock) String() string { return fmt.Sprintf("%02d:%02d", c.Hour, c.Minute) }

// On is the moment of the clock on the day d (a date) in London.
func (c Clock) On(d time.Time) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), c.Hour, c.Minute, 0, 0, when.London())
}

// Clock parses the parts as a real time of day, or returns why not.
func (t TimeParts) Clock() (Clock, string) {
	h, err := strconv.Atoi(strings.TrimSpace(t.Hour))
	if err != nil || h < 0 || h > 23 {
		return Clock{}, "The time must have an hour from 1 to 12"
	}
	m := 0
	if s := strings.TrimSpace(t.Minute); s != "" {
		if m, err = strconv.Atoi(s); err != nil || m < 0 || m > 59 {
			return Clock{}, "The time must have minutes from 0 to 59"
		}
	}
	switch {
	case h == 0 || h > 12: // a 24-hour clock: no am or pm needed
	case t.AmPm == "am":
		h %= 12
	case t.AmPm == "pm":
		h = h%12 + 12
	default:
		return Clock{}, "Select am or pm"
	}
	return Clock{h, m}, ""
}

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
	ID   int64
	Kind ActionKind
	On   time.Time // the date it was done
	// DoneAt is the moment it was done, when the DSL gave the time (nil:
	// the date only).
	DoneAt         *time.Time
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

// When is the action's moment in a chronology: the time it was done where
// known, else — done the day it was recorded — when it was recorded, else
// the start of the day it was done.
func (a Action) When() time.Time {
	if a.DoneAt != nil {
		return *a.DoneAt
	}
	return dayMoment(a.On, a.RecordedAt)
}

// dayMoment is the moment of something known only by its day (a date,
// as midnight UTC) and recorded at recorded: when it was recorded, if that
// was on the day, else the start of the day in London.
func dayMoment(day, recorded time.Time) time.Time {
	r := recorded.In(when.London())
	if y, m, d := r.Date(); y == day.Year() && m == day.Month() && d == day.Day() {
		return r
	}
	return time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, when.London())
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
	On        when.DateParts
	At        TimeParts // the time of day it was done: optional
	Note      string
	AgencyRef string
	FollowUp  when.DateParts
}

// Fields of the action form.
const (
	FieldActionKind = "kind"
	FieldActionOn   = "action_on"
	FieldActionAt   = "action_at"
	FieldNote       = "note"
	FieldAgencyRef  = "agency_ref"
	FieldFollowUp   = "follow_up"
)

// ActionFieldOrder is the order of the action form's fields.
var ActionFieldOrder = []string{FieldActionKind, FieldActionOn, FieldActionAt, FieldNote, FieldAgencyRef, FieldFollowUp}

// check validates the form at now and returns the action's date, the
// time of day it was done (nil: not given), its follow-up date (zero:
// none) and the problems.
func (f ActionForm) check(now time.Time) (on time.Time, at *Clock, followUp time.Time, p validate.Problems) {
	p = validate.Problems{}
	today := when.Today(now)
	if !ActionKind(f.Kind).Valid() {
		p.Add(FieldActionKind, "Select what was done")
	}
	on = checkDate(p, FieldActionOn, f.On, "the date it was done", today)
	if !f.At.Empty() {
		c, msg := f.At.Clock()
		switch {
		case msg != "":
			p.Add(FieldActionAt, msg)
		case on.Equal(today) && c.On(on).After(now):
			p.Add(FieldActionAt, "The time it was done must be now or in the past")
		default:
			at = &c
		}
	}
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
	return on, at, followUp, p
}

// RecordAction records something a DSL did about the concern ref. The
// concern must be acknowledged and open (a *OrderError otherwise). A
// follow-up date becomes a task; a referral becomes a chase task, due one
// working day (by the school calendar) after it was made, done when its
// feedback is recorded. Tasks go to the DSL the concern is assigned to.
// Recording an action does not change the concern's version: actions are
// appended, so two DSLs may record them at once. Audited as concern.action.
func (s *Service) RecordAction(ctx context.Context, by actor.Actor, ref string, f ActionForm) error {
	if !isDSL(by) {
		return db.ErrNotFound
	}
	on, at, followUp, p := f.check(s.now())
	if len(p) > 0 {
		return p
	}
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		c, err := caseRowOf(ctx, tx, by.SchoolID, by.UserID, ref)
		if err != nil {
			return err
		}
		if c.Status == Submitted {
			return &OrderError{"Acknowledge the concern before recording an action", OpAcknowledge}
		}
		if _, err := next(c.Status, c.InError, OpTriage); err != nil {
			return err
		}
		var followUpOn any
		if !followUp.IsZero() {
			followUpOn = followUp
		}
		var actionTime any
		if at != nil {
			actionTime = at.String()
		}
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO concern_actions (school_id, concern_id, kind, action_on, action_time, note,
				agency_ref, follow_up_on, recorded_by)
			VALUES ($1, $2, $3, $4, $5::time, $6, $7, $8, $9) RETURNING id`,
			by.SchoolID, c.ID, f.Kind, on, actionTime, f.Note, strings.TrimSpace(f.AgencyRef), followUpOn, by.UserID).Scan(&id); err != nil {
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
			cal, err := calendarOf(ctx, tx, by.SchoolID)
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
		if err := recordFeedback(ctx, tx, by, c.ID, actionID, note); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, auditEvent("concern.referral_feedback", ref, map[string]any{"action_id": actionID}))
	})
	if err != nil {
		return fmt.Errorf("record feedback on %s: %w", ref, err)
	}
	return nil
}

// recordFeedback stores the agency's feedback on the referral actionID of
// the concern concernID and ends its open chase (outcome feedback): the
// thing the chase waited for has arrived. A referral that is unknown or
// already has its feedback is db.ErrNotFound.
func recordFeedback(ctx context.Context, q db.Querier, by actor.Actor, concernID, actionID int64, note string) error {
	tag, err := q.Exec(ctx, `UPDATE concern_actions SET feedback_at = now(), feedback_by = $4, feedback_note = $5
		WHERE school_id = $1 AND concern_id = $2 AND id = $3 AND kind = 'referral' AND feedback_at IS NULL`,
		by.SchoolID, concernID, actionID, by.UserID, note)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return db.ErrNotFound
	}
	_, err = q.Exec(ctx, `UPDATE concern_tasks SET done_at = now(), done_by = $3, outcome = 'feedback'
		WHERE school_id = $1 AND action_id = $2 AND kind = 'referral_chase' AND done_at IS NULL`,
		by.SchoolID, actionID, by.UserID)
	return err
}

// calendarOf is the school's calendar; a school without settings works
// on weekdays.
func calendarOf(ctx context.Context, q db.Querier, schoolID int64) (school.Calendar, error) {
	cal, err := school.CalendarOf(ctx, q, schoolID)
	if errors.Is(err, db.ErrNotFound) {
		return school.Calendar{Days: []int{1, 2, 3, 4, 5}}, nil
	}
	return cal, err
}

// doneAtSQL is the moment an action of concern_actions a was done, when
// its time is known: its date and time in London.
const doneAtSQL = `CASE WHEN a.action_time IS NULL THEN NULL ELSE (a.action_on + a.action_time) AT TIME ZONE 'Europe/London' END`

// actions returns a concern's actions in the order they were done (their
// When), ties in the order they were recorded.
func actions(ctx context.Context, q db.Querier, schoolID, concernID int64) ([]Action, error) {
	rows, _ := q.Query(ctx, `SELECT a.id, a.kind, a.action_on, `+doneAtSQL+`, a.note, a.agency_ref, a.follow_up_on, a.recorded_by,
			coalesce(u.name, ''), a.recorded_at, a.feedback_at, coalesce(f.name, ''), a.feedback_note,
			coalesce((SELECT t.due_on FROM concern_tasks t WHERE t.school_id = a.school_id AND t.action_id = a.id
			          AND t.kind = 'referral_chase' ORDER BY t.done_at IS NULL DESC, t.id DESC LIMIT 1), '0001-01-01'::date)
		FROM concern_actions a LEFT JOIN users u ON u.id = a.recorded_by LEFT JOIN users f ON f.id = a.feedback_by
		WHERE a.school_id = $1 AND a.concern_id = $2 ORDER BY a.recorded_at, a.id`, schoolID, concernID)
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Action])
	if err != nil {
		return nil, err
	}
	for i := range list {
		if list[i].ChaseFrom.Year() == 1 {
			list[i].ChaseFrom = time.Time{}
		}
	}
	slices.SortStableFunc(list, func(a, b Action) int { return a.When().Compare(b.When()) })
	return list, nil
}
