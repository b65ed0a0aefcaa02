package audit_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/db/dbtest"
)

// chain appends n events to school's chain (0: the deployment chain).
func chain(t testing.TB, pool *pgxpool.Pool, school int64, n int) {
	t.Helper()
	by := actor.Actor{UserID: 3, SchoolID: school, Role: actor.DSL, Source: actor.Source{RequestID: "r", ClientIP: "192.0.2.1", UserAgent: "test"}}
	for i := range n {
		record(t, pool, by, audit.Event{Action: "concern.view", SubjectType: "concern",
			SubjectID: fmt.Sprintf("C-2026-%06d", i+1), Details: map[string]any{"n": i}})
	}
}

func newKey(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func pub(k ed25519.PrivateKey) ed25519.PublicKey { return k.Public().(ed25519.PublicKey) }

// tamper runs sql as the cluster's superuser with every trigger off, as an
// attacker with full control of the database could.
func tamper(t testing.TB, d dbtest.DB, sql string, args ...any) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, d.SuperURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "SET session_replication_role = replica"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("tamper: %s: %v", sql, err)
	}
}

// verify runs Verify as the owner and returns the report of chainID.
func verify(t testing.TB, d dbtest.DB, chainID int64, opts audit.Options) audit.ChainReport {
	t.Helper()
	rep, err := audit.Verify(context.Background(), d.Owner, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range rep.Chains {
		if c.ChainID == chainID {
			return c
		}
	}
	t.Fatalf("chain %d not in the report %+v", chainID, rep)
	return audit.ChainReport{}
}

func wantBroken(t testing.TB, c audit.ChainReport, seq int64, reason string) {
	t.Helper()
	if c.OK() || c.BrokenSeq != seq || !strings.Contains(c.Problem, reason) {
		t.Errorf("%s: broken at %d (%q), want broken at %d with %q", c.Name(), c.BrokenSeq, c.Problem, seq, reason)
	}
}

func TestVerifyIntactChains(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t)
	a, b := dbtest.MustSchool(t, d.Owner, "school-a", "school-a"), dbtest.MustSchool(t, d.Owner, "school-b", "school-b")
	chain(t, d.App, a, 5)
	chain(t, d.App, b, 3)
	chain(t, d.App, 0, 2)
	key := newKey(t)
	if _, err := audit.SignHeads(t.Context(), d.Owner, key); err != nil {
		t.Fatal(err)
	}
	chain(t, d.App, a, 2) // events after the checkpoint are fine too

	rep, err := audit.Verify(t.Context(), d.Owner, audit.Options{Keys: []ed25519.PublicKey{pub(key)}})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || rep.Rows != 12 || rep.Checkpoints != 3 || len(rep.Chains) != 3 {
		t.Errorf("report = %+v, want 3 chains holding, 12 rows, 3 checkpoints", rep)
	}
	if c := rep.Chains[1]; c.School != "school-a" || c.Rows != 7 || c.HeadSeq != 7 {
		t.Errorf("chain of school-a = %+v, want 7 rows up to head seq 7", c)
	}
	if c := rep.Chains[0]; c.Name() != "the deployment chain" || c.Rows != 2 {
		t.Errorf("deployment chain = %+v, want 2 rows", c)
	}

	one, err := audit.Verify(t.Context(), d.Owner, audit.Options{ChainIDs: []int64{b}, Keys: []ed25519.PublicKey{pub(key)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(one.Chains) != 1 || one.Chains[0].School != "school-b" || one.Rows != 3 || !one.OK() {
		t.Errorf("verify school-b alone = %+v, want its 3 rows only", one)
	}
}

func TestVerifyFindsTampering(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	trusted := audit.Options{Keys: []ed25519.PublicKey{pub(key)}}
	setup := func(t *testing.T, n int) (dbtest.DB, int64) {
		d := dbtest.Open(t)
		s := dbtest.MustSchool(t, d.Owner, "st-aidans", "st-aidans")
		chain(t, d.App, s, n)
		return d, s
	}

	t.Run("a row changed with triggers off is named", func(t *testing.T) {
		t.Parallel()
		d, s := setup(t, 6)
		tamper(t, d, `UPDATE audit_events SET subject_id = 'C-2026-999999' WHERE chain_id = $1 AND seq = 4`, s)
		wantBroken(t, verify(t, d, s, trusted), 4, "altered")
	})

	t.Run("a changed time is named", func(t *testing.T) {
		t.Parallel()
		d, s := setup(t, 3)
		tamper(t, d, `UPDATE audit_events SET occurred_at = occurred_at - interval '1 day' WHERE chain_id = $1 AND seq = 2`, s)
		wantBroken(t, verify(t, d, s, trusted), 2, "altered")
	})

	t.Run("a deleted row is a gap", func(t *testing.T) {
		t.Parallel()
		d, s := setup(t, 6)
		tamper(t, d, `DELETE FROM audit_events WHERE chain_id = $1 AND seq = 3`, s)
		wantBroken(t, verify(t, d, s, trusted), 3, "rows 3 to 3 are missing")
	})

	t.Run("a deleted first row is a gap at 1", func(t *testing.T) {
		t.Parallel()
		d, s := setup(t, 3)
		tamper(t, d, `DELETE FROM audit_events WHERE chain_id = $1 AND seq = 1`, s)
		wantBroken(t, verify(t, d, s, trusted), 1, "missing")
	})

	t.Run("deleted last rows are a truncation", func(t *testing.T) {
		t.Parallel()
		d, s := setup(t, 5)
		tamper(t, d, `DELETE FROM audit_events WHERE chain_id = $1 AND seq >= 4`, s)
		wantBroken(t, verify(t, d, s, trusted), 4, "truncated")
	})

	t.Run("a row inserted behind the trigger is found", func(t *testing.T) {
		t.Parallel()
		d, s := setup(t, 2)
		tamper(t, d, `INSERT INTO audit_events (chain_id, seq, school_id, occurred_at, action, prev_hash, row_hash)
			SELECT chain_id, 3, school_id, now(), 'concern.view', row_hash, row_hash FROM audit_events WHERE chain_id = $1 AND seq = 2`, s)
		wantBroken(t, verify(t, d, s, trusted), 3, "altered")
	})

	// rewrite alters row 3's subject and recomputes every later hash and the
	// head, with the database's own hash function: a consistent forgery.
	rewrite := func(t *testing.T, d dbtest.DB, s int64) {
		t.Helper()
		tamper(t, d, `DO $$
			DECLARE r audit_events; prev bytea;
			BEGIN
				UPDATE audit_events SET subject_id = 'C-2026-000042' WHERE chain_id = `+fmt.Sprint(s)+` AND seq = 3;
				SELECT row_hash INTO prev FROM audit_events WHERE chain_id = `+fmt.Sprint(s)+` AND seq = 2;
				FOR r IN SELECT * FROM audit_events WHERE chain_id = `+fmt.Sprint(s)+` AND seq >= 3 ORDER BY seq LOOP
					r.prev_hash := prev;
					r.row_hash := audit_row_hash(r);
					UPDATE audit_events SET prev_hash = r.prev_hash, row_hash = r.row_hash WHERE chain_id = r.chain_id AND seq = r.seq;
					prev := r.row_hash;
				END LOOP;
				UPDATE audit_heads SET last_hash = prev WHERE chain_id = `+fmt.Sprint(s)+`;
			END $$`)
	}

	t.Run("a chain rewritten consistently is caught by the signed checkpoint", func(t *testing.T) {
		t.Parallel()
		d, s := setup(t, 5)
		if _, err := audit.SignHeads(t.Context(), d.Owner, key); err != nil {
			t.Fatal(err)
		}
		chain(t, d.App, s, 2)
		rewrite(t, d, s)
		// Broken at the checkpoint's seq 5, not at row 3: every hash is consistent.
		wantBroken(t, verify(t, d, s, trusted), 5, "differs from the checkpoint")
	})

	t.Run("an exported checkpoint catches a rewrite whose stored checkpoints were deleted", func(t *testing.T) {
		t.Parallel()
		d, s := setup(t, 4)
		if _, err := audit.SignHeads(t.Context(), d.Owner, key); err != nil {
			t.Fatal(err)
		}
		var file bytes.Buffer
		if n, err := audit.ExportCheckpoints(t.Context(), d.Owner, &file); err != nil || n != 1 {
			t.Fatalf("export = %d, %v; want 1 checkpoint", n, err)
		}
		rewrite(t, d, s)
		tamper(t, d, `DELETE FROM audit_checkpoints`)
		if c := verify(t, d, s, trusted); !c.OK() {
			t.Fatalf("with its checkpoints gone the forgery should look whole in the database, got %q", c.Problem)
		}
		extra, err := audit.ReadCheckpoints(&file)
		if err != nil {
			t.Fatal(err)
		}
		opts := trusted
		opts.Extra = extra
		wantBroken(t, verify(t, d, s, opts), 4, "differs from the checkpoint")
	})

	t.Run("a chain truncated together with its head is caught by the checkpoint", func(t *testing.T) {
		t.Parallel()
		d, s := setup(t, 5)
		if _, err := audit.SignHeads(t.Context(), d.Owner, key); err != nil {
			t.Fatal(err)
		}
		tamper(t, d, `DELETE FROM audit_events WHERE chain_id = $1 AND seq > 2`, s)
		tamper(t, d, `UPDATE audit_heads h SET last_seq = 2, last_hash = e.row_hash FROM audit_events e
			WHERE h.chain_id = $1 AND e.chain_id = $1 AND e.seq = 2`, s)
		wantBroken(t, verify(t, d, s, trusted), 3, "beyond the last row")
	})

	t.Run("a checkpoint signed by another key is not trusted", func(t *testing.T) {
		t.Parallel()
		d, s := setup(t, 3)
		if _, err := audit.SignHeads(t.Context(), d.Owner, newKey(t)); err != nil {
			t.Fatal(err)
		}
		wantBroken(t, verify(t, d, s, trusted), 3, "not trusted")
	})

	t.Run("a forged checkpoint signature is caught", func(t *testing.T) {
		t.Parallel()
		d, s := setup(t, 3)
		if _, err := audit.SignHeads(t.Context(), d.Owner, key); err != nil {
			t.Fatal(err)
		}
		tamper(t, d, `UPDATE audit_checkpoints SET seq = 2`)
		wantBroken(t, verify(t, d, s, trusted), 2, "bad signature")
	})

	t.Run("a missing head is found", func(t *testing.T) {
		t.Parallel()
		d, s := setup(t, 2)
		tamper(t, d, `DELETE FROM audit_heads WHERE chain_id = $1`, s)
		wantBroken(t, verify(t, d, s, trusted), 2, "no head")
	})
}

func TestSignHeadsSkipsUnchangedHeads(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t)
	s := dbtest.MustSchool(t, d.Owner, "st-aidans", "st-aidans")
	chain(t, d.App, s, 2)
	chain(t, d.App, 0, 1)
	key := newKey(t)
	for i, want := range []audit.CheckpointResult{{Signed: 2}, {Unchanged: 2}} {
		got, err := audit.SignHeads(t.Context(), d.Owner, key)
		if err != nil || got != want {
			t.Errorf("run %d: SignHeads = %+v, %v; want %+v", i+1, got, err, want)
		}
	}
	chain(t, d.App, s, 1)
	if got, _ := audit.SignHeads(t.Context(), d.Owner, key); got != (audit.CheckpointResult{Signed: 1, Unchanged: 1}) {
		t.Errorf("after one more event: %+v, want 1 signed, 1 unchanged", got)
	}
	if n := dbtest.Count(t, d.Owner, "audit_checkpoints"); n != 3 {
		t.Errorf("checkpoints = %d, want 3", n)
	}
}

func TestConcurrentAppendsToOneSchoolStayLinear(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t)
	s := dbtest.MustSchool(t, d.Owner, "st-aidans", "st-aidans")
	const workers, each = 20, 5
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			by := actor.Actor{UserID: int64(w + 1), SchoolID: s, Role: actor.Staff}
			for range each {
				errs <- db.InSchool(context.Background(), d.App, by, func(tx pgx.Tx) error {
					return audit.Record(context.Background(), tx, by, audit.Event{Action: "concern.view", SubjectType: "concern", SubjectID: "C-1"})
				})
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	c := verify(t, d, s, audit.Options{})
	if !c.OK() || c.Rows != workers*each || c.HeadSeq != workers*each {
		t.Errorf("chain = %+v, want %d rows holding", c, workers*each)
	}
	if n := dbtest.Count(t, d.Owner, "(SELECT DISTINCT prev_hash FROM audit_events WHERE chain_id = $1) x", s); n != workers*each {
		t.Errorf("distinct prev hashes = %d, want %d (a fork would repeat one)", n, workers*each)
	}
}

func TestSchoolsDoNotWaitForEachOther(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t)
	ctx := t.Context()
	a, b := dbtest.MustSchool(t, d.Owner, "school-a", "school-a"), dbtest.MustSchool(t, d.Owner, "school-b", "school-b")
	chain(t, d.App, a, 1)
	chain(t, d.App, b, 1)
	inA := actor.Actor{UserID: 1, SchoolID: a, Role: actor.DSL}
	inB := actor.Actor{UserID: 2, SchoolID: b, Role: actor.DSL}
	ev := audit.Event{Action: "concern.view", SubjectType: "concern", SubjectID: "C-1"}

	// An open transaction holds school A's head.
	held, err := d.App.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Rollback(ctx)
	if err := db.InSchool(ctx, held, inA, func(tx pgx.Tx) error { return audit.Record(ctx, tx, inA, ev) }); err != nil {
		t.Fatal(err) // a savepoint: the head's lock stays held until held ends
	}

	// Another append to A waits for it (so the lock is real)…
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	err = db.InSchool(short, d.App, inA, func(tx pgx.Tx) error { return audit.Record(short, tx, inA, ev) })
	cancel()
	if err == nil {
		t.Fatal("a second append to school A completed while A's head was locked")
	}
	// …while school B's append goes straight through.
	start := time.Now()
	bounded, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := db.InSchool(bounded, d.App, inB, func(tx pgx.Tx) error { return audit.Record(bounded, tx, inB, ev) }); err != nil {
		t.Fatalf("school B's append waited for school A: %v", err)
	}
	t.Logf("school B appended in %v while school A's head was locked", time.Since(start))

	if err := held.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	rep, err := audit.Verify(ctx, d.Owner, audit.Options{})
	if err != nil || !rep.OK() || rep.Rows != 4 {
		t.Errorf("verify = %+v, %v; want 4 rows holding", rep, err)
	}
}

func TestFailedAuditLeavesNoTraceOfTheAction(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t)
	ctx := t.Context()
	by := actor.Actor{SchoolID: 999999, Role: actor.System} // no such school: the audit insert fails
	err := db.InTx(ctx, d.App, by, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO schools (slug, name) VALUES ('ghost', 'Ghost School')`); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "school.create", SubjectType: "school", SubjectID: "ghost"})
	})
	if err == nil {
		t.Fatal("the audit insert should have failed")
	}
	if n := dbtest.Count(t, d.Owner, "schools WHERE slug = 'ghost'"); n != 0 {
		t.Errorf("schools named ghost = %d, want 0: the action outlived its failed audit", n)
	}
	if n := dbtest.Count(t, d.Owner, "audit_heads"); n != 0 {
		t.Errorf("audit heads = %d, want 0", n)
	}
	if pe, ok := errors.AsType[*pgconn.PgError](err); !ok || pe.Code != "23503" {
		t.Errorf("err = %v, want the audit row's foreign key violation", err)
	}
}
