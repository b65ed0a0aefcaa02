package records

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/validate"
)

// OperatorExport writes an export of a school's concerns straight to w for
// an operator (`haven export`): by is the system acting in the school, so
// every concern is included, restricted ones too. It is recorded like any
// export — listed for the DSL team with its reason, as asked for by an
// operator — and audited as export.request, then export.download once the
// file is written (never with the reason). progress is called after each
// batch. A request with problems is validate.Problems.
func (s *Service) OperatorExport(ctx context.Context, by actor.Actor, r Request, w io.Writer, progress func(done, total int)) (Export, error) {
	if by.Role != actor.System || by.SchoolID == 0 {
		return Export{}, ErrForbidden
	}
	var e Export
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		cats, err := categoryNames(ctx, tx, by.SchoolID)
		if err != nil {
			return err
		}
		if p := r.problems(cats); len(p) > 0 {
			return p
		}
		filters, _ := json.Marshal(r.Filter.Map())
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO exports (school_id, kind, format, filters, reason, requested_role, status, started_at)
			VALUES ($1, 'concerns', $2, $3, $4, 'system', 'running', now()) RETURNING id`,
			by.SchoolID, r.Format, filters, r.Reason).Scan(&id); err != nil {
			return err
		}
		if e, err = get(ctx, tx, by.SchoolID, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "export.request", SubjectType: "export", SubjectID: e.PublicID,
			Details: map[string]any{"format": string(r.Format), "filters": r.Filter.Map(), "approval": "operator"}})
	})
	if p, ok := errors.AsType[validate.Problems](err); ok {
		return Export{}, p
	}
	if err != nil {
		return Export{}, fmt.Errorf("operator export: %w", err)
	}
	h := sha256.New()
	cw := &countingWriter{w: io.MultiWriter(w, h)}
	n, err := s.writeConcerns(ctx, by, r.Format, r.Filter, r.Reason, cw, func(done, total int) error {
		if progress != nil {
			progress(done, total)
		}
		return nil
	})
	if err != nil {
		s.markFailed(ctx, by.SchoolID, e.ID)
		return Export{}, fmt.Errorf("operator export %s: %w", e.PublicID, err)
	}
	err = db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE exports SET status = 'ready', rows_done = $3, rows_total = $3, size_bytes = $4,
				sha256 = $5, ready_at = now(), expires_at = now(), downloads = 1, last_download_at = now()
			WHERE school_id = $1 AND id = $2`, by.SchoolID, e.ID, n, cw.n, h.Sum(nil)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "export.download", SubjectType: "export", SubjectID: e.PublicID,
			Details: map[string]any{"kind": string(KindConcerns), "format": string(r.Format), "bytes": cw.n, "concerns": n}})
	})
	if err != nil {
		return Export{}, fmt.Errorf("finish operator export %s: %w", e.PublicID, err)
	}
	e.RowsDone, e.RowsTotal, e.SizeBytes, e.Status = n, n, cw.n, Ready
	return e, nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
