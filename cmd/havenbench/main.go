// Command havenbench is the HTTP half of `make bench`: it generates (once)
// a database of fictional schools and concerns, then measures Haven and a
// bare net/http + pgx baseline doing the same SQL, alternately on fresh
// clones, with concurrent clients on loopback; it takes EXPLAIN plans of
// the queue's first and last pages, reads the Go benchmarks' output, and
// writes it all into docs/performance.md (between its markers).
//
//	go run ./cmd/havenbench -concerns 100000 -schools 50 -gobench bin/bench/go.txt
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "havenbench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("havenbench", flag.ContinueOnError)
	dir := fs.String("dir", ".data/bench", "the benchmark's PostgreSQL cluster (kept: the generated database is reused)")
	schools := fs.Int("schools", 50, "schools to generate")
	concerns := fs.Int("concerns", 100_000, "concerns to generate over them")
	seed := fs.Int64("seed", 1, "the generator's seed")
	clients := fs.Int("clients", 8, "concurrent clients")
	rounds := fs.Int("rounds", 2, "rounds (each: Haven and the baseline, the order alternating)")
	requests := fs.Int("requests", 1500, "at most this many requests per scenario, stack and round")
	duration := fs.Duration("duration", 15*time.Second, "and at most this long")
	warmup := fs.Int("warmup", 3, "warm-up requests per client before each measured run")
	settle := fs.Duration("settle", 5*time.Second, "pause after each stack starts, before signing in and measuring")
	explains := fs.Int("explains", 5, "runs of each EXPLAIN ANALYZE (first and last page alternately)")
	gobench := fs.String("gobench", "", "a file of `go test -bench` output to include")
	out := fs.String("out", "docs/performance.md", "where to write the results (between the file's markers)")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the whole run (Haven, the baseline and the clients) to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	log := os.Stdout
	machine := bench.Machine{CPUs: runtime.NumCPU(), MemoryGB: bench.MemoryGB(), LoadBefore: bench.LoadAverage(),
		Go: runtime.Version()}
	start := time.Now()

	site, err := bench.OpenSite(ctx, bench.SiteOptions{Dir: *dir, Schools: *schools, Concerns: *concerns, Seed: *seed,
		Clients: *clients, Log: log})
	if err != nil {
		return err
	}
	defer site.Cluster.Stop()
	if machine.Postgres, err = serverVersion(ctx, site); err != nil {
		return err
	}
	fmt.Fprintf(log, "data: %d schools, %.1f GB; measuring with %d clients, %d rounds\n", len(site.Scale.Schools),
		float64(site.SizeBytes)/(1<<30), *clients, *rounds)

	opts := bench.Options{Clients: *clients, Rounds: *rounds, Warmup: *warmup, Settle: *settle, DataDir: *dir + "-run", Log: log,
		Limits: bench.Limits{Requests: *requests, Duration: *duration}}
	res, err := bench.Measure(ctx, site, opts)
	if err != nil {
		return err
	}
	first, last, pages, err := bench.QueuePlans(ctx, site, "largest", *explains)
	if err != nil {
		return err
	}
	machine.LoadAfter = bench.LoadAverage()

	r := bench.Report{Command: command(args), Date: start, Machine: machine, Site: site, Options: opts, HTTP: res,
		Plans: []bench.Plan{first, last}, Pages: pages}
	if *gobench != "" {
		f, err := os.Open(*gobench)
		if err != nil {
			return err
		}
		r.GoBench, err = bench.ReadGoBench(f)
		f.Close()
		if err != nil {
			return err
		}
		r.GoBenchF = *gobench
	}
	r.Write(os.Stdout)
	if *out == "" {
		return nil
	}
	if err := r.WriteInto(*out); err != nil {
		return err
	}
	fmt.Fprintf(log, "\nwritten to %s in %v\n", *out, time.Since(start).Round(time.Second))
	return nil
}

func command(args []string) string {
	if len(args) == 0 {
		return "go run ./cmd/havenbench"
	}
	return "go run ./cmd/havenbench " + strings.Join(args, " ")
}

func serverVersion(ctx context.Context, site *bench.Site) (string, error) {
	conn, err := pgx.Connect(ctx, site.Cluster.URL("postgres", "postgres"))
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	var v string
	err = conn.QueryRow(ctx, `SELECT 'PostgreSQL ' || current_setting('server_version')`).Scan(&v)
	return v, err
}
