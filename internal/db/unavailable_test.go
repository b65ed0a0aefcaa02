package db_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/havenschools/haven/internal/db"
)

// An outage is told from a query the database refused, through wrapping;
// a connection that was never made is an outage in which nothing was sent.
func TestUnavailableTellsAnOutageFromARefusal(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Port 1 on the loopback: nothing listens, the connection is refused.
	_, connErr := pgconn.Connect(ctx, "postgres://haven@127.0.0.1:1/haven?connect_timeout=5")
	if connErr == nil {
		t.Fatal("connected to port 1")
	}
	for _, c := range []struct {
		name              string
		err               error
		unavailable, sent bool
	}{
		{"no connection", fmt.Errorf("loading the queue: %w", connErr), true, false},
		{"marked", errors.Join(db.ErrUnavailable, errors.New("session store")), true, true},
		{"deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), true, true},
		{"connection cut", &pgconn.PgError{Code: "08006"}, true, true},
		{"server shutting down", fmt.Errorf("commit: %w", &pgconn.PgError{Code: "57P01"}), true, true},
		{"unique violation", &pgconn.PgError{Code: "23505"}, false, true},
		{"not found", db.ErrNotFound, false, true},
	} {
		if got := db.Unavailable(c.err); got != c.unavailable {
			t.Errorf("%s: Unavailable = %v, want %v", c.name, got, c.unavailable)
		}
		if got := db.NotSent(c.err); got == c.sent {
			t.Errorf("%s: NotSent = %v, want %v", c.name, got, !c.sent)
		}
	}
}
