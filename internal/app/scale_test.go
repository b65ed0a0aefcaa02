package app_test

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/havenschools/haven/internal/app"
	"github.com/havenschools/haven/internal/db/dbtest"
)

// haven demo --schools N --concerns M fills the database with fictional
// data at scale, beside Demo Academy.
func TestDemoAtScale(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t)
	vars := map[string]string{"DATABASE_URL": d.AppURL, "HAVEN_MIGRATE_DATABASE_URL": d.OwnerURL, "HAVEN_DATA_DIR": t.TempDir()}
	var out bytes.Buffer
	err := app.Run(t.Context(), []string{"demo", "--schools", "3", "--concerns", "300", "--seed", "4"},
		func(k string) string { return vars[k] }, strings.NewReader(""), &out, io.Discard)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "Generated 3 schools and 300 concerns") {
		t.Errorf("output:\n%s", out.String())
	}
	var schools, concerns int
	if err := d.Owner.QueryRow(t.Context(), `SELECT count(DISTINCT s.id), count(c.id) FROM schools s
		JOIN concerns c ON c.school_id = s.id WHERE s.slug LIKE 'scale-%'`).Scan(&schools, &concerns); err != nil {
		t.Fatal(err)
	}
	if schools != 3 || concerns != 300 {
		t.Errorf("%d schools with %d concerns, want 3 with 300", schools, concerns)
	}
	err = app.Run(t.Context(), []string{"demo", "--schools", "3"}, func(k string) string { return vars[k] },
		strings.NewReader(""), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "go together") {
		t.Errorf("--schools without --concerns: %v", err)
	}
}
