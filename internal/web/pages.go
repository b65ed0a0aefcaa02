package web

import (
	"fmt"
	"net/http"
	"time"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/auth"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/web/page"
)

// errNotFoundPage is the error for a URL Haven does not have.
var errNotFoundPage = fmt.Errorf("no such page: %w", db.ErrNotFound)

// handleHome handles GET /, the start page.
func (s *Server) handleHome(w http.ResponseWriter, r *http.Request) error {
	var v page.HomePage
	if si := signInFrom(r); si.Stage == auth.InSchool && si.Actor.Role == actor.Admin {
		c, err := s.schools.Calendar(r.Context(), si.Actor)
		if err != nil {
			return err
		}
		cover := c.TermCover(time.Now())
		v.Terms = &cover
	}
	return render(w, r, http.StatusOK, page.Home(v))
}

// handleMenu handles GET /menu, "More": the links of the role's menu
// beyond the service navigation (the page frame carries them).
func (s *Server) handleMenu(w http.ResponseWriter, r *http.Request) error {
	return render(w, r, http.StatusOK, page.Menu())
}

// handleAccessibility handles GET /accessibility, the accessibility statement.
func (s *Server) handleAccessibility(w http.ResponseWriter, r *http.Request) error {
	return render(w, r, http.StatusOK, page.Accessibility())
}

// handleHealthz handles GET /healthz: 200 while the process runs.
func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ok")
}

// handleReadyz handles GET /readyz: 200 when this server takes requests and
// its database answers, 503 otherwise.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	switch {
	case !s.ready.Load():
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "shutting down")
	case !s.databaseAnswers(r.Context()):
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "database unavailable")
	default:
		fmt.Fprintln(w, "ready")
	}
}
