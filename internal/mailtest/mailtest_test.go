package mailtest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/havenschools/haven/internal/mailtest"
	"github.com/havenschools/haven/internal/notify"
)

func TestMailpitReceivesAndClears(t *testing.T) {
	t.Parallel()
	mp := mailtest.Start(t)
	if got := mp.Messages(t); len(got) != 0 {
		t.Fatalf("new mailpit has %d messages, want 0", len(got))
	}
	mailer, err := notify.NewSMTP(mp.SMTPURL(), "haven@example.test")
	if err != nil {
		t.Fatal(err)
	}
	err = mailer.Send(t.Context(), notify.Message{To: "ada@example.test", Subject: "A test", Text: "Hello Ada"})
	if err != nil {
		t.Fatal(err)
	}
	msg := mp.WaitFor(t, func(s mailtest.Summary) bool { return s.SentTo("ada@example.test") }, 10*time.Second)
	if msg.Subject != "A test" || !strings.Contains(msg.Text, "Hello Ada") {
		t.Errorf("got subject %q text %q, want %q and %q", msg.Subject, msg.Text, "A test", "Hello Ada")
	}
	if msg.From.Address != "haven@example.test" {
		t.Errorf("from = %q, want haven@example.test", msg.From.Address)
	}
	if got := msg.Headers["Subject"]; len(got) != 1 || got[0] != "A test" {
		t.Errorf("Subject header = %q, want [A test]", got)
	}
	if !strings.Contains(msg.Raw, "Hello Ada") {
		t.Errorf("raw message lacks the body:\n%s", msg.Raw)
	}

	mp.Clear(t)
	if got := mp.Messages(t); len(got) != 0 {
		t.Errorf("after Clear: %d messages, want 0", len(got))
	}
}

func TestTwoMailpitsAreSeparate(t *testing.T) {
	t.Parallel()
	a, b := mailtest.Start(t), mailtest.Start(t)
	if a.SMTPURL() == b.SMTPURL() {
		t.Fatalf("both mailpits listen on %s", a.SMTPURL())
	}
	mailer, err := notify.NewSMTP(a.SMTPURL(), "haven@example.test")
	if err != nil {
		t.Fatal(err)
	}
	if err := mailer.Send(t.Context(), notify.Message{To: "x@example.test", Subject: "only a", Text: "."}); err != nil {
		t.Fatal(err)
	}
	a.WaitFor(t, func(s mailtest.Summary) bool { return s.Subject == "only a" }, 10*time.Second)
	if got := b.Messages(t); len(got) != 0 {
		t.Errorf("the other mailpit received %d messages, want 0", len(got))
	}
}
