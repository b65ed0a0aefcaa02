package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/concern"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/paths"
)

// Stack is what serves a run: Haven, or the bare baseline.
type Stack string

const (
	StackHaven Stack = "haven"
	StackBare  Stack = "bare"
)

// Scenario is one kind of request, as each stack makes it.
type Scenario struct {
	Name   string
	Target string // the target school
	// Haven and Bare make request i of worker w.
	Haven func(ctx context.Context, c *Client, t Target, w int) error
	Bare  func(ctx context.Context, c *Client, t Target, w int) error
	staff bool // as members of staff (else as DSLs)
}

// Scenarios are the requests the targets are set on: a DSL opening the
// queue's first page (all clients in a typical school, in the largest, and
// each in a school of its own), a DSL reading the chronology of the child
// with most concerns, and a member of staff submitting a concern (all in
// one school, and each in a school of their own).
func Scenarios() []Scenario {
	queue := func(name, target string) Scenario {
		return Scenario{Name: "DSL queue, first page (" + name + ")", Target: target,
			Haven: func(ctx context.Context, c *Client, t Target, w int) error {
				r, err := c.Get(ctx, "/queue")
				return expect(r, err, http.StatusOK, "")
			},
			Bare: func(ctx context.Context, c *Client, t Target, w int) error {
				r, err := c.Get(ctx, fmt.Sprintf("/queue?school=%d&user=%d", t.SchoolOf(w).ID, t.DSLs[w].ID)) // not a Haven route: the bare server's
				return expect(r, err, http.StatusOK, "")
			}}
	}
	submit := func(name, target string) Scenario {
		return Scenario{Name: "Staff submit (" + name + ")", Target: target, staff: true,
			Haven: func(ctx context.Context, c *Client, t Target, w int) error {
				s := t.SchoolOf(w)
				r, err := c.Post(ctx, "/concerns", ConcernForm(s.FirstChild+int64(w), s.FirstChild+int64(w)+100))
				return expect(r, err, http.StatusSeeOther, "/concerns/C-")
			},
			Bare: func(ctx context.Context, c *Client, t Target, w int) error {
				s := t.SchoolOf(w)
				r, err := c.Post(ctx, fmt.Sprintf("/concerns?school=%d&user=%d&child=%d&witness=%d", s.ID, t.Staff[w].ID, // not a Haven route: the bare server's
					s.FirstChild+int64(w), s.FirstChild+int64(w)+100), nil)
				return expect(r, err, http.StatusSeeOther, "/concerns/C-")
			}}
	}
	return []Scenario{
		queue("typical school", "typical"),
		queue("largest school", "largest"),
		queue("a school per client", "spread"),
		{Name: "DSL chronology (the typical school's child with most concerns)", Target: "typical",
			Haven: func(ctx context.Context, c *Client, t Target, w int) error {
				r, err := c.Get(ctx, paths.Chronology(t.School.Busiest))
				return expect(r, err, http.StatusOK, "")
			},
			Bare: func(ctx context.Context, c *Client, t Target, w int) error {
				r, err := c.Get(ctx, fmt.Sprintf("/chronology?school=%d&user=%d&child=%d", t.School.ID, t.DSLs[w].ID, t.School.Busiest))
				return expect(r, err, http.StatusOK, "")
			}},
		submit("typical school", "typical"),
		submit("a school per client", "spread"),
	}
}

// isStaff reports whether a scenario acts as a member of staff.
func (sc Scenario) isStaff() bool { return sc.staff }

// Options are a benchmark run's settings.
type Options struct {
	Clients int
	Rounds  int           // rounds of A then B (or B then A: they alternate)
	Limits  Limits        // per scenario, per stack, per round
	Warmup  int           // requests per client before each measured run
	Settle  time.Duration // pause after a stack starts
	DataDir string        // for Haven's mail outbox
	Log     io.Writer
}

// Result is the measured runs of every scenario on every stack.
type Result struct {
	Scenarios []string
	Runs      map[string]map[Stack][]Run // scenario → stack → one per round
	Order     [][]Stack                  // each round's order
	Started   time.Time
	Elapsed   time.Duration
}

// Merged pools a scenario's rounds on one stack.
func (r Result) Merged(scenario string, s Stack) Run { return Merge(r.Runs[scenario][s]...) }

// Measure runs every scenario on both stacks, round after round, each
// stack on a fresh clone of the site's database, alternating which goes
// first.
func Measure(ctx context.Context, site *Site, o Options) (Result, error) {
	res := Result{Runs: map[string]map[Stack][]Run{}, Started: time.Now()}
	scenarios := Scenarios()
	for _, sc := range scenarios {
		res.Scenarios = append(res.Scenarios, sc.Name)
		res.Runs[sc.Name] = map[Stack][]Run{}
	}
	for round := range o.Rounds {
		order := []Stack{StackHaven, StackBare}
		if round%2 == 1 {
			order = []Stack{StackBare, StackHaven}
		}
		res.Order = append(res.Order, order)
		for _, stack := range order {
			runs, err := measureStack(ctx, site, o, stack, scenarios)
			if err != nil {
				return res, fmt.Errorf("round %d, %s: %w", round+1, stack, err)
			}
			for i, sc := range scenarios {
				res.Runs[sc.Name][stack] = append(res.Runs[sc.Name][stack], runs[i])
				fmt.Fprintf(o.Log, "round %d %-5s %-62s %7.1f req/s  p50 %6.1f ms  p99 %6.1f ms  %d errors\n", round+1, stack,
					sc.Name, runs[i].Throughput(), ms(runs[i].Percentile(50)), ms(runs[i].Percentile(99)), runs[i].Errors)
				if runs[i].FirstErr != nil {
					fmt.Fprintf(o.Log, "  first error: %v\n", runs[i].FirstErr)
				}
			}
		}
	}
	res.Elapsed = time.Since(res.Started)
	return res, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// measureStack runs every scenario on stack, on a fresh clone.
func measureStack(ctx context.Context, site *Site, o Options, stack Stack, scenarios []Scenario) ([]Run, error) {
	const clone = "bench_run"
	t0 := time.Now()
	ownerURL, appURL, err := site.Clone(ctx, clone)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(o.Log, "%s: a fresh clone in %v\n", stack, time.Since(t0).Round(time.Millisecond))
	defer site.Drop(context.WithoutCancel(ctx), clone)

	var url string
	var stop func() error
	switch stack {
	case StackHaven:
		h, err := StartHaven(ctx, ownerURL, appURL, filepath.Join(o.DataDir, "haven"), nil)
		if err != nil {
			return nil, err
		}
		url, stop = h.URL, h.Stop
	case StackBare:
		b, err := StartBare(ctx, appURL, db.DefaultMaxConns())
		if err != nil {
			return nil, err
		}
		url, stop = b.URL, b.Stop
	}
	defer stop()
	// Let what a start sets off settle before measuring, on both stacks
	// alike: Haven's job client runs its periodic jobs at once (the
	// escalation sweep, the retention review, …), which at scale take a
	// while and are not what is measured here.
	t0 = time.Now()
	if err := idle(ctx, ownerURL, o.Settle); err != nil {
		return nil, err
	}
	fmt.Fprintf(o.Log, "%s: started, and its start-up jobs done, in %v\n", stack, time.Since(t0).Round(time.Millisecond))

	// One client per worker, target and role, signed in once (a DSL's
	// security code may not be used twice), kept for every scenario.
	signedIn := map[string][]*Client{}
	clientsFor := func(sc Scenario, t Target) ([]*Client, error) {
		key := t.Name + "/" + strconv.FormatBool(sc.isStaff())
		if cs, ok := signedIn[key]; ok {
			return cs, nil
		}
		cs := make([]*Client, o.Clients)
		for w := range cs {
			cs[w] = NewClient(url)
			if stack == StackHaven {
				a, secret := t.DSLs[w], t.DSLs[w].Secret
				if sc.isStaff() {
					a, secret = t.Staff[w], ""
				}
				if err := cs[w].SignIn(ctx, a.Email, Password, secret); err != nil {
					return nil, err
				}
			}
		}
		signedIn[key] = cs
		return cs, nil
	}
	defer func() {
		for _, cs := range signedIn {
			for _, c := range cs {
				c.Close()
			}
		}
	}()

	var runs []Run
	for _, sc := range scenarios {
		t, err := site.Target(sc.Target)
		if err != nil {
			return nil, err
		}
		clients, err := clientsFor(sc, t)
		if err != nil {
			return nil, err
		}
		do := sc.Bare
		if stack == StackHaven {
			do = sc.Haven
		}
		call := func(ctx context.Context, w, _ int) error { return do(ctx, clients[w], t, w) }
		if warm := Load(ctx, o.Clients, Limits{Requests: o.Warmup * o.Clients, Duration: o.Limits.Duration}, call); warm.Errors > 0 {
			return nil, fmt.Errorf("%s: warming up: %w", sc.Name, warm.FirstErr)
		}
		runs = append(runs, Load(ctx, o.Clients, o.Limits, call))
	}
	return runs, nil
}

// Plan is the plan of one query, and how long it took to run.
type Plan struct {
	Title string
	Text  string
	// Times are the executions' times (EXPLAIN ANALYZE's Execution Time) of
	// several runs, alternating with the plan it is compared with.
	Times []time.Duration
}

// Median is the median of the plan's times.
func (p Plan) Median() time.Duration {
	t := slices.Clone(p.Times)
	slices.Sort(t)
	if len(t) == 0 {
		return 0
	}
	return t[len(t)/2]
}

var executionTime = regexp.MustCompile(`Execution Time: ([0-9.]+) ms`)

// QueuePlans are EXPLAIN (ANALYZE, BUFFERS) plans of the queue's first
// page and its last page for target's first DSL, on a fresh clone, as the
// app role in the DSL's school transaction; every concern of the school,
// closed ones too (status "all"), so the last page lies deep in the index.
// Each is run times times, alternately.
func QueuePlans(ctx context.Context, site *Site, target string, times int) (first, last Plan, pages int, err error) {
	t, err := site.Target(target)
	if err != nil {
		return Plan{}, Plan{}, 0, err
	}
	const clone = "bench_explain"
	_, appURL, err := site.Clone(ctx, clone)
	if err != nil {
		return Plan{}, Plan{}, 0, err
	}
	defer site.Drop(context.WithoutCancel(ctx), clone)
	pool, err := db.Open(ctx, appURL, 2)
	if err != nil {
		return Plan{}, Plan{}, 0, err
	}
	defer pool.Close()
	dsl := actor.Actor{UserID: t.DSLs[0].ID, SchoolID: t.School.ID, Role: actor.DSL}
	svc := concern.NewService(pool, nil, "")
	after := ""
	for {
		p, err := svc.Queue(ctx, dsl, concern.QueueFilter{Status: "all", After: after})
		if err != nil {
			return Plan{}, Plan{}, 0, err
		}
		pages++
		if p.Next == "" {
			break
		}
		after = p.Next
	}
	first = Plan{Title: fmt.Sprintf("First page, %s school (%d concerns, status all)", target, t.School.Concerns)}
	last = Plan{Title: fmt.Sprintf("Page %d (the last), same school", pages)}
	for range times {
		for _, p := range []*Plan{&first, &last} {
			f := concern.QueueFilter{Status: "all"}
			if p == &last {
				f.After = after
			}
			sql, args, _ := concern.QueueSelect(dsl, f, time.Now(), concern.QueueDefaultLimit)
			var text string
			err := db.InSchool(ctx, pool, dsl, func(tx pgx.Tx) error {
				rows, _ := tx.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+sql, args)
				lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
				for _, l := range lines {
					text += l + "\n"
				}
				return err
			})
			if err != nil {
				return Plan{}, Plan{}, 0, err
			}
			m := executionTime.FindStringSubmatch(text)
			if m == nil {
				return Plan{}, Plan{}, 0, fmt.Errorf("no execution time in:\n%s", text)
			}
			v, _ := strconv.ParseFloat(m[1], 64)
			p.Times = append(p.Times, time.Duration(v*float64(time.Millisecond)))
			p.Text = text
		}
	}
	return first, last, pages, nil
}

// Machine describes where the benchmark ran.
type Machine struct {
	CPUs       int
	MemoryGB   float64
	LoadBefore string // /proc/loadavg's first three figures
	LoadAfter  string
	Postgres   string
	Go         string
}

// LoadAverage reads the 1, 5 and 15 minute load averages.
func LoadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := regexp.MustCompile(`\s+`).Split(string(b), -1)
	if len(f) < 3 {
		return "unknown"
	}
	return f[0] + " " + f[1] + " " + f[2]
}

// MemoryGB reads the machine's memory.
func MemoryGB() float64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	m := regexp.MustCompile(`MemTotal:\s+(\d+) kB`).FindSubmatch(b)
	if m == nil {
		return 0
	}
	kb, _ := strconv.ParseFloat(string(m[1]), 64)
	return kb / (1 << 20)
}

// idle waits at least settle, then until no job is due or running (at most
// ten minutes).
func idle(ctx context.Context, ownerURL string, settle time.Duration) error {
	conn, err := pgx.Connect(ctx, ownerURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	deadline := time.Now().Add(10 * time.Minute)
	quiet := 0
	for start := time.Now(); ; {
		var busy int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM river_job
			WHERE state IN ('available', 'running', 'retryable') AND scheduled_at <= now()`).Scan(&busy); err != nil {
			return err
		}
		if busy == 0 {
			quiet++
		} else {
			quiet = 0
		}
		if quiet >= 3 && time.Since(start) >= settle {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d jobs still due after ten minutes", busy)
		}
		select {
		case <-time.After(500 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
