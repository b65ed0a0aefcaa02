package app

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/havenschools/haven/internal/sdnotify"
)

// notifySystemd tells systemd (in a Type=notify unit: $NOTIFY_SOCKET set)
// that Haven is listening on addr, then, when the unit has WatchdogSec=,
// pings the watchdog while the server answers its own /healthz. The stop
// it returns (call it when shutdown begins) stops the pings and says
// STOPPING=1; calling it again does nothing. Outside systemd it does nothing.
func notifySystemd(ctx context.Context, env Env, addr string, log *slog.Logger) (stop func()) {
	if sent, err := sdnotify.Notify(env.Getenv, sdnotify.Ready); err != nil {
		log.Warn("systemd notify", "err", err)
		return func() {}
	} else if !sent {
		return func() {}
	}
	interval, err := sdnotify.WatchdogInterval(env.Getenv, os.Getpid())
	if err != nil {
		log.Warn("systemd watchdog", "err", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if interval == 0 {
			return
		}
		if err := sdnotify.PingWhileHealthy(ctx, env.Getenv, interval, livenessCheck(addr, interval/4)); err != nil {
			log.Warn("systemd watchdog", "err", err)
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			<-done
			if _, err := sdnotify.Notify(env.Getenv, sdnotify.Stopping); err != nil {
				log.Warn("systemd notify", "err", err)
			}
		})
	}
}

// livenessCheck asks the server, through its own listener, for /healthz: a
// server that cannot answer that (wedged, out of file descriptors) is not
// alive. The database is not part of it: while PostgreSQL is down, /readyz
// says so and restarting Haven would not help.
func livenessCheck(addr string, timeout time.Duration) func(context.Context) bool {
	host, port, err := net.SplitHostPort(addr)
	if err == nil && (host == "" || host == "0.0.0.0" || host == "::") {
		addr = net.JoinHostPort("127.0.0.1", port)
	}
	url := "http://" + addr + "/healthz"
	client := &http.Client{Timeout: timeout}
	return func(ctx context.Context) bool {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return false
		}
		res, err := client.Do(req)
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}
}
