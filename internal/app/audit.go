package app

import (
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/school"
)

const auditUsage = `Usage: haven audit <verify|checkpoint> [flags]

  verify      recompute every audit chain and check its signed checkpoints;
              exit non-zero naming each broken school and its first broken seq
  checkpoint  sign every chain head with the key in HAVEN_AUDIT_KEY_FILE

Both connect as the owning role (HAVEN_MIGRATE_DATABASE_URL). docs/audit.md
describes the chains, the key and a systemd timer for checkpoints.
haven audit <subcommand> -h lists its flags.
`

// devAuditKeyFile is where the embedded default keeps its generated
// checkpoint key when HAVEN_AUDIT_KEY_FILE is unset.
func devAuditKeyFile(cfg Config) string { return filepath.Join(cfg.DataDir, "audit-checkpoint.key") }

// devCheckpointEvery is how often the development server signs checkpoints.
const devCheckpointEvery = time.Hour

func auditCmd(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, auditUsage)
		return errors.New("haven audit: name a subcommand, verify or checkpoint")
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(env.Stdout, auditUsage)
		return nil
	case "verify":
		return auditVerifyCmd(ctx, env, args[1:])
	case "checkpoint":
		return auditCheckpointCmd(ctx, env, args[1:])
	}
	return fmt.Errorf("haven audit: unknown subcommand %q (verify or checkpoint)", args[0])
}

func subFlags(env Env, name, usage, summary string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.Stdout, "Usage: %s\n\n%s\n\n", usage, summary)
		fs.SetOutput(env.Stdout)
		fs.PrintDefaults()
		fs.SetOutput(env.Stderr)
	}
	return fs
}

func auditVerifyCmd(ctx context.Context, env Env, args []string) error {
	fs := subFlags(env, "audit verify",
		"haven audit verify [--school SLUG] [--pubkey FILE] [--checkpoints FILE] [--no-checkpoints]",
		"Recompute every audit chain (or one school's), check that seq has no gaps, that the last row\n"+
			"is the chain's head and that every signed checkpoint matches. Exits 0 when all holds.\n"+
			"A run over every chain is recorded for the server's metrics (haven_audit_verify_*).")
	slug := fs.String("school", "", "verify only this school's chain (its short name)")
	pubFile := fs.String("pubkey", "", "PEM file with the checkpoint public key (default: derived from $HAVEN_AUDIT_KEY_FILE)")
	cpFile := fs.String("checkpoints", "", "checkpoints exported by `haven audit checkpoint --export`, to check as well")
	noCP := fs.Bool("no-checkpoints", false, "check rows and heads only (no public key needed)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := LoadConfig(env.Getenv)
	if err != nil {
		return err
	}
	opts := audit.Options{IgnoreCheckpoints: *noCP}
	if !*noCP {
		k, err := verifyKey(cfg, *pubFile)
		if err != nil {
			return err
		}
		opts.Keys = []ed25519.PublicKey{k}
		if *cpFile != "" {
			f, err := os.Open(*cpFile)
			if err != nil {
				return err
			}
			opts.Extra, err = audit.ReadCheckpoints(f)
			f.Close()
			if err != nil {
				return fmt.Errorf("%s: %w", *cpFile, err)
			}
		}
	}
	return withOwnerPool(ctx, cfg, env, func(pool *pgxpool.Pool) error {
		if *slug != "" {
			sc, err := school.NewService(pool).BySlug(ctx, *slug)
			if errors.Is(err, db.ErrNotFound) {
				return fmt.Errorf("no school has the short name %q", *slug)
			}
			if err != nil {
				return err
			}
			opts.ChainIDs = []int64{sc.ID}
		}
		rep, err := audit.Verify(ctx, pool, opts)
		if err != nil {
			return err
		}
		if *slug == "" {
			// The server reports the last full run as metrics (docs/operations.md).
			if err := audit.RecordRun(ctx, pool, rep); err != nil {
				return err
			}
		}
		var broken []string
		for _, c := range rep.Chains {
			if c.OK() {
				fmt.Fprintf(env.Stdout, "OK     %s: %d rows, head seq %d, %d checkpoints\n", c.Name(), c.Rows, c.HeadSeq, c.Checkpoints)
				continue
			}
			fmt.Fprintf(env.Stdout, "BROKEN %s at seq %d: %s\n", c.Name(), c.BrokenSeq, c.Problem)
			broken = append(broken, fmt.Sprintf("%s at seq %d", c.Name(), c.BrokenSeq))
		}
		fmt.Fprintf(env.Stdout, "checked %d rows and %d checkpoints in %s (%.0f rows/s)\n",
			rep.Rows, rep.Checkpoints, rep.Elapsed.Round(time.Millisecond), rep.RowsPerSecond())
		if len(broken) > 0 {
			return fmt.Errorf("the audit trail is broken: %s", strings.Join(broken, "; "))
		}
		return nil
	})
}

// verifyKey returns the public key checkpoints must be signed with: from
// file, else derived from HAVEN_AUDIT_KEY_FILE, else (embedded default) the
// development key.
func verifyKey(cfg Config, file string) (ed25519.PublicKey, error) {
	switch {
	case file != "":
		return audit.LoadPublicKey(file)
	case cfg.AuditKeyFile != "":
		return audit.LoadPublicKey(cfg.AuditKeyFile)
	case cfg.Embedded():
		k, _, err := audit.EnsureKey(devAuditKeyFile(cfg))
		if err != nil {
			return nil, err
		}
		return k.Public().(ed25519.PublicKey), nil
	}
	return nil, errors.New("no checkpoint public key: pass --pubkey FILE or set HAVEN_AUDIT_KEY_FILE (or --no-checkpoints to check rows only)")
}

func auditCheckpointCmd(ctx context.Context, env Env, args []string) error {
	fs := subFlags(env, "audit checkpoint", "haven audit checkpoint [--export FILE]",
		"Sign the head of every audit chain with the Ed25519 key in HAVEN_AUDIT_KEY_FILE and store the\n"+
			"checkpoints; run it hourly where the key lives (docs/audit.md has a systemd timer).")
	export := fs.String("export", "", "then write every stored checkpoint to FILE (JSON lines), for off-site keeping")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := LoadConfig(env.Getenv)
	if err != nil {
		return err
	}
	var key ed25519.PrivateKey
	switch {
	case cfg.AuditKeyFile != "":
		key, err = audit.LoadPrivateKey(cfg.AuditKeyFile)
	case cfg.Embedded():
		key, _, err = audit.EnsureKey(devAuditKeyFile(cfg))
	default:
		err = errors.New("HAVEN_AUDIT_KEY_FILE is not set: it names the Ed25519 key that signs checkpoints (docs/audit.md)")
	}
	if err != nil {
		return err
	}
	return withOwnerPool(ctx, cfg, env, func(pool *pgxpool.Pool) error {
		res, err := audit.SignHeads(ctx, pool, key)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "signed %d chain heads (%d unchanged since their last checkpoint) with key %s\n",
			res.Signed, res.Unchanged, audit.KeyID(key.Public().(ed25519.PublicKey)))
		if *export == "" {
			return nil
		}
		n, err := exportCheckpoints(ctx, pool, *export)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "wrote %d checkpoints to %s\n", n, *export)
		return nil
	})
}

// exportCheckpoints writes every checkpoint to path, replacing it only once
// the new file is complete.
func exportCheckpoints(ctx context.Context, pool *pgxpool.Pool, path string) (int, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return 0, fmt.Errorf("export checkpoints: %w", err)
	}
	defer os.Remove(f.Name()) // after a successful rename there is nothing left to remove
	n, err := audit.ExportCheckpoints(ctx, pool, f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		return 0, fmt.Errorf("export checkpoints: %w", err)
	}
	return n, nil
}

// withOwnerPool runs fn with a small pool connected as the owning role
// (the embedded default is started and migrated first).
func withOwnerPool(ctx context.Context, cfg Config, env Env, fn func(*pgxpool.Pool) error) error {
	pool, _, closeDB, err := openPool(ctx, cfg, env, poolOptions{asOwner: true, maxConns: 2})
	if err != nil {
		return err
	}
	defer closeDB()
	return fn(pool)
}

// startDevCheckpoints signs the audit chain heads now and then every hour,
// as the operator's scheduler does in production, until stop is called. Only
// the embedded default uses it; the key is HAVEN_AUDIT_KEY_FILE or one
// generated once in HAVEN_DATA_DIR.
func startDevCheckpoints(ctx context.Context, cfg Config, ownerURL string, env Env) (stop func(), err error) {
	path := cfg.AuditKeyFile
	if path == "" {
		path = devAuditKeyFile(cfg)
	}
	key, created, err := audit.EnsureKey(path)
	if err != nil {
		return nil, err
	}
	if created {
		fmt.Fprintf(env.Stdout, "Generated the audit checkpoint key %s\n", path)
	}
	pool, err := db.Open(ctx, ownerURL, 1)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(devCheckpointEvery)
		defer t.Stop()
		for {
			signDevCheckpoint(ctx, pool, key, env.Log)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	})
	return func() {
		cancel()
		wg.Wait()
		pool.Close()
	}, nil
}

func signDevCheckpoint(ctx context.Context, pool *pgxpool.Pool, key ed25519.PrivateKey, log *slog.Logger) {
	res, err := audit.SignHeads(ctx, pool, key)
	if err != nil {
		if ctx.Err() == nil {
			log.Warn("audit checkpoint", "err", err)
		}
		return
	}
	log.Info("audit checkpoint", "signed", res.Signed, "unchanged", res.Unchanged)
}
