package concern

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/validate"
)

// Away is whether a DSL has marked themselves away, and to whom their work went.
type Away struct {
	Since    time.Time
	HandedTo string
}

// FieldColleague is the away form's choice of colleague.
const FieldColleague = "colleague"

// Handover is what marking oneself away handed on.
type Handover struct {
	Concerns int
	Tasks    int
	// Kept counts open concerns the colleague may not see (restricted
	// without them, or excluding them): they stay with the DSL, who should
	// assign them to someone who may see them.
	Kept int
}

// MarkAway marks the DSL by away and hands their open concerns and open
// tasks to colleague, another active DSL of the school. Concerns the
// colleague may not see stay where they are (Handover.Kept). Each concern
// handed on records an assignment in its history. Audited as dsl.away.
func (s *Service) MarkAway(ctx context.Context, by actor.Actor, colleague int64) (Handover, error) {
	if !isDSL(by) {
		return Handover{}, db.ErrNotFound
	}
	if colleague == by.UserID {
		return Handover{}, validate.Problems{FieldColleague: "Choose a colleague to hand your work to"}
	}
	var h Handover
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		dsls, err := schoolDSLs(ctx, tx, by.SchoolID)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(dsls, func(p Person) bool { return p.ID == colleague })
		if i < 0 {
			return validate.Problems{FieldColleague: "Choose a DSL of the school"}
		}
		if dsls[i].Away {
			return validate.Problems{FieldColleague: dsls[i].Name + " is away too: choose someone else"}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO dsl_absences (school_id, user_id, handed_to) VALUES ($1, $2, $3)`,
			by.SchoolID, by.UserID, colleague); err != nil {
			if db.IsUniqueViolation(err, "") {
				return validate.Problems{FieldColleague: "You are already marked away"}
			}
			return err
		}
		rows, _ := tx.Query(ctx, `SELECT c.id, c.ref, c.status, c.version, c.in_danger, false, coalesce(c.assigned_to, 0),
				c.restricted, c.created_at, c.recorded_by,
				EXISTS (SELECT 1 FROM concern_access a WHERE a.school_id = c.school_id AND a.concern_id = c.id AND a.user_id = $3
				        AND a.kind = 'named') AS named,
				EXISTS (SELECT 1 FROM concern_access a WHERE a.school_id = c.school_id AND a.concern_id = c.id AND a.user_id = $3
				        AND a.kind = 'excluded') AS excluded
			FROM concerns c
			WHERE c.school_id = $1 AND c.assigned_to = $2 AND c.status <> 'closed' AND c.entered_in_error_at IS NULL
			  AND concern_visible_to(c.school_id, c.id, c.restricted, $2)
			ORDER BY c.id FOR UPDATE`, by.SchoolID, by.UserID, colleague)
		type row struct {
			caseRow
			Named, Excluded bool
		}
		list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
			var x row
			err := r.Scan(&x.ID, &x.Ref, &x.Status, &x.Version, &x.InDanger, &x.InError, &x.AssignedTo, &x.Restricted,
				&x.CreatedAt, &x.RecordedBy, &x.Named, &x.Excluded)
			return x, err
		})
		if err != nil {
			return err
		}
		for _, c := range list {
			if c.Excluded || (c.Restricted && !c.Named) {
				h.Kept++
				continue
			}
			if _, err := tx.Exec(ctx, `UPDATE concerns SET assigned_to = $3, version = version + 1
				WHERE school_id = $1 AND id = $2`, by.SchoolID, c.ID, colleague); err != nil {
				return err
			}
			c.caseRow.Version++
			if err := addEvent(ctx, tx, by, c.caseRow, EventAssigned, "Handed over while away", map[string]any{"to": colleague}); err != nil {
				return err
			}
			h.Concerns++
		}
		// Tasks go too, for every concern the colleague may see.
		tag, err := tx.Exec(ctx, `UPDATE concern_tasks t SET assigned_to = $3
			FROM concerns c
			WHERE t.school_id = $1 AND t.assigned_to = $2 AND t.done_at IS NULL
			  AND c.school_id = t.school_id AND c.id = t.concern_id
			  AND NOT EXISTS (SELECT 1 FROM concern_access a WHERE a.school_id = c.school_id AND a.concern_id = c.id
			                  AND a.user_id = $3 AND a.kind = 'excluded')
			  AND (NOT c.restricted OR EXISTS (SELECT 1 FROM concern_access a WHERE a.school_id = c.school_id
			                  AND a.concern_id = c.id AND a.user_id = $3 AND a.kind = 'named'))`,
			by.SchoolID, by.UserID, colleague)
		if err != nil {
			return err
		}
		h.Tasks = int(tag.RowsAffected())
		return audit.Record(ctx, tx, by, audit.Event{Action: "dsl.away", SubjectType: "user",
			SubjectID: fmt.Sprint(by.UserID), Details: map[string]any{"handed_to": colleague, "concerns": h.Concerns,
				"tasks": h.Tasks, "kept": h.Kept}})
	})
	if p, ok := errors.AsType[validate.Problems](err); ok {
		return Handover{}, p
	}
	if err != nil {
		return Handover{}, fmt.Errorf("mark away: %w", err)
	}
	return h, nil
}

// Back marks the DSL by back from being away. Their work stays with the
// colleague it was handed to. Not being away is db.ErrNotFound. Audited as
// dsl.back.
func (s *Service) Back(ctx context.Context, by actor.Actor) error {
	if !isDSL(by) {
		return db.ErrNotFound
	}
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE dsl_absences SET ended_at = now()
			WHERE school_id = $1 AND user_id = $2 AND ended_at IS NULL`, by.SchoolID, by.UserID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return db.ErrNotFound
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "dsl.back", SubjectType: "user", SubjectID: fmt.Sprint(by.UserID)})
	})
	if err != nil {
		return fmt.Errorf("mark back: %w", err)
	}
	return nil
}

// AwayStatus returns whether by is marked away (nil when not).
func (s *Service) AwayStatus(ctx context.Context, by actor.Actor) (*Away, error) {
	if !isDSL(by) {
		return nil, db.ErrNotFound
	}
	var a *Away
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var x Away
		err := tx.QueryRow(ctx, `SELECT a.started_at, coalesce(u.name, '') FROM dsl_absences a LEFT JOIN users u ON u.id = a.handed_to
			WHERE a.school_id = $1 AND a.user_id = $2 AND a.ended_at IS NULL`, by.SchoolID, by.UserID).Scan(&x.Since, &x.HandedTo)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		a = &x
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("away status: %w", err)
	}
	return a, nil
}
