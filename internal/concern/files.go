package concern

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/validate"
)

// Attach stores a file uploaded with the form with submissionID, for by.
// Its type is decided by its content (PDF, DOCX, PNG, JPEG or HEIC; never
// HTML or SVG), it must be at most 20 MB, a form has at most 10 files, and
// no image is accepted when categories (the form's, as posted) include sexual
// abuse, exploitation or sharing nudes. A problem is validate.Problems for
// FieldAttachments naming the file. The same file uploaded twice is stored
// once. Audited as attachment.upload. A form already submitted is
// ErrAlreadySubmitted.
func (s *Service) Attach(ctx context.Context, by actor.Actor, submissionID string, categories []string, u Upload) (Attachment, error) {
	if !ValidSubmissionID(submissionID) {
		return Attachment{}, ErrBadSubmission
	}
	shown := CleanName(u.Name, "")
	problem := func(msg string) error {
		return validate.Problems{FieldAttachments: shown + " " + msg}
	}
	if len(u.Content) > MaxAttachmentSize {
		return Attachment{}, problem(msgTooLarge)
	}
	contentType, msg := sniff(u.Content)
	if msg != "" {
		return Attachment{}, problem(msg)
	}
	name := CleanName(u.Name, contentType)
	if IsImage(contentType) && ImagesRefused(categories) {
		return Attachment{}, validate.Problems{FieldAttachments: name + " is an image. " + UKCISAdvice}
	}
	var a Attachment
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		if err := lockSubmission(ctx, tx, by.SchoolID, submissionID); err != nil {
			return err
		}
		if _, _, err := submitted(ctx, tx, by.SchoolID, submissionID); err == nil {
			return ErrAlreadySubmitted
		} else if !errors.Is(err, db.ErrNotFound) {
			return err
		}
		pending, err := pendingAttachments(ctx, tx, by, submissionID)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(u.Content)
		for _, p := range pending {
			if string(p.SHA256) == string(sum[:]) {
				a = p
				return nil // already attached: a form posted again
			}
		}
		if len(pending) >= MaxAttachments {
			return validate.Problems{FieldAttachments: "You can attach at most " + strconv.Itoa(MaxAttachments) +
				" files: " + name + " was not attached"}
		}
		if a, err = insertAttachment(ctx, tx, by, submissionID, name, contentType, u.Content); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "attachment.upload", SubjectType: "attachment",
			SubjectID: a.PublicID, Details: map[string]any{"size": a.Size, "type": contentType}})
	})
	if p, ok := errors.AsType[validate.Problems](err); ok {
		return Attachment{}, p
	}
	if err != nil {
		return Attachment{}, fmt.Errorf("attach file: %w", err)
	}
	return a, nil
}

// PendingAttachments lists the files by has uploaded with a form not yet submitted.
func (s *Service) PendingAttachments(ctx context.Context, by actor.Actor, submissionID string) ([]Attachment, error) {
	if !ValidSubmissionID(submissionID) {
		return nil, nil
	}
	var out []Attachment
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var err error
		out, err = pendingAttachments(ctx, tx, by, submissionID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list attachments: %w", err)
	}
	return out, nil
}

// RemoveAttachment removes a file by uploaded with a form not yet
// submitted; a file of a submitted concern is never removed. Another's file,
// or none, is db.ErrNotFound. Audited as attachment.remove.
func (s *Service) RemoveAttachment(ctx context.Context, by actor.Actor, submissionID, publicID string) error {
	if !ValidSubmissionID(submissionID) || !ValidSubmissionID(publicID) {
		return db.ErrNotFound
	}
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		if err := lockSubmission(ctx, tx, by.SchoolID, submissionID); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM concern_attachments
			WHERE school_id = $1 AND submission_id = $2 AND public_id = $3 AND uploaded_by = $4 AND concern_id IS NULL`,
			by.SchoolID, submissionID, publicID, by.UserID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return db.ErrNotFound
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "attachment.remove", SubjectType: "attachment", SubjectID: publicID})
	})
	if err != nil {
		return fmt.Errorf("remove attachment: %w", err)
	}
	return nil
}

// Download returns a file with its bytes, for by: the person who uploaded
// it, and once its concern is submitted, also the school's DSLs. Anyone
// else, or no such file, is db.ErrNotFound. Audited as attachment.download.
func (s *Service) Download(ctx context.Context, by actor.Actor, publicID string) (File, error) {
	if !ValidSubmissionID(publicID) {
		return File{}, db.ErrNotFound
	}
	var f File
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var ref *string
		err := tx.QueryRow(ctx, `SELECT a.public_id::text, a.display_name, a.content_type, a.size_bytes, a.sha256,
				a.created_at, a.content, c.ref
			FROM concern_attachments a LEFT JOIN concerns c ON c.school_id = a.school_id AND c.id = a.concern_id
			WHERE a.school_id = $1 AND a.public_id = $2
			  AND (a.uploaded_by = $3 OR (c.id IS NOT NULL AND $4 AND concern_visible_to(c.school_id, c.id, c.restricted, $3)))`,
			by.SchoolID, publicID, by.UserID, by.Role == actor.DSL).
			Scan(&f.PublicID, &f.Name, &f.ContentType, &f.Size, &f.SHA256, &f.CreatedAt, &f.Content, &ref)
		if errors.Is(err, pgx.ErrNoRows) {
			return db.ErrNotFound
		}
		if err != nil {
			return err
		}
		details := map[string]any{}
		if ref != nil {
			details["concern"] = *ref
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "attachment.download", SubjectType: "attachment",
			SubjectID: publicID, Details: details})
	})
	if err != nil {
		return File{}, fmt.Errorf("download attachment: %w", err)
	}
	return f, nil
}
