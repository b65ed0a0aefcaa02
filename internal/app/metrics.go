package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/concern"
	"github.com/havenschools/haven/internal/db"
)

// newRegistry returns a Prometheus registry with the Go runtime, process,
// database pool and job queue collectors. No metric carries personal data:
// labels are route patterns, states and queue names.
func newRegistry(pool *pgxpool.Pool) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		poolCollector{pool},
		jobCollector{pool},
		waitingCollector{pool},
		auditVerifyCollector{pool},
	)
	return reg
}

// serveMetrics serves /metrics on addr until ctx ends. It is a separate
// listener so it can stay inside the host or cluster network.
func serveMetrics(ctx context.Context, addr string, reg *prometheus.Registry, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics listener: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server", "err", err)
		}
	}()
	log.Info("metrics listening", "addr", ln.Addr().String())
	return func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}

var (
	poolAcquired = prometheus.NewDesc("haven_db_pool_acquired_connections", "Connections in use.", nil, nil)
	poolIdle     = prometheus.NewDesc("haven_db_pool_idle_connections", "Idle connections.", nil, nil)
	poolTotal    = prometheus.NewDesc("haven_db_pool_total_connections", "Open connections.", nil, nil)
	poolMax      = prometheus.NewDesc("haven_db_pool_max_connections", "Pool size limit.", nil, nil)
	poolWaits    = prometheus.NewDesc("haven_db_pool_empty_acquire_total", "Acquires that had to wait for a connection.", nil, nil)
	poolWait     = prometheus.NewDesc("haven_db_pool_acquire_wait_seconds_total", "Time spent waiting to acquire connections.", nil, nil)
	jobsByState  = prometheus.NewDesc("haven_jobs", "Background jobs by queue and state.", []string{"queue", "state"}, nil)
	jobsUp       = prometheus.NewDesc("haven_jobs_scrape_ok", "1 when the job counts could be read.", nil, nil)

	waiting   = prometheus.NewDesc("haven_concerns_unacknowledged", "Concerns no DSL has acknowledged yet, across every school, by how long they have waited.", []string{"band"}, nil)
	waitingUp = prometheus.NewDesc("haven_concerns_scrape_ok", "1 when the unacknowledged concerns could be counted.", nil, nil)

	verifyRan       = prometheus.NewDesc("haven_audit_verify_last_run_timestamp_seconds", "When the last full `haven audit verify` finished (absent: never).", nil, nil)
	verifyOK        = prometheus.NewDesc("haven_audit_verify_last_ok", "1 when the last full `haven audit verify` found every chain holding, 0 when one was broken.", nil, nil)
	verifyBroken    = prometheus.NewDesc("haven_audit_verify_last_broken_chains", "Chains the last full `haven audit verify` found broken.", nil, nil)
	verifyRows      = prometheus.NewDesc("haven_audit_verify_last_rows", "Audit rows the last full `haven audit verify` checked.", nil, nil)
	verifyDuration  = prometheus.NewDesc("haven_audit_verify_last_duration_seconds", "How long the last full `haven audit verify` took.", nil, nil)
	verifySucceeded = prometheus.NewDesc("haven_audit_verify_last_success_timestamp_seconds", "When a full `haven audit verify` last found every chain holding (absent: never).", nil, nil)
	verifyUp        = prometheus.NewDesc("haven_audit_verify_scrape_ok", "1 when the verification results could be read.", nil, nil)
)

type poolCollector struct{ pool *pgxpool.Pool }

func (c poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{poolAcquired, poolIdle, poolTotal, poolMax, poolWaits, poolWait} {
		ch <- d
	}
}

func (c poolCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.pool.Stat()
	ch <- prometheus.MustNewConstMetric(poolAcquired, prometheus.GaugeValue, float64(st.AcquiredConns()))
	ch <- prometheus.MustNewConstMetric(poolIdle, prometheus.GaugeValue, float64(st.IdleConns()))
	ch <- prometheus.MustNewConstMetric(poolTotal, prometheus.GaugeValue, float64(st.TotalConns()))
	ch <- prometheus.MustNewConstMetric(poolMax, prometheus.GaugeValue, float64(st.MaxConns()))
	ch <- prometheus.MustNewConstMetric(poolWaits, prometheus.CounterValue, float64(st.EmptyAcquireCount()))
	ch <- prometheus.MustNewConstMetric(poolWait, prometheus.CounterValue, st.AcquireDuration().Seconds())
}

// jobCollector counts River jobs by queue and state (available, running,
// retryable, discarded, …): a growing "retryable" or "discarded" count means
// notifications are not going out.
type jobCollector struct{ pool *pgxpool.Pool }

func (c jobCollector) Describe(ch chan<- *prometheus.Desc) { ch <- jobsByState; ch <- jobsUp }

func (c jobCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	rows, err := c.pool.Query(ctx, `SELECT queue, state::text, count(*) FROM river_job GROUP BY queue, state`)
	ok := 1.0
	if err == nil {
		for rows.Next() {
			var queue, state string
			var n int64
			if err = rows.Scan(&queue, &state, &n); err != nil {
				break
			}
			ch <- prometheus.MustNewConstMetric(jobsByState, prometheus.GaugeValue, float64(n), queue, state)
		}
		rows.Close()
		if err == nil {
			err = rows.Err()
		}
	}
	if err != nil {
		ok = 0
	}
	ch <- prometheus.MustNewConstMetric(jobsUp, prometheus.GaugeValue, ok)
}

// waitingCollector counts the concerns no DSL has acknowledged, across every
// school, by age band ("<15m", "15m-1h", "1h-24h", ">24h"): no school, name or
// reference in any label. Anything in ">24h" means a school's DSLs are not
// seeing their queue.
type waitingCollector struct{ pool *pgxpool.Pool }

func (c waitingCollector) Describe(ch chan<- *prometheus.Desc) { ch <- waiting; ch <- waitingUp }

func (c waitingCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	bands, err := concern.Waiting(ctx, c.pool)
	for _, b := range bands {
		ch <- prometheus.MustNewConstMetric(waiting, prometheus.GaugeValue, float64(b.Concerns), b.Band)
	}
	ch <- prometheus.MustNewConstMetric(waitingUp, prometheus.GaugeValue, okValue(err))
}

// auditVerifyCollector reports the last full `haven audit verify`, which
// the operator's scheduler runs (docs/operations.md): alert when it failed,
// or when it has not run for longer than its schedule.
type auditVerifyCollector struct{ pool *pgxpool.Pool }

func (c auditVerifyCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{verifyRan, verifyOK, verifyBroken, verifyRows, verifyDuration, verifySucceeded, verifyUp} {
		ch <- d
	}
}

func (c auditVerifyCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	run, err := audit.LastRun(ctx, c.pool)
	if err == nil {
		ok := 0.0
		if run.OK {
			ok = 1
		}
		ch <- prometheus.MustNewConstMetric(verifyRan, prometheus.GaugeValue, float64(run.FinishedAt.UnixMilli())/1000)
		ch <- prometheus.MustNewConstMetric(verifyOK, prometheus.GaugeValue, ok)
		ch <- prometheus.MustNewConstMetric(verifyBroken, prometheus.GaugeValue, float64(run.BrokenChains))
		ch <- prometheus.MustNewConstMetric(verifyRows, prometheus.GaugeValue, float64(run.Rows))
		ch <- prometheus.MustNewConstMetric(verifyDuration, prometheus.GaugeValue, run.Duration.Seconds())
		var at time.Time
		if at, err = audit.LastSuccess(ctx, c.pool); err == nil {
			ch <- prometheus.MustNewConstMetric(verifySucceeded, prometheus.GaugeValue, float64(at.UnixMilli())/1000)
		}
	}
	if errors.Is(err, db.ErrNotFound) {
		err = nil // never run, or never succeeded: the metric is absent
	}
	ch <- prometheus.MustNewConstMetric(verifyUp, prometheus.GaugeValue, okValue(err))
}

func okValue(err error) float64 {
	if err != nil {
		return 0
	}
	return 1
}
