package concern

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/plural"
	"github.com/havenschools/haven/internal/validate"
)

// Cumulative concerns. Serious case reviews keep finding that low-level
// concerns about one child were never pieced together, so Haven flags a
// child when concerns about them add up: a number of concerns within a
// window of days (closed and no-further-action concerns included), or CSE
// indicators recorded by several different members of staff. The
// thresholds are school settings. A flag is a prompt for the DSL's
// judgement, not a score: Haven computes no risk level, and no flag never
// means no concern.
//
// A DSL acknowledges a flag with a written reason; the acknowledgement
// covers what had been recorded until then, so the next concern (or the
// next indicator) raises the flag again.

// FlagKind is what raised a flag.
type FlagKind string

// The kinds of flag.
const (
	FlagCount    FlagKind = "count"     // concerns within the window
	FlagCSEStaff FlagKind = "cse_staff" // CSE indicators from several staff
)

// FlagRule is a school's thresholds.
type FlagRule struct {
	Count    int // concerns …
	Days     int // … within this many days
	CSEStaff int // different staff recording CSE indicators within the window
}

// IndicatorMark is one CSE indicator recorded for a child: by whom, when.
type IndicatorMark struct {
	By int64
	At time.Time
}

// FlagAck is a DSL's acknowledgement of a flag.
type FlagAck struct {
	At     time.Time
	By     string
	Reason string
}

// FlagInput is what the rule is applied to, for one child.
type FlagInput struct {
	// Concerns are when each concern about the child was recorded, those
	// closed or with no further action included, those entered in error not.
	Concerns   []time.Time
	Indicators []IndicatorMark
	// Acks holds the latest acknowledgement of each kind of flag.
	Acks map[FlagKind]FlagAck
}

// Flag is a cumulative-concern flag on a child: why in words, and whether
// it stands (Raised) or a DSL has acknowledged everything it covers (Ack).
type Flag struct {
	Kind   FlagKind
	Reason string
	Raised bool
	Ack    *FlagAck // the acknowledgement covering it, when not Raised
}

// EvaluateFlags applies rule to in at now. It returns a flag for each
// threshold reached within the window ending at now; a flag is Raised
// unless its latest acknowledgement came after the latest concern (or
// indicator) counted.
func EvaluateFlags(rule FlagRule, in FlagInput, now time.Time) []Flag {
	since := now.AddDate(0, 0, -rule.Days)
	window := "in the last " + plural.Count(rule.Days, "day", "days")
	var flags []Flag
	add := func(kind FlagKind, reason string, latest time.Time) {
		f := Flag{Kind: kind, Reason: reason, Raised: true}
		if a, ok := in.Acks[kind]; ok && !a.At.Before(latest) {
			f.Raised, f.Ack = false, &a
		}
		flags = append(flags, f)
	}

	var n int
	var latest time.Time
	for _, at := range in.Concerns {
		if at.Before(since) || at.After(now) {
			continue
		}
		n++
		if at.After(latest) {
			latest = at
		}
	}
	if rule.Count > 0 && n >= rule.Count {
		add(FlagCount, fmt.Sprintf("%s %s (the school flags %d or more, closed ones included)", plural.Count(n, "concern", "concerns"), window, rule.Count), latest)
	}

	staff := map[int64]bool{}
	latest = time.Time{}
	for _, m := range in.Indicators {
		if m.At.Before(since) || m.At.After(now) {
			continue
		}
		staff[m.By] = true
		if m.At.After(latest) {
			latest = m.At
		}
	}
	if rule.CSEStaff > 0 && len(staff) >= rule.CSEStaff {
		add(FlagCSEStaff, fmt.Sprintf("CSE indicators recorded by %s %s (the school flags %d or more)",
			plural.Count(len(staff), "member of staff", "different members of staff"), window, rule.CSEStaff), latest)
	}
	return flags
}

// NoFlagNote is what every page showing flags says.
const NoFlagNote = "No flag does not mean no concern: flags only count what has been recorded. " +
	"Risk is the DSL's professional judgement."

// flagRule reads a school's thresholds.
func flagRule(ctx context.Context, q db.Querier, schoolID int64) (FlagRule, error) {
	var r FlagRule
	err := q.QueryRow(ctx, `SELECT cumulative_count, cumulative_days, cse_staff_threshold FROM school_settings
		WHERE school_id = $1`, schoolID).Scan(&r.Count, &r.Days, &r.CSEStaff)
	if errors.Is(err, pgx.ErrNoRows) {
		return FlagRule{Count: 3, Days: 90, CSEStaff: 2}, nil // the defaults
	}
	return r, err
}

// flagsFor evaluates the school's rule for each child in ids at now, from
// the concerns and indicators the DSL viewer may see.
func flagsFor(ctx context.Context, q db.Querier, schoolID, viewer int64, ids []int64, now time.Time) (map[int64][]Flag, FlagRule, error) {
	rule, err := flagRule(ctx, q, schoolID)
	if err != nil || len(ids) == 0 {
		return nil, rule, err
	}
	since := now.AddDate(0, 0, -rule.Days)
	in := map[int64]*FlagInput{}
	for _, id := range ids {
		in[id] = &FlagInput{Acks: map[FlagKind]FlagAck{}}
	}
	var child int64
	var at time.Time
	rows, _ := q.Query(ctx, `SELECT cc.child_id, c.created_at FROM concern_children cc
		JOIN concerns c ON c.school_id = cc.school_id AND c.id = cc.concern_id
		WHERE cc.school_id = $1 AND cc.child_id = ANY($2) AND cc.role = 'subject'
		  AND c.entered_in_error_at IS NULL AND c.created_at >= $3
		  AND `+visibleSQL("c", "$1", "$4"), schoolID, ids, since, viewer)
	if _, err := pgx.ForEachRow(rows, []any{&child, &at}, func() error {
		in[child].Concerns = append(in[child].Concerns, at)
		return nil
	}); err != nil {
		return nil, rule, err
	}
	var by int64
	rows, _ = q.Query(ctx, `SELECT i.child_id, i.recorded_by, i.recorded_at FROM concern_indicators i
		JOIN concerns c ON c.school_id = i.school_id AND c.id = i.concern_id
		WHERE i.school_id = $1 AND i.child_id = ANY($2) AND c.entered_in_error_at IS NULL AND i.recorded_at >= $3
		  AND `+visibleSQL("c", "$1", "$4"),
		schoolID, ids, since, viewer)
	if _, err := pgx.ForEachRow(rows, []any{&child, &by, &at}, func() error {
		in[child].Indicators = append(in[child].Indicators, IndicatorMark{By: by, At: at})
		return nil
	}); err != nil {
		return nil, rule, err
	}
	var kind FlagKind
	var a FlagAck
	rows, _ = q.Query(ctx, `SELECT DISTINCT ON (f.child_id, f.kind) f.child_id, f.kind, f.acked_at, coalesce(u.name, ''), f.reason
		FROM child_flag_acks f LEFT JOIN users u ON u.id = f.acked_by
		WHERE f.school_id = $1 AND f.child_id = ANY($2)
		ORDER BY f.child_id, f.kind, f.acked_at DESC, f.id DESC`, schoolID, ids)
	if _, err := pgx.ForEachRow(rows, []any{&child, &kind, &a.At, &a.By, &a.Reason}, func() error {
		in[child].Acks[kind] = a
		return nil
	}); err != nil {
		return nil, rule, err
	}
	out := map[int64][]Flag{}
	for id, input := range in {
		if f := EvaluateFlags(rule, *input, now); len(f) > 0 {
			out[id] = f
		}
	}
	return out, rule, nil
}

// FieldFlagReason is the flag acknowledgement form's reason.
const FieldFlagReason = "flag_reason"

// AcknowledgeFlag records a DSL's acknowledgement of a child's flag of
// kind, with their reason (required): it covers the concerns and
// indicators recorded so far. An unknown child, or one of another school,
// is db.ErrNotFound. Audited as child.flag_acknowledge.
func (s *Service) AcknowledgeFlag(ctx context.Context, by actor.Actor, childID int64, kind FlagKind, reason string) error {
	if !isDSL(by) {
		return db.ErrNotFound
	}
	if kind != FlagCount && kind != FlagCSEStaff {
		return db.ErrNotFound
	}
	if msg := textProblem(reason, "the reason for acknowledging the flag", MaxReasonChars, true); msg != "" {
		return validate.Problems{FieldFlagReason: msg}
	}
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		if err := childExists(ctx, tx, by.SchoolID, childID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO child_flag_acks (school_id, child_id, kind, reason, acked_by, acked_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, by.SchoolID, childID, kind, reason, by.UserID, s.now()); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "child.flag_acknowledge", SubjectType: "child",
			SubjectID: strconv.FormatInt(childID, 10), Details: map[string]any{"kind": string(kind)}})
	})
	if err != nil {
		return fmt.Errorf("acknowledge flag of child %d: %w", childID, err)
	}
	return nil
}

// childExists returns db.ErrNotFound unless childID is a child of the school.
func childExists(ctx context.Context, q db.Querier, schoolID, childID int64) error {
	var ok bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM children WHERE school_id = $1 AND id = $2)`,
		schoolID, childID).Scan(&ok); err != nil {
		return err
	}
	if !ok {
		return db.ErrNotFound
	}
	return nil
}
