package app

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/auth"
	"github.com/havenschools/haven/internal/concern"
	"github.com/havenschools/haven/internal/db/dbtest"
	"github.com/havenschools/haven/internal/school"
)

// The demo DSL's queue has something to work on: concerns in every state,
// the child in immediate danger first, a flagged child and a referral to
// chase — seeded once.
func TestDemoConcerns(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t)
	ctx := context.Background()
	sc, err := school.NewService(d.App).Create(ctx, actor.Actor{Role: actor.System}, DemoSlug, "Demo Academy")
	if err != nil {
		t.Fatal(err)
	}
	env := Env{Stdout: &bytes.Buffer{}, Stderr: io.Discard, Log: slog.New(slog.DiscardHandler), Getenv: func(string) string { return "" }}
	if err := seedDemoAccounts(ctx, d.App, env, sc, filepath.Join(t.TempDir(), "logins.txt")); err != nil {
		t.Fatal(err)
	}
	if _, err := seedDemoRoll(ctx, d.App, sc.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	n, err := seedDemoConcerns(ctx, d.App, env.Log, sc.ID, "http://127.0.0.1:8080")
	if err != nil || n != len(demoConcerns) {
		t.Fatalf("seeded %d, %v", n, err)
	}
	if n, err := seedDemoConcerns(ctx, d.App, env.Log, sc.ID, "http://127.0.0.1:8080"); err != nil || n != 0 {
		t.Errorf("a second seed made %d more, %v", n, err)
	}

	dslID, err := auth.NewService(d.App, nil, auth.Config{}).UserIDByEmail(ctx, "dsl@demo.haven.test")
	if err != nil {
		t.Fatal(err)
	}
	dsl := actor.Actor{UserID: dslID, SchoolID: sc.ID, Role: actor.DSL}
	svc := concern.NewService(d.App, nil, "")
	q, err := svc.Queue(ctx, dsl, concern.QueueFilter{Status: "all"})
	if err != nil {
		t.Fatal(err)
	}
	if len(q.Rows) != len(demoConcerns) || !q.Rows[0].InDanger || !strings.Contains(q.Rows[0].Children, "Amara Okafor") {
		t.Fatalf("the demo queue starts with %+v", q.Rows[0])
	}
	// Every status has a demo concern (the queue counts the open ones).
	seen := map[concern.Status]bool{}
	for _, r := range q.Rows {
		seen[r.Status] = true
	}
	for _, st := range concern.Statuses() {
		if !seen[st] || (st != concern.Closed && q.Counts[st] == 0) {
			t.Errorf("no demo concern is %s (counted %d)", st, q.Counts[st])
		}
	}
	if len(q.Rows[0].Flags) == 0 {
		t.Error("Amara is not flagged on the queue")
	}
	tasks, err := svc.WithClock(func() time.Time { return time.Now().AddDate(0, 0, 1) }).MyTasks(ctx, dsl)
	if err != nil || len(tasks) < 2 || tasks[0].Kind != concern.TaskChase {
		t.Errorf("the demo DSL's tasks = %+v, %v; want the referral chase first", tasks, err)
	}
}
