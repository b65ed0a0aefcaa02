package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/db"
)

// A guess (a password, a security code, a recovery code) is counted before
// it is checked, and the count is removed again when the guess was right.
// So many guesses arriving together on several replicas still get at most
// the limit checked: each reservation takes a transaction-level advisory
// lock on its keys, counts, and inserts, and the lock serialises them.

// accountKey and addressKey name the throttle counters.
func accountKey(email string) string { return "account:" + email }
func addressKey(ip string) string    { return "ip:" + ip }

// reservation is a guess counted against its keys.
type reservation struct {
	ids     []int64
	account string // the account key, to tell a lockout
	address string
}

// reserve counts one guess for the account (by normalised email) and the
// client address, in its own transaction, or returns a *ThrottledError when
// either has reached its limit in the window.
func (s *Service) reserve(ctx context.Context, email, ip string) (reservation, error) {
	res := reservation{account: accountKey(email), address: addressKey(ip)}
	limits := map[string]int{res.account: s.cfg.Limits.Account, res.address: s.cfg.Limits.Address}
	keys := []string{res.account, res.address}
	slices.Sort(keys) // lock in one order: no deadlock between two reservations
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var wait time.Duration
		for _, k := range keys {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 7233))`, k); err != nil {
				return err
			}
			d, err := blockedFor(ctx, tx, k, limits[k], s.cfg.Limits.Window)
			if err != nil {
				return err
			}
			wait = max(wait, d)
		}
		if wait > 0 {
			return &ThrottledError{RetryAfter: wait}
		}
		for _, k := range keys {
			var id int64
			if err := tx.QueryRow(ctx, `INSERT INTO auth_failures (key) VALUES ($1) RETURNING id`, k).Scan(&id); err != nil {
				return err
			}
			res.ids = append(res.ids, id)
			if _, err := tx.Exec(ctx, `DELETE FROM auth_failures WHERE key = $1 AND at < now() - interval '1 day'`, k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		if te, ok := errors.AsType[*ThrottledError](err); ok {
			return reservation{}, te
		}
		return reservation{}, fmt.Errorf("count sign-in attempt: %w", err)
	}
	return res, nil
}

// blockedFor returns how long key stays at its limit: the time until the
// limit-th most recent failure leaves the window, or 0 when below the limit.
func blockedFor(ctx context.Context, q db.Querier, key string, limit int, window time.Duration) (time.Duration, error) {
	var secs float64
	err := q.QueryRow(ctx, `
		SELECT extract(epoch FROM at + make_interval(secs => $3) - now())::float8
		FROM auth_failures
		WHERE key = $1 AND at > now() - make_interval(secs => $3)
		ORDER BY at DESC OFFSET $2 - 1 LIMIT 1`, key, limit, window.Seconds()).Scan(&secs)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return max(time.Duration(secs*float64(time.Second)), time.Second), nil
}

// release removes a reservation: the guess was right, so it is no failure.
func release(ctx context.Context, q db.Querier, res reservation) error {
	if len(res.ids) == 0 {
		return nil
	}
	_, err := q.Exec(ctx, `DELETE FROM auth_failures WHERE id = ANY($1)`, res.ids)
	return err
}

// lockouts returns which of the reservation's keys reached their limit with
// this failure ("account", "address"), so the lockout is audited once.
func (s *Service) lockouts(ctx context.Context, q db.Querier, res reservation) ([]string, error) {
	var out []string
	for _, k := range []struct {
		scope, key string
		limit      int
	}{{"account", res.account, s.cfg.Limits.Account}, {"address", res.address, s.cfg.Limits.Address}} {
		var n int
		if err := q.QueryRow(ctx, `SELECT count(*) FROM auth_failures WHERE key = $1 AND at > now() - make_interval(secs => $2)`,
			k.key, s.cfg.Limits.Window.Seconds()).Scan(&n); err != nil {
			return nil, err
		}
		if n == k.limit {
			out = append(out, k.scope)
		}
	}
	return out, nil
}
