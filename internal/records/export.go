package records

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/concern"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/fail"
	"github.com/havenschools/haven/internal/notify"
	"github.com/havenschools/haven/internal/validate"
)

// ErrOwnRequest means a person tried to approve or refuse their own export.
var ErrOwnRequest = fail.New(fail.Forbidden, "an export cannot be approved by the person who asked for it")

// Request is an export of the school's concerns as asked for.
type Request struct {
	Format Format
	Filter Filter
	Reason string
}

// MaxReason is the longest reason, in bytes.
const MaxReason = 2000

// problems checks r against the school's categories.
func (r *Request) problems(categories categoryMap) validate.Problems {
	p := validate.Problems{}
	if !r.Format.Valid() {
		p.Add("format", "Choose a format")
	}
	r.Reason = strings.TrimSpace(r.Reason)
	if msg := validate.Text(r.Reason, "why you need this export", true, MaxReason); msg != "" {
		p.Add("reason", msg)
	}
	if r.Filter.Status != "" && !slices.Contains(concern.Statuses(), concern.Status(r.Filter.Status)) {
		p.Add("status", "Choose a status from the list")
	}
	if _, ok := categories[r.Filter.Category]; r.Filter.Category != "" && !ok {
		p.Add("category", "Choose a category from the list")
	}
	if !r.Filter.From.IsZero() && !r.Filter.To.IsZero() && r.Filter.To.Before(r.Filter.From) {
		p.Add("to", "The end date must be the same as or after the start date")
	}
	return p
}

// RequestExport asks for an export of by's school's concerns, with a
// reason. A DSL's or the head's export is queued at once; an admin's waits
// for a DSL's or the head's approval (they are emailed a link, nothing
// more) unless the school dropped the approval. Anyone else gets
// ErrForbidden; a request with problems is validate.Problems. Audited as
// export.request (never with the reason, which may name a child).
func (s *Service) RequestExport(ctx context.Context, by actor.Actor, r Request) (Export, error) {
	if by.UserID == 0 || (by.Role != actor.Admin && !isTeam(by)) {
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
		st, err := settings(ctx, tx, by.SchoolID)
		if err != nil {
			return err
		}
		status, approval := Queued, "direct"
		if by.Role == actor.Admin {
			approval = "not_required"
			if st.ExportApproval {
				status, approval = AwaitingApproval, "required"
			}
		}
		filters, _ := json.Marshal(r.Filter.Map())
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO exports (school_id, kind, format, filters, reason, requested_by, requested_role, status)
			VALUES ($1, 'concerns', $2, $3, $4, $5, $6, $7) RETURNING id`,
			by.SchoolID, r.Format, filters, r.Reason, by.UserID, by.Role, status).Scan(&id); err != nil {
			return err
		}
		if e, err = get(ctx, tx, by.SchoolID, id); err != nil {
			return err
		}
		if status == Queued {
			if err := s.enqueue(ctx, tx, e); err != nil {
				return err
			}
		} else if err := s.askApprovers(ctx, tx, by.SchoolID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "export.request", SubjectType: "export", SubjectID: e.PublicID,
			Details: map[string]any{"format": string(r.Format), "filters": r.Filter.Map(), "approval": approval, "reason": r.Reason}})
	})
	if p, ok := errors.AsType[validate.Problems](err); ok {
		return Export{}, p
	}
	if err != nil {
		return Export{}, fmt.Errorf("request export: %w", err)
	}
	return e, nil
}

// enqueue starts the export's job when tx commits.
func (s *Service) enqueue(ctx context.Context, tx pgx.Tx, e Export) error {
	if s.jobs == nil {
		return nil
	}
	_, err := s.jobs.InsertTx(ctx, tx, ExportArgs{SchoolID: e.SchoolID, ExportID: e.ID}, nil)
	return err
}

// askApprovers emails the school's DSLs and heads that an export waits for
// their approval: a link, never who or what it is about.
func (s *Service) askApprovers(ctx context.Context, tx pgx.Tx, schoolID int64) error {
	if s.jobs == nil {
		return nil
	}
	rows, _ := tx.Query(ctx, `SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.school_id = $1 AND m.role IN ('dsl', 'head') AND m.deactivated_at IS NULL ORDER BY u.id`, schoolID)
	emails, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	var jobs []river.InsertManyParams
	for _, to := range emails {
		jobs = append(jobs, river.InsertManyParams{Args: notify.EmailArgs{To: to,
			Subject: "An export of case records is waiting for your approval",
			Text: "An admin has asked to export case records from Haven. It needs a DSL's or the head's approval " +
				"before it runs.\n\nSee the request and approve or refuse it (you will be asked to sign in):\n" +
				s.baseURL + "/exports\n\nFor the children's safety this email holds no details of the request.\n"}})
	}
	if len(jobs) == 0 {
		return nil
	}
	_, err = s.jobs.InsertManyTx(ctx, tx, jobs)
	return err
}

// DecideExport approves or refuses an admin's export of by's school that
// waits for approval. Only a DSL or the head may (ErrForbidden), never for
// their own request (ErrOwnRequest); refusing needs a note (a problem for
// "note"). Approving queues the export. An unknown export, or one not
// waiting, is db.ErrNotFound. Audited as export.approve or export.reject.
func (s *Service) DecideExport(ctx context.Context, by actor.Actor, publicID string, approve bool, note string) error {
	if !isTeam(by) {
		return ErrForbidden
	}
	note = strings.TrimSpace(note)
	if msg := validate.Text(note, "why you are refusing it", !approve, MaxReason); msg != "" {
		return validate.Problems{"note": msg}
	}
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		e, err := getByPublicID(ctx, tx, by.SchoolID, publicID, true)
		if err != nil {
			return err
		}
		if e.Status != AwaitingApproval {
			return db.ErrNotFound
		}
		if e.RequestedBy != nil && *e.RequestedBy == by.UserID {
			return ErrOwnRequest
		}
		status, action := Rejected, "export.reject"
		if approve {
			status, action = Queued, "export.approve"
		}
		if _, err := tx.Exec(ctx, `UPDATE exports SET status = $3, decided_by = $4, decided_at = now(), decision_note = $5
			WHERE school_id = $1 AND id = $2`, by.SchoolID, e.ID, status, by.UserID, note); err != nil {
			return err
		}
		if approve {
			if err := s.enqueue(ctx, tx, e); err != nil {
				return err
			}
		}
		details := map[string]any{"reason": e.Reason}
		if note != "" {
			details["note"] = note
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: action, SubjectType: "export", SubjectID: e.PublicID, Details: details})
	})
	if err != nil && !errors.Is(err, db.ErrNotFound) && !errors.Is(err, ErrOwnRequest) {
		return fmt.Errorf("decide export %s: %w", publicID, err)
	}
	return err
}

// Exports lists the exports of by's school, newest first: every export for
// the DSL team (DSLs and the head), so that each request, approval and
// download is seen; an admin's own for an admin. Anyone else gets
// ErrForbidden. Not audited: the list holds no case detail.
func (s *Service) Exports(ctx context.Context, by actor.Actor) ([]Export, error) {
	if by.UserID == 0 || (by.Role != actor.Admin && !isTeam(by)) {
		return nil, ErrForbidden
	}
	var out []Export
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		// The DSL team sees every export; an admin their own.
		cond := `e.school_id = $1 AND ($2::bigint = 0 OR e.requested_by = $2)`
		mineOnly := by.UserID
		if isTeam(by) {
			mineOnly = 0
		}
		rows, _ := tx.Query(ctx, `SELECT `+exportColumns+` FROM exports e `+exportJoins+`
			WHERE `+cond+` ORDER BY e.requested_at DESC, e.id DESC LIMIT 200`, by.SchoolID, mineOnly)
		var err error
		out, err = pgx.CollectRows(rows, scanExport)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list exports: %w", err)
	}
	return out, nil
}

// Export returns one export of by's school: to the person who asked for
// it, and to the DSL team. Anyone else, or an unknown id, gets
// db.ErrNotFound. Not audited (its file is; see Open).
func (s *Service) Export(ctx context.Context, by actor.Actor, publicID string) (Export, error) {
	var e Export
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var err error
		e, err = getByPublicID(ctx, tx, by.SchoolID, publicID, false)
		if err != nil {
			return err
		}
		if !mine(by, e) && !isTeam(by) {
			return db.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return Export{}, fmt.Errorf("export %s: %w", publicID, err)
	}
	return e, nil
}

func mine(by actor.Actor, e Export) bool {
	return by.UserID != 0 && e.RequestedBy != nil && *e.RequestedBy == by.UserID
}

// Open readies the download of an export's file: only the person who
// asked for it may (anyone else, another school or an unknown id:
// db.ErrNotFound), once it is ready (ErrNotReady) and for 7 days
// (ErrExpired). It counts and audits the download (export.download); then
// WriteFile streams the file.
func (s *Service) Open(ctx context.Context, by actor.Actor, publicID string) (Export, error) {
	var e Export
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var err error
		if e, err = getByPublicID(ctx, tx, by.SchoolID, publicID, true); err != nil {
			return err
		}
		switch {
		case !mine(by, e):
			return db.ErrNotFound
		case e.Status == Expired || (e.Status == Ready && e.ExpiresAt != nil && !s.now().Before(*e.ExpiresAt)):
			return ErrExpired
		case e.Status != Ready:
			return ErrNotReady
		}
		if _, err := tx.Exec(ctx, `UPDATE exports SET downloads = downloads + 1, last_download_at = now()
			WHERE school_id = $1 AND id = $2`, by.SchoolID, e.ID); err != nil {
			return err
		}
		e.Downloads++
		return audit.Record(ctx, tx, by, audit.Event{Action: "export.download", SubjectType: "export", SubjectID: e.PublicID,
			Details: map[string]any{"kind": string(e.Kind), "format": string(e.Format), "bytes": e.SizeBytes, "reason": e.Reason}})
	})
	if err != nil && !errors.Is(err, db.ErrNotFound) && !errors.Is(err, ErrExpired) && !errors.Is(err, ErrNotReady) {
		return Export{}, fmt.Errorf("open export %s: %w", publicID, err)
	}
	return e, err
}

// WriteFile writes the file of an export that Open readied to w, one
// stored chunk at a time (memory holds one chunk). It streams: each chunk
// is read in its own short transaction.
func (s *Service) WriteFile(ctx context.Context, by actor.Actor, e Export, w io.Writer) error {
	for seq := 0; ; seq++ {
		var data []byte
		err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
			return tx.QueryRow(ctx, `SELECT data FROM export_chunks WHERE school_id = $1 AND export_id = $2 AND seq = $3`,
				by.SchoolID, e.ID, seq).Scan(&data)
		})
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read export %s chunk %d: %w", e.PublicID, seq, err)
		}
		if _, err := w.Write(data); err != nil {
			return err
		}
	}
}

const exportColumns = `e.id, e.public_id::text, e.school_id, e.kind, e.format, e.child_id, e.filters, e.reason, e.requested_by,
	coalesce(ru.name, CASE WHEN e.requested_role = 'system' THEN 'An operator (haven export)' ELSE '' END), e.requested_role,
	e.requested_at, e.status, coalesce(du.name, ''), e.decided_at, e.decision_note, e.rows_total, e.rows_done,
	e.size_bytes, e.ready_at, e.expires_at, e.downloads, e.last_download_at`

const exportJoins = `LEFT JOIN users ru ON ru.id = e.requested_by LEFT JOIN users du ON du.id = e.decided_by`

func scanExport(row pgx.CollectableRow) (Export, error) {
	var e Export
	var filters map[string]string
	err := row.Scan(&e.ID, &e.PublicID, &e.SchoolID, &e.Kind, &e.Format, &e.ChildID, &filters, &e.Reason, &e.RequestedBy,
		&e.RequestedName, &e.RequestedRole, &e.RequestedAt, &e.Status, &e.DecidedName, &e.DecidedAt, &e.DecisionNote,
		&e.RowsTotal, &e.RowsDone, &e.SizeBytes, &e.ReadyAt, &e.ExpiresAt, &e.Downloads, &e.LastDownloadAt)
	e.Filter = filterFrom(filters)
	return e, err
}

// get returns the export id of school, or db.ErrNotFound.
func get(ctx context.Context, q db.Querier, schoolID, id int64) (Export, error) {
	rows, _ := q.Query(ctx, `SELECT `+exportColumns+` FROM exports e `+exportJoins+`
		WHERE e.school_id = $1 AND e.id = $2`, schoolID, id)
	e, err := pgx.CollectExactlyOneRow(rows, scanExport)
	if errors.Is(err, pgx.ErrNoRows) {
		return Export{}, db.ErrNotFound
	}
	return e, err
}

// getByPublicID returns the export of school with the public id (locked
// when lock is set), or db.ErrNotFound — a malformed id too.
func getByPublicID(ctx context.Context, q db.Querier, schoolID int64, publicID string, lock bool) (Export, error) {
	if !concern.ValidSubmissionID(publicID) {
		return Export{}, db.ErrNotFound
	}
	var id int64
	sql := `SELECT id FROM exports WHERE school_id = $1 AND public_id = $2`
	if lock {
		sql += ` FOR UPDATE`
	}
	if err := q.QueryRow(ctx, sql, schoolID, publicID).Scan(&id); errors.Is(err, pgx.ErrNoRows) {
		return Export{}, db.ErrNotFound
	} else if err != nil {
		return Export{}, err
	}
	return get(ctx, q, schoolID, id)
}
