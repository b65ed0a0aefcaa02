package pupil

import (
	"context"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db"
)

// Siblings are linked by a DSL, child to child within a school: the link
// points at the other child's record, never a copied name or label.

// LinkSiblings records that the children a and b of by's school are
// siblings. Only DSLs link children (anyone else, an unknown child, or a
// child linked to itself: db.ErrNotFound); linking twice is no change.
// Audited as child.sibling_link on both children.
func (s *Service) LinkSiblings(ctx context.Context, by actor.Actor, a, b int64) error {
	return s.siblings(ctx, by, a, b, true)
}

// UnlinkSiblings removes the sibling link between a and b (none:
// db.ErrNotFound). DSLs only. Audited as child.sibling_unlink on both.
func (s *Service) UnlinkSiblings(ctx context.Context, by actor.Actor, a, b int64) error {
	return s.siblings(ctx, by, a, b, false)
}

func (s *Service) siblings(ctx context.Context, by actor.Actor, a, b int64, link bool) error {
	if by.Role != actor.DSL || a == b || a <= 0 || b <= 0 {
		return db.ErrNotFound
	}
	lo, hi := min(a, b), max(a, b)
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM children WHERE school_id = $1 AND id IN ($2, $3)`,
			by.SchoolID, lo, hi).Scan(&n); err != nil {
			return err
		}
		if n != 2 {
			return db.ErrNotFound
		}
		action := "child.sibling_link"
		if link {
			if _, err := tx.Exec(ctx, `INSERT INTO child_siblings (school_id, child_a, child_b, linked_by) VALUES ($1, $2, $3, $4)
				ON CONFLICT DO NOTHING`, by.SchoolID, lo, hi, by.UserID); err != nil {
				return err
			}
		} else {
			action = "child.sibling_unlink"
			tag, err := tx.Exec(ctx, `DELETE FROM child_siblings WHERE school_id = $1 AND child_a = $2 AND child_b = $3`,
				by.SchoolID, lo, hi)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return db.ErrNotFound
			}
		}
		for _, pair := range [][2]int64{{a, b}, {b, a}} {
			if err := audit.Record(ctx, tx, by, audit.Event{Action: action, SubjectType: "child",
				SubjectID: strconv.FormatInt(pair[0], 10), Details: map[string]any{"sibling": pair[1]}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("siblings %d and %d: %w", a, b, err)
	}
	return nil
}
