package sdnotify_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/havenschools/haven/internal/sdnotify"
)

// manager is the service manager's end: a real unixgram socket, as systemd
// makes for a Type=notify unit, and the environment it would pass.
func manager(t *testing.T, name string) (*net.UnixConn, func(string) string) {
	t.Helper()
	if name == "" {
		name = filepath.Join(t.TempDir(), "notify")
	}
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	env := map[string]string{"NOTIFY_SOCKET": name}
	return conn, func(k string) string { return env[k] }
}

// receive returns the next datagram, failing the test if none comes.
func receive(t *testing.T, conn *net.UnixConn) string {
	t.Helper()
	buf := make([]byte, 256)
	if err := conn.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatalf("no notification: %v", err)
	}
	return string(buf[:n])
}

// nothingQueued fails if a datagram is waiting.
func nothingQueued(t *testing.T, conn *net.UnixConn) {
	t.Helper()
	if err := conn.SetReadDeadline(time.Now()); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 256)
	n, err := conn.Read(buf)
	if ne, ok := errors.AsType[net.Error](err); !ok || !ne.Timeout() {
		t.Errorf("want no notification, got %q (err %v)", buf[:n], err)
	}
}

func TestNotifySendsTheState(t *testing.T) {
	for _, socket := range []string{"", "@haven-sdnotify-test-" + t.Name()} {
		conn, getenv := manager(t, socket)
		sent, err := sdnotify.Notify(getenv, sdnotify.Ready)
		if err != nil || !sent {
			t.Fatalf("Notify to %q: sent %v, %v", getenv("NOTIFY_SOCKET"), sent, err)
		}
		if got := receive(t, conn); got != "READY=1" {
			t.Errorf("manager got %q, want READY=1", got)
		}
	}
}

func TestNotifyWithoutSocketDoesNothing(t *testing.T) {
	sent, err := sdnotify.Notify(func(string) string { return "" }, sdnotify.Ready)
	if sent || err != nil {
		t.Errorf("without NOTIFY_SOCKET: sent %v, %v; want false, nil", sent, err)
	}
}

func TestNotifyToAMissingSocketFails(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "gone")
	if _, err := sdnotify.Notify(func(string) string { return missing }, sdnotify.Ready); err == nil {
		t.Error("Notify to a socket that does not exist: no error")
	}
}

func TestWatchdogInterval(t *testing.T) {
	pid := os.Getpid()
	for _, c := range []struct {
		env  map[string]string
		want time.Duration
		bad  bool
	}{
		{env: map[string]string{}, want: 0},
		{env: map[string]string{"WATCHDOG_USEC": "30000000"}, want: 30 * time.Second},
		{env: map[string]string{"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}, want: 0},
		{env: map[string]string{"WATCHDOG_USEC": "500000", "WATCHDOG_PID": itoa(pid)}, want: 500 * time.Millisecond},
		{env: map[string]string{"WATCHDOG_USEC": "soon"}, bad: true},
		{env: map[string]string{"WATCHDOG_USEC": "0"}, bad: true},
	} {
		got, err := sdnotify.WatchdogInterval(func(k string) string { return c.env[k] }, pid)
		if (err != nil) != c.bad || got != c.want {
			t.Errorf("%v: %v, %v; want %v (error %v)", c.env, got, err, c.want, c.bad)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestWatchdogPingsOnlyWhileHealthy(t *testing.T) {
	conn, getenv := manager(t, "")
	// Unhealthy first: three checks fail, and nothing may reach the manager.
	ctx, cancel := context.WithCancel(context.Background())
	checks := 0
	unhealthy := func(context.Context) bool {
		checks++
		if checks == 3 {
			cancel()
		}
		return false
	}
	if err := sdnotify.PingWhileHealthy(ctx, getenv, time.Millisecond, unhealthy); err != nil {
		t.Fatal(err)
	}
	nothingQueued(t, conn)

	// Healthy: each check is followed by a ping.
	ctx, cancel = context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- sdnotify.PingWhileHealthy(ctx, getenv, time.Millisecond, func(context.Context) bool { return true })
	}()
	for range 2 {
		if got := receive(t, conn); got != "WATCHDOG=1" {
			t.Errorf("manager got %q, want WATCHDOG=1", got)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
