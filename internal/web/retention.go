package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/fail"
	"github.com/havenschools/haven/internal/paths"
	"github.com/havenschools/haven/internal/plural"
	"github.com/havenschools/haven/internal/records"
	"github.com/havenschools/haven/internal/validate"
	"github.com/havenschools/haven/web/page"
)

// The retention review (records): DSLs, the head and admins see the
// records due; DSLs and the head keep them or mark them "Do not destroy";
// a DSL and an admin sign a deletion off.

// handleRetention handles GET /retention.
func (s *Server) handleRetention(w http.ResponseWriter, r *http.Request) error {
	by := actorFrom(r)
	rv, err := s.records.RetentionQueue(r.Context(), by)
	if err != nil {
		return err
	}
	st, err := s.records.Settings(r.Context(), by)
	if err != nil {
		return err
	}
	return render(w, r, http.StatusOK, page.RetentionQueue(page.RetentionPage{Due: rv.Due, Held: rv.Held, Years: st.RetentionYears}))
}

// handleRetentionChild handles GET /retention/{child}.
func (s *Server) handleRetentionChild(w http.ResponseWriter, r *http.Request) error {
	return s.renderRetentionChild(w, r, http.StatusOK, page.RetentionChildPage{})
}

func (s *Server) renderRetentionChild(w http.ResponseWriter, r *http.Request, status int, v page.RetentionChildPage) error {
	by := actorFrom(r)
	id, err := strconv.ParseInt(chi.URLParam(r, "child"), 10, 64)
	if err != nil {
		return db.ErrNotFound
	}
	if v.Child, err = s.records.ChildRetention(r.Context(), by, id); err != nil {
		return err
	}
	v.CanMark = by.Role == actor.DSL || by.Role == actor.Head
	v.CanSignOff = by.Role == actor.DSL || by.Role == actor.Admin
	return render(w, r, status, page.RetentionChild(v))
}

// handleRetentionDoNotDestroy handles POST /retention/{child}/do-not-destroy.
func (s *Server) handleRetentionDoNotDestroy(w http.ResponseWriter, r *http.Request) error {
	id, _ := strconv.ParseInt(chi.URLParam(r, "child"), 10, 64)
	on, reason := r.PostFormValue("on") == "yes", r.PostFormValue("reason")
	err := s.records.SetDoNotDestroy(r.Context(), actorFrom(r), id, on, reason)
	if p, ok := fail.ProblemsOf(err); ok {
		return s.renderRetentionChild(w, r, http.StatusUnprocessableEntity, page.RetentionChildPage{Problems: p, Reason: reason})
	}
	if err != nil {
		return err
	}
	if on {
		s.sessions.Put(r.Context(), sessFlash, "Legal hold placed: the record will not be reviewed or destroyed until it is lifted")
	} else {
		s.sessions.Put(r.Context(), sessFlash, "Legal hold lifted: the record falls due on its review date")
	}
	http.Redirect(w, r, paths.Retention(id), http.StatusSeeOther)
	return nil
}

// handleRetentionKeep handles POST /retention/{child}/keep.
func (s *Server) handleRetentionKeep(w http.ResponseWriter, r *http.Request) error {
	id, _ := strconv.ParseInt(chi.URLParam(r, "child"), 10, 64)
	until := page.AuditDate{Day: r.PostFormValue("until-day"), Month: r.PostFormValue("until-month"), Year: r.PostFormValue("until-year")}
	day, ok := auditDay(until)
	var err error
	if !ok || day.IsZero() {
		err = validate.Problems{"until": "Enter the date of the next review, for example 1 9 2030"}
	} else {
		err = s.records.KeepRecord(r.Context(), actorFrom(r), id, dateOnly(day))
	}
	if p, isProblems := fail.ProblemsOf(err); isProblems {
		return s.renderRetentionChild(w, r, http.StatusUnprocessableEntity, page.RetentionChildPage{Problems: p, Until: until})
	}
	if err != nil {
		return err
	}
	s.sessions.Put(r.Context(), sessFlash, "Record kept until its next review")
	http.Redirect(w, r, "/retention", http.StatusSeeOther)
	return nil
}

// handleRetentionSignOff handles POST /retention/{child}/sign-off.
func (s *Server) handleRetentionSignOff(w http.ResponseWriter, r *http.Request) error {
	id, _ := strconv.ParseInt(chi.URLParam(r, "child"), 10, 64)
	deleted, err := s.records.SignOffDeletion(r.Context(), actorFrom(r), id)
	switch {
	case errors.Is(err, records.ErrAlreadySigned), errors.Is(err, records.ErrNotDue), errors.Is(err, records.ErrDoNotDestroy):
		return s.renderRetentionChild(w, r, http.StatusConflict, page.RetentionChildPage{
			Problems: validate.Problems{"sign-off": err.Error()}})
	case err != nil:
		return err
	case deleted != nil:
		s.sessions.Put(r.Context(), sessFlash, "Record deleted: "+plural.Count(deleted.Concerns, "concern", "concerns")+" removed")
		http.Redirect(w, r, "/retention", http.StatusSeeOther)
		return nil
	}
	s.sessions.Put(r.Context(), sessFlash, "Deletion signed off: it needs a second sign-off")
	http.Redirect(w, r, paths.Retention(id), http.StatusSeeOther)
	return nil
}
