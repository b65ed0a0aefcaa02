package concern_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/concern"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/when"
)

func TestCumulativeFlagsAreRaisedAcknowledgedAndRaisedAgain(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	if _, err := f.db.Owner.Exec(ctx, `INSERT INTO school_settings (school_id) VALUES ($1)`, f.school); err != nil {
		t.Fatal(err)
	}
	flags := func() []concern.Flag {
		t.Helper()
		p, err := f.svc.Child(ctx, f.dsl, f.amara.ID)
		if err != nil {
			t.Fatal(err)
		}
		return p.Flags
	}
	// Two concerns: no flag. A third, closed with no further action or not: a flag.
	for range 2 {
		submit(t, f, f.staff, validForm(f.amara.ID))
	}
	if got := flags(); len(got) != 0 {
		t.Fatalf("flags after two concerns = %+v", got)
	}
	third := submit(t, f, f.staff, validForm(f.amara.ID))
	if err := f.svc.Acknowledge(ctx, f.dsl, third, 1); err != nil {
		t.Fatal(err)
	}
	nfa := withVersion(goodDecision, 2)
	nfa.Outcome = string(concern.NoFurtherAction)
	if err := f.svc.RecordDecision(ctx, f.dsl, third, nfa); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Close(ctx, f.dsl, third, concern.CloseForm{Version: 3, Summary: "No further action"}); err != nil {
		t.Fatal(err)
	}
	got := flags()
	if len(got) != 1 || got[0].Kind != concern.FlagCount || !got[0].Raised || !strings.Contains(got[0].Reason, "3 concerns in the last 90 days") {
		t.Fatalf("flags after three concerns = %+v", got)
	}

	if p := problemsOf(t, f.svc.AcknowledgeFlag(ctx, f.dsl, f.amara.ID, concern.FlagCount, " ")); p[concern.FieldFlagReason] == "" {
		t.Errorf("acknowledging without a reason: %v", p)
	}
	if err := f.svc.AcknowledgeFlag(ctx, f.dsl, f.amara.ID, concern.FlagCount, "Discussed at the strategy meeting; plan in place"); err != nil {
		t.Fatal(err)
	}
	got = flags()
	if len(got) != 1 || got[0].Raised || got[0].Ack == nil || got[0].Ack.By != "Dee Ess" {
		t.Fatalf("after acknowledging = %+v", got)
	}
	q, err := f.svc.Queue(ctx, f.dsl, concern.QueueFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range q.Rows {
		if len(r.Flags) > 0 {
			t.Errorf("the queue still flags %s after the acknowledgement: %v", r.Ref, r.Flags)
		}
	}

	// The next concern raises it again; and CSE indicators from two staff raise the other flag.
	form := validForm(f.amara.ID)
	form.Indicators = []string{"missing"}
	submit(t, f, f.staff, form)
	form = validForm(f.amara.ID)
	form.Indicators = []string{"unexplained_money_gifts"}
	submit(t, f, f.staff2, form)
	got = flags()
	if len(got) != 2 || !got[0].Raised || !strings.Contains(got[0].Reason, "5 concerns") ||
		got[1].Kind != concern.FlagCSEStaff || !got[1].Raised {
		t.Fatalf("after two more concerns = %+v", got)
	}
	q, err = f.svc.Queue(ctx, f.dsl, concern.QueueFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(q.Rows) == 0 || len(q.Rows[0].Flags) != 2 {
		t.Errorf("queue flags = %+v", q.Rows[0].Flags)
	}
	if n := auditCount(t, f, "child.flag_acknowledge", strconv.FormatInt(f.amara.ID, 10)); n != 1 {
		t.Errorf("child.flag_acknowledge audited %d times, want 1", n)
	}
}

func TestTasksOverdueFirstAndHandingOverWhenAway(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	a := submit(t, f, f.staff, validForm(f.amara.ID))
	b := submit(t, f, f.staff, validForm(f.ben.ID))
	restricted := submit(t, f, f.staff, validForm(f.cara.ID))
	for _, ref := range []string{a, b, restricted} {
		if err := f.svc.Acknowledge(ctx, f.dsl, ref, 1); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.svc.SetAccess(ctx, f.dsl, restricted, concern.AccessForm{Version: 2, Restricted: true}); err != nil {
		t.Fatal(err)
	}
	for _, x := range []struct {
		ref  string
		days int
	}{{a, 10}, {b, 3}, {restricted, 5}} {
		if err := f.svc.RecordAction(ctx, f.dsl, x.ref, concern.ActionForm{Kind: string(concern.ActionMonitoring), On: today(),
			Note: "Tutor to check in daily", FollowUp: daysAgo(-x.days)}); err != nil {
			t.Fatal(err)
		}
	}

	// Eight days on, a's follow-up (10 days) is still ahead; b's and the restricted one's are overdue.
	later := f.svc.WithClock(func() time.Time { return time.Now().AddDate(0, 0, 8) })
	tasks, err := later.MyTasks(ctx, f.dsl)
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) != 3 || tasks[0].ConcernRef != b || tasks[1].ConcernRef != restricted || tasks[2].ConcernRef != a {
		t.Fatalf("tasks = %+v, want b, the restricted one, then a", tasks)
	}
	day8 := mustDate(t, daysAgo(-8))
	if !tasks[0].Overdue(day8) || tasks[2].Overdue(day8) {
		t.Errorf("overdue: %v %v", tasks[0].Overdue(day8), tasks[2].Overdue(day8))
	}
	if n, err := later.CountMyTasks(ctx, f.dsl); err != nil || n != 2 {
		t.Errorf("tasks due = %d, %v; want 2", n, err)
	}
	if _, err := f.svc.MyTasks(ctx, f.staff); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("staff tasks = %v, want not found", err)
	}

	if p := problemsOf(t, func() error { _, err := f.svc.MarkAway(ctx, f.dsl, f.staff.UserID); return err }()); p[concern.FieldColleague] == "" {
		t.Errorf("handing over to staff: %v", p)
	}
	h, err := f.svc.MarkAway(ctx, f.dsl, f.deputy.UserID)
	if err != nil {
		t.Fatal(err)
	}
	if h.Concerns != 2 || h.Tasks != 2 || h.Kept != 1 {
		t.Errorf("handover = %+v, want 2 concerns, 2 tasks, 1 kept (restricted)", h)
	}
	deputyTasks, err := f.svc.MyTasks(ctx, f.deputy)
	if err != nil || len(deputyTasks) != 2 {
		t.Errorf("the deputy's tasks = %+v, %v", deputyTasks, err)
	}
	c := mustCase(t, f, f.deputy, a)
	if c.AssignedTo != f.deputy.UserID || c.Events[len(c.Events)-1].Kind != concern.EventAssigned {
		t.Errorf("concern a: assigned %d, events %+v", c.AssignedTo, c.Events)
	}
	dsls, err := f.svc.DSLs(ctx, f.deputy)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range dsls {
		if p.ID == f.dsl.UserID && !p.Away {
			t.Error("the DSL is not shown as away")
		}
	}
	if away, err := f.svc.AwayStatus(ctx, f.dsl); err != nil || away == nil || away.HandedTo != "Dep Uty" {
		t.Errorf("away = %+v, %v", away, err)
	}
	if err := f.svc.Back(ctx, f.dsl); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Back(ctx, f.dsl); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("back twice = %v", err)
	}
	if err := f.svc.CompleteTask(ctx, f.deputy, deputyTasks[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.CompleteTask(ctx, f.deputy, deputyTasks[0].ID); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("completing twice = %v", err)
	}
}

func TestDashboardFigures(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	cse := validForm(f.amara.ID)
	cse.Categories = []string{"cse", "neglect"}
	one := submit(t, f, f.staff, cse)
	two := submit(t, f, f.staff, validForm(f.ben.ID))
	submit(t, f, f.staff, validForm(f.cara.ID))
	// Acknowledged 10 and 30 minutes after they were recorded.
	for ref, mins := range map[string]int{one: 10, two: 30} {
		if err := f.svc.Acknowledge(ctx, f.dsl, ref, 1); err != nil {
			t.Fatal(err)
		}
		if _, err := f.db.Owner.Exec(ctx, `UPDATE concerns SET acknowledged_at = created_at + make_interval(mins => $2) WHERE ref = $1`,
			ref, mins); err != nil {
			t.Fatal(err)
		}
	}
	// One from 13 months ago is outside the window.
	cse.SubmissionID = concern.NewSubmissionID()
	old := submit(t, f, f.staff, cse)
	if _, err := f.db.Owner.Exec(ctx, `UPDATE concerns SET created_at = now() - interval '13 months' WHERE ref = $1`, old); err != nil {
		t.Fatal(err)
	}
	fig, err := f.svc.Figures(ctx, f.dsl)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().In(when.London())
	if len(fig.Months) != 12 || !fig.Months[11].Equal(time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, when.London())) {
		t.Errorf("months = %v", fig.Months)
	}
	totals := map[string]int{}
	for _, c := range fig.Categories {
		totals[c.Name] = c.Total
		if c.Counts[11] != c.Total {
			t.Errorf("%s: counts %v, want all in this month", c.Name, c.Counts)
		}
	}
	if totals["cse"] != 1 || totals["neglect"] != 1 || totals["Not yet categorised"] != 2 || len(totals) != 3 {
		t.Errorf("category totals = %v", totals)
	}
	if fig.Acknowledge.Count != 2 || fig.Acknowledge.Median != 20*time.Minute || fig.Acknowledge.P90 != 28*time.Minute {
		t.Errorf("time to acknowledge = %+v, want 2, median 20m, p90 28m", fig.Acknowledge)
	}
	if fig.Open() != 3 || fig.Closed() != 0 || fig.ByStatus[concern.Acknowledged] != 2 {
		t.Errorf("by status = %v", fig.ByStatus)
	}
	if _, err := f.svc.Figures(ctx, f.staff); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("staff figures = %v", err)
	}
}

func TestFeedTellsTheSchoolOfNewConcerns(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	other := concernSchool(t, f.db.Owner, "elsewhere")

	// The notification carries the school's id and nothing else.
	conn, err := pgx.Connect(ctx, f.db.AppURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+concern.FeedChannel); err != nil {
		t.Fatal(err)
	}

	feed := concern.NewFeed(f.db.App.Config().ConnConfig, slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer feed.Close()
	mine, unsubscribe := feed.Subscribe(f.school)
	defer unsubscribe()
	theirs, unsubscribe2 := feed.Subscribe(other)
	defer unsubscribe2()
	// Once listening, the feed wakes every subscriber (whatever the school):
	// they may have counted before the LISTEN took hold.
	for _, ch := range []<-chan struct{}{mine, theirs} {
		select {
		case <-ch:
		case <-time.After(10 * time.Second):
			t.Fatal("the feed did not tell its subscribers it was listening")
		}
	}

	submit(t, f, f.staff, validForm(f.amara.ID))
	select {
	case <-mine:
	case <-time.After(10 * time.Second):
		t.Fatal("the school's subscriber heard nothing")
	}
	select {
	case <-theirs:
		t.Error("another school's subscriber was told")
	case <-time.After(300 * time.Millisecond):
	}
	waitCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	n, err := conn.WaitForNotification(waitCtx)
	if err != nil {
		t.Fatal(err)
	}
	if n.Payload != strconv.FormatInt(f.school, 10) {
		t.Errorf("payload = %q, want the school id only", n.Payload)
	}
	count, err := f.svc.NewSince(ctx, f.dsl, time.Now().Add(-time.Minute))
	if err != nil || count != 1 {
		t.Errorf("new since = %d, %v", count, err)
	}
	if _, err := f.svc.NewSince(ctx, actor.Actor{UserID: f.staff.UserID, SchoolID: f.school, Role: actor.Staff}, time.Now()); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("staff count = %v", err)
	}
	feed.Close()
	feed.Close() // twice is fine
}
