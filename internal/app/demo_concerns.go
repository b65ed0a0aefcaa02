package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/auth"
	"github.com/havenschools/haven/internal/concern"
	"github.com/havenschools/haven/internal/jobs"
	"github.com/havenschools/haven/internal/notify"
	"github.com/havenschools/haven/internal/pupil"
	"github.com/havenschools/haven/internal/when"
)

// demoConcern is one of Demo Academy's fictional concerns and how far the
// DSL has got with it.
type demoConcern struct {
	child      string // a name on the demo roll
	witness    string // another child, named as a witness ("" for none)
	daysAgo    int    // when it happened
	inDanger   bool
	account    string
	categories []string
	indicators []string
	// What the DSL has done: "" (nothing yet), "acknowledged", "decided",
	// "referred" (a decision and a referral awaiting feedback) or "closed".
	stage   string
	urgency concern.Urgency
}

// demoConcerns make the demo DSL's Safeguarding queue worth a look: a child
// in immediate danger at the top, unacknowledged concerns, some in
// progress, a referral to chase, one closed with no further action, and
// three about one child, so her flag shows. Every name is fictional.
var demoConcerns = []demoConcern{
	{child: "Amara Okafor", daysAgo: 40, account: "Amara was collected from the school gate by an adult man who is not on her contact list. " +
		"She said he is \"a friend of her cousin\".", categories: []string{"cse"}, indicators: []string{"cars_unknown_adults"},
		stage: "closed", urgency: concern.Low},
	{child: "Amara Okafor", witness: "Ruby O'Connor", daysAgo: 6, account: "Ruby said Amara has a new phone and gets messages " +
		"from numbers she does not know late at night.", categories: []string{"cse", "online_safety"},
		indicators: []string{"unexplained_money_gifts", "unknown_callers"}, stage: "referred", urgency: concern.High},
	{child: "Amara Okafor", daysAgo: 0, inDanger: true, account: "Amara told her form tutor that the man from the car is " +
		"meeting her after school today and she is scared to say no.", categories: []string{"cse"},
		indicators: []string{"fearful_of_people", "older_groups"}},
	{child: "Ethan Walsh", daysAgo: 1, account: "Ethan came in without a coat for the third day running and was hungry at break; " +
		"he said there was no food at home at the weekend.", categories: []string{"neglect"}},
	{child: "Kacper Nowak", daysAgo: 2, account: "Kacper has a bruise on his upper arm. He said he fell off his bike.",
		categories: []string{"physical_abuse"}, stage: "acknowledged", urgency: concern.Medium},
	{child: "Maisie Clarke", daysAgo: 3, account: "An older pupil shared a picture of Maisie in a group chat and others are " +
		"commenting on it.", categories: []string{"nudes", "child_on_child"}, stage: "decided", urgency: concern.High},
	{child: "Harvey Mills", daysAgo: 4, account: "Harvey said he has been feeling very low and does not see the point in coming " +
		"to school."},
}

// seedDemoConcerns gives Demo Academy its demo concerns, once (not when it
// has any already): recorded by the demo member of staff and worked on by
// the demo DSL through the same services the pages use. The DSLs' emails
// and escalations are enqueued as for any concern.
func seedDemoConcerns(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger, schoolID int64, baseURL string) (int, error) {
	escalator := concern.NewEscalator(pool, baseURL, nil)
	jobClient, err := jobs.New(pool, log, func(w *river.Workers) { notify.AddWorkers(w, nil) }, escalator.AddWorkers)
	if err != nil {
		return 0, err
	}
	svc := concern.NewService(pool, jobClient, baseURL)
	accounts := auth.NewService(pool, nil, auth.Config{})
	staffID, err := accounts.UserIDByEmail(ctx, "staff@demo.haven.test")
	if err != nil {
		return 0, fmt.Errorf("demo staff: %w", err)
	}
	dslID, err := accounts.UserIDByEmail(ctx, "dsl@demo.haven.test")
	if err != nil {
		return 0, fmt.Errorf("demo DSL: %w", err)
	}
	src := cliSource("demo")
	staff := actor.Actor{UserID: staffID, SchoolID: schoolID, Role: actor.Staff, Source: src}
	dsl := actor.Actor{UserID: dslID, SchoolID: schoolID, Role: actor.DSL, Source: src}

	if n, err := svc.NewSince(ctx, dsl, time.Time{}); err != nil || n > 0 {
		return 0, err
	}
	pupils := pupil.NewService(pool)
	childID := func(name string) (int64, error) {
		res, err := pupils.Search(ctx, staff, name)
		if err != nil {
			return 0, err
		}
		if len(res.Children) == 0 {
			return 0, errors.New("no demo pupil " + name)
		}
		return res.Children[0].ID, nil
	}
	today := when.Today(time.Now())
	for _, d := range demoConcerns {
		id, err := childID(d.child)
		if err != nil {
			return 0, err
		}
		f := concern.Form{SubmissionID: concern.NewSubmissionID(), InDanger: "no",
			Children: []concern.FormChild{{ChildID: id, Role: concern.Subject}}, Account: d.account,
			Happened: when.DatePartsOf(today.AddDate(0, 0, -d.daysAgo)), Seen: when.DatePartsOf(today.AddDate(0, 0, -d.daysAgo)),
			Location: "School", ToldDSL: "not_yet", Categories: d.categories, Indicators: d.indicators}
		if d.inDanger {
			f.InDanger, f.ToldDSL, f.ToldDSLWho, f.ToldDSLWhen = "yes", "yes", "Priya Shah", "Just now, in person"
		}
		if d.witness != "" {
			wid, err := childID(d.witness)
			if err != nil {
				return 0, err
			}
			f.Children = append(f.Children, concern.FormChild{ChildID: wid, Role: concern.Witness})
		}
		r, err := svc.Submit(ctx, staff, f)
		if err != nil {
			return 0, fmt.Errorf("demo concern about %s: %w", d.child, err)
		}
		if err := demoTriage(ctx, svc, dsl, r.Ref, d, today); err != nil {
			return 0, fmt.Errorf("demo triage of %s: %w", r.Ref, err)
		}
	}
	return len(demoConcerns), nil
}

// demoTriage takes a demo concern as far as its stage, as the demo DSL.
func demoTriage(ctx context.Context, svc *concern.Service, dsl actor.Actor, ref string, d demoConcern, today time.Time) error {
	if d.stage == "" {
		return nil
	}
	v := 1
	step := func(err error) error {
		v++
		return err
	}
	if err := step(svc.Acknowledge(ctx, dsl, ref, v)); err != nil {
		return err
	}
	if d.urgency != "" {
		if err := step(svc.SetUrgency(ctx, dsl, ref, v, d.urgency)); err != nil {
			return err
		}
	}
	if d.stage == "acknowledged" {
		return nil
	}
	decision := concern.DecisionForm{Version: v, Outcome: string(concern.MonitorInSchool),
		Reason: "Pastoral support in school; no threshold for a referral on what we know.", Parents: string(concern.ParentsTold),
		ChildsWishes: "Wants it dealt with quietly and to keep seeing their tutor."}
	switch d.stage {
	case "referred":
		decision.Outcome, decision.Parents = string(concern.SocialCare), string(concern.ParentsNotTold)
		decision.Reason = "A pattern of CSE indicators from several staff: referral to children's social care."
		decision.ParentsWhyNot = "Telling the family now could alert the adult involved; the front door advised against it."
	case "closed":
		decision.Outcome = string(concern.NoFurtherAction)
		decision.Reason = "The adult was her uncle, checked with her mother. No further action; the record is kept."
	}
	if err := step(svc.RecordDecision(ctx, dsl, ref, decision)); err != nil {
		return err
	}
	switch d.stage {
	case "referred":
		return svc.RecordAction(ctx, dsl, ref, concern.ActionForm{Kind: string(concern.ActionReferral),
			On: when.DatePartsOf(today.AddDate(0, 0, -5)), Note: "Referred to the front door by phone and in writing.",
			AgencyRef: "DEMO-MASH-0042"})
	case "decided":
		return svc.RecordAction(ctx, dsl, ref, concern.ActionForm{Kind: string(concern.ActionConversation),
			On: when.DatePartsOf(today), Note: "Spoke with her with her head of year; the picture was reported to the platform.",
			FollowUp: when.DatePartsOf(today.AddDate(0, 0, 3))})
	case "closed":
		return svc.Close(ctx, dsl, ref, concern.CloseForm{Version: v, Summary: "No further action: a family member known to school."})
	}
	return nil
}

// demoBaseURL is where the demo's emails link to: HAVEN_BASE_URL, or the
// default address.
func demoBaseURL(env Env) string {
	cfg, err := LoadConfig(env.Getenv)
	if err != nil {
		return ""
	}
	return cfg.BaseURL
}
