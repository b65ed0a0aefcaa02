// Package backup owns Haven's one-file logical backup, the file `haven
// backup` writes and `haven restore` reads: a tar holding a manifest, the
// database as pg_dump's custom format (made as the owning role), the audit
// checkpoint key's public half and the last signed checkpoint of every
// chain. The manifest names each member with its size and SHA-256; Open
// refuses a file whose members do not match it.
//
// Point-in-time recovery (docs/operations.md) stays the production answer;
// this is the small school's one command.
package backup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/havenschools/haven/internal/db"
)

// Format names the file's kind in its manifest; Version is its layout.
const (
	Format  = "haven-backup"
	Version = 1
)

// The members of a backup, in the order they are written.
const (
	ManifestName    = "manifest.json"
	DumpName        = "database.dump"           // pg_dump --format=custom
	KeyName         = "audit-public-key.pem"    // PEM "PUBLIC KEY"
	CheckpointsName = "audit-checkpoints.jsonl" // audit.ExportLatestCheckpoints
)

// Manifest describes a backup; it is the file's first member.
type Manifest struct {
	Format       string    `json:"format"`
	Version      int       `json:"version"`
	HavenVersion string    `json:"haven_version"`
	Created      time.Time `json:"created"`
	Database     string    `json:"database"`
	Checkpoints  int       `json:"checkpoints"`
	Members      []Member  `json:"members"`
}

// Member is one file in the backup besides the manifest.
type Member struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"` // lower-case hex
}

// ErrNotEmpty is returned (wrapped, with what the database holds) by
// EnsureEmpty for a database that already has tables.
var ErrNotEmpty = errors.New("the database is not empty")

// EnsureEmpty returns an error wrapping ErrNotEmpty unless the database q is
// connected to has no tables, views or sequences outside the system schemas.
func EnsureEmpty(ctx context.Context, q db.Querier) error {
	var name string
	var rels []string
	if err := q.QueryRow(ctx, `SELECT current_database(), coalesce(array_agg(n.nspname || '.' || c.relname ORDER BY n.nspname, c.relname), '{}')
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
		  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
		  AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'`).Scan(&name, &rels); err != nil {
		return fmt.Errorf("check the database is empty: %w", err)
	}
	if len(rels) == 0 {
		return nil
	}
	shown := rels[:min(3, len(rels))]
	more := ""
	if len(rels) > len(shown) {
		more = ", …"
	}
	return fmt.Errorf("%w: %s already holds %d tables, views or sequences (%s%s); restore only into a new, empty database "+
		"(createdb --owner haven_owner NAME) and point HAVEN_MIGRATE_DATABASE_URL at it", ErrNotEmpty, name, len(rels),
		strings.Join(shown, ", "), more)
}

// Tool returns the path of a PostgreSQL client program (pg_dump,
// pg_restore): from $PGBIN, else the newest /usr/lib/postgresql/*/bin
// (Debian, Ubuntu), else the PATH. pg_dump must be as new as the server.
func Tool(name string) (string, error) {
	var dirs []string
	if d := os.Getenv("PGBIN"); d != "" {
		dirs = append(dirs, d)
	}
	m, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(m, func(a, b string) int { return major(b) - major(a) })
	dirs = append(dirs, m...)
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%s not found in $PGBIN, /usr/lib/postgresql/*/bin or the PATH: install PostgreSQL's client programs (postgresql-client)", name)
	}
	return p, nil
}

func major(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

// runTool runs a PostgreSQL client program against the database at dbURL.
// A password in the URL is passed in PGPASSWORD, not on the command line
// (where ps would show it).
func runTool(ctx context.Context, name, dbURL string, args ...string) error {
	bin, err := Tool(name)
	if err != nil {
		return err
	}
	conn, password := splitPassword(dbURL)
	cmd := exec.CommandContext(ctx, bin, append(args, "--dbname="+conn)...)
	cmd.Env = os.Environ()
	if password != "" {
		cmd.Env = append(cmd.Env, "PGPASSWORD="+password)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w\n%s", name, err, strings.TrimSpace(out.String()))
	}
	return nil
}

// splitPassword returns a postgres:// URL without its password, and the
// password. Other connection strings are returned as they are.
func splitPassword(dbURL string) (string, string) {
	u, err := url.Parse(dbURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.User == nil {
		return dbURL, ""
	}
	password, ok := u.User.Password()
	if !ok {
		return dbURL, ""
	}
	u.User = url.User(u.User.Username())
	return u.String(), password
}
