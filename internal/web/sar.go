package web

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/fail"
	"github.com/havenschools/haven/internal/paths"
	"github.com/havenschools/haven/internal/records"
	"github.com/havenschools/haven/internal/validate"
	"github.com/havenschools/haven/web/page"
)

// Subject access requests (records): a DSL starts one for a child; a DSL
// and the data protection lead named on it review it passage by passage;
// the disclosure is logged. The records service decides who may see each.

// handleSARList handles GET /sar.
func (s *Server) handleSARList(w http.ResponseWriter, r *http.Request) error {
	return s.renderSARList(w, r, http.StatusOK, page.SARListPage{})
}

func (s *Server) renderSARList(w http.ResponseWriter, r *http.Request, status int, v page.SARListPage) error {
	by := actorFrom(r)
	list, err := s.records.SubjectAccessRequests(r.Context(), by)
	if err != nil {
		return err
	}
	v.Requests, v.CanStart = list, by.Role == actor.DSL
	return render(w, r, status, page.SARList(v))
}

// handleSARFind handles POST /sar/find (a child, searched by POST).
func (s *Server) handleSARFind(w http.ResponseWriter, r *http.Request) error {
	v := page.SARListPage{Query: r.PostFormValue("q")}
	picker, problem, err := s.findChildren(r.Context(), actorFrom(r), v.Query)
	if err != nil {
		return err
	}
	if problem != "" {
		v.Problems = validate.Problems{"q": problem}
		return s.renderSARList(w, r, http.StatusUnprocessableEntity, v)
	}
	v.ChildPicker = picker
	return s.renderSARList(w, r, http.StatusOK, v)
}

// handleSARNew handles GET /children/{id}/sar/new.
func (s *Server) handleSARNew(w http.ResponseWriter, r *http.Request) error {
	return s.renderSARNew(w, r, http.StatusOK, page.SARNewPage{})
}

func (s *Server) renderSARNew(w http.ResponseWriter, r *http.Request, status int, v page.SARNewPage) error {
	id, err := routeID(r)
	if err != nil {
		return err
	}
	by := actorFrom(r)
	if v.Child, err = s.pupils.Get(r.Context(), by, id); err != nil {
		return err
	}
	if v.Leads, err = s.records.DataProtectionLeads(r.Context(), by); err != nil {
		return err
	}
	return render(w, r, status, page.SARNew(v))
}

// handleSARCreate handles POST /children/{id}/sar.
func (s *Server) handleSARCreate(w http.ResponseWriter, r *http.Request) error {
	id, err := routeID(r)
	if err != nil {
		return err
	}
	v := page.SARNewPage{Kind: r.PostFormValue("requester_kind"), Name: r.PostFormValue("requester_name"), DPL: r.PostFormValue("dpl"),
		Received: page.AuditDate{Day: r.PostFormValue("received_on-day"), Month: r.PostFormValue("received_on-month"),
			Year: r.PostFormValue("received_on-year")}}
	received, real := auditDay(v.Received) // not real: the zero date, which the service refuses
	dpl, _ := strconv.ParseInt(v.DPL, 10, 64)
	reqID, err := s.records.StartSAR(r.Context(), actorFrom(r), id, records.SARForm{RequesterKind: v.Kind,
		RequesterName: v.Name, ReceivedOn: dateOnly(received), DPLUserID: dpl})
	if p, isProblems := fail.ProblemsOf(err); isProblems {
		if !real {
			p["received_on"] = "The date received must be a real date, for example 3 11 2026"
		}
		v.Problems = p
		return s.renderSARNew(w, r, http.StatusUnprocessableEntity, v)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, paths.SAR(reqID), http.StatusSeeOther)
	return nil
}

// handleSAR handles GET /sar/{id}.
func (s *Server) handleSAR(w http.ResponseWriter, r *http.Request) error {
	return s.renderSAR(w, r, http.StatusOK, page.SARPage{})
}

func (s *Server) renderSAR(w http.ResponseWriter, r *http.Request, status int, v page.SARPage) error {
	id, err := routeID(r)
	if err != nil {
		return err
	}
	if v.SAR, err = s.records.SubjectAccess(r.Context(), actorFrom(r), id); err != nil {
		return err
	}
	v.CanPrint = s.printer.Available()
	return render(w, r, status, page.SARShow(v))
}

// handleSARReview handles POST /sar/{id}/passages/{passage}.
func (s *Server) handleSARReview(w http.ResponseWriter, r *http.Request) error {
	id, err := routeID(r)
	if err != nil {
		return err
	}
	passage, err := strconv.ParseInt(chi.URLParam(r, "passage"), 10, 64)
	if err != nil {
		return db.ErrNotFound
	}
	v := page.SARPage{Passage: passage, Decision: r.PostFormValue("decision"), Redacted: r.PostFormValue("redacted"),
		Reason: r.PostFormValue("reason")}
	err = s.records.ReviewPassage(r.Context(), actorFrom(r), id, passage, records.Decision(v.Decision), v.Redacted, v.Reason)
	if p, ok := fail.ProblemsOf(err); ok {
		v.Problems = p
		return s.renderSAR(w, r, http.StatusUnprocessableEntity, v)
	}
	if errors.Is(err, records.ErrDisclosed) {
		return s.renderSAR(w, r, http.StatusConflict, page.SARPage{Problems: validate.Problems{"disclosed": err.Error()}})
	}
	if err != nil {
		return err
	}
	s.sessions.Put(r.Context(), sessFlash, "Review saved")
	http.Redirect(w, r, paths.SAR(id), http.StatusSeeOther)
	return nil
}

// handleSARDisclose handles POST /sar/{id}/disclose.
func (s *Server) handleSARDisclose(w http.ResponseWriter, r *http.Request) error {
	id, err := routeID(r)
	if err != nil {
		return err
	}
	to, method := r.PostFormValue("to"), r.PostFormValue("method")
	_, err = s.records.Disclose(r.Context(), actorFrom(r), id, to, method)
	if p, ok := fail.ProblemsOf(err); ok {
		return s.renderSAR(w, r, http.StatusUnprocessableEntity, page.SARPage{Problems: p, To: to, Method: method})
	}
	if errors.Is(err, records.ErrNotSettled) {
		return s.renderSAR(w, r, http.StatusConflict, page.SARPage{Problems: validate.Problems{"disclose": err.Error()}, To: to, Method: method})
	}
	if errors.Is(err, records.ErrDisclosed) {
		return s.renderSAR(w, r, http.StatusConflict, page.SARPage{Problems: validate.Problems{"disclosed": err.Error()}})
	}
	if err != nil {
		return err
	}
	s.sessions.Put(r.Context(), sessFlash, "Disclosure recorded")
	http.Redirect(w, r, paths.SAR(id), http.StatusSeeOther)
	return nil
}

// handleSARBundle handles GET /sar/{id}/bundle: the bundle as disclosed.
func (s *Server) handleSARBundle(w http.ResponseWriter, r *http.Request) error {
	id, err := routeID(r)
	if err != nil {
		return err
	}
	sar, err := s.records.SubjectAccess(r.Context(), actorFrom(r), id)
	if err != nil {
		return err
	}
	return render(w, r, http.StatusOK, page.SARBundle(page.SARBundlePage{SAR: sar, CanPrint: s.printer.Available()}))
}

// handleSARBundlePDF handles GET /sar/{id}/bundle.pdf: the bundle printed
// by Chromium, as a child's file is, to download (not a page). A bundle
// not yet settled is refused on the request's page.
func (s *Server) handleSARBundlePDF(w http.ResponseWriter, r *http.Request) error {
	id, err := routeID(r)
	if err != nil {
		return err
	}
	if !s.printer.Available() {
		return db.ErrNotFound
	}
	out, _, err := s.records.BundlePDF(r.Context(), actorFrom(r), id, s.printBundle)
	if errors.Is(err, records.ErrNotSettled) {
		return s.renderSAR(w, r, http.StatusConflict, page.SARPage{Problems: validate.Problems{"disclose": err.Error()}})
	}
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="subject-access-bundle-`+strconv.FormatInt(id, 10)+`.pdf"`)
	_, err = w.Write(out)
	return err
}

// printBundle renders a subject access bundle as a document for printing
// and has Chromium print it (records.BundlePrintFunc).
func (s *Server) printBundle(ctx context.Context, sar records.SAR) ([]byte, error) {
	var html bytes.Buffer
	if err := page.SARBundlePrint(sar).Render(ctx, &html); err != nil {
		return nil, err
	}
	return s.printer.Print(ctx, html.Bytes(), "Subject access bundle, request "+strconv.FormatInt(sar.ID, 10))
}
