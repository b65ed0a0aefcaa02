package app_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/havenschools/haven/internal/app"
	"github.com/havenschools/haven/internal/db/dbtest"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Metrics are served on their own listener, labelled by route pattern, and
// haven healthcheck tells a ready server from a missing one.
func TestMetricsAndHealthcheck(t *testing.T) {
	t.Parallel()
	url := dbtest.Empty(t)
	metricsAddr := freeAddr(t)
	vars := map[string]string{"DATABASE_URL": url, "HAVEN_ADDR": "127.0.0.1:0", "HAVEN_DATA_DIR": t.TempDir(), "HAVEN_METRICS_ADDR": metricsAddr}
	cfg, err := app.LoadConfig(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	addrs, errs := make(chan string, 1), make(chan error, 1)
	go func() { errs <- app.Serve(ctx, cfg, env(io.Discard), addrs) }()
	var addr string
	select {
	case addr = <-addrs:
	case err := <-errs:
		t.Fatal(err)
	case <-time.After(60 * time.Second):
		t.Fatal("did not start")
	}
	expectStatus(t, "http://"+addr+"/", http.StatusOK)
	expectStatus(t, "http://"+addr+"/no-such-page?child=Jane+Smith", http.StatusNotFound)

	res, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	text := string(body)
	for _, want := range []string{
		`haven_http_requests_total{method="GET",route="/",status="200"} 1`,
		`haven_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`haven_db_pool_max_connections`,
		`haven_jobs_scrape_ok 1`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if strings.Contains(text, "Jane") || strings.Contains(text, "no-such-page") {
		t.Error("a path or query reached the metrics")
	}

	hc := func(u string) error {
		return app.Run(t.Context(), []string{"healthcheck", "-url", u, "-timeout", "3s"},
			func(string) string { return "" }, nil, io.Discard, io.Discard)
	}
	if err := hc("http://" + addr + "/readyz"); err != nil {
		t.Errorf("healthcheck of a ready server: %v", err)
	}
	if err := hc("http://" + freeAddr(t) + "/readyz"); err == nil {
		t.Error("healthcheck of nothing listening succeeded")
	}
	cancel()
	if err := <-errs; err != nil {
		t.Errorf("serve: %v", err)
	}
}
