package concern

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/pupil"
	"github.com/havenschools/haven/internal/when"
)

// A child's file for the DSL: who the child is (flags, social worker,
// siblings), their cumulative-concern flags, the CSE indicators recorded
// for them over time, and their chronology — the concerns naming them
// (with their role in each), and the decisions, actions, addenda and
// changes of the concerns about them, merged in date order.
//
// A child's file shows that child's part only. A concern in which the child
// is a witness, is mentioned, or is alleged to have caused harm appears
// with that role and its reference, never with the account, indicators or
// body map recorded for the child it is about.

// ChildProfile is a child as their page shows them.
type ChildProfile struct {
	Child    pupil.Child
	Siblings []Sibling
	Flags    []Flag
	Rule     FlagRule
	// Indicators are the CSE indicators recorded for the child, grouped
	// as the taxonomy groups them, each with who recorded it and when.
	Indicators []IndicatorHistory
	Views      []audit.View
}

// Sibling is a link to a child of the same school recorded as family: the
// sibling's record as it is now, never a copied label.
type Sibling struct {
	ID        int64
	Name      string
	YearGroup *pupil.YearGroup
}

// IndicatorHistory is one group of the CSE indicator taxonomy with the
// indicators recorded for a child under it.
type IndicatorHistory struct {
	Group string
	Items []IndicatorRecord
}

// IndicatorRecord is one indicator and every time it was recorded.
type IndicatorRecord struct {
	Code  string
	Label string
	Marks []IndicatorSeen
}

// IndicatorSeen is one recording of an indicator.
type IndicatorSeen struct {
	At  time.Time
	By  string
	Ref string
}

// Child returns the child childID of by's school for its DSLs, with
// siblings, flags, CSE indicators over time and who has seen the child's
// record; it audits child.view. Anyone else, or an unknown child, gets
// db.ErrNotFound.
func (s *Service) Child(ctx context.Context, by actor.Actor, childID int64) (ChildProfile, error) {
	if !isDSL(by) {
		return ChildProfile{}, db.ErrNotFound
	}
	var p ChildProfile
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var err error
		if p.Child, err = childOf(ctx, tx, by.SchoolID, childID); err != nil {
			return err
		}
		if p.Siblings, err = siblings(ctx, tx, by.SchoolID, childID); err != nil {
			return err
		}
		flags, rule, err := flagsFor(ctx, tx, by.SchoolID, by.UserID, []int64{childID}, s.now())
		if err != nil {
			return err
		}
		p.Flags, p.Rule = flags[childID], rule
		if p.Indicators, err = indicatorHistory(ctx, tx, by.SchoolID, by.UserID, childID); err != nil {
			return err
		}
		id := strconv.FormatInt(childID, 10)
		if err := audit.Record(ctx, tx, by, audit.Event{Action: "child.view", SubjectType: "child", SubjectID: id}); err != nil {
			return err
		}
		p.Views, err = audit.ViewsOf(ctx, tx, by.SchoolID, "child", id)
		return err
	})
	if err != nil {
		return ChildProfile{}, fmt.Errorf("view child %d: %w", childID, err)
	}
	return p, nil
}

// childOf reads a child of the school, or db.ErrNotFound.
func childOf(ctx context.Context, q db.Querier, schoolID, childID int64) (pupil.Child, error) {
	rows, _ := q.Query(ctx, `SELECT id, school_id, first_name, last_name, date_of_birth, year_group, upn, mis_id,
			looked_after, cp_plan, child_in_need, send, ehcp, social_worker, added_inline, created_at
		FROM children WHERE school_id = $1 AND id = $2`, schoolID, childID)
	c, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[pupil.Child])
	if errors.Is(err, pgx.ErrNoRows) {
		return pupil.Child{}, db.ErrNotFound
	}
	return c, err
}

// siblings returns the children linked to childID as family, by name.
func siblings(ctx context.Context, q db.Querier, schoolID, childID int64) ([]Sibling, error) {
	rows, _ := q.Query(ctx, `SELECT ch.id, ch.first_name || ' ' || ch.last_name, ch.year_group
		FROM child_siblings s
		JOIN children ch ON ch.school_id = s.school_id AND ch.id = CASE WHEN s.child_a = $2 THEN s.child_b ELSE s.child_a END
		WHERE s.school_id = $1 AND (s.child_a = $2 OR s.child_b = $2)
		ORDER BY lower(ch.last_name), lower(ch.first_name), ch.id`, schoolID, childID)
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Sibling])
}

// indicatorHistory returns the CSE indicators recorded for a child in
// concerns the reader may see (not entered in error), grouped by the
// taxonomy, oldest recording first within each.
func indicatorHistory(ctx context.Context, q db.Querier, schoolID, viewer, childID int64) ([]IndicatorHistory, error) {
	rows, _ := q.Query(ctx, `SELECT i.code, i.recorded_at, coalesce(u.name, ''), c.ref
		FROM concern_indicators i
		JOIN concerns c ON c.school_id = i.school_id AND c.id = i.concern_id
		LEFT JOIN users u ON u.id = i.recorded_by
		WHERE i.school_id = $1 AND i.child_id = $2 AND c.entered_in_error_at IS NULL
		  AND `+visibleSQL("c", "$1", "$3")+`
		ORDER BY i.recorded_at, i.id`, schoolID, childID, viewer)
	seen := map[string][]IndicatorSeen{}
	var code string
	var m IndicatorSeen
	if _, err := pgx.ForEachRow(rows, []any{&code, &m.At, &m.By, &m.Ref}, func() error {
		seen[code] = append(seen[code], m)
		return nil
	}); err != nil {
		return nil, err
	}
	var out []IndicatorHistory
	for _, g := range Indicators() {
		h := IndicatorHistory{Group: g.Name}
		for _, in := range g.Indicators {
			if marks := seen[in.Code]; len(marks) > 0 {
				h.Items = append(h.Items, IndicatorRecord{Code: in.Code, Label: in.Label, Marks: marks})
			}
		}
		if len(h.Items) > 0 {
			out = append(out, h)
		}
	}
	return out, nil
}

// EntryKind is a kind of chronology entry.
type EntryKind string

// The kinds of chronology entry.
const (
	EntryConcern  EntryKind = "concern"
	EntryDecision EntryKind = "decision"
	EntryAction   EntryKind = "action"
	EntryAddendum EntryKind = "addendum"
	EntryChange   EntryKind = "change" // acknowledged, closed, reopened …
	// EntryEncompass is an Operation Encompass notification (internal/encompass):
	// restricted, shown only to the DSLs who may see it.
	EntryEncompass EntryKind = "encompass"
)

// EntryKinds lists the kinds in the order the filter offers them.
func EntryKinds() []EntryKind {
	return []EntryKind{EntryConcern, EntryDecision, EntryAction, EntryAddendum, EntryChange, EntryEncompass, EntryTransfer}
}

// Label is the kind in words, plural, for the filter.
func (k EntryKind) Label() string {
	switch k {
	case EntryConcern:
		return "Concerns"
	case EntryDecision:
		return "Decisions"
	case EntryAction:
		return "Actions"
	case EntryAddendum:
		return "Further information"
	case EntryChange:
		return "Changes of status"
	case EntryTransfer:
		return "Transfers"
	case EntryEncompass:
		return "Operation Encompass notifications"
	}
	return string(k)
}

// Entry is one line of a child's chronology.
type Entry struct {
	Kind EntryKind
	// At is the entry's moment, which orders the chronology: when it
	// happened, where the time is known. An entry known only by its day
	// (DateOnly: a concern's incident, an action without its time) is at
	// the moment it was recorded when that was on the day, else at the
	// start of the day (dayMoment).
	At       time.Time
	DateOnly bool
	// Recorded is when the entry was written: ties of At go in this order.
	Recorded time.Time
	Ref      string // the concern it belongs to
	Href     string // where Ref links: "" for the concern's page
	Role     Role   // the child's role in that concern
	Title    string
	By       string
	// Details are labelled facts: "Reason", "Parents or carers told", …
	Details []Detail
}

// Detail is one labelled fact of an entry.
type Detail struct {
	Label string
	Value string
}

// ChronologyFilter narrows a chronology. Zero fields do not filter.
type ChronologyFilter struct {
	Kinds    []EntryKind
	From, To time.Time // dates, both included
}

// Chronology is a child's chronology as a page shows it.
type Chronology struct {
	Child   pupil.Child
	Entries []Entry
	Flags   []Flag
}

// Chronology returns the chronology of the child childID for a DSL of its
// school, narrowed by f, in date order, and audits chronology.view (or
// chronology.print when print is set: the printable page). Concerns
// entered in error are left out, and so are concerns the DSL may not see.
// Anyone else, or an unknown child, gets db.ErrNotFound.
func (s *Service) Chronology(ctx context.Context, by actor.Actor, childID int64, f ChronologyFilter, print bool) (Chronology, error) {
	if !isDSL(by) {
		return Chronology{}, db.ErrNotFound
	}
	var ch Chronology
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var err error
		if ch.Child, err = childOf(ctx, tx, by.SchoolID, childID); err != nil {
			return err
		}
		all, err := chronology(ctx, tx, by.SchoolID, by.UserID, childID, s.now())
		if err != nil {
			return err
		}
		for _, e := range all {
			if f.keeps(e) {
				ch.Entries = append(ch.Entries, e)
			}
		}
		if ch.Entries, err = withEncompass(ctx, tx, by, childID, f, ch.Entries); err != nil {
			return err
		}
		flags, _, err := flagsFor(ctx, tx, by.SchoolID, by.UserID, []int64{childID}, s.now())
		if err != nil {
			return err
		}
		ch.Flags = flags[childID]
		action := "chronology.view"
		if print {
			action = "chronology.print"
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: action, SubjectType: "child",
			SubjectID: strconv.FormatInt(childID, 10), Details: f.details()})
	})
	if err != nil {
		return Chronology{}, fmt.Errorf("chronology of child %d: %w", childID, err)
	}
	return ch, nil
}

func (f ChronologyFilter) keeps(e Entry) bool {
	if len(f.Kinds) > 0 && !slices.Contains(f.Kinds, e.Kind) {
		return false
	}
	day := dateOf(e.At.In(when.London())) // an entry known by its day is at a moment of that day in London
	if !f.From.IsZero() && day.Before(dateOf(f.From)) {
		return false
	}
	if !f.To.IsZero() && day.After(dateOf(f.To)) {
		return false
	}
	return true
}

func dateOf(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

func (f ChronologyFilter) details() map[string]any {
	d := map[string]any{}
	if len(f.Kinds) > 0 {
		var kinds []string
		for _, k := range f.Kinds {
			kinds = append(kinds, string(k))
		}
		d["kinds"] = kinds
	}
	if !f.From.IsZero() {
		d["from"] = f.From.Format(time.DateOnly)
	}
	if !f.To.IsZero() {
		d["to"] = f.To.Format(time.DateOnly)
	}
	return d
}

// chronology builds a child's whole chronology, in date order.
func chronology(ctx context.Context, q db.Querier, schoolID, viewer, childID int64, now time.Time) ([]Entry, error) {
	type involvement struct {
		ConcernID      int64
		ConcernChildID int64
		Ref            string
		Role           Role
		HappenedOn     time.Time
		HappenedApprox bool
		HappenedTime   string
		SeenOn         time.Time
		Location       string
		Account        string
		ChildsWords    string
		InDanger       bool
		Categories     []string
		RecordedBy     string
		OnBehalfOf     string
		CreatedAt      time.Time
		Indicators     []string
		Marks          []BodyMark
	}
	sql, args := ChronologySelect(schoolID, viewer, childID)
	rows, _ := q.Query(ctx, sql, args...)
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[involvement])
	if err != nil {
		return nil, err
	}
	cats, err := categoryNames(ctx, q, schoolID)
	if err != nil {
		return nil, err
	}
	var out []Entry
	var about []int64 // the concerns the child is the subject of
	refs := map[int64]string{}
	for _, in := range list {
		e := Entry{Kind: EntryConcern, At: dayMoment(in.HappenedOn, in.CreatedAt), DateOnly: true, Recorded: in.CreatedAt,
			Ref: in.Ref, Role: in.Role, By: in.RecordedBy}
		happened := when.Day(in.HappenedOn)
		if in.HappenedApprox {
			happened = "About " + happened
		}
		if in.HappenedTime != "" {
			happened += ", " + in.HappenedTime
		}
		if in.Role != Subject {
			e.Title = "Named in concern " + in.Ref + ": " + in.Role.Label()
			e.Details = []Detail{{"When it happened", happened}}
			out = append(out, e)
			continue
		}
		about = append(about, in.ConcernID)
		refs[in.ConcernID] = in.Ref
		e.Title = "Concern " + in.Ref + " recorded"
		if in.InDanger {
			e.Title += " — the child was said to be in immediate danger"
		}
		e.Details = []Detail{{"When it happened", happened}, {"Recorded", when.Moment(in.CreatedAt)}}
		if in.OnBehalfOf != "" {
			e.Details = append(e.Details, Detail{"Raised by", in.OnBehalfOf})
		}
		if in.Location != "" {
			e.Details = append(e.Details, Detail{"Where", in.Location})
		}
		e.Details = append(e.Details, Detail{"What happened", in.Account})
		if in.ChildsWords != "" {
			e.Details = append(e.Details, Detail{"The child's words", in.ChildsWords})
		}
		if len(in.Categories) > 0 {
			e.Details = append(e.Details, Detail{"Categories", strings.Join(cats.names(in.Categories), ", ")})
		}
		if len(in.Indicators) > 0 {
			var labels []string
			for _, code := range in.Indicators {
				if l, ok := IndicatorLabel(code); ok {
					labels = append(labels, l)
				}
			}
			e.Details = append(e.Details, Detail{"CSE indicators", strings.Join(labels, "; ")})
		}
		if len(in.Marks) > 0 {
			var marks []string
			for _, m := range in.Marks {
				r, _ := RegionByCode(m.Region)
				s := r.Label(m.Side) + " (" + m.Side + ")"
				if m.Note != "" {
					s += ": " + m.Note
				}
				marks = append(marks, s)
			}
			e.Details = append(e.Details, Detail{"Body map", strings.Join(marks, "; ")})
		}
		out = append(out, e)
	}

	if len(about) > 0 {
		more, err := caseEntries(ctx, q, schoolID, about, refs)
		if err != nil {
			return nil, err
		}
		out = append(out, more...)
	}
	transfers, err := transferEntries(ctx, q, schoolID, childID, now)
	if err != nil {
		return nil, err
	}
	out = append(out, transfers...)
	sortEntries(out)
	return out, nil
}

// sortEntries puts a chronology in order: by moment, ties by when each was
// recorded, then as they came.
func sortEntries(entries []Entry) {
	slices.SortStableFunc(entries, func(a, b Entry) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return a.Recorded.Compare(b.Recorded)
	})
}

// ChronologySelect is the SQL, with its arguments, of the concerns naming
// a child (each with the child's role in it) as a chronology reads them
// first, for the reader viewer of the school. It runs in the reader's school
// transaction. The benchmarks' bare baseline runs it too.
func ChronologySelect(schoolID, viewer, childID int64) (string, []any) {
	return `SELECT c.id, cc.id, c.ref, cc.role, c.happened_on, c.happened_approx, c.happened_time, c.seen_on,
		c.location, c.account, c.childs_words, c.in_danger, c.categories, coalesce(u.name, ''), c.on_behalf_of, c.created_at,
		coalesce((SELECT array_agg(i.code ORDER BY i.id) FROM concern_indicators i
		          WHERE i.school_id = cc.school_id AND i.concern_child_id = cc.id), '{}'),
		coalesce((SELECT jsonb_agg(jsonb_build_object('region', m.region, 'side', m.side, 'note', m.note) ORDER BY m.position)
		          FROM concern_body_marks m WHERE m.school_id = cc.school_id AND m.concern_child_id = cc.id), '[]')
	FROM concern_children cc
	JOIN concerns c ON c.school_id = cc.school_id AND c.id = cc.concern_id
	LEFT JOIN users u ON u.id = c.recorded_by
	WHERE cc.school_id = $1 AND cc.child_id = $2 AND c.entered_in_error_at IS NULL
	  AND ` + visibleSQL("c", "$1", "$3"), []any{schoolID, childID, viewer}
}

// taskEndings are the ends of the tasks of the concerns ids, each saying
// how the task ended: marked done, the referral's feedback recorded, chased
// again, no longer needed (a concern entered in error is on no chronology).
func taskEndings(ctx context.Context, q db.Querier, schoolID int64, ids []int64, refs map[int64]string) ([]Entry, error) {
	rows, _ := q.Query(ctx, `SELECT t.concern_id, t.kind, coalesce(a.kind, ''), t.outcome, t.note, t.done_at, coalesce(u.name, '')
		FROM concern_tasks t LEFT JOIN concern_actions a ON a.school_id = t.school_id AND a.id = t.action_id
		LEFT JOIN users u ON u.id = t.done_by
		WHERE t.school_id = $1 AND t.concern_id = ANY($2) AND t.done_at IS NOT NULL AND t.outcome IS NOT NULL
		  AND t.outcome <> 'entered_in_error'`, schoolID, ids)
	var (
		id       int64
		task     Task
		outcome  TaskOutcome
		note, by string
		doneAt   time.Time
		out      []Entry
	)
	_, err := pgx.ForEachRow(rows, []any{&id, &task.Kind, &task.ActionKind, &outcome, &note, &doneAt, &by}, func() error {
		e := Entry{Kind: EntryAction, At: doneAt, Recorded: doneAt, Ref: refs[id], Role: Subject, By: by, Title: outcome.Title(task)}
		if note != "" {
			e.Details = []Detail{{"Note", note}}
		}
		out = append(out, e)
		return nil
	})
	return out, err
}

// caseEntries are the decisions, actions, addenda and changes of the
// concerns (ids) a child is the subject of.
func caseEntries(ctx context.Context, q db.Querier, schoolID int64, ids []int64, refs map[int64]string) ([]Entry, error) {
	var out []Entry
	var id int64
	var d Decision
	rows, _ := q.Query(ctx, `SELECT d.concern_id, d.outcome, d.reason, d.parents, d.parents_why_not, d.childs_wishes,
			coalesce(u.name, ''), d.decided_at
		FROM concern_decisions d LEFT JOIN users u ON u.id = d.decided_by
		WHERE d.school_id = $1 AND d.concern_id = ANY($2)`, schoolID, ids)
	if _, err := pgx.ForEachRow(rows, []any{&id, &d.Outcome, &d.Reason, &d.Parents, &d.ParentsWhyNot, &d.ChildsWishes,
		&d.DecidedByName, &d.DecidedAt}, func() error {
		e := Entry{Kind: EntryDecision, At: d.DecidedAt, Recorded: d.DecidedAt, Ref: refs[id], Role: Subject, By: d.DecidedByName,
			Title: "Decision: " + d.Outcome.Label()}
		e.Details = []Detail{{"Reason", d.Reason}, {"Parents or carers told", d.Parents.Label()}}
		if d.ParentsWhyNot != "" {
			e.Details = append(e.Details, Detail{"Why not", d.ParentsWhyNot})
		}
		e.Details = append(e.Details, Detail{"The child's wishes and feelings", d.ChildsWishes})
		out = append(out, e)
		return nil
	}); err != nil {
		return nil, err
	}

	var a Action
	rows, _ = q.Query(ctx, `SELECT a.concern_id, a.kind, a.action_on, `+doneAtSQL+`, a.note, a.agency_ref, a.follow_up_on,
			coalesce(u.name, ''), a.recorded_at, a.feedback_at, coalesce(f.name, ''), a.feedback_note
		FROM concern_actions a LEFT JOIN users u ON u.id = a.recorded_by LEFT JOIN users f ON f.id = a.feedback_by
		WHERE a.school_id = $1 AND a.concern_id = ANY($2)`, schoolID, ids)
	if _, err := pgx.ForEachRow(rows, []any{&id, &a.Kind, &a.On, &a.DoneAt, &a.Note, &a.AgencyRef, &a.FollowUpOn,
		&a.RecordedByName, &a.RecordedAt, &a.FeedbackAt, &a.FeedbackByName, &a.FeedbackNote}, func() error {
		e := Entry{Kind: EntryAction, At: a.When(), DateOnly: a.DoneAt == nil, Recorded: a.RecordedAt, Ref: refs[id],
			Role: Subject, By: a.RecordedByName, Title: "Action: " + a.Kind.Label()}
		e.Details = []Detail{{"Note", a.Note}}
		if a.AgencyRef != "" {
			e.Details = append(e.Details, Detail{"Agency reference", a.AgencyRef})
		}
		if a.FollowUpOn != nil {
			e.Details = append(e.Details, Detail{"Follow up by", when.Day(*a.FollowUpOn)})
		}
		if a.FeedbackAt != nil {
			e.Details = append(e.Details, Detail{"Feedback", "Recorded " + when.Moment(*a.FeedbackAt) + " (below)"})
		} else if a.Kind == ActionReferral {
			e.Details = append(e.Details, Detail{"Feedback", "None recorded yet"})
		}
		out = append(out, e)
		if a.FeedbackAt != nil { // the feedback is in the chronology when it came
			out = append(out, Entry{Kind: EntryAction, At: *a.FeedbackAt, Recorded: *a.FeedbackAt, Ref: refs[id], Role: Subject,
				By: a.FeedbackByName, Title: "Feedback on the " + strings.ToLower(a.Kind.Label()) + " of " + when.Day(a.On),
				Details: []Detail{{"Feedback", a.FeedbackNote}}})
		}
		return nil
	}); err != nil {
		return nil, err
	}

	ended, err := taskEndings(ctx, q, schoolID, ids, refs)
	if err != nil {
		return nil, err
	}
	out = append(out, ended...)

	var ad Addendum
	rows, _ = q.Query(ctx, `SELECT a.concern_id, coalesce(u.name, ''), a.body, a.created_at
		FROM concern_addenda a LEFT JOIN users u ON u.id = a.author_id
		WHERE a.school_id = $1 AND a.concern_id = ANY($2)`, schoolID, ids)
	if _, err := pgx.ForEachRow(rows, []any{&id, &ad.Author, &ad.Body, &ad.CreatedAt}, func() error {
		out = append(out, Entry{Kind: EntryAddendum, At: ad.CreatedAt, Recorded: ad.CreatedAt, Ref: refs[id], Role: Subject, By: ad.Author,
			Title: "Further information added to " + refs[id], Details: []Detail{{"Further information", ad.Body}}})
		return nil
	}); err != nil {
		return nil, err
	}

	byConcern, err := eventsOf(ctx, q, schoolID, ids, 0)
	if err != nil {
		return nil, err
	}
	for _, cid := range ids {
		for _, ev := range byConcern[cid] {
			switch ev.Kind {
			case EventDecision: // the decision is its own entry
				continue
			}
			e := Entry{Kind: EntryChange, At: ev.At, Recorded: ev.At, Ref: refs[cid], Role: Subject, By: ev.Actor, Title: ev.Summary}
			if ev.Reason != "" {
				label := "Reason"
				if ev.Kind == EventClosed {
					label = "Outcome"
				}
				e.Details = []Detail{{label, ev.Reason}}
			}
			out = append(out, e)
		}
	}
	return out, nil
}
