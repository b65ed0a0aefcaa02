package concern_test

import (
	"errors"
	"strings"
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
		noChild := concern.Form{SubmissionID: concern.NewSubmissionID(), Account: "Started"} // no child chosen yet
		if _, err := f.svc.SaveDraft(ctx, f.staff, noChild, true); err != nil {
			t.Fatal(err)
		}
		list, err = f.svc.Drafts(ctx, f.staff)
		if err != nil || len(list) != 2 || list[0].SubmissionID != noChild.SubmissionID || list[0].Children != "" {
			t.Errorf("drafts = %+v, %v; want the one without a child first, naming no child", list, err)
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

// A draft is kept only when it holds something a person typed or chose,
// and saved only when it changed; its author may discard it (audited, its
// text gone); the DSL is told only of drafts older than a day that hold
// real content.
func TestDraftsThatAreKept(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	saves := func(id string) int {
		return dbtest.Count(t, f.db.Owner, "audit_events WHERE action = 'draft.save' AND subject_id = $1", id)
	}

	t.Run("a form with nothing typed or chosen is not kept", func(t *testing.T) {
		// What the form holds when it is first shown, or reloaded: today as
		// the date seen, and perhaps the yes-or-no answers.
		blank := concern.Form{SubmissionID: concern.NewSubmissionID(), Seen: today(), InDanger: "no", ToldDSL: "not_yet",
			Account: "  \n "}
		for range 3 {
			if _, err := f.svc.SaveDraft(ctx, f.staff, blank, true); !errors.Is(err, concern.ErrEmptyDraft) {
				t.Fatalf("err = %v, want ErrEmptyDraft", err)
			}
		}
		if n := dbtest.Count(t, f.db.Owner, "concern_drafts"); n != 0 || saves(blank.SubmissionID) != 0 {
			t.Errorf("drafts = %d, saves audited = %d; want none", n, saves(blank.SubmissionID))
		}
	})

	form := concern.Form{SubmissionID: concern.NewSubmissionID(), Seen: today(), Account: "She said"}
	t.Run("saving what is already saved writes and audits nothing", func(t *testing.T) {
		first, err := f.svc.SaveDraft(ctx, f.staff, form, true)
		if err != nil {
			t.Fatal(err)
		}
		again, err := f.svc.SaveDraft(ctx, f.staff, form, true)
		if err != nil || !again.Equal(first) || saves(form.SubmissionID) != 1 {
			t.Errorf("saved again at %v (%v), first %v; saves audited %d, want 1", again, err, first, saves(form.SubmissionID))
		}
		form.Account = "She said he waits"
		if _, err := f.svc.SaveDraft(ctx, f.staff, form, true); err != nil || saves(form.SubmissionID) != 2 {
			t.Errorf("a change: %v, saves audited %d, want 2", err, saves(form.SubmissionID))
		}
	})

	t.Run("emptying the form does not wipe the draft", func(t *testing.T) {
		emptied := form
		emptied.Account = ""
		if _, err := f.svc.SaveDraft(ctx, f.staff, emptied, true); !errors.Is(err, concern.ErrEmptyDraft) {
			t.Errorf("err = %v, want ErrEmptyDraft", err)
		}
		if got, _, _ := f.svc.Draft(ctx, f.staff, form.SubmissionID); got.Account != form.Account {
			t.Errorf("draft now says %q, want %q", got.Account, form.Account)
		}
	})

	t.Run("each kind of content counts", func(t *testing.T) {
		for name, g := range map[string]concern.Form{
			"a child":       {Children: []concern.FormChild{{ChildID: f.amara.ID, Role: concern.Subject}}},
			"a date":        {Happened: daysAgo(2)},
			"a place":       {Location: "the field"},
			"a kind":        {Categories: []string{"cse"}},
			"an indicator":  {Indicators: []string{"much_older_partner"}},
			"a mark":        {BodyMarks: []concern.BodyMark{{Region: "head", Side: "front"}}},
			"the DSL named": {ToldDSLWho: "Dee Ess"},
		} {
			if !concern.HasContent(g, 0) {
				t.Errorf("%s is not real content", name)
			}
		}
		if !concern.HasContent(concern.Form{}, 1) {
			t.Error("a file is not real content")
		}
	})

	t.Run("the DSL's list holds drafts older than a day with real content only", func(t *testing.T) {
		old := concern.Form{SubmissionID: concern.NewSubmissionID(), Location: "the bus stop"}
		if _, err := f.svc.SaveDraft(ctx, f.staff2, old, false); err != nil {
			t.Fatal(err)
		}
		// An empty draft kept before the rule, and the fresh one above.
		if _, err := f.db.Owner.Exec(ctx, `INSERT INTO concern_drafts (school_id, author_id, submission_id, data, saved_at)
			VALUES ($1, $2, $3, $4, now() - interval '3 days')`, f.school, f.staff.UserID, concern.NewSubmissionID(),
			`{"seen": {"day": "1", "month": "12", "year": "2026"}, "in_danger": "no"}`); err != nil {
			t.Fatal(err)
		}
		if _, err := f.db.Owner.Exec(ctx, `UPDATE concern_drafts SET saved_at = now() - interval '2 days' WHERE submission_id = $1`,
			old.SubmissionID); err != nil {
			t.Fatal(err)
		}
		p, err := f.svc.Queue(ctx, f.dsl, concern.QueueFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Drafts) != 1 || p.Drafts[0].Author != "Tee Ay" {
			t.Errorf("unsent drafts = %+v, want Tee Ay's old one only", p.Drafts)
		}
	})

	t.Run("its author discards it: gone, audited without its text", func(t *testing.T) {
		if err := f.svc.DiscardDraft(ctx, f.staff2, form.SubmissionID); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("someone else discarding: err = %v, want db.ErrNotFound", err)
		}
		if err := f.svc.DiscardDraft(ctx, f.staff, form.SubmissionID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.svc.Draft(ctx, f.staff, form.SubmissionID); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("the draft after discarding: err = %v", err)
		}
		if n := dbtest.Count(t, f.db.Owner, "concern_drafts WHERE submission_id = $1", form.SubmissionID); n != 0 {
			t.Errorf("drafts = %d", n)
		}
		details := rows(t, f, `SELECT details::text FROM audit_events WHERE action = 'draft.discard' AND subject_id = $1`, form.SubmissionID)
		if details != `{"files":0}` || strings.Contains(details, "She said") {
			t.Errorf("audit details = %q, want the count of files only", details)
		}
		if err := f.svc.DiscardDraft(ctx, f.staff, form.SubmissionID); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("discarding twice: err = %v, want db.ErrNotFound", err)
		}
	})
}
