package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pquerna/otp/totp"
	"github.com/pressly/goose/v3"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/auth"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/devdb"
	"github.com/havenschools/haven/internal/scale"
	"github.com/havenschools/haven/migrations"
)

// Password is every benchmark account's password.
const Password = "steady heron kettle ninety-one"

// Account is a benchmark account that can sign in.
type Account struct {
	ID     int64
	Email  string
	Secret string // TOTP secret, for DSLs
}

// Target is a generated school the load runs against, with accounts of
// its own: one member of staff and one DSL per client, so each client has
// its own session (and a DSL's security code is never replayed).
type Target struct {
	Name   string // "typical", "largest", "spread"
	School scale.School
	// Schools, when set, gives each client a school of its own: client w
	// is in Schools[w] (School is then the first of them).
	Schools []scale.School
	Staff   []Account
	DSLs    []Account
}

// SchoolOf is client w's school.
func (t Target) SchoolOf(w int) scale.School {
	if len(t.Schools) > 0 {
		return t.Schools[w%len(t.Schools)]
	}
	return t.School
}

// Site is the generated database, kept as a template: each run clones it.
type Site struct {
	Cluster  *devdb.Cluster `json:"-"`
	Template string
	Scale    scale.Result
	Targets  []Target
	// Generated: the data was generated in this run (not reused).
	Generated bool  `json:"-"`
	SizeBytes int64 `json:"-"`
}

// SiteOptions says what to generate.
type SiteOptions struct {
	Dir      string // the cluster's folder, kept between runs so the template is reused
	Schools  int
	Concerns int
	Seed     int64
	Clients  int // accounts per role per target
	Log      io.Writer
}

// OpenSite starts (or reuses) the private cluster in o.Dir and the template
// database for o's size: generated with package scale and given benchmark
// accounts on its first use, reused as it is afterwards (migrated to the
// current schema first).
func OpenSite(ctx context.Context, o SiteOptions) (*Site, error) {
	c, err := devdb.Start(ctx, devdb.Options{Dir: o.Dir, MaxConnections: 300, Log: o.Log, Settings: map[string]string{
		// A production-like server for a 23 GB machine: durable commits
		// (fsync, synchronous_commit on), a quarter of memory at most for
		// shared buffers, checkpoints spread out.
		"shared_buffers": "1GB", "max_wal_size": "8GB", "checkpoint_timeout": "15min",
		"effective_cache_size": "8GB", "work_mem": "16MB", "maintenance_work_mem": "512MB",
	}})
	if err != nil {
		return nil, err
	}
	s := &Site{Cluster: c, Template: fmt.Sprintf("bench_s%d_c%d_seed%d", o.Schools, o.Concerns, o.Seed)}
	meta := filepath.Join(c.Dir, s.Template+".json")
	ownerURL, appURL, err := c.Provision(ctx, s.Template)
	if err != nil {
		return nil, err
	}
	if err := migrateTemplate(ctx, ownerURL); err != nil {
		return nil, err
	}
	if b, err := os.ReadFile(meta); err == nil {
		if err := json.Unmarshal(b, s); err != nil {
			return nil, fmt.Errorf("%s: %w", meta, err)
		}
		s.Cluster, s.Generated = c, false
		fmt.Fprintf(o.Log, "reusing the generated database %s\n", s.Template)
	} else {
		if err := s.generate(ctx, o, ownerURL, appURL); err != nil {
			return nil, err
		}
		b, _ := json.MarshalIndent(s, "", "  ")
		if err := os.WriteFile(meta, b, 0o600); err != nil {
			return nil, err
		}
	}
	conn, err := pgx.Connect(ctx, c.URL("postgres", "postgres"))
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	if err := conn.QueryRow(ctx, `SELECT pg_database_size($1)`, s.Template).Scan(&s.SizeBytes); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Site) generate(ctx context.Context, o SiteOptions, ownerURL, appURL string) error {
	owner, err := db.Open(ctx, ownerURL, 2)
	if err != nil {
		return err
	}
	defer owner.Close()
	var n int
	if err := owner.QueryRow(ctx, `SELECT count(*) FROM schools`).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("database %s has schools but no %s.json beside it: drop it (or the folder) and run again", s.Template, s.Template)
	}
	fmt.Fprintf(o.Log, "generating %d concerns over %d schools into %s (once; later runs reuse it)\n", o.Concerns, o.Schools, s.Template)
	s.Scale, err = scale.Generate(ctx, owner, scale.Options{Schools: o.Schools, Concerns: o.Concerns, Seed: o.Seed, Log: o.Log})
	if err != nil {
		return err
	}
	s.Generated = true
	pool, err := db.Open(ctx, appURL, 4)
	if err != nil {
		return err
	}
	defer pool.Close()
	accounts := auth.NewService(pool, nil, auth.Config{})
	// spread: one school per client, the schools just above the typical one.
	var spread []scale.School
	for _, sc := range s.Scale.Schools {
		if sc.Concerns >= s.Scale.Typical().Concerns && sc.ID != s.Scale.Typical().ID && sc.ID != s.Scale.Largest().ID &&
			len(spread) < o.Clients {
			spread = append(spread, sc)
		}
	}
	for _, t := range []struct {
		name    string
		s       scale.School
		schools []scale.School
	}{{"typical", s.Scale.Typical(), nil}, {"largest", s.Scale.Largest(), nil}, {"spread", spread[0], spread}} {
		target := Target{Name: t.name, School: t.s, Schools: t.schools}
		for i := range o.Clients {
			school := target.SchoolOf(i)
			sys := actor.SystemIn(school.ID)
			for _, role := range []actor.Role{actor.Staff, actor.DSL} {
				email := fmt.Sprintf("bench-%s-%s-%d@%s.haven.test", t.name, role, i+1, school.Slug)
				id, err := accounts.CreateUser(ctx, sys, auth.NewUser{Email: email, Name: fmt.Sprintf("Bench %s %d", role, i+1), Role: role})
				if err != nil {
					return err
				}
				if err := accounts.SetPassword(ctx, sys, id, Password); err != nil {
					return err
				}
				a := Account{ID: id, Email: email}
				if role == actor.DSL {
					if a.Secret, err = enrol(ctx, accounts, id); err != nil {
						return err
					}
					target.DSLs = append(target.DSLs, a)
				} else {
					target.Staff = append(target.Staff, a)
				}
			}
		}
		s.Targets = append(s.Targets, target)
	}
	return nil
}

// migrateTemplate brings a kept template to the current schema. Unlike
// app.Migrate it applies a migration numbered below ones already applied:
// the numbers are handed out ahead, and this database only holds
// generated data.
func migrateTemplate(ctx context.Context, ownerURL string) error {
	pool, err := db.Open(ctx, ownerURL, 2)
	if err != nil {
		return err
	}
	defer pool.Close()
	sqlDB := stdlib.OpenDBFromPool(pool)
	defer sqlDB.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, migrations.FS, goose.WithAllowOutofOrder(true))
	if err != nil {
		return err
	}
	_, err = p.Up(ctx)
	return err
}

// enrol gives a DSL a second factor, as they would at first sign-in.
func enrol(ctx context.Context, accounts *auth.Service, id int64) (string, error) {
	en, err := accounts.StartEnrolment(ctx, id)
	if err != nil {
		return "", err
	}
	secret := strings.ReplaceAll(en.Secret, " ", "")
	// The previous step's code, so the current one is still unused at sign-in.
	code, err := totp.GenerateCode(secret, time.Now().Add(-30*time.Second))
	if err != nil {
		return "", err
	}
	if _, err := accounts.ConfirmEnrolment(ctx, actor.Source{ClientIP: "127.0.0.1"}, id, code); err != nil {
		return "", err
	}
	return secret, nil
}

// Clone makes a fresh copy of the template as name and returns its owner
// and app URLs. Nothing may be connected to the template meanwhile.
func (s *Site) Clone(ctx context.Context, name string) (ownerURL, appURL string, err error) {
	conn, err := pgx.Connect(ctx, s.Cluster.URL("postgres", "postgres"))
	if err != nil {
		return "", "", err
	}
	defer conn.Close(ctx)
	_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	// FILE_COPY: a checkpoint and a copy of the files, far faster than
	// WAL-logging every block of a large database.
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE "+
		pgx.Identifier{s.Template}.Sanitize()+" OWNER "+devdb.OwnerRole+" STRATEGY FILE_COPY"); err != nil {
		return "", "", fmt.Errorf("clone %s: %w", s.Template, err)
	}
	return s.Cluster.URL(name, devdb.OwnerRole), s.Cluster.URL(name, devdb.AppRole), nil
}

// Drop removes a clone.
func (s *Site) Drop(ctx context.Context, name string) error {
	conn, err := pgx.Connect(ctx, s.Cluster.URL("postgres", "postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	return err
}

// Target returns the target named name.
func (s *Site) Target(name string) (Target, error) {
	for _, t := range s.Targets {
		if t.Name == name {
			return t, nil
		}
	}
	return Target{}, errors.New("no target " + name)
}
