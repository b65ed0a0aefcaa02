// Package mailtest runs a real mailpit SMTP server for a test and reads back
// what it received through mailpit's HTTP API, so tests see email exactly as
// a person's mail server would.
//
// The mailpit binary comes from $HAVEN_MAILPIT, else <repo>/bin/mailpit
// (where .ci/run installs it), else PATH. Without one the test is skipped,
// or fails when CI=true. Install it with:
//
//	GOBIN=$PWD/bin go install github.com/axllent/mailpit@v1.33.1
package mailtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/havenschools/haven/internal/testenv"
)

// Mailpit is a running mailpit server owned by one test.
type Mailpit struct {
	smtpAddr string
	apiURL   string
	cmd      *exec.Cmd
	done     chan error
}

// Address is an email address with its display name.
type Address struct {
	Name    string
	Address string
}

// Summary is what mailpit's message list says about a received email.
type Summary struct {
	ID      string
	Subject string
	From    Address
	To      []Address
	Cc      []Address
	Bcc     []Address
	Created time.Time
	Snippet string
}

// SentTo reports whether addr is among the email's To recipients.
func (s Summary) SentTo(addr string) bool {
	for _, a := range s.To {
		if strings.EqualFold(a.Address, addr) {
			return true
		}
	}
	return false
}

// Message is a whole received email.
type Message struct {
	ID      string
	Subject string
	From    Address
	To      []Address
	Cc      []Address
	Bcc     []Address // envelope recipients not named in To or Cc
	Text    string
	HTML    string
	// Headers holds every header as mailpit parsed it.
	Headers map[string][]string
	// Raw is the message source as it arrived.
	Raw string
}

// Start starts mailpit on two free loopback ports with its own database in a
// temporary folder, waits until it is live, and stops it (SIGINT) when the
// test ends.
func Start(t testing.TB) *Mailpit {
	t.Helper()
	bin, err := binary()
	if err != nil {
		testenv.Missing(t, err.Error())
	}
	var lastErr error
	for range 3 { // a free port can be taken between choosing it and mailpit binding it
		m, err := start(t, bin)
		if err == nil {
			return m
		}
		lastErr = err
	}
	t.Fatalf("mailtest: start mailpit: %v", lastErr)
	return nil
}

func binary() (string, error) {
	if p := os.Getenv("HAVEN_MAILPIT"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("mailtest: HAVEN_MAILPIT=%s: %w", p, err)
		}
		return p, nil
	}
	if root, err := testenv.RepoRoot(); err == nil {
		p := filepath.Join(root, "bin", "mailpit")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	if p, err := exec.LookPath("mailpit"); err == nil {
		return p, nil
	}
	return "", errors.New("mailtest: no mailpit binary (set HAVEN_MAILPIT, or install it with " +
		"`GOBIN=$PWD/bin go install github.com/axllent/mailpit@v1.33.1` at the repository root)")
}

func start(t testing.TB, bin string) (*Mailpit, error) {
	smtpAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	httpAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	dir := t.TempDir()
	cmd := exec.Command(bin,
		"--smtp", smtpAddr, "--listen", httpAddr,
		"--database", filepath.Join(dir, "mailpit.db"),
		"--disable-version-check", "--quiet", "--smtp-disable-rdns")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	// Never outlive the test binary, even after kill -9.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	m := &Mailpit{smtpAddr: smtpAddr, apiURL: "http://" + httpAddr, cmd: cmd, done: make(chan error, 1)}
	go func() { m.done <- cmd.Wait() }()

	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-m.done:
			return nil, fmt.Errorf("mailpit exited at start (%v): %s", err, strings.TrimSpace(out.String()))
		default:
		}
		if resp, err := http.Get(m.apiURL + "/livez"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			m.stop()
			return nil, errors.New("mailpit did not become live within 30s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Cleanup(m.stop)
	return m, nil
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func (m *Mailpit) stop() {
	_ = m.cmd.Process.Signal(syscall.SIGINT)
	select {
	case err := <-m.done:
		m.done <- err
	case <-time.After(10 * time.Second):
		_ = m.cmd.Process.Kill()
		m.done <- <-m.done
	}
}

// SMTPURL is the HAVEN_SMTP_URL that sends to this mailpit (plain SMTP, no TLS).
func (m *Mailpit) SMTPURL() string { return "smtp://" + m.smtpAddr + "?tls=none" }

// SMTPAddr is the host:port mailpit's SMTP server listens on.
func (m *Mailpit) SMTPAddr() string { return m.smtpAddr }

// Messages returns every email received so far, newest first.
func (m *Mailpit) Messages(t testing.TB) []Summary {
	t.Helper()
	var list struct{ Messages []Summary }
	m.get(t, "/api/v1/messages?limit=500", &list)
	return list.Messages
}

// WaitFor waits up to timeout for an email that match accepts, and returns
// it in full. The test fails if none arrives, listing what did.
func (m *Mailpit) WaitFor(t testing.TB, match func(Summary) bool, timeout time.Duration) Message {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		msgs := m.Messages(t)
		for _, s := range msgs {
			if match(s) {
				return m.Message(t, s.ID)
			}
		}
		if time.Now().After(deadline) {
			var got []string
			for _, s := range msgs {
				got = append(got, fmt.Sprintf("%q to %v", s.Subject, s.To))
			}
			t.Fatalf("mailtest: no matching email within %v; received %d: %s", timeout, len(msgs), strings.Join(got, "; "))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Message returns the email with the given mailpit ID.
func (m *Mailpit) Message(t testing.TB, id string) Message {
	t.Helper()
	var msg Message
	m.get(t, "/api/v1/message/"+id, &msg)
	m.get(t, "/api/v1/message/"+id+"/headers", &msg.Headers)
	msg.Raw = m.text(t, "/api/v1/message/"+id+"/raw")
	return msg
}

// Clear deletes every received email.
func (m *Mailpit) Clear(t testing.TB) {
	t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodDelete, m.apiURL+"/api/v1/messages", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("mailtest: clear: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("mailtest: clear: %s", resp.Status)
	}
}

func (m *Mailpit) get(t testing.TB, path string, into any) {
	t.Helper()
	if err := json.Unmarshal([]byte(m.text(t, path)), into); err != nil {
		t.Fatalf("mailtest: GET %s: %v", path, err)
	}
}

func (m *Mailpit) text(t testing.TB, path string) string {
	t.Helper()
	resp, err := http.Get(m.apiURL + path)
	if err != nil {
		t.Fatalf("mailtest: GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("mailtest: GET %s: %v", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("mailtest: GET %s: %s: %s", path, resp.Status, b)
	}
	return string(b)
}
