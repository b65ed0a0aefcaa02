package app_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/app"
	"github.com/havenschools/haven/internal/auth"
	"github.com/havenschools/haven/internal/db/dbtest"
	"github.com/havenschools/haven/internal/notify"
	"github.com/havenschools/haven/internal/pupil"
	"github.com/havenschools/haven/internal/records"
	"github.com/havenschools/haven/internal/school"
)

// TestRecordsWorkersEnqueueOnTheJobClient: Build builds the records service
// once, for the web server and for its River workers alike, so the transfer
// chase run by River emails the DSLs. (Built twice, the workers' copy had no
// job client: the chase was audited and the email silently dropped.)
func TestRecordsWorkersEnqueueOnTheJobClient(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t)
	ctx := t.Context()
	built := build(t, d)

	sc, err := school.NewService(d.App).Create(ctx, actor.Actor{Role: actor.System}, "northgate", "Northgate School")
	if err != nil {
		t.Fatal(err)
	}
	sys := actor.SystemIn(sc.ID)
	dslID, err := auth.NewService(d.App, nil, auth.Config{}).CreateUser(ctx, sys,
		auth.NewUser{Email: "dsl@northgate.test", Name: "Dee Ess", Role: actor.DSL})
	if err != nil {
		t.Fatal(err)
	}
	kids, err := pupil.NewService(d.App).AddToRoll(ctx, sys, []pupil.NewChild{{FirstName: "Zofia", LastName: "Quennell"}})
	if err != nil {
		t.Fatal(err)
	}
	dsl := actor.Actor{UserID: dslID, SchoolID: sc.ID, Role: actor.DSL}
	if _, err := records.NewService(d.App, nil, "").StartTransfer(ctx, dsl, kids[0].ID, records.TransferForm{
		DestinationSchool: "Riverside Academy", DestinationDSL: "Rae Ceiver", DestinationEmail: "dsl@riverside.test",
		LeftOn: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Owner.Exec(ctx, `UPDATE child_transfers SET due_on = current_date - 1 WHERE school_id = $1`, sc.ID); err != nil {
		t.Fatal(err)
	}

	events, stop := built.Jobs.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
	defer stop()
	if err := built.Jobs.Start(context.WithoutCancel(ctx)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = built.Jobs.Stop(ctx)
	})
	// The chase runs once at start (a periodic job with RunOnStart).
	for chased := false; !chased; {
		select {
		case e := <-events:
			if e.Job.Kind != (records.TransferChaseArgs{}).Kind() {
				continue
			}
			if e.Kind == river.EventKindJobFailed {
				t.Fatalf("the transfer chase failed: %v", e.Job.Errors)
			}
			chased = true
		case <-ctx.Done():
			t.Fatal("the transfer chase never ran")
		}
	}
	if n := dbtest.Count(t, d.Owner, `river_job WHERE kind = 'email' AND args->>'to' = 'dsl@northgate.test'`); n != 1 {
		t.Errorf("emails to the DSL after the chase = %d, want 1", n)
	}
}

// build wires Haven as `haven serve` does, with the default configuration,
// on d's app pool, mail to a temporary outbox and the log discarded.
func build(t *testing.T, d dbtest.DB) *app.App {
	t.Helper()
	mailer, err := notify.NewOutbox(t.TempDir(), "haven@localhost")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := app.LoadConfig(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	built, err := app.Build(cfg, d.App, mailer, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(built.Web.Close)
	return built
}
