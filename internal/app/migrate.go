package app

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/migrations"
)

// Migrate applies every pending migration to the database at ownerURL (the
// owning role). A Postgres session advisory lock makes replicas that start
// together take turns, so each migration runs once.
func Migrate(ctx context.Context, ownerURL string, log *slog.Logger) error {
	pool, err := db.Open(ctx, ownerURL, 2)
	if err != nil {
		return err
	}
	defer pool.Close()
	sqlDB := stdlib.OpenDBFromPool(pool)
	defer sqlDB.Close()
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, migrations.FS,
		goose.WithSessionLocker(locker), goose.WithSlog(log))
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if len(results) > 0 {
		log.Info("migrated", "applied", len(results))
	}
	return nil
}

func migrateCmd(ctx context.Context, env Env, args []string) error {
	fs := flags(env, "migrate")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := LoadConfig(env.Getenv)
	if err != nil {
		return err
	}
	d, err := openDatabase(ctx, cfg, env)
	if err != nil {
		return err
	}
	defer d.close()
	if err := Migrate(ctx, d.ownerURL, env.Log); err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, "database is up to date")
	return nil
}
