package app_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/havenschools/haven/internal/app"
	"github.com/havenschools/haven/internal/db/dbtest"
)

// TestExportAndRetentionCommands: an operator exports a school's concerns
// to a file (recorded and audited like any export) and lists the records
// due for a retention review.
func TestExportAndRetentionCommands(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t)
	ctx := context.Background()
	vars := map[string]string{"DATABASE_URL": d.AppURL, "HAVEN_MIGRATE_DATABASE_URL": d.OwnerURL}
	run := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := app.Run(ctx, args, func(k string) string { return vars[k] }, strings.NewReader(""), &out, io.Discard)
		return out.String(), err
	}
	if out, err := run("school", "create", "--slug", "st-aidans", "--name", "St Aidan's"); err != nil {
		t.Fatalf("school create: %v\n%s", err, out)
	}
	var school, child int64
	if err := d.Owner.QueryRow(ctx, `SELECT id FROM schools WHERE slug = 'st-aidans'`).Scan(&school); err != nil {
		t.Fatal(err)
	}
	user := dbtest.MustUser(t, d.Owner, "t@st-aidans.test", "Tea Cher")
	if err := d.Owner.QueryRow(ctx, `INSERT INTO children (school_id, first_name, last_name, date_of_birth)
		VALUES ($1, 'Zoe', 'Oldfield', '1999-01-01') RETURNING id`, school).Scan(&child); err != nil {
		t.Fatal(err)
	}
	var concern int64
	if err := d.Owner.QueryRow(ctx, `INSERT INTO concerns (school_id, ref, submission_id, recorded_by, happened_on, seen_on,
			account, told_dsl, in_danger, restricted) VALUES ($1, 'C-2026-000001', gen_random_uuid(), $2, '2026-10-01', '2026-10-01',
			'@SUM(1)', 'not_yet', false, true) RETURNING id`, school, user).Scan(&concern); err != nil {
		t.Fatal(err)
	}

	file := filepath.Join(t.TempDir(), "concerns.csv")
	out, err := run("export", "--school", "st-aidans", "--format", "csv", "--reason", "Ofsted inspection", "--out", file)
	if err != nil || !strings.Contains(out, "Exported 1 concern of St Aidan's") {
		t.Fatalf("haven export: %v\n%s", err, out)
	}
	body, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(body), "\uFEFF") || !strings.Contains(string(body), "'@SUM(1)") {
		t.Errorf("the file (an operator sees restricted concerns too, neutralised):\n%s", body)
	}
	if _, err := run("export", "--school", "st-aidans", "--format", "csv", "--reason", "again", "--out", file); err == nil {
		t.Error("haven export overwrote a file")
	}
	if _, err := run("export", "--school", "st-aidans", "--format", "pdf", "--reason", "x"); err == nil || !strings.Contains(err.Error(), "--format") {
		t.Errorf("a bad format: %v", err)
	}
	if n := dbtest.Count(t, d.Owner, "exports WHERE school_id = $1 AND requested_role = 'system' AND status = 'ready'", school); n != 1 {
		t.Errorf("%d operator exports recorded, want 1", n)
	}
	if n := dbtest.Count(t, d.Owner, "audit_events WHERE school_id = $1 AND action IN ('export.request', 'export.download')", school); n != 2 {
		t.Errorf("%d export events, want 2", n)
	}

	out, err = run("retention", "run")
	if err != nil || !strings.Contains(out, "1 child's record and 0 concerns about adults due for review") ||
		!strings.Contains(out, "review date 2024-01-01") || strings.Contains(out, "Oldfield") {
		t.Errorf("haven retention run: %v\n%s", err, out)
	}

	// A legal hold placed years before the record is due: the run skips it and says so.
	var held int64
	if err := d.Owner.QueryRow(ctx, `INSERT INTO children (school_id, first_name, last_name, date_of_birth)
		VALUES ($1, 'Hal', 'Held', '2015-06-01') RETURNING id`, school).Scan(&held); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Owner.Exec(ctx, `INSERT INTO child_retention (school_id, child_id, do_not_destroy, dnd_reason)
		VALUES ($1, $2, true, 'Inquiry moratorium')`, school, held); err != nil {
		t.Fatal(err)
	}
	out, err = run("retention", "run")
	if err != nil || !strings.Contains(out, "1 child's record and 0 concerns about adults due for review; 1 child's record on legal hold skipped") ||
		!strings.Contains(out, fmt.Sprintf("child %d  review date 2040-06-01  On legal hold: do not destroy: skipped", held)) ||
		strings.Contains(out, "Inquiry") {
		t.Errorf("haven retention run with a record on hold: %v\n%s", err, out)
	}
}
