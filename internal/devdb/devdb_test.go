package devdb

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestFindBinaries(t *testing.T) {
	t.Setenv("PGBIN", "/nonexistent")
	dir, err := FindBinaries()
	if err != nil {
		t.Skipf("no PostgreSQL server binaries on this machine: %v", err)
	}
	for _, name := range []string{"initdb", "postgres"} {
		if !isExec(filepath.Join(dir, name)) {
			t.Errorf("%s has no %s", dir, name)
		}
	}
}

func TestNoBinariesMessage(t *testing.T) {
	msg := ErrNoBinaries.Error()
	for _, want := range []string{"apt-get install postgresql", "brew install", "DATABASE_URL"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the missing-binaries message does not say %q: %s", want, msg)
		}
	}
}

func TestReachable(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("checks the postgres user's access as root")
	}
	cred, err := serverCredential()
	if err != nil {
		t.Skip(err)
	}
	open, err := os.MkdirTemp("", "devdb-open-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(open)
	os.Chmod(open, 0o755)
	closed := filepath.Join(open, "closed")
	os.Mkdir(closed, 0o700)
	if !reachable(filepath.Join(open, "not-yet", "pg"), cred) {
		t.Error("a folder under an open one is not reachable")
	}
	if reachable(filepath.Join(closed, "pg"), cred) {
		t.Error("a folder under a 0700 root-owned one is reachable")
	}
}

// As root, a cluster asked for under a folder the postgres user cannot reach
// goes to a postgres-owned folder outside, named after the checkout, and
// keeps its data across restarts.
func TestStartOutsideUnreachableFolder(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root runs Postgres as another user")
	}
	if _, err := FindBinaries(); err != nil {
		t.Skip(err)
	}
	parent := t.TempDir() // 0700, owned by root
	ctx := context.Background()
	c, err := Start(ctx, Options{Dir: filepath.Join(parent, "checkout", ".data", "pg"), Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Stop(); os.RemoveAll(filepath.Dir(c.Dir)) })
	if !strings.HasPrefix(c.Dir, "/var/tmp/haven-checkout-") {
		t.Errorf("cluster in %s, want /var/tmp/haven-checkout-…", c.Dir)
	}
	fi, err := os.Stat(c.Dir)
	if err != nil {
		t.Fatal(err)
	}
	cred, _ := serverCredential()
	if fi.Sys().(*syscall.Stat_t).Uid != cred.Uid {
		t.Errorf("%s is not owned by postgres", c.Dir)
	}
	owner, _, err := c.Provision(ctx, "haven")
	if err != nil {
		t.Fatal(err)
	}
	execSQL(t, owner, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here')")
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	c2, err := Start(ctx, Options{Dir: filepath.Join(parent, "checkout", ".data", "pg"), Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Stop()
	if c2.Dir != c.Dir {
		t.Errorf("restart used %s, first start %s", c2.Dir, c.Dir)
	}
	conn, err := pgx.Connect(ctx, c2.URL("haven", OwnerRole))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var v string
	if err := conn.QueryRow(ctx, "SELECT v FROM kept").Scan(&v); err != nil || v != "still here" {
		t.Errorf("after restart: %q, %v", v, err)
	}
}

func execSQL(t *testing.T, url, sql string) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), sql); err != nil {
		t.Fatal(err)
	}
}

// A second Start on a folder whose server is running shares that server, and
// stopping the second leaves the first running (haven audit verify beside
// haven serve).
func TestStartAttachesToRunningServer(t *testing.T) {
	if _, err := FindBinaries(); err != nil {
		t.Skip(err)
	}
	dir, err := os.MkdirTemp("", "devdb-attach-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o755)
	ctx := context.Background()
	first, err := Start(ctx, Options{Dir: filepath.Join(dir, "pg"), Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Stop()
	second, err := Start(ctx, Options{Dir: filepath.Join(dir, "pg"), Fast: true})
	if err != nil {
		t.Fatalf("second start: %v", err)
	}
	if !second.attached {
		t.Fatal("the second start did not share the running server")
	}
	if err := second.Stop(); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, first.URL("postgres", "postgres"))
	if err != nil {
		t.Fatalf("the first server stopped with the second: %v", err)
	}
	conn.Close(ctx)
}
