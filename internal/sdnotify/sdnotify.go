// Package sdnotify speaks the few lines of systemd's notify protocol Haven
// needs (sd_notify(3)): tell the service manager the server is ready, and
// ping its watchdog while the server is healthy. Outside a Type=notify unit
// (no $NOTIFY_SOCKET) every call does nothing.
package sdnotify

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"
)

// The states Haven sends.
const (
	Ready    = "READY=1"
	Stopping = "STOPPING=1"
	Watchdog = "WATCHDOG=1"
)

// Notify sends state as one datagram to the unix socket named by
// $NOTIFY_SOCKET (a leading @ is Linux's abstract namespace). Without
// $NOTIFY_SOCKET it sends nothing and returns false.
func Notify(getenv func(string) string, state string) (sent bool, err error) {
	path := getenv("NOTIFY_SOCKET")
	if path == "" {
		return false, nil
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return false, fmt.Errorf("sd_notify: %w", err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(state)); err != nil {
		return false, fmt.Errorf("sd_notify %s: %w", state, err)
	}
	return true, nil
}

// WatchdogInterval is the unit's WatchdogSec= as systemd passes it
// ($WATCHDOG_USEC), or 0 when there is no watchdog for this process
// ($WATCHDOG_PID, when set, names another pid).
func WatchdogInterval(getenv func(string) string, pid int) (time.Duration, error) {
	usec := getenv("WATCHDOG_USEC")
	if usec == "" {
		return 0, nil
	}
	if p := getenv("WATCHDOG_PID"); p != "" && p != strconv.Itoa(pid) {
		return 0, nil
	}
	n, err := strconv.ParseInt(usec, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("WATCHDOG_USEC=%q: want a positive number of microseconds", usec)
	}
	return time.Duration(n) * time.Microsecond, nil
}

// PingWhileHealthy sends WATCHDOG=1 every half interval (as sd_watchdog_enabled(3)
// advises) for as long as healthy says so, until ctx is done. A check that
// fails sends nothing, so systemd restarts a server that stays unhealthy for
// the whole interval.
func PingWhileHealthy(ctx context.Context, getenv func(string) string, interval time.Duration, healthy func(context.Context) bool) error {
	t := time.NewTicker(interval / 2)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if !healthy(ctx) {
			continue
		}
		if _, err := Notify(getenv, Watchdog); err != nil {
			return err
		}
	}
}
