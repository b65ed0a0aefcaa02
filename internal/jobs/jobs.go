// Package jobs builds Haven's River client: Postgres-backed background jobs
// (notifications, escalations, exports) that are enqueued in the same
// transaction as the change that causes them and survive restarts.
package jobs

import (
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/havenschools/haven/internal/notify"
)

// Client is the River client type Haven uses.
type Client = river.Client[pgx.Tx]

// Register adds a package's workers.
type Register func(*river.Workers)

// New returns a River client on pool with every queue Haven uses and the
// workers that register adds. Start it with Start(ctx); stop it with Stop.
func New(pool *pgxpool.Pool, log *slog.Logger, register ...Register) (*Client, error) {
	workers := river.NewWorkers()
	for _, r := range register {
		r(workers)
	}
	return river.NewClient(riverpgxv5.New(pool), &river.Config{
		Logger: log,
		Queues: map[string]river.QueueConfig{
			river.QueueDefault: {MaxWorkers: 10},
			notify.QueueEmail:  {MaxWorkers: 4},
		},
		Workers: workers,
	})
}
