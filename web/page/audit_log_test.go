package page_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/a-h/templ"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/validate"
	"github.com/havenschools/haven/web/page"
)

func renderHTML(t *testing.T, c templ.Component) string {
	t.Helper()
	var b bytes.Buffer
	if err := c.Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestAuditLogPage(t *testing.T) {
	at := time.Date(2026, 9, 1, 7, 30, 5, 0, time.UTC) // 08:30:05 in London (BST)
	p := page.AuditLogPage{
		Person: "7",
		People: []audit.Person{{UserID: 7, Name: "Zoe Ng"}, {UserID: 9, Name: ""}},
		Entries: []audit.Entry{
			{Seq: 12, OccurredAt: at, UserID: 7, UserName: "Zoe Ng", Role: actor.DSL, Action: "concern.view",
				SubjectType: "concern", SubjectID: "C-2026-000123", ClientAddr: "192.0.2.10", Details: `{"tab":"<chronology>"}`},
			{Seq: 11, OccurredAt: at, Role: actor.System, Action: "concern.escalate", SubjectType: "concern", SubjectID: "C-2026-000122", Details: "{}"},
			{Seq: 10, OccurredAt: at, Action: "auth.sign_in_failed", Details: "{}"},
		},
		NextURL:   "/audit?after=10&person=7",
		NewestURL: "/audit?person=7",
	}
	html := renderHTML(t, page.AuditLog(p))
	for _, want := range []string{
		"<h1 class=\"govuk-heading-xl\">Audit log</h1>",
		"8:30:05am, 1 September 2026",
		"Zoe Ng", "DSL", "concern.view", "concern C-2026-000123", "192.0.2.10",
		"{&#34;tab&#34;:&#34;&lt;chronology&gt;&#34;}", // details escaped
		"Haven (automatic)", "Not signed in",
		`<option value="7" selected>`, "User 9",
		`href="/audit?after=10&amp;person=7"`, ">Next page<", ">Newest events<",
		`<label class="govuk-label" for="person">Person</label>`,
		`<label class="govuk-label" for="action">`, `<label class="govuk-label" for="record">`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(html, "There is a problem") {
		t.Error("an error summary without problems")
	}

	t.Run("problems are summarised and shown by their fields, with no results", func(t *testing.T) {
		p := page.AuditLogPage{From: page.AuditDate{Day: "31", Month: "2", Year: "2026"},
			Problems: validate.Problems{"from": "From must be a real date, for example 1 9 2026"}}
		html := renderHTML(t, page.AuditLog(p))
		for _, want := range []string{"There is a problem", `href="#from-day"`, "govuk-form-group--error", `value="31"`} {
			if !strings.Contains(html, want) {
				t.Errorf("the page lacks %q", want)
			}
		}
		if strings.Contains(html, "No events match") {
			t.Error("results shown beside a problem")
		}
	})

	t.Run("no events", func(t *testing.T) {
		html := renderHTML(t, page.AuditLog(page.AuditLogPage{}))
		if !strings.Contains(html, "No events match these filters.") || strings.Contains(html, "Next page") {
			t.Errorf("an empty log page:\n%s", html)
		}
	})
}

func TestWhoHasSeen(t *testing.T) {
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	html := renderHTML(t, page.WhoHasSeen([]audit.View{
		{UserID: 4, UserName: "Hal Head", Role: actor.Head, First: at, At: at, Count: 1, Action: "concern.view"},
		{UserID: 3, UserName: "Dee Ess", Role: actor.DSL, Deputy: true, First: at, At: at.Add(7 * time.Minute), Count: 15, Action: "encompass.view"},
		{UserID: 3, UserName: "Dee Ess", Role: actor.DSL, Deputy: true, First: at, At: at, Count: 1, Action: "attachment.download"},
	}))
	for _, want := range []string{"Who has seen this", "Hal Head (Head)", "Viewed the concern once", "Dee Ess (Deputy DSL)",
		"9am to 9:07am, 1 December 2026", "Viewed 15 times", "Downloaded a file once"} {
		if !strings.Contains(html, want) {
			t.Errorf("the list lacks %q", want)
		}
	}
	if html := renderHTML(t, page.WhoHasSeen(nil)); !strings.Contains(html, "No one has viewed this record yet.") {
		t.Errorf("an empty list:\n%s", html)
	}
}
