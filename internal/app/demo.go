package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/scale"
	"github.com/havenschools/haven/internal/school"
)

// DemoSlug is the demo school's short name.
const DemoSlug = "demo-academy"

func demoCmd(ctx context.Context, env Env, args []string) error {
	fs := flags(env, "demo")
	schools := fs.Int("schools", 0, "also generate this many fictional schools with data at scale (scale-0001, …), for benchmarks")
	concerns := fs.Int("concerns", 0, "concerns to generate over those schools (with --schools)")
	seed := fs.Int64("seed", 1, "the generator's seed: the same seed (on the same day) gives the same data")
	prefix := fs.String("prefix", "scale", "slug prefix of the generated schools")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if (*schools > 0) != (*concerns > 0) {
		return errors.New("demo: --schools and --concerns go together")
	}
	cfg, err := LoadConfig(env.Getenv)
	if err != nil {
		return err
	}
	pool, d, closeDB, err := openPool(ctx, cfg, env, poolOptions{maxConns: 4, migrate: true})
	if err != nil {
		return err
	}
	defer closeDB()
	logins := ""
	if cfg.Embedded() {
		logins = demoLoginsFile(cfg)
	}
	if err := seedDemo(ctx, pool, env, logins); err != nil {
		return err
	}
	if *schools == 0 {
		return nil
	}
	return generateScale(ctx, d.ownerURL, env, scale.Options{Schools: *schools, Concerns: *concerns, Seed: *seed, Prefix: *prefix})
}

// generateScale fills the database with fictional data at scale (package
// scale) as the owning role, and says what it wrote and how long it took.
func generateScale(ctx context.Context, ownerURL string, env Env, o scale.Options) error {
	owner, err := db.Open(ctx, ownerURL, 2)
	if err != nil {
		return err
	}
	defer owner.Close()
	o.Log = env.Stdout
	res, err := scale.Generate(ctx, owner, o)
	if err != nil {
		return err
	}
	var rows int64
	for _, n := range res.Rows {
		rows += n
	}
	big, typical := res.Largest(), res.Typical()
	fmt.Fprintf(env.Stdout, "Generated %d schools and %d concerns (%d rows) in %v.\n", len(res.Schools), o.Concerns, rows,
		res.Elapsed.Round(time.Second))
	fmt.Fprintf(env.Stdout, "Largest school: %s, %d concerns (%d open); typical: %s, %d concerns (%d open).\n",
		big.Slug, big.Concerns, big.Open, typical.Slug, typical.Concerns, typical.Open)
	fmt.Fprintln(env.Stdout, "Its people have no password: sign in with the Demo Academy logins, or create users with `haven user create`.")
	return nil
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
