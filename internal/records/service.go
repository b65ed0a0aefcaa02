package records

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/jobs"
	"github.com/havenschools/haven/internal/validate"
)

// Service carries out the case-records use cases. Each exported method is
// one transaction, except where its comment says it streams.
type Service struct {
	pool    *pgxpool.Pool
	jobs    *jobs.Client
	baseURL string
	now     func() time.Time
}

// NewService returns a Service on pool that enqueues its jobs and emails
// on jobs (nil: exports are not run in the background, as in some tests),
// with links under baseURL.
func NewService(pool *pgxpool.Pool, jobs *jobs.Client, baseURL string) *Service {
	return &Service{pool: pool, jobs: jobs, baseURL: strings.TrimRight(baseURL, "/"), now: time.Now}
}

// UseJobs makes s enqueue its jobs and emails on c. The records workers
// are registered when c is built and enqueue too (the retention review and
// the transfer chase email the DSLs), so app.Build builds s first and gives
// it the client here, before c starts or s serves a request.
func (s *Service) UseJobs(c *jobs.Client) { s.jobs = c }

// WithClock returns a copy of s that takes the time from now (what is
// due, overdue or expired); the database's own clock still stamps rows.
func (s *Service) WithClock(now func() time.Time) *Service {
	c := *s
	c.now = now
	return &c
}

// isTeam reports whether by leads safeguarding in their school: a DSL or the head.
func isTeam(by actor.Actor) bool {
	return by.UserID != 0 && (by.Role == actor.DSL || by.Role == actor.Head)
}

// Settings returns the case-records settings of by's school (the defaults
// when it has changed none). Any member may read them.
func (s *Service) Settings(ctx context.Context, by actor.Actor) (Settings, error) {
	var st Settings
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var err error
		st, err = settings(ctx, tx, by.SchoolID)
		return err
	})
	if err != nil {
		return Settings{}, fmt.Errorf("records settings: %w", err)
	}
	return st, nil
}

func settings(ctx context.Context, q db.Querier, schoolID int64) (Settings, error) {
	st := DefaultSettings
	err := q.QueryRow(ctx, `SELECT export_approval, retention_years FROM records_settings WHERE school_id = $1`,
		schoolID).Scan(&st.ExportApproval, &st.RetentionYears)
	if errors.Is(err, pgx.ErrNoRows) {
		return DefaultSettings, nil
	}
	return st, err
}

// SetSettings changes the case-records settings of by's school. Only a DSL
// or the head may (an admin may not drop the approval of their own
// exports): anyone else gets ErrForbidden. Retention must be 6 to 100
// years (a problem for "retention_years"). Audited as records.settings_change.
func (s *Service) SetSettings(ctx context.Context, by actor.Actor, st Settings) error {
	if !isTeam(by) {
		return ErrForbidden
	}
	if st.RetentionYears < 6 || st.RetentionYears > 100 {
		return validate.Problems{"retention_years": "Enter a number of years from 6 to 100"}
	}
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		old, err := settings(ctx, tx, by.SchoolID)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO records_settings (school_id, export_approval, retention_years, updated_by)
			VALUES ($1, $2, $3, $4)
			ON CONFLICT (school_id) DO UPDATE SET export_approval = $2, retention_years = $3, updated_by = $4, updated_at = now()`,
			by.SchoolID, st.ExportApproval, st.RetentionYears, by.UserID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "records.settings_change", SubjectType: "school",
			SubjectID: fmt.Sprint(by.SchoolID), Details: map[string]any{
				"export_approval": st.ExportApproval, "export_approval_was": old.ExportApproval,
				"retention_years": st.RetentionYears, "retention_years_was": old.RetentionYears}})
	})
	if err != nil {
		return fmt.Errorf("change records settings: %w", err)
	}
	return nil
}
