package allegation_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/pressly/goose/v3"

	"github.com/havenschools/haven/internal/db/dbtest"
	"github.com/havenschools/haven/migrations"
)

// Records stored before identities existed (migration 00165) get one
// each: the records about one account share one, as do the records about
// one typed name; the handler's pattern reviews go with them; a removed
// record gets none.
func TestExistingRecordsGetAnIdentityEach(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := dbtest.Empty(t)
	sqlDB, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer sqlDB.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 164); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := conn.Exec(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec(`INSERT INTO schools (id, slug, name) OVERRIDING SYSTEM VALUE VALUES (1, 'a', 'A')`)
	exec(`INSERT INTO users (id, email, name) OVERRIDING SYSTEM VALUE VALUES (10, 'tom@a.test', 'Tom Teacher'), (11, 'tess@a.test', 'Tess')`)
	insert := func(ref, key string, user any, deleted bool) {
		t.Helper()
		name, role, account, deletedAt := "Tom Teacher", "Teacher", "What happened", any(nil)
		if deleted {
			name, role, account, key, deletedAt = "", "", "", "", "2026-01-01"
		}
		exec(`INSERT INTO allegations (school_id, ref, submission_id, reported_by, routed_to, kind, subject_user_id, subject_name,
				subject_key, subject_role, account, deleted_at)
			VALUES (1, $1, gen_random_uuid(), 11, 'head', 'low_level', $2, $3, $4, $5, $6, $7)`, ref, user, name, key, role, account, deletedAt)
	}
	insert("A-2026-000001", "u:10", 10, false)
	insert("A-2026-000002", "u:10", 10, false)
	insert("A-2026-000003", "n:tom teacher", nil, false)
	insert("A-2026-000004", "n:tom teacher", nil, false)
	insert("A-2026-000005", "", nil, true)
	exec(`INSERT INTO allegation_pattern_reviews (school_id, routed_to, subject_user_id, subject_key, note, reviewed_by)
		VALUES (1, 'head', NULL, 'n:tom teacher', 'Looked', 11)`)

	if _, err := p.UpTo(ctx, 167); err != nil {
		t.Fatal(err)
	}
	var identities, byAccount, byName, unset, reviewed int
	if err := conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM allegation_subjects),
			(SELECT count(DISTINCT subject_id) FROM allegations WHERE subject_key = 'u:10'),
			(SELECT count(DISTINCT subject_id) FROM allegations WHERE subject_key = 'n:tom teacher'),
			(SELECT count(*) FROM allegations WHERE subject_id IS NULL),
			(SELECT count(*) FROM allegation_pattern_reviews r JOIN allegations a ON a.subject_id = r.subject_id AND a.ref = 'A-2026-000003')`).
		Scan(&identities, &byAccount, &byName, &unset, &reviewed); err != nil {
		t.Fatal(err)
	}
	if identities != 2 || byAccount != 1 || byName != 1 || unset != 1 || reviewed != 1 {
		t.Errorf("identities %d, per account %d, per name %d, without one %d, reviews with theirs %d: want 2, 1, 1, 1 (the removed one), 1",
			identities, byAccount, byName, unset, reviewed)
	}
}
