package apptest_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/havenschools/haven/internal/apptest"
	"github.com/havenschools/haven/internal/db/dbtest"
	"github.com/havenschools/haven/internal/mailtest"
	"github.com/havenschools/haven/internal/notify"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func TestAppServesAndSendsJobEmail(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, apptest.WithMail())
	c := a.Client(t)
	if r := c.Get("/readyz"); r.Status != http.StatusOK || strings.TrimSpace(r.Body) != "ready" {
		t.Fatalf("/readyz: %d %q", r.Status, r.Body)
	}
	if _, err := a.Jobs.Insert(t.Context(), notify.EmailArgs{To: "dsl@school.example", Subject: "Wired", Text: a.URL}, nil); err != nil {
		t.Fatal(err)
	}
	msg := a.Mail.WaitFor(t, func(s mailtest.Summary) bool { return s.Subject == "Wired" }, 30*time.Second)
	if !strings.Contains(msg.Text, a.URL) || msg.From.Address != a.Config.MailFrom {
		t.Errorf("email from %q with text %q, want from %q with the app's URL", msg.From.Address, msg.Text, a.Config.MailFrom)
	}
	if !strings.Contains(a.Logs(), `"route":"/readyz"`) {
		t.Errorf("the access log lacks the request:\n%s", a.Logs())
	}
}

func TestDefaultsWithoutOptions(t *testing.T) {
	t.Parallel()
	a := apptest.New(t)
	if a.Mail != nil {
		t.Error("Mail is set without WithMail")
	}
	if a.Config.BaseURL != a.URL {
		t.Errorf("BaseURL = %q, want the server's URL %q", a.Config.BaseURL, a.URL)
	}
}
