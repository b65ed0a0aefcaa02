package concern

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/validate"
)

// View is a concern as the person who recorded it sees it again: what they
// recorded, its children with their roles, its files and their own
// addenda, and its status in plain words — nothing a DSL recorded.
type View struct {
	Concern
	Children    []ConcernChild
	BodyMarks   []BodyMark
	Attachments []Attachment
	Addenda     []Addendum
}

// Mine lists the concerns by recorded in their school, newest first.
func (s *Service) Mine(ctx context.Context, by actor.Actor) ([]Mine, error) {
	var out []Mine
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, `SELECT c.ref, c.created_at, `+cStatusSQL+` AS status,
				coalesce(string_agg(coalesce(ch.first_name || ' ' || ch.last_name, 'Child not known'), ', ' ORDER BY cc.position)
					FILTER (WHERE cc.role = 'subject'), '') AS children
			FROM concerns c
			LEFT JOIN concern_children cc ON cc.school_id = c.school_id AND cc.concern_id = c.id
			LEFT JOIN children ch ON ch.school_id = cc.school_id AND ch.id = cc.child_id
			WHERE c.school_id = $1 AND c.recorded_by = $2
			GROUP BY c.id ORDER BY c.created_at DESC, c.id DESC`, by.SchoolID, by.UserID)
		var err error
		out, err = pgx.CollectRows(rows, pgx.RowToStructByName[Mine])
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list my concerns: %w", err)
	}
	return out, nil
}

// concernColumns are the columns of Concern, its status as shown (statusSQL).
const concernColumns = `id, school_id, ref, submission_id::text, recorded_by, on_behalf_of, happened_on, happened_approx,
	happened_time, seen_on, location, account, childs_words, told_dsl, told_dsl_who, told_dsl_when, actions_taken,
	in_danger, categories, fgm_police, fgm_police_ref, ` + statusSQL + `, created_at`

// Recorded returns the concern ref as its author recorded it, for the
// author only (anyone else: db.ErrNotFound), and audits concern.view.
func (s *Service) Recorded(ctx context.Context, by actor.Actor, ref string) (View, error) {
	var v View
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, `SELECT `+concernColumns+` FROM concerns
			WHERE school_id = $1 AND ref = $2 AND recorded_by = $3`, by.SchoolID, ref, by.UserID)
		var err error
		v.Concern, err = pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[Concern])
		if errors.Is(err, pgx.ErrNoRows) {
			return db.ErrNotFound
		}
		if err != nil {
			return err
		}
		if v.Children, err = concernChildren(ctx, tx, by.SchoolID, v.ID); err != nil {
			return err
		}
		if v.BodyMarks, err = bodyMarks(ctx, tx, by.SchoolID, v.ID); err != nil {
			return err
		}
		if v.Attachments, err = concernAttachments(ctx, tx, by.SchoolID, v.ID); err != nil {
			return err
		}
		if v.Addenda, err = addenda(ctx, tx, by.SchoolID, v.ID, by.UserID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "concern.view", SubjectType: "concern", SubjectID: ref,
			Details: map[string]any{"as": "author"}})
	})
	if err != nil {
		return View{}, fmt.Errorf("view concern %s: %w", ref, err)
	}
	return v, nil
}

// AddAddendum adds further information to the concern ref, by its author
// (or a DSL of the school); the concern itself is never edited. Anyone else
// is db.ErrNotFound. An empty or over-long text is validate.Problems for
// "addendum". Audited as concern.addendum.
func (s *Service) AddAddendum(ctx context.Context, by actor.Actor, ref, body string) error {
	if msg := textProblem(body, "the further information", MaxAccountChars, true); msg != "" {
		return validate.Problems{"addendum": msg}
	}
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `SELECT id FROM concerns WHERE school_id = $1 AND ref = $2 AND (recorded_by = $3 OR $4)`,
			by.SchoolID, ref, by.UserID, by.Role == actor.DSL).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return db.ErrNotFound
		}
		if err != nil {
			return err
		}
		var addendumID int64
		if err := tx.QueryRow(ctx, `INSERT INTO concern_addenda (school_id, concern_id, author_id, body)
			VALUES ($1, $2, $3, $4) RETURNING id`, by.SchoolID, id, by.UserID, body).Scan(&addendumID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "concern.addendum", SubjectType: "concern", SubjectID: ref,
			Details: map[string]any{"addendum_id": addendumID}})
	})
	if err != nil {
		return fmt.Errorf("add to concern %s: %w", ref, err)
	}
	return nil
}

// concernChildren returns a concern's children in form order, with their
// indicators.
func concernChildren(ctx context.Context, q db.Querier, schoolID, concernID int64) ([]ConcernChild, error) {
	rows, _ := q.Query(ctx, `SELECT cc.id, coalesce(cc.child_id, 0), coalesce(ch.first_name || ' ' || ch.last_name, ''),
			cc.description, cc.role,
			coalesce((SELECT array_agg(i.code ORDER BY i.id) FROM concern_indicators i
			          WHERE i.school_id = cc.school_id AND i.concern_child_id = cc.id), '{}')
		FROM concern_children cc LEFT JOIN children ch ON ch.school_id = cc.school_id AND ch.id = cc.child_id
		WHERE cc.school_id = $1 AND cc.concern_id = $2 ORDER BY cc.position`, schoolID, concernID)
	return pgx.CollectRows(rows, pgx.RowToStructByPos[ConcernChild])
}

func bodyMarks(ctx context.Context, q db.Querier, schoolID, concernID int64) ([]BodyMark, error) {
	rows, _ := q.Query(ctx, `SELECT region, side, note FROM concern_body_marks
		WHERE school_id = $1 AND concern_id = $2 ORDER BY position`, schoolID, concernID)
	return pgx.CollectRows(rows, pgx.RowToStructByPos[BodyMark])
}

// addenda returns a concern's addenda; with author not 0, only theirs.
func addenda(ctx context.Context, q db.Querier, schoolID, concernID, author int64) ([]Addendum, error) {
	rows, _ := q.Query(ctx, `SELECT a.id, a.author_id, coalesce(u.name, ''), a.body, a.created_at
		FROM concern_addenda a LEFT JOIN users u ON u.id = a.author_id
		WHERE a.school_id = $1 AND a.concern_id = $2 AND ($3 = 0 OR a.author_id = $3)
		ORDER BY a.created_at, a.id`, schoolID, concernID, author)
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Addendum])
}

// Names lists a concern's children for a heading: the children it is about.
func (v View) Names() string {
	var names []string
	for _, c := range v.Children {
		if c.Role != Subject {
			continue
		}
		if c.ChildID == 0 {
			names = append(names, "Child not known")
		} else {
			names = append(names, c.Name)
		}
	}
	return strings.Join(names, ", ")
}
