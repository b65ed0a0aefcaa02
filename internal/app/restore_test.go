package app_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/app"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/devdb"
	"github.com/havenschools/haven/internal/school"
)

// TestRestoreDrill is docs/operations.md's backup and point-in-time recovery
// procedure, run for real (`make restore-drill`): a cluster archiving its
// WAL, a base backup, more writes, a restore to a moment between two of them
// into a scratch cluster, and checks that exactly the rows up to that moment
// are back and that the audit chains verify.
func TestRestoreDrill(t *testing.T) {
	if _, err := devdb.FindBinaries(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	ctx := t.Context()
	dir, err := os.MkdirTemp("", "haven-restore-drill-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(dir, "wal-archive")
	if err := devdb.PrepareDir(archive); err != nil {
		t.Fatal(err)
	}

	// 1. The live cluster, archiving every WAL segment.
	primary, err := devdb.Start(ctx, devdb.Options{Dir: filepath.Join(dir, "primary"), Settings: map[string]string{
		"wal_level":       "replica",
		"archive_mode":    "on",
		"archive_command": fmt.Sprintf("test ! -f %s/%%f && cp %%p %s/%%f", archive, archive),
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { primary.Stop() })
	ownerURL, appURL, err := primary.Provision(ctx, "haven")
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	if err := app.Migrate(ctx, ownerURL, log); err != nil {
		t.Fatal(err)
	}
	pool := openPool(t, appURL)
	schools := school.NewService(pool)
	mustCreate := func(slug string) {
		t.Helper()
		sc, err := schools.Create(ctx, actor.Actor{Role: actor.System}, slug, "School "+slug)
		if err != nil {
			t.Fatal(err)
		}
		// Some audited work in the school's own chain.
		err = db.InSchool(ctx, pool, actor.SystemIn(sc.ID), func(tx pgx.Tx) error {
			return audit.Record(ctx, tx, actor.SystemIn(sc.ID), audit.Event{Action: "drill.write", SubjectType: "school", SubjectID: slug})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	mustCreate("before-backup")

	// 2. The base backup, then more work; the restore target falls between
	// "before-target" and "after-target".
	base := filepath.Join(dir, "restored")
	if err := devdb.PrepareDir(base); err != nil {
		t.Fatal(err)
	}
	if _, err := primary.Exec(ctx, "pg_basebackup", "-h", primary.SocketDir(), "-p", "5432", "-U", "postgres",
		"-D", filepath.Join(base, "data"), "-X", "none", "--checkpoint=fast", "--no-sync"); err != nil {
		t.Fatal(err)
	}
	mustCreate("before-target")
	time.Sleep(1100 * time.Millisecond)
	var target time.Time
	if err := pool.QueryRow(ctx, "SELECT now()").Scan(&target); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond)
	mustCreate("after-target")
	// Close the current WAL segment so it is archived, and wait for it.
	var segment string
	if err := pool.QueryRow(ctx, "SELECT pg_walfile_name(pg_current_wal_lsn())").Scan(&segment); err != nil {
		superExec(t, primary, "SELECT 1") // only to report the error below
		t.Fatal(err)
	}
	superExec(t, primary, "SELECT pg_switch_wal()")
	waitFor(t, 30*time.Second, func() bool {
		_, err := os.Stat(filepath.Join(archive, segment))
		return err == nil
	})
	pool.Close()
	if err := primary.Stop(); err != nil {
		t.Fatal(err)
	}

	// 3. Point-in-time recovery into the scratch cluster.
	start := time.Now()
	conf := fmt.Sprintf("\nrestore_command = 'cp %s/%%f %%p'\nrecovery_target_time = '%s'\nrecovery_target_action = 'promote'\n",
		archive, target.UTC().Format("2006-01-02 15:04:05.999999+00"))
	appendFile(t, filepath.Join(base, "data", "postgresql.auto.conf"), conf)
	if err := os.WriteFile(filepath.Join(base, "data", "recovery.signal"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := primary.Exec(ctx, "pg_controldata", filepath.Join(base, "data")); err != nil {
		t.Fatal(err) // the restored files must belong to the server's user
	}
	restored, err := devdb.Start(ctx, devdb.Options{Dir: base})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { restored.Stop() })
	restoredOwner := restored.URL("haven", devdb.OwnerRole)
	waitFor(t, 60*time.Second, func() bool {
		conn, err := pgx.Connect(ctx, restoredOwner)
		if err != nil {
			return false
		}
		defer conn.Close(ctx)
		var inRecovery bool
		return conn.QueryRow(ctx, "SELECT pg_is_in_recovery()").Scan(&inRecovery) == nil && !inRecovery
	})
	t.Logf("recovered to %s in %s", target.Format(time.RFC3339Nano), time.Since(start).Round(time.Millisecond))

	// 4. Exactly the rows up to the target, and the audit chains verify.
	owner := openPool(t, restoredOwner)
	for slug, want := range map[string]bool{"before-backup": true, "before-target": true, "after-target": false} {
		var exists bool
		if err := owner.QueryRow(ctx, "SELECT EXISTS (SELECT FROM schools WHERE slug = $1)", slug).Scan(&exists); err != nil {
			t.Fatal(err)
		}
		if exists != want {
			t.Errorf("school %s restored = %v, want %v", slug, exists, want)
		}
	}
	report, err := audit.Verify(ctx, owner, audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !report.OK() || report.Rows < 2 || len(report.Chains) < 2 {
		t.Errorf("audit verify after restore: ok=%v rows=%d %+v", report.OK(), report.Rows, report.Chains)
	}
}

func openPool(t *testing.T, url string) *pgxpool.Pool {
	t.Helper()
	p, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

func superExec(t *testing.T, c *devdb.Cluster, sql string) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), c.URL("postgres", "postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), sql); err != nil {
		t.Fatal(err)
	}
}

func appendFile(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

func waitFor(t *testing.T, limit time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %s", limit)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
