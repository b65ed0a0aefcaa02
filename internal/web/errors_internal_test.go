package web

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
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
	s.fail(w, r, fmt.Errorf("counting new concerns: %w", errUnavailable))
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(logged.String(), "level=ERROR") {
		t.Errorf("outage: status %d, logged:\n%s", w.Code, logged.String())
	}
}
