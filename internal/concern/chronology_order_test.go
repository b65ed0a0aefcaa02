package concern_test

import (
	"testing"
	"time"

	"github.com/havenschools/haven/internal/concern"
	"github.com/havenschools/haven/internal/when"
)

// orderedConcern is a concern about Amara worked on yesterday afternoon:
// recorded at 2pm, further information at 2:30pm, acknowledged at 2:47pm,
// a referral made at 2:48pm (its time given, recorded at 4pm), a decision
// at 2:52pm, a parent called at 2:52pm (its time given, recorded at
// 4:10pm), and a conversation with the child recorded at 3:05pm with its
// date only. The database stamps rows with its own clock, so the stamps are
// moved to yesterday afternoon afterwards, as if each was done then.
func orderedConcern(t *testing.T, f *fixture) (ref string, at func(h, m int) time.Time) {
	t.Helper()
	ctx := t.Context()
	y := when.Today(time.Now()).AddDate(0, 0, -1)
	at = func(h, m int) time.Time { return time.Date(y.Year(), y.Month(), y.Day(), h, m, 0, 0, when.London()) }
	yesterday := when.DatePartsOf(y)
	ref = submit(t, f, f.staff, validForm(f.amara.ID))
	if err := f.svc.AddAddendum(ctx, f.staff, ref, "She was picked up again at lunch."); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Acknowledge(ctx, f.dsl, ref, 1); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.RecordAction(ctx, f.dsl, ref, concern.ActionForm{Kind: string(concern.ActionReferral), On: yesterday,
		At: concern.TimeParts{Hour: "2", Minute: "48", AmPm: "pm"}, Note: "Referred to children's social care by phone"}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.RecordDecision(ctx, f.dsl, ref, withVersion(goodDecision, 2)); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.RecordAction(ctx, f.dsl, ref, concern.ActionForm{Kind: string(concern.ActionParent), On: yesterday,
		At: concern.TimeParts{Hour: "14", Minute: "52"}, Note: "Called her mother"}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.RecordAction(ctx, f.dsl, ref, concern.ActionForm{Kind: string(concern.ActionConversation), On: yesterday,
		Note: "Spoke with Amara with her tutor present"}); err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		sql string
		at  time.Time
	}{
		{`UPDATE concerns SET created_at = $2 WHERE ref = $1`, at(14, 0)},
		{`UPDATE concern_addenda SET created_at = $2 WHERE concern_id = (SELECT id FROM concerns WHERE ref = $1)`, at(14, 30)},
		{`UPDATE concern_events SET at = $2 WHERE kind = 'acknowledged' AND concern_id = (SELECT id FROM concerns WHERE ref = $1)`, at(14, 47)},
		{`UPDATE concern_actions SET recorded_at = $2 WHERE kind = 'referral' AND concern_id = (SELECT id FROM concerns WHERE ref = $1)`, at(16, 0)},
		{`UPDATE concern_decisions SET decided_at = $2 WHERE concern_id = (SELECT id FROM concerns WHERE ref = $1)`, at(14, 52)},
		{`UPDATE concern_events SET at = $2 WHERE kind = 'decision' AND concern_id = (SELECT id FROM concerns WHERE ref = $1)`, at(14, 52)},
		{`UPDATE concern_actions SET recorded_at = $2 WHERE kind = 'parent_contact' AND concern_id = (SELECT id FROM concerns WHERE ref = $1)`, at(16, 10)},
		{`UPDATE concern_actions SET recorded_at = $2 WHERE kind = 'conversation_child' AND concern_id = (SELECT id FROM concerns WHERE ref = $1)`, at(15, 5)},
	} {
		if tag, err := f.db.Owner.Exec(ctx, step.sql, ref, step.at); err != nil || tag.RowsAffected() != 1 {
			t.Fatalf("%s: %v, %d rows", step.sql, err, tag.RowsAffected())
		}
	}
	return ref, at
}

func TestChronologyIsInTheOrderThingsWereDone(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ref, at := orderedConcern(t, f)
	ch, err := f.svc.Chronology(t.Context(), f.dsl, f.amara.ID, concern.ChronologyFilter{}, false)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		title    string
		at       time.Time
		dateOnly bool
	}{
		{"Concern " + ref + " recorded", at(14, 0), true},
		{"Further information added to " + ref, at(14, 30), false},
		{"Acknowledged", at(14, 47), false},
		{"Action: Referral", at(14, 48), false},
		{"Decision: Refer to children's social care", at(14, 52), false},
		{"Action: Parent or carer contact", at(14, 52), false},   // the same minute as the decision, recorded later
		{"Action: Conversation with the child", at(15, 5), true}, // its date only: when it was recorded
	}
	if len(ch.Entries) != len(want) {
		for _, e := range ch.Entries {
			t.Logf("%s %s", e.At, e.Title)
		}
		t.Fatalf("%d entries, want %d", len(ch.Entries), len(want))
	}
	for i, w := range want {
		e := ch.Entries[i]
		if e.Title != w.title || !e.At.Equal(w.at) || e.DateOnly != w.dateOnly {
			t.Errorf("entry %d = %q at %s (date only %v), want %q at %s (%v)", i, e.Title, e.At, e.DateOnly, w.title, w.at, w.dateOnly)
		}
	}

	c := mustCase(t, f, f.dsl, ref)
	var kinds []concern.ActionKind
	for _, a := range c.Actions {
		kinds = append(kinds, a.Kind)
	}
	if len(kinds) != 3 || kinds[0] != concern.ActionReferral || kinds[1] != concern.ActionParent || kinds[2] != concern.ActionConversation {
		t.Errorf("the concern's actions = %v, want referral, parent contact, conversation (the order done)", kinds)
	}
}

func TestAnActionsTimeIsOptionalButReal(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	ref := submit(t, f, f.staff, validForm(f.amara.ID))
	if err := f.svc.Acknowledge(ctx, f.dsl, ref, 1); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		on   when.DateParts
		at   concern.TimeParts
		want string
	}{
		{"an hour from 1 to 12 needs am or pm", daysAgo(1), concern.TimeParts{Hour: "2", Minute: "48"}, "Select am or pm"},
		{"an hour past 23 is not a time", daysAgo(1), concern.TimeParts{Hour: "25"}, "The time must have an hour from 1 to 12"},
		{"minutes past 59 are not a time", daysAgo(1), concern.TimeParts{Hour: "2", Minute: "75", AmPm: "pm"}, "The time must have minutes from 0 to 59"},
		{"later today is not done yet", today(), concern.TimeParts{Hour: "23", Minute: "59"}, "The time it was done must be now or in the past"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if time.Now().In(when.London()).Format("1504") == "2359" {
				t.Skip("it is 11:59pm")
			}
			p := problemsOf(t, f.svc.RecordAction(ctx, f.dsl, ref, concern.ActionForm{Kind: string(concern.ActionOther),
				On: tt.on, At: tt.at, Note: "A note"}))
			if p[concern.FieldActionAt] != tt.want {
				t.Errorf("got %q, want %q", p[concern.FieldActionAt], tt.want)
			}
		})
	}
	t.Run("12am is midnight and 12pm midday", func(t *testing.T) {
		for _, tt := range []struct {
			at   concern.TimeParts
			want concern.Clock
		}{
			{concern.TimeParts{Hour: "12", AmPm: "am"}, concern.Clock{Hour: 0}},
			{concern.TimeParts{Hour: "12", Minute: "5", AmPm: "pm"}, concern.Clock{Hour: 12, Minute: 5}},
			{concern.TimeParts{Hour: "0", Minute: "30"}, concern.Clock{Minute: 30}},
			{concern.TimeParts{Hour: " 9 ", Minute: "05", AmPm: "am"}, concern.Clock{Hour: 9, Minute: 5}},
		} {
			if got, msg := tt.at.Clock(); msg != "" || got != tt.want {
				t.Errorf("%+v = %+v %q, want %+v", tt.at, got, msg, tt.want)
			}
		}
	})
}
