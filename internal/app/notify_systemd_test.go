package app_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/havenschools/haven/internal/app"
	"github.com/havenschools/haven/internal/db/dbtest"
)

// Under systemd (Type=notify, WatchdogSec=), haven serve says READY=1 once
// it listens, pings the watchdog while it answers /healthz, and says
// STOPPING=1 when it shuts down. The socket is a real unixgram socket, as
// systemd makes.
func TestServeNotifiesSystemd(t *testing.T) {
	t.Parallel()
	socket := filepath.Join(t.TempDir(), "notify")
	manager, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: socket, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer manager.Close()
	vars := map[string]string{"DATABASE_URL": dbtest.Empty(t), "HAVEN_ADDR": "127.0.0.1:0", "HAVEN_DATA_DIR": t.TempDir(),
		"NOTIFY_SOCKET": socket, "WATCHDOG_USEC": "200000"}
	getenv := func(k string) string { return vars[k] }
	cfg, err := app.LoadConfig(getenv)
	if err != nil {
		t.Fatal(err)
	}
	env := app.Env{Getenv: getenv, Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard,
		Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	errs := make(chan error, 1)
	go func() { errs <- app.Serve(ctx, cfg, env, nil) }()

	next := func() string {
		t.Helper()
		buf := make([]byte, 256)
		if err := manager.SetReadDeadline(time.Now().Add(60 * time.Second)); err != nil {
			t.Fatal(err)
		}
		n, err := manager.Read(buf)
		if err != nil {
			t.Fatalf("no notification from haven serve: %v", err)
		}
		return string(buf[:n])
	}
	if got := next(); got != "READY=1" {
		t.Fatalf("first notification %q, want READY=1", got)
	}
	if got := next(); got != "WATCHDOG=1" {
		t.Fatalf("after READY=1: %q, want WATCHDOG=1", got)
	}
	cancel()
	for got := next(); got != "STOPPING=1"; got = next() {
		if got != "WATCHDOG=1" {
			t.Fatalf("while stopping: %q, want WATCHDOG=1 then STOPPING=1", got)
		}
	}
	if err := <-errs; err != nil {
		t.Errorf("serve returned %v after shutdown", err)
	}
}
