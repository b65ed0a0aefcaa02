package app_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/app"
	"github.com/havenschools/haven/internal/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func env(stdout io.Writer) app.Env {
	return app.Env{Getenv: func(string) string { return "" }, Stdin: strings.NewReader(""),
		Stdout: stdout, Stderr: io.Discard, Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}
}

func TestLoadConfig(t *testing.T) {
	t.Parallel()
	secretFile := filepath.Join(t.TempDir(), "url")
	if err := os.WriteFile(secretFile, []byte("postgres://from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		vars    map[string]string
		check   func(app.Config) bool
		wantErr string
	}{
		{"defaults", nil, func(c app.Config) bool {
			return c.Addr == "127.0.0.1:8080" && c.BaseURL == "http://127.0.0.1:8080" && c.DataDir == ".data" &&
				c.SessionIdle == 30*time.Minute && c.SessionLifetime == 12*time.Hour && c.Embedded() && !c.TrustProxy
		}, ""},
		{"migrate url defaults to database url", map[string]string{"DATABASE_URL": "postgres://app"}, func(c app.Config) bool {
			return c.MigrateDatabaseURL == "postgres://app" && !c.Embedded()
		}, ""},
		{"secret from file", map[string]string{"DATABASE_URL_FILE": secretFile}, func(c app.Config) bool {
			return c.DatabaseURL == "postgres://from-file"
		}, ""},
		{"both value and file", map[string]string{"DATABASE_URL": "x", "DATABASE_URL_FILE": secretFile}, nil, "both DATABASE_URL and DATABASE_URL_FILE"},
		{"base url follows addr", map[string]string{"HAVEN_ADDR": "0.0.0.0:9000"}, func(c app.Config) bool {
			return c.BaseURL == "http://0.0.0.0:9000"
		}, ""},
		{"bad duration", map[string]string{"HAVEN_SESSION_IDLE_TIMEOUT": "soon"}, nil, "HAVEN_SESSION_IDLE_TIMEOUT"},
		{"idle longer than lifetime", map[string]string{"HAVEN_SESSION_IDLE_TIMEOUT": "13h"}, nil, "longer than"},
		{"bad bool", map[string]string{"HAVEN_TRUST_PROXY": "perhaps"}, nil, "HAVEN_TRUST_PROXY"},
		{"trust proxy", map[string]string{"HAVEN_TRUST_PROXY": "true"}, func(c app.Config) bool { return c.TrustProxy }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := app.LoadConfig(func(k string) string { return tt.vars[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Errorf("config = %+v", c)
			}
		})
	}
}

func TestRunCommands(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := app.Run(t.Context(), []string{"help"}, func(string) string { return "" }, nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"serve", "migrate", "demo", "version"} {
		if !strings.Contains(out.String(), cmd) {
			t.Errorf("help does not list %s:\n%s", cmd, out.String())
		}
	}
	out.Reset()
	if err := app.Run(t.Context(), []string{"version"}, func(string) string { return "" }, nil, &out, io.Discard); err != nil || !strings.HasPrefix(out.String(), "haven ") {
		t.Errorf("version printed %q, err %v", out.String(), err)
	}
	if err := app.Run(t.Context(), []string{"frobnicate"}, func(string) string { return "" }, nil, &out, io.Discard); err == nil {
		t.Error("an unknown command did not fail")
	}
}

// Several replicas starting together against one empty database must all
// come up, with each migration applied once (goose's advisory lock).
func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	url := dbtest.Empty(t)
	ctx := t.Context()
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Go(func() { errs[i] = app.Migrate(ctx, url, log) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("migrate %d: %v", i, err)
		}
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var dupes, applied int
	if err := conn.QueryRow(ctx, `SELECT count(*) - count(DISTINCT version_id), count(DISTINCT version_id)
		FROM goose_db_version WHERE version_id > 0`).Scan(&dupes, &applied); err != nil {
		t.Fatal(err)
	}
	if dupes != 0 || applied < 11 {
		t.Errorf("goose_db_version: %d duplicates, %d versions applied; want 0 duplicates, all applied", dupes, applied)
	}
}

// Two haven serve processes started at the same moment against one empty
// database both come up.
func TestServeTwoReplicas(t *testing.T) {
	t.Parallel()
	url := dbtest.Empty(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	cfg, err := app.LoadConfig(func(k string) string {
		return map[string]string{"DATABASE_URL": url, "HAVEN_ADDR": "127.0.0.1:0", "HAVEN_DATA_DIR": t.TempDir()}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	addrs := make(chan string, 2)
	errs := make(chan error, 2)
	for range 2 {
		go func() { errs <- app.Serve(ctx, cfg, env(io.Discard), addrs) }()
	}
	for range 2 {
		select {
		case addr := <-addrs:
			expectStatus(t, "http://"+addr+"/readyz", http.StatusOK)
		case err := <-errs:
			t.Fatalf("a replica stopped: %v", err)
		case <-time.After(60 * time.Second):
			t.Fatal("replicas did not start within 60 s")
		}
	}
	cancel()
	for range 2 {
		if err := <-errs; err != nil {
			t.Errorf("serve returned %v after shutdown", err)
		}
	}
}

// The embedded default: with no DATABASE_URL, Serve starts a private
// PostgreSQL under HAVEN_DATA_DIR, seeds the demo school once, stops that
// server when it stops, and comes back with the same data.
func TestServeEmbeddedDefault(t *testing.T) {
	t.Parallel()
	if os.Getenv("CI") != "true" && testing.Short() {
		t.Skip("starts its own PostgreSQL cluster")
	}
	// Not t.TempDir: its parent folder is closed to others, and as root the
	// cluster would then move out of the checkout (tested in devdb).
	dataDir, err := os.MkdirTemp("", "haven-embedded-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dataDir) })
	if err := os.Chmod(dataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	pidFile := filepath.Join(dataDir, "pg", "data", "postmaster.pid")
	cfg, err := app.LoadConfig(func(k string) string {
		return map[string]string{"HAVEN_ADDR": "127.0.0.1:0", "HAVEN_DATA_DIR": dataDir}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	serveOnce := func() string {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		var out syncBuffer
		addrs, errs := make(chan string, 1), make(chan error, 1)
		go func() { errs <- app.Serve(ctx, cfg, env(&out), addrs) }()
		select {
		case addr := <-addrs:
			expectStatus(t, "http://"+addr+"/readyz", http.StatusOK)
			expectStatus(t, "http://"+addr+"/", http.StatusOK)
			if _, err := os.Stat(pidFile); err != nil {
				t.Errorf("no running cluster in HAVEN_DATA_DIR: %v", err)
			}
		case err := <-errs:
			t.Fatalf("serve: %v\n%s", err, out.String())
		case <-time.After(90 * time.Second):
			t.Fatal("did not start within 90 s")
		}
		cancel()
		if err := <-errs; err != nil {
			t.Fatalf("serve returned %v after shutdown", err)
		}
		return out.String()
	}
	first := serveOnce()
	if !strings.Contains(first, "Seeded the demo school") || !strings.Contains(first, "running at http://127.0.0.1:") {
		t.Errorf("first start printed:\n%s", first)
	}
	if _, err := os.Stat(pidFile); !os.IsNotExist(err) {
		t.Errorf("postmaster.pid still there after Serve returned (err %v): Postgres was not stopped", err)
	}
	second := serveOnce()
	if strings.Contains(second, "Seeded the demo school") {
		t.Errorf("second start seeded again, so the data did not survive:\n%s", second)
	}
	if !strings.Contains(first, "Put 40 fictional pupils on its roll") || strings.Contains(second, "fictional pupils") {
		t.Errorf("the demo roll is not put on the roll exactly once:\n%s\n---\n%s", first, second)
	}
}

func expectStatus(t *testing.T, url string, want int) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != want {
		t.Errorf("GET %s = %d, want %d", url, res.StatusCode, want)
	}
}

// syncBuffer is a bytes.Buffer safe for the server goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
