package app

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/devdb"
)

// database is where Haven's data lives for this run.
type database struct {
	ownerURL string         // migrations
	appURL   string         // everything else
	cluster  *devdb.Cluster // the embedded default, or nil
}

// openDatabase returns the configured database, or starts the embedded
// default (a private PostgreSQL under cfg.DataDir) when DATABASE_URL is unset.
// The caller stops it with close.
func openDatabase(ctx context.Context, cfg Config, env Env) (*database, error) {
	if !cfg.Embedded() {
		if cfg.MigrateDatabaseURL == "" {
			return nil, errors.New("HAVEN_MIGRATE_DATABASE_URL is empty")
		}
		return &database{ownerURL: cfg.MigrateDatabaseURL, appURL: cfg.DatabaseURL}, nil
	}
	c, err := devdb.Start(ctx, devdb.Options{Dir: filepath.Join(cfg.DataDir, "pg"), Log: env.Stdout})
	if err != nil {
		if errors.Is(err, devdb.ErrNoBinaries) {
			return nil, err
		}
		return nil, fmt.Errorf("embedded database: %w", err)
	}
	owner, app, err := c.Provision(ctx, "haven")
	if err != nil {
		c.Stop()
		return nil, fmt.Errorf("embedded database: %w", err)
	}
	return &database{ownerURL: owner, appURL: app, cluster: c}, nil
}

// poolOptions are what differs between the commands that open a pool.
type poolOptions struct {
	asOwner  bool  // connect as the owning role (audit commands), not the app role
	maxConns int32 // 0: db.DefaultMaxConns
	// migrate migrates a configured database too; the embedded default,
	// which may be brand new, is migrated always.
	migrate bool
	// asIs never migrates, not even the embedded default (haven restore
	// needs the database empty).
	asIs bool
}

// openPool is the one way a command opens Haven's database: openDatabase,
// migrations as o says, then a pool (db.Open) as o's role. closeAll closes
// the pool and then stops the embedded default, if it was started.
func openPool(ctx context.Context, cfg Config, env Env, o poolOptions) (pool *pgxpool.Pool, d *database, closeAll func(), err error) {
	d, err = openDatabase(ctx, cfg, env)
	if err != nil {
		return nil, nil, nil, err
	}
	if !o.asIs && (o.migrate || d.cluster != nil) {
		if err := Migrate(ctx, d.ownerURL, env.Log); err != nil {
			d.close()
			return nil, nil, nil, err
		}
	}
	url := d.appURL
	if o.asOwner {
		url = d.ownerURL
	}
	pool, err = db.Open(ctx, url, o.maxConns)
	if err != nil {
		d.close()
		return nil, nil, nil, err
	}
	return pool, d, func() { pool.Close(); d.close() }, nil
}

func (d *database) close() error {
	if d.cluster != nil {
		return d.cluster.Stop()
	}
	return nil
}
