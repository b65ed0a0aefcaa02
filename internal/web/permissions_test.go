package web_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/havenschools/haven/internal/apptest"
	"github.com/havenschools/haven/internal/auth"
	"github.com/havenschools/haven/internal/web"
)

// TestEveryRouteHasAnAccessRule walks the router: each route (method and
// pattern) must have a rule in routes.go's table, and each rule a route;
// and each rule must say who may use it — public, or a stage of signing
// in — since a zero auth.Rule would let anyone through.
func TestEveryRouteHasAnAccessRule(t *testing.T) {
	t.Parallel()
	a := apptest.New(t)
	routes, ok := a.Web.Routes().(chi.Routes)
	if !ok {
		t.Fatal("Routes does not return a chi.Routes")
	}
	var walked []string
	err := chi.Walk(routes, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		key := method + " " + route
		walked = append(walked, key)
		if _, ok := web.RuleFor(method, route); !ok {
			t.Errorf("%s has no access rule: give it one in internal/web/routes.go", key)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range web.RouteKeys() {
		if pattern, ok := strings.CutPrefix(key, "* "); ok {
			if !slices.ContainsFunc(walked, func(w string) bool { return strings.HasSuffix(w, " "+pattern) }) {
				t.Errorf("routes.go has a rule for %s, which the router does not serve", key)
			}
			continue
		}
		if !slices.Contains(walked, key) {
			t.Errorf("routes.go has a rule for %s, which the router does not serve", key)
		}
	}
	for _, key := range web.RouteKeys() {
		method, pattern, _ := strings.Cut(key, " ")
		if rule, _ := web.RuleFor(method, pattern); !rule.Public && rule.Stage == auth.Anonymous {
			t.Errorf("%s has a zero rule: say who may use it (auth.Public, auth.AnyMember, auth.Roles(…))", key)
		}
	}
	if len(walked) < 30 {
		t.Errorf("only %d routes walked", len(walked))
	}
}

// TestSignedOutVisitorsReachOnlyPublicRoutes requests every route of the
// table without a session: public ones answer, the others send to sign-in.
func TestSignedOutVisitorsReachOnlyPublicRoutes(t *testing.T) {
	t.Parallel()
	a := apptest.New(t)
	for _, key := range web.RouteKeys() {
		method, pattern, _ := strings.Cut(key, " ")
		rule, _ := web.RuleFor(method, pattern)
		path := strings.NewReplacer("{id}", "1", "{token}", "not-a-token", "*", "css/haven.css").Replace(pattern)
		c := a.Client(t)
		var r apptest.Response
		switch method {
		case http.MethodGet, "*":
			r = c.Get(path)
		case http.MethodPost:
			r = c.PostForm(path, url.Values{})
		default:
			req, _ := http.NewRequest(method, a.URL+path, nil)
			r = c.Do(req)
		}
		toSignIn := r.Status == http.StatusSeeOther && r.Location() == "/sign-in"
		if rule.Public && toSignIn && key != "POST /sign-out" { // signing out lands there by design
			t.Errorf("%s is public but sends to sign-in", key)
		}
		if !rule.Public && !toSignIn {
			t.Errorf("%s needs signing in but answered %d (to %q)", key, r.Status, r.Location())
		}
	}
}
