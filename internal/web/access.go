package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/go-chi/chi/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/auth"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/fail"
	"github.com/havenschools/haven/web/layout"
)

// What a session holds. The user's id and session epoch are set at
// sign-in; the second factor once it is checked ("totp", "recovery_code",
// or "none" when none was needed); the school once chosen.
const (
	sessUserID = "user_id"
	sessEpoch  = "epoch"
	sessFactor = "second_factor"
	sessSchool = "school_id"
	sessNext   = "next"
	sessFlash  = "flash"
	// The page a form post redirected to (303), and when, until that page
	// is next opened: its views are then marked as following the person's
	// own action (actor.Source.AfterOwnAction).
	sessAfterPost   = "after_post"
	sessAfterPostAt = "after_post_at"
)

// afterPostFor is how long after a form post its redirect still counts as
// following it: a browser follows a 303 at once; this only keeps a
// redirect that never loaded from marking a later, separate visit.
const afterPostFor = 2 * time.Minute

// signIn is who a request comes from, worked out by identify from the
// session and the database on every request.
type signIn struct {
	Stage   auth.Stage
	Account auth.Account // from PasswordChecked on
	// Actor and Membership are set at auth.InSchool.
	Actor      actor.Actor
	Membership auth.Membership
}

type signInKey struct{}

// signInFrom returns the request's signIn (anonymous without identify).
func signInFrom(r *http.Request) signIn {
	si, _ := r.Context().Value(signInKey{}).(signIn)
	return si
}

// actorFrom returns who is acting: the signed-in user in their current
// school with their role there, and where the request came from. Behind
// requireUser it always has a user and a school.
func actorFrom(r *http.Request) actor.Actor {
	return signInFrom(r).Actor
}

// identify works out who the request comes from: it loads the session's
// account and checks its session epoch (a changed epoch — deactivation,
// role change, password or second-factor change — ends the session on its
// next request) and that the person still has an active membership. It
// puts the result in the context for the guards and handlers, and the page
// frame (school name, navigation, sign out, one-time message) for templates.
func (s *Server) identify(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		si, err := s.loadSignIn(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if si.Stage == auth.InSchool {
			switch r.Method {
			case http.MethodGet:
				si.Actor.Source.AfterOwnAction = s.afterOwnPost(r)
			case http.MethodPost:
				w = &postRedirectWriter{ResponseWriter: w, mark: func(path string) {
					s.sessions.Put(r.Context(), sessAfterPost, path)
					s.sessions.Put(r.Context(), sessAfterPostAt, time.Now().Unix())
				}}
			}
		}
		ctx := context.WithValue(r.Context(), signInKey{}, si)
		ctx = layout.WithChrome(ctx, s.chrome(r, si))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// afterOwnPost reports whether a GET is the page the person's last form
// post redirected them to, opened for the first time since (and soon
// after). Other requests in between (a page's polling) leave the mark.
func (s *Server) afterOwnPost(r *http.Request) bool {
	ctx := r.Context()
	path := s.sessions.GetString(ctx, sessAfterPost)
	if path == "" || path != r.URL.Path {
		return false
	}
	at := time.Unix(s.sessions.GetInt64(ctx, sessAfterPostAt), 0)
	s.sessions.Remove(ctx, sessAfterPost)
	s.sessions.Remove(ctx, sessAfterPostAt)
	return time.Since(at) < afterPostFor
}

// postRedirectWriter is a form post's response: when it redirects (303)
// to a page of Haven, mark is given that page's path. It sits inside the
// session middleware, so the mark is saved with the session.
type postRedirectWriter struct {
	http.ResponseWriter
	mark    func(path string)
	written bool
}

func (w *postRedirectWriter) WriteHeader(code int) {
	if !w.written && code == http.StatusSeeOther {
		if u, err := url.Parse(w.Header().Get("Location")); err == nil && u.Host == "" && strings.HasPrefix(u.Path, "/") {
			w.mark(u.Path)
		}
	}
	w.written = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *postRedirectWriter) Write(b []byte) (int, error) {
	w.written = true
	return w.ResponseWriter.Write(b)
}

func (w *postRedirectWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *Server) loadSignIn(r *http.Request) (signIn, error) {
	ctx := r.Context()
	uid := s.sessions.GetInt64(ctx, sessUserID)
	if uid == 0 {
		return signIn{Stage: auth.Anonymous}, nil
	}
	a, err := s.auth.Account(ctx, uid)
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		return signIn{}, err
	}
	if err != nil || a.Epoch != s.sessions.GetInt(ctx, sessEpoch) || len(a.Schools) == 0 {
		// The session is over: destroyed on the server, so its cookie is
		// worth nothing even if replayed.
		if err := s.sessions.Destroy(ctx); err != nil {
			return signIn{}, err
		}
		return signIn{Stage: auth.Anonymous}, nil
	}
	si := signIn{Stage: auth.PasswordChecked, Account: a}
	factor := s.sessions.GetString(ctx, sessFactor)
	if factor == "" || (a.NeedsSecondFactor && factor == "none") {
		return si, nil
	}
	m, ok := a.In(s.sessions.GetInt64(ctx, sessSchool))
	if !ok {
		si.Stage = auth.SignedIn
		return si, nil
	}
	si.Stage, si.Membership = auth.InSchool, m
	si.Actor = actor.Actor{UserID: a.UserID, SchoolID: m.SchoolID, Role: m.Role, Source: s.source(r)}
	return si, nil
}

// chrome is the page frame for a request: the school and navigation once in
// a school, a sign-out button from the password on, and a one-time message
// (taken from the session on pages, not on form posts that redirect).
func (s *Server) chrome(r *http.Request, si signIn) layout.Chrome {
	c := layout.Chrome{SignedIn: si.Stage >= auth.PasswordChecked}
	if r.Method == http.MethodGet {
		c.Flash = s.sessions.PopString(r.Context(), sessFlash)
	}
	if si.Stage != auth.InSchool {
		return c
	}
	c.UserName = si.Account.Name
	c.SchoolName = si.Membership.SchoolName
	c.CanSwitchSchool = len(si.Account.Schools) > 1
	c.Nav, c.More = navFor(si.Actor.Role, si.Membership.ChairOfGovernors, r.URL.Path)
	return c
}

// navFor is the navigation of a role (and of the school's chair of
// governors, who receives concerns about the head): a short primary row of
// the role's daily work, then "More" (GET /menu) listing everything else
// under headings. A link is offered only when the route table lets the
// role open it, so a page opened to a role later appears in its menu then.
// Current marks the page of path (or a page under it); "More" is current
// on the menu page and on every page it lists.
func navFor(role actor.Role, chair bool, path string) (primary []layout.NavItem, more []layout.NavGroup) {
	allowed := func(href string) bool {
		rule, ok := RuleFor(http.MethodGet, href)
		return ok && rule.Allows(auth.InSchool, role)
	}
	under := func(href string) bool { return path == href || strings.HasPrefix(path, href+"/") }
	add := func(text, href string) {
		if allowed(href) {
			primary = append(primary, layout.NavItem{Text: text, Href: href, Current: under(href), Page: path == href})
		}
	}
	var group *layout.NavGroup
	heading := func(text string) {
		more = append(more, layout.NavGroup{Heading: text})
		group = &more[len(more)-1]
	}
	item := func(text, href string) {
		if allowed(href) {
			group.Items = append(group.Items, layout.NavItem{Text: text, Href: href, Current: under(href), Page: path == href})
		}
	}
	adults := role == actor.Head || chair

	switch role {
	case actor.DSL:
		add("Safeguarding queue", "/queue")
		add("My tasks", "/tasks")
	case actor.Admin:
		add("Users", "/admin/users")
		add("School settings", "/admin/settings")
		add("Exports", "/exports")
		add("Audit log", "/audit")
	}
	if adults {
		add("Concerns about adults", "/allegations")
		if role == actor.Staff { // a chair of governors who is staff: their part of the log
			add("Audit log", "/audit")
		}
	}
	add("Report a concern", "/concerns/new")
	if role == actor.Staff {
		add("My concerns", "/my-concerns")
	}

	if role != actor.Staff {
		heading("Casework")
		if role == actor.DSL {
			item("Dashboard", "/dashboard")
			item("Operation Encompass", "/encompass")
			item("Transfers", "/transfers")
		}
		item("My concerns", "/my-concerns")
		heading("Records")
		item("Import the roll", "/pupils/import")
		if role != actor.Admin {
			item("Exports", "/exports")
		}
		item("Retention", "/retention")
		item("Subject access", "/sar")
		if role == actor.DSL || adults { // the admin's is in the top row; the head's and chair's is their part
			item("Audit log", "/audit")
		}
		heading("People")
		item("Role requests", "/role-requests")
	}
	heading("You")
	item("Your account", "/account")
	more = slices.DeleteFunc(more, func(g layout.NavGroup) bool { return len(g.Items) == 0 })

	if role == actor.Staff && len(more) == 1 {
		// Three links need no second page.
		primary = append(primary, more[0].Items...)
		return primary, nil
	}
	current := path == "/menu"
	for _, g := range more {
		for _, it := range g.Items {
			current = current || it.Current
		}
	}
	primary = append(primary, layout.NavItem{Text: "More", Href: "/menu", Current: current, Page: path == "/menu"})
	return primary, more
}

// requireUser lets a request through only when the matched route's rule
// in routes.go (RuleFor) allows its session: a route without a rule is
// refused. Someone not far enough through signing in is sent to
// the next step (sign in, second factor, choose a school) and comes back
// afterwards; someone whose role the rule excludes gets 403.
func (s *Server) requireUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pattern := chi.RouteContext(r.Context()).RoutePattern()
		rule, ok := RuleFor(r.Method, pattern)
		if !ok {
			s.log.ErrorContext(r.Context(), "route has no access rule in routes.go",
				"method", r.Method, "route", pattern)
			s.fail(w, r, fail.Forbidden)
			return
		}
		si := signInFrom(r)
		if rule.Allows(si.Stage, si.Actor.Role) {
			next.ServeHTTP(w, r)
			return
		}
		if si.Stage < rule.Stage {
			s.nextStep(w, r, si)
			return
		}
		s.fail(w, r, fail.Forbidden)
	})
}

// nextStep sends someone part-way through signing in to their next step.
// A GET remembers where they were going, to return there afterwards.
func (s *Server) nextStep(w http.ResponseWriter, r *http.Request, si signIn) {
	if r.Method == http.MethodGet && si.Stage != auth.PasswordChecked {
		if next := safeNext(r.URL.RequestURI()); next != "" {
			s.sessions.Put(r.Context(), sessNext, next)
		}
	}
	switch si.Stage {
	case auth.Anonymous:
		http.Redirect(w, r, "/sign-in", http.StatusSeeOther)
	case auth.PasswordChecked:
		http.Redirect(w, r, secondFactorPath(si.Account), http.StatusSeeOther)
	default:
		http.Redirect(w, r, "/choose-school", http.StatusSeeOther)
	}
}

// secondFactorPath is the page where a person passes their second factor:
// the code page, or enrolment when they have none yet.
func secondFactorPath(a auth.Account) string {
	if a.Enrolled {
		return "/sign-in/security-code"
	}
	return "/two-factor/setup"
}

// safeNext returns raw when it is a path on this site, safe to redirect to
// after signing in, and "" otherwise. Only a path starting with one "/" is
// accepted: never "//host" or "/\host" (browsers read both as another
// site), a scheme, a backslash or control character anywhere, nor any of
// these disguised by percent-encoding.
func safeNext(raw string) string {
	if len(raw) == 0 || len(raw) > 2000 {
		return ""
	}
	check := func(p string, spaceOK bool) bool {
		if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsRune(p, '\\') {
			return false
		}
		// Browsers drop tabs and line breaks from URLs, so "/\t/host" is "//host".
		return strings.IndexFunc(p, func(r rune) bool { return unicode.IsControl(r) || (!spaceOK && unicode.IsSpace(r)) }) < 0
	}
	if !check(raw, false) {
		return ""
	}
	// Percent-encoding must not hide any of the above, even decoded twice.
	decoded := raw
	for range 2 {
		d, err := url.PathUnescape(decoded)
		if err != nil || !check(d, true) {
			return ""
		}
		decoded = d
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return ""
	}
	return raw
}
