package audit

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/db"
)

// Service reads the audit log for pages. Each exported method is one
// transaction in the actor's school. Other services write events with
// Record inside their own transactions.
type Service struct{ pool *pgxpool.Pool }

// NewService returns a Service using pool.
func NewService(pool *pgxpool.Pool) *Service { return &Service{pool: pool} }

// Log returns one page of the part of by's school's audit log that by
// may read, narrowed by f, with the people who appear in the log, and
// records that by viewed it ("audit.view", with the filter in its
// details). The DSL team (DSLs and deputies) and admins read every entry
// that is not about a concern about an adult, and see how many such
// entries there are only as Page.Withheld; the entries about a concern
// about an adult are read only by the head, or the chair of governors,
// who handles that concern (readerPart). Anyone else gets db.ErrNotFound.
func (s *Service) Log(ctx context.Context, by actor.Actor, f Filter) (Page, []Person, error) {
	var (
		p      Page
		people []Person
	)
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		part, err := readerPart(ctx, tx, by)
		if err != nil {
			return err
		}
		if p, err = List(ctx, tx, by.SchoolID, part, f); err != nil {
			return err
		}
		if people, err = People(ctx, tx, by.SchoolID); err != nil {
			return err
		}
		return Record(ctx, tx, by, Event{Action: "audit.view", Details: f.details()})
	})
	if err != nil {
		return Page{}, nil, fmt.Errorf("read the audit log: %w", err)
	}
	return p, people, nil
}

// readerPart is the part of the school's log by reads: the school's part
// for the DSL team and admins; the adults' cases part for everyone, of
// which each reader sees only the cases they handle (the query decides,
// by allegation_handler). Only the DSL team, admins, the head and the
// chair of governors read the log at all: anyone else gets db.ErrNotFound.
func readerPart(ctx context.Context, q db.Querier, by actor.Actor) (Part, error) {
	if by.UserID == 0 {
		return Part{}, db.ErrNotFound
	}
	part := Part{School: by.Role == actor.Admin || by.Role == actor.DSL, Adults: true, Reader: by.UserID}
	if part.School || by.Role == actor.Head {
		return part, nil
	}
	var chair bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM school_settings
		WHERE school_id = $1 AND chair_of_governors = $2)`, by.SchoolID, by.UserID).Scan(&chair)
	if err != nil {
		return Part{}, fmt.Errorf("is the reader the chair of governors: %w", err)
	}
	if !chair {
		return Part{}, db.ErrNotFound
	}
	return part, nil
}

// details is the filter as an event's details: only the filters used.
func (f Filter) details() map[string]any {
	d := map[string]any{}
	add := func(k string, v any, used bool) {
		if used {
			d[k] = v
		}
	}
	add("user_id", f.UserID, f.UserID != 0)
	add("action", f.Action, f.Action != "")
	add("subject_type", f.SubjectType, f.SubjectType != "")
	add("subject_id", f.SubjectID, f.SubjectID != "")
	add("from", f.From, !f.From.IsZero())
	add("to", f.To, !f.To.IsZero())
	add("after", f.After, f.After != 0)
	return d
}

// People returns the people who appear in by's school's audit log, for
// its person filter, and the part of the log by reads. For those who may
// read the log, like Log (anyone else gets db.ErrNotFound); not itself
// audited.
func (s *Service) People(ctx context.Context, by actor.Actor) ([]Person, Part, error) {
	var (
		people []Person
		part   Part
	)
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var err error
		if part, err = readerPart(ctx, tx, by); err != nil {
			return err
		}
		people, err = People(ctx, tx, by.SchoolID)
		return err
	})
	return people, part, err
}

// ViewsOf returns every view of one record of by's school, newest first,
// for a "Who has seen this" list (see the package function ViewsOf). It is
// a read: the caller checks that by may see the record, and audits the
// record's own view in its transaction.
func (s *Service) ViewsOf(ctx context.Context, by actor.Actor, subjectType, subjectID string) ([]View, error) {
	var views []View
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var err error
		views, err = ViewsOf(ctx, tx, by.SchoolID, subjectType, subjectID)
		return err
	})
	return views, err
}
