package concern_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/concern"
	"github.com/havenschools/haven/internal/db/dbtest"
	"github.com/havenschools/haven/internal/mailtest"
	"github.com/havenschools/haven/internal/notify"
)

// clock is a controllable clock that River takes as its time stub
// (river.TestConfig.Time): jobs are scheduled, fetched and snoozed by it,
// and the escalation worker reads it too.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) NowOrNil() *time.Time {
	now := c.Now()
	return &now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// startJobs starts a River client working escalation and email jobs on the
// test's database, with clk as its time, until the test ends (or stop).
func startJobs(t *testing.T, f *fixture, clk *clock, mailer notify.Mailer) (client *river.Client[pgx.Tx], stop func()) {
	t.Helper()
	workers := river.NewWorkers()
	notify.AddWorkers(workers, mailer)
	concern.NewEscalator(f.db.App, "https://haven.example.test", clk.Now).AddWorkers(workers)
	client, err := river.NewClient(riverpgxv5.New(f.db.App), &river.Config{
		Logger:            slog.New(slog.NewTextHandler(io.Discard, nil)),
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 2}, notify.QueueEmail: {MaxWorkers: 2}},
		Workers:           workers,
		FetchPollInterval: 100 * time.Millisecond,
		Test:              river.TestConfig{Time: clk},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Start(context.WithoutCancel(t.Context())); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := client.Stop(ctx); err != nil {
				t.Errorf("stop the job client: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return client, stop
}

// waitForEmails waits until mailpit holds want emails whose subject
// contains subject, and returns them.
func waitForEmails(t *testing.T, mp *mailtest.Mailpit, subject string, want int) []mailtest.Summary {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var got []mailtest.Summary
		for _, m := range mp.Messages(t) {
			if strings.Contains(m.Subject, subject) {
				got = append(got, m)
			}
		}
		if len(got) == want {
			return got
		}
		if len(got) > want || time.Now().After(deadline) {
			t.Fatalf("%d emails with %q, want %d", len(got), subject, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestEscalationRepeatsUntilAcknowledged(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	if _, err := f.db.Owner.Exec(ctx, `INSERT INTO school_settings (school_id) VALUES ($1)`, f.school); err != nil {
		t.Fatal(err)
	}
	dbtest.MustMember(t, f.db.Owner, f.school, "head@st-aidans.test", "Hea Dteacher", actor.Head)
	mp := mailtest.Start(t)
	mailer, err := notify.NewSMTP(mp.SMTPURL(), "haven@example.test")
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{now: time.Now()}
	_, stop := startJobs(t, f, clk, mailer)

	form := validForm(f.amara.ID)
	form.InDanger = "yes"
	r, err := f.svc.Submit(ctx, f.staff, form)
	if err != nil {
		t.Fatal(err)
	}
	created := r.CreatedAt
	clk.Set(created.Add(time.Minute))                   // River's clock reads the time the stub says
	waitForEmails(t, mp, "new safeguarding concern", 2) // the DSL and the deputy, at once

	const escalated = "immediate danger not yet acknowledged"
	clk.Set(created.Add(14 * time.Minute))
	time.Sleep(6 * time.Second) // a scheduler pass: nothing is due yet
	waitForEmails(t, mp, escalated, 0)

	clk.Set(created.Add(16 * time.Minute))
	round1 := waitForEmails(t, mp, escalated, 3)
	for _, to := range []string{"dsl@st-aidans.test", "deputy@st-aidans.test", "head@st-aidans.test"} {
		i := -1
		for j, m := range round1 {
			if m.SentTo(to) {
				i = j
			}
		}
		if i < 0 {
			t.Fatalf("no escalation email to %s", to)
		}
		msg := mp.Message(t, round1[i].ID)
		for _, never := range []string{"Amara", "Okafor", "older man", "He buys me things", "Year 9"} {
			if strings.Contains(msg.Subject+msg.Text, never) {
				t.Errorf("the email to %s gives away %q:\n%s", to, never, msg.Text)
			}
		}
		link := strings.Contains(msg.Text, "https://haven.example.test/concerns/"+r.Ref)
		if to == "head@st-aidans.test" { // the head does not triage: a link to Haven
			link = strings.Contains(msg.Text, "https://haven.example.test/") && !strings.Contains(msg.Text, "/concerns/")
		}
		if !link || !strings.Contains(msg.Text, "after 16 minutes") {
			t.Errorf("the email to %s:\n%s", to, msg.Text)
		}
	}

	// It survives a restart, and escalates again after the next limit.
	stop()
	clk.Set(created.Add(31 * time.Minute))
	startJobs(t, f, clk, mailer)
	waitForEmails(t, mp, escalated, 6)

	t.Run("a round runs once however often its job runs", func(t *testing.T) {
		// An insert-only client without unique jobs puts in a second job
		// for round 2, as a retry or a second replica might.
		w := river.NewWorkers()
		concern.NewEscalator(f.db.App, "https://haven.example.test", clk.Now).AddWorkers(w)
		dup, err := river.NewClient(riverpgxv5.New(f.db.App), &river.Config{Workers: w,
			Test: river.TestConfig{DisableUniqueEnforcement: true, Time: clk}})
		if err != nil {
			t.Fatal(err)
		}
		res, err := dup.Insert(ctx, concern.EscalationArgs{SchoolID: f.school, ConcernID: concernID(t, f, r.Ref), Round: 2}, nil)
		if err != nil {
			t.Fatal(err)
		}
		waitForJob(t, f, res.Job.ID)
		waitForEmails(t, mp, escalated, 6)
		var rounds int
		if err := f.db.Owner.QueryRow(ctx, `SELECT count(*) FROM concern_escalations WHERE school_id = $1`, f.school).Scan(&rounds); err != nil {
			t.Fatal(err)
		}
		if rounds != 2 {
			t.Errorf("rounds recorded = %d, want 2", rounds)
		}
	})

	t.Run("the sweep puts back a lost job", func(t *testing.T) {
		if _, err := f.db.Owner.Exec(ctx, `DELETE FROM river_job WHERE kind = 'concern_escalation' AND state = 'scheduled'`); err != nil {
			t.Fatal(err)
		}
		w := river.NewWorkers()
		concern.NewEscalator(f.db.App, "https://haven.example.test", clk.Now).AddWorkers(w)
		ins, err := river.NewClient(riverpgxv5.New(f.db.App), &river.Config{Workers: w, Test: river.TestConfig{Time: clk}})
		if err != nil {
			t.Fatal(err)
		}
		res, err := ins.Insert(ctx, concern.EscalationSweepArgs{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		waitForJob(t, f, res.Job.ID)
		var n int
		if err := f.db.Owner.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'concern_escalation'
			AND state = 'scheduled' AND (args ->> 'round')::int = 3`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("round 3 jobs scheduled = %d, want 1", n)
		}
	})

	if err := f.svc.Acknowledge(ctx, f.dsl, r.Ref, 1); err != nil {
		t.Fatal(err)
	}
	clk.Set(created.Add(50 * time.Minute))
	time.Sleep(7 * time.Second) // more than a scheduler pass
	waitForEmails(t, mp, escalated, 6)
	if n := auditCount(t, f, "concern.escalate", r.Ref); n != 2 {
		t.Errorf("concern.escalate audited %d times, want 2", n)
	}
}

func concernID(t *testing.T, f *fixture, ref string) int64 {
	t.Helper()
	var id int64
	if err := f.db.Owner.QueryRow(context.Background(), `SELECT id FROM concerns WHERE ref = $1 AND school_id = $2`,
		ref, f.school).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// waitForJob waits until River has finished the job id.
func waitForJob(t *testing.T, f *fixture, id int64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var state string
		err := f.db.Owner.QueryRow(context.Background(), `SELECT state FROM river_job WHERE id = $1`, id).Scan(&state)
		if err == nil && state == "completed" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %d is %q (%v), want completed", id, state, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestEscalationEmailWords(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		20 * time.Second:                 "less than a minute",
		15 * time.Minute:                 "15 minutes",
		61 * time.Minute:                 "1 hour and 1 minute",
		24 * time.Hour:                   "1 day",
		50*time.Hour + 10*time.Minute:    "2 days and 2 hours",
		3*time.Hour + 30*time.Second:     "3 hours and 1 minute",
		2*time.Hour + 29*time.Second:     "2 hours",
		72*time.Hour + 5*time.Hour + 1e9: "3 days and 5 hours",
	} {
		if got := concern.WaitedWords(d); got != want {
			t.Errorf("WaitedWords(%v) = %q, want %q", d, got, want)
		}
	}
}

// A deputy DSL who records a concern about a child in immediate danger is
// not the one to alert, nor to chase: the alert and each round of
// escalation go to the rest of the DSL team (and the head), through the
// real mailpit.
func TestTheRecorderIsNotAlertedNorChased(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	if _, err := f.db.Owner.Exec(ctx, `INSERT INTO school_settings (school_id) VALUES ($1)`, f.school); err != nil {
		t.Fatal(err)
	}
	dbtest.MustMember(t, f.db.Owner, f.school, "head@st-aidans.test", "Hea Dteacher", actor.Head)
	mp := mailtest.Start(t)
	mailer, err := notify.NewSMTP(mp.SMTPURL(), "haven@example.test")
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{now: time.Now()}
	startJobs(t, f, clk, mailer)

	form := validForm(f.amara.ID)
	form.InDanger = "yes"
	r, err := f.svc.Submit(ctx, f.deputy, form)
	if err != nil {
		t.Fatal(err)
	}
	clk.Set(r.CreatedAt.Add(time.Minute))
	alert := waitForEmails(t, mp, "new safeguarding concern", 1)
	if !alert[0].SentTo("dsl@st-aidans.test") {
		t.Errorf("the alert went to %v, want the DSL", alert[0].To)
	}
	clk.Set(r.CreatedAt.Add(16 * time.Minute))
	round1 := waitForEmails(t, mp, "immediate danger not yet acknowledged", 2)
	for _, m := range round1 {
		if !m.SentTo("dsl@st-aidans.test") && !m.SentTo("head@st-aidans.test") {
			t.Errorf("an escalation went to %v", m.To)
		}
	}
	// Every email is enqueued in the transaction that caused it: the job
	// table holds all of them, whatever mailpit has had yet.
	var toDeputy int
	if err := f.db.Owner.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'email' AND args ->> 'to' = $1`,
		"deputy@st-aidans.test").Scan(&toDeputy); err != nil {
		t.Fatal(err)
	}
	if toDeputy != 0 {
		t.Errorf("%d emails to the deputy who recorded the concern, want none", toDeputy)
	}
}
