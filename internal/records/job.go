package records

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db"
)

// ExportArgs is the background job that writes one export's file.
type ExportArgs struct {
	SchoolID int64 `json:"school_id"`
	ExportID int64 `json:"export_id"`
}

// Kind names the job for River.
func (ExportArgs) Kind() string { return "records_export" }

// InsertOpts: one job per export; a failed attempt starts the file again.
func (ExportArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// ExpirySweepArgs is the periodic job that deletes the files of exports
// older than Lifetime.
type ExpirySweepArgs struct{}

// Kind names the job for River.
func (ExpirySweepArgs) Kind() string { return "records_export_expiry" }

// AddWorkers registers the records workers: exports, their expiry and the
// daily retention review.
func (s *Service) AddWorkers(w *river.Workers) {
	river.AddWorker(w, &exportWorker{s: s})
	river.AddWorker(w, &expiryWorker{s: s})
	river.AddWorker(w, &retentionWorker{s: s})
	river.AddWorker(w, &transferChaseWorker{s: s})
}

// PeriodicJobs are the expiry sweep (hourly), the retention review
// (daily) and the transfer chase (every 6 hours, each transfer at most once
// a day), each also run once at start.
func (s *Service) PeriodicJobs() []*river.PeriodicJob {
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
			func() (river.JobArgs, *river.InsertOpts) { return ExpirySweepArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true}),
		river.NewPeriodicJob(river.PeriodicInterval(24*time.Hour),
			func() (river.JobArgs, *river.InsertOpts) { return RetentionReviewArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true}),
		river.NewPeriodicJob(river.PeriodicInterval(6*time.Hour),
			func() (river.JobArgs, *river.InsertOpts) { return TransferChaseArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true}),
	}
}

type exportWorker struct {
	river.WorkerDefaults[ExportArgs]
	s *Service
}

// Timeout: a very large school's export may take a while.
func (w *exportWorker) Timeout(*river.Job[ExportArgs]) time.Duration { return time.Hour }

// Work writes the export's file into export_chunks, reading the records
// as the person who asked for it (so row-level security leaves out what
// they may not see), batch by batch, updating the progress after each.
func (w *exportWorker) Work(ctx context.Context, job *river.Job[ExportArgs]) error {
	err := w.s.RunExport(ctx, job.Args.SchoolID, job.Args.ExportID)
	if err != nil && job.Attempt >= job.MaxAttempts {
		w.s.markFailed(ctx, job.Args.SchoolID, job.Args.ExportID)
	}
	return err
}

// RunExport writes the file of export id of a school, as its background
// job does (tests call it directly): nothing when the export is not queued
// or running. On success the export is ready, audited as export.ready.
func (s *Service) RunExport(ctx context.Context, schoolID, id int64) error {
	sys := actor.SystemIn(schoolID)
	var e Export
	err := db.InSchool(ctx, s.pool, sys, func(tx pgx.Tx) error {
		var err error
		if e, err = get(ctx, tx, schoolID, id); err != nil {
			return err
		}
		if e.Status != Queued && e.Status != Running {
			return nil
		}
		if _, err := tx.Exec(ctx, `DELETE FROM export_chunks WHERE school_id = $1 AND export_id = $2`, schoolID, id); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE exports SET status = 'running', started_at = now(), rows_done = 0
			WHERE school_id = $1 AND id = $2`, schoolID, id)
		return err
	})
	if errors.Is(err, db.ErrNotFound) || (err == nil && e.Status != Queued && e.Status != Running) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("start export %d: %w", id, err)
	}
	requester := actor.Actor{SchoolID: schoolID, Role: actor.Role(e.RequestedRole)}
	if e.RequestedBy != nil {
		requester.UserID = *e.RequestedBy
	}
	out := newChunkWriter(ctx, s.pool, sys, schoolID, id)
	progress := func(done, total int) error {
		return db.InSchool(ctx, s.pool, sys, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE exports SET rows_done = $3, rows_total = $4 WHERE school_id = $1 AND id = $2`,
				schoolID, id, done, total)
			return err
		})
	}
	n, err := s.writeConcerns(ctx, requester, e.Format, e.Filter, e.Reason, out, progress)
	if err == nil {
		err = out.Close()
	}
	if err != nil {
		return fmt.Errorf("write export %d: %w", id, err)
	}
	err = db.InSchool(ctx, s.pool, sys, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE exports SET status = 'ready', rows_done = $3, rows_total = $3, size_bytes = $4,
				sha256 = $5, ready_at = now(), expires_at = now() + $6::interval
			WHERE school_id = $1 AND id = $2`, schoolID, id, n, out.size, out.sum(), fmt.Sprintf("%d seconds", int(Lifetime.Seconds()))); err != nil {
			return err
		}
		return audit.Record(ctx, tx, sys, audit.Event{Action: "export.ready", SubjectType: "export", SubjectID: e.PublicID,
			Details: map[string]any{"concerns": n, "bytes": out.size}})
	})
	if err != nil {
		return fmt.Errorf("finish export %d: %w", id, err)
	}
	return nil
}

// markFailed records that an export's last attempt failed.
func (s *Service) markFailed(ctx context.Context, schoolID, id int64) {
	sys := actor.SystemIn(schoolID)
	_ = db.InSchool(context.WithoutCancel(ctx), s.pool, sys, func(tx pgx.Tx) error {
		var pub string
		if err := tx.QueryRow(ctx, `UPDATE exports SET status = 'failed', failure = 'The export could not be written.'
			WHERE school_id = $1 AND id = $2 RETURNING public_id::text`, schoolID, id).Scan(&pub); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM export_chunks WHERE school_id = $1 AND export_id = $2`, schoolID, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, sys, audit.Event{Action: "export.fail", SubjectType: "export", SubjectID: pub})
	})
}

// writeConcerns writes the concerns by may see that f selects to w in
// format, reading them in one transaction (one consistent snapshot) in
// batches, and calls progress after each batch. It returns how many
// concerns it wrote.
func (s *Service) writeConcerns(ctx context.Context, by actor.Actor, format Format, f Filter, reason string, w io.Writer,
	progress func(done, total int) error) (int, error) {
	enc, err := newEncoder(format, w, spreadsheetLabels)
	if err != nil {
		return 0, err
	}
	done := 0
	err = db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var schoolName string
		if err := tx.QueryRow(ctx, `SELECT name FROM schools WHERE id = $1`, by.SchoolID).Scan(&schoolName); err != nil {
			return err
		}
		total, err := countConcerns(ctx, tx, by.SchoolID, f)
		if err != nil {
			return err
		}
		if err := progress(0, total); err != nil {
			return err
		}
		if err := enc.begin(Header{Format: "haven.concerns", Version: FormatVersion, School: schoolName,
			GeneratedAt: s.now().UTC().Truncate(time.Second), Reason: reason, Filters: f.Map(), Total: total}); err != nil {
			return err
		}
		err = eachConcern(ctx, tx, by.SchoolID, f, enc.concern, func(n int) error {
			done += n
			return progress(done, max(total, done))
		})
		if err != nil {
			return err
		}
		return enc.end()
	})
	return done, err
}

// chunkSize is the size of a stored chunk of an export's file.
const chunkSize = 1 << 20

// chunkWriter stores what is written to it as numbered chunks of an
// export's file, each in its own short transaction, keeping one chunk in
// memory.
type chunkWriter struct {
	ctx      context.Context
	pool     *pgxpool.Pool
	by       actor.Actor
	schoolID int64
	exportID int64
	buf      []byte
	seq      int
	size     int64
	h        hash.Hash
}

func newChunkWriter(ctx context.Context, pool *pgxpool.Pool, by actor.Actor, schoolID, exportID int64) *chunkWriter {
	return &chunkWriter{ctx: ctx, pool: pool, by: by, schoolID: schoolID, exportID: exportID,
		buf: make([]byte, 0, chunkSize), h: sha256.New()}
}

func (c *chunkWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		room := chunkSize - len(c.buf)
		take := min(room, len(p))
		c.buf = append(c.buf, p[:take]...)
		p = p[take:]
		if len(c.buf) == chunkSize {
			if err := c.flush(); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

func (c *chunkWriter) flush() error {
	if len(c.buf) == 0 {
		return nil
	}
	err := db.InSchool(c.ctx, c.pool, c.by, func(tx pgx.Tx) error {
		_, err := tx.Exec(c.ctx, `INSERT INTO export_chunks (school_id, export_id, seq, data) VALUES ($1, $2, $3, $4)`,
			c.schoolID, c.exportID, c.seq, c.buf)
		return err
	})
	if err != nil {
		return err
	}
	c.h.Write(c.buf)
	c.size += int64(len(c.buf))
	c.seq++
	c.buf = c.buf[:0]
	return nil
}

// Close stores what is left.
func (c *chunkWriter) Close() error { return c.flush() }

func (c *chunkWriter) sum() []byte { return c.h.Sum(nil) }

type expiryWorker struct {
	river.WorkerDefaults[ExpirySweepArgs]
	s *Service
}

// Work deletes the files of every school's exports that have expired, and
// marks them expired (the rows stay, as the record). Audited as export.expire.
func (w *expiryWorker) Work(ctx context.Context, _ *river.Job[ExpirySweepArgs]) error {
	return w.s.ExpireExports(ctx)
}

// ExpireExports deletes the files of every school's exports older than
// Lifetime and marks them expired, one transaction per school.
func (s *Service) ExpireExports(ctx context.Context) error {
	schools, err := schoolIDs(ctx, s.pool)
	if err != nil {
		return err
	}
	now := s.now()
	for _, school := range schools {
		sys := actor.SystemIn(school)
		err := db.InSchool(ctx, s.pool, sys, func(tx pgx.Tx) error {
			rows, _ := tx.Query(ctx, `UPDATE exports SET status = 'expired'
				WHERE school_id = $1 AND status = 'ready' AND expires_at <= $2 RETURNING id, public_id::text`, school, now)
			type expired struct {
				ID     int64
				Public string
			}
			list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[expired])
			if err != nil {
				return err
			}
			for _, e := range list {
				if _, err := tx.Exec(ctx, `DELETE FROM export_chunks WHERE school_id = $1 AND export_id = $2`, school, e.ID); err != nil {
					return err
				}
				if err := audit.Record(ctx, tx, sys, audit.Event{Action: "export.expire", SubjectType: "export", SubjectID: e.Public}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("expire exports of school %d: %w", school, err)
		}
	}
	return nil
}

// schoolIDs lists every school (schools is not a tenant table).
func schoolIDs(ctx context.Context, pool *pgxpool.Pool) ([]int64, error) {
	rows, _ := pool.Query(ctx, `SELECT id FROM schools ORDER BY id`)
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}
