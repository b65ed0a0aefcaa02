package reliability

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/pquerna/otp/totp"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/auth"
	"github.com/havenschools/haven/internal/pupil"
	"github.com/havenschools/haven/internal/school"
	"github.com/havenschools/haven/internal/when"
)

const password = "steady heron kettle ninety-one"

// site is one test's Haven: its database, a school with a child on the
// roll, members of staff and two DSLs, and the haven process serving it.
type site struct {
	ownerURL, appURL string
	owner            *pgxpool.Pool // as the owning role: the checks read everything
	school           int64
	child            pupil.Child
	staff            []string          // staff emails
	dslSecrets       map[string]string // DSL email → TOTP secret
	h                *haven
}

// people says who the site needs, and what else Haven's environment holds.
type people struct {
	staff int      // members of staff
	dsls  bool     // two DSLs with a second factor, dsl-a@ and dsl-b@oakfield.test
	env   []string // more of Haven's environment, e.g. HAVEN_SHUTDOWN_DELAY=1s
}

// newSite makes the test's database, school and people with Haven's own
// services (as an operator's `haven school create` and `haven user create`
// would), then starts haven on it.
func newSite(t *testing.T, p people) *site {
	t.Helper()
	ctx := t.Context()
	s := &site{dslSecrets: map[string]string{}}
	s.ownerURL, s.appURL = env.database(t)
	app := openPool(t, s.appURL)
	s.owner = openPool(t, s.ownerURL)

	sc, err := school.NewService(app).Create(ctx, actor.Actor{Role: actor.System}, "oakfield", "Oakfield Academy")
	if err != nil {
		t.Fatal(err)
	}
	s.school = sc.ID
	sys := actor.SystemIn(sc.ID)
	y := pupil.YearGroup(8)
	kids, err := pupil.NewService(app).AddToRoll(ctx, sys, []pupil.NewChild{{FirstName: "Maya", LastName: "Lindqvist", YearGroup: &y}})
	if err != nil {
		t.Fatal(err)
	}
	s.child = kids[0]

	accounts := auth.NewService(app, nil, auth.Config{})
	person := func(email string, role actor.Role) int64 {
		id, err := accounts.CreateUser(ctx, sys, auth.NewUser{Email: email, Name: "Reliability " + string(role), Role: role})
		if err != nil {
			t.Fatal(err)
		}
		if err := accounts.SetPassword(ctx, sys, id, password); err != nil {
			t.Fatal(err)
		}
		return id
	}
	for i := range p.staff {
		email := fmt.Sprintf("staff%d@oakfield.test", i)
		person(email, actor.Staff)
		s.staff = append(s.staff, email)
	}
	for _, email := range []string{"dsl-a@oakfield.test", "dsl-b@oakfield.test"} {
		if !p.dsls {
			break
		}
		id := person(email, actor.DSL)
		en, err := accounts.StartEnrolment(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		secret := strings.ReplaceAll(en.Secret, " ", "")
		// The previous time step's code, so the current one is still unused at sign-in.
		code, err := totp.GenerateCode(secret, time.Now().Add(-30*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := accounts.ConfirmEnrolment(ctx, actor.Source{ClientIP: "127.0.0.1"}, id, code); err != nil {
			t.Fatal(err)
		}
		s.dslSecrets[email] = secret
	}
	app.Close()
	s.h = startHaven(t, s.ownerURL, s.appURL, p.env...)
	return s
}

func openPool(t *testing.T, url string) *pgxpool.Pool {
	t.Helper()
	p, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// client is one person's browser: a cookie jar, the headers a browser sends
// on its own site's forms, no redirects followed. Unlike apptest.Client it
// returns transport errors, which these tests expect.
type client struct {
	http *http.Client
	base string
}

func newClient(t *testing.T, base string) *client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 4, IdleConnTimeout: 30 * time.Second}
	t.Cleanup(tr.CloseIdleConnections)
	return &client{base: base, http: &http.Client{
		Jar:           jar,
		Transport:     tr,
		Timeout:       60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

type response struct {
	status   int
	location string
	body     string
}

func (c *client) get(path string) (response, error) {
	req, err := http.NewRequest(http.MethodGet, c.base+path, nil)
	if err != nil {
		return response{}, err
	}
	return c.do(req)
}

func (c *client) post(path string, form url.Values) (response, error) {
	req, err := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		return response{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

func (c *client) do(req *http.Request) (response, error) {
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if req.Method == http.MethodPost {
		req.Header.Set("Origin", c.base)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return response{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return response{}, err
	}
	return response{status: res.StatusCode, location: res.Header.Get("Location"), body: string(b)}, nil
}

// signIn signs a member of staff in.
func (s *site) signIn(t *testing.T, email string) *client {
	t.Helper()
	c := newClient(t, s.h.URL())
	r, err := c.post("/sign-in", url.Values{"email": {email}, "password": {password}})
	if err != nil || r.status != http.StatusSeeOther || r.location != "/" {
		t.Fatalf("sign in %s: %v %d to %q\n%.1500s", email, err, r.status, r.location, r.body)
	}
	return c
}

// signInDSL signs a DSL in with their password and a security code.
func (s *site) signInDSL(t *testing.T, email string) *client {
	t.Helper()
	c := newClient(t, s.h.URL())
	r, err := c.post("/sign-in", url.Values{"email": {email}, "password": {password}})
	if err != nil || r.status != http.StatusSeeOther || r.location != "/sign-in/security-code" {
		t.Fatalf("sign in %s: %v %d to %q", email, err, r.status, r.location)
	}
	code, err := totp.GenerateCode(s.dslSecrets[email], time.Now())
	if err != nil {
		t.Fatal(err)
	}
	r, err = c.post("/sign-in/security-code", url.Values{"code": {code}})
	if err != nil || r.status != http.StatusSeeOther || r.location != "/" {
		t.Fatalf("security code for %s: %v %d to %q\n%.1500s", email, err, r.status, r.location, r.body)
	}
	return c
}

var (
	submissionRE = regexp.MustCompile(`name="submission_id" value="([0-9a-f-]{36})"`)
	receiptRE    = regexp.MustCompile(`^/concerns/(C-\d{4}-\d{6,})/submitted(?:\?again=1)?$`) // ?again=1: the repeat of a submission already stored
)

// concernForm is a complete "Report a concern" form about the site's
// child, as a browser posts it; account makes it unique.
func (s *site) concernForm(submissionID, account string) url.Values {
	today := when.Today(time.Now())
	return url.Values{
		"submission_id": {submissionID},
		"in_danger":     {"no"},
		"child-0-id":    {fmt.Sprint(s.child.ID)},
		"child-0-role":  {"subject"},
		"child-0-name":  {s.child.Name()},
		"account":       {account},
		"childs_words":  {"He said he would pick me up again on Friday"},
		"happened-day":  {fmt.Sprint(today.Day())}, "happened-month": {fmt.Sprint(int(today.Month()))}, "happened-year": {fmt.Sprint(today.Year())},
		"seen-day": {fmt.Sprint(today.Day())}, "seen-month": {fmt.Sprint(int(today.Month()))}, "seen-year": {fmt.Sprint(today.Year())},
		"location":   {"The school gate"},
		"told_dsl":   {"not_yet"},
		"categories": {"cse"},
		"action":     {"submit"},
	}
}

// errRejected is a submission Haven refused as invalid: a bug in the test
// or in Haven, never retried.
var errRejected = errors.New("the form was refused")

// openForm gets a new "Report a concern" form and returns its submission
// id, retrying while Haven or its database is down, until stop.
func openForm(c *client, stop time.Time) (string, error) {
	for {
		r, err := c.get("/concerns/new")
		if err == nil && r.status == http.StatusOK {
			if m := submissionRE.FindStringSubmatch(r.body); m != nil {
				return m[1], nil
			}
			return "", fmt.Errorf("the form has no submission id")
		}
		if err == nil && r.status != http.StatusServiceUnavailable && r.status != http.StatusInternalServerError {
			return "", fmt.Errorf("GET /concerns/new: %d to %q", r.status, r.location)
		}
		if time.Now().After(stop) {
			return "", fmt.Errorf("GET /concerns/new: gave up: %v", errOrStatus(nil, err))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// submit posts form until Haven confirms it (303 to the receipt), as a
// person presses "Submit concern" again after an error: always the same
// form, so the same submission id. It returns the concern's reference and
// how many attempts failed first. A form refused as invalid, or a redirect
// anywhere but the receipt, is an error at once.
func submit(c *client, form url.Values, stop time.Time) (ref string, failed int, err error) {
	for {
		r, err := c.post("/concerns", form)
		switch {
		case err == nil && r.status == http.StatusSeeOther:
			m := receiptRE.FindStringSubmatch(r.location)
			if m == nil {
				return "", failed, fmt.Errorf("submit: redirected to %q", r.location)
			}
			return m[1], failed, nil
		case err == nil && r.status == http.StatusUnprocessableEntity:
			return "", failed, fmt.Errorf("%w: %s", errRejected, visible(r.body))
		case err == nil && r.status != http.StatusServiceUnavailable && r.status != http.StatusInternalServerError:
			return "", failed, fmt.Errorf("submit: unexpected %d", r.status)
		}
		failed++
		if time.Now().After(stop) {
			return "", failed, fmt.Errorf("submit: no confirmation after %d attempts (last: %s)", failed, errOrStatusCode(r, err))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func errOrStatusCode(r response, err error) string {
	if err != nil {
		return err.Error()
	}
	return fmt.Sprint(r.status)
}

var tagRE = regexp.MustCompile(`<[^>]*>`)

// visible is a page's text without tags, spaces folded.
func visible(body string) string {
	return strings.Join(strings.Fields(tagRE.ReplaceAllString(body, " ")), " ")
}

// acks are the submissions Haven confirmed: submission id → reference.
type acks struct {
	mu sync.Mutex
	m  map[string]string
}

func newAcks() *acks { return &acks{m: map[string]string{}} }

func (a *acks) add(submissionID, ref string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.m[submissionID] = ref
}

func (a *acks) len() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.m)
}

// checkStored checks what every test ends with: each acknowledged
// submission is stored exactly once, under the reference it was confirmed
// with, with exactly one concern.submit audit row; no two concerns share an
// account (a retry never made a second concern); and every concern stored
// was acknowledged (allowUnacked: the ones that may not have been).
func (s *site) checkStored(t *testing.T, a *acks, allowUnacked int) {
	t.Helper()
	ctx := context.Background()
	a.mu.Lock()
	defer a.mu.Unlock()
	rows, err := s.owner.Query(ctx, `SELECT c.submission_id::text, c.ref, c.account,
			(SELECT count(*) FROM audit_events e WHERE e.chain_id = c.school_id AND e.action = 'concern.submit'
				AND e.subject_type = 'concern' AND e.subject_id = c.ref)
		FROM concerns c WHERE c.school_id = $1`, s.school)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]string{}
	accounts := map[string]int{}
	unacked := 0
	for rows.Next() {
		var sid, ref, account string
		var audited int
		if err := rows.Scan(&sid, &ref, &account, &audited); err != nil {
			t.Fatal(err)
		}
		stored[sid] = ref
		accounts[account]++
		if audited != 1 {
			t.Errorf("concern %s has %d concern.submit audit rows, want 1", ref, audited)
		}
		if want, ok := a.m[sid]; !ok {
			unacked++
		} else if want != ref {
			t.Errorf("submission %s was confirmed as %s but is stored as %s", sid, want, ref)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for sid, ref := range a.m {
		if _, ok := stored[sid]; !ok {
			t.Errorf("confirmed submission %s (%s) is missing", sid, ref)
		}
	}
	for account, n := range accounts {
		if n > 1 {
			t.Errorf("%d concerns have the account %q: a duplicate", n, account)
		}
	}
	if unacked > allowUnacked {
		t.Errorf("%d concerns stored that were never confirmed, want at most %d", unacked, allowUnacked)
	}
	var audits int
	if err := s.owner.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE chain_id = $1 AND action = 'concern.submit'`,
		s.school).Scan(&audits); err != nil {
		t.Fatal(err)
	}
	if audits != len(stored) {
		t.Errorf("concern.submit audit rows = %d, concerns = %d", audits, len(stored))
	}
	t.Logf("%d submissions confirmed; %d concerns stored, each with one audit row", len(a.m), len(stored))
}

// finish is how every test ends: the stored submissions checked, then the
// audit trail verified by `haven audit verify`.
func (s *site) finish(t *testing.T, a *acks, allowUnacked int) {
	t.Helper()
	s.checkStored(t, a, allowUnacked)
	s.h.verifyAudit(t)
}
