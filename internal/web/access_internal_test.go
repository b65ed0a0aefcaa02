package web

import (
	"net/http"
	"slices"
	"testing"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/auth"
	"github.com/havenschools/haven/web/layout"
)

func TestSafeNext(t *testing.T) {
	t.Parallel()
	good := []string{"/", "/account", "/admin/users/12?tab=role", "/concerns/C-2026-000123#top", "/a%20b"}
	bad := []string{"", "account", "//evil.example", "///evil.example", "/\\evil.example", "\\\\evil.example",
		"https://evil.example/", "http:/evil.example", "javascript:alert(1)", "/%2F%2Fevil.example", "/%2fevil.example",
		"%2F%2Fevil.example", "/%5Cevil.example", "/%5cevil.example", "/%252F%252Fevil.example",
		"/\t/evil.example", "/\n/evil.example", "/ /evil.example", "/%09/evil.example", "/%0d%0aLocation:x",
		"/%zz", "/" + string(make([]byte, 2001))}
	for _, p := range good {
		if got := safeNext(p); got != p {
			t.Errorf("safeNext(%q) = %q, want it kept", p, got)
		}
	}
	for _, p := range bad {
		if got := safeNext(p); got != "" {
			t.Errorf("safeNext(%q) = %q, want it refused", p, got)
		}
	}
}

// TestNavFor checks every role's menu: a short primary row ending in
// "More", every link one the route table lets the role open, each
// page listed once, and the pages a DSL may now use (the roll import)
// reachable.
func TestNavFor(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		role    actor.Role
		chair   bool
		primary []string
		more    []string // some of the links under More
	}{
		{actor.Staff, false, []string{"Report a concern", "My concerns", "Your account"}, nil},
		{actor.Staff, true, []string{"Concerns about adults", "Audit log", "Report a concern", "My concerns", "Your account"}, nil},
		{actor.DSL, false, []string{"Safeguarding queue", "My tasks", "Report a concern", "More"},
			[]string{"Dashboard", "Operation Encompass", "Transfers", "My concerns", "Import the roll", "Exports", "Retention", "Subject access", "Audit log", "Role requests", "Your account"}},
		{actor.Head, false, []string{"Concerns about adults", "Report a concern", "More"},
			[]string{"My concerns", "Exports", "Retention", "Subject access", "Audit log", "Role requests", "Your account"}},
		{actor.Admin, false, []string{"Users", "School settings", "Exports", "Audit log", "Report a concern", "More"},
			[]string{"My concerns", "Import the roll", "Retention", "Subject access", "Your account"}},
	} {
		t.Run(string(tc.role), func(t *testing.T) {
			primary, more := navFor(tc.role, tc.chair, "/queue")
			var got []string
			seen := map[string]bool{}
			check := func(it layout.NavItem) {
				if seen[it.Href] {
					t.Errorf("%s is listed twice", it.Href)
				}
				seen[it.Href] = true
				if rule, ok := RuleFor(http.MethodGet, it.Href); !ok || !rule.Allows(auth.InSchool, tc.role) {
					t.Errorf("the menu offers %s, which the route table refuses a %s", it.Href, tc.role)
				}
			}
			for _, it := range primary {
				got = append(got, it.Text)
				check(it)
			}
			if !slices.Equal(got, tc.primary) {
				t.Errorf("primary row = %q, want %q", got, tc.primary)
			}
			var under []string
			for _, g := range more {
				if g.Heading == "" || len(g.Items) == 0 {
					t.Errorf("group %+v: want a heading and links", g)
				}
				for _, it := range g.Items {
					under = append(under, it.Text)
					check(it)
				}
			}
			for _, want := range tc.more {
				if !slices.Contains(under, want) {
					t.Errorf("More lists %q, want %q among them", under, want)
				}
			}
		})
	}
	t.Run("More is current on the pages it lists", func(t *testing.T) {
		primary, _ := navFor(actor.DSL, false, "/retention/12")
		if last := primary[len(primary)-1]; last.Text != "More" || !last.Current || last.Page {
			t.Errorf("last item = %+v, want More, current but not this page", last)
		}
		primary, _ = navFor(actor.DSL, false, "/menu")
		if last := primary[len(primary)-1]; !last.Current || !last.Page {
			t.Errorf("on /menu, More = %+v, want it current and this page", last)
		}
	})
}
