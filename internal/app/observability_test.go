package app_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/app"
	"github.com/havenschools/haven/internal/auth"
	"github.com/havenschools/haven/internal/concern"
	"github.com/havenschools/haven/internal/db/dbtest"
	"github.com/havenschools/haven/internal/pupil"
	"github.com/havenschools/haven/internal/school"
	"github.com/havenschools/haven/internal/when"
)

// The metrics count unacknowledged concerns across schools by how long
// they have waited, and report the last full `haven audit verify` — with
// no school, name or reference in them.
func TestMetricsOfWaitingConcernsAndAuditVerify(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t)
	ctx := t.Context()
	built := build(t, d)
	concerns := concern.NewService(d.App, built.Jobs, "http://haven.test")

	// Two schools, each with a member of staff, a DSL and a child.
	type place struct {
		staff, dsl actor.Actor
		child      int64
	}
	var places []place
	for _, slug := range []string{"northgate", "southfield"} {
		sc, err := school.NewService(d.App).Create(ctx, actor.Actor{Role: actor.System}, slug, "School "+slug)
		if err != nil {
			t.Fatal(err)
		}
		sys := actor.SystemIn(sc.ID)
		accounts := auth.NewService(d.App, nil, auth.Config{})
		staff, err := accounts.CreateUser(ctx, sys, auth.NewUser{Email: "staff@" + slug + ".test", Name: "Staff", Role: actor.Staff})
		if err != nil {
			t.Fatal(err)
		}
		dsl, err := accounts.CreateUser(ctx, sys, auth.NewUser{Email: "dsl@" + slug + ".test", Name: "DSL", Role: actor.DSL})
		if err != nil {
			t.Fatal(err)
		}
		kids, err := pupil.NewService(d.App).AddToRoll(ctx, sys, []pupil.NewChild{{FirstName: "Zofia", LastName: "Quennell-" + slug}})
		if err != nil {
			t.Fatal(err)
		}
		places = append(places, place{actor.Actor{UserID: staff, SchoolID: sc.ID, Role: actor.Staff},
			actor.Actor{UserID: dsl, SchoolID: sc.ID, Role: actor.DSL}, kids[0].ID})
	}
	// Concerns aged by hand: northgate has one new, one of two hours and one
	// of two days; southfield one of three hours, one acknowledged and one
	// entered in error (neither waits).
	submit := func(p place, age time.Duration) string {
		t.Helper()
		today := when.DatePartsOf(when.Today(time.Now()))
		r, err := concerns.Submit(ctx, p.staff, concern.Form{SubmissionID: concern.NewSubmissionID(), InDanger: "no",
			Children: []concern.FormChild{{ChildID: p.child, Role: concern.Subject}},
			Account:  "Metrics test: she was collected by an unknown adult.", Happened: today, Seen: today, ToldDSL: "not_yet"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Owner.Exec(ctx, `UPDATE concerns SET created_at = now() - $2::interval WHERE ref = $1 AND school_id = $3`,
			r.Ref, age, p.staff.SchoolID); err != nil {
			t.Fatal(err)
		}
		return r.Ref
	}
	submit(places[0], 0)
	submit(places[0], 2*time.Hour)
	submit(places[0], 48*time.Hour)
	submit(places[1], 3*time.Hour)
	if err := concerns.Acknowledge(ctx, places[1].dsl, submit(places[1], 0), 1); err != nil {
		t.Fatal(err)
	}
	if err := concerns.MarkEnteredInError(ctx, places[1].dsl, submit(places[1], 0),
		concern.ReasonForm{Version: 1, Reason: "Recorded on the wrong child"}); err != nil {
		t.Fatal(err)
	}

	var visible int
	if err := d.App.QueryRow(ctx, `SELECT count(*) FROM concerns`).Scan(&visible); err != nil || visible != 0 {
		t.Fatalf("the app role with no school set sees %d concerns (%v), want 0: the counts must come through the function", visible, err)
	}
	text := scrape(t, built.Metrics)
	for _, want := range []string{
		`haven_concerns_unacknowledged{band="<15m"} 1`,
		`haven_concerns_unacknowledged{band="15m-1h"} 0`,
		`haven_concerns_unacknowledged{band="1h-24h"} 2`,
		`haven_concerns_unacknowledged{band=">24h"} 1`,
		`haven_concerns_scrape_ok 1`,
		`haven_audit_verify_scrape_ok 1`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if strings.Contains(text, "haven_audit_verify_last_ok") {
		t.Error("a verification is reported before any has run")
	}

	verify := func() error {
		vars := map[string]string{"DATABASE_URL": d.AppURL, "HAVEN_MIGRATE_DATABASE_URL": d.OwnerURL}
		return app.Run(ctx, []string{"audit", "verify", "--no-checkpoints"}, func(k string) string { return vars[k] },
			nil, io.Discard, io.Discard)
	}
	if err := verify(); err != nil {
		t.Fatal(err)
	}
	text = scrape(t, built.Metrics)
	for _, want := range []string{"haven_audit_verify_last_ok 1", "haven_audit_verify_last_broken_chains 0",
		"haven_audit_verify_last_run_timestamp_seconds", "haven_audit_verify_last_success_timestamp_seconds"} {
		if !strings.Contains(text, want) {
			t.Errorf("after a verification that passed, the metrics lack %q", want)
		}
	}
	if strings.Contains(text, "haven_audit_verify_last_rows 0") {
		t.Error("the verification checked no rows")
	}

	// Someone alters a row of northgate's chain: the next run fails, and says so.
	err := pgx.BeginFunc(ctx, d.Owner, func(tx pgx.Tx) error {
		for _, sql := range []string{`ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only`,
			`UPDATE audit_events SET details = '{"altered": true}' WHERE chain_id = $1 AND seq = 2`,
			`ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only`} {
			var args []any
			if strings.Contains(sql, "$1") {
				args = append(args, places[0].staff.SchoolID)
			}
			if _, err := tx.Exec(ctx, sql, args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := verify(); err == nil {
		t.Fatal("verify passed an altered chain")
	}
	text = scrape(t, built.Metrics)
	for _, want := range []string{"haven_audit_verify_last_ok 0", "haven_audit_verify_last_broken_chains 1",
		"haven_audit_verify_last_success_timestamp_seconds"} {
		if !strings.Contains(text, want) {
			t.Errorf("after a verification that failed, the metrics lack %q", want)
		}
	}
	for _, personal := range []string{"northgate", "southfield", "Zofia", "Quennell", "C-20"} {
		if strings.Contains(text, personal) {
			t.Errorf("the metrics hold %q", personal)
		}
	}
}

func scrape(t *testing.T, reg *prometheus.Registry) string {
	t.Helper()
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.HTTPErrorOnError}).
		ServeHTTP(rec, httptest.NewRequestWithContext(context.Background(), http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("/metrics: %d\n%s", rec.Code, rec.Body)
	}
	return rec.Body.String()
}
