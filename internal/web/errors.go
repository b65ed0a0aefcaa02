package web

import (
	"bytes"
	"context"
	"errors"
	"net/http"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/fail"
	"github.com/havenschools/haven/web/page"
)

// statusClientClosed is the status logged for a request its client gave up
// on before the answer (nginx's 499; no answer reaches anyone).
const statusClientClosed = 499

// handlerFunc is a handler that returns its error, for h to map to a page.
type handlerFunc func(http.ResponseWriter, *http.Request) error

// h adapts a handlerFunc to http.HandlerFunc, sending its error to fail.
func (s *Server) h(fn handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			s.fail(w, r, err)
		}
	}
}

// fail turns an error into a page: the person gets a plain message in the
// site's layout, the log gets the cause (once, here).
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		// The browser went away mid-request (a page left, a tab closed, a
		// live queue's poll cut short): nothing failed, and nobody is left
		// to read an answer. Logged as what it is, not as an outage;
		// 499 is the code proxies use for it, so the access log says so.
		s.log.DebugContext(r.Context(), "request abandoned by the client", "method", r.Method,
			"path", r.URL.Path, "request_id", middleware.GetReqID(r.Context()))
		w.WriteHeader(statusClientClosed)
		return
	}
	status := statusOf(err)
	if status >= 500 {
		s.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "status", status,
			"err", err, "request_id", middleware.GetReqID(r.Context()))
	}
	if status == http.StatusRequestEntityTooLarge {
		w.Header().Set("Connection", "close") // the rest of the body is not read
	}
	_ = render(w, r, status, page.Error(status)) // nothing more to do if this fails too
}

// statusOf is the one mapping from the errors domains return to the status
// of the page a person sees: fail.NotFound 404, fail.Forbidden 403,
// fail.Conflict 409, an oversized body 413, a database that cannot be
// reached (db.Unavailable) 503, anything else 500. A handler with a page of
// its own for an error (its form again with fail.Problems, a conflict page)
// renders it before returning; what it returns comes here.
func statusOf(err error) int {
	var tooLarge *http.MaxBytesError
	switch {
	case errors.Is(err, fail.NotFound):
		return http.StatusNotFound
	case errors.Is(err, fail.Forbidden):
		return http.StatusForbidden
	case errors.Is(err, fail.Conflict):
		return http.StatusConflict
	case errors.As(err, &tooLarge):
		return http.StatusRequestEntityTooLarge
	case db.Unavailable(err):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// sessionError is scs's error handler: the session store could not be read
// or written, which in practice means the database is down.
func (s *Server) sessionError(w http.ResponseWriter, r *http.Request, err error) {
	if r.Method == http.MethodPost && r.URL.Path == "/concerns" {
		s.concernOutage(w, r) // the concern form comes back with what was typed
		return
	}
	s.fail(w, r, errors.Join(db.ErrUnavailable, err))
}

// render writes c with status, rendering into a buffer first so a template
// error is still a clean 500 page.
func render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) error {
	var buf bytes.Buffer
	if err := c.Render(r.Context(), &buf); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := buf.WriteTo(w)
	return err
}
