package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/school"
)

// DemoSlug is the demo school's short name.
const DemoSlug = "demo-academy"

func demoCmd(ctx context.Context, env Env, args []string) error {
	fs := flags(env, "demo")
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
	pool, err := db.Open(ctx, d.appURL, 4)
	if err != nil {
		return err
	}
	defer pool.Close()
	logins := ""
	if cfg.Embedded() {
		logins = demoLoginsFile(cfg)
	}
	return seedDemo(ctx, pool, env, logins)
}

// seedDemo creates Demo Academy unless it exists, with its demo logins, and
// prints how to use it. Only the embedded default and `haven demo` call it:
// production data never gets demo rows. loginsFile keeps the demo logins
// for later runs (the embedded default); "" prints new ones once only.
func seedDemo(ctx context.Context, pool *pgxpool.Pool, env Env, loginsFile string) error {
	schools := school.NewService(pool)
	sc, err := schools.BySlug(ctx, DemoSlug)
	if errors.Is(err, db.ErrNotFound) {
		sc, err = schools.Create(ctx, actor.Actor{Role: actor.System}, DemoSlug, "Demo Academy")
		if err == nil {
			fmt.Fprintf(env.Stdout, "Seeded the demo school, %s.\n", sc.Name)
		}
	}
	if err != nil {
		return fmt.Errorf("demo school: %w", err)
	}
	if err := seedDemoAccounts(ctx, pool, env, sc, loginsFile); err != nil {
		return fmt.Errorf("demo logins: %w", err)
	}
	if n, err := seedDemoRoll(ctx, pool, sc.ID, time.Now()); err != nil {
		return err
	} else if n > 0 {
		fmt.Fprintf(env.Stdout, "Put %d fictional pupils on its roll.\n", n)
	}
	if n, err := seedDemoConcerns(ctx, pool, env.Log, sc.ID, demoBaseURL(env)); err != nil {
		return err
	} else if n > 0 {
		fmt.Fprintf(env.Stdout, "Recorded %d fictional concerns for the DSL's Safeguarding queue.\n", n)
	}
	return nil
}
