package reliability

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/havenschools/haven/internal/audit"
)

// haven is the haven binary serving one test's database on a loopback
// port, started again on the same port after each kill.
type haven struct {
	t        *testing.T
	addr     string   // 127.0.0.1:port
	env      []string // its environment: the app role's URL, no owner's
	ownerURL string   // for the commands an operator runs (audit)
	logs     *logBuffer

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has exited
	state  *os.ProcessState
	starts int
}

// startHaven runs `haven serve` for the database at the two URLs and waits
// until it is ready. extra adds to its environment (HAVEN_SHUTDOWN_DELAY=…).
func startHaven(t *testing.T, ownerURL, appURL string, extra ...string) *haven {
	t.Helper()
	h := &haven{t: t, addr: freeAddr(t), logs: &logBuffer{}, ownerURL: ownerURL}
	h.env = havenEnv("", appURL, t.TempDir(), append([]string{"HAVEN_ADDR=" + h.addr}, extra...)...)
	h.start()
	t.Cleanup(func() {
		h.kill()
		if t.Failed() {
			t.Logf("Haven's output (last 60 lines):\n%s", h.logs.tail(60))
		}
	})
	t.Cleanup(func() { h.checkLogs() })
	return h
}

// URL is Haven's base URL.
func (h *haven) URL() string { return "http://" + h.addr }

// start starts the process and waits until /readyz answers 200.
func (h *haven) start() {
	h.t.Helper()
	cmd := exec.Command(env.bin, "serve")
	cmd.Env = h.env
	cmd.Stdout, cmd.Stderr = h.logs, h.logs
	// Haven must not outlive the test binary, however it ends.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	exited := make(chan struct{})
	h.mu.Lock()
	h.cmd, h.exited, h.state = cmd, exited, nil
	h.starts++
	h.mu.Unlock()
	go func() {
		_ = cmd.Wait()
		h.mu.Lock()
		h.state = cmd.ProcessState
		h.mu.Unlock()
		close(exited)
	}()
	if err := h.waitReady(90 * time.Second); err != nil {
		h.t.Fatalf("haven did not become ready: %v", err)
	}
}

// waitReady polls /readyz until it answers 200, the process exits or the
// limit passes.
func (h *haven) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	c := &http.Client{Timeout: 2 * time.Second}
	for {
		select {
		case <-h.exitedCh():
			return fmt.Errorf("haven exited: %v", h.exitState())
		default:
		}
		res, err := c.Get(h.URL() + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %s (last: %v)", limit, errOrStatus(res, err))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func errOrStatus(res *http.Response, err error) string {
	if err != nil {
		return err.Error()
	}
	return res.Status
}

func (h *haven) exitedCh() chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.exited
}

func (h *haven) exitState() *os.ProcessState {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.state
}

// pid is the running process's id.
func (h *haven) pid() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.cmd.Process.Pid
}

// kill sends SIGKILL and waits for the process to die.
func (h *haven) kill() {
	h.mu.Lock()
	cmd, exited := h.cmd, h.exited
	h.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-exited
}

// signal sends sig to the running process.
func (h *haven) signal(sig os.Signal) {
	h.t.Helper()
	if err := h.cmd.Process.Signal(sig); err != nil {
		h.t.Fatal(err)
	}
}

// checkLogs fails the test when Haven panicked or the race detector found
// a data race.
func (h *haven) checkLogs() {
	out := h.logs.String()
	for _, bad := range []string{"WARNING: DATA RACE", "panic:", "fatal error:"} {
		if strings.Contains(out, bad) {
			h.t.Errorf("Haven's output has %q:\n%s", bad, h.logs.tail(80))
		}
	}
}

// verifyAudit signs the audit chain heads with a new key (`haven audit
// checkpoint`) and runs `haven audit verify`, which must pass.
func (h *haven) verifyAudit(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	key := filepath.Join(t.TempDir(), "audit.key")
	if _, _, err := audit.EnsureKey(key); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"audit", "checkpoint"}, {"audit", "verify"}} {
		cmd := exec.CommandContext(ctx, env.bin, args...)
		cmd.Env = append(h.env, "HAVEN_MIGRATE_DATABASE_URL="+h.ownerURL, "HAVEN_AUDIT_KEY_FILE="+key)
		out, err := cmd.CombinedOutput()
		if err != nil || strings.Contains(string(out), "BROKEN") {
			t.Fatalf("haven %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		if args[1] == "verify" {
			t.Logf("haven audit verify: %s", lastLine(string(out)))
		}
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// freeAddr is a loopback address with a port nothing listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// logBuffer collects a process's output across restarts.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) tail(n int) string {
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// errRefused reports whether err is a refused TCP connection.
func errRefused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }
