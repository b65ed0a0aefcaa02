package web

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/paths"
	"github.com/havenschools/haven/internal/pupil"
	"github.com/havenschools/haven/web/page"
)

// "Import the roll" (pupils): admins and DSLs upload the MIS's CSV, check
// its preview and import it.

// handlePupilsImportPage handles GET /pupils/import.
func (s *Server) handlePupilsImportPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderPupilsImport(w, r, http.StatusOK, "")
}

func (s *Server) renderPupilsImport(w http.ResponseWriter, r *http.Request, status int, problem string) error {
	recent, err := s.pupils.RollImports(r.Context(), actorFrom(r))
	if err != nil {
		return err
	}
	return render(w, r, status, page.PupilsImport(page.PupilsImportPage{Problem: problem, Recent: recent}))
}

// handlePupilsUpload handles POST /pupils/import: it keeps the file and
// shows its preview (nothing reaches the roll yet).
func (s *Server) handlePupilsUpload(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, pupil.MaxRollBytes+64<<10)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return s.renderPupilsImport(w, r, http.StatusUnprocessableEntity, "The file must be smaller than 5 MB")
		}
		return s.renderPupilsImport(w, r, http.StatusUnprocessableEntity, "Choose the roll CSV file")
	}
	f, h, err := r.FormFile("roll")
	if err != nil {
		return s.renderPupilsImport(w, r, http.StatusUnprocessableEntity, "Choose the roll CSV file")
	}
	defer f.Close()
	content, err := io.ReadAll(io.LimitReader(f, pupil.MaxRollBytes+1))
	if err != nil {
		return err
	}
	if len(content) == 0 {
		return s.renderPupilsImport(w, r, http.StatusUnprocessableEntity, "The file is empty")
	}
	p, err := s.pupils.StageImport(r.Context(), actorFrom(r), h.Filename, content)
	if err != nil {
		return err
	}
	if p.ID == 0 { // too large to keep
		return s.renderPupilsImport(w, r, http.StatusUnprocessableEntity, p.Problems[0].Message)
	}
	http.Redirect(w, r, paths.PupilsImport(p.ID), http.StatusSeeOther)
	return nil
}

// handlePupilsPreview handles GET /pupils/import/{id}.
func (s *Server) handlePupilsPreview(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil {
		return db.ErrNotFound
	}
	p, err := s.pupils.Preview(r.Context(), actorFrom(r), id)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if len(p.Problems) > 0 && p.AppliedAt == nil {
		status = http.StatusUnprocessableEntity
	}
	return render(w, r, status, page.PupilsPreview(page.PupilsPreviewPage{Preview: p}))
}

// handlePupilsApply handles POST /pupils/import/{id}, "Import the roll".
func (s *Server) handlePupilsApply(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil {
		return db.ErrNotFound
	}
	res, err := s.pupils.ApplyImport(r.Context(), actorFrom(r), id)
	if errors.Is(err, pupil.ErrImportRefused) {
		http.Redirect(w, r, paths.PupilsImport(id), http.StatusSeeOther)
		return nil
	}
	if err != nil {
		return err
	}
	s.sessions.Put(r.Context(), sessFlash, "Roll imported: "+strconv.Itoa(res.Added)+" added, "+strconv.Itoa(res.Updated)+
		" updated, "+strconv.Itoa(res.Merged)+" matched")
	http.Redirect(w, r, paths.PupilsImport(id), http.StatusSeeOther)
	return nil
}
