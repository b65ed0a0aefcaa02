package records

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/concern"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/school"
	"github.com/havenschools/haven/internal/when"
)

// The concerns of an export are read in batches by id (keyset), each batch
// with its children, decisions and actions, so memory holds one batch
// however many concerns the school has. They are read in the requester's
// transaction, so row-level security leaves out what they may not see
// (concerns restricted to other DSLs, or they are excluded from).

// batchSize is how many concerns an export reads at a time.
const batchSize = 500

// london is the time zone of school dates.
var london = when.London()

// where is the SQL condition of f on concerns c, with its arguments from $2 on.
func (f Filter) where() (string, []any) {
	cond := `c.school_id = $1 AND c.entered_in_error_at IS NULL`
	var args []any
	add := func(sql string, v any) {
		args = append(args, v)
		cond += " AND " + sql + "$" + itoa(len(args)+1)
	}
	if !f.From.IsZero() {
		add(`c.created_at >= `, time.Date(f.From.Year(), f.From.Month(), f.From.Day(), 0, 0, 0, 0, london))
	}
	if !f.To.IsZero() {
		add(`c.created_at < `, time.Date(f.To.Year(), f.To.Month(), f.To.Day()+1, 0, 0, 0, 0, london))
	}
	if f.Status != "" {
		add(`c.status = `, f.Status)
	}
	if f.Category != "" {
		args = append(args, f.Category)
		cond += " AND $" + itoa(len(args)+1) + " = ANY (c.categories)"
	}
	if f.subjectChild != 0 {
		args = append(args, f.subjectChild)
		cond += ` AND EXISTS (SELECT 1 FROM concern_children cc WHERE cc.school_id = c.school_id AND cc.concern_id = c.id
			AND cc.role = 'subject' AND cc.child_id = $` + itoa(len(args)+1) + `)`
	}
	return cond, args
}

func itoa(n int) string { return strconv.Itoa(n) }

// countConcerns is how many concerns of school f selects.
func countConcerns(ctx context.Context, q db.Querier, schoolID int64, f Filter) (int, error) {
	cond, args := f.where()
	var n int
	err := q.QueryRow(ctx, `SELECT count(*) FROM concerns c WHERE `+cond, append([]any{schoolID}, args...)...).Scan(&n)
	return n, err
}

// eachConcern calls fn with each concern of school f selects, in id order,
// and done after each batch with the number of concerns in it.
func eachConcern(ctx context.Context, q db.Querier, schoolID int64, f Filter, fn func(ExportConcern) error, done func(int) error) error {
	cats, err := categoryNames(ctx, q, schoolID)
	if err != nil {
		return err
	}
	cond, args := f.where()
	var after int64
	for {
		n := len(args) + 2
		rows, _ := q.Query(ctx, `SELECT c.id, c.ref, c.happened_on, c.happened_approx, c.created_at, coalesce(u.name, ''),
				c.on_behalf_of, c.status, c.urgency, c.categories, c.in_danger, c.location, c.account, c.childs_words,
				c.closed_at, c.outcome_summary,
				coalesce((SELECT jsonb_agg(jsonb_build_object('role', cc.role, 'first_name', coalesce(ch.first_name, ''),
						'last_name', coalesce(ch.last_name, ''), 'date_of_birth', ch.date_of_birth, 'upn', coalesce(ch.upn, ''),
						'description', cc.description) ORDER BY cc.position)
					FROM concern_children cc LEFT JOIN children ch ON ch.school_id = cc.school_id AND ch.id = cc.child_id
					WHERE cc.school_id = c.school_id AND cc.concern_id = c.id), '[]')
			FROM concerns c LEFT JOIN users u ON u.id = c.recorded_by
			WHERE `+cond+` AND c.id > $`+itoa(n)+`
			ORDER BY c.id LIMIT $`+itoa(n+1), append(append([]any{schoolID}, args...), after, batchSize)...)
		var batch []ExportConcern
		var ids []int64
		var (
			id       int64
			c        ExportConcern
			happened time.Time
			children []byte
		)
		_, err := pgx.ForEachRow(rows, []any{&id, &c.Ref, &happened, &c.HappenedApprox, &c.RecordedAt, &c.RecordedBy,
			&c.OnBehalfOf, &c.Status, &c.Urgency, &c.Categories, &c.InDanger, &c.Location, &c.Account, &c.ChildsWords,
			&c.ClosedAt, &c.OutcomeSummary, &children}, func() error {
			x := c
			x.HappenedOn = Date{happened}
			x.Categories = cats.names(c.Categories)
			if err := json.Unmarshal(children, &x.Children); err != nil {
				return err
			}
			batch = append(batch, x)
			ids = append(ids, id)
			return nil
		})
		if err != nil {
			return err
		}
		if len(batch) == 0 {
			return nil
		}
		index := make(map[int64]int, len(ids))
		for i, id := range ids {
			index[id] = i
		}
		if err := addCaseWork(ctx, q, schoolID, ids, func(id int64) *ExportConcern { return &batch[index[id]] }); err != nil {
			return err
		}
		for _, c := range batch {
			if err := fn(c); err != nil {
				return err
			}
		}
		if err := done(len(batch)); err != nil {
			return err
		}
		if len(batch) < batchSize {
			return nil
		}
		after = ids[len(ids)-1]
	}
}

// addCaseWork adds the decisions and actions of the concerns ids.
func addCaseWork(ctx context.Context, q db.Querier, schoolID int64, ids []int64, of func(int64) *ExportConcern) error {
	var id int64
	var d ExportDecision
	rows, _ := q.Query(ctx, `SELECT d.concern_id, d.decided_at, coalesce(u.name, ''), d.outcome, d.reason, d.parents,
			d.parents_why_not, d.childs_wishes
		FROM concern_decisions d LEFT JOIN users u ON u.id = d.decided_by
		WHERE d.school_id = $1 AND d.concern_id = ANY ($2) ORDER BY d.concern_id, d.decided_at, d.id`, schoolID, ids)
	if _, err := pgx.ForEachRow(rows, []any{&id, &d.DecidedAt, &d.DecidedBy, &d.Outcome, &d.Reason, &d.Parents,
		&d.ParentsWhyNot, &d.ChildsWishes}, func() error {
		c := of(id)
		c.Decisions = append(c.Decisions, d)
		return nil
	}); err != nil {
		return err
	}
	var a ExportAction
	var on time.Time
	var follow *time.Time
	rows, _ = q.Query(ctx, `SELECT a.concern_id, a.action_on, coalesce(u.name, ''), a.kind, a.note, a.agency_ref,
			a.follow_up_on, a.feedback_at, a.feedback_note
		FROM concern_actions a LEFT JOIN users u ON u.id = a.recorded_by
		WHERE a.school_id = $1 AND a.concern_id = ANY ($2) ORDER BY a.concern_id, a.action_on, a.id`, schoolID, ids)
	if _, err := pgx.ForEachRow(rows, []any{&id, &on, &a.RecordedBy, &a.Kind, &a.Note, &a.AgencyRef, &follow,
		&a.FeedbackAt, &a.FeedbackNote}, func() error {
		x := a
		x.On = Date{on}
		if follow != nil {
			x.FollowUpOn = &Date{*follow}
		}
		c := of(id)
		c.Actions = append(c.Actions, x)
		return nil
	}); err != nil {
		return err
	}
	var ad ExportAddendum
	rows, _ = q.Query(ctx, `SELECT a.concern_id, a.created_at, coalesce(u.name, ''), a.body
		FROM concern_addenda a LEFT JOIN users u ON u.id = a.author_id
		WHERE a.school_id = $1 AND a.concern_id = ANY ($2) ORDER BY a.concern_id, a.created_at, a.id`, schoolID, ids)
	if _, err := pgx.ForEachRow(rows, []any{&id, &ad.At, &ad.By, &ad.Body}, func() error {
		c := of(id)
		c.Addenda = append(c.Addenda, ad)
		return nil
	}); err != nil {
		return err
	}
	var at ExportAttachment
	rows, _ = q.Query(ctx, `SELECT concern_id, display_name, content_type, size_bytes, created_at FROM concern_attachments
		WHERE school_id = $1 AND concern_id = ANY ($2) ORDER BY concern_id, created_at, id`, schoolID, ids)
	_, err := pgx.ForEachRow(rows, []any{&id, &at.Name, &at.ContentType, &at.Bytes, &at.UploadedAt}, func() error {
		c := of(id)
		c.Attachments = append(c.Attachments, at)
		return nil
	})
	return err
}

// categoryNames maps the school's category keys to their names.
func categoryNames(ctx context.Context, q db.Querier, schoolID int64) (categoryMap, error) {
	all, err := school.CategoriesIn(ctx, q, schoolID)
	out := categoryMap{}
	for _, c := range all {
		out[c.Key] = c.Name
	}
	return out, err
}

type categoryMap map[string]string

func (c categoryMap) names(keys []string) []string {
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		if n, ok := c[k]; ok {
			out = append(out, n)
		} else {
			out = append(out, k)
		}
	}
	return out
}

// spreadsheetLabels are the words spreadsheets show for the codes.
var spreadsheetLabels = labels{
	role:    func(s string) string { return concern.Role(s).Label() },
	status:  func(s string) string { return concern.Status(s).Label() },
	urgency: func(s string) string { return concern.Urgency(s).Label() },
	outcome: func(s string) string { return concern.Outcome(s).Label() },
	parents: func(s string) string { return concern.Parents(s).Label() },
	action:  func(s string) string { return concern.ActionKind(s).Label() },
}
