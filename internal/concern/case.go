package concern

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
	"github.com/havenschools/haven/internal/validate"
)

// Case is a concern as its school's DSLs see it: the whole concern as
// recorded (every child with their role, body map, files, every addendum),
// and everything done since — decisions, actions, the history of changes,
// linked concerns, open tasks, who may see it, and who has seen it.
type Case struct {
	View
	Version              int
	Urgency              Urgency
	AssignedTo           int64
	AssignedName         string
	RecordedByName       string
	AcknowledgedAt       *time.Time
	AcknowledgedBy       string
	ClosedAt             *time.Time
	OutcomeSummary       string
	EnteredInErrorAt     *time.Time
	EnteredInErrorReason string
	Restricted           bool
	Named, Excluded      []Person
	CategoryNames        []string
	Decisions            []Decision
	Actions              []Action
	Events               []Event
	Links                []Linked
	Tasks                []Task
	Escalations          int // rounds of escalation emails sent
	Views                []audit.View
}

// InError reports whether the concern was marked entered in error.
func (c Case) InError() bool { return c.EnteredInErrorAt != nil }

// Linked is a concern linked to another as related.
type Linked struct {
	Ref       string
	Children  string // the children it is about, or "Child not known"
	Status    Status
	CreatedAt time.Time
}

// Case returns the concern ref for a DSL of its school, and audits the view
// (concern.view). Anyone else — staff, the head, an admin, a DSL excluded
// from the concern or not named on a restricted one — gets db.ErrNotFound.
func (s *Service) Case(ctx context.Context, by actor.Actor, ref string) (Case, error) {
	if !isDSL(by) {
		return Case{}, db.ErrNotFound
	}
	var c Case
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var err error
		if c, err = loadCase(ctx, tx, by.SchoolID, by.UserID, ref); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, by, auditEvent("concern.view", ref, map[string]any{"as": "dsl"})); err != nil {
			return err
		}
		c.Views, err = audit.ViewsOf(ctx, tx, by.SchoolID, "concern", ref)
		return err
	})
	if err != nil {
		return Case{}, fmt.Errorf("view concern %s: %w", ref, err)
	}
	return c, nil
}

// loadCase reads everything of a case but its views, as the DSL viewer
// may see it (db.ErrNotFound when they may not).
func loadCase(ctx context.Context, q db.Querier, schoolID, viewer int64, ref string) (Case, error) {
	var c Case
	rows, _ := q.Query(ctx, `SELECT `+concernColumns+` FROM concerns
		WHERE school_id = $1 AND ref = $2 AND concern_visible_to(school_id, id, restricted, $3)`, schoolID, ref, viewer)
	var err error
	c.Concern, err = pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[Concern])
	if errors.Is(err, pgx.ErrNoRows) {
		return Case{}, db.ErrNotFound
	}
	if err != nil {
		return Case{}, err
	}
	err = q.QueryRow(ctx, `SELECT c.version, c.urgency, coalesce(c.assigned_to, 0), coalesce(a.name, ''), coalesce(r.name, ''),
			c.acknowledged_at, coalesce(k.name, ''), c.closed_at, c.outcome_summary, c.entered_in_error_at,
			c.entered_in_error_reason, c.restricted,
			(SELECT count(*) FROM concern_escalations e WHERE e.school_id = c.school_id AND e.concern_id = c.id)
		FROM concerns c
		LEFT JOIN users a ON a.id = c.assigned_to
		LEFT JOIN users r ON r.id = c.recorded_by
		LEFT JOIN users k ON k.id = c.acknowledged_by
		WHERE c.school_id = $1 AND c.id = $2`, schoolID, c.ID).Scan(&c.Version, &c.Urgency, &c.AssignedTo, &c.AssignedName,
		&c.RecordedByName, &c.AcknowledgedAt, &c.AcknowledgedBy, &c.ClosedAt, &c.OutcomeSummary, &c.EnteredInErrorAt,
		&c.EnteredInErrorReason, &c.Restricted, &c.Escalations)
	if err != nil {
		return Case{}, err
	}
	if c.Children, err = concernChildren(ctx, q, schoolID, c.ID); err != nil {
		return Case{}, err
	}
	if c.BodyMarks, err = bodyMarks(ctx, q, schoolID, c.ID); err != nil {
		return Case{}, err
	}
	if c.Attachments, err = concernAttachments(ctx, q, schoolID, c.ID); err != nil {
		return Case{}, err
	}
	if c.Addenda, err = addenda(ctx, q, schoolID, c.ID, 0); err != nil {
		return Case{}, err
	}
	cats, err := categoryNames(ctx, q, schoolID)
	if err != nil {
		return Case{}, err
	}
	c.CategoryNames = cats.names(c.Categories)
	if c.Decisions, err = decisions(ctx, q, schoolID, c.ID); err != nil {
		return Case{}, err
	}
	if c.Actions, err = actions(ctx, q, schoolID, c.ID); err != nil {
		return Case{}, err
	}
	if c.Events, err = events(ctx, q, schoolID, c.ID, 0); err != nil {
		return Case{}, err
	}
	if c.Links, err = links(ctx, q, schoolID, viewer, c.ID); err != nil {
		return Case{}, err
	}
	if c.Tasks, err = concernTasks(ctx, q, schoolID, c.ID); err != nil {
		return Case{}, err
	}
	if c.Named, c.Excluded, err = access(ctx, q, schoolID, c.ID); err != nil {
		return Case{}, err
	}
	return c, nil
}

// links returns the concerns linked to a concern that the reader may see,
// oldest first.
func links(ctx context.Context, q db.Querier, schoolID, viewer, concernID int64) ([]Linked, error) {
	rows, _ := q.Query(ctx, `SELECT c.ref, `+subjectNamesSQL+`, `+cStatusSQL+`, c.created_at
		FROM concern_links l
		JOIN concerns c ON c.school_id = l.school_id
			AND c.id = CASE WHEN l.concern_a = $2 THEN l.concern_b ELSE l.concern_a END
		WHERE l.school_id = $1 AND (l.concern_a = $2 OR l.concern_b = $2) AND concern_visible_to(c.school_id, c.id, c.restricted, $3)
		ORDER BY c.created_at, c.id`, schoolID, concernID, viewer)
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Linked])
}

// subjectNamesSQL is the names of the children a concern c is about, or
// "Child not known", as one text column.
const subjectNamesSQL = `coalesce((SELECT string_agg(coalesce(ch.first_name || ' ' || ch.last_name, 'Child not known'), ', ' ORDER BY cc.position)
		FROM concern_children cc LEFT JOIN children ch ON ch.school_id = cc.school_id AND ch.id = cc.child_id
		WHERE cc.school_id = c.school_id AND cc.concern_id = c.id AND cc.role = 'subject'), '')`

// DSLs lists the school's DSLs and deputy DSLs, for assigning a concern and
// naming or excluding people. DSLs only: anyone else gets db.ErrNotFound.
func (s *Service) DSLs(ctx context.Context, by actor.Actor) ([]Person, error) {
	if !isDSL(by) {
		return nil, db.ErrNotFound
	}
	var out []Person
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var err error
		out, err = schoolDSLs(ctx, tx, by.SchoolID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list DSLs: %w", err)
	}
	return out, nil
}

// Acknowledge records that the DSL by has seen the concern ref and takes
// ownership of it: it becomes acknowledged and assigned to them, and its
// escalation stops. Audited as concern.acknowledge.
func (s *Service) Acknowledge(ctx context.Context, by actor.Actor, ref string, version int) error {
	err := s.change(ctx, by, ref, version, OpAcknowledge, func(tx pgx.Tx, c caseRow) error {
		if _, err := tx.Exec(ctx, `UPDATE concerns SET acknowledged_at = now(), acknowledged_by = $3, assigned_to = $3
			WHERE school_id = $1 AND id = $2`, by.SchoolID, c.ID, by.UserID); err != nil {
			return err
		}
		if err := addEvent(ctx, tx, by, c, EventAcknowledged, "", map[string]any{"to": by.UserID}); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, auditEvent("concern.acknowledge", ref, nil))
	})
	if err != nil {
		return fmt.Errorf("acknowledge %s: %w", ref, err)
	}
	return nil
}

// FieldAssignee is the assign form's choice of DSL.
const FieldAssignee = "assignee"

// Assign gives the concern ref to another DSL of the school, who must be
// able to see it (not excluded; named, when it is restricted). Audited as
// concern.assign.
func (s *Service) Assign(ctx context.Context, by actor.Actor, ref string, version int, to int64) error {
	err := s.change(ctx, by, ref, version, OpTriage, func(tx pgx.Tx, c caseRow) error {
		if err := checkCanSee(ctx, tx, by.SchoolID, c, to, FieldAssignee); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE concerns SET assigned_to = $3 WHERE school_id = $1 AND id = $2`,
			by.SchoolID, c.ID, to); err != nil {
			return err
		}
		if err := addEvent(ctx, tx, by, c, EventAssigned, "", map[string]any{"to": to}); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, auditEvent("concern.assign", ref, map[string]any{"to": to}))
	})
	if err != nil {
		return fmt.Errorf("assign %s: %w", ref, err)
	}
	return nil
}

// checkCanSee returns validate.Problems for field unless user is an active
// DSL of the school who may see the concern c.
func checkCanSee(ctx context.Context, q db.Querier, schoolID int64, c caseRow, user int64, field string) error {
	dsls, err := schoolDSLs(ctx, q, schoolID)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(dsls, func(p Person) bool { return p.ID == user }) {
		return validate.Problems{field: "Choose a DSL of the school"}
	}
	var excluded, named bool
	err = q.QueryRow(ctx, `SELECT coalesce(bool_or(kind = 'excluded'), false), coalesce(bool_or(kind = 'named'), false)
		FROM concern_access WHERE school_id = $1 AND concern_id = $2 AND user_id = $3`, schoolID, c.ID, user).Scan(&excluded, &named)
	if err != nil {
		return err
	}
	if excluded || (c.Restricted && !named) {
		return validate.Problems{field: "This DSL may not see this concern: choose someone else, or change who may see it first"}
	}
	return nil
}

// SetUrgency sets the DSL's judgement of how urgent the concern ref is.
// Audited as concern.urgency.
func (s *Service) SetUrgency(ctx context.Context, by actor.Actor, ref string, version int, u Urgency) error {
	if !u.Valid() {
		return validate.Problems{"urgency": "Select how urgent the concern is"}
	}
	err := s.change(ctx, by, ref, version, OpTriage, func(tx pgx.Tx, c caseRow) error {
		if _, err := tx.Exec(ctx, `UPDATE concerns SET urgency = $3 WHERE school_id = $1 AND id = $2`,
			by.SchoolID, c.ID, u); err != nil {
			return err
		}
		if err := addEvent(ctx, tx, by, c, EventUrgency, "", map[string]any{"urgency": string(u)}); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, auditEvent("concern.urgency", ref, map[string]any{"urgency": string(u)}))
	})
	if err != nil {
		return fmt.Errorf("set urgency of %s: %w", ref, err)
	}
	return nil
}

// SetCategories sets or corrects the categories of the concern ref (keys of
// the school's categories; none is allowed). Audited as concern.categories.
func (s *Service) SetCategories(ctx context.Context, by actor.Actor, ref string, version int, keys []string) error {
	err := s.change(ctx, by, ref, version, OpTriage, func(tx pgx.Tx, c caseRow) error {
		known, err := categoryKeys(ctx, tx, by.SchoolID)
		if err != nil {
			return err
		}
		clean := []string{}
		for _, k := range keys {
			if !known[k] {
				return validate.Problems{FieldCategories: "Choose from the list of kinds of concern"}
			}
			if !slices.Contains(clean, k) {
				clean = append(clean, k)
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE concerns SET categories = $3 WHERE school_id = $1 AND id = $2`,
			by.SchoolID, c.ID, clean); err != nil {
			return err
		}
		if err := addEvent(ctx, tx, by, c, EventCategories, "", map[string]any{"categories": clean}); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, auditEvent("concern.categories", ref, map[string]any{"categories": clean}))
	})
	if err != nil {
		return fmt.Errorf("set categories of %s: %w", ref, err)
	}
	return nil
}

// FieldLink is the link form's reference of the related concern.
const FieldLink = "link_ref"

// Link records that the concern ref is related to the concern other (its
// reference, as typed). The other concern must be one the DSL may see, not
// ref itself, and not already linked. Audited as concern.link.
func (s *Service) Link(ctx context.Context, by actor.Actor, ref string, version int, other string) error {
	other = strings.ToUpper(strings.TrimSpace(other))
	if other == "" {
		return validate.Problems{FieldLink: "Enter the reference of the related concern, like C-2026-000123"}
	}
	err := s.change(ctx, by, ref, version, OpTriage, func(tx pgx.Tx, c caseRow) error {
		o, err := caseRowOf(ctx, tx, by.SchoolID, by.UserID, other)
		if errors.Is(err, db.ErrNotFound) {
			return validate.Problems{FieldLink: "There is no concern " + other + " that you can see"}
		}
		if err != nil {
			return err
		}
		if o.ID == c.ID {
			return validate.Problems{FieldLink: "Enter the reference of another concern"}
		}
		a, b := min(c.ID, o.ID), max(c.ID, o.ID)
		tag, err := tx.Exec(ctx, `INSERT INTO concern_links (school_id, concern_a, concern_b, linked_by)
			VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, by.SchoolID, a, b, by.UserID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return validate.Problems{FieldLink: "These concerns are already linked"}
		}
		if err := addEvent(ctx, tx, by, c, EventLinked, "", map[string]any{"ref": o.Ref}); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, auditEvent("concern.link", ref, map[string]any{"linked": o.Ref}))
	})
	if err != nil {
		return fmt.Errorf("link %s: %w", ref, err)
	}
	return nil
}

// Ready returns the concern ref's version now, for the form of the step op
// (OpDecide, OpClose, OpReopen), and a *OrderError when the step does not
// fit where the concern is (the form's page says what must come first
// before anyone types), or a *StateError when it changes no more. Like
// Version it reads nothing of the concern's content: not audited. Anyone
// who may not see the concern gets db.ErrNotFound.
func (s *Service) Ready(ctx context.Context, by actor.Actor, ref string, op Op) (int, error) {
	if !isDSL(by) {
		return 0, db.ErrNotFound
	}
	var v int
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		c, err := caseRowOf(ctx, tx, by.SchoolID, by.UserID, ref)
		if err != nil {
			return err
		}
		v = c.Version
		if _, err := next(c.Status, c.InError, op); err != nil {
			return err
		}
		if op != OpClose {
			return nil
		}
		ok, err := hasDecision(ctx, tx, by.SchoolID, c.ID)
		if err == nil && !ok {
			return errNoDecision
		}
		return err
	})
	if err != nil {
		return v, fmt.Errorf("ready to %s %s: %w", op, ref, err)
	}
	return v, nil
}

// Version returns the concern ref's version now, for a DSL's form about
// it; it reads nothing of the concern's content, so it is not audited.
// Anyone who may not see the concern gets db.ErrNotFound.
func (s *Service) Version(ctx context.Context, by actor.Actor, ref string) (int, error) {
	if !isDSL(by) {
		return 0, db.ErrNotFound
	}
	var v int
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		c, err := caseRowOf(ctx, tx, by.SchoolID, by.UserID, ref)
		v = c.Version
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("version of %s: %w", ref, err)
	}
	return v, nil
}
