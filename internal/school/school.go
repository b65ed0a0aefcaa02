// Package school holds the schools that use Haven (its tenants), the trusts
// they may belong to, and their settings.
package school

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/fail"
	"github.com/havenschools/haven/internal/validate"
)

// School is one tenant.
type School struct {
	ID        int64
	Slug      string
	Name      string
	CreatedAt time.Time
}

// ErrSlugTaken is returned when another school already has the slug.
var ErrSlugTaken = fail.New(fail.Conflict, "a school with that short name already exists")

var slugRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// Service carries out school use cases. Each exported method is one transaction.
type Service struct{ pool *pgxpool.Pool }

// NewService returns a Service using pool.
func NewService(pool *pgxpool.Pool) *Service { return &Service{pool: pool} }

// Create adds a school with the default settings and concern categories.
// The slug is its short name in URLs and on the command line (lower-case
// letters, digits and single hyphens). Audited in the new school's chain.
func (s *Service) Create(ctx context.Context, by actor.Actor, slug, name string) (School, error) {
	p := validate.Problems{}
	if !slugRE.MatchString(slug) || len(slug) > 63 {
		p.Add("slug", "Enter a short name of lower-case letters, digits and single hyphens")
	}
	if msg := validate.Name(name, "the school's name", true, 200); msg != "" {
		p.Add("name", msg)
	}
	if len(p) > 0 {
		return School{}, p
	}
	var sc School
	err := db.InTx(ctx, s.pool, by, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, `INSERT INTO schools (slug, name) VALUES ($1, $2)
			RETURNING id, slug, name, created_at`, slug, name)
		var err error
		if sc, err = pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[School]); err != nil {
			return err
		}
		// The new school's rows are fenced to it (row-level security): the
		// rest of the transaction is scoped to the school (a savepoint whose
		// settings last until the commit).
		by.SchoolID = sc.ID
		return db.InSchool(ctx, tx, by, func(tx pgx.Tx) error {
			if err := insertDefaults(ctx, tx, sc.ID); err != nil {
				return err
			}
			return audit.Record(ctx, tx, by, audit.Event{Action: "school.create", SubjectType: "school",
				SubjectID: strconv.FormatInt(sc.ID, 10), Details: map[string]any{"slug": slug}})
		})
	})
	if db.IsUniqueViolation(err, "") {
		return School{}, ErrSlugTaken
	}
	if err != nil {
		return School{}, fmt.Errorf("create school %s: %w", slug, err)
	}
	return sc, nil
}

// BySlug returns the school with slug, or db.ErrNotFound.
func (s *Service) BySlug(ctx context.Context, slug string) (School, error) {
	return bySlug(ctx, s.pool, slug)
}

// ByID returns the school with id, or db.ErrNotFound.
func (s *Service) ByID(ctx context.Context, id int64) (School, error) {
	rows, _ := s.pool.Query(ctx, `SELECT id, slug, name, created_at FROM schools WHERE id = $1`, id)
	return collectOne(rows)
}

func bySlug(ctx context.Context, q db.Querier, slug string) (School, error) {
	rows, _ := q.Query(ctx, `SELECT id, slug, name, created_at FROM schools WHERE slug = $1`, slug)
	return collectOne(rows)
}

func collectOne(rows pgx.Rows) (School, error) {
	sc, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[School])
	if errors.Is(err, pgx.ErrNoRows) {
		return School{}, db.ErrNotFound
	}
	return sc, err
}
