package audit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/db"
)

// Entry is one audit event as people read it.
type Entry struct {
	Seq         int64
	OccurredAt  time.Time
	UserID      int64  // 0: no signed-in user (the system, or a failed sign-in)
	UserName    string // the user's name now; "" without a user
	Role        actor.Role
	Action      string
	SubjectType string
	SubjectID   string
	RequestID   string
	ClientAddr  string
	UserAgent   string
	Details     string // a JSON object: ids, counts, field names
}

// Filter narrows List. Zero fields do not filter.
type Filter struct {
	UserID      int64  // events by this user
	Action      string // this action ("concern.view"), or every action of an area when it ends in a dot ("concern.")
	SubjectType string // events about records of this type ("concern")
	SubjectID   string // events about the record with this reference or id
	From        time.Time
	To          time.Time // events at or after From and before To
	After       int64     // keyset: only events older than the one with this seq (a Page's Next)
	Limit       int       // page size: 0 is DefaultLimit, at most MaxLimit
}

// Page sizes for List.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// Part is which part of a school's log a reader reads (docs/audit.md).
// An entry is about an adult's case when the database marked it so
// (audit_events.about_adults: an allegation action, or any entry naming an
// A- reference). The zero Part reads nothing.
type Part struct {
	// School: every entry that is not about an adult's case (the DSL team
	// and admins).
	School bool
	// Adults: the entries about adults' cases that Reader handles — every
	// case the entry names is one allegation_handler lets them handle (the
	// head, or the chair of governors for a case about the head; never the
	// adult it is about) — and Reader's own entries about adults' cases
	// that name no case (a list's count).
	Adults bool
	Reader int64 // the transaction's user (app.user_id)
}

// Page is one page of the audit log, newest first.
type Page struct {
	Entries []Entry
	Next    int64 // Filter.After for the next (older) page; 0 when this is the last
	// Withheld is how many entries about adults' cases match the filter
	// but are not the reader's to read, counted for the School part only,
	// and not when the filter names a record (a count for one reference
	// would say whether that concern exists).
	Withheld int64
	Part     Part // the part of the log the page was read from
}

// Names come from the users table as they are now (users are never
// deleted); the hash covers only the user's id.

// adultRef matches a concern about an adult's reference (A-2026-000001)
// as a whole word, capturing it.
const adultRef = `'\m(A-[0-9]{4}-[0-9]{6,})\M'`

// handlesAdults is true of an entry about adults' cases that @reader may
// read: every case it names is one they handle (allegation_handler, the
// rule the allegations' own row-level security applies), or it names none
// and they wrote it.
const handlesAdults = `(e.about_adults AND CASE
	WHEN (e.subject_id || ' ' || e.details) ~ ` + adultRef + ` THEN NOT EXISTS (
		SELECT 1 FROM regexp_matches(e.subject_id || ' ' || e.details, ` + adultRef + `, 'g') AS m(ref)
		WHERE NOT EXISTS (SELECT 1 FROM allegations a
			WHERE a.school_id = @chain AND a.ref = m.ref[1]
				AND allegation_handler(a.school_id, a.routed_to, a.subject_user_id)))
	ELSE e.actor_user_id IS NOT DISTINCT FROM @reader END)`

// List returns one page of the part of a school's audit log (the
// deployment-level log when schoolID is 0) that part allows, newest first,
// narrowed by f, with the count of entries withheld. Which entries a
// reader may see is decided in the query, so keyset paging counts only
// those. It reads only; listing is not itself audited here (the caller
// audits "audit.view" if it should).
func List(ctx context.Context, q db.Querier, schoolID int64, part Part, f Filter) (Page, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	if !part.School && !part.Adults {
		return Page{Part: part}, nil
	}
	// The WHERE clause is built from constant fragments only; every value is a parameter.
	where := []string{"e.chain_id = @chain"}
	args := pgx.NamedArgs{"chain": schoolID, "limit": limit + 1, "reader": part.Reader}
	add := func(cond, name string, v any) {
		where = append(where, cond)
		args[name] = v
	}
	if f.UserID != 0 {
		add("e.actor_user_id = @user", "user", f.UserID)
	}
	if prefix, ok := strings.CutSuffix(f.Action, "."); ok && prefix != "" {
		add("starts_with(e.action, @action)", "action", f.Action)
	} else if f.Action != "" {
		add("e.action = @action", "action", f.Action)
	}
	if f.SubjectType != "" {
		add("e.subject_type = @subject_type", "subject_type", f.SubjectType)
	}
	if !f.From.IsZero() {
		add("e.occurred_at >= @from", "from", f.From)
	}
	if !f.To.IsZero() {
		add("e.occurred_at < @to", "to", f.To)
	}
	filtered := slices.Clone(where) // what the withheld count is narrowed by
	if f.SubjectID != "" {
		add("e.subject_id = @subject_id", "subject_id", f.SubjectID)
	}
	var visible []string
	if part.School {
		visible = append(visible, "NOT e.about_adults")
	}
	if part.Adults {
		visible = append(visible, handlesAdults)
	}
	where = append(where, "("+strings.Join(visible, " OR ")+")")
	page := slices.Clone(where)
	if f.After > 0 {
		page = append(page, "e.seq < @after")
		args["after"] = f.After
	}
	rows, _ := q.Query(ctx, `
		SELECT e.seq, e.occurred_at, coalesce(e.actor_user_id, 0), coalesce(u.name, ''), e.actor_role, e.action,
			e.subject_type, e.subject_id, e.request_id, e.client_addr, e.user_agent, e.details
		FROM audit_events e LEFT JOIN users u ON u.id = e.actor_user_id
		WHERE `+strings.Join(page, " AND ")+`
		ORDER BY e.seq DESC LIMIT @limit`, args)
	entries, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Entry])
	if err != nil {
		return Page{}, fmt.Errorf("list audit events: %w", err)
	}
	p := Page{Entries: entries, Part: part}
	if len(entries) > limit {
		p.Entries = entries[:limit]
		p.Next = p.Entries[limit-1].Seq
	}
	if part.School && f.SubjectID == "" {
		cond := strings.Join(filtered, " AND ") + " AND e.about_adults"
		if part.Adults {
			cond += " AND NOT " + handlesAdults
		}
		if err := q.QueryRow(ctx, `SELECT count(*) FROM audit_events e WHERE `+cond, args).Scan(&p.Withheld); err != nil {
			return Page{}, fmt.Errorf("count withheld audit events: %w", err)
		}
	}
	return p, nil
}

// View is one person's views of one record on one day, in one way (viewed,
// downloaded or printed), for a "Who has seen this" list.
type View struct {
	UserID   int64  // 0: no signed-in user
	UserName string // the user's name now; "" without a user
	Role     actor.Role
	Deputy   bool      // a deputy DSL: the Role is DSL and their membership says deputy now
	First    time.Time // the first view that day
	At       time.Time // the last view that day
	Count    int       // how many times that day
	Action   string    // the views' action, e.g. "concern.view" or "attachment.download"
}

// IsView reports whether action is a view: its verb (after the last dot) is
// view, download or print.
func IsView(action string) bool {
	i := strings.LastIndexByte(action, '.')
	switch action[i+1:] {
	case "view", "download", "print":
		return true
	}
	return false
}

// ViewsOf returns the views of one record of a school — events about it
// whose action IsView — grouped by person, role, day (in the school's time
// zone) and action, for a "Who has seen this" list: views by people
// outside the DSL team first, then the newest day, then the latest view.
// A view marked as following the person's own action on the page it
// redirected to (AfterOwnAction) is part of that action, not a view of
// its own: it stays in the audit trail but is not counted here.
// subjectType and subjectID are as the viewing events recorded them.
func ViewsOf(ctx context.Context, q db.Querier, schoolID int64, subjectType, subjectID string) ([]View, error) {
	if subjectType == "" || subjectID == "" {
		return nil, errors.New("views of a record: subject type and id are required")
	}
	rows, _ := q.Query(ctx, `
		SELECT coalesce(e.actor_user_id, 0), coalesce(u.name, ''), e.actor_role,
			e.actor_role = 'dsl' AND coalesce(m.deputy, false),
			min(e.occurred_at), max(e.occurred_at), count(*)::int, e.action
		FROM audit_events e
			LEFT JOIN users u ON u.id = e.actor_user_id
			LEFT JOIN memberships m ON m.school_id = $1 AND m.user_id = e.actor_user_id
		WHERE e.chain_id = $1 AND e.subject_type = $2 AND e.subject_id = $3
			AND e.action ~ '\.(view|download|print)$'
			AND NOT coalesce((e.details::jsonb ->> '`+AfterOwnAction+`')::boolean, false)
		GROUP BY e.actor_user_id, u.name, e.actor_role, m.deputy, (e.occurred_at AT TIME ZONE 'Europe/London')::date, e.action
		ORDER BY e.actor_role = 'dsl', (e.occurred_at AT TIME ZONE 'Europe/London')::date DESC, max(e.occurred_at) DESC, e.action`,
		schoolID, subjectType, subjectID)
	views, err := pgx.CollectRows(rows, pgx.RowToStructByPos[View])
	if err != nil {
		return nil, fmt.Errorf("views of %s %s: %w", subjectType, subjectID, err)
	}
	return views, nil
}

// Person is someone who appears in an audit log.
type Person struct {
	UserID int64
	Name   string // "" if the user is unknown
}

// People returns everyone who has acted in a school's audit log (the
// deployment-level log when schoolID is 0), by name, for a person filter.
// It reads the distinct actors off an index, not the whole log.
func People(ctx context.Context, q db.Querier, schoolID int64) ([]Person, error) {
	rows, _ := q.Query(ctx, `
		WITH RECURSIVE actors AS (
			(SELECT actor_user_id FROM audit_events
			 WHERE chain_id = $1 AND actor_user_id IS NOT NULL ORDER BY actor_user_id LIMIT 1)
			UNION ALL
			SELECT (SELECT e.actor_user_id FROM audit_events e
			        WHERE e.chain_id = $1 AND e.actor_user_id > a.actor_user_id ORDER BY e.actor_user_id LIMIT 1)
			FROM actors a WHERE a.actor_user_id IS NOT NULL
		)
		SELECT a.actor_user_id, coalesce(u.name, '') FROM actors a LEFT JOIN users u ON u.id = a.actor_user_id
		WHERE a.actor_user_id IS NOT NULL
		ORDER BY lower(coalesce(u.name, '')), a.actor_user_id`, schoolID)
	people, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Person])
	if err != nil {
		return nil, fmt.Errorf("people in the audit log: %w", err)
	}
	return people, nil
}
