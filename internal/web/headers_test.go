package web_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/havenschools/haven/internal/app"
	"github.com/havenschools/haven/internal/apptest"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/devdb"
	"github.com/havenschools/haven/internal/notify"
)

var nonceRE = regexp.MustCompile(`script-src 'self' 'nonce-([A-Za-z0-9_-]{20,})'`)

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, apptest.WithRoutes(func(r chi.Router) {
		r.Get("/test/panic", func(http.ResponseWriter, *http.Request) { panic("test panic") })
	}))
	c := a.Client(t)
	crossSite := func() apptest.Response {
		req, _ := http.NewRequest(http.MethodPost, a.URL+"/", strings.NewReader("x=1"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		req.Header.Set("Origin", "https://attacker.example")
		return c.Do(req)
	}
	tests := []struct {
		name   string
		get    func() apptest.Response
		status int
		page   bool // a page in the site's layout, never cached
	}{
		{"a page", func() apptest.Response { return c.Get("/") }, http.StatusOK, true},
		{"a page that does not exist", func() apptest.Response { return c.Get("/no-such-page") }, http.StatusNotFound, true},
		{"a cross-origin form post", crossSite, http.StatusForbidden, true},
		{"a handler that panics", func() apptest.Response { return c.Get("/test/panic") }, http.StatusInternalServerError, true},
		{"a static file", func() apptest.Response { return c.Get("/static/css/haven.css") }, http.StatusOK, false},
		{"the liveness probe", func() apptest.Response { return c.Get("/healthz") }, http.StatusOK, false},
		{"the readiness probe", func() apptest.Response { return c.Get("/readyz") }, http.StatusOK, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.get()
			if r.Status != tt.status {
				t.Errorf("status = %d, want %d", r.Status, tt.status)
			}
			h := r.Header
			csp := h.Get("Content-Security-Policy")
			if !nonceRE.MatchString(csp) {
				t.Errorf("Content-Security-Policy has no script nonce: %q", csp)
			}
			for _, want := range []string{"default-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("Content-Security-Policy lacks %q: %q", want, csp)
				}
			}
			if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
				t.Errorf("Content-Security-Policy allows unsafe scripts or styles: %q", csp)
			}
			expectHeader(t, h, "X-Content-Type-Options", "nosniff")
			expectHeader(t, h, "Referrer-Policy", "no-referrer")
			if pp := h.Get("Permissions-Policy"); !strings.Contains(pp, "camera=()") || !strings.Contains(pp, "geolocation=()") {
				t.Errorf("Permissions-Policy = %q, want camera and geolocation turned off", pp)
			}
			if got := h.Get("Strict-Transport-Security"); got != "" {
				t.Errorf("Strict-Transport-Security = %q without a TLS proxy, want none", got)
			}
			cc := h.Get("Cache-Control")
			if tt.page {
				expectHeader(t, h, "Cache-Control", "no-store")
				if !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
					t.Errorf("Content-Type = %q, want text/html", h.Get("Content-Type"))
				}
				if !strings.Contains(r.Body, "Skip to main content") || !strings.Contains(r.Body, "Accessibility statement") {
					t.Errorf("the %d page is not in the site's layout:\n%s", r.Status, r.Body)
				}
			} else if strings.HasPrefix(h.Get("Content-Type"), "text/css") && strings.Contains(cc, "no-store") {
				t.Errorf("Cache-Control on a static file = %q, want it cacheable", cc)
			}
		})
	}
}

func expectHeader(t *testing.T, h http.Header, name, want string) {
	t.Helper()
	if got := h.Get(name); got != want {
		t.Errorf("%s = %q, want %q", name, got, want)
	}
}

func TestEachResponseHasItsOwnNonce(t *testing.T) {
	t.Parallel()
	a := apptest.New(t)
	c := a.Client(t)
	first := nonceRE.FindStringSubmatch(c.Get("/").Header.Get("Content-Security-Policy"))
	second := nonceRE.FindStringSubmatch(c.Get("/").Header.Get("Content-Security-Policy"))
	if first == nil || second == nil {
		t.Fatalf("no nonce in the policies: %q, %q", first, second)
	}
	if first[1] == second[1] {
		t.Errorf("two responses share the nonce %q", first[1])
	}
}

func TestHSTSOnlyBehindATLSProxy(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, apptest.WithConfig(func(c *app.Config) { c.TrustProxy = true }))
	for _, path := range []string{"/", "/no-such-page", "/static/css/haven.css", "/healthz"} {
		r := a.Client(t).Get(path)
		if got := r.Header.Get("Strict-Transport-Security"); !strings.HasPrefix(got, "max-age=") {
			t.Errorf("%s: Strict-Transport-Security = %q behind a TLS proxy, want max-age=…", path, got)
		}
	}
}

func TestCrossOriginPostIsRefused(t *testing.T) {
	t.Parallel()
	a := apptest.New(t)
	c := a.Client(t)

	t.Run("from another site: 403 with the site's error page", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, a.URL+"/accessibility", strings.NewReader("x=1"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		req.Header.Set("Origin", "https://attacker.example")
		r := c.Do(req)
		if r.Status != http.StatusForbidden {
			t.Fatalf("status = %d, want 403", r.Status)
		}
		if !strings.Contains(r.Body, "You cannot do that") {
			t.Errorf("the 403 page does not say what happened:\n%s", r.Body)
		}
	})
	t.Run("from an older browser with a foreign Origin only: 403", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, a.URL+"/", strings.NewReader("x=1"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "https://attacker.example")
		req.Header.Set("Sec-Fetch-Site", "")
		r := do(t, req)
		if r != http.StatusForbidden {
			t.Errorf("status = %d, want 403", r)
		}
	})
	t.Run("from Haven's own pages: not refused", func(t *testing.T) {
		// There is no POST / : a same-origin post gets past the protection to the 404 page.
		r := c.PostForm("/", url.Values{"x": {"1"}})
		if r.Status != http.StatusNotFound {
			t.Errorf("status = %d, want 404 (past the cross-origin check)", r.Status)
		}
	})
}

// do sends req with no browser headers added and returns the status.
func do(t *testing.T, req *http.Request) int {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestPanicGivesThe500PageAndOneLogLine(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, apptest.WithRoutes(func(r chi.Router) {
		r.Get("/test/panic", func(http.ResponseWriter, *http.Request) { panic("test panic") })
	}))
	r := a.Client(t).Get("/test/panic")
	if r.Status != http.StatusInternalServerError {
		t.Fatalf("status = %d, want 500", r.Status)
	}
	if !strings.Contains(r.Body, "Sorry, there is a problem with Haven") || strings.Contains(r.Body, "test panic") {
		t.Errorf("the 500 page should say sorry and not show the cause:\n%s", r.Body)
	}
	var panics int
	for line := range strings.Lines(a.Logs()) {
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Fatalf("log line is not JSON: %v: %s", err, line)
		}
		if entry["msg"] == "panic" {
			panics++
			stack, _ := entry["stack"].(string)
			id, _ := entry["request_id"].(string)
			if entry["err"] != "test panic" || !strings.Contains(stack, "goroutine") || id == "" {
				t.Errorf("panic log line lacks the error, stack or request id: %s", line)
			}
		}
	}
	if panics != 1 {
		t.Errorf("%d panic log lines, want 1; log:\n%s", panics, a.Logs())
	}
}

// TestReadyzFollowsTheDatabase runs Haven on a private PostgreSQL cluster of
// its own, so it can stop the database under a running server.
func TestReadyzFollowsTheDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "haven-readyz-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil { // the postgres user must reach the cluster inside
		t.Fatal(err)
	}
	cluster, err := devdb.Start(ctx, devdb.Options{Dir: dir + "/pg", Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cluster.Stop() })
	ownerURL, appURL, err := cluster.Provision(ctx, "haven")
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	if err := app.Migrate(ctx, ownerURL, log); err != nil {
		t.Fatal(err)
	}
	pool, err := db.Open(ctx, appURL, 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	cfg, err := app.LoadConfig(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	outbox, err := notify.NewOutbox(t.TempDir(), cfg.MailFrom)
	if err != nil {
		t.Fatal(err)
	}
	built, err := app.Build(cfg, pool, outbox, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(built.Web.Close)
	srv := httptest.NewServer(built.Web.Routes())
	t.Cleanup(srv.Close)
	status := func(path string) int {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	if got := status("/readyz"); got != http.StatusOK {
		t.Fatalf("with the database up: /readyz = %d, want 200", got)
	}
	if err := cluster.Stop(); err != nil {
		t.Fatal(err)
	}
	if got := status("/readyz"); got != http.StatusServiceUnavailable {
		t.Errorf("with the database stopped: /readyz = %d, want 503", got)
	}
	if got := status("/healthz"); got != http.StatusOK {
		t.Errorf("with the database stopped: /healthz = %d, want 200", got)
	}
}
