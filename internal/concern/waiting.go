package concern

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/db"
)

// WaitingBand is how many concerns have waited a given time for a DSL to
// acknowledge them, across every school.
type WaitingBand struct {
	Band     string // "<15m", "15m-1h", "1h-24h" or ">24h"
	Concerns int64
}

// Waiting counts the concerns not yet acknowledged, across every school,
// by how long they have waited (all four bands, in that order, zeros
// included), for the server's metrics. It reads through the SQL function
// unacknowledged_concern_ages, which returns these counts and nothing else,
// so the app role needs no school set and sees no row.
func Waiting(ctx context.Context, q db.Querier) ([]WaitingBand, error) {
	rows, _ := q.Query(ctx, `SELECT band, concerns FROM unacknowledged_concern_ages()`)
	bands, err := pgx.CollectRows(rows, pgx.RowToStructByPos[WaitingBand])
	if err != nil {
		return nil, fmt.Errorf("unacknowledged concerns by age: %w", err)
	}
	return bands, nil
}
