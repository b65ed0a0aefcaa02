package app_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/app"
	"github.com/havenschools/haven/internal/auth"
	"github.com/havenschools/haven/internal/bench"
	"github.com/havenschools/haven/internal/db/dbtest"
	"github.com/havenschools/haven/internal/mailtest"
	"github.com/havenschools/haven/internal/pupil"
	"github.com/havenschools/haven/internal/school"
)

// Three replicas of Haven (app.Serve, as `haven serve` runs) on different
// ports, started together against one empty database, behave as one:
// migrations run once, a session started on one is honoured by the others,
// every notification and escalation job runs exactly once whichever
// replica picks it up, and a concern submitted through one reaches a queue
// open on another at once (LISTEN/NOTIFY and the event stream).
func TestReplicas(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	superURL := dbtest.Empty(t)
	u, err := url.Parse(superURL)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User("haven_app")
	appURL := u.String()
	mail := mailtest.Start(t)
	vars := map[string]string{"DATABASE_URL": appURL, "HAVEN_MIGRATE_DATABASE_URL": superURL, "HAVEN_ADDR": "127.0.0.1:0",
		"HAVEN_SMTP_URL": mail.SMTPURL(), "HAVEN_DATA_DIR": t.TempDir(), "HAVEN_BASE_URL": "https://haven.example.test"}
	cfg, err := app.LoadConfig(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}

	serveCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	addrs, errs := make(chan string, 3), make(chan error, 3)
	for range 3 {
		go func() { errs <- app.Serve(serveCtx, cfg, env(io.Discard), addrs) }()
	}
	var replicas []string
	for len(replicas) < 3 {
		select {
		case a := <-addrs:
			replicas = append(replicas, "http://"+a)
		case err := <-errs:
			t.Fatalf("a replica stopped at start: %v", err)
		case <-time.After(2 * time.Minute):
			t.Fatalf("only %d of 3 replicas started within 2 minutes", len(replicas))
		}
	}
	t.Cleanup(func() {
		stop()
		for range 3 {
			if err := <-errs; err != nil {
				t.Errorf("a replica's shutdown: %v", err)
			}
		}
	})

	super := openPool(t, superURL)
	t.Run("the migrations ran once", func(t *testing.T) {
		var dupes, applied int
		if err := super.QueryRow(ctx, `SELECT count(*) - count(DISTINCT version_id), count(DISTINCT version_id)
			FROM goose_db_version WHERE version_id > 0`).Scan(&dupes, &applied); err != nil {
			t.Fatal(err)
		}
		if dupes != 0 || applied < 20 {
			t.Errorf("goose_db_version: %d duplicates, %d versions; want none twice, all applied", dupes, applied)
		}
	})

	s := newReplicaSite(t, appURL)
	staff := bench.NewClient(replicas[0])
	t.Cleanup(staff.Close)
	if err := staff.SignIn(ctx, s.staff, bench.Password, ""); err != nil {
		t.Fatal(err)
	}

	t.Run("a session started on one replica is honoured by the others", func(t *testing.T) {
		for _, r := range replicas {
			// The same browser, as a load balancer would send it anywhere.
			c := staff.At(r)
			res, err := c.Get(ctx, "/concerns/new")
			if err != nil || res.Status != http.StatusOK || !strings.Contains(res.Body, `name="submission_id"`) {
				t.Errorf("%s: GET /concerns/new = %d, %v (want the form)", r, res.Status, err)
			}
		}
	})

	t.Run("a concern submitted through one replica reaches a queue open on another", func(t *testing.T) {
		dsl := bench.NewClient(replicas[1])
		defer dsl.Close()
		if err := dsl.SignIn(ctx, s.dsls[0].email, bench.Password, s.dsls[0].secret); err != nil {
			t.Fatal(err)
		}
		streamCtx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		counts := dsl.At(replicas[2]).Stream(streamCtx, "/queue/events?since="+url.QueryEscape(time.Now().Format(time.RFC3339Nano)))
		if n := <-counts; n != "0" {
			t.Fatalf("the stream's first count = %q, want 0", n)
		}
		submit(t, staff.At(replicas[0]), s.child)
		select {
		case n, ok := <-counts:
			if !ok || n != "1" {
				t.Errorf("after a submission through replica 1, replica 3's stream said %q (open %v), want 1", n, ok)
			}
		case <-streamCtx.Done():
			t.Error("replica 3's stream told nothing of a concern submitted through replica 1")
		}
	})

	t.Run("each notification runs exactly once", func(t *testing.T) {
		for i := range 5 { // six concerns in all, through every replica
			submit(t, staff.At(replicas[i%3]), s.child)
		}
		want := 6 * len(s.dsls)
		waitForMail(t, mail, "New safeguarding concern", want)
		time.Sleep(3 * time.Second) // long enough for a second run of any job to send again
		if got := countMail(t, mail, "New safeguarding concern"); got != want {
			t.Errorf("%d notification emails, want %d (6 concerns × %d DSLs)", got, want, len(s.dsls))
		}
		var runs, jobs int
		if err := super.QueryRow(ctx, `SELECT coalesce(sum(attempt), 0), count(*) FROM river_job
			WHERE kind = 'email' AND state = 'completed'`).Scan(&runs, &jobs); err != nil {
			t.Fatal(err)
		}
		if jobs != want || runs != want {
			t.Errorf("%d email jobs completed in %d runs, want %d in %d", jobs, runs, want, want)
		}
	})

	t.Run("each round of escalation runs exactly once", func(t *testing.T) {
		// One concern has waited longer than the school's 24-hour limit: its
		// first round falls due now.
		var concernID int64
		if err := super.QueryRow(ctx, `UPDATE concerns SET created_at = created_at - interval '25 hours'
			WHERE id = (SELECT min(id) FROM concerns) RETURNING id`).Scan(&concernID); err != nil {
			t.Fatal(err)
		}
		tag, err := super.Exec(ctx, `UPDATE river_job SET scheduled_at = now()
			WHERE kind = 'concern_escalation' AND (args->>'concern_id')::bigint = $1 AND (args->>'round')::int = 1`, concernID)
		if err != nil || tag.RowsAffected() != 1 {
			t.Fatalf("the concern's first round: %d jobs, %v", tag.RowsAffected(), err)
		}
		want := len(s.dsls) + 1 // the DSLs and the head
		waitForMail(t, mail, "Safeguarding concern not yet acknowledged", want)
		time.Sleep(3 * time.Second)
		if got := countMail(t, mail, "Safeguarding concern not yet acknowledged"); got != want {
			t.Errorf("%d escalation emails, want %d", got, want)
		}
		var rounds, attempts int
		if err := super.QueryRow(ctx, `SELECT (SELECT count(*) FROM concern_escalations WHERE concern_id = $1),
				(SELECT attempt FROM river_job WHERE kind = 'concern_escalation' AND (args->>'concern_id')::bigint = $1
				   AND (args->>'round')::int = 1)`, concernID).Scan(&rounds, &attempts); err != nil {
			t.Fatal(err)
		}
		if rounds != 1 || attempts != 1 {
			t.Errorf("%d rounds recorded in %d runs of the job, want 1 in 1", rounds, attempts)
		}
	})
}

// replicaSite is a school with a child, a member of staff, a head and two
// DSLs with a second factor.
type replicaSite struct {
	child int64
	staff string
	dsls  []struct{ email, secret string }
}

func newReplicaSite(t *testing.T, appURL string) replicaSite {
	t.Helper()
	ctx := t.Context()
	pool := openPool(t, appURL)
	sc, err := school.NewService(pool).Create(ctx, actor.Actor{Role: actor.System}, "oakfield", "Oakfield Academy")
	if err != nil {
		t.Fatal(err)
	}
	sys := actor.SystemIn(sc.ID)
	y := pupil.YearGroup(8)
	kids, err := pupil.NewService(pool).AddToRoll(ctx, sys, []pupil.NewChild{{FirstName: "Maya", LastName: "Lindqvist", YearGroup: &y}})
	if err != nil {
		t.Fatal(err)
	}
	s := replicaSite{child: kids[0].ID, staff: "staff@oakfield.test"}
	accounts := auth.NewService(pool, nil, auth.Config{})
	person := func(email string, role actor.Role) int64 {
		id, err := accounts.CreateUser(ctx, sys, auth.NewUser{Email: email, Name: "Replica " + string(role), Role: role})
		if err != nil {
			t.Fatal(err)
		}
		if err := accounts.SetPassword(ctx, sys, id, bench.Password); err != nil {
			t.Fatal(err)
		}
		return id
	}
	person(s.staff, actor.Staff)
	person("head@oakfield.test", actor.Head)
	for _, email := range []string{"dsl-a@oakfield.test", "dsl-b@oakfield.test"} {
		id := person(email, actor.DSL)
		en, err := accounts.StartEnrolment(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		secret := strings.ReplaceAll(en.Secret, " ", "")
		code, err := totp.GenerateCode(secret, time.Now().Add(-30*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := accounts.ConfirmEnrolment(ctx, actor.Source{ClientIP: "127.0.0.1"}, id, code); err != nil {
			t.Fatal(err)
		}
		s.dsls = append(s.dsls, struct{ email, secret string }{email, secret})
	}
	return s
}

var submitMu sync.Mutex // one submission at a time: each test's counts stay exact

func submit(t *testing.T, c *bench.Client, child int64) {
	t.Helper()
	submitMu.Lock()
	defer submitMu.Unlock()
	form := bench.ConcernForm(child, 0)
	form.Del("child-1-id")
	form.Del("child-1-role")
	res, err := c.Post(t.Context(), "/concerns", form)
	if err != nil || res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location, "/concerns/C-") {
		t.Fatalf("submit: %d to %q, %v\n%.1000s", res.Status, res.Location, err, res.Body)
	}
}

func countMail(t *testing.T, m *mailtest.Mailpit, subject string) int {
	t.Helper()
	n := 0
	for _, s := range m.Messages(t) {
		if s.Subject == subject {
			n++
		}
	}
	return n
}

func waitForMail(t *testing.T, m *mailtest.Mailpit, subject string, want int) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for countMail(t, m, subject) < want {
		if time.Now().After(deadline) {
			t.Fatalf("%d emails %q after 90 s, want %d", countMail(t, m, subject), subject, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
