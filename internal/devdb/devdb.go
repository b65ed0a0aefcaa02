// Package devdb runs a private PostgreSQL server from the machine's own
// server binaries, for `make run` (the embedded default) and for tests. The
// server listens only on a unix socket inside its own folder, so several
// clusters and the machine's own Postgres never clash. As root it runs as the
// postgres system user, because Postgres refuses to run as root.
package devdb

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrNoBinaries is returned when no PostgreSQL server binaries can be found.
var ErrNoBinaries = errors.New("PostgreSQL server binaries (initdb, postgres) not found. " +
	"Install them (Debian/Ubuntu: sudo apt-get install postgresql; macOS: brew install postgresql@16), " +
	"set PGBIN to their folder, or set DATABASE_URL to use an existing server")

// Options says where and how to run the cluster.
type Options struct {
	// Dir holds the cluster: data/, the socket and postgres.log.
	Dir string
	// Fast turns off fsync and synchronous commit: for tests only, never for data
	// anyone wants to keep.
	Fast bool
	// MaxConnections is the server's max_connections (0: 200).
	MaxConnections int
	// Settings are extra server settings (-c name=value), e.g. WAL archiving
	// for a restore drill.
	Settings map[string]string
	// Log receives one line for each notable step (nil: discarded).
	Log io.Writer
}

// Cluster is a running private PostgreSQL server.
type Cluster struct {
	// Dir is where the cluster lives (it may differ from Options.Dir when the
	// postgres user cannot reach that folder).
	Dir       string
	bin       string
	cred      *syscall.Credential
	socketDir string
	cmd       *exec.Cmd
	done      chan error
	logFile   *os.File
	attached  bool // another process started the server: Stop leaves it running
}

// Start initialises the cluster in opts.Dir when it is new, starts the server
// and waits until it accepts connections. The server is a child of this
// process and dies with it (SIGQUIT on parent death), so nothing outlives
// Haven even after kill -9.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	bin, err := FindBinaries()
	if err != nil {
		return nil, err
	}
	logw := opts.Log
	if logw == nil {
		logw = io.Discard
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, err
	}
	cred, err := serverCredential()
	if err != nil {
		return nil, err
	}
	if cred != nil && !reachable(filepath.Dir(dir), cred) {
		alt := outsideDir(dir)
		fmt.Fprintf(logw, "the postgres user cannot reach %s; keeping the development database in %s instead\n", dir, alt)
		dir = alt
	}
	if err := prepareDir(dir, cred); err != nil {
		return nil, err
	}
	if c, ok := attach(ctx, dir, bin, cred); ok {
		fmt.Fprintf(logw, "using the PostgreSQL server already running in %s\n", dir)
		return c, nil
	}
	c := &Cluster{Dir: dir, bin: bin, cred: cred, socketDir: dir, done: make(chan error, 1)}
	if len(filepath.Join(dir, ".s.PGSQL.5432")) > 100 {
		// Unix socket paths are limited to 107 bytes.
		sd, err := os.MkdirTemp("", "havenpg")
		if err != nil {
			return nil, err
		}
		if err := own(sd, cred, 0o700); err != nil {
			return nil, err
		}
		c.socketDir = sd
	}
	// Recorded so that another process (haven audit verify while haven serve
	// runs) can find and share the running server.
	if err := os.WriteFile(filepath.Join(dir, "socket-dir"), []byte(c.socketDir), 0o644); err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	if _, err := os.Stat(filepath.Join(data, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(logw, "creating a private PostgreSQL cluster in %s\n", data)
		args := []string{"-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--data-checksums"}
		if opts.Fast {
			args = append(args, "--no-sync")
		}
		cmd := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), args...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		if out, err := cmd.CombinedOutput(); err != nil {
			os.RemoveAll(data)
			return nil, fmt.Errorf("initdb: %w: %s", err, lastLines(out, 5))
		}
	}
	if err := c.start(ctx, bin, data, opts, cred); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Cluster) start(ctx context.Context, bin, data string, opts Options, cred *syscall.Credential) error {
	maxConns := opts.MaxConnections
	if maxConns == 0 {
		maxConns = 200
	}
	args := []string{"-D", data, "-k", c.socketDir, "-p", "5432",
		"-c", "listen_addresses=", "-c", "max_connections=" + strconv.Itoa(maxConns),
		"-c", "unix_socket_permissions=0700"}
	if opts.Fast {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	for _, name := range slices.Sorted(maps.Keys(opts.Settings)) {
		args = append(args, "-c", name+"="+opts.Settings[name])
	}
	logFile, err := os.OpenFile(filepath.Join(c.Dir, "postgres.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	c.logFile = logFile
	cmd := exec.Command(filepath.Join(bin, "postgres"), args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Its own process group keeps a terminal's Ctrl-C away from it (Haven stops
	// it in order); Pdeathsig takes it down if Haven dies without stopping it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true, Pdeathsig: syscall.SIGQUIT}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("start postgres: %w", err)
	}
	c.cmd = cmd
	go func() { c.done <- cmd.Wait() }()

	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case err := <-c.done:
			c.done <- err
			logFile.Close()
			return fmt.Errorf("postgres exited at start (%v); see %s: %s", err,
				filepath.Join(c.Dir, "postgres.log"), tailFile(filepath.Join(c.Dir, "postgres.log"), 3))
		default:
		}
		pingCtx, cancel := context.WithTimeout(ctx, time.Second)
		conn, err := pgx.Connect(pingCtx, c.URL("postgres", "postgres"))
		cancel()
		if err == nil {
			conn.Close(ctx)
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			c.Stop()
			return fmt.Errorf("postgres did not accept connections: %w", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// attach returns the server already running in dir, if there is one: a
// second haven process (haven audit verify beside haven serve) then shares it
// rather than failing to start another on the same data.
func attach(ctx context.Context, dir, bin string, cred *syscall.Credential) (*Cluster, bool) {
	if _, err := os.Stat(filepath.Join(dir, "data", "postmaster.pid")); err != nil {
		return nil, false
	}
	sd, err := os.ReadFile(filepath.Join(dir, "socket-dir"))
	if err != nil {
		return nil, false
	}
	c := &Cluster{Dir: dir, bin: bin, cred: cred, socketDir: string(sd), attached: true}
	pingCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	conn, err := pgx.Connect(pingCtx, c.URL("postgres", "postgres"))
	if err != nil {
		return nil, false
	}
	conn.Close(ctx)
	return c, true
}

// URL returns a connection URL for database as role user over the socket.
func (c *Cluster) URL(database, user string) string {
	q := url.Values{"host": {c.socketDir}, "port": {"5432"}, "user": {user}, "sslmode": {"disable"}}
	return "postgres:///" + url.PathEscape(database) + "?" + q.Encode()
}

// SocketDir is the folder holding the server's unix socket.
func (c *Cluster) SocketDir() string { return c.socketDir }

// DataDir is the cluster's data folder (PGDATA).
func (c *Cluster) DataDir() string { return filepath.Join(c.Dir, "data") }

// Exec runs one of the server's own programs (pg_basebackup, pg_ctl, …) as
// the user the server runs as, and returns its combined output.
func (c *Cluster) Exec(ctx context.Context, program string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, program), args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("%s: %w: %s", program, err, lastLines(out, 5))
	}
	return out, nil
}

// PrepareDir creates dir for the server's user, as Start does, so a caller
// can put files there first (a base backup to restore, a WAL archive).
func PrepareDir(dir string) error {
	cred, err := serverCredential()
	if err != nil {
		return err
	}
	return prepareDir(dir, cred)
}

// Stop shuts the server down (fast shutdown: open transactions roll back,
// committed data is kept) and waits for it to exit. A server another
// process started (Start attached to it) is left running.
func (c *Cluster) Stop() error {
	if c.attached || c.cmd == nil || c.cmd.Process == nil {
		return nil
	}
	_ = c.cmd.Process.Signal(syscall.SIGINT)
	var err error
	select {
	case err = <-c.done:
	case <-time.After(30 * time.Second):
		_ = c.cmd.Process.Signal(syscall.SIGQUIT)
		err = <-c.done
	}
	c.done <- err // later Stop calls return at once
	if c.logFile != nil {
		c.logFile.Close()
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return nil // postgres exits non-zero after a signal-initiated shutdown on some platforms
	}
	return err
}

// Kill stops the server immediately, as a crash would (for tests).
func (c *Cluster) Kill() {
	if c.cmd != nil && c.cmd.Process != nil {
		_ = c.cmd.Process.Signal(syscall.SIGQUIT)
		err := <-c.done
		c.done <- err
	}
}

// FindBinaries returns the folder holding initdb and postgres: $PGBIN, the
// newest /usr/lib/postgresql/*/bin (Debian, Ubuntu), Homebrew's folders, or PATH.
func FindBinaries() (string, error) {
	var candidates []string
	if d := os.Getenv("PGBIN"); d != "" {
		candidates = append(candidates, d)
	}
	for _, pattern := range []string{"/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin",
		"/opt/homebrew/opt/postgresql@*/bin", "/usr/local/opt/postgresql@*/bin"} {
		m, _ := filepath.Glob(pattern)
		slices.SortFunc(m, func(a, b string) int { return versionOf(b) - versionOf(a) })
		candidates = append(candidates, m...)
	}
	if p, err := exec.LookPath("postgres"); err == nil {
		candidates = append(candidates, filepath.Dir(p))
	}
	for _, d := range candidates {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", ErrNoBinaries
}

func versionOf(dir string) int {
	for _, part := range strings.FieldsFunc(dir, func(r rune) bool { return r == '/' || r == '@' || r == '-' }) {
		if n, err := strconv.Atoi(part); err == nil {
			return n
		}
	}
	return 0
}

func isExec(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// serverCredential returns the postgres system user's credential when running
// as root, and nil otherwise (the server then runs as the current user).
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, errors.New("running as root, but there is no postgres system user to run PostgreSQL as " +
			"(it comes with the postgresql package); run Haven as a normal user or set DATABASE_URL")
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// reachable reports whether cred may traverse every folder from / down to dir.
func reachable(dir string, cred *syscall.Credential) bool {
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			// Not created yet: its parent decides.
			if errors.Is(err, os.ErrNotExist) && d != filepath.Dir(d) {
				continue
			}
			return false
		}
		st := fi.Sys().(*syscall.Stat_t)
		mode := fi.Mode().Perm()
		switch {
		case st.Uid == cred.Uid:
			if mode&0o100 == 0 {
				return false
			}
		case st.Gid == cred.Gid:
			if mode&0o010 == 0 {
				return false
			}
		default:
			if mode&0o001 == 0 {
				return false
			}
		}
		if d == filepath.Dir(d) {
			return true
		}
	}
}

// outsideDir names a postgres-owned folder outside the checkout for dir,
// stable across runs so the data survives restarts.
func outsideDir(dir string) string {
	sum := sha256.Sum256([]byte(dir))
	name := filepath.Base(filepath.Dir(filepath.Dir(dir))) // the checkout's name
	return filepath.Join("/var/tmp", "haven-"+name+"-"+hex.EncodeToString(sum[:4]), filepath.Base(dir))
}

// prepareDir makes dir (and its parents) and gives it to the server's user.
func prepareDir(dir string, cred *syscall.Credential) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return own(dir, cred, 0o700)
}

func own(dir string, cred *syscall.Credential, mode os.FileMode) error {
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return err
		}
	}
	return os.Chmod(dir, mode)
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

func tailFile(path string, n int) string {
	b, _ := os.ReadFile(path)
	return lastLines(b, n)
}
