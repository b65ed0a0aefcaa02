package auth

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/db/dbtest"
	"github.com/havenschools/haven/internal/jobs"
	"github.com/havenschools/haven/internal/notify"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// env is one test's database, service and school, with a clock the test moves.
type env struct {
	d      dbtest.DB
	svc    *Service
	school int64
	mu     sync.Mutex
	now    time.Time
}

func newEnv(t *testing.T, limits Limits) *env {
	t.Helper()
	e := &env{d: dbtest.Open(t), now: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)}
	jc, err := jobs.New(e.d.App, slog.New(slog.DiscardHandler), func(w *river.Workers) { notify.AddWorkers(w, nil) })
	if err != nil {
		t.Fatal(err)
	}
	e.svc = NewService(e.d.App, jc, Config{BaseURL: "http://haven.test", Limits: limits, Now: e.clock})
	e.school = e.newSchool(t, "test-school", "Brookfield Primary")
	return e
}

func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *env) advance(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = e.now.Add(d)
}

func (e *env) newSchool(t *testing.T, slug, name string) int64 {
	t.Helper()
	// As school.Service.Create does (the school package imports this one,
	// for naming the chair of governors, so these tests cannot use it).
	id := dbtest.MustSchool(t, e.d.Owner, slug, name)
	dbtest.MustSettings(t, e.d.Owner, id)
	return id
}

const testPassword = "tidy otter lamp forty-two"

// member creates a member of the env's school with a password and returns
// them as an actor signed in there.
func (e *env) member(t *testing.T, email string, role actor.Role) actor.Actor {
	t.Helper()
	return e.memberOf(t, e.school, email, role)
}

func (e *env) memberOf(t *testing.T, schoolID int64, email string, role actor.Role) actor.Actor {
	t.Helper()
	ctx := context.Background()
	sys := actor.SystemIn(schoolID)
	id, err := e.svc.CreateUser(ctx, sys, NewUser{Email: email, Name: "Test " + string(role), Role: role})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.SetPassword(ctx, sys, id, testPassword); err != nil {
		t.Fatal(err)
	}
	return actor.Actor{UserID: id, SchoolID: schoolID, Role: role, Source: actor.Source{ClientIP: "192.0.2.10", RequestID: "test"}}
}

// code returns the TOTP code of secret at the env's clock plus offset steps.
func (e *env) code(t *testing.T, secret string, steps int) string {
	t.Helper()
	c, err := totpCode(secret, e.clock().Add(time.Duration(steps)*totpPeriod*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var src = actor.Source{ClientIP: "192.0.2.10", RequestID: "test", UserAgent: "test"}

// count runs SELECT count(*) FROM <from> on the owner pool.
func (e *env) count(t *testing.T, from string, args ...any) int {
	t.Helper()
	return dbtest.Count(t, e.d.Owner, from, args...)
}

// emailTo returns the text of the latest email job to an address.
func (e *env) emailTo(t *testing.T, to string) string {
	t.Helper()
	var text string
	err := e.d.Owner.QueryRow(context.Background(), `SELECT args->>'text' FROM river_job
		WHERE kind = 'email' AND args->>'to' = $1 ORDER BY id DESC LIMIT 1`, to).Scan(&text)
	if err != nil {
		t.Fatalf("no email to %s: %v", to, err)
	}
	return text
}

// linkIn returns the token of the link to path in an email's text.
func linkIn(t *testing.T, text, path string) string {
	t.Helper()
	m := regexp.MustCompile(regexp.QuoteMeta("http://haven.test"+path) + `([A-Za-z0-9_-]+)`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no link to %s in %q", path, text)
	}
	return m[1]
}

func audits(t *testing.T, e *env, action string) int {
	t.Helper()
	return e.count(t, "audit_events WHERE action = $1", action)
}

func fmtID(id int64) string { return fmt.Sprint(id) }
