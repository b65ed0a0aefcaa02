package web_test

import (
	"context"
	"testing"
	"time"

	"github.com/havenschools/haven/internal/apptest"
	"github.com/havenschools/haven/internal/mailtest"
)

// A deputy DSL who reports a concern themselves is not emailed about it:
// the alert goes to the rest of the DSL team, through the real mailpit.
func TestADeputyWhoReportsIsNotAlerted(t *testing.T) {
	t.Parallel()
	s := newConcernSite(t, apptest.WithMail())
	var deputy int64
	if err := s.DB.Owner.QueryRow(context.Background(), `SELECT id FROM users WHERE email = 'deputy@brookfield.test'`).Scan(&deputy); err != nil {
		t.Fatal(err)
	}
	c := signInWithCode(t, s.site, "deputy@brookfield.test", s.enrol(t, deputy))
	v := filledForm(openForm(t, c), s.amara.ID)
	v.Set("in_danger", "yes")
	if ref := refRE.FindString(c.PostForm("/concerns", v).Location()); ref == "" {
		t.Fatal("no receipt")
	}
	s.Mail.WaitFor(t, func(m mailtest.Summary) bool { return m.SentTo("dsl@brookfield.test") }, 30*time.Second)
	// The emails are enqueued in the transaction that stored the concern:
	// whatever mailpit has yet, the job table holds every one.
	if n := s.count(t, `river_job WHERE kind = 'email' AND args ->> 'to' = 'deputy@brookfield.test'`); n != 0 {
		t.Errorf("%d emails to the deputy who recorded the concern, want none", n)
	}
	if n := s.count(t, `river_job WHERE kind = 'email' AND args ->> 'to' = 'dsl@brookfield.test'`); n != 1 {
		t.Errorf("%d emails to the DSL, want 1", n)
	}
	for _, m := range s.Mail.Messages(t) {
		if m.SentTo("deputy@brookfield.test") {
			t.Errorf("the deputy was emailed %q", m.Subject)
		}
	}
}
