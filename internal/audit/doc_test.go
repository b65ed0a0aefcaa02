package audit_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db/dbtest"
	"github.com/havenschools/haven/internal/testenv"
)

// codeBlock returns the body of the fenced code block of doc whose first
// line is first.
func codeBlock(t *testing.T, doc, first string) string {
	t.Helper()
	i := strings.Index(doc, "\n"+first+"\n")
	if i < 0 {
		t.Fatalf("docs/audit.md has no code block starting %q", first)
	}
	body := doc[i+1:]
	return body[:strings.Index(body, "\n```")+1]
}

// TestDocScriptVerifiesChains runs the query and the Python script of
// docs/audit.md on a real database, so the documented way to check a chain
// without Haven keeps working.
func TestDocScriptVerifiesChains(t *testing.T) {
	t.Parallel()
	python, err := exec.LookPath("python3")
	if err != nil {
		testenv.Missing(t, "python3 is not installed")
	}
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "audit.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	query := codeBlock(t, doc, "-- audit rows for verify_audit.py")
	script := codeBlock(t, doc, "# verify_audit.py: python3 verify_audit.py < audit.csv")

	d := dbtest.Open(t)
	s := dbtest.MustSchool(t, d.Owner, "st-aidans", "st-aidans")
	odd := actor.Actor{SchoolID: s, UserID: 9, Role: actor.Head,
		Source: actor.Source{UserAgent: `Ünïcode "quoted", with commas`, ClientIP: "2001:db8::1"}}
	record(t, d.App, odd, audit.Event{Action: "concern.view", SubjectType: "concern", SubjectID: "C-2026-000001",
		Details: map[string]any{"note": `a "quoted", text`, "ids": []int{1, 2}}})
	chain(t, d.App, s, 3)
	chain(t, d.App, 0, 2)

	run := func() (string, error) {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, d.OwnerURL)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var csv bytes.Buffer
		if _, err := conn.PgConn().CopyTo(ctx, &csv, "COPY ("+query+") TO STDOUT WITH (FORMAT csv)"); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(python, "-c", script)
		cmd.Stdin = &csv
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	out, err := run()
	if err != nil || !strings.Contains(out, "chain 0: OK, 2 rows") || !strings.Contains(out, "OK, 4 rows") {
		t.Fatalf("on intact chains the script said (err %v):\n%s", err, out)
	}
	tamper(t, d, `UPDATE audit_events SET details = '{"note":"changed"}' WHERE chain_id = $1 AND seq = 1`, s)
	out, err = run()
	if err == nil || !strings.Contains(out, "BROKEN at seq 1: the row was altered") || !strings.Contains(out, "chain 0: OK") {
		t.Errorf("on an altered row the script said (err %v):\n%s", err, out)
	}
}
