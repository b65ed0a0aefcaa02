package app

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

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

func (d *database) close() error {
	if d.cluster != nil {
		return d.cluster.Stop()
	}
	return nil
}
