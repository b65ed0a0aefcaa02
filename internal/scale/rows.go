package scale

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/concern"
	"github.com/havenschools/haven/internal/pupil"
	"github.com/havenschools/haven/internal/school"
	"github.com/havenschools/haven/internal/when"
)

// copySource is one table's rows for COPY.
type copySource struct {
	table   string
	columns []string
	rows    pgx.CopyFromSource
}

// writer produces one batch's rows, table by table.
type writer struct {
	o     Options
	batch []*schoolPlan
	heads map[int64][]any // audit_heads rows, filled while audit_events is copied
	chain *chainState     // the audit chain being copied
}

// each returns a CopyFromSource calling fn for each item (0 to n-1, over
// the batch's schools), where fn returns the rows of one item.
func (w *writer) each(count func(*schoolPlan) int, fn func(s *schoolPlan, i int) ([][]any, error)) pgx.CopyFromSource {
	si, i := 0, 0
	var pending [][]any
	return pgx.CopyFromFunc(func() ([]any, error) {
		for len(pending) == 0 {
			if si == len(w.batch) {
				return nil, nil
			}
			s := w.batch[si]
			if i == count(s) {
				si, i = si+1, 0
				continue
			}
			var err error
			if pending, err = fn(s, i); err != nil {
				return nil, err
			}
			i++
		}
		row := pending[0]
		pending = pending[1:]
		return row, nil
	})
}

func one(s *schoolPlan) int { return 1 }

func (w *writer) source(table string) copySource {
	switch table {
	case "schools":
		return copySource{table, []string{"id", "slug", "name", "created_at"}, w.each(one, func(s *schoolPlan, _ int) ([][]any, error) {
			return [][]any{{s.id, s.slug, s.name, s.created}}, nil
		})}
	case "school_settings":
		return copySource{table, []string{"school_id", "front_door_name", "front_door_phone", "out_of_hours_name",
			"out_of_hours_phone"}, w.each(one, func(s *schoolPlan, _ int) ([][]any, error) {
			// Ofcom's drama range: fictional numbers.
			return [][]any{{s.id, "Children's services front door", fmt.Sprintf("01632 960%03d", s.index%1000),
				"Emergency duty team", fmt.Sprintf("01632 961%03d", s.index%1000)}}, nil
		})}
	case "concern_categories":
		return copySource{table, []string{"school_id", "key", "name", "position"},
			w.each(func(*schoolPlan) int { return len(school.DefaultCategories) }, func(s *schoolPlan, i int) ([][]any, error) {
				c := school.DefaultCategories[i]
				return [][]any{{s.id, c.Key, c.Name, i + 1}}, nil
			})}
	case "users":
		return copySource{table, []string{"id", "email", "name", "created_at", "updated_at"},
			w.each(func(s *schoolPlan) int { return s.users }, func(s *schoolPlan, i int) ([][]any, error) {
				first, last := w.person(s, i)
				email := fmt.Sprintf("%s.%s.%d@%s.haven.test", strings.ToLower(first),
					strings.ToLower(strings.ReplaceAll(last, "'", "")), i+1, s.slug)
				return [][]any{{s.firstUser + int64(i), email, first + " " + last, s.created, s.created}}, nil
			})}
	case "memberships":
		return copySource{table, []string{"school_id", "user_id", "role", "deputy", "created_at", "updated_at"},
			w.each(func(s *schoolPlan) int { return s.users }, func(s *schoolPlan, i int) ([][]any, error) {
				role, deputy := actor.Staff, false
				switch {
				case i == 0:
					role = actor.Head
				case i == 1:
					role = actor.Admin
				case i < 2+s.dsls:
					role, deputy = actor.DSL, i > 2
				}
				return [][]any{{s.id, s.firstUser + int64(i), string(role), deputy, s.created, s.created}}, nil
			})}
	case "children":
		return copySource{table, []string{"id", "school_id", "first_name", "last_name", "date_of_birth", "year_group",
			"upn", "mis_id", "looked_after", "cp_plan", "child_in_need", "send", "ehcp", "social_worker", "created_at"},
			w.each(func(s *schoolPlan) int { return s.roll }, w.child)}
	case "concerns":
		return copySource{table, []string{"id", "school_id", "ref", "submission_id", "recorded_by", "happened_on",
			"happened_approx", "happened_time", "seen_on", "location", "account", "childs_words", "told_dsl", "told_dsl_who",
			"told_dsl_when", "actions_taken", "in_danger", "categories", "status", "urgency", "assigned_to", "created_at",
			"version", "acknowledged_at", "acknowledged_by", "closed_at", "outcome_summary"},
			w.each(func(s *schoolPlan) int { return len(s.concerns) }, w.concern)}
	case "concern_children":
		return copySource{table, []string{"id", "school_id", "concern_id", "position", "child_id", "description", "role"},
			w.each(func(s *schoolPlan) int { return len(s.concerns) }, func(s *schoolPlan, i int) ([][]any, error) {
				c := &s.concerns[i]
				var child any
				desc := ""
				if c.subject != 0 {
					child = c.subject
				} else {
					desc = unknownChildren[c.n%len(unknownChildren)]
				}
				rows := [][]any{{c.subjectRow, s.id, c.id, 0, child, desc, string(concern.Subject)}}
				if c.witness != 0 {
					rows = append(rows, []any{c.witnessRow, s.id, c.id, 1, c.witness, "", string(concern.Witness)})
				}
				return rows, nil
			})}
	case "concern_indicators":
		return copySource{table, []string{"school_id", "concern_id", "concern_child_id", "child_id", "code", "recorded_by", "recorded_at"},
			w.each(func(s *schoolPlan) int { return len(s.concerns) }, func(s *schoolPlan, i int) ([][]any, error) {
				c := &s.concerns[i]
				var child any
				if c.subject != 0 {
					child = c.subject
				}
				var rows [][]any
				for _, code := range c.indicators {
					rows = append(rows, []any{s.id, c.id, c.subjectRow, child, code, c.recordedBy, c.created})
				}
				return rows, nil
			})}
	case "concern_decisions":
		return copySource{table, []string{"id", "school_id", "concern_id", "outcome", "reason", "parents", "parents_why_not",
			"childs_wishes", "decided_by", "decided_at"},
			w.each(func(s *schoolPlan) int { return len(s.concerns) }, func(s *schoolPlan, i int) ([][]any, error) {
				c := &s.concerns[i]
				if c.decided.IsZero() {
					return nil, nil
				}
				d := w.decision(s, c)
				return [][]any{{c.decisionID, s.id, c.id, d.outcome, d.reason, d.parents, d.whyNot, d.wishes, c.dsl, c.decided}}, nil
			})}
	case "concern_actions":
		return copySource{table, []string{"id", "school_id", "concern_id", "kind", "action_on", "note", "agency_ref",
			"recorded_by", "recorded_at", "feedback_at", "feedback_by", "feedback_note"},
			w.each(func(s *schoolPlan) int { return len(s.concerns) }, w.actions)}
	case "concern_events":
		return copySource{table, []string{"school_id", "concern_id", "version", "kind", "actor_id", "at", "reason", "details"},
			w.each(func(s *schoolPlan) int { return len(s.concerns) }, func(s *schoolPlan, i int) ([][]any, error) {
				c := &s.concerns[i]
				var rows [][]any
				if !c.acked.IsZero() {
					rows = append(rows, []any{s.id, c.id, 2, "acknowledged", c.dsl, c.acked, "", fmt.Sprintf(`{"to": %d}`, c.dsl)})
				}
				if !c.decided.IsZero() {
					d := w.decision(s, c)
					rows = append(rows, []any{s.id, c.id, 3, "decision", c.dsl, c.decided, "",
						fmt.Sprintf(`{"outcome": %q, "decision_id": %d}`, d.outcome, c.decisionID)})
				}
				if !c.closed.IsZero() {
					rows = append(rows, []any{s.id, c.id, 4, "closed", c.dsl, c.closed, w.summary(s, c), "{}"})
				}
				return rows, nil
			})}
	case "concern_ref_counters":
		return copySource{table, []string{"school_id", "year", "last_number"},
			w.each(func(s *schoolPlan) int { return len(s.refs) }, func(s *schoolPlan, i int) ([][]any, error) {
				years := make([]int, 0, len(s.refs))
				for y := range s.refs {
					years = append(years, y)
				}
				slices.Sort(years)
				return [][]any{{s.id, years[i], s.refs[years[i]]}}, nil
			})}
	case "audit_events":
		return copySource{table, audit.CopyColumns, w.each(func(s *schoolPlan) int { return len(w.chainOf(s).items) }, w.auditRow)}
	case "audit_heads":
		return copySource{table, []string{"chain_id", "last_seq", "last_hash"}, w.each(one, func(s *schoolPlan, _ int) ([][]any, error) {
			return [][]any{w.heads[s.id]}, nil
		})}
	}
	return copySource{}
}

// person is the name of a school's user i.
func (w *writer) person(s *schoolPlan, i int) (first, last string) {
	r := rng(w.o.Seed, streamText, uint64(s.index)<<32|uint64(i)|1<<31)
	return pick(r, firstNames), pick(r, lastNames)
}

func (w *writer) child(s *schoolPlan, i int) ([][]any, error) {
	r := rng(w.o.Seed, streamText, uint64(s.index)<<32|uint64(i))
	var year pupil.YearGroup
	if s.primary {
		year = pupil.YearGroup(r.IntN(7)) // Reception to Year 6
	} else {
		year = pupil.YearGroup(7 + r.IntN(5))
	}
	end := w.o.End.In(when.London())
	autumn := end.Year() // the academic year starts in September
	if end.Month() < time.September {
		autumn--
	}
	// A Reception child turns 5 during the academic year.
	born := time.Date(autumn-int(year)-5, time.September, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, r.IntN(365))
	upn := fmt.Sprintf("Z%04d%08d", s.index%10000, i)
	social := ""
	cp, cin := r.IntN(100) < 1, r.IntN(100) < 3
	if cp || cin {
		social = pick(r, firstNames) + " " + pick(r, lastNames) + ", children's services"
	}
	return [][]any{{s.firstChild + int64(i), s.id, pick(r, firstNames), pick(r, lastNames), born, int16(year),
		upn, fmt.Sprintf("MIS%07d", i+1), r.IntN(100) < 1, cp, cin, r.IntN(100) < 12, r.IntN(100) < 3, social, s.created}}, nil
}

// date is t's London date, as a date column takes it.
func date(t time.Time) time.Time {
	l := t.In(when.London())
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.UTC)
}

func (w *writer) concern(s *schoolPlan, i int) ([][]any, error) {
	c := &s.concerns[i]
	r := rng(w.o.Seed, streamText, uint64(s.index)<<32|uint64(i)|1<<30)
	a := accounts[c.kind]
	name := "The child"
	if c.subject != 0 {
		name = pick(rng(w.o.Seed, streamText, uint64(s.index)<<32|uint64(c.subject-s.firstChild)), firstNames)
	}
	var sub [16]byte
	for j := range 2 {
		u := r.Uint64()
		for k := range 8 {
			sub[j*8+k] = byte(u >> (8 * k))
		}
	}
	sub[6] = sub[6]&0x0f | 0x40
	sub[8] = sub[8]&0x3f | 0x80
	happened := date(c.created).AddDate(0, 0, -r.IntN(3))
	told, who, when := "not_yet", "", ""
	if c.inDanger || r.IntN(3) == 0 {
		first, last := w.person(s, int(s.dsl(r.IntN(s.dsls))-s.firstUser))
		told, who, when = "yes", first+" "+last, "Straight away, in person"
	}
	var words string
	if a.words != "" && r.IntN(2) == 0 {
		words = a.words
	}
	var assigned, ackBy, ackAt, closedAt any
	if !c.acked.IsZero() {
		assigned, ackBy, ackAt = c.dsl, c.dsl, c.acked
	}
	summary := ""
	if !c.closed.IsZero() {
		closedAt, summary = c.closed, w.summary(s, c)
	}
	return [][]any{{c.id, s.id, c.ref, sub, c.recordedBy, happened, r.IntN(5) == 0, "", date(c.created),
		pick(r, locations), fill(a.text, name), words, told, who, when, "Listened and reassured them.", c.inDanger,
		a.categories, string(c.status), c.urgency, assigned, c.created, c.version(), ackAt, ackBy, closedAt, summary}}, nil
}

type decisionText struct{ outcome, reason, parents, whyNot, wishes string }

func (w *writer) decision(s *schoolPlan, c *concernPlan) decisionText {
	r := rng(w.o.Seed, streamText, uint64(s.index)<<32|uint64(c.n)|1<<29)
	d := decisionText{outcome: pick(r, outcomes), reason: pick(r, decisionReasons), parents: "told", wishes: pick(r, childsWishes)}
	switch r.IntN(10) {
	case 0:
		d.parents, d.whyNot = "not_told", "Telling the parents could put the child at greater risk."
	case 1:
		d.parents = "consent_sought"
	}
	return d
}

func (w *writer) summary(s *schoolPlan, c *concernPlan) string {
	return pick(rng(w.o.Seed, streamText, uint64(s.index)<<32|uint64(c.n)|1<<28), outcomeSummaries)
}

type actionText struct {
	kind, note, ref, feedback string
	feedbackAt                time.Time
}

// actionsOf is what the DSL recorded for each of c's actions.
func (w *writer) actionsOf(s *schoolPlan, c *concernPlan) []actionText {
	r := rng(w.o.Seed, streamText, uint64(s.index)<<32|uint64(c.n)|1<<27)
	var out []actionText
	for j, at := range c.actions {
		a := actionText{kind: pick(r, actionKinds), note: pick(r, actionNotes)}
		// A referral made on a concern since closed has had its feedback.
		if j == 0 && !c.closed.IsZero() && w.decision(s, c).outcome == "social_care" && at.Add(48*time.Hour).Before(c.closed) {
			a.kind, a.ref = "referral", fmt.Sprintf("MASH-%06d", r.IntN(1e6))
			a.feedbackAt, a.feedback = at.Add(48*time.Hour), "Accepted for assessment by children's social care."
		}
		out = append(out, a)
	}
	return out
}

func (w *writer) actions(s *schoolPlan, i int) ([][]any, error) {
	c := &s.concerns[i]
	var rows [][]any
	for j, a := range w.actionsOf(s, c) {
		var feedbackAt, feedbackBy any
		if !a.feedbackAt.IsZero() {
			feedbackAt, feedbackBy = a.feedbackAt, c.dsl
		}
		rows = append(rows, []any{c.firstAct + int64(j), s.id, c.id, a.kind, date(c.actions[j]), a.note, a.ref,
			c.dsl, c.actions[j], feedbackAt, feedbackBy, a.feedback})
	}
	return rows, nil
}

// auditItem is one event of a school's audit chain, before it is chained.
type auditItem struct {
	at   time.Time
	by   int64
	role actor.Role
	e    audit.Event
}

// auditItems are a school's audit events in time order: its creation,
// then each concern's submission, the DSL opening the queue and the
// concern, acknowledgement, decision, actions and closing.
func (w *writer) auditItems(s *schoolPlan) []auditItem {
	items := []auditItem{{at: s.created, role: actor.System, e: audit.Event{Action: "school.create",
		SubjectType: "school", SubjectID: fmt.Sprint(s.id), Details: map[string]any{"slug": s.slug}}}}
	for i := range s.concerns {
		c := &s.concerns[i]
		add := func(at time.Time, by int64, role actor.Role, e audit.Event) {
			items = append(items, auditItem{at: at, by: by, role: role, e: e})
		}
		ev := func(action string, details map[string]any) audit.Event {
			return audit.Event{Action: action, SubjectType: "concern", SubjectID: c.ref, Details: details}
		}
		children := 1
		if c.witness != 0 {
			children = 2
		}
		add(c.created, c.recordedBy, actor.Staff, ev("concern.submit", map[string]any{"children": children, "in_danger": c.inDanger,
			"attachments": 0, "indicators": len(c.indicators), "body_marks": 0, "on_behalf": false}))
		if c.acked.IsZero() {
			continue
		}
		add(c.acked.Add(-time.Minute), c.dsl, actor.DSL, audit.Event{Action: "queue.view"})
		add(c.acked.Add(-30*time.Second), c.dsl, actor.DSL, ev("concern.view", nil))
		add(c.acked, c.dsl, actor.DSL, ev("concern.acknowledge", nil))
		if c.decided.IsZero() {
			continue
		}
		d := w.decision(s, c)
		add(c.decided, c.dsl, actor.DSL, ev("concern.decision", map[string]any{"decision_id": c.decisionID,
			"outcome": d.outcome, "parents": d.parents}))
		for j, a := range w.actionsOf(s, c) {
			add(c.actions[j], c.dsl, actor.DSL, ev("concern.action", map[string]any{"action_id": c.firstAct + int64(j),
				"kind": a.kind, "follow_up": false}))
		}
		if !c.closed.IsZero() {
			add(c.closed, c.dsl, actor.DSL, ev("concern.close", nil))
		}
	}
	slices.SortStableFunc(items, func(a, b auditItem) int { return a.at.Compare(b.at) })
	return items
}

// chainState is the audit chain of the school being copied.
type chainState struct {
	school *schoolPlan
	items  []auditItem
	chain  *audit.Chain
	r      *rand.Rand
}

// chainOf starts s's audit chain, unless it is the one being copied.
func (w *writer) chainOf(s *schoolPlan) *chainState {
	if w.chain == nil || w.chain.school != s {
		w.chain = &chainState{school: s, items: w.auditItems(s), chain: audit.NewChain(s.id),
			r: rng(w.o.Seed, streamAudit, uint64(s.index))}
	}
	return w.chain
}

// auditRow is row i of s's audit chain; after the last, the chain's head
// is kept for audit_heads.
func (w *writer) auditRow(s *schoolPlan, i int) ([][]any, error) {
	st := w.chainOf(s)
	it := st.items[i]
	by := actor.Actor{UserID: it.by, SchoolID: s.id, Role: it.role}
	if it.by != 0 {
		by.Source = actor.Source{RequestID: fmt.Sprintf("haven-%08x/%06d", uint32(s.id), i+1),
			ClientIP: fmt.Sprintf("10.%d.%d.%d", s.index%250, st.r.IntN(250), 1+st.r.IntN(250)), UserAgent: pick(st.r, userAgents)}
	}
	row, err := st.chain.Append(it.at, by, it.e)
	if err != nil {
		return nil, err
	}
	if i == len(st.items)-1 {
		seq, hash := st.chain.Head()
		w.heads[s.id] = []any{s.id, seq, hash}
	}
	return [][]any{row}, nil
}
