package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/havenschools/haven/internal/actor"
)

// Body and time limits by kind of route. A form is small and quick; an
// upload is large and may come slowly from a phone; a live stream has no
// write deadline at all.
const (
	formBodyLimit   = 1 << 20           // 1 MiB: a long account is a few tens of KB
	uploadBodyLimit = 10*20<<20 + 1<<20 // ten 20 MB files and the form around them
	formReadTimeout = 30 * time.Second
	formWriteLimit  = 60 * time.Second
	uploadTimeout   = 10 * time.Minute
)

// limits applies a request body limit and read/write deadlines to a route.
// A zero duration leaves that deadline off.
func limits(bodyBytes int64, read, write time.Duration) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rc := http.NewResponseController(w)
			if read > 0 {
				_ = rc.SetReadDeadline(time.Now().Add(read))
			}
			if write > 0 {
				_ = rc.SetWriteDeadline(time.Now().Add(write))
			}
			if r.Body != nil && bodyBytes > 0 {
				r.Body = http.MaxBytesReader(w, r.Body, bodyBytes)
			}
			next.ServeHTTP(w, r)
		})
	}
}

type nonceKey struct{}

// securityHeaders sets the headers every response carries, and a fresh CSP
// nonce for the page's templates (templ.WithNonce).
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b [18]byte
		_, _ = rand.Read(b[:])
		nonce := base64.RawURLEncoding.EncodeToString(b[:])
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self' 'nonce-"+nonce+"'; "+
			"style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "+
			"base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()")
		if s.cfg.TrustProxy {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		if !strings.HasPrefix(r.URL.Path, "/static/") {
			// Pages may show personal data: never kept by a browser or proxy,
			// so Back after sign-out on a shared PC shows nothing.
			h.Set("Cache-Control", "no-store")
		}
		ctx := templ.WithNonce(r.Context(), nonce)
		ctx = context.WithValue(ctx, nonceKey{}, nonce)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// statusRecorder remembers the status and size of a response for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (deadlines, flush).
func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests writes one JSON line per request: method, route pattern (never
// the raw path or query, which may name a record), status, size, duration
// and request id. No personal data and no form values are logged.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		route := "unmatched"
		if rctx := chi.RouteContext(r.Context()); rctx != nil && rctx.RoutePattern() != "" {
			route = rctx.RoutePattern()
		}
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		s.metrics.observe(r.Method, route, rec.status, time.Since(start))
		s.log.InfoContext(r.Context(), "request",
			"method", r.Method, "route", route, "status", rec.status, "bytes", rec.bytes,
			"duration_ms", float64(time.Since(start).Microseconds())/1000,
			"request_id", middleware.GetReqID(r.Context()))
	})
}

// recoverPanics turns a panic into the 500 page and one JSON log line with the stack.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.ErrorContext(r.Context(), "panic", "err", fmt.Sprint(v), "stack", string(debug.Stack()),
				"request_id", middleware.GetReqID(r.Context()))
			s.fail(w, r, fmt.Errorf("panic: %v", v))
		}()
		next.ServeHTTP(w, r)
	})
}

// clientIP is the address a request came from: the connection's peer, or,
// behind a trusted proxy, the last X-Forwarded-For hop (the one our proxy
// added; earlier hops are whatever the client claimed).
func (s *Server) clientIP(r *http.Request) string {
	if s.cfg.TrustProxy {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			hops := strings.Split(xff, ",")
			if ip := net.ParseIP(strings.TrimSpace(hops[len(hops)-1])); ip != nil {
				return ip.String()
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// source describes where r came from, for the audit trail.
func (s *Server) source(r *http.Request) actor.Source {
	ua := r.UserAgent()
	if len(ua) > 512 {
		ua = ua[:512]
	}
	return actor.Source{RequestID: middleware.GetReqID(r.Context()), ClientIP: s.clientIP(r), UserAgent: ua}
}
