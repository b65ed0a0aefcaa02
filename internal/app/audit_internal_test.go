package app

import (
	"crypto/ed25519"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db/dbtest"
)

func TestDevCheckpoints(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t)
	ctx := t.Context()
	if err := audit.Record(ctx, d.App, actor.Actor{Role: actor.System}, audit.Event{Action: "test.start"}); err != nil {
		t.Fatal(err)
	}
	cfg := Config{DataDir: t.TempDir()}
	var out strings.Builder
	env := Env{Stdout: &out, Stderr: io.Discard, Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	stop, err := startDevCheckpoints(ctx, cfg, d.OwnerURL, env)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for dbtest.Count(t, d.Owner, "audit_checkpoints WHERE chain_id = 0 AND seq = 1") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the development server signed no checkpoint at start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	keyFile := filepath.Join(cfg.DataDir, "audit-checkpoint.key")
	if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file %s: %v, mode %v; want it generated, readable by its owner only", keyFile, err, fi)
	}
	if !strings.Contains(out.String(), "Generated the audit checkpoint key") {
		t.Errorf("stdout = %q, want a note of the generated key", out.String())
	}
	pub, err := audit.LoadPublicKey(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := audit.Verify(ctx, d.Owner, audit.Options{Keys: []ed25519.PublicKey{pub}})
	if err != nil || !rep.OK() || rep.Checkpoints != 1 {
		t.Errorf("verify with the generated key = %+v, %v; want 1 checkpoint holding", rep, err)
	}
}
