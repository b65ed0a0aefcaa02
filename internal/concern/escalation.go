package concern

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/notify"
	"github.com/havenschools/haven/internal/paths"
	"github.com/havenschools/haven/internal/when"
)

// Escalation: a concern nobody has acknowledged escalates to the school's
// DSL team and its head — after the school's urgent limit (default 15
// minutes) when the child was said to be in immediate danger, after its
// ordinary limit (default 24 hours) otherwise — and again each limit after,
// until a DSL acknowledges it. The emails carry a link only.
//
// Each round is a River job scheduled when it falls due, enqueued in the
// transaction that stores the concern (round 1) or sends the round before,
// so escalation survives restarts. A round is recorded in
// concern_escalations in the transaction that enqueues its emails, so it
// is sent once however often its job runs; jobs are unique by their
// arguments. A periodic sweep re-enqueues the next round of any
// unacknowledged concern whose job went missing.

// EscalationArgs is the job of one round of escalation of one concern.
type EscalationArgs struct {
	SchoolID  int64 `json:"school_id"`
	ConcernID int64 `json:"concern_id"`
	Round     int   `json:"round"`
}

// Kind names the job for River.
func (EscalationArgs) Kind() string { return "concern_escalation" }

// InsertOpts makes one job per concern and round.
func (EscalationArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 25, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// EscalationSweepArgs is the periodic job that makes sure every
// unacknowledged concern has its next round scheduled.
type EscalationSweepArgs struct{}

// Kind names the job for River.
func (EscalationSweepArgs) Kind() string { return "concern_escalation_sweep" }

// Escalator runs escalation jobs. Build it with NewEscalator and register
// its workers with AddWorkers and its sweep with PeriodicJob.
type Escalator struct {
	pool    *pgxpool.Pool
	baseURL string
	now     func() time.Time
}

// NewEscalator returns an Escalator working on pool, with links under
// baseURL. now is its clock (nil: time.Now); a test passes River's time
// stub so that jobs and rounds move with it.
func NewEscalator(pool *pgxpool.Pool, baseURL string, now func() time.Time) *Escalator {
	if now == nil {
		now = time.Now
	}
	return &Escalator{pool: pool, baseURL: strings.TrimRight(baseURL, "/"), now: now}
}

// AddWorkers registers the escalation workers.
func (e *Escalator) AddWorkers(w *river.Workers) {
	river.AddWorker(w, &escalationWorker{e: e})
	river.AddWorker(w, &sweepWorker{e: e})
}

// SweepInterval is how often the sweep runs.
const SweepInterval = 10 * time.Minute

// PeriodicJob is the sweep, every SweepInterval and once at start.
func (e *Escalator) PeriodicJob() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(SweepInterval),
		func() (river.JobArgs, *river.InsertOpts) { return EscalationSweepArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}

// escalationLimit is how long a concern of the school may wait before each
// round: the urgent limit when a child is in immediate danger.
func escalationLimit(ctx context.Context, q db.Querier, schoolID int64, inDanger bool) (time.Duration, error) {
	var urgent, other int
	err := q.QueryRow(ctx, `SELECT urgent_escalation_minutes, escalation_minutes FROM school_settings WHERE school_id = $1`,
		schoolID).Scan(&urgent, &other)
	if errors.Is(err, pgx.ErrNoRows) {
		urgent, other, err = 15, 24*60, nil
	}
	if inDanger {
		return time.Duration(urgent) * time.Minute, err
	}
	return time.Duration(other) * time.Minute, err
}

// scheduleEscalation enqueues, in tx, the first round of escalation of a
// concern just submitted: it runs when the school's limit has passed.
func (s *Service) scheduleEscalation(ctx context.Context, tx pgx.Tx, schoolID, concernID int64, created time.Time, inDanger bool) error {
	if s.jobs == nil {
		return nil
	}
	limit, err := escalationLimit(ctx, tx, schoolID, inDanger)
	if err != nil {
		return err
	}
	_, err = s.jobs.InsertTx(ctx, tx, EscalationArgs{SchoolID: schoolID, ConcernID: concernID, Round: 1},
		&river.InsertOpts{ScheduledAt: created.Add(limit)})
	return err
}

type escalationWorker struct {
	river.WorkerDefaults[EscalationArgs]
	e *Escalator
}

// Work sends a round of escalation if the concern is still unacknowledged
// and the round is due (it waits when the school's limit has grown since
// the job was scheduled), and schedules the next round.
func (w *escalationWorker) Work(ctx context.Context, job *river.Job[EscalationArgs]) error {
	a := job.Args
	by := actor.SystemIn(a.SchoolID)
	client, err := river.ClientFromContextSafely[pgx.Tx](ctx)
	if err != nil {
		return err
	}
	var wait time.Duration
	err = db.InSchool(ctx, w.e.pool, by, func(tx pgx.Tx) error {
		var c struct {
			Ref        string
			Status     Status
			InDanger   bool
			InError    bool
			Restricted bool
			CreatedAt  time.Time
			RecordedBy int64
		}
		err := tx.QueryRow(ctx, `SELECT ref, status, in_danger, entered_in_error_at IS NOT NULL, restricted, created_at, recorded_by
			FROM concerns WHERE school_id = $1 AND id = $2 FOR UPDATE`, a.SchoolID, a.ConcernID).
			Scan(&c.Ref, &c.Status, &c.InDanger, &c.InError, &c.Restricted, &c.CreatedAt, &c.RecordedBy)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if c.Status != Submitted || c.InError {
			return nil // acknowledged: escalation is over
		}
		limit, err := escalationLimit(ctx, tx, a.SchoolID, c.InDanger)
		if err != nil {
			return err
		}
		now := w.e.now()
		if due := c.CreatedAt.Add(time.Duration(a.Round) * limit); now.Before(due) {
			wait = due.Sub(now)
			return nil
		}
		recipients, err := escalationRecipients(ctx, tx, a.SchoolID, a.ConcernID, c.Restricted, c.RecordedBy)
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO concern_escalations (school_id, concern_id, round, escalated_at, recipients)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, a.SchoolID, a.ConcernID, a.Round, now, len(recipients))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 1 { // this round is ours to send
			waited := now.Sub(c.CreatedAt)
			var emails []river.InsertManyParams
			for _, r := range recipients {
				m := EscalationEmail(w.e.baseURL, c.Ref, c.InDanger, c.CreatedAt, waited, r.head)
				emails = append(emails, river.InsertManyParams{Args: notify.EmailArgs{To: r.email, Subject: m.Subject, Text: m.Text}})
			}
			if len(emails) > 0 {
				if _, err := client.InsertManyTx(ctx, tx, emails); err != nil {
					return err
				}
			}
			if err := audit.Record(ctx, tx, by, auditEvent("concern.escalate", c.Ref,
				map[string]any{"round": a.Round, "recipients": len(recipients)})); err != nil {
				return err
			}
		}
		nextAt := c.CreatedAt.Add(time.Duration(a.Round+1) * limit)
		if soonest := now.Add(limit); nextAt.Before(soonest) { // after a delay, rounds keep a limit apart
			nextAt = soonest
		}
		_, err = client.InsertTx(ctx, tx, EscalationArgs{SchoolID: a.SchoolID, ConcernID: a.ConcernID, Round: a.Round + 1},
			&river.InsertOpts{ScheduledAt: nextAt})
		return err
	})
	if err != nil {
		return fmt.Errorf("escalate concern %d round %d: %w", a.ConcernID, a.Round, err)
	}
	if wait > 0 {
		return river.JobSnooze(wait)
	}
	return nil
}

type recipient struct {
	email string
	head  bool
}

// escalationRecipients are the school's active DSLs who may see the concern
// (not excluded; named, when it is restricted) and its heads, but the
// person who recorded it (recorder), who knows of it already.
func escalationRecipients(ctx context.Context, q db.Querier, schoolID, concernID int64, restricted bool, recorder int64) ([]recipient, error) {
	rows, _ := q.Query(ctx, `SELECT u.email, m.role = 'head' FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.school_id = $1 AND m.deactivated_at IS NULL AND m.user_id <> $4 AND (m.role = 'head' OR (m.role = 'dsl'
			AND NOT EXISTS (SELECT 1 FROM concern_access a WHERE a.school_id = m.school_id AND a.concern_id = $2
			                AND a.user_id = m.user_id AND a.kind = 'excluded')
			AND (NOT $3 OR EXISTS (SELECT 1 FROM concern_access a WHERE a.school_id = m.school_id AND a.concern_id = $2
			                AND a.user_id = m.user_id AND a.kind = 'named'))))
		ORDER BY m.role, u.id`, schoolID, concernID, restricted, recorder)
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (recipient, error) {
		var x recipient
		err := r.Scan(&x.email, &x.head)
		return x, err
	})
}

// EscalationEmail is the email of a round of escalation: when the concern
// was recorded, how long it has waited, and a link — never a child's name,
// a category or any text of the concern. The head, who does not triage
// concerns, is asked to make sure a DSL opens it.
func EscalationEmail(baseURL, ref string, inDanger bool, created time.Time, waited time.Duration, head bool) notify.Message {
	subject := "Safeguarding concern not yet acknowledged"
	if inDanger {
		subject = "URGENT: concern about a child in immediate danger not yet acknowledged"
	}
	text := "A safeguarding concern recorded in Haven at " + when.Moment(created) +
		" has not been acknowledged by a DSL after " + WaitedWords(waited) + ".\n\n"
	if inDanger {
		text += "The person who recorded it said a child is in immediate danger.\n\n"
	}
	if head {
		text += "You are told as the head: please make sure a DSL opens it now. Haven:\n" + baseURL + "/\n\n"
	} else {
		text += "Open it and acknowledge it (you will be asked to sign in):\n" + baseURL + paths.Concern(ref) + "\n\n"
	}
	text += "You will be emailed again each time the limit passes until a DSL acknowledges it.\n" +
		"For the child's safety this email holds no details of the concern.\n"
	return notify.Message{Subject: subject, Text: text}
}

// WaitedWords is a duration in words, to the minute: "15 minutes", "1 day
// and 2 hours".
func WaitedWords(d time.Duration) string {
	d = d.Round(time.Minute)
	days, hours, mins := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	var parts []string
	unit := func(n int, one string) {
		if n == 1 {
			parts = append(parts, "1 "+one)
		} else if n > 1 {
			parts = append(parts, fmt.Sprintf("%d %ss", n, one))
		}
	}
	unit(days, "day")
	unit(hours, "hour")
	if days == 0 {
		unit(mins, "minute")
	}
	switch len(parts) {
	case 0:
		return "less than a minute"
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

type sweepWorker struct {
	river.WorkerDefaults[EscalationSweepArgs]
	e *Escalator
}

// Work makes sure each unacknowledged concern of every school has its next
// round of escalation scheduled (a job lost, or a concern stored before
// escalation existed): unique jobs make this a no-op when it has.
func (w *sweepWorker) Work(ctx context.Context, job *river.Job[EscalationSweepArgs]) error {
	client, err := river.ClientFromContextSafely[pgx.Tx](ctx)
	if err != nil {
		return err
	}
	rows, _ := w.e.pool.Query(ctx, `SELECT id FROM schools ORDER BY id`)
	schools, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return fmt.Errorf("escalation sweep: %w", err)
	}
	for _, school := range schools {
		err := db.InSchool(ctx, w.e.pool, actor.SystemIn(school), func(tx pgx.Tx) error {
			rows, _ := tx.Query(ctx, `SELECT c.id, c.in_danger, c.created_at,
					(SELECT count(*) FROM concern_escalations e WHERE e.school_id = c.school_id AND e.concern_id = c.id)
				FROM concerns c
				WHERE c.school_id = $1 AND c.status = 'submitted' AND c.entered_in_error_at IS NULL`, school)
			type pending struct {
				ID       int64
				InDanger bool
				Created  time.Time
				Rounds   int
			}
			list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[pending])
			if err != nil {
				return err
			}
			for _, p := range list {
				limit, err := escalationLimit(ctx, tx, school, p.InDanger)
				if err != nil {
					return err
				}
				at := p.Created.Add(time.Duration(p.Rounds+1) * limit)
				if _, err := client.InsertTx(ctx, tx, EscalationArgs{SchoolID: school, ConcernID: p.ID, Round: p.Rounds + 1},
					&river.InsertOpts{ScheduledAt: at}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("escalation sweep of school %d: %w", school, err)
		}
	}
	return nil
}
