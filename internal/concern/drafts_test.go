package concern_test

import (
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/concern"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/db/dbtest"
)

func TestDrafts(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()

	form := validForm(f.amara.ID)
	form.Children = append(form.Children, concern.FormChild{Description: "a boy in a red coat", Role: concern.Witness})
	form.Account = "Half-written account"

	t.Run("saving twice keeps one draft, the latest, and audits each save", func(t *testing.T) {
		if _, err := f.svc.SaveDraft(ctx, f.staff, form, true); err != nil {
			t.Fatal(err)
		}
		form.Account = "Half-written account, now longer"
		if _, err := f.svc.SaveDraft(ctx, f.staff, form, false); err != nil {
			t.Fatal(err)
		}
		got, _, err := f.svc.Draft(ctx, f.staff, form.SubmissionID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Account != form.Account || len(got.Children) != 2 || got.Children[1].Description != "a boy in a red coat" {
			t.Errorf("draft = %+v", got)
		}
		if n := dbtest.Count(t, f.db.Owner, "concern_drafts"); n != 1 {
			t.Errorf("drafts = %d, want 1", n)
		}
		details := rows(t, f, `SELECT details FROM audit_events WHERE action = 'draft.save' ORDER BY seq`)
		if details != `{"autosave":true} {"autosave":false}` {
			t.Errorf("audit details = %q", details)
		}
	})

	t.Run("the author's drafts are listed with the children named so far", func(t *testing.T) {
		list, err := f.svc.Drafts(ctx, f.staff)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].SubmissionID != form.SubmissionID || list[0].Children != "Amara Okafor, Child not known" {
			t.Errorf("drafts = %+v", list)
		}
		empty := concern.Form{SubmissionID: concern.NewSubmissionID()} // no child chosen yet
		if _, err := f.svc.SaveDraft(ctx, f.staff, empty, true); err != nil {
			t.Fatal(err)
		}
		list, err = f.svc.Drafts(ctx, f.staff)
		if err != nil || len(list) != 2 || list[0].SubmissionID != empty.SubmissionID || list[0].Children != "" {
			t.Errorf("drafts = %+v, %v; want the empty one first, naming no child", list, err)
		}
	})

	t.Run("nobody else sees or overwrites the draft", func(t *testing.T) {
		if _, _, err := f.svc.Draft(ctx, f.staff2, form.SubmissionID); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("Draft by someone else: err = %v, want db.ErrNotFound", err)
		}
		if list, _ := f.svc.Drafts(ctx, f.staff2); len(list) != 0 {
			t.Errorf("someone else's drafts = %+v", list)
		}
		stolen := form
		stolen.Account = "overwritten"
		if _, err := f.svc.SaveDraft(ctx, f.staff2, stolen, true); err == nil {
			t.Error("someone else saved over the draft")
		}
		got, _, _ := f.svc.Draft(ctx, f.staff, form.SubmissionID)
		if got.Account != form.Account {
			t.Errorf("draft now says %q", got.Account)
		}
	})

	t.Run("no draft is kept for a child in immediate danger", func(t *testing.T) {
		danger := validForm(f.ben.ID)
		danger.InDanger = "yes"
		if _, err := f.svc.SaveDraft(ctx, f.staff, danger, true); !errors.Is(err, concern.ErrNoDraftInDanger) {
			t.Errorf("err = %v, want ErrNoDraftInDanger", err)
		}
	})

	t.Run("submitting deletes the draft, and a late autosave does not bring it back", func(t *testing.T) {
		if _, err := f.svc.Submit(ctx, f.staff, form); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.svc.Draft(ctx, f.staff, form.SubmissionID); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("draft after submission: err = %v", err)
		}
		if _, err := f.svc.SaveDraft(ctx, f.staff, form, true); !errors.Is(err, concern.ErrAlreadySubmitted) {
			t.Errorf("autosave after submission: err = %v, want ErrAlreadySubmitted", err)
		}
		if n := dbtest.Count(t, f.db.Owner, "concern_drafts WHERE submission_id = $1", form.SubmissionID); n != 0 {
			t.Errorf("drafts = %d", n)
		}
	})

	t.Run("row-level security keeps a draft to its author, and lets DSLs read it", func(t *testing.T) {
		other := validForm(f.cara.ID)
		if _, err := f.svc.SaveDraft(ctx, f.staff2, other, false); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name string
			by   actor.Actor
			want int
		}{{"another member of staff", f.staff, 0}, {"the author", f.staff2, 1}, {"a DSL", f.dsl, 1}} {
			var n int
			err := db.InSchool(ctx, f.db.App, tc.by, func(tx pgx.Tx) error {
				return tx.QueryRow(ctx, `SELECT count(*) FROM concern_drafts WHERE submission_id = $1`, other.SubmissionID).Scan(&n)
			})
			if err != nil || n != tc.want {
				t.Errorf("%s sees %d drafts (%v), want %d", tc.name, n, err, tc.want)
			}
		}
	})
}
