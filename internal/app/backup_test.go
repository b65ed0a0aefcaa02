package app_test

import (
	"bytes"
	"context"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/app"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db/dbtest"
)

// TestBackupAndRestore backs up the demo school with `haven backup`,
// restores it with `haven restore` into a new empty database and checks
// that every concern came back and the audit trail verifies; and that a
// changed byte, a database that is not empty and an audit trail that does
// not verify are each refused.
func TestBackupAndRestore(t *testing.T) {
	t.Parallel()
	src := dbtest.Open(t)
	ctx := t.Context()
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "audit.key")
	if _, _, err := audit.EnsureKey(keyFile); err != nil {
		t.Fatal(err)
	}
	run := func(vars map[string]string, args ...string) (string, error) {
		var out bytes.Buffer
		err := app.Run(context.Background(), args, func(k string) string { return vars[k] }, nil, &out, io.Discard)
		return out.String(), err
	}
	srcVars := map[string]string{"DATABASE_URL": src.AppURL, "HAVEN_MIGRATE_DATABASE_URL": src.OwnerURL, "HAVEN_AUDIT_KEY_FILE": keyFile}
	if out, err := run(srcVars, "demo"); err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	if out, err := run(srcVars, "audit", "checkpoint"); err != nil {
		t.Fatalf("audit checkpoint: %v\n%s", err, out)
	}
	file := filepath.Join(dir, "haven.backup")
	out, err := run(srcVars, "backup", "--out", file)
	if err != nil || !strings.Contains(out, "backed up database") {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v, %v (want mode 0600)", fi, err)
	}

	// Into a new, empty database, as its owner.
	target := emptyOwnedDB(t, src.OwnerURL)
	tgtVars := map[string]string{"DATABASE_URL": target, "HAVEN_MIGRATE_DATABASE_URL": target, "HAVEN_AUDIT_KEY_FILE": keyFile}
	out, err = run(tgtVars, "restore", file)
	t.Log(out)
	if err != nil || !strings.Contains(out, "restored database") || !strings.Contains(out, "audit verify: OK") {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	refs := func(url string) []string {
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		rows, _ := conn.Query(ctx, `SELECT s.slug || '/' || c.ref FROM concerns c JOIN schools s ON s.id = c.school_id ORDER BY 1`)
		got, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	want, got := refs(src.OwnerURL), refs(target)
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Errorf("restored concerns %v, want the demo's %v", got, want)
	}
	conn, err := pgx.Connect(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var granted bool
	if err := conn.QueryRow(ctx, `SELECT has_table_privilege('haven_app', 'concerns', 'SELECT')`).Scan(&granted); err != nil || !granted {
		t.Errorf("the app role's grants were not restored: %v %v", granted, err)
	}
	// The restored deployment chain says the backup was taken (the dump holds
	// that row) and that it was restored, by whom: the command line.
	rows, _ := conn.Query(ctx, `SELECT action || ' ' || actor_role || ' ' || request_id FROM audit_events
		WHERE school_id IS NULL AND action LIKE 'backup.%' ORDER BY seq`)
	actions, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"backup.create system cli: haven backup", "backup.restore system cli: haven restore"}; !slices.Equal(actions, want) {
		t.Errorf("the restored audit trail's backup rows are %q, want %q", actions, want)
	}

	// Into a database that is not empty: refused, and nothing changes.
	if _, err := run(tgtVars, "restore", file); err == nil || !strings.Contains(err.Error(), "not empty") ||
		!strings.Contains(err.Error(), "empty database") {
		t.Errorf("restore into a database holding data: %v, want a refusal naming an empty database", err)
	}

	// One changed byte in the dump: refused before any database is touched.
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	at := bytes.Index(b, []byte("PGDMP")) // the custom format's magic, at the dump's start
	if at < 0 {
		t.Fatal("no pg_dump custom-format member in the backup")
	}
	b[at+300] ^= 0x01
	tampered := filepath.Join(dir, "tampered.backup")
	if err := os.WriteFile(tampered, b, 0o600); err != nil {
		t.Fatal(err)
	}
	fresh := emptyOwnedDB(t, src.OwnerURL)
	freshVars := map[string]string{"DATABASE_URL": fresh, "HAVEN_MIGRATE_DATABASE_URL": fresh}
	if _, err := run(freshVars, "restore", tampered); err == nil || !strings.Contains(err.Error(), "database.dump does not match the manifest") {
		t.Errorf("restore of a changed backup: %v, want the dump's sum refused", err)
	}
	if n := dbtest.Count(t, connectTo(t, fresh), "pg_tables WHERE schemaname = 'public'"); n != 0 {
		t.Errorf("the refused restore left %d tables", n)
	}

	// A backup whose audit trail was rewritten: loaded, but not reported as a success.
	super, err := pgx.Connect(ctx, src.SuperURL)
	if err != nil {
		t.Fatal(err)
	}
	defer super.Close(ctx)
	if _, err := super.Exec(ctx, `SET session_replication_role = replica;
		UPDATE audit_events SET action = 'concern.view' WHERE seq = 2 AND chain_id = (SELECT id FROM schools WHERE slug = 'demo-academy')`); err != nil {
		t.Fatal(err)
	}
	rewritten := filepath.Join(dir, "rewritten.backup")
	if out, err := run(srcVars, "backup", "--out", rewritten); err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	out, err = run(freshVars, "restore", rewritten)
	if err == nil || !strings.Contains(err.Error(), "does not verify") || !strings.Contains(out, "BROKEN school demo-academy at seq 2") ||
		strings.Contains(out, "audit verify: OK") {
		t.Errorf("restore of a rewritten audit trail: %v\n%s", err, out)
	}

	if out, err := run(srcVars, "restore", file, "--pubkey"); err == nil {
		t.Errorf("restore with a dangling flag: %s", out)
	}
	if _, err := run(srcVars, "backup"); err == nil || !strings.Contains(err.Error(), "--out") {
		t.Errorf("backup without --out: %v", err)
	}
}

// emptyOwnedDB returns a URL, as the owner role of ownerURL, to a new empty
// database that role owns.
func emptyOwnedDB(t *testing.T, ownerURL string) string {
	t.Helper()
	super := dbtest.Empty(t)
	u, err := url.Parse(super)
	if err != nil {
		t.Fatal(err)
	}
	owner, err := url.Parse(ownerURL)
	if err != nil {
		t.Fatal(err)
	}
	conn := connectTo(t, super)
	if _, err := conn.Exec(context.Background(), "ALTER DATABASE "+strings.TrimPrefix(u.Path, "/")+" OWNER TO "+owner.User.Username()); err != nil {
		t.Fatal(err)
	}
	conn.Close(context.Background())
	u.User = owner.User
	return u.String()
}

func connectTo(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}
