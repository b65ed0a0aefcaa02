package app

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/backup"
)

func backupCmd(ctx context.Context, env Env, args []string) error {
	fs := flags(env, "backup")
	out := fs.String("out", "", "the file to write (required); it appears only once complete, readable by its owner only")
	pubFile := fs.String("pubkey", "", "PEM file with the checkpoint public key (default: derived from $HAVEN_AUDIT_KEY_FILE)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() > 0 {
		return errors.New("backup: name the file to write with --out FILE")
	}
	cfg, err := LoadConfig(env.Getenv)
	if err != nil {
		return err
	}
	pub, err := verifyKey(cfg, *pubFile)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	pool, d, closeDB, err := openPool(ctx, cfg, env, poolOptions{asOwner: true, maxConns: 2})
	if err != nil {
		return err
	}
	defer closeDB()
	m, err := backup.Write(ctx, pool, operator("backup"), d.ownerURL, pub, Version(), *out)
	if err != nil {
		return err
	}
	var size int64
	for _, mem := range m.Members {
		size += mem.Size
	}
	fmt.Fprintf(env.Stdout, "backed up database %s (%d bytes, %d chain checkpoints, key %s) to %s\n",
		m.Database, size, m.Checkpoints, audit.KeyID(pub), *out)
	return nil
}

func restoreCmd(ctx context.Context, env Env, args []string) error {
	fs := flags(env, "restore")
	pubFile := fs.String("pubkey", "", "PEM file with the checkpoint public key the backup must carry (default: $HAVEN_AUDIT_KEY_FILE's, when set)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("restore: name one backup file: haven restore FILE")
	}
	cfg, err := LoadConfig(env.Getenv)
	if err != nil {
		return err
	}
	// The file first: a damaged or changed backup touches no database.
	a, err := backup.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer a.Close()
	if *pubFile != "" || cfg.AuditKeyFile != "" {
		want, err := verifyKey(cfg, *pubFile)
		if err != nil {
			return fmt.Errorf("restore: %w", err)
		}
		if !bytes.Equal(want, a.PublicKey) {
			return fmt.Errorf("restore: the backup's checkpoint key is %s, not this deployment's %s: restore with --pubkey naming the key that signed its checkpoints",
				audit.KeyID(a.PublicKey), audit.KeyID(want))
		}
	}
	// As it is: an embedded default is not migrated first, so it is empty.
	pool, d, closeDB, err := openPool(ctx, cfg, env, poolOptions{asOwner: true, maxConns: 2, asIs: true})
	if err != nil {
		return err
	}
	defer closeDB()
	if err := backup.EnsureEmpty(ctx, pool); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	start := time.Now()
	if err := a.Restore(ctx, d.ownerURL); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "restored database %s, backed up %s by haven %s, in %s\n", a.Manifest.Database,
		a.Manifest.Created.Format(time.RFC3339), a.Manifest.HavenVersion, time.Since(start).Round(time.Millisecond))
	rep, err := audit.Verify(ctx, pool, audit.Options{Keys: []ed25519.PublicKey{a.PublicKey}, Extra: a.Checkpoints})
	if err != nil {
		return fmt.Errorf("restore: audit verify: %w", err)
	}
	if err := audit.RecordRun(ctx, pool, rep); err != nil {
		return err
	}
	var broken []string
	for _, c := range rep.Chains {
		if !c.OK() {
			fmt.Fprintf(env.Stdout, "BROKEN %s at seq %d: %s\n", c.Name(), c.BrokenSeq, c.Problem)
			broken = append(broken, fmt.Sprintf("%s at seq %d", c.Name(), c.BrokenSeq))
		}
	}
	if len(broken) > 0 {
		return fmt.Errorf("restore: the data is loaded, but its audit trail does not verify (%s): do not serve from this database",
			strings.Join(broken, "; "))
	}
	fmt.Fprintf(env.Stdout, "audit verify: OK, %d chains, %d rows and %d checkpoints (%d from the backup file)\n",
		len(rep.Chains), rep.Rows, rep.Checkpoints, len(a.Checkpoints))
	return a.Restored(ctx, pool, operator("restore"))
}

// operator is the system acting from the command line, outside any school.
func operator(command string) actor.Actor {
	return actor.Actor{Role: actor.System, Source: cliSource(command)}
}
