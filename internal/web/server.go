// Package web is Haven's HTTP layer: every route, the middleware, sessions
// and thin handlers that parse a request, call a domain service and render
// a templ page. Handlers hold no SQL and no business rules.
package web

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/havenschools/haven/internal/allegation"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/auth"
	"github.com/havenschools/haven/internal/concern"
	"github.com/havenschools/haven/internal/encompass"
	"github.com/havenschools/haven/internal/pdf"
	"github.com/havenschools/haven/internal/pupil"
	"github.com/havenschools/haven/internal/records"
	"github.com/havenschools/haven/internal/school"
)

// Config is what the web layer needs to know about the deployment.
type Config struct {
	// TrustProxy: a TLS-terminating proxy is in front, so send HSTS, mark
	// cookies Secure (with the __Host- prefix) and take the client address from
	// the last X-Forwarded-For hop.
	TrustProxy      bool
	BaseURL         string
	SessionIdle     time.Duration
	SessionLifetime time.Duration
	// Chromium prints a child's file as PDF ("": chromium on the PATH).
	Chromium string
}

// Server holds exactly what the handlers use. Build it with New.
type Server struct {
	log      *slog.Logger
	cfg      Config
	printer  *pdf.Printer // a child's file as PDF (Chromium)
	pool     *pgxpool.Pool
	sessions *scs.SessionManager
	cleanup  *sessionCleanup
	metrics  *Metrics // nil: not collected
	ready    atomic.Bool
	auth     *auth.Service
	schools  *school.Service
	concerns *concern.Service
	pupils   *pupil.Service

	// Concerns about adults and Operation Encompass (issue 8).
	allegations *allegation.Service
	encompass   *encompass.Service
	records     *records.Service
	audit       *audit.Service
	// feed tells open Safeguarding queues of new concerns (its own
	// LISTEN connection, opened at the first subscriber); streamsDone
	// closes to end every event stream (EndStreams).
	feed        *concern.Feed
	streamsDone chan struct{}
	endStreams  sync.Once
}

// Deps are the services the handlers call, each built once by app.Build
// (the same instances its River workers use). Every field is required but
// Metrics: New builds none of them.
type Deps struct {
	Log     *slog.Logger
	Pool    *pgxpool.Pool // sessions, /readyz
	Metrics *Metrics      // optional: nil, not collected

	Auth     *auth.Service
	Schools  *school.Service
	Concerns *concern.Service
	Pupils   *pupil.Service
	// Concerns about adults and Operation Encompass (issue 8).
	Allegations *allegation.Service
	Encompass   *encompass.Service
	// Records: exports, a child's file, transfers, retention.
	Records *records.Service
	Audit   *audit.Service
	// Feed tells open Safeguarding queues of new concerns; Close closes it.
	Feed *concern.Feed
}

// missing names the first required field of d that is nil, or "".
func (d Deps) missing() string {
	for _, f := range []struct {
		name string
		nil  bool
	}{
		{"Log", d.Log == nil}, {"Pool", d.Pool == nil},
		{"Auth", d.Auth == nil}, {"Schools", d.Schools == nil}, {"Concerns", d.Concerns == nil},
		{"Pupils", d.Pupils == nil}, {"Allegations", d.Allegations == nil}, {"Encompass", d.Encompass == nil},
		{"Records", d.Records == nil}, {"Audit", d.Audit == nil}, {"Feed", d.Feed == nil},
	} {
		if f.nil {
			return f.name
		}
	}
	return ""
}

// New returns a Server on the services in d, or an error naming the first
// required one that is missing (before starting anything). It is ready
// (for /readyz) until SetReady(false).
func New(cfg Config, d Deps) (*Server, error) {
	if name := d.missing(); name != "" {
		return nil, fmt.Errorf("web.New: Deps.%s is nil", name)
	}
	s := &Server{log: d.Log, cfg: cfg, pool: d.Pool, metrics: d.Metrics,
		auth: d.Auth, schools: d.Schools, concerns: d.Concerns, pupils: d.Pupils,
		allegations: d.Allegations, encompass: d.Encompass, records: d.Records, audit: d.Audit,
		feed: d.Feed, streamsDone: make(chan struct{})}
	s.printer = pdf.NewPrinter(cfg.Chromium)
	s.sessions = newSessions(cfg, d.Pool, s.sessionError)
	s.cleanup = startSessionCleanup(d.Pool, d.Log, 10*time.Minute)
	s.ready.Store(true)
	return s, nil
}

// SetReady marks the server ready or not for /readyz: a server shutting down
// reports not ready so a load balancer stops sending it requests.
func (s *Server) SetReady(ok bool) { s.ready.Store(ok) }

// Close stops the background cleanup of expired sessions, ends the event
// streams and closes the queue feed's connection (Deps.Feed).
func (s *Server) Close() {
	s.cleanup.Stop()
	s.EndStreams()
	s.feed.Close()
}

// pingTimeout bounds /readyz's database check.
const pingTimeout = 2 * time.Second

func (s *Server) databaseAnswers(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	return s.pool.Ping(ctx) == nil
}
