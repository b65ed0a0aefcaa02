// Package apptest runs the whole of Haven for a test: app.Build on a fresh
// test database (dbtest), its River job client started, its routes served by
// an httptest server, and optionally a real mailpit for its email. Handler
// tests talk to it with Client; browser tests point a browsertest.Tab at URL.
// The test package's TestMain must call dbtest.Main (or browsertest.Main).
//
//	a := apptest.New(t, apptest.WithMail())
//	c := a.Client(t)
//	r := c.Get("/")
//	if r.Status != 200 { … }
package apptest

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/havenschools/haven/internal/allegation"
	"github.com/havenschools/haven/internal/app"
	"github.com/havenschools/haven/internal/db/dbtest"
	"github.com/havenschools/haven/internal/jobs"
	"github.com/havenschools/haven/internal/mailtest"
	"github.com/havenschools/haven/internal/notify"
	"github.com/havenschools/haven/internal/web"
)

// App is Haven running for one test.
type App struct {
	URL    string            // the server's base URL, without a trailing slash
	DB     dbtest.DB         // the test's database (app and owner pools)
	Mail   *mailtest.Mailpit // the mailpit Haven sends to, with WithMail; else nil
	Config app.Config        // the configuration it was built with
	Web    *web.Server       // Haven's web server (its Routes are what URL serves)
	Jobs   *jobs.Client      // Haven's River client, started
	// Allegations is Haven's service for concerns about adults: a test
	// moves its clock with SetClock (the LADO prompt, retention).
	Allegations *allegation.Service

	logs *syncBuffer
}

type options struct {
	mail   bool
	config []func(*app.Config)
	routes []func(chi.Router)
}

// Option changes how New builds the application.
type Option func(*options)

// WithMail sends Haven's email to a real mailpit (App.Mail) instead of an
// outbox folder.
func WithMail() Option { return func(o *options) { o.mail = true } }

// WithConfig changes the configuration before the application is built, e.g.
// func(c *app.Config) { c.TrustProxy = true }. The defaults are those of an
// empty environment, with BaseURL set to the test server's URL.
func WithConfig(fn func(*app.Config)) Option {
	return func(o *options) { o.config = append(o.config, fn) }
}

// WithRoutes adds routes for this test only (a handler that panics, say) to
// Haven's router, behind all of its middleware.
func WithRoutes(fn func(chi.Router)) Option {
	return func(o *options) { o.routes = append(o.routes, fn) }
}

// New builds and starts Haven on a fresh migrated database. Everything stops
// when the test ends; if the test failed, Haven's log is printed with it.
func New(t testing.TB, opts ...Option) *App {
	t.Helper()
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	a := &App{DB: dbtest.Open(t), logs: &syncBuffer{}}

	srv := httptest.NewUnstartedServer(nil)
	a.URL = "http://" + srv.Listener.Addr().String()
	cfg, err := app.LoadConfig(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.BaseURL = a.URL
	cfg.Addr = srv.Listener.Addr().String()
	cfg.DataDir = t.TempDir()
	cfg.DatabaseURL = a.DB.AppURL
	cfg.MigrateDatabaseURL = a.DB.OwnerURL
	for _, fn := range o.config {
		fn(&cfg)
	}
	a.Config = cfg

	var mailer notify.Mailer
	if o.mail {
		a.Mail = mailtest.Start(t)
		mailer, err = notify.NewSMTP(a.Mail.SMTPURL(), cfg.MailFrom)
	} else {
		mailer, err = notify.NewOutbox(t.TempDir(), cfg.MailFrom)
	}
	if err != nil {
		t.Fatal(err)
	}

	log := slog.New(slog.NewJSONHandler(a.logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	built, err := app.Build(cfg, a.DB.App, mailer, log)
	if err != nil {
		t.Fatalf("apptest: build: %v", err)
	}
	a.Web, a.Jobs, a.Allegations = built.Web, built.Jobs, built.Allegations
	if err := built.Jobs.Start(context.WithoutCancel(t.Context())); err != nil {
		t.Fatalf("apptest: start the job client: %v", err)
	}
	handler := built.Web.Routes()
	if len(o.routes) > 0 {
		mux, ok := handler.(chi.Router)
		if !ok {
			t.Fatalf("apptest: Routes returned a %T, not a chi.Router", handler)
		}
		for _, fn := range o.routes {
			fn(mux)
		}
	}
	srv.Config.Handler = handler
	srv.Config.ReadHeaderTimeout = 5 * time.Second
	srv.Start()

	// Cleanups run last-in first-out: these run before dbtest closes the
	// pools and drops the database.
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("Haven's log:\n%s", a.Logs())
		}
	})
	t.Cleanup(func() {
		srv.Close()
		built.Web.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := built.Jobs.Stop(ctx); err != nil {
			t.Errorf("apptest: stop the job client: %v", err)
		}
	})
	return a
}

// Logs returns everything Haven has logged so far (JSON lines), for tests
// that check what is, and is not, logged.
func (a *App) Logs() string { return a.logs.String() }

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Client is an HTTP client for one visitor: it keeps cookies, sends the
// Sec-Fetch-Site and Origin headers a browser sends on its own site's
// requests (so http.CrossOriginProtection lets its forms through), and does
// not follow redirects, so tests see a 303 and its Location.
type Client struct {
	HTTP *http.Client
	base string
	t    testing.TB
}

// Response is what a request got back, read in full.
type Response struct {
	Status int
	Header http.Header
	Body   string
}

// Location is the response's Location header: where it redirects to.
func (r Response) Location() string { return r.Header.Get("Location") }

// Client returns a new visitor with an empty cookie jar.
func (a *App) Client(t testing.TB) *Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &Client{
		HTTP: &http.Client{
			Jar:           jar,
			Timeout:       30 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		base: a.URL,
		t:    t,
	}
}

// Get requests path (relative to the app's URL).
func (c *Client) Get(path string) Response {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.base+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.Do(req)
}

// PostForm posts form to path as a browser submitting a form on Haven's own
// page would.
func (c *Client) PostForm(path string, form url.Values) Response {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.Do(req)
}

// Follow requests the page r redirects to.
func (c *Client) Follow(r Response) Response {
	c.t.Helper()
	loc := r.Location()
	if loc == "" {
		c.t.Fatalf("apptest: follow: the response (%d) has no Location", r.Status)
	}
	if !strings.Contains(loc, "://") {
		loc = c.base + loc
	}
	req, err := http.NewRequest(http.MethodGet, loc, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.Do(req)
}

// Do sends req with the client's cookies. Unless req sets them, it adds
// Sec-Fetch-Site: same-origin and, on unsafe methods, Origin: the app's URL,
// as a browser does. Set them yourself to act as another site.
func (c *Client) Do(req *http.Request) Response {
	c.t.Helper()
	if req.Header.Get("Sec-Fetch-Site") == "" {
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
	default:
		if req.Header.Get("Origin") == "" {
			req.Header.Set("Origin", c.base)
		}
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		c.t.Fatalf("apptest: %s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("apptest: %s %s: read body: %v", req.Method, req.URL.Path, err)
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
}
