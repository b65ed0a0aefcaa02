package db

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
)

// ErrUnavailable marks a failure to reach the database that the driver's
// error does not show by itself (the session store failing, say): wrap or
// join it, and Unavailable is true.
var ErrUnavailable = errors.New("database unavailable")

// Unavailable reports whether err comes from not reaching the database, as
// opposed to a query the database refused: ErrUnavailable, a deadline that
// passed, a connection that could not be made or was cut, or a server
// shutting down. The web layer answers it with 503, "nothing was saved".
func Unavailable(err error) bool {
	if errors.Is(err, ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// Class 08: connection exception; 57P: operator intervention (shutdown).
		return len(pgErr.Code) == 5 && (pgErr.Code[:2] == "08" || pgErr.Code[:3] == "57P")
	}
	var connErr *pgconn.ConnectError
	return errors.As(err, &connErr) || pgconn.SafeToRetry(err) || pgconn.Timeout(err)
}

// NotSent reports whether err shows that the statement never reached the
// database (no connection could be made, or the driver says it is safe to
// retry), so nothing it would have written can have been committed. When it
// is false after a commit was attempted, the commit may have happened.
func NotSent(err error) bool {
	var connErr *pgconn.ConnectError
	return pgconn.SafeToRetry(err) || errors.As(err, &connErr)
}
