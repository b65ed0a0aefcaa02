// Package db opens Haven's PostgreSQL pool and offers the one way to run a
// school-scoped transaction. Domain packages take a Querier; only service
// methods begin transactions, through InSchool or InTx.
package db

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/fail"
)

// ErrNotFound is returned when a record does not exist or the actor may not see it.
var ErrNotFound = fail.NotFound

// Querier is what store functions run SQL on: a pool or a transaction.
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// DefaultMaxConns sizes the pool for the machine: pgxpool's own default
// (4 on 2 cores) starves a web server whose requests each hold a connection
// for a short transaction.
func DefaultMaxConns() int32 {
	return int32(max(16, 4*runtime.NumCPU()))
}

// Open connects a pool to url with at most maxConns connections (0: DefaultMaxConns)
// and checks that the database answers.
func Open(ctx context.Context, url string, maxConns int32) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	if maxConns <= 0 {
		maxConns = DefaultMaxConns()
	}
	cfg.MaxConns = maxConns
	cfg.MaxConnIdleTime = 5 * time.Minute
	cfg.HealthCheckPeriod = 15 * time.Second
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return pool, nil
}

// Beginner is what InSchool and InTx need: a pool or a connection.
type Beginner interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// InSchool runs fn in one transaction scoped to a's school and user: it first
// sets the transaction-local settings app.school_id, app.user_id and
// app.role, which row-level security policies read. It commits when fn
// returns nil and rolls back otherwise.
func InSchool(ctx context.Context, b Beginner, a actor.Actor, fn func(pgx.Tx) error) error {
	if a.SchoolID == 0 {
		return errors.New("school-scoped transaction without a school")
	}
	return pgx.BeginFunc(ctx, b, func(tx pgx.Tx) error {
		if err := setActor(ctx, tx, a); err != nil {
			return err
		}
		return fn(tx)
	})
}

// InTx runs fn in one transaction that belongs to no school (sign-in before
// a school is chosen, the deployment-level audit chain, operator commands).
// The user setting is set when a has a user, so policies can still see who acts.
func InTx(ctx context.Context, b Beginner, a actor.Actor, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, b, func(tx pgx.Tx) error {
		if err := setActor(ctx, tx, a); err != nil {
			return err
		}
		return fn(tx)
	})
}

func setActor(ctx context.Context, tx pgx.Tx, a actor.Actor) error {
	school, user := "", ""
	if a.SchoolID != 0 {
		school = strconv.FormatInt(a.SchoolID, 10)
	}
	if a.UserID != 0 {
		user = strconv.FormatInt(a.UserID, 10)
	}
	_, err := tx.Exec(ctx, `SELECT set_config('app.school_id', $1, true),
		set_config('app.user_id', $2, true), set_config('app.role', $3, true)`,
		school, user, string(a.Role))
	if err != nil {
		return fmt.Errorf("set transaction actor: %w", err)
	}
	return nil
}

// IsUniqueViolation reports whether err is a unique-constraint violation,
// optionally of the named constraint.
func IsUniqueViolation(err error, constraint string) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "23505" {
		return false
	}
	return constraint == "" || pe.ConstraintName == constraint
}
