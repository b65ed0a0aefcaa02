package audit_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// record appends one event in its own transaction, as Haven's services do.
func record(t testing.TB, pool *pgxpool.Pool, by actor.Actor, e audit.Event) {
	t.Helper()
	err := db.InTx(context.Background(), pool, by, func(tx pgx.Tx) error {
		return audit.Record(context.Background(), tx, by, e)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRecord(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t)
	ctx := t.Context()
	school := dbtest.MustSchool(t, d.Owner, "st-aidans", "st-aidans")
	dsl := actor.Actor{UserID: 7, SchoolID: school, Role: actor.DSL,
		Source: actor.Source{RequestID: "req-1", ClientIP: "192.0.2.10", UserAgent: "Firefox\x00\xff"}}

	t.Run("chains a school's events from seq 1", func(t *testing.T) {
		for range 3 {
			record(t, d.App, dsl, audit.Event{Action: "concern.view", SubjectType: "concern", SubjectID: "C-2026-000001"})
		}
		var seqs []int64
		rows, _ := d.Owner.Query(ctx, `SELECT seq FROM audit_events WHERE chain_id = $1 ORDER BY seq`, school)
		seqs, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			t.Fatal(err)
		}
		if len(seqs) != 3 || seqs[0] != 1 || seqs[2] != 3 {
			t.Errorf("seqs = %v, want [1 2 3]", seqs)
		}
		var prev2, hash1 []byte
		if err := d.Owner.QueryRow(ctx, `SELECT (SELECT prev_hash FROM audit_events WHERE chain_id = $1 AND seq = 2),
			(SELECT row_hash FROM audit_events WHERE chain_id = $1 AND seq = 1)`, school).Scan(&prev2, &hash1); err != nil {
			t.Fatal(err)
		}
		if string(prev2) != string(hash1) {
			t.Errorf("row 2's prev_hash %x is not row 1's hash %x", prev2, hash1)
		}
	})

	t.Run("stores who, what and where, cleaned", func(t *testing.T) {
		record(t, d.App, dsl, audit.Event{Action: "concern.submit", SubjectType: "concern", SubjectID: "C-2026-000002",
			Details: map[string]any{"children": 2, "fields": []string{"account", "where"}}})
		var user int64
		var role, action, st, sid, req, addr, ua, details string
		err := d.Owner.QueryRow(ctx, `SELECT actor_user_id, actor_role, action, subject_type, subject_id,
			request_id, client_addr, user_agent, details FROM audit_events
			WHERE chain_id = $1 ORDER BY seq DESC LIMIT 1`, school).
			Scan(&user, &role, &action, &st, &sid, &req, &addr, &ua, &details)
		if err != nil {
			t.Fatal(err)
		}
		got := []any{user, role, action, st, sid, req, addr, ua, details}
		want := []any{int64(7), "dsl", "concern.submit", "concern", "C-2026-000002", "req-1", "192.0.2.10", "Firefox\uFFFD",
			`{"children":2,"fields":["account","where"]}`}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("column %d = %q, want %q", i, got[i], want[i])
			}
		}
	})

	t.Run("an event of no school goes on the deployment chain", func(t *testing.T) {
		record(t, d.App, actor.Actor{Source: actor.Source{ClientIP: "198.51.100.1"}},
			audit.Event{Action: "auth.sign_in_failed", Details: map[string]any{"reason": "unknown_email"}})
		if n := dbtest.Count(t, d.Owner, "audit_events WHERE chain_id = 0 AND school_id IS NULL AND actor_user_id IS NULL AND seq = 1"); n != 1 {
			t.Errorf("deployment chain rows = %d, want 1", n)
		}
	})

	t.Run("malformed events are refused", func(t *testing.T) {
		for _, e := range []audit.Event{
			{Action: "view"},
			{Action: "Concern.View"},
			{Action: "concern.view", SubjectType: "Concern"},
			{Action: "concern.view", SubjectID: "C-1"},
			{Action: "concern.view", SubjectType: "concern", SubjectID: strings.Repeat("x", 201)},
			{Action: "concern.view", Details: map[string]any{"Child Name": "x"}},
			{Action: "concern.view", Details: map[string]any{"big": strings.Repeat("x", 5000)}},
		} {
			err := db.InTx(ctx, d.App, dsl, func(tx pgx.Tx) error { return audit.Record(ctx, tx, dsl, e) })
			if err == nil {
				t.Errorf("Record(%+v) = nil, want an error", e)
			}
		}
	})
}

func TestAppRoleCannotAlterTheTrail(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t)
	ctx := t.Context()
	school := dbtest.MustSchool(t, d.Owner, "st-aidans", "st-aidans")
	by := actor.Actor{UserID: 1, SchoolID: school, Role: actor.Admin}
	record(t, d.App, by, audit.Event{Action: "user.invite", SubjectType: "user", SubjectID: "2"})

	for _, sql := range []string{
		`UPDATE audit_events SET action = 'concern.view'`,
		`DELETE FROM audit_events`,
		`TRUNCATE audit_events`,
		`UPDATE audit_heads SET last_seq = 0`,
		`DELETE FROM audit_heads`,
		`INSERT INTO audit_heads (chain_id) VALUES (99)`,
		`INSERT INTO audit_checkpoints (chain_id, seq, row_hash, signed_at, public_key, signature)
			VALUES (1, 1, '\x00', now(), '\x00', '\x00')`,
		`INSERT INTO audit_events (school_id, seq, action, prev_hash, row_hash) VALUES (1, 5, 'a.b', '\x00', '\x00')`,
		`SELECT * FROM audit_heads`,
	} {
		_, err := d.App.Exec(ctx, sql)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "42501" {
			t.Errorf("as the app role, %s: err = %v, want insufficient_privilege (42501)", sql, err)
		}
	}
	// Even the owner meets the triggers.
	for _, sql := range []string{
		`UPDATE audit_events SET action = 'concern.view'`,
		`DELETE FROM audit_events`,
		`TRUNCATE audit_events`,
		`UPDATE audit_heads SET last_seq = 0`,
		`DELETE FROM audit_heads`,
		`TRUNCATE audit_heads CASCADE`,
	} {
		_, err := d.Owner.Exec(ctx, sql)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "42501" {
			t.Errorf("as the owner, %s: err = %v, want the append-only trigger's refusal", sql, err)
		}
	}
	if n := dbtest.Count(t, d.Owner, "audit_events"); n != 1 {
		t.Errorf("audit events = %d, want 1", n)
	}
}
