package web

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/concern"
	"github.com/havenschools/haven/internal/fail"
	"github.com/havenschools/haven/internal/paths"
	"github.com/havenschools/haven/internal/records"
	"github.com/havenschools/haven/internal/validate"
	"github.com/havenschools/haven/web/page"
)

// The "Exports" page (records): admins, DSLs and the head ask for exports
// of the school's concerns with a reason; the DSL team approves admins'
// exports and sees every export; only the person who asked downloads.

// handleExports handles GET /exports.
func (s *Server) handleExports(w http.ResponseWriter, r *http.Request) error {
	return s.renderExports(w, r, http.StatusOK, page.ExportForm{Format: string(records.CSV)}, nil)
}

func (s *Server) renderExports(w http.ResponseWriter, r *http.Request, status int, f page.ExportForm, p validate.Problems) error {
	by := actorFrom(r)
	list, err := s.records.Exports(r.Context(), by)
	if err != nil {
		return err
	}
	st, err := s.records.Settings(r.Context(), by)
	if err != nil {
		return err
	}
	settings, err := s.schools.Settings(r.Context(), by)
	if err != nil {
		return err
	}
	v := page.ExportsPage{Form: f, Problems: p, Team: by.Role == actor.DSL || by.Role == actor.Head,
		Admin: by.Role == actor.Admin, Approval: st.ExportApproval, ViewerID: by.UserID}
	for _, c := range settings.Categories {
		v.Categories = append(v.Categories, page.Option{Value: c.Key, Text: c.Name})
	}
	for _, st := range concern.Statuses() {
		v.Statuses = append(v.Statuses, page.Option{Value: string(st), Text: st.Label()})
	}
	for _, e := range list {
		mine := e.RequestedBy != nil && *e.RequestedBy == by.UserID
		if mine {
			v.Mine = append(v.Mine, e)
		}
		if v.Team {
			v.All = append(v.All, e)
			if e.Status == records.AwaitingApproval && !mine {
				v.Waiting = append(v.Waiting, e)
			}
		}
	}
	return render(w, r, status, page.Exports(v))
}

// handleExportCreate handles POST /exports, "Request export".
func (s *Server) handleExportCreate(w http.ResponseWriter, r *http.Request) error {
	f := page.ExportForm{
		Format: r.PostFormValue("format"), Status: r.PostFormValue("status"), Category: r.PostFormValue("category"),
		Reason: r.PostFormValue("reason"),
		From:   page.AuditDate{Day: r.PostFormValue("from-day"), Month: r.PostFormValue("from-month"), Year: r.PostFormValue("from-year")},
		To:     page.AuditDate{Day: r.PostFormValue("to-day"), Month: r.PostFormValue("to-month"), Year: r.PostFormValue("to-year")},
	}
	req := records.Request{Format: records.Format(f.Format), Reason: f.Reason,
		Filter: records.Filter{Status: f.Status, Category: f.Category}}
	p := validate.Problems{}
	from, ok := auditDay(f.From)
	if !ok {
		p.Add("from", "The start date must be a real date, for example 1 9 2026")
	}
	to, ok := auditDay(f.To)
	if !ok {
		p.Add("to", "The end date must be a real date, for example 31 12 2026")
	}
	req.Filter.From, req.Filter.To = dateOnly(from), dateOnly(to)
	e, err := s.records.RequestExport(r.Context(), actorFrom(r), req)
	if rp, isProblems := fail.ProblemsOf(err); isProblems || len(p) > 0 {
		for k, v := range rp {
			p.Add(k, v)
		}
		return s.renderExports(w, r, http.StatusUnprocessableEntity, f, p)
	}
	if err != nil {
		return err
	}
	if e.Status == records.AwaitingApproval {
		s.sessions.Put(r.Context(), sessFlash, "Export requested: a DSL or the head must approve it")
	} else {
		s.sessions.Put(r.Context(), sessFlash, "Export requested: it is being prepared")
	}
	http.Redirect(w, r, paths.Export(e.PublicID), http.StatusSeeOther)
	return nil
}

// handleExportSettings handles POST /exports/settings: whether an admin's
// export needs approval (the DSL team only).
func (s *Server) handleExportSettings(w http.ResponseWriter, r *http.Request) error {
	by := actorFrom(r)
	st, err := s.records.Settings(r.Context(), by)
	if err != nil {
		return err
	}
	st.ExportApproval = r.PostFormValue("approval") != "no"
	if err := s.records.SetSettings(r.Context(), by, st); err != nil {
		return err
	}
	s.sessions.Put(r.Context(), sessFlash, "Approval setting saved")
	http.Redirect(w, r, "/exports", http.StatusSeeOther)
	return nil
}

// handleExport handles GET /exports/{id}: the export's page, with its progress.
func (s *Server) handleExport(w http.ResponseWriter, r *http.Request) error {
	return s.renderExport(w, r, http.StatusOK, "", nil)
}

func (s *Server) renderExport(w http.ResponseWriter, r *http.Request, status int, note string, p validate.Problems) error {
	by := actorFrom(r)
	e, err := s.records.Export(r.Context(), by, chi.URLParam(r, "id"))
	if err != nil {
		return err
	}
	mine := e.RequestedBy != nil && *e.RequestedBy == by.UserID
	v := page.ExportPage{Export: e, Mine: mine, Note: note, Problems: p,
		CanDecide: e.Status == records.AwaitingApproval && !mine && (by.Role == actor.DSL || by.Role == actor.Head)}
	if pw := s.sessions.PopString(r.Context(), sessFilePassword+e.PublicID); pw != "" && mine {
		v.Password = pw
	}
	return render(w, r, status, page.Export(v))
}

// sessFilePassword prefixes the session key holding a child's file's
// password until its page shows it, once.
const sessFilePassword = "file_password:"

// handleExportDecide handles POST /exports/{id}/approve and /reject.
func (s *Server) handleExportDecide(approve bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id := chi.URLParam(r, "id")
		note := r.PostFormValue("note")
		err := s.records.DecideExport(r.Context(), actorFrom(r), id, approve, note)
		if p, ok := fail.ProblemsOf(err); ok {
			return s.renderExport(w, r, http.StatusUnprocessableEntity, note, p)
		}
		if err != nil {
			return err
		}
		if approve {
			s.sessions.Put(r.Context(), sessFlash, "Export approved: it is being prepared")
		} else {
			s.sessions.Put(r.Context(), sessFlash, "Export refused")
		}
		http.Redirect(w, r, paths.Export(id), http.StatusSeeOther)
		return nil
	}
}

// handleExportDownload handles GET /exports/{id}/download: the file, for
// the person who asked for it only, streamed from the database.
func (s *Server) handleExportDownload(w http.ResponseWriter, r *http.Request) error {
	by := actorFrom(r)
	e, err := s.records.Open(r.Context(), by, chi.URLParam(r, "id"))
	if errors.Is(err, records.ErrExpired) {
		return render(w, r, http.StatusGone, page.ExportGone())
	}
	if errors.Is(err, records.ErrNotReady) {
		http.Redirect(w, r, paths.Export(chi.URLParam(r, "id")), http.StatusSeeOther)
		return nil
	}
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", e.Format.ContentType())
	h.Set("Content-Disposition", contentDisposition(e.FileName()))
	h.Set("Content-Length", strconv.FormatInt(e.SizeBytes, 10))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	if err := s.records.WriteFile(r.Context(), by, e, w); err != nil {
		// Headers are sent: all that can be done is to log and cut the response short.
		s.log.ErrorContext(r.Context(), "export download failed", "export", e.PublicID, "err", err)
		panic(http.ErrAbortHandler)
	}
	return nil
}

// dateOnly is the date of t (a day typed in the school's time zone) as
// midnight UTC, or the zero time.
func dateOnly(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}
