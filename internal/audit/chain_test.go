package audit_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db/dbtest"
)

// A Chain computes the very rows the database's trigger computes: the same
// events recorded by Haven and rebuilt in Go (at the times the trigger
// stamped) have the same hashes, and a chain loaded from a Chain verifies.
func TestChain(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t)
	ctx := t.Context()
	recorded, loaded := dbtest.MustSchool(t, d.Owner, "recorded", "recorded"), dbtest.MustSchool(t, d.Owner, "loaded", "loaded")
	events := []audit.Event{
		{Action: "concern.submit", SubjectType: "concern", SubjectID: "C-2026-000001",
			Details: map[string]any{"children": 1, "in_danger": false}},
		{Action: "concern.view", SubjectType: "concern", SubjectID: "C-2026-000001"},
		{Action: "queue.view", Details: map[string]any{"status": "open"}},
	}
	src := actor.Source{RequestID: "req-1", ClientIP: "192.0.2.10", UserAgent: "Firefox\x00\xff"}

	t.Run("hashes as the trigger does", func(t *testing.T) {
		by := actor.Actor{UserID: 7, SchoolID: recorded, Role: actor.DSL, Source: src}
		for _, e := range events {
			record(t, d.App, by, e)
		}
		rows, _ := d.Owner.Query(ctx, `SELECT occurred_at, row_hash FROM audit_events WHERE chain_id = $1 ORDER BY seq`, recorded)
		type stored struct {
			At   time.Time
			Hash []byte
		}
		got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[stored])
		if err != nil || len(got) != len(events) {
			t.Fatalf("stored %d rows (%v), want %d", len(got), err, len(events))
		}
		c := audit.NewChain(recorded)
		for i, e := range events {
			vals, err := c.Append(got[i].At, by, e)
			if err != nil {
				t.Fatal(err)
			}
			if h := vals[len(vals)-1].([]byte); !bytes.Equal(h, got[i].Hash) {
				t.Errorf("row %d: Chain's hash %x, the trigger's %x", i+1, h, got[i].Hash)
			}
		}
	})

	t.Run("a loaded chain verifies", func(t *testing.T) {
		c := audit.NewChain(loaded)
		by := actor.Actor{UserID: 3, SchoolID: loaded, Role: actor.Staff, Source: src}
		t0 := time.Date(2026, 9, 1, 8, 0, 0, 123456789, time.UTC)
		var vals [][]any
		for i := range 50 {
			v, err := c.Append(t0.Add(time.Duration(i)*time.Minute), by, events[i%len(events)])
			if err != nil {
				t.Fatal(err)
			}
			vals = append(vals, v)
		}
		seq, head := c.Head()
		err := pgx.BeginFunc(ctx, d.Owner, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `ALTER TABLE audit_events DISABLE TRIGGER audit_events_append`); err != nil {
				return err
			}
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"audit_events"}, audit.CopyColumns, pgx.CopyFromRows(vals)); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `ALTER TABLE audit_events ENABLE TRIGGER audit_events_append`); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO audit_heads (chain_id, last_seq, last_hash) VALUES ($1, $2, $3)`, loaded, seq, head)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := audit.Verify(ctx, d.Owner, audit.Options{ChainIDs: []int64{loaded}, IgnoreCheckpoints: true})
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK() || rep.Rows != 50 {
			t.Errorf("verify = %+v, want 50 rows holding", rep.Chains)
		}
		// The next event Haven records continues the loaded chain.
		record(t, d.App, by, events[0])
		if rep, err = audit.Verify(ctx, d.Owner, audit.Options{ChainIDs: []int64{loaded}, IgnoreCheckpoints: true}); err != nil || !rep.OK() || rep.Rows != 51 {
			t.Errorf("after one more event: %+v, %v; want 51 rows holding", rep.Chains, err)
		}
	})

	t.Run("refuses another school's actor and what Record refuses", func(t *testing.T) {
		c := audit.NewChain(loaded)
		if _, err := c.Append(time.Now(), actor.Actor{SchoolID: recorded}, events[0]); err == nil {
			t.Error("an actor of another school was accepted")
		}
		if _, err := c.Append(time.Now(), actor.Actor{SchoolID: loaded}, audit.Event{Action: "Not An Action"}); err == nil {
			t.Error("a malformed action was accepted")
		}
		if seq, _ := c.Head(); seq != 0 {
			t.Errorf("head seq = %d after refusals, want 0", seq)
		}
	})
}
