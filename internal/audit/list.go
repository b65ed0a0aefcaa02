package audit

import (
	"context"
	"errors"
	"fmt"
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

// Page is one page of the audit log, newest first.
type Page struct {
	Entries []Entry
	Next    int64 // Filter.After for the next (older) page; 0 when this is the last
}

// Names come from the users table as they are now (users are never
// deleted); the hash covers only the user's id.

// List returns one page of a school's audit log (the deployment-level log
// when schoolID is 0), newest first, narrowed by f. It reads only; listing
// is not itself audited here (the caller audits "audit.view" if it should).
func List(ctx context.Context, q db.Querier, schoolID int64, f Filter) (Page, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	// The WHERE clause is built from constant fragments only; every value is a parameter.
	where := []string{"e.chain_id = @chain"}
	args := pgx.NamedArgs{"chain": schoolID, "limit": limit + 1}
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
	if f.SubjectID != "" {
		add("e.subject_id = @subject_id", "subject_id", f.SubjectID)
	}
	if !f.From.IsZero() {
		add("e.occurred_at >= @from", "from", f.From)
	}
	if !f.To.IsZero() {
		add("e.occurred_at < @to", "to", f.To)
	}
	if f.After > 0 {
		add("e.seq < @after", "after", f.After)
	}
	rows, _ := q.Query(ctx, `
		SELECT e.seq, e.occurred_at, coalesce(e.actor_user_id, 0), coalesce(u.name, ''), e.actor_role, e.action,
			e.subject_type, e.subject_id, e.request_id, e.client_addr, e.user_agent, e.details
		FROM audit_events e LEFT JOIN users u ON u.id = e.actor_user_id
		WHERE `+strings.Join(where, " AND ")+`
		ORDER BY e.seq DESC LIMIT @limit`, args)
	entries, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Entry])
	if err != nil {
		return Page{}, fmt.Errorf("list audit events: %w", err)
	}
	p := Page{Entries: entries}
	if len(entries) > limit {
		p.Entries = entries[:limit]
		p.Next = p.Entries[limit-1].Seq
	}
	return p, nil
}

// View is one time someone saw a record.
type View struct {
	UserID   int64  // 0: no signed-in user
	UserName string // the user's name now; "" without a user
	Role     actor.Role
	At       time.Time
	Action   string // the view's action, e.g. "concern.view" or "attachment.download"
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

// ViewsOf returns every view of one record of a school — events about it
// whose action IsView — newest first, for a "Who has seen this" list.
// subjectType and subjectID are as the viewing events recorded them.
func ViewsOf(ctx context.Context, q db.Querier, schoolID int64, subjectType, subjectID string) ([]View, error) {
	if subjectType == "" || subjectID == "" {
		return nil, errors.New("views of a record: subject type and id are required")
	}
	rows, _ := q.Query(ctx, `
		SELECT coalesce(e.actor_user_id, 0), coalesce(u.name, ''), e.actor_role, e.occurred_at, e.action
		FROM audit_events e LEFT JOIN users u ON u.id = e.actor_user_id
		WHERE e.chain_id = $1 AND e.subject_type = $2 AND e.subject_id = $3
			AND e.action ~ '\.(view|download|print)$'
		ORDER BY e.seq DESC`, schoolID, subjectType, subjectID)
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
