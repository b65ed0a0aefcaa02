package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/havenschools/haven/internal/app"
	"github.com/havenschools/haven/internal/concern"
	"github.com/havenschools/haven/internal/when"
)

// Haven is Haven itself (app.Serve, the whole of `haven serve`: the job
// client, sessions in Postgres, every middleware) on a free loopback port.
type Haven struct {
	URL    string
	cancel context.CancelFunc
	done   chan error
}

// StartHaven serves Haven on the database at appURL (migrations, if any
// are due, as ownerURL), writing email to an outbox under dataDir; extra
// sets more of its environment (HAVEN_DB_MAX_CONNS, say).
func StartHaven(ctx context.Context, ownerURL, appURL, dataDir string, extra map[string]string) (*Haven, error) {
	vars := map[string]string{"DATABASE_URL": appURL, "HAVEN_MIGRATE_DATABASE_URL": ownerURL,
		"HAVEN_ADDR": "127.0.0.1:0", "HAVEN_DATA_DIR": dataDir, "HAVEN_LOG_LEVEL": "warn"}
	for k, v := range extra {
		vars[k] = v
	}
	getenv := func(k string) string { return vars[k] }
	cfg, err := app.LoadConfig(getenv)
	if err != nil {
		return nil, err
	}
	env := app.Env{Getenv: getenv, Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard,
		Log: slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	ctx, cancel := context.WithCancel(ctx)
	h := &Haven{cancel: cancel, done: make(chan error, 1)}
	started := make(chan string, 1)
	go func() { h.done <- app.Serve(ctx, cfg, env, started) }()
	select {
	case addr := <-started:
		h.URL = "http://" + addr
		return h, nil
	case err := <-h.done:
		cancel()
		return nil, fmt.Errorf("haven did not start: %w", err)
	case <-time.After(2 * time.Minute):
		cancel()
		return nil, errors.New("haven did not start within 2 minutes")
	}
}

// Stop shuts Haven down as SIGTERM would and waits for it.
func (h *Haven) Stop() error {
	h.cancel()
	return <-h.done
}

// Client is one person's browser: a cookie jar (a real session), the
// headers a browser sends with its own site's forms, no redirects followed.
type Client struct {
	http *http.Client
	base string
}

// NewClient returns a client of the site at base with its own connection.
func NewClient(base string) *Client {
	jar, _ := cookiejar.New(nil) // never fails without options
	return &Client{base: base, http: &http.Client{
		Jar:           jar,
		Transport:     &http.Transport{MaxIdleConnsPerHost: 2, IdleConnTimeout: 90 * time.Second},
		Timeout:       60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Close closes the client's idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// At is the same browser (cookies and all) talking to another server at
// base: another replica, as behind a load balancer.
func (c *Client) At(base string) *Client { return &Client{http: c.http, base: base} }

// Stream opens the Server-Sent Events stream at path and sends the data
// of each event; the channel closes when the stream ends or ctx is done.
func (c *Client) Stream(ctx context.Context, path string) <-chan string {
	out := make(chan string, 16)
	go func() {
		defer close(out)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
		if err != nil {
			return
		}
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.Header.Set("Accept", "text/event-stream")
		// No client timeout: the stream lasts as long as ctx.
		res, err := (&http.Client{Jar: c.http.Jar, Transport: c.http.Transport}).Do(req)
		if err != nil {
			return
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return
		}
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				select {
				case out <- data:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out
}

// Response is what came back.
type Response struct {
	Status   int
	Location string
	Body     string
}

// Get requests path.
func (c *Client) Get(ctx context.Context, path string) (Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return Response{}, err
	}
	return c.do(req)
}

// Post sends form to path as a browser's form post.
func (c *Client) Post(ctx context.Context, path string, form url.Values) (Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		return Response{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", c.base)
	return c.do(req)
}

func (c *Client) do(req *http.Request) (Response, error) {
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	res, err := c.http.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return Response{}, err
	}
	return Response{Status: res.StatusCode, Location: res.Header.Get("Location"), Body: string(b)}, nil
}

// SignIn signs the client in with email and password, and with a security
// code from totpSecret when it is not empty.
func (c *Client) SignIn(ctx context.Context, email, password, totpSecret string) error {
	r, err := c.Post(ctx, "/sign-in", url.Values{"email": {email}, "password": {password}})
	if err != nil {
		return err
	}
	if totpSecret == "" {
		if r.Status != http.StatusSeeOther || r.Location != "/" {
			return fmt.Errorf("sign in %s: %d to %q", email, r.Status, r.Location)
		}
		return nil
	}
	if r.Status != http.StatusSeeOther || r.Location != "/sign-in/security-code" {
		return fmt.Errorf("sign in %s: %d to %q", email, r.Status, r.Location)
	}
	code, err := totp.GenerateCode(totpSecret, time.Now())
	if err != nil {
		return err
	}
	if r, err = c.Post(ctx, "/sign-in/security-code", url.Values{"code": {code}}); err != nil {
		return err
	}
	if r.Status != http.StatusSeeOther || r.Location != "/" {
		return fmt.Errorf("security code for %s: %d to %q", email, r.Status, r.Location)
	}
	return nil
}

// expect checks a response's status (and, for a redirect, where to).
func expect(r Response, err error, status int, locationPrefix string) error {
	if err != nil {
		return err
	}
	if r.Status != status || !strings.HasPrefix(r.Location, locationPrefix) {
		return fmt.Errorf("%d to %q, want %d to %s…: %.300s", r.Status, r.Location, status, locationPrefix, r.Body)
	}
	return nil
}

// ConcernForm is the "Report a concern" form as a browser posts it, about
// child with witness, saying what every benchmark submission says.
func ConcernForm(child, witness int64) url.Values {
	today := when.Today(time.Now())
	day, month, year := fmt.Sprint(today.Day()), fmt.Sprint(int(today.Month())), fmt.Sprint(today.Year())
	return url.Values{
		"submission_id": {concern.NewSubmissionID()},
		"in_danger":     {"no"},
		"child-0-id":    {fmt.Sprint(child)}, "child-0-role": {"subject"},
		"child-1-id": {fmt.Sprint(witness)}, "child-1-role": {"witness"},
		"account":      {submission.account},
		"childs_words": {submission.words},
		"happened-day": {day}, "happened-month": {month}, "happened-year": {year},
		"seen-day": {day}, "seen-month": {month}, "seen-year": {year},
		"location":   {submission.location},
		"told_dsl":   {"not_yet"},
		"categories": submission.categories,
		"indicators": submission.indicators,
		"action":     {"submit"},
	}
}
