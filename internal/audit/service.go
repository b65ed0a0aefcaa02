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

// Log returns one page of by's school's audit log narrowed by f, and the
// people who appear in the log, and records that by viewed it ("audit.view",
// with the filter in its details). Only a school's admins read its log:
// anyone else gets db.ErrNotFound.
func (s *Service) Log(ctx context.Context, by actor.Actor, f Filter) (Page, []Person, error) {
	if by.Role != actor.Admin || by.UserID == 0 {
		return Page{}, nil, db.ErrNotFound
	}
	var (
		p      Page
		people []Person
	)
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var err error
		if p, err = List(ctx, tx, by.SchoolID, f); err != nil {
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
// its person filter. Admins only, like Log; not itself audited.
func (s *Service) People(ctx context.Context, by actor.Actor) ([]Person, error) {
	if by.Role != actor.Admin || by.UserID == 0 {
		return nil, db.ErrNotFound
	}
	var people []Person
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var err error
		people, err = People(ctx, tx, by.SchoolID)
		return err
	})
	return people, err
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
