package dbtest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/havenschools/haven/internal/actor"
)

// The fixtures below are the shared set-up of every package's tests: a
// school, its settings and concern categories, users and members of any
// role. Each writes straight to the database on the owner pool and fails the
// test on error. They are written in SQL, not through the domain services,
// because the domain packages' own tests import dbtest: dbtest importing
// school or auth would be an import cycle.

// MustSchool inserts a school (only its row: no settings, no categories)
// and returns its id.
func MustSchool(t testing.TB, owner *pgxpool.Pool, slug, name string) int64 {
	t.Helper()
	var id int64
	if err := owner.QueryRow(context.Background(), `INSERT INTO schools (slug, name) VALUES ($1, $2) RETURNING id`,
		slug, name).Scan(&id); err != nil {
		t.Fatalf("dbtest: school %s: %v", slug, err)
	}
	return id
}

// MustSettings gives school its settings row, with every default.
func MustSettings(t testing.TB, owner *pgxpool.Pool, school int64) {
	t.Helper()
	if _, err := owner.Exec(context.Background(), `INSERT INTO school_settings (school_id) VALUES ($1)`, school); err != nil {
		t.Fatalf("dbtest: settings of school %d: %v", school, err)
	}
}

// Category is a concern category of a school.
type Category struct{ Key, Name string }

// MustCategories gives school the concern categories cats, in that order.
func MustCategories(t testing.TB, owner *pgxpool.Pool, school int64, cats ...Category) {
	t.Helper()
	for i, c := range cats {
		if _, err := owner.Exec(context.Background(), `INSERT INTO concern_categories (school_id, key, name, position)
			VALUES ($1, $2, $3, $4)`, school, c.Key, c.Name, i+1); err != nil {
			t.Fatalf("dbtest: category %s of school %d: %v", c.Key, school, err)
		}
	}
}

// MustUser inserts a user, or renames the one with that email, and
// returns its id.
func MustUser(t testing.TB, owner *pgxpool.Pool, email, name string) int64 {
	t.Helper()
	var id int64
	if err := owner.QueryRow(context.Background(), `INSERT INTO users (email, name) VALUES ($1, $2)
		ON CONFLICT (email) DO UPDATE SET name = EXCLUDED.name RETURNING id`, email, name).Scan(&id); err != nil {
		t.Fatalf("dbtest: user %s: %v", email, err)
	}
	return id
}

// MustMember makes the user with email (MustUser) a member of school in
// role, and returns them as an actor with a request source, as a request
// of theirs would carry.
func MustMember(t testing.TB, owner *pgxpool.Pool, school int64, email, name string, role actor.Role) actor.Actor {
	t.Helper()
	return member(t, owner, school, email, name, role, false)
}

// MustDeputy is MustMember for a deputy (a deputy DSL).
func MustDeputy(t testing.TB, owner *pgxpool.Pool, school int64, email, name string, role actor.Role) actor.Actor {
	t.Helper()
	return member(t, owner, school, email, name, role, true)
}

func member(t testing.TB, owner *pgxpool.Pool, school int64, email, name string, role actor.Role, deputy bool) actor.Actor {
	t.Helper()
	id := MustUser(t, owner, email, name)
	if _, err := owner.Exec(context.Background(), `INSERT INTO memberships (school_id, user_id, role, deputy)
		VALUES ($1, $2, $3, $4)`, school, id, role, deputy); err != nil {
		t.Fatalf("dbtest: membership of %s: %v", email, err)
	}
	return actor.Actor{UserID: id, SchoolID: school, Role: role,
		Source: actor.Source{RequestID: fmt.Sprint("req-", id), ClientIP: "192.0.2.1", UserAgent: "test"}}
}

// Concern is what a concern stored by MustConcern holds beyond its
// defaults: an account, status "submitted", category "cse".
type Concern struct {
	Account, ChildsWords, Location string
	Status                         string
	Categories                     []string
	Restricted                     bool
}

var refCounter atomic.Int64

// MustConcern stores a concern about child as recorded by by, straight in
// the database (the concern package's own tests cover submitting), and
// returns its id.
func MustConcern(t testing.TB, owner *pgxpool.Pool, by actor.Actor, child int64, c Concern) int64 {
	t.Helper()
	ctx := context.Background()
	if c.Account == "" {
		c.Account = "She said an older man picks her up after school."
	}
	if c.Status == "" {
		c.Status = "submitted"
	}
	if c.Categories == nil {
		c.Categories = []string{"cse"}
	}
	var id int64
	err := owner.QueryRow(ctx, `INSERT INTO concerns (school_id, ref, submission_id, recorded_by, happened_on, seen_on,
			location, account, childs_words, told_dsl, in_danger, categories, status, restricted)
		VALUES ($1, $2, gen_random_uuid(), $3, '2026-10-05', '2026-10-06', $4, $5, $6, 'not_yet', false, $7, $8, $9)
		RETURNING id`, by.SchoolID, fmt.Sprintf("C-2026-%06d", refCounter.Add(1)), by.UserID, c.Location, c.Account,
		c.ChildsWords, c.Categories, c.Status, c.Restricted).Scan(&id)
	if err != nil {
		t.Fatalf("dbtest: concern: %v", err)
	}
	if _, err := owner.Exec(ctx, `INSERT INTO concern_children (school_id, concern_id, position, child_id, role)
		VALUES ($1, $2, 0, $3, 'subject')`, by.SchoolID, id, child); err != nil {
		t.Fatalf("dbtest: concern's child: %v", err)
	}
	return id
}
