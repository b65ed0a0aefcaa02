package reliability

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/devdb"
)

// size is how hard the tests push: the short version runs in `make test`,
// the full one in `make reliability` (HAVEN_RELIABILITY=full).
type size struct {
	name       string
	kills      int           // SIGKILLs of Haven during the submission load
	between    int           // at least this many confirmations before each kill
	workers    int           // members of staff submitting at once
	outage     time.Duration // how long PostgreSQL stays down
	pairs      int           // pairs of identical submissions sent at once
	dslChanges int           // attempted changes to one concern, by each of two DSLs
}

var (
	short = size{name: "short", kills: 2, between: 3, workers: 3, outage: 1500 * time.Millisecond, pairs: 40, dslChanges: 60}
	full  = size{name: "full", kills: 5, between: 15, workers: 6, outage: 5 * time.Second, pairs: 500, dslChanges: 1000}
)

// suite is what every test shares: the haven binary, built once, and one
// private PostgreSQL cluster holding a migrated template database that each
// test copies.
type suite struct {
	size    size
	bin     string // the haven binary
	dir     string // scratch space for the run
	cluster *devdb.Cluster
	opts    devdb.Options // to start the cluster again after a kill
	mu      sync.Mutex    // guards cluster
	dbs     int           // databases made so far
}

var env *suite

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	flag.Parse()
	// The tests wait on subprocesses and the network more than they compute:
	// four at once, unless -parallel says otherwise.
	parallelSet := false
	flag.Visit(func(f *flag.Flag) { parallelSet = parallelSet || f.Name == "test.parallel" })
	if !parallelSet {
		_ = flag.Set("test.parallel", "4")
	}
	if _, err := devdb.FindBinaries(); err != nil {
		if os.Getenv("CI") == "true" {
			fmt.Fprintln(os.Stderr, "reliability:", err)
			return 1
		}
		fmt.Fprintln(os.Stderr, "reliability: skipped:", err)
		return 0
	}
	s, err := setUp()
	if s != nil {
		defer s.tearDown()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "reliability:", err)
		return 1
	}
	env = s
	return m.Run()
}

func setUp() (*suite, error) {
	s := &suite{size: short}
	if os.Getenv("HAVEN_RELIABILITY") == "full" {
		s.size = full
	}
	// A short path: the cluster's unix socket lives in its folder, and a
	// restarted cluster must come back on the same socket.
	dir, err := os.MkdirTemp("", "haven-rel-")
	if err != nil {
		return nil, err
	}
	s.dir = dir
	if err := os.Chmod(dir, 0o755); err != nil { // the postgres user must reach the cluster inside it
		return s, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	start := time.Now()
	// make reliability tests the binary make build ships; otherwise build one.
	if s.bin = os.Getenv("HAVEN_RELIABILITY_BIN"); s.bin == "" {
		s.bin = filepath.Join(dir, "haven")
		if err := buildHaven(ctx, s.bin); err != nil {
			return s, err
		}
	}
	built := time.Since(start)

	// Fast (no fsync, no full-page writes) but with durable commits:
	// synchronous_commit is on again (a later -c wins), so an immediate stop
	// of PostgreSQL cannot lose a commit it acknowledged. fsync and full-page
	// writes guard against losing the machine, not the server process.
	s.opts = devdb.Options{Dir: filepath.Join(dir, "pg"), Fast: true, MaxConnections: 300,
		Settings: map[string]string{"synchronous_commit": "on"}}
	if s.cluster, err = devdb.Start(ctx, s.opts); err != nil {
		return s, err
	}
	if err := checkSetting(ctx, s.cluster, "synchronous_commit", "on"); err != nil {
		return s, err
	}
	owner, app, err := s.cluster.Provision(ctx, "haven_template")
	if err != nil {
		return s, err
	}
	cmd := exec.CommandContext(ctx, s.bin, "migrate")
	cmd.Env = havenEnv(owner, app, filepath.Join(dir, "migrate-data"))
	if out, err := cmd.CombinedOutput(); err != nil {
		return s, fmt.Errorf("haven migrate: %w\n%s", err, out)
	}
	fmt.Fprintf(os.Stderr, "reliability (%s): %s ready in %s; cluster and template in %s\n",
		s.size.name, s.bin, built.Round(time.Millisecond), (time.Since(start) - built).Round(time.Millisecond))
	return s, nil
}

func checkSetting(ctx context.Context, c *devdb.Cluster, name, want string) error {
	conn, err := pgx.Connect(ctx, c.URL("postgres", "postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var got string
	if err := conn.QueryRow(ctx, "SELECT current_setting($1)", name).Scan(&got); err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("the cluster's %s is %q, want %q", name, got, want)
	}
	return nil
}

func (s *suite) tearDown() {
	s.mu.Lock()
	if s.cluster != nil {
		s.cluster.Stop()
	}
	s.mu.Unlock()
	os.RemoveAll(s.dir)
}

// buildHaven builds cmd/haven into bin, with the race detector when this
// test binary has it: the packages are then already compiled (the test's
// own build), and a data race in Haven under this load fails the test.
func buildHaven(ctx context.Context, bin string) error {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return err
	}
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	cmd := exec.CommandContext(ctx, goCmd, append(args, "github.com/havenschools/haven/cmd/haven")...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build haven: %w\n%s", err, out)
	}
	return nil
}

// havenEnv is the environment of a haven process: only what it is given,
// so nothing from the test's own environment leaks in. As in production
// (docs/deployment.md), the server gets the app role's URL alone; commands
// run as an operator (migrate, audit) get the owner's too: pass ownerURL.
func havenEnv(ownerURL, appURL, dataDir string, extra ...string) []string {
	e := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.TempDir(),
		"DATABASE_URL=" + appURL,
		"HAVEN_DATA_DIR=" + dataDir,
		"HAVEN_LOG_LEVEL=info",
	}
	if ownerURL != "" {
		e = append(e, "HAVEN_MIGRATE_DATABASE_URL="+ownerURL)
	}
	if raceEnabled {
		// Report every race, then exit non-zero at the end.
		e = append(e, "GORACE=halt_on_error=0 exitcode=66")
	}
	return append(e, extra...)
}

// database makes a fresh copy of the migrated template for one test and
// returns its owner and app URLs.
func (s *suite) database(t *testing.T) (ownerURL, appURL string) {
	t.Helper()
	s.mu.Lock()
	s.dbs++
	name := fmt.Sprintf("haven_%d_%s", s.dbs, strings.ToLower(strings.NewReplacer("/", "_", "-", "_").Replace(t.Name())))
	if len(name) > 60 {
		name = name[:60]
	}
	c := s.cluster
	s.mu.Unlock()
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, c.URL("postgres", "postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+
		" TEMPLATE haven_template OWNER "+devdb.OwnerRole); err != nil {
		t.Fatal(err)
	}
	return c.URL(name, devdb.OwnerRole), c.URL(name, devdb.AppRole)
}

// killCluster stops PostgreSQL immediately (SIGQUIT), as a crash would.
func (s *suite) killCluster() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cluster.Kill()
}

// startCluster starts PostgreSQL again on the same data and socket; it
// recovers from the crash on its own.
func (s *suite) startCluster(t *testing.T) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := devdb.Start(t.Context(), s.opts)
	if err != nil {
		t.Fatal(err)
	}
	s.cluster = c
}
