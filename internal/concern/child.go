package concern

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db"
)

// ChildEntry is one concern as it appears in one child's file: the child's
// role in it and only what was recorded for that child (their indicators
// and body map), never another child's.
type ChildEntry struct {
	Ref        string
	CreatedAt  time.Time
	HappenedOn time.Time
	Status     Status
	InDanger   bool
	Role       Role
	Indicators []string
	BodyMarks  []BodyMark
}

// ForChild returns the concerns naming the child childID, newest first,
// each as it belongs in that child's file. For the school's DSLs only
// (anyone else: db.ErrNotFound). Audited as child.concerns_view.
func (s *Service) ForChild(ctx context.Context, by actor.Actor, childID int64) ([]ChildEntry, error) {
	if by.Role != actor.DSL {
		return nil, db.ErrNotFound
	}
	var out []ChildEntry
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM children WHERE school_id = $1 AND id = $2)`,
			by.SchoolID, childID).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return db.ErrNotFound
		}
		rows, _ := tx.Query(ctx, `SELECT c.ref, c.created_at, c.happened_on, `+cStatusSQL+`, c.in_danger, cc.role,
				coalesce((SELECT array_agg(i.code ORDER BY i.id) FROM concern_indicators i
				          WHERE i.school_id = cc.school_id AND i.concern_child_id = cc.id), '{}'),
				coalesce((SELECT jsonb_agg(jsonb_build_object('region', m.region, 'side', m.side, 'note', m.note) ORDER BY m.position)
				          FROM concern_body_marks m WHERE m.school_id = cc.school_id AND m.concern_child_id = cc.id), '[]')
			FROM concern_children cc JOIN concerns c ON c.school_id = cc.school_id AND c.id = cc.concern_id
			WHERE cc.school_id = $1 AND cc.child_id = $2
			ORDER BY c.created_at DESC, c.id DESC`, by.SchoolID, childID)
		var err error
		out, err = pgx.CollectRows(rows, pgx.RowToStructByPos[ChildEntry])
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "child.concerns_view", SubjectType: "child",
			SubjectID: strconv.FormatInt(childID, 10)})
	})
	if err != nil {
		return nil, fmt.Errorf("concerns of child %d: %w", childID, err)
	}
	return out, nil
}
