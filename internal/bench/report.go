package bench

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// GoBench is one line of `go test -bench` output.
type GoBench struct {
	Name    string
	N       int
	Metrics map[string]float64 // unit → value: "ns/op", "rows/s", "x-plain", …
}

// ReadGoBench reads the benchmark lines of `go test -bench` output.
func ReadGoBench(r io.Reader) ([]GoBench, error) {
	var out []GoBench
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		n, err := strconv.Atoi(f[1])
		if err != nil {
			continue
		}
		b := GoBench{Name: strings.TrimSuffix(f[0], "-"+lastDash(f[0])), N: n, Metrics: map[string]float64{}}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				break
			}
			b.Metrics[f[i+1]] = v
		}
		out = append(out, b)
	}
	return out, sc.Err()
}

// lastDash is what follows a benchmark name's last dash (GOMAXPROCS).
func lastDash(name string) string {
	i := strings.LastIndex(name, "-")
	if i < 0 {
		return ""
	}
	if _, err := strconv.Atoi(name[i+1:]); err != nil {
		return ""
	}
	return name[i+1:]
}

// find returns the first benchmark named name.
func find(bs []GoBench, name string) (GoBench, bool) {
	for _, b := range bs {
		if b.Name == name {
			return b, true
		}
	}
	return GoBench{}, false
}

// Report is everything `make bench` measured, for docs/performance.md.
type Report struct {
	Command  string
	Date     time.Time
	Machine  Machine
	Site     *Site
	Options  Options
	HTTP     Result
	Plans    []Plan // first page, last page
	Pages    int
	GoBench  []GoBench
	GoBenchF string // the file it was read from
}

// target is one of the targets, as measured.
type target struct {
	what, measured string
	met            bool
	known          bool // false: not measured in this run
}

func (r Report) targets() []target {
	var out []target
	httpRatio := func(scenario string) (thr, p99 float64, a, b Run) {
		a, b = r.HTTP.Merged(scenario, StackHaven), r.HTTP.Merged(scenario, StackBare)
		if b.Throughput() > 0 {
			thr = a.Throughput() / b.Throughput()
		}
		if b.Percentile(99) > 0 {
			p99 = float64(a.Percentile(99)) / float64(b.Percentile(99))
		}
		return thr, p99, a, b
	}
	if len(r.HTTP.Order) > 0 {
		thr, p99, a, b := httpRatio("Staff submit (typical school)")
		out = append(out,
			target{"staff submit ≥ 0.50× the bare throughput", fmt.Sprintf("%.2f× (%.1f vs %.1f req/s)", thr, a.Throughput(), b.Throughput()), thr >= 0.5, true},
			target{"staff submit p99 ≤ 3× the bare p99", fmt.Sprintf("%.2f× (%.0f vs %.0f ms)", p99, ms(a.Percentile(99)), ms(b.Percentile(99))), p99 <= 3, true})
		for _, t := range []struct {
			name  string
			limit time.Duration
		}{{"typical", 50 * time.Millisecond}, {"largest", 100 * time.Millisecond}} {
			thr, _, a, b := httpRatio("DSL queue, first page (" + t.name + " school)")
			out = append(out,
				target{"queue first page ≥ 0.40× the bare throughput (" + t.name + " school)",
					fmt.Sprintf("%.2f× (%.1f vs %.1f req/s)", thr, a.Throughput(), b.Throughput()), thr >= 0.4, true},
				target{fmt.Sprintf("queue first page p99 ≤ %d ms (%s school)", t.limit.Milliseconds(), t.name),
					fmt.Sprintf("%.0f ms", ms(a.Percentile(99))), a.Percentile(99) <= t.limit, true})
		}
	}
	if len(r.HTTP.Order) > 0 {
		one, spread := r.HTTP.Merged("Staff submit (typical school)", StackHaven), r.HTTP.Merged("Staff submit (a school per client)", StackHaven)
		x := ratio(spread.Throughput(), one.Throughput())
		out = append(out, target{"no global lock: submissions in a school per client go at least as fast as in one school",
			fmt.Sprintf("%.2f× (%.1f vs %.1f req/s)", x, spread.Throughput(), one.Throughput()), x >= 1, true})
	}
	if len(r.Plans) == 2 {
		f, l := r.Plans[0].Median(), r.Plans[1].Median()
		out = append(out, target{"keyset paging: page N ≤ 2× page 1",
			fmt.Sprintf("page %d %.1f ms vs page 1 %.1f ms (%.2f×), medians of %d", r.Pages, ms(l), ms(f), float64(l)/float64(f), len(r.Plans[0].Times)),
			l <= 2*f, true})
	}
	for _, format := range []string{"csv", "xlsx", "json"} {
		b, ok := find(r.GoBench, "BenchmarkExport100k/"+format)
		x, g := b.Metrics["x-plain"], b.Metrics["heap-growth-MiB"]
		out = append(out,
			target{"export (" + format + ") ≥ 0.80× a plain encoding/csv exporter", fmt.Sprintf("%.2f× (%.0f vs %.0f rows/s)", x, b.Metrics["rows/s"], b.Metrics["plain-rows/s"]), x >= 0.8, ok},
			target{"export (" + format + ") heap growth ≤ 50 MB at 100,000 rows", fmt.Sprintf("%.1f MiB", g), g <= 50, ok})
	}
	b, ok := find(r.GoBench, "BenchmarkVerify")
	x := b.Metrics["x-plain"]
	out = append(out, target{"audit verify ≥ 0.70× a plain SHA-256-over-pgx pass",
		fmt.Sprintf("%.2f× (%.0f vs %.0f rows/s)", x, b.Metrics["rows/s"], b.Metrics["plain-rows/s"]), x >= 0.7, ok})
	b, ok = find(r.GoBench, "BenchmarkConcern/submit")
	share := b.Metrics["audit-%"]
	out = append(out, target{"the audit-chain step ≤ 25 % of a submit", fmt.Sprintf("%.1f %%", share), share <= 25, ok})
	return out
}

func yes(t target) string {
	switch {
	case !t.known:
		return "not measured"
	case t.met:
		return "met"
	}
	return "**missed**"
}

// Write writes the report as Markdown.
func (r Report) Write(w io.Writer) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	s := r.Site
	p("Measured on %s with `%s`.", r.Date.UTC().Format("2 January 2006 at 15:04 UTC"), r.Command)
	p("")
	p("- Machine: %d CPUs, %.0f GB of memory; load average (1, 5, 15 min) %s before, %s after — other work was running.",
		r.Machine.CPUs, r.Machine.MemoryGB, r.Machine.LoadBefore, r.Machine.LoadAfter)
	p("- %s; %s. A private cluster with durable commits (fsync and synchronous_commit on), shared_buffers 1 GB.", r.Machine.Go, r.Machine.Postgres)
	rows := int64(0)
	for _, n := range s.Scale.Rows {
		rows += n
	}
	p("- Data (package scale, seed in the template's name `%s`): %d schools, %d concerns, %d rows, %.1f GB on disk; generated in %s%s.",
		s.Template, len(s.Scale.Schools), concernsOf(s), rows, float64(s.SizeBytes)/(1<<30), s.Scale.Elapsed.Round(time.Second),
		map[bool]string{true: " in this run", false: " by an earlier run and reused"}[s.Generated])
	typ, big := s.Scale.Typical(), s.Scale.Largest()
	p("- Typical school %s: %d concerns (%d open), %d on the roll; its busiest child has %d concerns. Largest school %s: %d concerns (%d open).",
		typ.Slug, typ.Concerns, typ.Open, typ.Children, typ.BusiestConcerns, big.Slug, big.Concerns, big.Open)
	p("- HTTP: %d clients with their own sessions, on loopback; per scenario and stack %d rounds of at most %d requests or %s (after %d warm-up requests per client); Haven and the bare baseline alternate (round order %s), each on a fresh clone of the database.",
		r.Options.Clients, r.Options.Rounds, r.Options.Limits.Requests, r.Options.Limits.Duration, r.Options.Warmup, orders(r.HTTP.Order))
	p("")
	p("### Targets")
	p("")
	p("| target | measured | |")
	p("|---|---|---|")
	for _, t := range r.targets() {
		p("| %s | %s | %s |", t.what, t.measured, yes(t))
	}
	p("")
	p("### HTTP: Haven against the bare baseline")
	p("")
	p("Rounds pooled (throughput: requests over time; latencies: every request's).")
	p("")
	p("| scenario | Haven req/s | bare req/s | ratio | Haven p50 | Haven p99 | bare p50 | bare p99 | p99 ratio | errors (Haven/bare) |")
	p("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, sc := range r.HTTP.Scenarios {
		a, b := r.HTTP.Merged(sc, StackHaven), r.HTTP.Merged(sc, StackBare)
		p("| %s | %.1f | %.1f | %.2f× | %.1f ms | %.1f ms | %.1f ms | %.1f ms | %.2f× | %d/%d |", sc, a.Throughput(), b.Throughput(),
			ratio(a.Throughput(), b.Throughput()), ms(a.Percentile(50)), ms(a.Percentile(99)), ms(b.Percentile(50)), ms(b.Percentile(99)),
			ratio(float64(a.Percentile(99)), float64(b.Percentile(99))), a.Errors, b.Errors)
	}
	p("")
	p("Each round on its own (req/s, p99 ms):")
	p("")
	p("| scenario | stack | %s |", strings.Join(roundHeads(len(r.HTTP.Order)), " | "))
	p("|---|---|%s", strings.Repeat("---:|", len(r.HTTP.Order)))
	for _, sc := range r.HTTP.Scenarios {
		for _, st := range []Stack{StackHaven, StackBare} {
			var cells []string
			for _, run := range r.HTTP.Runs[sc][st] {
				cells = append(cells, fmt.Sprintf("%.1f, %.0f", run.Throughput(), ms(run.Percentile(99))))
			}
			p("| %s | %s | %s |", sc, st, strings.Join(cells, " | "))
		}
	}
	if len(r.Plans) == 2 {
		p("")
		p("### The queue's plans: keyset paging")
		p("")
		p("`EXPLAIN (ANALYZE, BUFFERS)` of concern.QueueSelect — the very SQL Haven runs — as the app role in the DSL's school transaction (row-level security on), on a fresh clone. Execution times, alternating first and last page: page 1 %s, page %d %s.",
			durations(r.Plans[0].Times), r.Pages, durations(r.Plans[1].Times))
		for _, pl := range r.Plans {
			p("")
			p("#### %s (median %.1f ms)", pl.Title, ms(pl.Median()))
			p("")
			p("```")
			fmt.Fprint(w, pl.Text)
			p("```")
		}
	}
	if len(r.GoBench) > 0 {
		p("")
		p("### Go benchmarks")
		p("")
		p("From `%s` (`go test -bench`, benchstat-comparable; custom units: `x-plain` is the ratio to the plain baseline timed in the same iterations, `audit-%%` the audit step's share of a submission).", r.GoBenchF)
		p("")
		p("| benchmark | iterations | figures |")
		p("|---|---:|---|")
		for _, b := range r.GoBench {
			var fig []string
			for _, unit := range sortedUnits(b.Metrics) {
				fig = append(fig, fmt.Sprintf("%s %s", trim(b.Metrics[unit]), unit))
			}
			p("| %s | %d | %s |", b.Name, b.N, strings.Join(fig, ", "))
		}
	}
}

func concernsOf(s *Site) int {
	n := 0
	for _, sc := range s.Scale.Schools {
		n += sc.Concerns
	}
	return n
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func orders(o [][]Stack) string {
	var out []string
	for _, r := range o {
		out = append(out, string(r[0])+"→"+string(r[1]))
	}
	return strings.Join(out, ", ")
}

func roundHeads(n int) []string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprintf("round %d", i+1))
	}
	return out
}

func durations(ds []time.Duration) string {
	var out []string
	for _, d := range ds {
		out = append(out, fmt.Sprintf("%.1f", ms(d)))
	}
	return strings.Join(out, ", ") + " ms"
}

func trim(v float64) string {
	if v >= 100 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

func sortedUnits(m map[string]float64) []string {
	units := []string{"ns/op"}
	for u := range m {
		if u != "ns/op" {
			units = append(units, u)
		}
	}
	slices.Sort(units[1:])
	return units
}

// Begin and End mark the part of docs/performance.md that `make bench`
// rewrites; the rest of the file is kept as it is.
const (
	Begin = "<!-- make bench: results begin -->"
	End   = "<!-- make bench: results end -->"
)

// WriteInto replaces the marked part of the file at path with the report
// (the file is created, with only the report, when it does not exist).
func (r Report) WriteInto(path string) error {
	var b strings.Builder
	r.Write(&b)
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	text := string(old)
	i, j := strings.Index(text, Begin), strings.Index(text, End)
	section := Begin + "\n" + b.String() + End
	switch {
	case i >= 0 && j > i:
		text = text[:i] + section + text[j+len(End):]
	default:
		text = "# Performance\n\n" + section + "\n" + text
	}
	return os.WriteFile(path, []byte(text), 0o644)
}
