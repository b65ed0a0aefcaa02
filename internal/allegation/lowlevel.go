package allegation

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/validate"
)

// The low-level concerns log: low-level concerns kept together, one entry
// per adult, so that a pattern of small things is seen — reviewed by the
// handler, with a flag when they add up (LowLevelFlag).

// LogEntry is one adult in the low-level concerns log: a person, however
// the records named them (people.go).
type LogEntry struct {
	Person   int64
	Name     string // as the latest concern names them
	Role     string
	Account  bool      // a record about them names their Haven account
	Concerns []Summary // their low-level concerns, newest first
	LeftOn   *time.Time
	Flag     Flag
	// LastReview is the latest pattern review of them (zero: never reviewed).
	LastReview PatternReview
	Parts      []Part  // identities merged into them, to separate again
	Matches    []Match // other people they may be: "Is this …?"
}

// LowLevelLog returns the low-level concerns by handles, one entry per
// adult — raised flags first, then the latest concern first — with the
// school's flag rule, and audits allegation.low_level_log. Concerns about
// one person count together however each named them, once the handler
// has merged them (Merge); each entry offers the likely matches. Anyone
// but a handler gets db.ErrNotFound.
func (s *Service) LowLevelLog(ctx context.Context, by actor.Actor) ([]LogEntry, FlagRule, error) {
	now := s.now()
	var out []LogEntry
	var rule FlagRule
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		if err := mustHandle(ctx, tx, by); err != nil {
			return err
		}
		st, err := settingsOf(ctx, tx, by.SchoolID)
		if err != nil {
			return err
		}
		rule = st.Flag
		people, err := subjects(ctx, tx, by.SchoolID)
		if err != nil {
			return err
		}
		for _, p := range people {
			e := LogEntry{Person: p.ID, Name: p.Name, Role: p.Role, Account: p.Account, LeftOn: p.LeftOn, Parts: p.Parts, Matches: p.Matches}
			var dates []time.Time
			for _, c := range p.Records {
				if c.Kind == LowLevel {
					e.Concerns = append(e.Concerns, c)
					dates = append(dates, c.CreatedAt)
				}
			}
			if len(e.Concerns) == 0 {
				continue
			}
			if e.LastReview, err = lastReview(ctx, tx, by.SchoolID, p.ID); err != nil {
				return err
			}
			e.Flag = LowLevelFlag(dates, e.LastReview.At, rule, now)
			out = append(out, e)
		}
		slices.SortStableFunc(out, func(a, b LogEntry) int {
			if a.Flag.Raised != b.Flag.Raised {
				if a.Flag.Raised {
					return -1
				}
				return 1
			}
			return b.Concerns[0].CreatedAt.Compare(a.Concerns[0].CreatedAt)
		})
		return audit.Record(ctx, tx, by, audit.Event{Action: "allegation.low_level_log", Details: map[string]any{"people": len(out)}})
	})
	if err != nil {
		return nil, FlagRule{}, fmt.Errorf("low-level concerns log: %w", err)
	}
	return out, rule, nil
}

// RecordPatternReview records the handler's review of the low-level
// concerns about the person (LogEntry.Person) — what they found — which
// settles a raised flag until the next low-level concern about them. The
// handler must handle a low-level concern about them (db.ErrNotFound
// otherwise).
// Audited as allegation.pattern_review, naming their latest concern.
func (s *Service) RecordPatternReview(ctx context.Context, by actor.Actor, person int64, note string) error {
	note = strings.TrimSpace(note)
	if msg := validate.Text(note, "what your review found", true, 20000); msg != "" {
		return validate.Problems{FieldPatternNote: msg}
	}
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		if err := mustHandle(ctx, tx, by); err != nil {
			return err
		}
		var ref, key string
		var route Route
		var subject *int64
		err := tx.QueryRow(ctx, `SELECT a.ref, a.routed_to, a.subject_user_id, a.subject_key FROM allegations a
			WHERE a.school_id = $1 AND a.subject_id IN `+personIdentities+` AND a.kind = 'low_level' AND a.deleted_at IS NULL
			  AND allegation_handler(a.school_id, a.routed_to, a.subject_user_id)
			ORDER BY a.created_at DESC, a.id DESC LIMIT 1`, by.SchoolID, person).Scan(&ref, &route, &subject, &key)
		if errors.Is(err, pgx.ErrNoRows) {
			return db.ErrNotFound
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO allegation_pattern_reviews (school_id, routed_to, subject_user_id, subject_key, subject_id, note, reviewed_by, reviewed_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, by.SchoolID, route, subject, key, person, note, by.UserID, s.now()); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "allegation.pattern_review", SubjectType: "allegation", SubjectID: ref})
	})
	if _, ok := errors.AsType[validate.Problems](err); ok || errors.Is(err, db.ErrNotFound) {
		return err
	}
	if err != nil {
		return fmt.Errorf("record a pattern review: %w", err)
	}
	return nil
}
