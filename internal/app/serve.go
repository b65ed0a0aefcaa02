package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"

	"github.com/havenschools/haven/internal/allegation"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/auth"
	"github.com/havenschools/haven/internal/concern"
	"github.com/havenschools/haven/internal/encompass"
	"github.com/havenschools/haven/internal/jobs"
	"github.com/havenschools/haven/internal/notify"
	"github.com/havenschools/haven/internal/pupil"
	"github.com/havenschools/haven/internal/records"
	"github.com/havenschools/haven/internal/school"
	"github.com/havenschools/haven/internal/web"
)

// App is Haven's services, job client and web server, wired together.
type App struct {
	Web     *web.Server
	Jobs    *jobs.Client
	Metrics *prometheus.Registry
	// Allegations handles concerns about adults; tests set its clock.
	Allegations *allegation.Service
}

// Build wires Haven on pool: every service, built once, the job client
// (not started) and the web server. The web server and the River workers
// share the same service instances. Serve uses it, and so do tests that
// need the whole application on a test database.
func Build(cfg Config, pool *pgxpool.Pool, mailer notify.Mailer, log *slog.Logger) (*App, error) {
	reg := newRegistry(pool)
	escalator := concern.NewEscalator(pool, cfg.BaseURL, nil)
	// The records service both works its jobs and enqueues (exports, the
	// retention review's and the transfer chase's emails): it gets the
	// client once the client is built with its workers.
	recs := records.NewService(pool, nil, cfg.BaseURL)
	jobClient, err := jobs.New(pool, log, func(w *river.Workers) { notify.AddWorkers(w, mailer) }, escalator.AddWorkers,
		recs.AddWorkers)
	if err != nil {
		return nil, fmt.Errorf("job client: %w", err)
	}
	recs.UseJobs(jobClient)
	jobClient.PeriodicJobs().Add(escalator.PeriodicJob())
	jobClient.PeriodicJobs().AddMany(recs.PeriodicJobs())
	allegations := allegation.NewService(pool, jobClient, cfg.BaseURL)
	srv, err := web.New(web.Config{
		TrustProxy: cfg.TrustProxy, BaseURL: cfg.BaseURL, Chromium: cfg.Chromium,
		SessionIdle: cfg.SessionIdle, SessionLifetime: cfg.SessionLifetime,
	}, web.Deps{Log: log, Pool: pool, Metrics: web.NewMetrics(reg),
		Auth:        auth.NewService(pool, jobClient, auth.Config{BaseURL: cfg.BaseURL}),
		Schools:     school.NewService(pool),
		Concerns:    concern.NewService(pool, jobClient, cfg.BaseURL),
		Pupils:      pupil.NewService(pool),
		Allegations: allegations,
		Encompass:   encompass.NewService(pool),
		Records:     recs,
		Audit:       audit.NewService(pool),
		Feed:        concern.NewFeed(pool.Config().ConnConfig, log)})
	if err != nil {
		return nil, err
	}
	return &App{Web: srv, Jobs: jobClient, Metrics: reg, Allegations: allegations}, nil
}

// shutdownTimeout bounds how long in-flight requests get to finish on SIGTERM.
const shutdownTimeout = 25 * time.Second

func serveCmd(ctx context.Context, env Env, args []string) error {
	fs := flags(env, "serve")
	addr := fs.String("addr", "", "listen address (default $HAVEN_ADDR or 127.0.0.1:8080)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := LoadConfig(env.Getenv)
	if err != nil {
		return err
	}
	if *addr != "" {
		if env.Getenv("HAVEN_BASE_URL") == "" {
			cfg.BaseURL = "http://" + *addr
		}
		cfg.Addr = *addr
	}
	return Serve(ctx, cfg, env, nil)
}

// Serve runs Haven until ctx is cancelled: it opens (or starts) the database,
// migrates it, seeds the demo school on the embedded default, starts the job
// client and the HTTP server, and on cancellation stops taking requests, lets
// those in flight finish, and stops everything it started. When started is
// not nil, it receives the server's address once it is listening.
func Serve(ctx context.Context, cfg Config, env Env, started chan<- string) error {
	log := env.Log
	pool, d, closeDB, err := openPool(ctx, cfg, env, poolOptions{maxConns: cfg.DBMaxConns, migrate: true})
	if err != nil {
		return err
	}
	defer closeDB()
	if d.cluster != nil {
		if err := seedDemo(ctx, pool, env, demoLoginsFile(cfg)); err != nil {
			return err
		}
		// In production the operator's scheduler runs `haven audit checkpoint`.
		stopCheckpoints, err := startDevCheckpoints(ctx, cfg, d.ownerURL, env)
		if err != nil {
			return fmt.Errorf("audit checkpoints: %w", err)
		}
		defer stopCheckpoints()
	}

	mailer, err := newMailer(cfg, env)
	if err != nil {
		return err
	}
	a, err := Build(cfg, pool, mailer, log)
	if err != nil {
		return err
	}
	// Not ctx: cancelling the start context makes River stop abruptly; stopJobs stops it in order.
	if err := a.Jobs.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("start job client: %w", err)
	}
	jobClient, srv := a.Jobs, a.Web
	defer srv.Close()
	if cfg.MetricsAddr != "" {
		stopMetrics, err := serveMetrics(ctx, cfg.MetricsAddr, a.Metrics, log)
		if err != nil {
			stopJobs(jobClient, log)
			return err
		}
		defer stopMetrics()
	}
	httpSrv := &http.Server{
		Addr:              cfg.Addr,
		Handler:           srv.Routes(),
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		// Read and write deadlines are set per route (forms, uploads and
		// live streams differ): see web.limits.
	}
	// Shutdown waits for requests in flight, which a live event stream
	// never finishes by itself.
	httpSrv.RegisterOnShutdown(srv.EndStreams)
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		stopJobs(jobClient, log)
		return fmt.Errorf("listen: %w", err)
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- httpSrv.Serve(ln) }()
	url := "http://" + ln.Addr().String()
	fmt.Fprintf(env.Stdout, "Haven %s is running at %s (Ctrl-C to stop)\n", Version(), url)
	log.Info("listening", "addr", ln.Addr().String(), "version", Version())
	if started != nil {
		started <- ln.Addr().String()
	}
	stopNotify := notifySystemd(ctx, env, ln.Addr().String(), log)
	defer stopNotify()

	select {
	case err = <-serveErr:
		stopJobs(jobClient, log)
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	stopNotify()
	srv.SetReady(false)
	time.Sleep(cfg.ShutdownDelay) // let a load balancer see /readyz fail first
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	err = httpSrv.Shutdown(shutdownCtx)
	stopJobs(jobClient, log)
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

func stopJobs(c *jobs.Client, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Stop(ctx); err != nil {
		log.Warn("stop job client", "err", err)
	}
}

// newMailer sends through HAVEN_SMTP_URL, or, without it, writes each email
// to the outbox folder under HAVEN_DATA_DIR.
func newMailer(cfg Config, env Env) (notify.Mailer, error) {
	if cfg.SMTPURL != "" {
		return notify.NewSMTP(cfg.SMTPURL, cfg.MailFrom)
	}
	o, err := notify.NewOutbox(filepath.Join(cfg.DataDir, "outbox"), cfg.MailFrom)
	if err != nil {
		return nil, fmt.Errorf("mail outbox: %w", err)
	}
	fmt.Fprintf(env.Stdout, "No HAVEN_SMTP_URL: emails are written to %s\n", o.Dir())
	return o, nil
}
