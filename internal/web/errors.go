package web

import (
	"bytes"
	"context"
	"errors"
	"net/http"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/havenschools/haven/internal/auth"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/school"
	"github.com/havenschools/haven/web/page"
)

// errForbidden is returned by handlers when the actor may not do something
// they could see they might (a record they may not see is db.ErrNotFound).
var errForbidden = errors.New("forbidden")

// errUnavailable marks a failure to reach the database.
var errUnavailable = errors.New("database unavailable")

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

func statusOf(err error) int {
	var tooLarge *http.MaxBytesError
	switch {
	case errors.Is(err, db.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, errForbidden), errors.Is(err, auth.ErrForbidden), errors.Is(err, school.ErrForbidden):
		return http.StatusForbidden
	case errors.As(err, &tooLarge):
		return http.StatusRequestEntityTooLarge
	case isUnavailable(err):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// isUnavailable reports whether err comes from not reaching the database (as
// opposed to a query the database refused).
func isUnavailable(err error) bool {
	if errors.Is(err, errUnavailable) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// Class 08: connection exception; 57P: operator intervention (shutdown).
		return len(pgErr.Code) == 5 && (pgErr.Code[:2] == "08" || pgErr.Code[:3] == "57P")
	}
	var connErr *pgconn.ConnectError
	return errors.As(err, &connErr) || pgconn.SafeToRetry(err) || pgconn.Timeout(err)
}

// sessionError is scs's error handler: the session store could not be read
// or written, which in practice means the database is down.
func (s *Server) sessionError(w http.ResponseWriter, r *http.Request, err error) {
	if r.Method == http.MethodPost && r.URL.Path == "/concerns" {
		s.concernOutage(w, r) // the concern form comes back with what was typed
		return
	}
	s.fail(w, r, errors.Join(errUnavailable, err))
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
