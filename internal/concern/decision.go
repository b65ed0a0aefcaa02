package concern

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/validate"
)

// Outcome is what a DSL decided about a concern.
type Outcome string

// The outcomes a decision may have. No further action keeps the record:
// nothing is ever deleted.
const (
	NoFurtherAction Outcome = "no_further_action"
	MonitorInSchool Outcome = "monitor"
	EarlyHelp       Outcome = "early_help"
	SocialCare      Outcome = "social_care"
	Police          Outcome = "police"
	Prevent         Outcome = "prevent"
	NRM             Outcome = "nrm"
	OtherAgency     Outcome = "other_agency"
	AdviceOnly      Outcome = "advice_only"
)

// Outcomes lists the outcomes in the order the form offers them.
func Outcomes() []Outcome {
	return []Outcome{NoFurtherAction, MonitorInSchool, EarlyHelp, SocialCare, Police, Prevent, NRM, OtherAgency, AdviceOnly}
}

// Valid reports whether o is an outcome.
func (o Outcome) Valid() bool {
	for _, v := range Outcomes() {
		if v == o {
			return true
		}
	}
	return false
}

// Label is the outcome in words.
func (o Outcome) Label() string {
	switch o {
	case NoFurtherAction:
		return "No further action (the record is kept)"
	case MonitorInSchool:
		return "Monitor in school"
	case EarlyHelp:
		return "Early help"
	case SocialCare:
		return "Refer to children's social care"
	case Police:
		return "Report to the police"
	case Prevent:
		return "Prevent / Channel"
	case NRM:
		return "National Referral Mechanism"
	case OtherAgency:
		return "Refer to another agency"
	case AdviceOnly:
		return "Advice only"
	}
	return string(o)
}

// Parents is whether the child's parents or carers were told of a decision.
type Parents string

// The answers to "Were parents or carers told?".
const (
	ParentsTold          Parents = "told"
	ParentsConsentSought Parents = "consent_sought"
	ParentsNotTold       Parents = "not_told"
)

// Label is the answer in words.
func (p Parents) Label() string {
	switch p {
	case ParentsTold:
		return "Yes, they were told"
	case ParentsConsentSought:
		return "Yes, their consent was sought"
	case ParentsNotTold:
		return "No"
	}
	return string(p)
}

// Decision is a DSL's decision on a concern, with its reason.
type Decision struct {
	ID            int64
	Outcome       Outcome
	Reason        string
	Parents       Parents
	ParentsWhyNot string
	ChildsWishes  string
	DecidedBy     int64
	DecidedByName string
	DecidedAt     time.Time
}

// DecisionForm is the "Record decision" form as typed.
type DecisionForm struct {
	Version       int
	Outcome       string
	Reason        string
	Parents       string
	ParentsWhyNot string
	ChildsWishes  string
}

// Fields of the decision form.
const (
	FieldOutcome       = "outcome"
	FieldReason        = "reason"
	FieldParents       = "parents"
	FieldParentsWhyNot = "parents_why_not"
	FieldChildsWishes  = "childs_wishes"
)

// DecisionFieldOrder is the order of the decision form's fields.
var DecisionFieldOrder = []string{FieldOutcome, FieldReason, FieldParents, FieldParentsWhyNot, FieldChildsWishes}

// MaxReasonChars bounds a DSL's reasons and notes.
const MaxReasonChars = 10000

// check validates the form: every decision has its reason, an answer about
// parents or carers (and why not, when they were not told), and the child's
// wishes and feelings.
func (f DecisionForm) check() validate.Problems {
	p := validate.Problems{}
	if !Outcome(f.Outcome).Valid() {
		p.Add(FieldOutcome, "Select the decision")
	}
	if msg := textProblem(f.Reason, "the reason for the decision", MaxReasonChars, true); msg != "" {
		p.Add(FieldReason, msg)
	}
	switch Parents(f.Parents) {
	case ParentsTold, ParentsConsentSought:
	case ParentsNotTold:
		if msg := textProblem(f.ParentsWhyNot, "why parents or carers were not told", MaxReasonChars, true); msg != "" {
			p.Add(FieldParentsWhyNot, msg)
		}
	default:
		p.Add(FieldParents, "Select whether parents or carers were told or their consent sought")
	}
	if msg := textProblem(f.ChildsWishes, "the child's wishes and feelings", MaxReasonChars, true); msg != "" {
		p.Add(FieldChildsWishes, msg)
	}
	return p
}

// RecordDecision records a DSL's decision on the concern ref at the
// version their page showed, moving it to in progress. The concern must be
// acknowledged and not closed (a *OrderError otherwise). Form problems are
// validate.Problems; a stale page is a *ConflictError; anyone but a DSL of
// the school who may see the concern gets db.ErrNotFound. Audited as
// concern.decision.
func (s *Service) RecordDecision(ctx context.Context, by actor.Actor, ref string, f DecisionForm) error {
	if p := f.check(); len(p) > 0 {
		return p
	}
	whyNot := ""
	if Parents(f.Parents) == ParentsNotTold {
		whyNot = f.ParentsWhyNot
	}
	err := s.change(ctx, by, ref, f.Version, OpDecide, func(tx pgx.Tx, c caseRow) error {
		var id int64
		err := tx.QueryRow(ctx, `INSERT INTO concern_decisions (school_id, concern_id, outcome, reason, parents,
				parents_why_not, childs_wishes, decided_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			by.SchoolID, c.ID, f.Outcome, f.Reason, f.Parents, whyNot, f.ChildsWishes, by.UserID).Scan(&id)
		if err != nil {
			return err
		}
		if err := addEvent(ctx, tx, by, c, EventDecision, "", map[string]any{"outcome": f.Outcome, "decision_id": id}); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, auditEvent("concern.decision", ref,
			map[string]any{"decision_id": id, "outcome": f.Outcome, "parents": f.Parents}))
	})
	if err != nil {
		return fmt.Errorf("record decision on %s: %w", ref, err)
	}
	return nil
}

// decisions returns a concern's decisions, oldest first.
func decisions(ctx context.Context, q db.Querier, schoolID, concernID int64) ([]Decision, error) {
	rows, _ := q.Query(ctx, `SELECT d.id, d.outcome, d.reason, d.parents, d.parents_why_not, d.childs_wishes,
			d.decided_by, coalesce(u.name, ''), d.decided_at
		FROM concern_decisions d LEFT JOIN users u ON u.id = d.decided_by
		WHERE d.school_id = $1 AND d.concern_id = $2 ORDER BY d.decided_at, d.id`, schoolID, concernID)
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Decision])
}

// hasDecision reports whether a concern has at least one decision.
func hasDecision(ctx context.Context, q db.Querier, schoolID, concernID int64) (bool, error) {
	var ok bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM concern_decisions WHERE school_id = $1 AND concern_id = $2)`,
		schoolID, concernID).Scan(&ok)
	return ok, err
}

var errNoDecision = &OrderError{"Record a decision before closing the concern", OpDecide}

// CloseForm is the "Close concern" form as typed.
type CloseForm struct {
	Version int
	Summary string
}

// FieldSummary is the close form's outcome summary.
const FieldSummary = "summary"

// Close closes the concern ref with the DSL's outcome summary (required).
// It must be acknowledged, open, and have at least one decision (a
// *OrderError otherwise). Its open tasks stay open, on My tasks. Audited
// as concern.close.
func (s *Service) Close(ctx context.Context, by actor.Actor, ref string, f CloseForm) error {
	if msg := textProblem(f.Summary, "the outcome summary", MaxReasonChars, true); msg != "" {
		return validate.Problems{FieldSummary: msg}
	}
	err := s.change(ctx, by, ref, f.Version, OpClose, func(tx pgx.Tx, c caseRow) error {
		ok, err := hasDecision(ctx, tx, by.SchoolID, c.ID)
		if err != nil {
			return err
		}
		if !ok {
			return errNoDecision
		}
		if _, err := tx.Exec(ctx, `UPDATE concerns SET closed_at = now(), outcome_summary = $3
			WHERE school_id = $1 AND id = $2`, by.SchoolID, c.ID, f.Summary); err != nil {
			return err
		}
		if err := addEvent(ctx, tx, by, c, EventClosed, f.Summary, nil); err != nil {
			return err
		}
		// Its open tasks stay open: a task ends only when it is done or what
		// it waits for arrives (issue 15), and reopening must find them.
		return audit.Record(ctx, tx, by, auditEvent("concern.close", ref, nil))
	})
	if err != nil {
		return fmt.Errorf("close %s: %w", ref, err)
	}
	return nil
}

// ReasonForm is a form with a version and one required reason: reopening,
// or marking a concern entered in error.
type ReasonForm struct {
	Version int
	Reason  string
}

// Reopen reopens the closed concern ref, with the DSL's reason (required),
// back to in progress. Audited as concern.reopen.
func (s *Service) Reopen(ctx context.Context, by actor.Actor, ref string, f ReasonForm) error {
	if msg := textProblem(f.Reason, "why the concern is being reopened", MaxReasonChars, true); msg != "" {
		return validate.Problems{FieldReason: msg}
	}
	err := s.change(ctx, by, ref, f.Version, OpReopen, func(tx pgx.Tx, c caseRow) error {
		if _, err := tx.Exec(ctx, `UPDATE concerns SET closed_at = NULL WHERE school_id = $1 AND id = $2`,
			by.SchoolID, c.ID); err != nil {
			return err
		}
		if err := addEvent(ctx, tx, by, c, EventReopened, f.Reason, nil); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, auditEvent("concern.reopen", ref, nil))
	})
	if err != nil {
		return fmt.Errorf("reopen %s: %w", ref, err)
	}
	return nil
}

// MarkEnteredInError marks the concern ref entered in error, with the DSL's
// reason (required): it leaves the queue and every child's chronology, its
// open tasks end, and it stays — with the mark — on its own page and in the
// audit trail. Audited as concern.entered_in_error.
func (s *Service) MarkEnteredInError(ctx context.Context, by actor.Actor, ref string, f ReasonForm) error {
	if msg := textProblem(f.Reason, "why the concern was entered in error", MaxReasonChars, true); msg != "" {
		return validate.Problems{FieldReason: msg}
	}
	err := s.change(ctx, by, ref, f.Version, OpEnteredInError, func(tx pgx.Tx, c caseRow) error {
		if _, err := tx.Exec(ctx, `UPDATE concerns SET entered_in_error_at = now(), entered_in_error_reason = $3
			WHERE school_id = $1 AND id = $2`, by.SchoolID, c.ID, f.Reason); err != nil {
			return err
		}
		if err := addEvent(ctx, tx, by, c, EventEnteredInError, f.Reason, nil); err != nil {
			return err
		}
		if err := closeTasks(ctx, tx, by, c.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, auditEvent("concern.entered_in_error", ref, nil))
	})
	if err != nil {
		return fmt.Errorf("mark %s entered in error: %w", ref, err)
	}
	return nil
}
