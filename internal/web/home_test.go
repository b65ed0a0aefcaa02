package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/havenschools/haven/internal/actor"
)

// After signing in, the start page leads straight to "Report a concern"
// (on a phone the navigation is folded behind "Menu"), and to the person's
// other pages; signed out, it offers "Sign in".
func TestHomeLeadsToReportingOnceSignedIn(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	s.person(t, "teacher@brookfield.test", actor.Staff)

	c := s.Client(t)
	out := c.Get("/")
	if out.Status != http.StatusOK || !strings.Contains(out.Body, `href="/sign-in"`) || strings.Contains(out.Body, `href="/concerns/new"`) {
		t.Errorf("signed out, / = %d and does not offer just Sign in", out.Status)
	}
	expectRedirect(t, signIn(t, c, "teacher@brookfield.test", password), "/")
	in := c.Get("/")
	main := in.Body[strings.Index(in.Body, `id="main-content"`):]
	if !strings.Contains(main, `href="/concerns/new" role="button"`) || !strings.Contains(main, ">Report a concern") {
		t.Error("signed in, the start page has no Report a concern button in its main content")
	}
	if !strings.Contains(main, `href="/my-concerns"`) {
		t.Error("signed in, the start page does not link My concerns")
	}
	if strings.Contains(main, `href="/sign-in"`) {
		t.Error("signed in, the start page still offers Sign in")
	}
}
