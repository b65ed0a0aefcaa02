package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/encompass"
	"github.com/havenschools/haven/internal/fail"
	"github.com/havenschools/haven/internal/paths"
	"github.com/havenschools/haven/internal/validate"
	"github.com/havenschools/haven/internal/when"
	"github.com/havenschools/haven/web/page"
)

// Operation Encompass (issue 8): DSLs record police notifications of
// domestic abuse incidents, restricted entries on the child's chronology.
// The routes are for DSLs (the route table) and the service checks
// again, with the restriction rules of concerns.

// handleEncompassList handles GET /encompass.
func (s *Server) handleEncompassList(w http.ResponseWriter, r *http.Request) error {
	list, err := s.encompass.List(r.Context(), actorFrom(r))
	if err != nil {
		return err
	}
	return render(w, r, http.StatusOK, page.Encompass(page.EncompassList{List: list}))
}

// handleEncompassNew handles GET /encompass/new (?child= an id, from a
// child's page).
func (s *Server) handleEncompassNew(w http.ResponseWriter, r *http.Request) error {
	f := encompass.Form{NotifiedOn: when.DatePartsOf(time.Now().In(when.London()))}
	f.ChildID, _ = strconv.ParseInt(r.URL.Query().Get("child"), 10, 64)
	return s.renderEncompassNew(w, r, page.EncompassNew{Form: f}, http.StatusOK)
}

func (s *Server) renderEncompassNew(w http.ResponseWriter, r *http.Request, v page.EncompassNew, status int) error {
	by := actorFrom(r)
	dsls, err := s.encompass.DSLs(r.Context(), by)
	if err != nil {
		return err
	}
	v.DSLs, v.Me = dsls, by.UserID
	if v.Form.ChildID != 0 && !v.Searched {
		c, err := s.pupils.Get(r.Context(), by, v.Form.ChildID)
		switch {
		case errors.Is(err, db.ErrNotFound):
			v.Form.ChildID = 0
		case err != nil:
			return err
		default:
			v.ChildName = c.Name()
		}
	}
	return render(w, r, status, page.EncompassNewPage(v))
}

func postedIDs(values []string) []int64 {
	var out []int64
	for _, v := range values {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil {
			out = append(out, id)
		}
	}
	return out
}

// handleEncompassPost handles POST /encompass: finding the child, and
// "Save notification".
func (s *Server) handleEncompassPost(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return err
	}
	by := actorFrom(r)
	v := r.PostForm
	date := func(prefix string) when.DateParts {
		return when.DateParts{Day: v.Get(prefix + "-day"), Month: v.Get(prefix + "-month"), Year: v.Get(prefix + "-year")}
	}
	f := encompass.Form{NotifiedOn: date(encompass.FieldNotifiedOn), IncidentOn: date(encompass.FieldIncidentOn),
		PoliceRef: v.Get(encompass.FieldPoliceRef), Details: v.Get(encompass.FieldDetails), Support: v.Get(encompass.FieldSupport),
		Named: postedIDs(v[encompass.FieldNamed]), Excluded: postedIDs(v[encompass.FieldExcluded])}
	f.ChildID, _ = strconv.ParseInt(v.Get(encompass.FieldChild), 10, 64)
	pv := page.EncompassNew{Form: f, ChildQuery: strings.TrimSpace(v.Get("child_q"))}
	switch v.Get("action") {
	case "find":
		picker, problem, err := s.findChildren(r.Context(), by, pv.ChildQuery)
		if err != nil {
			return err
		}
		if problem != "" {
			pv.Problems = validate.Problems{"child_q": "Enter the child's name or UPN to search the roll"}
			return s.renderEncompassNew(w, r, pv, http.StatusUnprocessableEntity)
		}
		pv.ChildPicker = picker
		return s.renderEncompassNew(w, r, pv, http.StatusOK)
	case "remove-child":
		pv.Form.ChildID = 0
		return s.renderEncompassNew(w, r, pv, http.StatusOK)
	case "save":
	default:
		return s.renderEncompassNew(w, r, pv, http.StatusOK)
	}
	ref, err := s.encompass.Record(r.Context(), by, f)
	if p, ok := fail.ProblemsOf(err); ok {
		pv.Problems = p
		return s.renderEncompassNew(w, r, pv, http.StatusUnprocessableEntity)
	}
	if err != nil {
		return err
	}
	s.flash(r, "Notification "+ref+" recorded. It is on the child's chronology for the DSLs who may see it.")
	http.Redirect(w, r, paths.Encompass(ref), http.StatusSeeOther)
	return nil
}

// handleEncompass handles GET /encompass/{ref}.
func (s *Server) handleEncompass(w http.ResponseWriter, r *http.Request) error {
	return s.renderEncompass(w, r, nil, nil)
}

// renderEncompass shows the notification of the route; with problems, the
// access form as typed (422).
func (s *Server) renderEncompass(w http.ResponseWriter, r *http.Request, typed *encompass.AccessForm, p validate.Problems) error {
	by := actorFrom(r)
	n, err := s.encompass.Get(r.Context(), by, chi.URLParam(r, "ref"))
	if err != nil {
		return err
	}
	dsls, err := s.encompass.DSLs(r.Context(), by)
	if err != nil {
		return err
	}
	v := page.EncompassView{Notification: n, DSLs: dsls, Me: by.UserID, Problems: p,
		Access: encompass.AccessForm{Restricted: n.Restricted}}
	for _, x := range n.Named {
		v.Access.Named = append(v.Access.Named, x.ID)
	}
	for _, x := range n.Excluded {
		v.Access.Excluded = append(v.Access.Excluded, x.ID)
	}
	status := http.StatusOK
	if typed != nil {
		v.Access, status = *typed, http.StatusUnprocessableEntity
	}
	return render(w, r, status, page.EncompassPage(v))
}

// handleEncompassAccess handles POST /encompass/{ref}/access.
func (s *Server) handleEncompassAccess(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return err
	}
	ref := chi.URLParam(r, "ref")
	f := encompass.AccessForm{Restricted: r.PostFormValue("restricted") != "no", Named: postedIDs(r.PostForm[encompass.FieldNamed]),
		Excluded: postedIDs(r.PostForm[encompass.FieldExcluded])}
	err := s.encompass.SetAccess(r.Context(), actorFrom(r), ref, f)
	if p, ok := fail.ProblemsOf(err); ok {
		return s.renderEncompass(w, r, &f, p)
	}
	if err != nil {
		return err
	}
	s.flash(r, "Who can see "+ref+" changed")
	http.Redirect(w, r, paths.Encompass(ref), http.StatusSeeOther)
	return nil
}
