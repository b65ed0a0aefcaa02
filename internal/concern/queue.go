package concern

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/pupil"
	"github.com/havenschools/haven/internal/school"
	"github.com/havenschools/haven/internal/when"
)

// The Safeguarding queue: a school's open concerns for its DSLs, in the
// order they should be seen — unacknowledged concerns about a child in
// immediate danger first, then other unacknowledged concerns oldest first,
// then the rest by urgency (high, medium, low, not set), oldest first; a
// closed concern (when the filter asks for them) last. The order is the
// stored queue_rank, created_at, id, read with keyset paging: a page never
// counts or skips the rows before it.

// QueueFilter narrows the queue. Zero fields do not filter.
type QueueFilter struct {
	// Status is one status, "open" (every status but closed; the default)
	// or "all".
	Status    string
	Category  string // a category key
	Urgency   string // "low", "medium", "high", or "none" (not yet set)
	Mine      bool   // assigned to the reader
	YearGroup *pupil.YearGroup
	// From and To bound the date the concern was recorded (London dates,
	// both included).
	From, To time.Time
	// After is the keyset cursor: the queue after the row it names (a
	// QueuePage's Next).
	After string
	Limit int
}

// Queue page sizes.
const (
	QueueDefaultLimit = 50
	QueueMaxLimit     = 200
)

// QueueRow is one concern in the queue.
type QueueRow struct {
	Ref          string
	Children     string // the children it is about, or "Child not known"
	ChildIDs     []int64
	YearGroups   string
	Categories   []string // names
	RecordedBy   string
	CreatedAt    time.Time
	Status       Status
	InDanger     bool
	Urgency      Urgency
	AssignedTo   int64
	Assignee     string
	AssigneeAway bool
	// Overdue: unacknowledged for longer than the school's time limit.
	Overdue bool
	// Flags are the raised cumulative-concern flags of its children, in words.
	Flags []string
}

// StaleDraft is a draft with real content (HasContent) left unsent for
// more than a day: a concern not yet told. The DSL sees who and when, never
// what it says.
type StaleDraft struct {
	Author  string
	SavedAt time.Time
}

// QueuePage is one page of the queue, with counts of the concerns in each
// status (under the same filters but status) and the unsent drafts.
type QueuePage struct {
	Rows []QueueRow
	Next string // the cursor of the next page; "" on the last
	// Counts are of the open statuses only, under the filters: the closed
	// grow without bound, and counting every one of them on each view
	// of the queue is what makes a large school's queue slow.
	Counts map[Status]int
	Drafts []StaleDraft
	// Categories are the school's active categories, in order, for the
	// queue's filter.
	Categories []school.Category
	// AsOf is when the page was read: newer concerns are "new" to it.
	AsOf time.Time
}

// Unacknowledged is how many concerns wait to be acknowledged.
func (p QueuePage) Unacknowledged() int { return p.Counts[Submitted] }

// Open is how many concerns are not closed.
func (p QueuePage) Open() int {
	return p.Counts[Submitted] + p.Counts[Acknowledged] + p.Counts[InProgress]
}

// cursor is a position in the queue's order.
type cursor struct {
	rank    int
	created time.Time
	id      int64
}

func (c cursor) String() string {
	return strconv.Itoa(c.rank) + "." + strconv.FormatInt(c.created.UnixMicro(), 10) + "." + strconv.FormatInt(c.id, 10)
}

func parseCursor(s string) (cursor, bool) {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return cursor{}, false
	}
	rank, err1 := strconv.Atoi(parts[0])
	micro, err2 := strconv.ParseInt(parts[1], 10, 64)
	id, err3 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || rank < 0 || rank > 9 || id <= 0 {
		return cursor{}, false
	}
	return cursor{rank: rank, created: time.UnixMicro(micro), id: id}, true
}

// Queue returns one page of by's school's Safeguarding queue under f. For
// the school's DSLs only (anyone else: db.ErrNotFound); concerns entered in
// error are never on it, and restricted concerns only for the DSLs named.
// Audited as queue.view (the filters used, never names).
func (s *Service) Queue(ctx context.Context, by actor.Actor, f QueueFilter) (QueuePage, error) {
	if !isDSL(by) {
		return QueuePage{}, db.ErrNotFound
	}
	limit := f.Limit
	if limit <= 0 {
		limit = QueueDefaultLimit
	}
	limit = min(limit, QueueMaxLimit)
	now := s.now()
	p := QueuePage{AsOf: now}
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		sql, args, counted := QueueSelect(by, f, now, limit)
		rows, _ := tx.Query(ctx, sql, args)
		type row struct {
			ID           int64
			Rank         int
			Ref          string
			Children     string
			ChildIDs     []int64
			YearGroups   []int16
			Categories   []string
			RecordedBy   string
			CreatedAt    time.Time
			Status       Status
			InDanger     bool
			Urgency      Urgency
			AssignedTo   int64
			Assignee     string
			AssigneeAway bool
			Overdue      bool
		}
		list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[row])
		if err != nil {
			return err
		}
		if len(list) > limit {
			list = list[:limit]
			last := list[limit-1]
			p.Next = cursor{rank: last.Rank, created: last.CreatedAt, id: last.ID}.String()
		}
		all, err := school.CategoriesIn(ctx, tx, by.SchoolID)
		if err != nil {
			return err
		}
		cats := categories{}
		for _, c := range all {
			cats[c.Key] = c.Name
			if c.Active {
				p.Categories = append(p.Categories, c)
			}
		}
		var childIDs []int64
		for _, r := range list {
			childIDs = append(childIDs, r.ChildIDs...)
		}
		flags, _, err := flagsFor(ctx, tx, by.SchoolID, by.UserID, childIDs, now)
		if err != nil {
			return err
		}
		for _, r := range list {
			q := QueueRow{Ref: r.Ref, Children: r.Children, ChildIDs: r.ChildIDs, Categories: cats.names(r.Categories),
				RecordedBy: r.RecordedBy, CreatedAt: r.CreatedAt, Status: r.Status, InDanger: r.InDanger, Urgency: r.Urgency,
				AssignedTo: r.AssignedTo, Assignee: r.Assignee, AssigneeAway: r.AssigneeAway, Overdue: r.Overdue}
			if q.Children == "" {
				q.Children = "Child not known"
			}
			var years []string
			for _, y := range r.YearGroups {
				years = append(years, pupil.YearGroup(y).String())
			}
			q.YearGroups = strings.Join(years, ", ")
			for _, id := range r.ChildIDs {
				for _, fl := range flags[id] {
					if fl.Raised {
						q.Flags = append(q.Flags, fl.Reason)
					}
				}
			}
			p.Rows = append(p.Rows, q)
		}

		// The counts per open status: one grouped count under the filters
		// but status (closed concerns are not counted: see QueuePage).
		p.Counts = map[Status]int{}
		rows, _ = tx.Query(ctx, `SELECT c.status, count(*) FROM concerns c WHERE `+counted+`
			AND c.status <> 'closed' GROUP BY c.status`, args)
		var st Status
		var n int
		if _, err := pgx.ForEachRow(rows, []any{&st, &n}, func() error {
			p.Counts[st] = n
			return nil
		}); err != nil {
			return err
		}

		if p.Drafts, err = staleDrafts(ctx, tx, by.SchoolID, now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "queue.view", Details: f.details()})
	})
	if err != nil {
		return QueuePage{}, fmt.Errorf("read the queue: %w", err)
	}
	return p, nil
}

// QueueSelect is the SQL of one page of by's queue under f as Queue runs
// it (limit+1 rows, the last only telling that there is a next page), with
// its arguments; counted is the condition the counts per status share. It
// runs in by's school transaction. The benchmarks' bare baseline runs it
// too, and docs/performance.md shows its plans.
func QueueSelect(by actor.Actor, f QueueFilter, now time.Time, limit int) (sql string, args pgx.NamedArgs, counted string) {
	// Built from constant fragments; every value is a parameter.
	where := []string{"c.school_id = @school", "c.entered_in_error_at IS NULL",
		visibleSQL("c", "@school", "@me")}
	args = pgx.NamedArgs{"school": by.SchoolID, "limit": limit + 1, "me": by.UserID, "now": now}
	add := func(cond, name string, v any) {
		where = append(where, cond)
		if name != "" {
			args[name] = v
		}
	}
	if f.Category != "" {
		add("@category = ANY(c.categories)", "category", f.Category)
	}
	switch f.Urgency {
	case "low", "medium", "high":
		add("c.urgency = @urgency", "urgency", f.Urgency)
	case "none":
		add("c.urgency = ''", "", nil)
	}
	if f.Mine {
		add("c.assigned_to = @me", "", nil)
	}
	if f.YearGroup != nil {
		add(`EXISTS (SELECT 1 FROM concern_children cc JOIN children ch ON ch.school_id = cc.school_id AND ch.id = cc.child_id
			WHERE cc.school_id = c.school_id AND cc.concern_id = c.id AND cc.role = 'subject' AND ch.year_group = @year)`,
			"year", int(*f.YearGroup))
	}
	if !f.From.IsZero() {
		add("c.created_at >= @from", "from", startOfDay(f.From))
	}
	if !f.To.IsZero() {
		add("c.created_at < @to", "to", startOfDay(f.To).AddDate(0, 0, 1))
	}
	counted = strings.Join(where, " AND ")
	switch f.Status {
	case "", "open":
		add("c.status <> 'closed'", "", nil)
	case "all":
	case string(Submitted), string(Acknowledged), string(InProgress), string(Closed):
		add("c.status = @status", "status", f.Status)
	default:
		add("false", "", nil) // an unknown status matches nothing
	}
	if cur, ok := parseCursor(f.After); ok {
		add("(c.queue_rank, c.created_at, c.id) > (@after_rank, @after_created, @after_id)", "after_rank", cur.rank)
		args["after_created"], args["after_id"] = cur.created, cur.id
	}

	sql = `
		SELECT c.id, c.queue_rank, c.ref, ` + subjectNamesSQL + `,
			coalesce((SELECT array_agg(cc.child_id ORDER BY cc.position) FROM concern_children cc
			          WHERE cc.school_id = c.school_id AND cc.concern_id = c.id AND cc.role = 'subject' AND cc.child_id IS NOT NULL), '{}'),
			coalesce((SELECT array_agg(DISTINCT ch.year_group) FROM concern_children cc
			          JOIN children ch ON ch.school_id = cc.school_id AND ch.id = cc.child_id
			          WHERE cc.school_id = c.school_id AND cc.concern_id = c.id AND cc.role = 'subject' AND ch.year_group IS NOT NULL), '{}'),
			c.categories, coalesce(r.name, ''), c.created_at, c.status, c.in_danger, c.urgency,
			coalesce(c.assigned_to, 0), coalesce(a.name, ''),
			EXISTS (SELECT 1 FROM dsl_absences d WHERE d.school_id = c.school_id AND d.user_id = c.assigned_to AND d.ended_at IS NULL),
			c.status = 'submitted' AND c.created_at + make_interval(mins => CASE WHEN c.in_danger
				THEN coalesce(ss.urgent_escalation_minutes, 15) ELSE coalesce(ss.escalation_minutes, 1440) END) < @now
		FROM (
			-- The page first (by the queue index), then what it shows:
			-- a page costs the same whatever the school's size.
			SELECT c.id, c.school_id, c.queue_rank, c.ref, c.categories, c.recorded_by, c.created_at, c.status,
				c.in_danger, c.urgency, c.assigned_to
			FROM concerns c
			WHERE ` + strings.Join(where, " AND ") + `
			ORDER BY c.queue_rank, c.created_at, c.id
			LIMIT @limit) c
		LEFT JOIN school_settings ss ON ss.school_id = c.school_id
		LEFT JOIN users r ON r.id = c.recorded_by
		LEFT JOIN users a ON a.id = c.assigned_to
		ORDER BY c.queue_rank, c.created_at, c.id`
	return sql, args, counted
}

// startOfDay is the start of d's date in London.
func startOfDay(d time.Time) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, when.London())
}

// details is the filter as an audit event's details: only the filters used.
func (f QueueFilter) details() map[string]any {
	d := map[string]any{}
	if f.Status != "" {
		d["status"] = f.Status
	}
	if f.Category != "" {
		d["category"] = f.Category
	}
	if f.Urgency != "" {
		d["urgency"] = f.Urgency
	}
	if f.Mine {
		d["mine"] = true
	}
	if f.YearGroup != nil {
		d["year_group"] = int(*f.YearGroup)
	}
	if !f.From.IsZero() {
		d["from"] = f.From.Format(time.DateOnly)
	}
	if !f.To.IsZero() {
		d["to"] = f.To.Format(time.DateOnly)
	}
	if f.After != "" {
		d["page"] = true
	}
	return d
}

// NewSince counts the concerns of by's school recorded after since that by
// may see (not entered in error): the live "N new concerns" banner of an
// open queue. Not audited: it shows a number, no record.
func (s *Service) NewSince(ctx context.Context, by actor.Actor, since time.Time) (int, error) {
	if !isDSL(by) {
		return 0, db.ErrNotFound
	}
	var n int
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM concerns
			WHERE school_id = $1 AND created_at > $2 AND entered_in_error_at IS NULL
			  AND `+visibleSQL("concerns", "$1", "$3"), by.SchoolID, since, by.UserID).Scan(&n)
	})
	if err != nil {
		return 0, fmt.Errorf("count new concerns: %w", err)
	}
	return n, nil
}

// staleDrafts returns the school's drafts saved more than a day before now
// that hold real content (HasContent, the rule SaveDraft keeps drafts by),
// the oldest first, at most 100. Their text is read here to apply the
// rule, and goes no further.
func staleDrafts(ctx context.Context, q db.Querier, schoolID int64, now time.Time) ([]StaleDraft, error) {
	rows, _ := q.Query(ctx, `SELECT coalesce(u.name, ''), d.saved_at, d.data,
			(SELECT count(*) FROM concern_attachments a WHERE a.school_id = d.school_id
			 AND a.submission_id = d.submission_id AND a.concern_id IS NULL)
		FROM concern_drafts d LEFT JOIN users u ON u.id = d.author_id
		WHERE d.school_id = $1 AND d.saved_at < $2 ORDER BY d.saved_at LIMIT 1000`, schoolID, now.Add(-24*time.Hour))
	var out []StaleDraft
	var sd StaleDraft
	var data []byte
	var files int
	_, err := pgx.ForEachRow(rows, []any{&sd.Author, &sd.SavedAt, &data, &files}, func() error {
		var f Form
		if json.Unmarshal(data, &f) != nil || HasContent(f, files) { // unreadable: shown, never hidden
			if len(out) < 100 {
				out = append(out, sd)
			}
		}
		return nil
	})
	return out, err
}
