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
	UserID      int64 // 0: no signed-in user (the system, or a failed sign-in)
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
	where := []string{"chain_id = @chain"}
	args := pgx.NamedArgs{"chain": schoolID, "limit": limit + 1}
	add := func(cond, name string, v any) {
		where = append(where, cond)
		args[name] = v
	}
	if f.UserID != 0 {
		add("actor_user_id = @user", "user", f.UserID)
	}
	if prefix, ok := strings.CutSuffix(f.Action, "."); ok && prefix != "" {
		add("starts_with(action, @action)", "action", f.Action)
	} else if f.Action != "" {
		add("action = @action", "action", f.Action)
	}
	if f.SubjectType != "" {
		add("subject_type = @subject_type", "subject_type", f.SubjectType)
	}
	if f.SubjectID != "" {
		add("subject_id = @subject_id", "subject_id", f.SubjectID)
	}
	if !f.From.IsZero() {
		add("occurred_at >= @from", "from", f.From)
	}
	if !f.To.IsZero() {
		add("occurred_at < @to", "to", f.To)
	}
	if f.After > 0 {
		add("seq < @after", "after", f.After)
	}
	rows, _ := q.Query(ctx, `
		SELECT seq, occurred_at, coalesce(actor_user_id, 0) AS user_id, actor_role AS role, action,
			subject_type, subject_id, request_id, client_addr, user_agent, details
		FROM audit_events WHERE `+strings.Join(where, " AND ")+`
		ORDER BY seq DESC LIMIT @limit`, args)
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
	UserID int64 // 0: no signed-in user
	Role   actor.Role
	At     time.Time
	Action string // the view's action, e.g. "concern.view" or "attachment.download"
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
		SELECT coalesce(actor_user_id, 0), actor_role, occurred_at, action
		FROM audit_events
		WHERE chain_id = $1 AND subject_type = $2 AND subject_id = $3
			AND action ~ '\.(view|download|print)$'
		ORDER BY seq DESC`, schoolID, subjectType, subjectID)
	views, err := pgx.CollectRows(rows, pgx.RowToStructByPos[View])
	if err != nil {
		return nil, fmt.Errorf("views of %s %s: %w", subjectType, subjectID, err)
	}
	return views, nil
}
