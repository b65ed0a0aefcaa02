package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/havenschools/haven/internal/concern"
	"github.com/havenschools/haven/internal/fail"
	"github.com/havenschools/haven/internal/paths"
	"github.com/havenschools/haven/internal/pupil"
	"github.com/havenschools/haven/internal/validate"
	"github.com/havenschools/haven/web/page"
)

// A child's page and "Chronology", for the school's DSLs.

// handleChild handles GET /children/{id}.
func (s *Server) handleChild(w http.ResponseWriter, r *http.Request) error {
	return s.renderChild(w, r, page.ChildView{}, http.StatusOK)
}

func (s *Server) renderChild(w http.ResponseWriter, r *http.Request, v page.ChildView, status int) error {
	p, err := s.concerns.Child(r.Context(), actorFrom(r), idParam(r))
	if err != nil {
		return err
	}
	v.Profile, v.Now = p, time.Now()
	return render(w, r, status, page.ChildPage(v))
}

// handleFlagAcknowledge handles POST /children/{id}/flags/{kind}/acknowledge.
func (s *Server) handleFlagAcknowledge(w http.ResponseWriter, r *http.Request) error {
	id := idParam(r)
	kind := concern.FlagKind(chi.URLParam(r, "kind"))
	reason := r.PostFormValue(concern.FieldFlagReason)
	err := s.concerns.AcknowledgeFlag(r.Context(), actorFrom(r), id, kind, reason)
	if p, ok := fail.ProblemsOf(err); ok {
		field := concern.FieldFlagReason + "-" + string(kind)
		return s.renderChild(w, r, page.ChildView{Problems: validate.Problems{field: p[concern.FieldFlagReason]},
			FlagReason: map[concern.FlagKind]string{kind: reason}}, http.StatusUnprocessableEntity)
	}
	if err != nil {
		return err
	}
	s.flash(r, "The flag has been acknowledged. The next concern about this child will raise it again.")
	http.Redirect(w, r, paths.Child(id)+"#flags", http.StatusSeeOther)
	return nil
}

// handleChildDetailsPage handles GET /children/{id}/details, "Change
// details": the child's flags and social worker as stored.
func (s *Server) handleChildDetailsPage(w http.ResponseWriter, r *http.Request) error {
	c, err := s.pupils.Get(r.Context(), actorFrom(r), idParam(r))
	if err != nil {
		return err
	}
	return render(w, r, http.StatusOK, page.ChildDetails(page.ChildDetailsView{Child: c, Details: c.Details()}))
}

// handleChildDetails handles POST /children/{id}/details: the flags
// checked and the social worker typed.
func (s *Server) handleChildDetails(w http.ResponseWriter, r *http.Request) error {
	by, id := actorFrom(r), idParam(r)
	d := pupil.Details{SocialWorker: r.PostFormValue(pupil.FieldSocialWorker)}
	for _, f := range r.PostForm[pupil.FieldFlags] {
		d.Set(pupil.Flag(f), true)
	}
	err := s.pupils.ChangeDetails(r.Context(), by, id, d)
	if p, ok := fail.ProblemsOf(err); ok {
		c, err := s.pupils.Get(r.Context(), by, id)
		if err != nil {
			return err
		}
		return render(w, r, http.StatusUnprocessableEntity, page.ChildDetails(page.ChildDetailsView{Child: c, Details: d, Problems: p}))
	}
	if err != nil {
		return err
	}
	s.flash(r, "The child’s details have been saved")
	http.Redirect(w, r, paths.Child(id), http.StatusSeeOther)
	return nil
}

// handleSiblingLink handles POST /children/{id}/siblings: a search of the
// roll by name or UPN (q), then the child chosen (sibling).
func (s *Server) handleSiblingLink(w http.ResponseWriter, r *http.Request) error {
	by := actorFrom(r)
	id := idParam(r)
	if r.PostFormValue("mode") == "pick" {
		other, _ := strconv.ParseInt(r.PostFormValue("sibling"), 10, 64)
		if other == 0 {
			picker, problem, err := s.findChildren(r.Context(), by, r.PostFormValue("q"))
			if err != nil {
				return err
			}
			p := validate.Problems{"sibling": "Select the child who is a sibling"}
			if problem != "" {
				p["q"] = problem
			}
			return s.renderChild(w, r, page.ChildView{Query: r.PostFormValue("q"), ChildPicker: picker, Problems: p}, http.StatusUnprocessableEntity)
		}
		if err := s.pupils.LinkSiblings(r.Context(), by, id, other); err != nil {
			return err
		}
		s.flash(r, "The sibling has been linked")
		http.Redirect(w, r, paths.Child(id), http.StatusSeeOther)
		return nil
	}
	q := r.PostFormValue("q")
	picker, problem, err := s.findChildren(r.Context(), by, q)
	if err != nil {
		return err
	}
	if problem != "" {
		return s.renderChild(w, r, page.ChildView{Problems: validate.Problems{"q": problem}, Query: q}, http.StatusUnprocessableEntity)
	}
	return s.renderChild(w, r, page.ChildView{Query: q, ChildPicker: picker}, http.StatusOK)
}

// handleSiblingRemove handles POST /children/{id}/siblings/{sibling}/remove.
func (s *Server) handleSiblingRemove(w http.ResponseWriter, r *http.Request) error {
	id := idParam(r)
	other, _ := strconv.ParseInt(chi.URLParam(r, "sibling"), 10, 64)
	if err := s.pupils.UnlinkSiblings(r.Context(), actorFrom(r), id, other); err != nil {
		return err
	}
	s.flash(r, "The sibling link has been removed")
	http.Redirect(w, r, paths.Child(id), http.StatusSeeOther)
	return nil
}

// handleChronology handles GET /children/{id}/chronology and, with print,
// GET /children/{id}/chronology/print (audited as a print).
func (s *Server) handleChronology(print bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		v := page.ChronologyView{From: dateParts(q, "from"), To: dateParts(q, "to"), Print: print, Now: time.Now(),
			PrintedBy: signInFrom(r).Account.Name}
		var f concern.ChronologyFilter
		for _, k := range q["kind"] {
			for _, known := range concern.EntryKinds() {
				if k == string(known) {
					f.Kinds = append(f.Kinds, known)
					v.Kinds = append(v.Kinds, k)
				}
			}
		}
		problems := validate.Problems{}
		f.From = optionalDate(problems, "from", v.From)
		f.To = optionalDate(problems, "to", v.To)
		ch, err := s.concerns.Chronology(r.Context(), actorFrom(r), idParam(r), f, print)
		if err != nil {
			return err
		}
		v.Chronology, v.Problems = ch, problems
		status := http.StatusOK
		if len(problems) > 0 {
			status = http.StatusUnprocessableEntity
		}
		return render(w, r, status, page.ChronologyPage(v))
	}
}
