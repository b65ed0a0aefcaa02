package concern

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/db"
)

// lockSubmission serialises everything done to one form (saving its draft,
// uploading its files, submitting it) until the transaction ends, so an
// autosave that races a submission cannot bring its draft back.
func lockSubmission(ctx context.Context, q db.Querier, schoolID int64, submissionID string) error {
	_, err := q.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('concern-submission:' || $2::text, $1))`,
		schoolID, submissionID)
	return err
}

// submitted returns the receipt of the concern stored from submissionID,
// with its author, or db.ErrNotFound.
func submitted(ctx context.Context, q db.Querier, schoolID int64, submissionID string) (Receipt, int64, error) {
	var r Receipt
	var author int64
	err := q.QueryRow(ctx, `SELECT ref, in_danger, created_at, told_dsl = 'not_yet', recorded_by FROM concerns
		WHERE school_id = $1 AND submission_id = $2`, schoolID, submissionID).Scan(&r.Ref, &r.InDanger, &r.CreatedAt, &r.NotToldDSL, &author)
	if errors.Is(err, pgx.ErrNoRows) {
		return Receipt{}, 0, db.ErrNotFound
	}
	return r, author, err
}

// categoryKeys returns the keys of the school's concern categories, active
// or not (an old draft may name one the school has since retired).
func categoryKeys(ctx context.Context, q db.Querier, schoolID int64) (map[string]bool, error) {
	rows, _ := q.Query(ctx, `SELECT key FROM concern_categories WHERE school_id = $1`, schoolID)
	keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(keys))
	for _, k := range keys {
		out[k] = true
	}
	return out, nil
}

// missingChildren returns those of ids that are not children of the school.
func missingChildren(ctx context.Context, q db.Querier, schoolID int64, ids []int64) (map[int64]bool, error) {
	rows, _ := q.Query(ctx, `SELECT u.id FROM unnest($2::bigint[]) AS u (id)
		WHERE NOT EXISTS (SELECT 1 FROM children c WHERE c.school_id = $1 AND c.id = u.id)`, schoolID, ids)
	missing, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, err
	}
	out := map[int64]bool{}
	for _, id := range missing {
		out[id] = true
	}
	return out, nil
}

// nextRef takes the next reference number of the school's year, holding
// the counter row locked until the transaction ends.
func nextRef(ctx context.Context, q db.Querier, schoolID int64, year int) (string, error) {
	var n int
	err := q.QueryRow(ctx, `INSERT INTO concern_ref_counters (school_id, year, last_number) VALUES ($1, $2, 1)
		ON CONFLICT (school_id, year) DO UPDATE SET last_number = concern_ref_counters.last_number + 1
		RETURNING last_number`, schoolID, year).Scan(&n)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("C-%04d-%06d", year, n), nil
}

// insertConcern stores c as by's concern with ref; ok is false when a
// concern with the same submission id already exists.
func insertConcern(ctx context.Context, q db.Querier, by actor.Actor, ref string, c checked) (id int64, createdAt time.Time, ok bool, err error) {
	categories := c.Categories
	if categories == nil {
		categories = []string{}
	}
	err = q.QueryRow(ctx, `INSERT INTO concerns (school_id, ref, submission_id, recorded_by, on_behalf_of,
			happened_on, happened_approx, happened_time, seen_on, location, account, childs_words,
			told_dsl, told_dsl_who, told_dsl_when, actions_taken, in_danger, categories, fgm_police, fgm_police_ref)
		VALUES (@school, @ref, @submission, @by, @on_behalf_of,
			@happened_on, @happened_approx, @happened_time, @seen_on, @location, @account, @childs_words,
			@told_dsl, @told_dsl_who, @told_dsl_when, @actions, @in_danger, @categories, @fgm_police, @fgm_ref)
		ON CONFLICT (school_id, submission_id) DO NOTHING
		RETURNING id, created_at`,
		pgx.NamedArgs{
			"school": by.SchoolID, "ref": ref, "submission": c.SubmissionID, "by": by.UserID,
			"on_behalf_of": c.OnBehalfOf, "happened_on": c.happenedOn, "happened_approx": c.HappenedApprox,
			"happened_time": c.HappenedTime, "seen_on": c.seenOn, "location": c.Location, "account": c.Account,
			"childs_words": c.ChildsWords, "told_dsl": c.ToldDSL, "told_dsl_who": c.ToldDSLWho,
			"told_dsl_when": c.ToldDSLWhen, "actions": c.ActionsTaken, "in_danger": c.inDanger,
			"categories": categories, "fgm_police": c.FGMPolice, "fgm_ref": c.FGMPoliceRef,
		}).Scan(&id, &createdAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, time.Time{}, false, nil
	}
	return id, createdAt, err == nil, err
}

// insertChildren stores the concern's children in form order and returns
// the id of the row of the one child the concern is about (0 if several).
func insertChildren(ctx context.Context, q db.Querier, schoolID, concernID int64, children []FormChild) (subjectRow int64, err error) {
	subjects := 0
	for i, ch := range children {
		var childID any
		if ch.ChildID != 0 {
			childID = ch.ChildID
		}
		var rowID int64
		if err := q.QueryRow(ctx, `INSERT INTO concern_children (school_id, concern_id, position, child_id, description, role)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			schoolID, concernID, i, childID, descriptionOf(ch), ch.Role).Scan(&rowID); err != nil {
			return 0, err
		}
		if ch.Role == Subject {
			subjects++
			subjectRow = rowID
		}
	}
	if subjects != 1 {
		return 0, nil
	}
	return subjectRow, nil
}

func descriptionOf(ch FormChild) string {
	if ch.ChildID != 0 {
		return ""
	}
	return ch.Description
}

// insertIndicators records the indicators for one row of concern_children.
func insertIndicators(ctx context.Context, q db.Querier, by actor.Actor, concernID, concernChildID int64, codes []string) error {
	if len(codes) == 0 {
		return nil
	}
	_, err := q.Exec(ctx, `INSERT INTO concern_indicators (school_id, concern_id, concern_child_id, child_id, code, recorded_by)
		SELECT cc.school_id, cc.concern_id, cc.id, cc.child_id, code, $4
		FROM concern_children cc, unnest($5::text[]) AS code
		WHERE cc.school_id = $1 AND cc.concern_id = $2 AND cc.id = $3`,
		by.SchoolID, concernID, concernChildID, by.UserID, codes)
	return err
}

// insertBodyMarks records the body map of one row of concern_children.
func insertBodyMarks(ctx context.Context, q db.Querier, schoolID, concernID, concernChildID int64, marks []BodyMark) error {
	for i, m := range marks {
		if _, err := q.Exec(ctx, `INSERT INTO concern_body_marks (school_id, concern_id, concern_child_id, position, region, side, note)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, schoolID, concernID, concernChildID, i, m.Region, m.Side, m.Note); err != nil {
			return err
		}
	}
	return nil
}

// pendingImages returns the names of image files uploaded with the form.
func pendingImages(ctx context.Context, q db.Querier, by actor.Actor, submissionID string) ([]string, error) {
	rows, _ := q.Query(ctx, `SELECT display_name FROM concern_attachments
		WHERE school_id = $1 AND submission_id = $2 AND uploaded_by = $3 AND concern_id IS NULL
		  AND content_type LIKE 'image/%' ORDER BY id`, by.SchoolID, submissionID, by.UserID)
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// linkAttachments attaches the files uploaded with the form to the concern.
func linkAttachments(ctx context.Context, q db.Querier, by actor.Actor, submissionID string, concernID int64) (int64, error) {
	tag, err := q.Exec(ctx, `UPDATE concern_attachments SET concern_id = $4
		WHERE school_id = $1 AND submission_id = $2 AND uploaded_by = $3 AND concern_id IS NULL`,
		by.SchoolID, submissionID, by.UserID, concernID)
	return tag.RowsAffected(), err
}

// deleteDraft removes by's draft of the form, if any.
func deleteDraft(ctx context.Context, q db.Querier, by actor.Actor, submissionID string) error {
	_, err := q.Exec(ctx, `DELETE FROM concern_drafts WHERE school_id = $1 AND submission_id = $2 AND author_id = $3`,
		by.SchoolID, submissionID, by.UserID)
	return err
}

// dslEmails returns the email addresses of the school's active DSLs and
// deputy DSLs but recorder: whoever recorded a concern knows of it already.
func dslEmails(ctx context.Context, q db.Querier, schoolID, recorder int64) ([]string, error) {
	rows, _ := q.Query(ctx, `SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.school_id = $1 AND m.role = 'dsl' AND m.deactivated_at IS NULL AND m.user_id <> $2
		ORDER BY u.id`, schoolID, recorder)
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// saveDraft stores f as by's draft, unless its author is someone else
// (db.ErrNotFound), and returns when the draft was last saved and whether
// this changed it: a draft that says the same as the one stored is left
// as it was.
func saveDraft(ctx context.Context, q db.Querier, by actor.Actor, f Form) (time.Time, bool, error) {
	data, err := json.Marshal(f)
	if err != nil {
		return time.Time{}, false, err
	}
	if bytes.Contains(data, []byte(`\u0000`)) {
		// jsonb refuses NUL characters. A form holding one is refused with
		// a message; its draft keeps the rest of what was typed, with
		// U+FFFD in the NUL's place.
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			return time.Time{}, false, err
		}
		if data, err = json.Marshal(withoutNUL(v)); err != nil {
			return time.Time{}, false, err
		}
	}
	var saved time.Time
	err = q.QueryRow(ctx, `INSERT INTO concern_drafts (school_id, author_id, submission_id, data)
		VALUES ($1, $2, $3, $4)
		ON CONFLICT (school_id, submission_id) DO UPDATE SET data = EXCLUDED.data, saved_at = now()
		WHERE concern_drafts.author_id = EXCLUDED.author_id AND concern_drafts.data IS DISTINCT FROM EXCLUDED.data
		RETURNING saved_at`, by.SchoolID, by.UserID, f.SubmissionID, data).Scan(&saved)
	if err == nil {
		return saved, true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, false, err
	}
	// Nothing written: the draft is someone else's, or says the same as before.
	err = q.QueryRow(ctx, `SELECT saved_at FROM concern_drafts
		WHERE school_id = $1 AND submission_id = $2 AND author_id = $3`, by.SchoolID, f.SubmissionID, by.UserID).Scan(&saved)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, false, db.ErrNotFound
	}
	return saved, false, err
}

// withoutNUL replaces the NUL characters of every string in v, a decoded
// JSON value, with U+FFFD.
func withoutNUL(v any) any {
	switch x := v.(type) {
	case string:
		return strings.ReplaceAll(x, "\x00", "\uFFFD")
	case []any:
		for i := range x {
			x[i] = withoutNUL(x[i])
		}
	case map[string]any:
		for k, e := range x {
			x[k] = withoutNUL(e)
		}
	}
	return v
}

// draft returns by's draft of a form, or db.ErrNotFound.
func draft(ctx context.Context, q db.Querier, by actor.Actor, submissionID string) (Form, time.Time, error) {
	var data []byte
	var saved time.Time
	err := q.QueryRow(ctx, `SELECT data, saved_at FROM concern_drafts
		WHERE school_id = $1 AND submission_id = $2 AND author_id = $3`, by.SchoolID, submissionID, by.UserID).Scan(&data, &saved)
	if errors.Is(err, pgx.ErrNoRows) {
		return Form{}, time.Time{}, db.ErrNotFound
	}
	if err != nil {
		return Form{}, time.Time{}, err
	}
	var f Form
	if err := json.Unmarshal(data, &f); err != nil {
		return Form{}, time.Time{}, fmt.Errorf("read draft: %w", err)
	}
	f.SubmissionID = submissionID
	return f, saved, nil
}

// childNames returns the names of the school's children with ids.
func childNames(ctx context.Context, q db.Querier, schoolID int64, ids []int64) (map[int64]string, error) {
	rows, _ := q.Query(ctx, `SELECT id, first_name || ' ' || last_name FROM children
		WHERE school_id = $1 AND id = ANY($2)`, schoolID, ids)
	out := map[int64]string{}
	var id int64
	var name string
	_, err := pgx.ForEachRow(rows, []any{&id, &name}, func() error {
		out[id] = name
		return nil
	})
	return out, err
}

const attachmentColumns = `public_id::text AS public_id, display_name AS name, content_type, size_bytes AS size, sha256, created_at`

// pendingAttachments lists the files by uploaded with a form not yet submitted.
func pendingAttachments(ctx context.Context, q db.Querier, by actor.Actor, submissionID string) ([]Attachment, error) {
	rows, _ := q.Query(ctx, `SELECT `+attachmentColumns+` FROM concern_attachments
		WHERE school_id = $1 AND submission_id = $2 AND uploaded_by = $3 AND concern_id IS NULL ORDER BY id`,
		by.SchoolID, submissionID, by.UserID)
	return pgx.CollectRows(rows, pgx.RowToStructByName[Attachment])
}

// concernAttachments lists the files of a submitted concern.
func concernAttachments(ctx context.Context, q db.Querier, schoolID, concernID int64) ([]Attachment, error) {
	rows, _ := q.Query(ctx, `SELECT `+attachmentColumns+` FROM concern_attachments
		WHERE school_id = $1 AND concern_id = $2 ORDER BY id`, schoolID, concernID)
	return pgx.CollectRows(rows, pgx.RowToStructByName[Attachment])
}

// insertAttachment stores an uploaded file for a form.
func insertAttachment(ctx context.Context, q db.Querier, by actor.Actor, submissionID, name, contentType string, content []byte) (Attachment, error) {
	sum := sha256.Sum256(content)
	rows, _ := q.Query(ctx, `INSERT INTO concern_attachments (school_id, submission_id, uploaded_by, display_name,
			content_type, size_bytes, sha256, content)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		RETURNING `+attachmentColumns,
		by.SchoolID, submissionID, by.UserID, name, contentType, len(content), sum[:], content)
	return pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Attachment])
}
