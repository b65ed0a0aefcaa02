package web

import (
	"io/fs"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/havenschools/haven/web/static"
)

// Routes returns the whole URL surface of Haven.
func (s *Server) Routes() http.Handler {
	r := chi.NewRouter()
	// Cross-origin protection wraps everything, so an unsafe cross-origin
	// request is refused (403) before routing, whatever its URL.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, errForbidden)
	}))
	r.Use(middleware.RequestID, s.logRequests, s.securityHeaders, s.recoverPanics, cop.Handler)

	// Probes and static files need neither a session nor a database.
	r.Get("/healthz", s.handleHealthz)
	r.Get("/readyz", s.handleReadyz)
	r.Handle("/static/*", s.staticFiles())

	r.Group(func(r chi.Router) {
		r.Use(limits(formBodyLimit, formReadTimeout, formWriteLimit), s.sessions.LoadAndSave)

		r.Get("/", s.h(s.handleHome))
		r.Get("/accessibility", s.h(s.handleAccessibility))
	})

	r.NotFound(func(w http.ResponseWriter, r *http.Request) { s.fail(w, r, errNotFoundPage) })
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) { s.fail(w, r, errNotFoundPage) })
	return r
}

func (s *Server) staticFiles() http.Handler {
	sub, _ := fs.Sub(static.FS, ".")
	files := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Not fingerprinted, so cached for an hour rather than for ever.
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}
