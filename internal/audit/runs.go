package audit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/db"
)

// Run is the outcome of one full verification (`haven audit verify` over
// every chain), as kept in audit_verify_runs for the server's metrics:
// counts and times only.
type Run struct {
	FinishedAt   time.Time
	OK           bool
	Chains       int
	BrokenChains int
	Rows         int64
	Checkpoints  int
	Duration     time.Duration
}

// RecordRun keeps the outcome of a full verification. q must be the owning
// role (the app role may only read the runs).
func RecordRun(ctx context.Context, q db.Querier, r Report) error {
	broken := 0
	for _, c := range r.Chains {
		if !c.OK() {
			broken++
		}
	}
	_, err := q.Exec(ctx, `INSERT INTO audit_verify_runs (ok, chains, broken_chains, rows_checked, checkpoints, duration)
		VALUES ($1, $2, $3, $4, $5, $6)`, r.OK(), len(r.Chains), broken, r.Rows, r.Checkpoints, r.Elapsed)
	if err != nil {
		return fmt.Errorf("record the verification: %w", err)
	}
	return nil
}

// LastRun returns the latest full verification, or db.ErrNotFound when
// none has run.
func LastRun(ctx context.Context, q db.Querier) (Run, error) {
	var r Run
	err := q.QueryRow(ctx, `SELECT finished_at, ok, chains, broken_chains, rows_checked, checkpoints, duration
		FROM audit_verify_runs ORDER BY finished_at DESC, id DESC LIMIT 1`).
		Scan(&r.FinishedAt, &r.OK, &r.Chains, &r.BrokenChains, &r.Rows, &r.Checkpoints, &r.Duration)
	if errors.Is(err, pgx.ErrNoRows) {
		return Run{}, db.ErrNotFound
	}
	if err != nil {
		return Run{}, fmt.Errorf("last verification: %w", err)
	}
	return r, nil
}

// LastSuccess returns when a full verification last found every chain
// holding, or db.ErrNotFound when none has.
func LastSuccess(ctx context.Context, q db.Querier) (time.Time, error) {
	var at time.Time
	err := q.QueryRow(ctx, `SELECT finished_at FROM audit_verify_runs WHERE ok ORDER BY finished_at DESC, id DESC LIMIT 1`).Scan(&at)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, db.ErrNotFound
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("last successful verification: %w", err)
	}
	return at, nil
}
