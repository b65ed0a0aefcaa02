package auth

import (
	"slices"

	"github.com/havenschools/haven/internal/actor"
)

// Stage is how far a request's session has got through signing in.
type Stage int

// The stages, in order. A route's rule names the stage it needs.
const (
	// Anonymous: no session, or one that has ended.
	Anonymous Stage = iota
	// PasswordChecked: the password was right; the second factor is
	// still to be checked or enrolled.
	PasswordChecked
	// SignedIn: fully signed in, but no school chosen yet.
	SignedIn
	// InSchool: fully signed in and working in a school, with a role.
	InSchool
)

// Rule is who may use a route: everyone (Public), someone at least at a
// stage of signing in, or a member of the current school with one of Roles.
type Rule struct {
	Public bool
	Stage  Stage
	Roles  []actor.Role // with Stage InSchool: nil means any role
}

// The rules routes use.
var (
	// Public: anyone, signed in or not (the sign-in pages, probes, static files).
	Public = Rule{Public: true}
	// SecondFactorStep: the second-factor pages, reachable once the
	// password was right.
	SecondFactorStep = Rule{Stage: PasswordChecked}
	// ChoosingSchool: fully signed in; no school needed yet.
	ChoosingSchool = Rule{Stage: SignedIn}
	// AnyMember: signed in to a school, whatever the role.
	AnyMember = Rule{Stage: InSchool}
)

// Roles is the rule for members of the current school with one of roles.
func Roles(roles ...actor.Role) Rule { return Rule{Stage: InSchool, Roles: roles} }

// Allows reports whether a session at stage, with role in the current
// school (when at InSchool), may use a route with this rule. A route that
// needs an earlier stage is open to later stages too.
func (r Rule) Allows(stage Stage, role actor.Role) bool {
	if r.Public {
		return true
	}
	if stage < r.Stage {
		return false
	}
	return len(r.Roles) == 0 || slices.Contains(r.Roles, role)
}

// routes is Haven's permission table: the access rule of every route in
// internal/web/routes.go, keyed "METHOD /pattern" exactly as chi registers
// it ("*" for every method). It is the one statement of who may do what; the web layer's access
// middleware enforces it on every request (a route missing from it is
// refused), and a test walks the router and fails for any route without a
// rule here, or any rule without a route.
//
// Adding a route: add its rule here in the same commit.
var routes = map[string]Rule{
	// Probes, static files and public pages.
	"GET /healthz":       Public,
	"GET /readyz":        Public,
	"* /static/*":        Public, // any method: the file server answers GET and HEAD, 405 otherwise
	"GET /":              Public,
	"GET /accessibility": Public,

	// Signing in and out (internal/web/auth.go).
	"GET /sign-in":                 Public,
	"POST /sign-in":                Public,
	"POST /sign-out":               Public, // ends whatever session there is
	"GET /sign-in/security-code":   SecondFactorStep,
	"POST /sign-in/security-code":  SecondFactorStep,
	"GET /sign-in/recovery-code":   SecondFactorStep,
	"POST /sign-in/recovery-code":  SecondFactorStep,
	"GET /two-factor/setup":        SecondFactorStep,
	"GET /two-factor/qr.png":       SecondFactorStep,
	"POST /two-factor/setup":       SecondFactorStep,
	"GET /choose-school":           ChoosingSchool,
	"POST /choose-school":          ChoosingSchool,
	"GET /forgot-password":         Public,
	"POST /forgot-password":        Public,
	"GET /reset-password/{token}":  Public,
	"POST /reset-password/{token}": Public,
	"GET /set-password/{token}":    Public,
	"POST /set-password/{token}":   Public,
	"GET /invitations/{token}":     Public,
	// The receiving school's DSL confirms receipt of a child's file by a
	// one-time link (internal/web/transfers.go).
	"GET /transfers/receipt/{token}":  Public,
	"POST /transfers/receipt/{token}": Public,
	"POST /invitations/{token}":       Public,

	// The signed-in person's own account (internal/web/account.go).
	"GET /account":           AnyMember,
	"GET /menu":              AnyMember, // "More": the rest of the person's menu (internal/web/pages.go)
	"POST /account/password": AnyMember,

	// Reporting a concern, for every member of a school; each person sees
	// only their own concerns, drafts and files (internal/web/concern.go).
	"GET /concerns/new":                          AnyMember,
	"POST /concerns":                             AnyMember,
	"GET /concerns/drafts/{submission}":          AnyMember,
	"GET /concerns/drafts/{submission}/discard":  AnyMember,
	"POST /concerns/drafts/{submission}/discard": AnyMember,
	"POST /concerns/draft":                       AnyMember,
	"POST /concerns/children":                    AnyMember,
	"POST /concerns/status":                      AnyMember,
	"GET /concerns/{ref}/submitted":              AnyMember,
	"GET /concerns/{ref}":                        AnyMember,
	"POST /concerns/{ref}/addenda":               AnyMember,
	"GET /my-concerns":                           AnyMember,
	"GET /attachments/{id}":                      AnyMember,

	// The DSL's work (internal/web/triage.go and child.go): DSLs and
	// deputy DSLs only. "GET /concerns/{ref}" above shows a DSL this
	// concern's page, and its author what they recorded.
	"GET /queue":                                    Roles(actor.DSL),
	"GET /queue/new":                                Roles(actor.DSL),
	"GET /queue/events":                             Roles(actor.DSL),
	"POST /concerns/{ref}/acknowledge":              Roles(actor.DSL),
	"POST /concerns/{ref}/assign":                   Roles(actor.DSL),
	"POST /concerns/{ref}/urgency":                  Roles(actor.DSL),
	"POST /concerns/{ref}/categories":               Roles(actor.DSL),
	"POST /concerns/{ref}/links":                    Roles(actor.DSL),
	"GET /concerns/{ref}/decision":                  Roles(actor.DSL),
	"POST /concerns/{ref}/decision":                 Roles(actor.DSL),
	"GET /concerns/{ref}/action":                    Roles(actor.DSL),
	"POST /concerns/{ref}/action":                   Roles(actor.DSL),
	"POST /concerns/{ref}/actions/{id}/feedback":    Roles(actor.DSL),
	"GET /concerns/{ref}/close":                     Roles(actor.DSL),
	"POST /concerns/{ref}/close":                    Roles(actor.DSL),
	"GET /concerns/{ref}/reopen":                    Roles(actor.DSL),
	"POST /concerns/{ref}/reopen":                   Roles(actor.DSL),
	"GET /concerns/{ref}/entered-in-error":          Roles(actor.DSL),
	"POST /concerns/{ref}/entered-in-error":         Roles(actor.DSL),
	"GET /concerns/{ref}/access":                    Roles(actor.DSL),
	"POST /concerns/{ref}/access":                   Roles(actor.DSL),
	"GET /tasks":                                    Roles(actor.DSL),
	"POST /tasks/{id}/done":                         Roles(actor.DSL),
	"GET /tasks/{id}/chase":                         Roles(actor.DSL),
	"POST /tasks/{id}/chase":                        Roles(actor.DSL),
	"POST /away":                                    Roles(actor.DSL),
	"POST /away/back":                               Roles(actor.DSL),
	"GET /dashboard":                                Roles(actor.DSL),
	"GET /children/{id}":                            Roles(actor.DSL),
	"GET /children/{id}/details":                    Roles(actor.DSL),
	"POST /children/{id}/details":                   Roles(actor.DSL),
	"POST /children/{id}/flags/{kind}/acknowledge":  Roles(actor.DSL),
	"POST /children/{id}/siblings":                  Roles(actor.DSL),
	"POST /children/{id}/siblings/{sibling}/remove": Roles(actor.DSL),
	"GET /children/{id}/chronology":                 Roles(actor.DSL),
	"GET /children/{id}/chronology/print":           Roles(actor.DSL),

	// Role requests: decided by a DSL or the head (internal/web/admin.go).
	"GET /role-requests":               Roles(actor.DSL, actor.Head),
	"POST /role-requests/{id}/approve": Roles(actor.DSL, actor.Head),
	"POST /role-requests/{id}/reject":  Roles(actor.DSL, actor.Head),

	// Exports (internal/web/records.go): admins, DSLs and the head ask;
	// the DSL team approves and sets whether admins need approval; only the
	// person who asked downloads (checked by the records service).
	"GET /exports":               Roles(actor.Admin, actor.DSL, actor.Head),
	"POST /exports":              Roles(actor.Admin, actor.DSL, actor.Head),
	"GET /exports/{id}":          Roles(actor.Admin, actor.DSL, actor.Head),
	"GET /exports/{id}/download": Roles(actor.Admin, actor.DSL, actor.Head),
	"POST /exports/settings":     Roles(actor.DSL, actor.Head),
	"POST /exports/{id}/approve": Roles(actor.DSL, actor.Head),
	"POST /exports/{id}/reject":  Roles(actor.DSL, actor.Head),

	// Importing the roll (internal/web/pupils.go): admins and DSLs.
	"GET /pupils/import":       Roles(actor.Admin, actor.DSL),
	"POST /pupils/import":      Roles(actor.Admin, actor.DSL),
	"GET /pupils/import/{id}":  Roles(actor.Admin, actor.DSL),
	"POST /pupils/import/{id}": Roles(actor.Admin, actor.DSL),

	// A child's file, transfers and files received from another Haven
	// (internal/web/transfers.go): DSLs only.
	"GET /children/{id}/file":          Roles(actor.DSL),
	"POST /children/{id}/file":         Roles(actor.DSL),
	"GET /children/{id}/transfers/new": Roles(actor.DSL),
	"POST /children/{id}/transfers":    Roles(actor.DSL),
	"GET /transfers":                   Roles(actor.DSL),
	"POST /transfers/find":             Roles(actor.DSL),
	"GET /transfers/{id}":              Roles(actor.DSL),
	"POST /transfers/{id}/sent":        Roles(actor.DSL),
	"GET /received/import":             Roles(actor.DSL),
	"POST /received":                   Roles(actor.DSL),
	"GET /received/{id}":               Roles(actor.DSL),

	// Subject access requests (internal/web/sar.go): DSLs start them; a
	// DSL and the data protection lead named on a request review it (the
	// records service answers 404 to anyone else).
	"POST /sar/find":                    Roles(actor.DSL),
	"GET /children/{id}/sar/new":        Roles(actor.DSL),
	"POST /children/{id}/sar":           Roles(actor.DSL),
	"GET /sar":                          Roles(actor.DSL, actor.Head, actor.Admin),
	"GET /sar/{id}":                     Roles(actor.DSL, actor.Head, actor.Admin),
	"GET /sar/{id}/bundle":              Roles(actor.DSL, actor.Head, actor.Admin),
	"GET /sar/{id}/bundle.pdf":          Roles(actor.DSL, actor.Head, actor.Admin),
	"POST /sar/{id}/passages/{passage}": Roles(actor.DSL, actor.Head, actor.Admin),
	"POST /sar/{id}/disclose":           Roles(actor.DSL, actor.Head, actor.Admin),

	// The retention review (internal/web/retention.go): DSLs, the head and
	// admins see it; a DSL and an admin sign a deletion off (the records
	// service refuses the head); DSLs and the head keep or mark records.
	"GET /retention":                         Roles(actor.Admin, actor.DSL, actor.Head),
	"GET /retention/{child}":                 Roles(actor.Admin, actor.DSL, actor.Head),
	"POST /retention/{child}/sign-off":       Roles(actor.Admin, actor.DSL, actor.Head),
	"POST /retention/{child}/do-not-destroy": Roles(actor.DSL, actor.Head),
	"POST /retention/{child}/keep":           Roles(actor.DSL, actor.Head),

	// The audit log (internal/web/audit.go): the DSL team and admins read
	// the school's, less the entries about concerns about adults; the head,
	// and the chair of governors whatever their role, read only the entries
	// about the concerns about adults they handle. The audit service
	// answers 404 to anyone else.
	"GET /audit": AnyMember,

	// Concerns about adults (internal/web/allegation.go): any member may
	// report one; every other page is for the record's handler — the head,
	// or the school's chair of governors (a setting, whatever their role)
	// for records about the head — and the allegation service answers 404
	// to anyone else, the record's subject included, whatever their role.
	"GET /allegations/new":                AnyMember,
	"POST /allegations":                   AnyMember,
	"GET /allegations/{ref}/submitted":    AnyMember, // the reporter's receipt only
	"GET /allegations":                    AnyMember,
	"GET /allegations/low-level":          AnyMember,
	"POST /allegations/low-level/reviews": AnyMember,
	"POST /allegations/people/merge":      AnyMember, // the handler merges two people into one
	"POST /allegations/people/separate":   AnyMember,
	"GET /allegations/retention":          AnyMember, // heads, admins and the chair of governors
	"GET /allegations/{ref}":              AnyMember,
	"POST /allegations/{ref}/acknowledge": AnyMember,
	"POST /allegations/{ref}/kind":        AnyMember,
	"POST /allegations/{ref}/lado":        AnyMember,
	"POST /allegations/{ref}/actions":     AnyMember,
	"POST /allegations/{ref}/outcome":     AnyMember,
	"POST /allegations/{ref}/left":        AnyMember,
	"POST /allegations/{ref}/keep":        AnyMember,
	"POST /allegations/{ref}/hold":        AnyMember, // its handler (the head, or the chair); the service answers 404 to anyone else
	"POST /allegations/{ref}/sign-off":    AnyMember, // the handler, then a head, admin or chair

	// Operation Encompass notifications, for DSLs (internal/web/encompass.go);
	// each notification's restriction is checked by the encompass service.
	"GET /encompass":               Roles(actor.DSL),
	"GET /encompass/new":           Roles(actor.DSL),
	"POST /encompass":              Roles(actor.DSL),
	"GET /encompass/{ref}":         Roles(actor.DSL),
	"POST /encompass/{ref}/access": Roles(actor.DSL),

	// Admin: users and school settings (internal/web/admin.go).
	"GET /admin/users":                       Roles(actor.Admin),
	"GET /admin/users/invite":                Roles(actor.Admin),
	"POST /admin/users/invite":               Roles(actor.Admin),
	"GET /admin/users/{id}":                  Roles(actor.Admin),
	"POST /admin/users/{id}/role":            Roles(actor.Admin),
	"POST /admin/users/{id}/deactivate":      Roles(actor.Admin),
	"POST /admin/users/{id}/reactivate":      Roles(actor.Admin),
	"POST /admin/users/{id}/reset-2fa":       Roles(actor.Admin),
	"GET /admin/audit":                       Roles(actor.Admin), // the audit log's old address: redirects to /audit
	"GET /admin/settings":                    Roles(actor.Admin),
	"POST /admin/settings":                   Roles(actor.Admin),
	"GET /admin/settings/terms":              Roles(actor.Admin),
	"POST /admin/settings/terms":             Roles(actor.Admin),
	"POST /admin/settings/terms/year":        Roles(actor.Admin),
	"POST /admin/settings/terms/{id}/delete": Roles(actor.Admin),
	"GET /admin/settings/allegations":        Roles(actor.Admin), // rules for concerns about adults (allegation.go)
	"POST /admin/settings/allegations":       Roles(actor.Admin),
}

// RuleFor returns the rule of the route method pattern (as chi names it),
// or of "* pattern" for a route registered for every method, and false when
// the route has none — which the web layer treats as "no one may use it".
func RuleFor(method, pattern string) (Rule, bool) {
	if r, ok := routes[method+" "+pattern]; ok {
		return r, true
	}
	r, ok := routes["* "+pattern]
	return r, ok
}

// RouteKeys lists every "METHOD /pattern" with a rule, for the test that
// compares the table with the router.
func RouteKeys() []string {
	keys := make([]string, 0, len(routes))
	for k := range routes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
