package concern

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db"
)

// ErrEmptyDraft: the form holds nothing a person typed or chose, so no
// draft is kept (opening or reloading the form saves nothing).
var ErrEmptyDraft = errors.New("nothing has been typed or chosen yet: no draft is kept")

// HasContent reports whether a draft of the form, with files uploaded to
// it, holds real content: something a person typed or chose that says
// something about a child — a child named, any text, the date it happened,
// a kind of concern, an indicator, a mark on the body map, a file. The
// answers to the yes-or-no questions alone, and the date seen (which the
// form fills in with today), are not. It is the one rule for which drafts
// are kept (SaveDraft) and which the DSL is shown as left unsent.
func HasContent(f Form, files int) bool {
	if files > 0 || len(f.Children) > 0 || len(f.Categories) > 0 || len(f.Indicators) > 0 || len(f.BodyMarks) > 0 ||
		!f.Happened.Empty() {
		return true
	}
	for _, s := range []string{f.Account, f.ChildsWords, f.HappenedTime, f.Location, f.ToldDSLWho, f.ToldDSLWhen,
		f.ActionsTaken, f.FGMPoliceRef, f.OnBehalfOf} {
		if strings.TrimSpace(s) != "" {
			return true
		}
	}
	return false
}

// DiscardDraft deletes by's draft of the form with submissionID — its text
// and any files uploaded to it — at its author's confirmed choice, and
// audits draft.discard (how many files; never any text). Anyone else's
// draft, or none, is db.ErrNotFound; so is a form already submitted, whose
// draft is gone.
func (s *Service) DiscardDraft(ctx context.Context, by actor.Actor, submissionID string) error {
	if !ValidSubmissionID(submissionID) {
		return db.ErrNotFound
	}
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		if err := lockSubmission(ctx, tx, by.SchoolID, submissionID); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM concern_drafts WHERE school_id = $1 AND submission_id = $2 AND author_id = $3`,
			by.SchoolID, submissionID, by.UserID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return db.ErrNotFound
		}
		files, err := tx.Exec(ctx, `DELETE FROM concern_attachments
			WHERE school_id = $1 AND submission_id = $2 AND uploaded_by = $3 AND concern_id IS NULL`,
			by.SchoolID, submissionID, by.UserID)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "draft.discard", SubjectType: "draft",
			SubjectID: submissionID, Details: map[string]any{"files": files.RowsAffected()}})
	})
	if err != nil {
		return fmt.Errorf("discard draft: %w", err)
	}
	return nil
}

// pendingFiles counts the files by has uploaded to the form with
// submissionID that are not yet part of a concern.
func pendingFiles(ctx context.Context, q db.Querier, by actor.Actor, submissionID string) (int, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT count(*) FROM concern_attachments
		WHERE school_id = $1 AND submission_id = $2 AND uploaded_by = $3 AND concern_id IS NULL`,
		by.SchoolID, submissionID, by.UserID).Scan(&n)
	return n, err
}
