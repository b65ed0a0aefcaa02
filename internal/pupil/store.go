package pupil

import (
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/db"
)

const childColumns = `id, school_id, first_name, last_name, date_of_birth, year_group, upn, mis_id,
	looked_after, cp_plan, child_in_need, send, ehcp, social_worker, added_inline, created_at`

// get returns the child with id in school, or db.ErrNotFound.
func get(ctx context.Context, q db.Querier, schoolID, id int64) (Child, error) {
	return getChild(ctx, q, schoolID, id, "")
}

// getForUpdate is get, with the row locked until the transaction ends.
func getForUpdate(ctx context.Context, q db.Querier, schoolID, id int64) (Child, error) {
	return getChild(ctx, q, schoolID, id, " FOR UPDATE")
}

func getChild(ctx context.Context, q db.Querier, schoolID, id int64, lock string) (Child, error) {
	rows, _ := q.Query(ctx, `SELECT `+childColumns+` FROM children
		WHERE school_id = $1 AND id = $2`+lock, schoolID, id)
	c, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Child])
	if errors.Is(err, pgx.ErrNoRows) {
		return Child{}, db.ErrNotFound
	}
	return c, err
}

// setDetails sets the flags and social worker of the child id in school.
func setDetails(ctx context.Context, q db.Querier, schoolID, id int64, d Details) error {
	tag, err := q.Exec(ctx, `UPDATE children SET looked_after = @la, cp_plan = @cp, child_in_need = @cin,
			send = @send, ehcp = @ehcp, social_worker = @sw
		WHERE school_id = @school AND id = @id`,
		pgx.NamedArgs{"school": schoolID, "id": id, "la": d.LookedAfter, "cp": d.CPPlan, "cin": d.ChildInNeed,
			"send": d.SEND, "ehcp": d.EHCP, "sw": d.SocialWorker})
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return db.ErrNotFound
	}
	return nil
}

// search returns at most limit children of school matching query: its UPN
// or MIS id exactly, or every word of it somewhere in their name.
func search(ctx context.Context, q db.Querier, schoolID int64, query string, limit int) ([]Child, error) {
	words := strings.Fields(strings.ToLower(query))
	if len(words) > 5 {
		words = words[:5]
	}
	rows, _ := q.Query(ctx, `SELECT `+childColumns+` FROM children
		WHERE school_id = $1
		  AND (upn = $2 OR mis_id = $3
		       OR (SELECT bool_and(strpos(lower(first_name || ' ' || last_name), w) > 0) FROM unnest($4::text[]) AS w))
		ORDER BY lower(last_name), lower(first_name), date_of_birth NULLS LAST, id
		LIMIT $5`, schoolID, normaliseUPN(query), strings.TrimSpace(query), words, limit)
	return pgx.CollectRows(rows, pgx.RowToStructByName[Child])
}

// insert adds a child to by's school.
func insert(ctx context.Context, q db.Querier, by actor.Actor, n NewChild, inline bool) (Child, error) {
	var addedBy any
	if inline && by.UserID != 0 {
		addedBy = by.UserID
	}
	rows, _ := q.Query(ctx, `INSERT INTO children (school_id, first_name, last_name, date_of_birth,
			year_group, upn, mis_id, added_inline, added_by)
		VALUES (@school, @first, @last, @dob, @year, nullif(@upn, ''), nullif(@mis, ''), @inline, @added_by)
		RETURNING `+childColumns,
		pgx.NamedArgs{"school": by.SchoolID, "first": n.FirstName, "last": n.LastName, "dob": n.DateOfBirth,
			"year": n.YearGroup, "upn": n.UPN, "mis": n.MISID, "inline": inline, "added_by": addedBy})
	return pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Child])
}
