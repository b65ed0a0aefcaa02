package db_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/pressly/goose/v3"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/db/dbtest"
	"github.com/havenschools/haven/internal/devdb"
	"github.com/havenschools/haven/migrations"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// Tables without row-level security, each for a reason: they hold no
// school's records and no person's account data the app may not read.
var notTenant = map[string]string{
	"schools":           "the tenants themselves: names and slugs (the school chooser, the command line)",
	"trusts":            "groups of schools",
	"sessions":          "scs's session store, keyed by the session token (SECURITY-NOTES §4.2 13)",
	"auth_failures":     "throttling counters keyed by address or typed email; the app has no UPDATE",
	"audit_heads":       "each audit chain's head, written by the SECURITY DEFINER trigger only; no grant to the app",
	"audit_checkpoints": "signed chain heads, written by the owner; no grant to the app",
	"goose_db_version":  "migration bookkeeping (version numbers and times); the app may only read it (00122)",
	"audit_verify_runs": "counts and times of `haven audit verify` runs, written by the owner; no school's data",
}

// Accounts span schools, so their tables have no school_id (memberships
// has one, per school), but they hold a person's credentials: each is
// fenced to its user and to the schools the user belongs to.
var accountTables = []string{"users", "memberships", "recovery_codes", "password_tokens"}

// SECURITY DEFINER functions run as the owner, which row-level security
// does not bind: each is reviewed and listed here (SECURITY-NOTES §4.2 5).
var definers = []string{
	"audit_append",                  // the audit chain's insert trigger (00012)
	"audit_subject_in_school",       // may an account event go to this school's chain (00110)
	"auth_invitation_by_token_hash", // an invitation by its link, before sign-in (00110)
	"auth_password_link",            // a password link's person, before sign-in (00110)
	"auth_user_id_by_email",         // an account by email, before sign-in (00110)
	"allegation_subject_assign",     // a new concern about an adult joins the identity of earlier ones about them (00166)
	"merge_inline_child",            // merging a child added inline into the roll child (00093)
	"retention_delete_child",        // deleting a child's record after two sign-offs (00094)
	"transfer_by_receipt",           // a transfer by its receipt link's hash, before the receiver signs in: ids only (00096)
	"unacknowledged_concern_ages",   // four counts across schools for a metric (00121)
}

// TestEveryTenantTableIsFenced fails when a table with a school_id column
// (or an account table) lacks row-level security, FORCE, or a policy for
// the app role that reads the transaction's school (or user): a new table
// cannot forget. It also checks the roles and the other ways around
// row-level security that SECURITY-NOTES §4.2 lists.
func TestEveryTenantTableIsFenced(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t)
	ctx := t.Context()
	problems, fenced, err := fenceProblems(ctx, d.Owner)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
	if fenced < 40 {
		t.Errorf("only %d tables checked for a fence: the catalogue query looks in the wrong place", fenced)
	}

	t.Run("the app role cannot bypass row-level security", func(t *testing.T) {
		var super, bypass, owns, member bool
		err := d.Owner.QueryRow(ctx, `
			SELECT r.rolsuper, r.rolbypassrls,
			       EXISTS (SELECT 1 FROM pg_class c WHERE c.relowner = r.oid),
			       EXISTS (SELECT 1 FROM pg_auth_members m WHERE m.member = r.oid)
			FROM pg_roles r WHERE r.rolname = $1`, devdb.AppRole).Scan(&super, &bypass, &owns, &member)
		if err != nil {
			t.Fatal(err)
		}
		if super || bypass || owns || member {
			t.Errorf("%s: superuser %v, bypassrls %v, owns tables %v, member of a role %v; want none", devdb.AppRole, super, bypass, owns, member)
		}
	})

	t.Run("no TRUNCATE, REFERENCES or TRIGGER for the app", func(t *testing.T) {
		// TRUNCATE and foreign keys ignore row-level security (§4.2 2, 3).
		rows, _ := d.Owner.Query(ctx, `SELECT table_name || ': ' || privilege_type FROM information_schema.role_table_grants
			WHERE grantee = $1 AND privilege_type IN ('TRUNCATE', 'REFERENCES', 'TRIGGER') ORDER BY 1`, devdb.AppRole)
		grants, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		if len(grants) > 0 {
			t.Errorf("grants to %s that row-level security does not bind: %v", devdb.AppRole, grants)
		}
	})

	t.Run("SECURITY DEFINER functions are the reviewed ones, with a fixed search_path", func(t *testing.T) {
		problems, err := definerProblems(ctx, d.Owner)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			t.Error(p)
		}
	})
}

// TestTheCatalogueCheckFindsAForgottenTable shows that the check above
// fails for a new table that forgets: no row-level security, then enabled
// but not forced, then forced with no policy, then a policy that ignores
// the school; only the full pattern passes.
func TestTheCatalogueCheckFindsAForgottenTable(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t)
	ctx := t.Context()
	exec := func(sql string) {
		t.Helper()
		if _, err := d.Owner.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	about := func(table string) []string {
		t.Helper()
		problems, _, err := fenceProblems(ctx, d.Owner)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range problems {
			if strings.Contains(p, table) {
				out = append(out, p)
			}
		}
		return out
	}
	exec(`CREATE TABLE forgotten (id bigint PRIMARY KEY, school_id bigint NOT NULL REFERENCES schools (id), note text)`)
	exec(`GRANT SELECT ON forgotten TO haven_app`)
	for _, step := range []struct{ sql, want string }{
		{"", "enabled false, forced false"},
		{"ALTER TABLE forgotten ENABLE ROW LEVEL SECURITY", "forced false"},
		{"ALTER TABLE forgotten FORCE ROW LEVEL SECURITY", "no permissive policy"},
		{"CREATE POLICY forgotten_all ON forgotten TO haven_app USING (true)", "no policy reads app.school_id"},
	} {
		if step.sql != "" {
			exec(step.sql)
		}
		if got := about("forgotten"); len(got) == 0 || !strings.Contains(strings.Join(got, "\n"), step.want) {
			t.Errorf("after %q: problems %q, want one saying %q", step.sql, got, step.want)
		}
	}
	exec(`DROP POLICY forgotten_all ON forgotten`)
	exec(`CREATE POLICY forgotten_school ON forgotten TO haven_app
		USING (school_id = (SELECT nullif(current_setting('app.school_id', true), '')::bigint))`)
	if got := about("forgotten"); len(got) != 0 {
		t.Errorf("with the full pattern: problems %q, want none", got)
	}

	exec(`CREATE TABLE loose_notes (id bigint PRIMARY KEY, child_id bigint, note text)`)
	if got := about("loose_notes"); len(got) != 1 || !strings.Contains(got[0], "notTenant") {
		t.Errorf("a table with neither school_id nor row-level security: problems %q, want one", got)
	}
	exec(`CREATE VIEW open_notes AS SELECT id, school_id, note FROM forgotten`)
	if got := about("open_notes"); len(got) != 1 {
		t.Errorf("a view with the owner's rights and no fence: problems %q, want one", got)
	}
	exec(`CREATE FUNCTION sneaky() RETURNS bigint LANGUAGE sql SECURITY DEFINER AS $$ SELECT count(*) FROM forgotten $$`)
	problems, err := definerProblems(ctx, d.Owner)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{
		"SECURITY DEFINER function sneaky is not in the reviewed list (internal/db/rls_test.go)",
		"SECURITY DEFINER function sneaky does not SET search_path",
	}; !slices.Equal(problems, want) {
		t.Errorf("a new SECURITY DEFINER function: problems %q, want %q", problems, want)
	}
}

// TestTheAppRoleSeesNothingWithoutItsSchool inserts a row of school A as
// the owner and reads it as the app role: in A's transaction, in B's, and
// with no transaction at all.
func TestTheAppRoleSeesNothingWithoutItsSchool(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t)
	ctx := t.Context()
	var a, b int64
	if err := d.Owner.QueryRow(ctx, `INSERT INTO schools (slug, name) VALUES ('a', 'A'), ('b', 'B') RETURNING id`).Scan(&a); err != nil {
		t.Fatal(err)
	}
	if err := d.Owner.QueryRow(ctx, `SELECT id FROM schools WHERE slug = 'b'`).Scan(&b); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Owner.Exec(ctx, `INSERT INTO school_terms (school_id, name, starts_on, ends_on) VALUES ($1, 'Autumn', '2026-09-01', '2026-12-18')`, a); err != nil {
		t.Fatal(err)
	}
	count := func(q db.Querier) int {
		t.Helper()
		var n int
		if err := q.QueryRow(ctx, `SELECT count(*) FROM school_terms`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	in := func(school int64) int {
		var n int
		err := db.InTx(ctx, d.App, actorIn(school), func(tx pgx.Tx) error { n = count(tx); return nil })
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if got := in(a); got != 1 {
		t.Errorf("school A's transaction sees %d terms, want 1", got)
	}
	if got := in(b); got != 0 {
		t.Errorf("school B's transaction sees %d of A's terms, want 0", got)
	}
	if got := count(d.App); got != 0 {
		t.Errorf("the app role with no setting sees %d terms, want 0", got)
	}
	if got := count(d.Owner); got != 1 {
		t.Errorf("the owner (BYPASSRLS, for operator commands) sees %d terms, want 1", got)
	}
}

// TestMigrationsRefuseAnOwnerThatCannotBypassRLS migrates an empty
// database as an owner without BYPASSRLS: the migrations stop with a
// message saying what to do, rather than leaving an owner (and the
// SECURITY DEFINER functions it owns) that sees no rows.
func TestMigrationsRefuseAnOwnerThatCannotBypassRLS(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	super, err := pgx.Connect(ctx, os.Getenv(dbtest.EnvURL))
	if err != nil {
		t.Fatal(err)
	}
	defer super.Close(ctx)
	var n int64
	if err := super.QueryRow(ctx, "SELECT (random() * 1e15)::bigint").Scan(&n); err != nil {
		t.Fatal(err)
	}
	role := "haven_norls_" + strconv.FormatInt(n, 36)
	if _, err := super.Exec(ctx, "CREATE ROLE "+role+" LOGIN NOSUPERUSER NOBYPASSRLS"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // after the database is dropped (cleanups run last first)
		c, err := pgx.Connect(context.Background(), os.Getenv(dbtest.EnvURL))
		if err == nil {
			_, _ = c.Exec(context.Background(), "DROP ROLE IF EXISTS "+role)
			c.Close(context.Background())
		}
	})
	dbURL := dbtest.Empty(t)
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := super.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{strings.TrimPrefix(u.Path, "/")}.Sanitize()+" OWNER TO "+role); err != nil {
		t.Fatal(err)
	}
	u.User = url.User(role)
	q := u.Query()
	q.Del("user") // the test server's URL may name its user here
	u.RawQuery = q.Encode()
	sqlDB, err := sql.Open("pgx", u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer sqlDB.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Up(ctx)
	if err == nil || !strings.Contains(err.Error(), "must bypass row-level security") || !strings.Contains(err.Error(), "ALTER ROLE") {
		t.Fatalf("migrating as an owner without BYPASSRLS: %v, want a refusal saying what to do", err)
	}
}

// fenceProblems lists what the catalogue shows missing from row-level
// security, and how many tables it checked for a fence.
func fenceProblems(ctx context.Context, q db.Querier) (problems []string, fenced int, err error) {
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	type table struct {
		name             string
		kind             string
		schoolID         bool
		rls, force       bool
		appPolicies      int
		schoolFence      bool // a policy reads app.school_id
		userFence        bool // a policy reads app.user_id
		securityInvoker  bool
		viewReadsSetting bool
	}
	rows, _ := q.Query(ctx, `
		SELECT c.relname, c.relkind::text,
		       EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'school_id' AND NOT a.attisdropped),
		       c.relrowsecurity, c.relforcerowsecurity,
		       (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid AND p.polpermissive
		          AND (p.polroles @> ARRAY[(SELECT oid FROM pg_roles WHERE rolname = $1)] OR p.polroles = '{0}')),
		       EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid
		          AND concat(pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid)) LIKE '%app.school_id%'),
		       EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid
		          AND concat(pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid)) LIKE '%app.user_id%'),
		       coalesce(c.reloptions @> ARRAY['security_invoker=true'], false),
		       c.relkind = 'v' AND pg_get_viewdef(c.oid) LIKE '%current_setting(''app.school_id''%'
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm')
		ORDER BY c.relname`, devdb.AppRole)
	tables, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (table, error) {
		var x table
		err := r.Scan(&x.name, &x.kind, &x.schoolID, &x.rls, &x.force, &x.appPolicies, &x.schoolFence, &x.userFence,
			&x.securityInvoker, &x.viewReadsSetting)
		return x, err
	})
	if err != nil {
		return nil, 0, err
	}
	for _, x := range tables {
		account := slices.Contains(accountTables, x.name)
		switch {
		case x.kind == "m":
			bad("%s is a materialized view: they have no row-level security (SECURITY-NOTES §4.2 9)", x.name)
		case x.kind == "v":
			// A view runs with its owner's rights, which row-level security
			// does not bind: it must run with the caller's, or fence itself.
			if x.schoolID && !x.securityInvoker && !x.viewReadsSetting {
				bad("view %s shows school_id but is not security_invoker and does not read app.school_id in its WHERE", x.name)
			}
		case x.schoolID || account:
			fenced++
			if !x.rls || !x.force {
				bad("%s: row-level security enabled %v, forced %v; want both (ALTER TABLE … ENABLE and FORCE ROW LEVEL SECURITY)", x.name, x.rls, x.force)
			}
			if x.appPolicies == 0 {
				bad("%s: no permissive policy for %s, so the app sees nothing of it; add one reading app.school_id", x.name, devdb.AppRole)
			}
			if x.schoolID && !x.schoolFence {
				bad("%s has a school_id but no policy reads app.school_id", x.name)
			}
			if account && !x.userFence {
				bad("%s: no policy reads app.user_id", x.name)
			}
		case strings.HasPrefix(x.name, "river_"):
			// River's job tables: job arguments carry ids, never a record's text.
		case x.rls && x.force && x.appPolicies > 0:
			// Fenced some other way (a person's own rows, say).
		default:
			if _, ok := notTenant[x.name]; !ok {
				bad("%s has no school_id and no row-level security: give it a school_id and a policy, or list it in notTenant with the reason", x.name)
			}
		}
	}
	return problems, fenced, nil
}

// definerProblems lists SECURITY DEFINER functions that are not in the
// reviewed list or do not pin their search_path.
func definerProblems(ctx context.Context, q db.Querier) ([]string, error) {
	rows, _ := q.Query(ctx, `
		SELECT p.proname, coalesce(array_to_string(p.proconfig, ','), '') LIKE '%search_path=%'
		FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
		WHERE n.nspname = current_schema() AND p.prosecdef ORDER BY 1`)
	type fn struct {
		Name   string
		Pinned bool
	}
	fns, err := pgx.CollectRows(rows, pgx.RowToStructByPos[fn])
	if err != nil {
		return nil, err
	}
	var problems []string
	for _, f := range fns {
		if !slices.Contains(definers, f.Name) {
			problems = append(problems, fmt.Sprintf("SECURITY DEFINER function %s is not in the reviewed list (internal/db/rls_test.go)", f.Name))
		}
		if !f.Pinned {
			problems = append(problems, fmt.Sprintf("SECURITY DEFINER function %s does not SET search_path", f.Name))
		}
	}
	return problems, nil
}

func actorIn(school int64) actor.Actor {
	return actor.Actor{SchoolID: school, UserID: 1, Role: actor.DSL}
}
