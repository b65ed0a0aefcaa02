package concern

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/validate"
)

// AccessForm is the "Who can see this concern" form: whether the concern
// is restricted to named DSLs, who is named, and who is excluded for a
// conflict of interest.
type AccessForm struct {
	Version    int
	Restricted bool
	Named      []int64
	Excluded   []int64
}

// Fields of the access form.
const (
	FieldNamed    = "named"
	FieldExcluded = "excluded"
)

// SetAccess changes who may see the concern ref. When restricted, only the
// DSLs named (and the DSL making the change, who is always named) see it;
// anyone excluded never does, restricted or not. The person excluding
// cannot exclude themselves, nobody is both named and excluded, and the
// DSL the concern is assigned to must keep seeing it. Everyone named or
// excluded must be a DSL of the school. The concern's author always sees
// what they recorded. The rule is enforced by the service's queries and by
// row-level security (migration 00064). Audited as concern.restrict.
func (s *Service) SetAccess(ctx context.Context, by actor.Actor, ref string, f AccessForm) error {
	named := unique(f.Named)
	excluded := unique(f.Excluded)
	if f.Restricted && !slices.Contains(named, by.UserID) {
		named = append(named, by.UserID)
	}
	if !f.Restricted {
		named = nil
	}
	if slices.Contains(excluded, by.UserID) {
		return validate.Problems{FieldExcluded: "You cannot exclude yourself: ask another DSL to do it"}
	}
	for _, id := range excluded {
		if slices.Contains(named, id) {
			return validate.Problems{FieldExcluded: "Someone cannot be both named and excluded"}
		}
	}
	err := s.change(ctx, by, ref, f.Version, OpTriage, func(tx pgx.Tx, c caseRow) error {
		dsls, err := schoolDSLs(ctx, tx, by.SchoolID)
		if err != nil {
			return err
		}
		isDSL := func(id int64) bool { return slices.ContainsFunc(dsls, func(p Person) bool { return p.ID == id }) }
		for _, id := range named {
			if !isDSL(id) {
				return validate.Problems{FieldNamed: "Choose DSLs of the school"}
			}
		}
		for _, id := range excluded {
			if !isDSL(id) {
				return validate.Problems{FieldExcluded: "Choose DSLs of the school"}
			}
		}
		if c.AssignedTo != 0 && (slices.Contains(excluded, c.AssignedTo) || (f.Restricted && !slices.Contains(named, c.AssignedTo))) {
			return validate.Problems{FieldNamed: "The DSL this concern is assigned to must be able to see it: " +
				"name them, or assign the concern to someone else first"}
		}
		// In this order, so that the DSL making the change can see the
		// concern at every step (row-level security checks each one).
		for _, p := range []struct {
			ids  []int64
			kind string
		}{{named, "named"}, {excluded, "excluded"}} {
			if len(p.ids) == 0 {
				continue
			}
			if _, err := tx.Exec(ctx, `INSERT INTO concern_access (school_id, concern_id, user_id, kind, set_by)
				SELECT $1, $2, u, $4, $5 FROM unnest($3::bigint[]) AS u
				ON CONFLICT (school_id, concern_id, user_id) DO UPDATE SET kind = EXCLUDED.kind, set_by = EXCLUDED.set_by, set_at = now()`,
				by.SchoolID, c.ID, p.ids, p.kind, by.UserID); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE concerns SET restricted = $3 WHERE school_id = $1 AND id = $2`,
			by.SchoolID, c.ID, f.Restricted); err != nil {
			return err
		}
		keep := append(append([]int64{}, named...), excluded...)
		if _, err := tx.Exec(ctx, `DELETE FROM concern_access WHERE school_id = $1 AND concern_id = $2 AND user_id <> ALL($3::bigint[])`,
			by.SchoolID, c.ID, keep); err != nil {
			return err
		}
		details := map[string]any{"restricted": f.Restricted, "named": len(named), "excluded": len(excluded)}
		if err := addEvent(ctx, tx, by, c, EventRestricted, "", details); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, auditEvent("concern.restrict", ref,
			map[string]any{"restricted": f.Restricted, "named": named, "excluded": excluded}))
	})
	if err != nil {
		return fmt.Errorf("set who may see %s: %w", ref, err)
	}
	return nil
}

// access returns the people named on and excluded from a concern.
func access(ctx context.Context, q db.Querier, schoolID, concernID int64) (named, excluded []Person, err error) {
	rows, _ := q.Query(ctx, `SELECT a.kind, u.id, u.name, coalesce(m.deputy, false)
		FROM concern_access a JOIN users u ON u.id = a.user_id
		LEFT JOIN memberships m ON m.school_id = a.school_id AND m.user_id = a.user_id
		WHERE a.school_id = $1 AND a.concern_id = $2 ORDER BY lower(u.name), u.id`, schoolID, concernID)
	var kind string
	var p Person
	_, err = pgx.ForEachRow(rows, []any{&kind, &p.ID, &p.Name, &p.Deputy}, func() error {
		if kind == "named" {
			named = append(named, p)
		} else {
			excluded = append(excluded, p)
		}
		return nil
	})
	return named, excluded, err
}

// unique returns ids without zeros and repeats, in order.
func unique(ids []int64) []int64 {
	var out []int64
	for _, id := range ids {
		if id != 0 && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// Access returns who may see the concern ref now, as the access form
// shows it, with the concern's version. DSLs who may see it only.
func (s *Service) Access(ctx context.Context, by actor.Actor, ref string) (AccessForm, error) {
	if !isDSL(by) {
		return AccessForm{}, db.ErrNotFound
	}
	var f AccessForm
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		c, err := caseRowOf(ctx, tx, by.SchoolID, by.UserID, ref)
		if err != nil {
			return err
		}
		named, excluded, err := access(ctx, tx, by.SchoolID, c.ID)
		if err != nil {
			return err
		}
		f = AccessForm{Version: c.Version, Restricted: c.Restricted}
		for _, p := range named {
			f.Named = append(f.Named, p.ID)
		}
		for _, p := range excluded {
			f.Excluded = append(f.Excluded, p.ID)
		}
		return nil
	})
	if err != nil {
		return AccessForm{}, fmt.Errorf("who may see %s: %w", ref, err)
	}
	return f, nil
}
