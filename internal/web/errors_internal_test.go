package web

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/havenschools/haven/internal/auth"
	"github.com/havenschools/haven/internal/concern"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/pupil"
	"github.com/havenschools/haven/internal/records"
	"github.com/havenschools/haven/internal/school"
)

// A request its browser gave up on (a page left while the live queue was
// polling) is not an outage: no 503 page, no ERROR line; a database that
// cannot be reached still is.
func TestFailTellsAnAbandonedRequestFromAnOutage(t *testing.T) {
	t.Parallel()
	var logged bytes.Buffer
	s := &Server{log: slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug}))}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	w := httptest.NewRecorder()
	r := httptest.NewRequestWithContext(ctx, http.MethodGet, "/queue/new", nil)
	s.fail(w, r, fmt.Errorf("counting new concerns: %w", context.Canceled))
	if w.Code != statusClientClosed || w.Body.Len() != 0 {
		t.Errorf("abandoned request: status %d, body %q; want %d and no page", w.Code, w.Body, statusClientClosed)
	}
	if strings.Contains(logged.String(), "level=ERROR") || !strings.Contains(logged.String(), "abandoned") {
		t.Errorf("abandoned request logged as:\n%s", logged.String())
	}

	// The same error on a request still being waited for is a failure.
	logged.Reset()
	w = httptest.NewRecorder()
	r = httptest.NewRequest(http.MethodGet, "/queue/new", nil)
	s.fail(w, r, fmt.Errorf("counting new concerns: %w", db.ErrUnavailable))
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(logged.String(), "level=ERROR") {
		t.Errorf("outage: status %d, logged:\n%s", w.Code, logged.String())
	}
}

// Each domain's refusal, wrapped as a service wraps it, becomes its page's
// status through the one mapping (fail), with no adapter in the handler.
func TestFailMapsEachDomainErrorToItsStatus(t *testing.T) {
	t.Parallel()
	s := &Server{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, c := range []struct {
		err  error
		want int
	}{
		{records.ErrForbidden, http.StatusForbidden},
		{records.ErrOwnRequest, http.StatusForbidden},
		{school.ErrForbidden, http.StatusForbidden},
		{auth.ErrForbidden, http.StatusForbidden},
		{pupil.ErrForbidden, http.StatusForbidden},
		{db.ErrNotFound, http.StatusNotFound},
		{errNotFoundPage, http.StatusNotFound},
		{records.ErrDisclosed, http.StatusConflict},
		{concern.ErrAlreadySubmitted, http.StatusConflict},
		{&concern.StateError{Msg: "closed"}, http.StatusConflict},
		{&concern.ConflictError{Ref: "C-1"}, http.StatusConflict},
		{&pgconn.PgError{Code: "57P01"}, http.StatusServiceUnavailable},
		{&http.MaxBytesError{Limit: 1}, http.StatusRequestEntityTooLarge},
		{&pgconn.PgError{Code: "23505"}, http.StatusInternalServerError},
	} {
		w := httptest.NewRecorder()
		s.fail(w, httptest.NewRequest(http.MethodPost, "/x", nil), fmt.Errorf("service: %w", c.err))
		if w.Code != c.want {
			t.Errorf("%T %v: status %d, want %d", c.err, c.err, w.Code, c.want)
		}
		if c.want == http.StatusConflict && !strings.Contains(w.Body.String(), "This cannot be done now") {
			t.Errorf("%v: the conflict page does not say so:\n%s", c.err, w.Body)
		}
	}
}
