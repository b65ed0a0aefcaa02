package app

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"
)

// healthcheckCmd asks a running Haven whether it is ready, for container and
// systemd probes: exit 0 when /readyz answers 200, non-zero otherwise.
func healthcheckCmd(ctx context.Context, env Env, args []string) error {
	fs := flags(env, "healthcheck")
	rawURL := fs.String("url", "", "readiness URL (default http://HAVEN_ADDR/readyz, with 0.0.0.0 read as 127.0.0.1)")
	timeout := fs.Duration("timeout", 5*time.Second, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := LoadConfig(env.Getenv)
	if err != nil {
		return err
	}
	u := *rawURL
	if u == "" {
		host, port, err := net.SplitHostPort(cfg.Addr)
		if err != nil {
			return fmt.Errorf("HAVEN_ADDR: %w", err)
		}
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "127.0.0.1"
		}
		u = "http://" + net.JoinHostPort(host, port) + "/readyz"
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("not healthy: %w", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("not healthy: %s answered %s", u, res.Status)
	}
	fmt.Fprintln(env.Stdout, "ready")
	return nil
}
