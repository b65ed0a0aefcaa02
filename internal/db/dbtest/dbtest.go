// Package dbtest gives each test a fresh, migrated PostgreSQL database (a
// pgtestdb clone of a migrated template), with one pool connected as the app
// role (haven_app: no owner rights, subject to row-level security) and one as
// the owning role.
//
// The server comes from HAVEN_TEST_DATABASE_URL (a superuser URL; `make test`
// starts a private cluster and sets it). Without it, Main starts a private
// cluster for the test binary, unless CI=true, where a missing database fails.
package dbtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver pgtestdb uses
	"github.com/peterldowns/pgtestdb"
	"github.com/peterldowns/pgtestdb/migrators/goosemigrator"

	"github.com/havenschools/haven/internal/devdb"
	"github.com/havenschools/haven/migrations"
)

// EnvURL names the variable holding the test server's superuser URL.
const EnvURL = "HAVEN_TEST_DATABASE_URL"

// Main runs a package's tests, first starting a private PostgreSQL cluster
// when HAVEN_TEST_DATABASE_URL is unset (and CI is not set). Call it from
// TestMain: func TestMain(m *testing.M) { dbtest.Main(m) }.
func Main(m *testing.M) {
	os.Exit(Run(m))
}

// Run is Main without the exit: it returns m.Run's exit code, so another
// TestMain helper (browsertest.Main) can set up around it.
func Run(m *testing.M) int {
	if os.Getenv(EnvURL) != "" {
		return m.Run()
	}
	if os.Getenv("CI") == "true" {
		fmt.Fprintln(os.Stderr, "dbtest: CI=true but "+EnvURL+" is unset: run the tests with `make test`")
		return 1
	}
	dir, err := os.MkdirTemp("", "haven-testpg-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "dbtest:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	_ = os.Chmod(dir, 0o755) // the postgres user must reach the cluster folder inside it
	c, err := devdb.Start(context.Background(), devdb.Options{Dir: dir + "/pg", Fast: true, MaxConnections: 300})
	if err != nil {
		fmt.Fprintln(os.Stderr, "dbtest: start a private PostgreSQL:", err)
		return 1
	}
	defer c.Stop()
	os.Setenv(EnvURL, c.URL("postgres", "postgres"))
	return m.Run()
}

// DB is one test's database.
type DB struct {
	App      *pgxpool.Pool // as haven_app: what Haven itself uses
	Owner    *pgxpool.Pool // as the owning role: test set-up that the app may not do
	AppURL   string
	OwnerURL string
	SuperURL string // as the cluster's superuser: for tampering tests only
}

var (
	roleOnce sync.Once
	roleErr  error
)

// New returns a pool as the app role on a fresh migrated database; the
// database is dropped when the test passes.
func New(t testing.TB) *pgxpool.Pool {
	t.Helper()
	return Open(t).App
}

// Open returns a fresh migrated database with pools as the app and owning roles.
func Open(t testing.TB) DB {
	t.Helper()
	superURL := os.Getenv(EnvURL)
	if superURL == "" {
		t.Fatal("dbtest: " + EnvURL + " is unset: call dbtest.Main from TestMain, or run `make test`")
	}
	roleOnce.Do(func() { roleErr = devdb.EnsureAppRole(context.Background(), superURL) })
	if roleErr != nil {
		t.Fatalf("dbtest: create the app role: %v", roleErr)
	}
	base, err := baseConfig(superURL)
	if err != nil {
		t.Fatal(err)
	}
	conf := pgtestdb.Custom(t, base, goosemigrator.New(".", goosemigrator.WithFS(migrations.FS)))
	ownerURL := conf.URL()
	appURL := withUser(t, ownerURL, devdb.AppRole, "")
	d := DB{
		Owner:    pool(t, ownerURL),
		App:      pool(t, appURL),
		AppURL:   appURL,
		OwnerURL: ownerURL,
		SuperURL: withUser(t, ownerURL, base.User, base.Password),
	}
	return d
}

// Empty creates an empty database (no migrations), dropped at the end of the
// test, and returns a superuser URL to it.
func Empty(t testing.TB) string {
	t.Helper()
	superURL := os.Getenv(EnvURL)
	if superURL == "" {
		t.Fatal("dbtest: " + EnvURL + " is unset")
	}
	roleOnce.Do(func() { roleErr = devdb.EnsureAppRole(context.Background(), superURL) })
	if roleErr != nil {
		t.Fatal(roleErr)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, superURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int64
	if err := conn.QueryRow(ctx, "SELECT (random() * 1e15)::bigint").Scan(&n); err != nil {
		t.Fatal(err)
	}
	name := "haven_empty_" + strconv.FormatInt(n, 36)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, superURL)
		if err != nil {
			return
		}
		defer conn.Close(ctx)
		_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	u, _ := url.Parse(superURL)
	u.Path = "/" + name
	return u.String()
}

func baseConfig(superURL string) (pgtestdb.Config, error) {
	cc, err := pgx.ParseConfig(superURL)
	if err != nil {
		return pgtestdb.Config{}, fmt.Errorf("dbtest: %s: %w", EnvURL, err)
	}
	return pgtestdb.Config{
		// The owning role of the test databases, like haven_owner in a
		// deployment: no superuser, but BYPASSRLS, since every tenant
		// table's row-level security is FORCEd. (A role of its own name:
		// pgtestdb does not alter a role that exists, and clusters made
		// earlier have its default role without BYPASSRLS.)
		TestRole: &pgtestdb.Role{
			Username:     "haven_test_owner",
			Password:     pgtestdb.DefaultRolePassword,
			Capabilities: "NOSUPERUSER NOCREATEDB NOCREATEROLE BYPASSRLS",
		},
		DriverName: "pgx",
		User:       cc.User,
		Password:   cc.Password,
		Host:       "localhost",
		Port:       strconv.Itoa(int(cc.Port)),
		Database:   "postgres",
		// pgtestdb builds postgres://user:pass@HOST:PORT/db?OPTIONS; a socket
		// folder cannot go in HOST, but a host= option overrides it.
		Options: url.Values{"host": {cc.Host}, "sslmode": {"disable"}}.Encode(),
	}, nil
}

func withUser(t testing.TB, rawURL, user, password string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	if password == "" {
		u.User = url.User(user)
	} else {
		u.User = url.UserPassword(user, password)
	}
	return u.String()
}

func pool(t testing.TB, rawURL string) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 8
	p, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close) // before pgtestdb drops the database (cleanups run last-in first-out)
	return p
}

// Count returns the number of rows of `SELECT count(*) FROM <from>`, run on
// the owner pool: from is a table and an optional WHERE clause using args.
func Count(t testing.TB, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, from string, args ...any) int {
	t.Helper()
	var n int
	if err := q.QueryRow(context.Background(), "SELECT count(*) FROM "+from, args...).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", from, err)
	}
	return n
}
