package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/apptest"
	"github.com/havenschools/haven/internal/paths"
	"github.com/havenschools/haven/internal/pupil"
	"github.com/havenschools/haven/internal/school"
)

// childSuggestions is what POST /concerns/children answers.
type childSuggestions struct {
	Children []struct {
		ID       int64  `json:"id"`
		Name     string `json:"name"`
		Describe string `json:"describe"`
	} `json:"children"`
	More bool `json:"more"`
}

// The type-ahead of "Report a concern" searches the school's own roll, as
// "Find child" does, by POST; another school's child is never suggested, and
// hostile input is answered with an empty list, never an error page.
func TestChildSearchTypeAhead(t *testing.T) {
	t.Parallel()
	s := newConcernSite(t)
	ctx := context.Background()
	other, err := school.NewService(s.DB.App).Create(ctx, actor.Actor{Role: actor.System}, "castleton", "Castleton Academy")
	if err != nil {
		t.Fatal(err)
	}
	y := pupil.YearGroup(9)
	if _, err := pupil.NewService(s.DB.App).AddToRoll(ctx, actor.SystemIn(other.ID), []pupil.NewChild{
		{FirstName: "Amara", LastName: "Okonkwo", YearGroup: &y, UPN: "A123456789012"},
	}); err != nil {
		t.Fatal(err)
	}
	c := s.staffClient(t, "sam@brookfield.test")
	ask := func(t *testing.T, q string) childSuggestions {
		t.Helper()
		r := c.PostForm("/concerns/children", url.Values{"q": {q}})
		if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("POST /concerns/children q=%q: %d %s\n%s", q, r.Status, r.Header.Get("Content-Type"), r.Body)
		}
		var got childSuggestions
		if err := json.Unmarshal([]byte(r.Body), &got); err != nil {
			t.Fatalf("q=%q: %v\n%s", q, err, r.Body)
		}
		return got
	}

	t.Run("part of a name lists the school's matching children", func(t *testing.T) {
		got := ask(t, "okaf")
		if len(got.Children) != 1 || got.Children[0].ID != s.amara.ID || got.Children[0].Name != "Amara Okafor" || got.More {
			t.Errorf("got %+v, want Amara Okafor alone", got)
		}
	})
	t.Run("a child of another school is never suggested", func(t *testing.T) {
		for _, q := range []string{"amara", "okonkwo", "A123456789012", "ok"} {
			for _, ch := range ask(t, q).Children {
				if ch.ID != s.amara.ID {
					t.Errorf("q=%q suggests %+v, who is not on this school's roll", q, ch)
				}
			}
		}
	})
	t.Run("hostile input is an empty list", func(t *testing.T) {
		for _, q := range []string{"", "   ", "%", "_", "' OR 1=1 --", "a\x00b", "Amara\u202eOkafor", "\xff\xfe",
			strings.Repeat("a", 5000), strings.Repeat("a ", 400), "<script>alert(1)</script>"} {
			if got := ask(t, q); len(got.Children) != 0 {
				t.Errorf("q=%q suggests %+v", q, got.Children)
			}
		}
	})
	t.Run("a name in the URL is not a search", func(t *testing.T) {
		r := c.Get("/concerns/children?q=amara")
		if r.Status == http.StatusOK || strings.Contains(r.Body, "Okafor") {
			t.Errorf("GET /concerns/children?q=amara = %d\n%s", r.Status, r.Body)
		}
	})
	t.Run("signed out, nothing is suggested", func(t *testing.T) {
		r := s.Client(t).PostForm("/concerns/children", url.Values{"q": {"amara"}})
		if r.Status == http.StatusOK || strings.Contains(r.Body, "Okafor") {
			t.Errorf("signed out: %d\n%s", r.Status, r.Body)
		}
	})
}

// Every child-search picker finds the school's children by name and answers
// a name that cannot be searched with a problem beside its box (422), never
// an error page: the concern form's "Find child" and "Submit concern" with
// a name typed but not looked up, a concern about an adult, a police
// notification, a sibling, a subject access request and a transfer.
func TestEveryChildPickerSearchesTheRoll(t *testing.T) {
	t.Parallel()
	s := newConcernSite(t)
	staff := s.staffClient(t, "sam@brookfield.test")
	dsl := signInWithCode(t, s.site, "dsl@brookfield.test", s.enrol(t, userID(t, s.site, "dsl@brookfield.test")))
	pickers := []struct {
		name    string
		c       *apptest.Client
		path    string
		action  string
		box     string // the name of the picker's search box
		problem string // what the page says of a name that cannot be searched
	}{
		{"concern form, Find child", staff, "/concerns", "find", "q", "cannot be stored"},
		{"concern form, Submit concern", staff, "/concerns", "submit", "q", "cannot be stored"},
		{"concern about an adult", staff, "/allegations", "find", "child_q", "name or UPN to search the roll"},
		{"police notification", dsl, "/encompass", "find", "child_q", "name or UPN to search the roll"},
		{"sibling", dsl, paths.Child(s.ben.ID) + "/siblings", "", "q", "cannot be stored"},
		{"subject access request", dsl, "/sar/find", "", "q", "cannot be stored"},
		{"transfer", dsl, "/transfers/find", "", "q", "cannot be stored"},
	}
	for _, p := range pickers {
		t.Run(p.name, func(t *testing.T) {
			post := func(q string) apptest.Response {
				v := url.Values{p.box: {q}}
				if p.action != "" {
					v.Set("action", p.action)
				}
				return p.c.PostForm(p.path, v)
			}
			if r := post("okaf"); !strings.Contains(visible(r.Body), "Amara Okafor") {
				t.Errorf("searching okaf: %d, Amara Okafor not listed:\n%s", r.Status, visible(r.Body))
			}
			r := post("Ama\tra")
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(visible(r.Body), p.problem) {
				t.Errorf("a name with a tab: %d, want 422 saying %q:\n%s", r.Status, p.problem, visible(r.Body))
			}
		})
	}
}
