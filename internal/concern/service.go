package concern

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/fail"
	"github.com/havenschools/haven/internal/jobs"
	"github.com/havenschools/haven/internal/notify"
	"github.com/havenschools/haven/internal/paths"
	"github.com/havenschools/haven/internal/validate"
	"github.com/havenschools/haven/internal/when"
)

// Service carries out concern use cases. Each exported method is one transaction.
type Service struct {
	pool    *pgxpool.Pool
	jobs    *jobs.Client
	baseURL string
	now     func() time.Time
}

// NewService returns a Service using pool, enqueuing email on jobs, with
// links in emails under baseURL (HAVEN_BASE_URL).
func NewService(pool *pgxpool.Pool, jobs *jobs.Client, baseURL string) *Service {
	return &Service{pool: pool, jobs: jobs, baseURL: strings.TrimRight(baseURL, "/"), now: time.Now}
}

// Errors of the form's lifecycle.
var (
	// ErrBadSubmission: the form's submission id is not one Haven minted.
	ErrBadSubmission = errors.New("the form's submission id is not valid")
	// ErrAlreadySubmitted: the form has been submitted; it can no longer
	// change (no draft, no new files).
	ErrAlreadySubmitted = fail.New(fail.Conflict, "this concern has already been submitted")
	// ErrNoDraftInDanger: a child in immediate danger is told now, not saved for later.
	ErrNoDraftInDanger = fail.New(fail.Conflict, "no draft is kept when a child is in immediate danger")
)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// NewSubmissionID mints the idempotency key of a new form: a random UUID.
func NewSubmissionID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// ValidSubmissionID reports whether id has the shape NewSubmissionID gives.
func ValidSubmissionID(id string) bool { return uuidRE.MatchString(id) }

// Submit stores the form as a concern of by's school, once: a second
// submission of the same form (a double click, a retry, another tab) stores
// nothing and returns the first one's receipt with Again set. In one
// transaction it stores the concern, its children, indicators, body map and
// files, deletes the form's draft, enqueues an email to every DSL and
// deputy DSL of the school but by (a link only) and audits concern.submit. A form
// with problems returns validate.Problems (nothing stored); a form submitted
// by someone else is db.ErrNotFound.
func (s *Service) Submit(ctx context.Context, by actor.Actor, f Form) (Receipt, error) {
	if !ValidSubmissionID(f.SubmissionID) {
		return Receipt{}, ErrBadSubmission
	}
	now := s.now()
	var r Receipt
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		if err := lockSubmission(ctx, tx, by.SchoolID, f.SubmissionID); err != nil {
			return err
		}
		again, author, err := submitted(ctx, tx, by.SchoolID, f.SubmissionID)
		if err == nil {
			if author != by.UserID {
				return db.ErrNotFound
			}
			r, r.Again = again, true
			return nil
		}
		if !errors.Is(err, db.ErrNotFound) {
			return err
		}

		keys, err := categoryKeys(ctx, tx, by.SchoolID)
		if err != nil {
			return err
		}
		c, p := f.check(by, now, keys)
		if err := s.checkStored(ctx, tx, by, c, p); err != nil {
			return err
		}
		if len(p) > 0 {
			return p
		}

		ref, err := nextRef(ctx, tx, by.SchoolID, now.In(when.London()).Year())
		if err != nil {
			return err
		}
		id, created, ok, err := insertConcern(ctx, tx, by, ref, c)
		if err != nil {
			return err
		}
		if !ok { // cannot happen under the submission lock; keep the promise anyway
			again, _, err := submitted(ctx, tx, by.SchoolID, f.SubmissionID)
			r, r.Again = again, true
			return err
		}
		r = Receipt{Ref: ref, InDanger: c.inDanger, CreatedAt: created, NotToldDSL: c.ToldDSL == "not_yet"}
		subjectRow, err := insertChildren(ctx, tx, by.SchoolID, id, c.Children)
		if err != nil {
			return err
		}
		if subjectRow != 0 {
			if err := insertIndicators(ctx, tx, by, id, subjectRow, c.Indicators); err != nil {
				return err
			}
			if err := insertBodyMarks(ctx, tx, by.SchoolID, id, subjectRow, c.BodyMarks); err != nil {
				return err
			}
		}
		files, err := linkAttachments(ctx, tx, by, f.SubmissionID, id)
		if err != nil {
			return err
		}
		if err := deleteDraft(ctx, tx, by, f.SubmissionID); err != nil {
			return err
		}
		if err := s.notifyDSLs(ctx, tx, by, ref, c.inDanger); err != nil {
			return err
		}
		if err := s.scheduleEscalation(ctx, tx, by.SchoolID, id, created, c.inDanger); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "concern.submit", SubjectType: "concern", SubjectID: ref,
			Details: map[string]any{"children": len(c.Children), "in_danger": c.inDanger, "attachments": files,
				"indicators": len(c.Indicators), "body_marks": len(c.BodyMarks), "on_behalf": c.OnBehalfOf != ""}})
	})
	if p, ok := errors.AsType[validate.Problems](err); ok {
		return Receipt{}, p
	}
	if err != nil {
		return Receipt{}, fmt.Errorf("submit concern: %w", err)
	}
	return r, nil
}

// checkStored adds the problems only the database can see: children who
// are not (or no longer) on the school's roll, and images uploaded with a
// concern that may not have them.
func (s *Service) checkStored(ctx context.Context, q db.Querier, by actor.Actor, c checked, p validate.Problems) error {
	var ids []int64
	for _, ch := range c.Children {
		if ch.ChildID != 0 {
			ids = append(ids, ch.ChildID)
		}
	}
	if len(ids) > 0 {
		missing, err := missingChildren(ctx, q, by.SchoolID, ids)
		if err != nil {
			return err
		}
		for i, ch := range c.Children {
			if missing[ch.ChildID] {
				p.Add(ChildField(i), "This child could not be found: remove them and search again")
			}
		}
	}
	if ImagesRefused(c.Categories) {
		images, err := pendingImages(ctx, q, by, c.SubmissionID)
		if err != nil {
			return err
		}
		if len(images) > 0 {
			p.Add(FieldAttachments, "Remove "+images[0]+". "+UKCISAdvice)
		}
	}
	return nil
}

// notifyDSLs enqueues, in tx, an email to each DSL and deputy DSL of the
// school but the one who recorded the concern (by): a link to the concern
// and nothing else — never a child's name, a category or any text of the
// concern.
func (s *Service) notifyDSLs(ctx context.Context, tx pgx.Tx, by actor.Actor, ref string, inDanger bool) error {
	emails, err := dslEmails(ctx, tx, by.SchoolID, by.UserID)
	if err != nil || len(emails) == 0 {
		return err
	}
	msg := NotificationEmail(s.baseURL, ref, inDanger)
	params := make([]river.InsertManyParams, 0, len(emails))
	for _, to := range emails {
		params = append(params, river.InsertManyParams{Args: notify.EmailArgs{To: to, Subject: msg.Subject, Text: msg.Text}})
	}
	_, err = s.jobs.InsertManyTx(ctx, tx, params)
	return err
}

// NotificationEmail is the email a DSL gets about a new concern: its
// subject says whether a child is in immediate danger; its body is a link.
func NotificationEmail(baseURL, ref string, inDanger bool) notify.Message {
	subject := "New safeguarding concern"
	if inDanger {
		subject = "URGENT: new safeguarding concern — immediate danger"
	}
	text := "A new safeguarding concern has been recorded in Haven.\n\n"
	if inDanger {
		text = "A new safeguarding concern has been recorded in Haven. The person who recorded it " +
			"said a child is in immediate danger.\n\n"
	}
	text += "Open it (you will be asked to sign in):\n" + strings.TrimRight(baseURL, "/") + paths.Concern(ref) + "\n\n" +
		"For the child's safety this email holds no details of the concern.\n"
	return notify.Message{Subject: subject, Text: text}
}

// SaveDraft keeps the form as its author's draft, replacing the last one,
// and audits draft.save (auto: saved by the page itself, every 20 seconds)
// — only when it holds real content (HasContent; else ErrEmptyDraft, and a
// draft saved before is kept as it was) and only when it changed (else
// nothing is written or audited). A form about a child in immediate danger
// is not kept (ErrNoDraftInDanger), nor one already submitted
// (ErrAlreadySubmitted). It returns when the draft was last saved.
func (s *Service) SaveDraft(ctx context.Context, by actor.Actor, f Form, auto bool) (time.Time, error) {
	if !ValidSubmissionID(f.SubmissionID) {
		return time.Time{}, ErrBadSubmission
	}
	if f.InDanger == "yes" {
		return time.Time{}, ErrNoDraftInDanger
	}
	if len(f.Account)+len(f.ChildsWords)+len(f.ActionsTaken) > 4*(MaxAccountChars+MaxWordsChars+MaxActionsChars) {
		return time.Time{}, validate.Problems{FieldAccount: "What happened is too long to save"}
	}
	var saved time.Time
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		if err := lockSubmission(ctx, tx, by.SchoolID, f.SubmissionID); err != nil {
			return err
		}
		if _, _, err := submitted(ctx, tx, by.SchoolID, f.SubmissionID); err == nil {
			return ErrAlreadySubmitted
		} else if !errors.Is(err, db.ErrNotFound) {
			return err
		}
		files, err := pendingFiles(ctx, tx, by, f.SubmissionID)
		if err != nil {
			return err
		}
		if !HasContent(f, files) {
			return ErrEmptyDraft
		}
		var changed bool
		if saved, changed, err = saveDraft(ctx, tx, by, f); err != nil || !changed {
			return err
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "draft.save", SubjectType: "draft",
			SubjectID: f.SubmissionID, Details: map[string]any{"autosave": auto}})
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("save draft: %w", err)
	}
	return saved, nil
}

// Draft returns by's draft of the form with submissionID and when it was
// saved; anyone else's draft, or none, is db.ErrNotFound.
func (s *Service) Draft(ctx context.Context, by actor.Actor, submissionID string) (Form, time.Time, error) {
	if !ValidSubmissionID(submissionID) {
		return Form{}, time.Time{}, db.ErrNotFound
	}
	var f Form
	var saved time.Time
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var err error
		f, saved, err = draft(ctx, tx, by, submissionID)
		return err
	})
	if err != nil {
		return Form{}, time.Time{}, fmt.Errorf("get draft: %w", err)
	}
	return f, saved, nil
}

// Drafts lists by's unsent drafts, the most recently saved first.
func (s *Service) Drafts(ctx context.Context, by actor.Actor) ([]DraftSummary, error) {
	var out []DraftSummary
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		// A draft's "children" is an array, or null before any child is chosen.
		rows, _ := tx.Query(ctx, `SELECT submission_id::text, saved_at,
				coalesce((SELECT array_agg((e ->> 'child_id')::bigint) FROM jsonb_array_elements(children) AS e
				          WHERE e ? 'child_id'), '{}') AS ids,
				(SELECT count(*) FROM jsonb_array_elements(children) AS e WHERE NOT e ? 'child_id') AS unknown
			FROM concern_drafts,
				LATERAL (SELECT CASE jsonb_typeof(data -> 'children') WHEN 'array' THEN data -> 'children' ELSE '[]' END) AS c (children)
			WHERE school_id = $1 AND author_id = $2 ORDER BY saved_at DESC`, by.SchoolID, by.UserID)
		type row struct {
			SubmissionID string
			SavedAt      time.Time
			IDs          []int64
			Unknown      int
		}
		drafts, err := pgx.CollectRows(rows, pgx.RowToStructByPos[row])
		if err != nil {
			return err
		}
		var all []int64
		for _, d := range drafts {
			all = append(all, d.IDs...)
		}
		names, err := childNames(ctx, tx, by.SchoolID, all)
		if err != nil {
			return err
		}
		for _, d := range drafts {
			var list []string
			for _, id := range d.IDs {
				if n, ok := names[id]; ok {
					list = append(list, n)
				}
			}
			if d.Unknown > 0 {
				list = append(list, "Child not known")
			}
			out = append(out, DraftSummary{SubmissionID: d.SubmissionID, SavedAt: d.SavedAt, Children: strings.Join(list, ", ")})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list drafts: %w", err)
	}
	return out, nil
}

// BySubmission returns the receipt of by's concern submitted from the form
// with submissionID — how a person checks whether a submission they could
// not confirm was stored — or db.ErrNotFound.
func (s *Service) BySubmission(ctx context.Context, by actor.Actor, submissionID string) (Receipt, error) {
	if !ValidSubmissionID(submissionID) {
		return Receipt{}, db.ErrNotFound
	}
	var r Receipt
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var author int64
		var err error
		r, author, err = submitted(ctx, tx, by.SchoolID, submissionID)
		if err == nil && author != by.UserID {
			return db.ErrNotFound
		}
		r.Again = true
		return err
	})
	if err != nil {
		return Receipt{}, fmt.Errorf("find submission: %w", err)
	}
	return r, nil
}

// ReceiptFor returns the receipt of by's concern ref; a concern by someone
// else is db.ErrNotFound.
func (s *Service) ReceiptFor(ctx context.Context, by actor.Actor, ref string) (Receipt, error) {
	var r Receipt
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT ref, in_danger, created_at, told_dsl = 'not_yet' FROM concerns
			WHERE school_id = $1 AND ref = $2 AND recorded_by = $3`, by.SchoolID, ref, by.UserID).
			Scan(&r.Ref, &r.InDanger, &r.CreatedAt, &r.NotToldDSL)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		err = db.ErrNotFound
	}
	if err != nil {
		return Receipt{}, fmt.Errorf("receipt %s: %w", ref, err)
	}
	return r, nil
}

// ChildNames returns the names of the children of by's school with ids;
// ids that are not its children are left out.
func (s *Service) ChildNames(ctx context.Context, by actor.Actor, ids []int64) (map[int64]string, error) {
	var out map[int64]string
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var err error
		out, err = childNames(ctx, tx, by.SchoolID, ids)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("child names: %w", err)
	}
	return out, nil
}
