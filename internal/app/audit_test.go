package app_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/app"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/db/dbtest"
)

func TestAuditCommands(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t)
	ctx := t.Context()
	school := dbtest.MustSchool(t, d.Owner, "st-aidans", "St Aidan's")
	by := actor.Actor{UserID: 1, SchoolID: school, Role: actor.DSL}
	for range 3 {
		err := db.InSchool(ctx, d.App, by, func(tx pgx.Tx) error {
			return audit.Record(ctx, tx, by, audit.Event{Action: "concern.view", SubjectType: "concern", SubjectID: "C-2026-000001"})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	keyFile, exportFile := filepath.Join(dir, "audit.key"), filepath.Join(dir, "checkpoints.jsonl")
	if _, _, err := audit.EnsureKey(keyFile); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"DATABASE_URL": d.AppURL, "HAVEN_MIGRATE_DATABASE_URL": d.OwnerURL, "HAVEN_AUDIT_KEY_FILE": keyFile}
	run := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := app.Run(context.Background(), args, func(k string) string { return vars[k] }, nil, &out, io.Discard)
		return out.String(), err
	}

	out, err := run("audit", "checkpoint", "--export", exportFile)
	if err != nil || !strings.Contains(out, "signed 1 chain heads") || !strings.Contains(out, "wrote 1 checkpoints") {
		t.Fatalf("audit checkpoint: %v\n%s", err, out)
	}
	if b, err := os.ReadFile(exportFile); err != nil || !bytes.Contains(b, []byte(`"school":"st-aidans","seq":3`)) {
		t.Errorf("export file: %v\n%s", err, b)
	}

	out, err = run("audit", "verify")
	if err != nil || !strings.Contains(out, "OK     school st-aidans: 3 rows, head seq 3, 1 checkpoints") ||
		!strings.Contains(out, "checked 3 rows and 1 checkpoints") || !strings.Contains(out, "rows/s") {
		t.Fatalf("audit verify: %v\n%s", err, out)
	}
	out, err = run("audit", "verify", "--school", "st-aidans", "--checkpoints", exportFile)
	if err != nil || !strings.Contains(out, "2 checkpoints") {
		t.Errorf("audit verify --school --checkpoints: %v\n%s", err, out)
	}
	if _, err := run("audit", "verify", "--school", "no-such-school"); err == nil || !strings.Contains(err.Error(), "no-such-school") {
		t.Errorf("verify of an unknown school: %v", err)
	}

	tamper, err := pgx.Connect(ctx, d.SuperURL)
	if err != nil {
		t.Fatal(err)
	}
	defer tamper.Close(ctx)
	if _, err := tamper.Exec(ctx, `SET session_replication_role = replica;
		UPDATE audit_events SET actor_user_id = 2 WHERE chain_id = `+strconv.FormatInt(school, 10)+` AND seq = 2`); err != nil {
		t.Fatal(err)
	}
	out, err = run("audit", "verify")
	if err == nil || !strings.Contains(err.Error(), "school st-aidans at seq 2") || !strings.Contains(out, "BROKEN school st-aidans at seq 2") {
		t.Errorf("verify after tampering: err %v\n%s", err, out)
	}

	delete(vars, "HAVEN_AUDIT_KEY_FILE")
	if _, err := run("audit", "verify"); err == nil || !strings.Contains(err.Error(), "--pubkey") {
		t.Errorf("verify without a key: %v, want a hint at --pubkey", err)
	}
	if _, err := run("audit", "checkpoint"); err == nil || !strings.Contains(err.Error(), "HAVEN_AUDIT_KEY_FILE") {
		t.Errorf("checkpoint without a key: %v", err)
	}
	if out, err := run("audit", "verify", "--no-checkpoints"); err == nil || !strings.Contains(out, "0 checkpoints") {
		t.Errorf("verify --no-checkpoints should check the rows alone (and still find row 2): %v\n%s", err, out)
	}
	if out, err := run("help", "audit"); err != nil || !strings.Contains(out, "haven audit <verify|checkpoint>") {
		t.Errorf("help audit: %v\n%s", err, out)
	}
}
