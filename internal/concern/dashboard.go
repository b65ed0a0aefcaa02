package concern

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/when"
)

// Figures are the DSL's dashboard: the last 12 months of a school's
// concerns (those entered in error left out) — how many of each category
// each month, how long they waited to be acknowledged, and how many are
// open and closed. Counts only: no score, no risk.
type Figures struct {
	// Months are the first days of the 12 months, oldest first (London).
	Months []time.Time
	// Categories has a row per category with concerns in the window,
	// in the school's order, then "Not yet categorised". A concern with
	// two categories counts in both.
	Categories []CategoryCounts
	// Acknowledge is the time from recording to acknowledgement of the
	// concerns acknowledged, over the whole window and by month.
	Acknowledge AckTimes
	ByMonth     []AckTimes // per month, as Months
	// ByStatus counts the concerns recorded in the window by status now.
	ByStatus map[Status]int
}

// Open is how many of the window's concerns are not closed.
func (f Figures) Open() int {
	return f.ByStatus[Submitted] + f.ByStatus[Acknowledged] + f.ByStatus[InProgress]
}

// Closed is how many of the window's concerns are closed.
func (f Figures) Closed() int { return f.ByStatus[Closed] }

// CategoryCounts is one category's concerns per month.
type CategoryCounts struct {
	Name   string
	Counts []int // as Figures.Months
	Total  int
}

// AckTimes summarises times to acknowledge.
type AckTimes struct {
	Count  int
	Median time.Duration
	P90    time.Duration
}

// Figures returns the dashboard figures of by's school at now. For its
// DSLs only (anyone else: db.ErrNotFound); restricted concerns count only
// for the DSLs who may see them. Audited as dashboard.view.
func (s *Service) Figures(ctx context.Context, by actor.Actor) (Figures, error) {
	if !isDSL(by) {
		return Figures{}, db.ErrNotFound
	}
	now := s.now().In(when.London())
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, when.London()).AddDate(0, -11, 0)
	f := Figures{ByStatus: map[Status]int{}}
	index := map[string]int{}
	for i := range 12 {
		m := first.AddDate(0, i, 0)
		f.Months = append(f.Months, m)
		index[m.Format("2006-01")] = i
	}
	f.ByMonth = make([]AckTimes, 12)
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		cats, err := categoryNames(ctx, tx, by.SchoolID)
		if err != nil {
			return err
		}
		rows, _ := tx.Query(ctx, `SELECT to_char(c.created_at AT TIME ZONE 'Europe/London', 'YYYY-MM'), k.key, count(*)
			FROM concerns c
			CROSS JOIN LATERAL unnest(CASE WHEN cardinality(c.categories) = 0 THEN ARRAY[''] ELSE c.categories END) AS k (key)
			WHERE c.school_id = $1 AND c.entered_in_error_at IS NULL AND c.created_at >= $2
			  AND concern_visible_to(c.school_id, c.id, c.restricted, $3)
			GROUP BY 1, 2`, by.SchoolID, first, by.UserID)
		counts := map[string][]int{}
		var month, key string
		var n int
		if _, err := pgx.ForEachRow(rows, []any{&month, &key, &n}, func() error {
			if _, ok := counts[key]; !ok {
				counts[key] = make([]int, 12)
			}
			if i, ok := index[month]; ok {
				counts[key][i] += n
			}
			return nil
		}); err != nil {
			return err
		}
		order, err := categoryOrder(ctx, tx, by.SchoolID)
		if err != nil {
			return err
		}
		order = append(order, "")
		for _, k := range order {
			c, ok := counts[k]
			if !ok {
				continue
			}
			name := cats.name(k)
			if k == "" {
				name = "Not yet categorised"
			}
			row := CategoryCounts{Name: name, Counts: c}
			for _, v := range c {
				row.Total += v
			}
			f.Categories = append(f.Categories, row)
		}

		rows, _ = tx.Query(ctx, `SELECT coalesce(to_char(created_at AT TIME ZONE 'Europe/London', 'YYYY-MM'), ''), count(*),
				coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM acknowledged_at - created_at)), 0),
				coalesce(percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM acknowledged_at - created_at)), 0)
			FROM concerns
			WHERE school_id = $1 AND entered_in_error_at IS NULL AND created_at >= $2 AND acknowledged_at IS NOT NULL
			  AND concern_visible_to(school_id, id, restricted, $3)
			GROUP BY GROUPING SETS ((to_char(created_at AT TIME ZONE 'Europe/London', 'YYYY-MM')), ())`, by.SchoolID, first, by.UserID)
		var median, p90 float64
		if _, err := pgx.ForEachRow(rows, []any{&month, &n, &median, &p90}, func() error {
			t := AckTimes{Count: n, Median: seconds(median), P90: seconds(p90)}
			if month == "" {
				f.Acknowledge = t
			} else if i, ok := index[month]; ok {
				f.ByMonth[i] = t
			}
			return nil
		}); err != nil {
			return err
		}

		rows, _ = tx.Query(ctx, `SELECT status, count(*) FROM concerns
			WHERE school_id = $1 AND entered_in_error_at IS NULL AND created_at >= $2
			  AND concern_visible_to(school_id, id, restricted, $3) GROUP BY status`, by.SchoolID, first, by.UserID)
		var st Status
		if _, err := pgx.ForEachRow(rows, []any{&st, &n}, func() error {
			f.ByStatus[st] = n
			return nil
		}); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "dashboard.view"})
	})
	if err != nil {
		return Figures{}, fmt.Errorf("dashboard figures: %w", err)
	}
	return f, nil
}

func seconds(s float64) time.Duration {
	return time.Duration(s * float64(time.Second)).Round(time.Second)
}

// categoryOrder returns the school's category keys in its order.
func categoryOrder(ctx context.Context, q db.Querier, schoolID int64) ([]string, error) {
	rows, _ := q.Query(ctx, `SELECT key FROM concern_categories WHERE school_id = $1 ORDER BY active DESC, position, id`, schoolID)
	return pgx.CollectRows(rows, pgx.RowTo[string])
}
