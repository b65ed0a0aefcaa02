// Package web is Haven's HTTP layer: every route, the middleware, sessions
// and thin handlers that parse a request, call a domain service and render
// a templ page. Handlers hold no SQL and no business rules.
package web

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/havenschools/haven/internal/allegation"
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
	// feed tells open Safeguarding queues of new concerns (its own
	// LISTEN connection, opened at the first subscriber); streamsDone
	// closes to end every event stream (EndStreams).
	feed        *concern.Feed
	streamsDone chan struct{}
	endStreams  sync.Once
}

// Deps are the services the handlers call.
type Deps struct {
	Log     *slog.Logger
	Pool    *pgxpool.Pool
	Metrics *Metrics // optional
	// Auth and Schools default to services on Pool without email (tests
	// that need invitation or reset emails pass app.Build's).
	Auth    *auth.Service
	Schools *school.Service
	// Concerns is required for the concern pages (app.Build passes it: it
	// needs the job client to email the DSLs). Pupils defaults to a service on Pool.
	Concerns *concern.Service
	Pupils   *pupil.Service

	// Allegations (concerns about adults; app.Build passes one that emails
	// the head) and Encompass default to services on Pool.
	Allegations *allegation.Service
	Encompass   *encompass.Service
	// Records (exports, a child's file, retention) defaults to a service
	// on Pool that runs no background jobs.
	Records *records.Service
}

// New returns a Server. It is ready (for /readyz) until SetReady(false).
func New(cfg Config, d Deps) *Server {
	s := &Server{log: d.Log, cfg: cfg, pool: d.Pool, metrics: d.Metrics, auth: d.Auth, schools: d.Schools}
	if s.auth == nil {
		s.auth = auth.NewService(d.Pool, nil, auth.Config{BaseURL: cfg.BaseURL})
	}
	if s.schools == nil {
		s.schools = school.NewService(d.Pool)
	}
	s.concerns, s.pupils = d.Concerns, d.Pupils
	if s.pupils == nil {
		s.pupils = pupil.NewService(d.Pool)
	}
	s.allegations, s.encompass = d.Allegations, d.Encompass
	if s.allegations == nil {
		s.allegations = allegation.NewService(d.Pool, nil, cfg.BaseURL)
	}
	if s.encompass == nil {
		s.encompass = encompass.NewService(d.Pool)
	}
	s.records = d.Records
	if s.records == nil {
		s.records = records.NewService(d.Pool, nil, cfg.BaseURL)
	}
	s.feed, s.streamsDone = concern.NewFeed(d.Pool.Config().ConnConfig, d.Log), make(chan struct{})
	s.printer = pdf.NewPrinter(cfg.Chromium)
	s.sessions = newSessions(cfg, d.Pool, s.sessionError)
	s.cleanup = startSessionCleanup(d.Pool, d.Log, 10*time.Minute)
	s.ready.Store(true)
	return s
}

// SetReady marks the server ready or not for /readyz: a server shutting down
// reports not ready so a load balancer stops sending it requests.
func (s *Server) SetReady(ok bool) { s.ready.Store(ok) }

// Close stops the background cleanup of expired sessions, ends the event
// streams and closes the queue feed's connection.
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
