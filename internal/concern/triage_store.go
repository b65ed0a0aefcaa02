package concern

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/school"
)

// caseRow is what a change needs to know of a concern: after change has
// bumped it, Version and Status are the new ones.
type caseRow struct {
	ID         int64
	Ref        string
	Status     Status
	Version    int
	InDanger   bool
	InError    bool
	AssignedTo int64
	Restricted bool
	CreatedAt  time.Time
	RecordedBy int64
}

// caseRowOf reads the concern ref of the school as the DSL viewer may see
// it, or db.ErrNotFound: also for a restricted concern they are not named
// on, or one they are excluded from (checked here and by row-level security).
func caseRowOf(ctx context.Context, q db.Querier, schoolID, viewer int64, ref string) (caseRow, error) {
	rows, _ := q.Query(ctx, `SELECT id, ref, status, version, in_danger, entered_in_error_at IS NOT NULL,
			coalesce(assigned_to, 0), restricted, created_at, recorded_by
		FROM concerns WHERE school_id = $1 AND ref = $2 AND concern_visible_to(school_id, id, restricted, $3)`, schoolID, ref, viewer)
	c, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[caseRow])
	if errors.Is(err, pgx.ErrNoRows) {
		return caseRow{}, db.ErrNotFound
	}
	return c, err
}

// isDSL reports whether by acts as a DSL (or deputy DSL) of their school.
func isDSL(by actor.Actor) bool { return by.Role == actor.DSL && by.UserID != 0 && by.SchoolID != 0 }

// change runs one change by a DSL to the concern ref, in one transaction:
// it checks that the concern is still at version seen (a *ConflictError
// listing what changed otherwise, with nothing written), applies the
// lifecycle rule for op (a *StateError when it does not fit), bumps the
// version with UPDATE … WHERE version = seen and sets the new status, then
// calls fn for the rest (its own rows, the event, the audit record).
func (s *Service) change(ctx context.Context, by actor.Actor, ref string, seen int, op Op, fn func(pgx.Tx, caseRow) error) error {
	if !isDSL(by) {
		return db.ErrNotFound
	}
	return db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		c, err := caseRowOf(ctx, tx, by.SchoolID, by.UserID, ref)
		if err != nil {
			return err
		}
		if c.Version != seen {
			return conflict(ctx, tx, by.SchoolID, c, seen)
		}
		status, err := next(c.Status, c.InError, op)
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE concerns SET version = version + 1, status = $4
			WHERE school_id = $1 AND id = $2 AND version = $3`, by.SchoolID, c.ID, seen, status)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 { // changed between our read and our write
			if c, err = caseRowOf(ctx, tx, by.SchoolID, by.UserID, ref); err != nil {
				return err
			}
			return conflict(ctx, tx, by.SchoolID, c, seen)
		}
		c.Version, c.Status = seen+1, status
		return fn(tx, c)
	})
}

// conflict builds the *ConflictError for a page that showed version seen
// of c: the events since.
func conflict(ctx context.Context, q db.Querier, schoolID int64, c caseRow, seen int) error {
	changes, err := events(ctx, q, schoolID, c.ID, seen)
	if err != nil {
		return err
	}
	return &ConflictError{Ref: c.Ref, Seen: seen, Version: c.Version, Changes: changes}
}

// addEvent records a change to c (at its new version) by by.
func addEvent(ctx context.Context, q db.Querier, by actor.Actor, c caseRow, kind EventKind, reason string, details map[string]any) error {
	if details == nil {
		details = map[string]any{}
	}
	b, err := json.Marshal(details)
	if err != nil {
		return err
	}
	var actorID any
	if by.UserID != 0 {
		actorID = by.UserID
	}
	_, err = q.Exec(ctx, `INSERT INTO concern_events (school_id, concern_id, version, kind, actor_id, reason, details)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, by.SchoolID, c.ID, c.Version, kind, actorID, reason, b)
	return err
}

// events returns a concern's events after version after, oldest first,
// each with a summary in words.
func events(ctx context.Context, q db.Querier, schoolID, concernID int64, after int) ([]Event, error) {
	m, err := eventsOf(ctx, q, schoolID, []int64{concernID}, after)
	return m[concernID], err
}

// eventsOf returns the events after version after of each of the concerns
// ids, oldest first, each with a summary in words: in three queries
// however many concerns (a child's chronology reads them all).
func eventsOf(ctx context.Context, q db.Querier, schoolID int64, ids []int64, after int) (map[int64][]Event, error) {
	rows, _ := q.Query(ctx, `SELECT e.concern_id, e.version, e.kind, coalesce(e.actor_id, 0), coalesce(u.name, 'Haven'), e.at,
			e.reason, e.details
		FROM concern_events e LEFT JOIN users u ON u.id = e.actor_id
		WHERE e.school_id = $1 AND e.concern_id = ANY ($2) AND e.version > $3
		ORDER BY e.concern_id, e.version, e.id`, schoolID, ids, after)
	type row struct {
		ConcernID int64
		Version   int
		Kind      EventKind
		ActorID   int64
		Actor     string
		At        time.Time
		Reason    string
		Details   map[string]any
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[row])
	if err != nil {
		return nil, err
	}
	out := map[int64][]Event{}
	if len(list) == 0 {
		return out, nil
	}
	var users []int64
	for _, r := range list {
		if v, ok := r.Details["to"].(float64); ok {
			users = append(users, int64(v))
		}
	}
	names, err := userNames(ctx, q, users)
	if err != nil {
		return nil, err
	}
	cats, err := categoryNames(ctx, q, schoolID)
	if err != nil {
		return nil, err
	}
	for _, r := range list {
		out[r.ConcernID] = append(out[r.ConcernID], Event{Version: r.Version, Kind: r.Kind, ActorID: r.ActorID, Actor: r.Actor,
			At: r.At, Reason: r.Reason, Summary: eventSummary(r.Kind, r.Details, names, cats.name)})
	}
	return out, nil
}

// userNames returns the names of the users with ids.
func userNames(ctx context.Context, q db.Querier, ids []int64) (map[int64]string, error) {
	out := map[int64]string{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, _ := q.Query(ctx, `SELECT id, name FROM users WHERE id = ANY($1)`, ids)
	var id int64
	var name string
	_, err := pgx.ForEachRow(rows, []any{&id, &name}, func() error {
		out[id] = name
		return nil
	})
	return out, err
}

// categories maps a school's category keys to their names.
type categories map[string]string

// name is the category's name, or its key when the school has none by it.
func (c categories) name(key string) string {
	if n, ok := c[key]; ok {
		return n
	}
	return key
}

// names lists the names of keys, in order.
func (c categories) names(keys []string) []string {
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, c.name(k))
	}
	return out
}

// categoryNames returns the school's categories, active or not.
func categoryNames(ctx context.Context, q db.Querier, schoolID int64) (categories, error) {
	all, err := school.CategoriesIn(ctx, q, schoolID)
	out := categories{}
	for _, c := range all {
		out[c.Key] = c.Name
	}
	return out, err
}

// schoolDSLs returns the school's active DSLs and deputy DSLs, by name,
// marked away when they are.
func schoolDSLs(ctx context.Context, q db.Querier, schoolID int64) ([]Person, error) {
	rows, _ := q.Query(ctx, `SELECT u.id, u.name, m.deputy,
			EXISTS (SELECT 1 FROM dsl_absences a WHERE a.school_id = m.school_id AND a.user_id = m.user_id AND a.ended_at IS NULL)
		FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.school_id = $1 AND m.role = 'dsl' AND m.deactivated_at IS NULL
		ORDER BY m.deputy, lower(u.name), u.id`, schoolID)
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Person])
}

// closeTasks ends a concern's open tasks because it was entered in error
// (it is then on no list and no chronology).
func closeTasks(ctx context.Context, q db.Querier, by actor.Actor, concernID int64) error {
	_, err := q.Exec(ctx, `UPDATE concern_tasks SET done_at = now(), done_by = $3, outcome = 'entered_in_error'
		WHERE school_id = $1 AND concern_id = $2 AND done_at IS NULL`, by.SchoolID, concernID, by.UserID)
	return err
}

// WithClock returns a copy of s that takes the time from now: what is
// overdue, due or flagged, and when a round of escalation or a task falls
// due. Tests use it to move time; the database's own clock still stamps rows.
func (s *Service) WithClock(now func() time.Time) *Service {
	c := *s
	c.now = now
	return &c
}
