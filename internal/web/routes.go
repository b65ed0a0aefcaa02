package web

import (
	"io/fs"
	"net/http"
	"slices"
	"sync"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/auth"
	"github.com/havenschools/haven/internal/fail"
	"github.com/havenschools/haven/web/static"
)

// route is one line of Haven's URL surface: its method ("*" for every
// method) and chi pattern, who may use it (a rule in auth's vocabulary),
// its handler, and the kind of request body it takes.
type route struct {
	method, pattern string
	rule            auth.Rule
	handler         http.Handler
	body            body
}

// body is the middleware a route's requests pass through before its rule
// is checked: the session, and the body limit and deadlines that fit it.
type body int

const (
	// formBody: a session, and a form's body limit and deadlines.
	formBody body = iota
	// noSession: neither a session nor a database (probes, static files).
	noSession
	// concernForm: the concern form posts its files with it, so it has an
	// upload's limit and deadlines, and a form posted after its session
	// ended is kept for its author before the rule sends them to sign in.
	concernForm
	// largeBody: an upload's limit and deadlines (a roll CSV, a package),
	// or a download that streams for as long as it takes.
	largeBody
)

func get(pattern string, rule auth.Rule, h http.Handler) route {
	return route{method: http.MethodGet, pattern: pattern, rule: rule, handler: h}
}

func post(pattern string, rule auth.Rule, h http.Handler) route {
	return route{method: http.MethodPost, pattern: pattern, rule: rule, handler: h}
}

func anyMethod(pattern string, rule auth.Rule, h http.Handler) route {
	return route{method: "*", pattern: pattern, rule: rule, handler: h}
}

// takes sets the kind of body the route takes (formBody unless it says).
func (rt route) takes(b body) route { rt.body = b; return rt }

// routes is Haven's whole URL surface, each route declared once with who
// may use it. Routes registers it; requireUser enforces each rule on every
// request; the menu (navFor) and the route-walk tests read the same lines
// through RuleFor. Adding a route is one line here plus its handler.
//
// The rules: auth.Public (anyone), auth.SecondFactorStep (the password was
// right), auth.ChoosingSchool (fully signed in), auth.AnyMember (working in
// a school, any role) and auth.Roles(...) (members with one of the roles).
// A domain service may refuse further (a concern's author, an adult case's
// handler): it answers 404 to anyone else.
func (s *Server) routes() []route {
	return []route{
		// Probes and static files need neither a session nor a database.
		get("/healthz", auth.Public, http.HandlerFunc(s.handleHealthz)).takes(noSession),
		get("/readyz", auth.Public, http.HandlerFunc(s.handleReadyz)).takes(noSession),
		anyMethod("/static/*", auth.Public, s.staticFiles()).takes(noSession),

		// Everything below has a session: identify works out who is
		// signed in, and requireUser enforces the route's rule.
		get("/", auth.Public, s.h(s.handleHome)),
		get("/accessibility", auth.Public, s.h(s.handleAccessibility)),

		// Signing in and out, and the links in emails (auth.go).
		get("/sign-in", auth.Public, s.h(s.handleSignInPage)),
		post("/sign-in", auth.Public, s.h(s.handleSignIn)),
		post("/sign-out", auth.Public, s.h(s.handleSignOut)),
		get("/forgot-password", auth.Public, s.h(s.handleForgotPasswordPage)),
		post("/forgot-password", auth.Public, s.h(s.handleForgotPassword)),
		get("/reset-password/{token}", auth.Public, s.h(s.handlePasswordLinkPage("reset"))),
		post("/reset-password/{token}", auth.Public, s.h(s.handlePasswordLink("reset"))),
		get("/set-password/{token}", auth.Public, s.h(s.handlePasswordLinkPage("set"))),
		post("/set-password/{token}", auth.Public, s.h(s.handlePasswordLink("set"))),
		get("/invitations/{token}", auth.Public, s.h(s.handleInvitationPage)),
		post("/invitations/{token}", auth.Public, s.h(s.handleInvitation)),
		// The receiving school's DSL confirms receipt of a child's file
		// (transfers.go): a one-time link, no account needed.
		get("/transfers/receipt/{token}", auth.Public, s.h(s.handleReceiptPage)),
		post("/transfers/receipt/{token}", auth.Public, s.h(s.handleReceipt)),

		get("/sign-in/security-code", auth.SecondFactorStep, s.h(s.handleSecurityCodePage)),
		post("/sign-in/security-code", auth.SecondFactorStep, s.h(s.handleSecurityCode)),
		get("/sign-in/recovery-code", auth.SecondFactorStep, s.h(s.handleRecoveryCodePage)),
		post("/sign-in/recovery-code", auth.SecondFactorStep, s.h(s.handleRecoveryCode)),
		get("/two-factor/setup", auth.SecondFactorStep, s.h(s.handleTwoFactorSetupPage)),
		get("/two-factor/qr.png", auth.SecondFactorStep, s.h(s.handleTwoFactorQRCode)),
		post("/two-factor/setup", auth.SecondFactorStep, s.h(s.handleTwoFactorSetup)),
		get("/choose-school", auth.ChoosingSchool, s.h(s.handleChooseSchoolPage)),
		post("/choose-school", auth.ChoosingSchool, s.h(s.handleChooseSchool)),

		// The signed-in person's own account (account.go).
		get("/account", auth.AnyMember, s.h(s.handleAccount)),
		post("/account/password", auth.AnyMember, s.h(s.handlePasswordChange)),
		get("/menu", auth.AnyMember, s.h(s.handleMenu)), // "More", the rest of the menu (pages.go)

		// Reporting a concern, and the reporter's own concerns
		// (concern.go; the form itself posts with an upload's limits below).
		get("/concerns/new", auth.AnyMember, s.h(s.handleConcernNew)),
		get("/concerns/drafts/{submission}", auth.AnyMember, s.h(s.handleConcernDraft)),
		get("/concerns/drafts/{submission}/discard", auth.AnyMember, s.h(s.handleDraftDiscardPage)),
		post("/concerns/drafts/{submission}/discard", auth.AnyMember, s.h(s.handleDraftDiscard)),
		post("/concerns/draft", auth.AnyMember, s.h(s.handleConcernAutosave)),
		post("/concerns/children", auth.AnyMember, s.h(s.handleChildSearch)),
		post("/concerns/status", auth.AnyMember, s.h(s.handleConcernStatus)),
		get("/concerns/{ref}/submitted", auth.AnyMember, s.h(s.handleConcernSubmitted)),
		get("/concerns/{ref}", auth.AnyMember, s.h(s.handleConcernShow)),
		post("/concerns/{ref}/addenda", auth.AnyMember, s.h(s.handleAddendumCreate)),
		get("/my-concerns", auth.AnyMember, s.h(s.handleMyConcerns)),
		get("/attachments/{id}", auth.AnyMember, s.h(s.handleAttachmentDownload)),

		// The DSL's work: the Safeguarding queue, a concern's triage,
		// decisions and actions, My tasks, being away, the dashboard
		// (triage.go), and a child's page and Chronology (child.go).
		get("/queue", auth.Roles(actor.DSL), s.h(s.handleQueue)),
		get("/queue/new", auth.Roles(actor.DSL), s.h(s.handleQueueNew)),
		get("/queue/events", auth.Roles(actor.DSL), s.h(s.handleQueueEvents)),
		post("/concerns/{ref}/acknowledge", auth.Roles(actor.DSL), s.h(s.handleAcknowledge)),
		post("/concerns/{ref}/assign", auth.Roles(actor.DSL), s.h(s.handleAssign)),
		post("/concerns/{ref}/urgency", auth.Roles(actor.DSL), s.h(s.handleUrgency)),
		post("/concerns/{ref}/categories", auth.Roles(actor.DSL), s.h(s.handleCategories)),
		post("/concerns/{ref}/links", auth.Roles(actor.DSL), s.h(s.handleLink)),
		get("/concerns/{ref}/decision", auth.Roles(actor.DSL), s.h(s.handleDecisionPage)),
		post("/concerns/{ref}/decision", auth.Roles(actor.DSL), s.h(s.handleDecision)),
		get("/concerns/{ref}/action", auth.Roles(actor.DSL), s.h(s.handleActionPage)),
		post("/concerns/{ref}/action", auth.Roles(actor.DSL), s.h(s.handleAction)),
		post("/concerns/{ref}/actions/{id}/feedback", auth.Roles(actor.DSL), s.h(s.handleFeedback)),
		get("/concerns/{ref}/close", auth.Roles(actor.DSL), s.h(s.handleReasonPage("close"))),
		get("/concerns/{ref}/reopen", auth.Roles(actor.DSL), s.h(s.handleReasonPage("reopen"))),
		get("/concerns/{ref}/entered-in-error", auth.Roles(actor.DSL), s.h(s.handleReasonPage("entered-in-error"))),
		post("/concerns/{ref}/close", auth.Roles(actor.DSL), s.h(s.handleReason("close"))),
		post("/concerns/{ref}/reopen", auth.Roles(actor.DSL), s.h(s.handleReason("reopen"))),
		post("/concerns/{ref}/entered-in-error", auth.Roles(actor.DSL), s.h(s.handleReason("entered-in-error"))),
		get("/concerns/{ref}/access", auth.Roles(actor.DSL), s.h(s.handleAccessPage)),
		post("/concerns/{ref}/access", auth.Roles(actor.DSL), s.h(s.handleAccess)),
		get("/tasks", auth.Roles(actor.DSL), s.h(s.handleTasks)),
		post("/tasks/{id}/done", auth.Roles(actor.DSL), s.h(s.handleTaskDone)),
		get("/tasks/{id}/chase", auth.Roles(actor.DSL), s.h(s.handleChasePage)),
		post("/tasks/{id}/chase", auth.Roles(actor.DSL), s.h(s.handleChase)),
		post("/away", auth.Roles(actor.DSL), s.h(s.handleAway)),
		post("/away/back", auth.Roles(actor.DSL), s.h(s.handleBack)),
		get("/dashboard", auth.Roles(actor.DSL), s.h(s.handleDashboard)),
		get("/children/{id}", auth.Roles(actor.DSL), s.h(s.handleChild)),
		get("/children/{id}/details", auth.Roles(actor.DSL), s.h(s.handleChildDetailsPage)),
		post("/children/{id}/details", auth.Roles(actor.DSL), s.h(s.handleChildDetails)),
		post("/children/{id}/flags/{kind}/acknowledge", auth.Roles(actor.DSL), s.h(s.handleFlagAcknowledge)),
		post("/children/{id}/siblings", auth.Roles(actor.DSL), s.h(s.handleSiblingLink)),
		post("/children/{id}/siblings/{sibling}/remove", auth.Roles(actor.DSL), s.h(s.handleSiblingRemove)),
		get("/children/{id}/chronology", auth.Roles(actor.DSL), s.h(s.handleChronology(false))),
		get("/children/{id}/chronology/print", auth.Roles(actor.DSL), s.h(s.handleChronology(true))),

		// Role requests, decided by a DSL or the head (admin.go).
		get("/role-requests", auth.Roles(actor.DSL, actor.Head), s.h(s.handleRoleRequests)),
		post("/role-requests/{id}/approve", auth.Roles(actor.DSL, actor.Head), s.h(s.handleRoleRequestDecide(true))),
		post("/role-requests/{id}/reject", auth.Roles(actor.DSL, actor.Head), s.h(s.handleRoleRequestDecide(false))),

		// Exports of the school's concerns (records.go): asked for by
		// admins, DSLs and the head; approved by the DSL team.
		get("/exports", auth.Roles(actor.Admin, actor.DSL, actor.Head), s.h(s.handleExports)),
		post("/exports", auth.Roles(actor.Admin, actor.DSL, actor.Head), s.h(s.handleExportCreate)),
		get("/exports/{id}", auth.Roles(actor.Admin, actor.DSL, actor.Head), s.h(s.handleExport)),
		// Importing the roll (pupils.go): admins and DSLs; the upload
		// itself posts with a large body, below.
		get("/pupils/import", auth.Roles(actor.Admin, actor.DSL), s.h(s.handlePupilsImportPage)),
		get("/pupils/import/{id}", auth.Roles(actor.Admin, actor.DSL), s.h(s.handlePupilsPreview)),
		post("/pupils/import/{id}", auth.Roles(actor.Admin, actor.DSL), s.h(s.handlePupilsApply)),
		// A child's file, transfers and files received from another
		// Haven (transfers.go): DSLs only. Making the file and
		// importing a package post with a large body, below.
		get("/children/{id}/file", auth.Roles(actor.DSL), s.h(s.handleChildFilePage)),
		get("/children/{id}/transfers/new", auth.Roles(actor.DSL), s.h(s.handleTransferNew)),
		post("/children/{id}/transfers", auth.Roles(actor.DSL), s.h(s.handleTransferCreate)),
		get("/transfers", auth.Roles(actor.DSL), s.h(s.handleTransfers)),
		post("/transfers/find", auth.Roles(actor.DSL), s.h(s.handleTransferFind)),
		get("/transfers/{id}", auth.Roles(actor.DSL), s.h(s.handleTransfer)),
		post("/transfers/{id}/sent", auth.Roles(actor.DSL), s.h(s.handleTransferSent)),
		get("/received/import", auth.Roles(actor.DSL), s.h(s.handleReceivedImportPage)),
		get("/received/{id}", auth.Roles(actor.DSL), s.h(s.handleReceived)),
		post("/sar/find", auth.Roles(actor.DSL), s.h(s.handleSARFind)),
		get("/children/{id}/sar/new", auth.Roles(actor.DSL), s.h(s.handleSARNew)),
		post("/children/{id}/sar", auth.Roles(actor.DSL), s.h(s.handleSARCreate)),
		// Subject access requests (sar.go): DSLs, and the data
		// protection lead named on a request, whatever their role (the
		// records service answers 404 to anyone else).
		get("/sar", auth.Roles(actor.DSL, actor.Head, actor.Admin), s.h(s.handleSARList)),
		get("/sar/{id}", auth.Roles(actor.DSL, actor.Head, actor.Admin), s.h(s.handleSAR)),
		get("/sar/{id}/bundle", auth.Roles(actor.DSL, actor.Head, actor.Admin), s.h(s.handleSARBundle)),
		get("/sar/{id}/bundle.pdf", auth.Roles(actor.DSL, actor.Head, actor.Admin), s.h(s.handleSARBundlePDF)),
		post("/sar/{id}/passages/{passage}", auth.Roles(actor.DSL, actor.Head, actor.Admin), s.h(s.handleSARReview)),
		post("/sar/{id}/disclose", auth.Roles(actor.DSL, actor.Head, actor.Admin), s.h(s.handleSARDisclose)),
		// The retention review (retention.go): DSLs, the head and admins
		// see it; the records service decides who may do what.
		get("/retention", auth.Roles(actor.Admin, actor.DSL, actor.Head), s.h(s.handleRetention)),
		get("/retention/{child}", auth.Roles(actor.Admin, actor.DSL, actor.Head), s.h(s.handleRetentionChild)),
		post("/retention/{child}/sign-off", auth.Roles(actor.Admin, actor.DSL, actor.Head), s.h(s.handleRetentionSignOff)),
		post("/retention/{child}/do-not-destroy", auth.Roles(actor.DSL, actor.Head), s.h(s.handleRetentionDoNotDestroy)),
		post("/retention/{child}/keep", auth.Roles(actor.DSL, actor.Head), s.h(s.handleRetentionKeep)),
		post("/exports/settings", auth.Roles(actor.DSL, actor.Head), s.h(s.handleExportSettings)),
		post("/exports/{id}/approve", auth.Roles(actor.DSL, actor.Head), s.h(s.handleExportDecide(true))),
		post("/exports/{id}/reject", auth.Roles(actor.DSL, actor.Head), s.h(s.handleExportDecide(false))),

		// The audit log (audit.go): the DSL team and admins read the
		// school's, the head and chair the part about concerns about
		// adults they handle; the audit service answers 404 to anyone else.
		get("/audit", auth.AnyMember, s.h(s.handleAuditLog)),

		// Concerns about adults (allegation.go): any member reports one;
		// the allegation service shows the rest to the record's handler
		// only (the head, or the chair of governors) — 404 for anyone else.
		get("/allegations/new", auth.AnyMember, s.h(s.handleAllegationNew)),
		post("/allegations", auth.AnyMember, s.h(s.handleAllegationPost)),
		get("/allegations", auth.AnyMember, s.h(s.handleAllegations)),
		get("/allegations/low-level", auth.AnyMember, s.h(s.handleLowLevelLog)),
		post("/allegations/low-level/reviews", auth.AnyMember, s.h(s.handlePatternReview)),
		post("/allegations/people/merge", auth.AnyMember, s.h(s.handleMergePeople)),
		post("/allegations/people/separate", auth.AnyMember, s.h(s.handleSeparatePeople)),
		get("/allegations/retention", auth.AnyMember, s.h(s.handleAllegationRetention)),
		get("/allegations/{ref}", auth.AnyMember, s.h(s.handleAllegation)),
		get("/allegations/{ref}/submitted", auth.AnyMember, s.h(s.handleAllegationSubmitted)), // the reporter's receipt only
		post("/allegations/{ref}/acknowledge", auth.AnyMember, s.h(s.handleAllegationAcknowledge)),
		post("/allegations/{ref}/kind", auth.AnyMember, s.h(s.handleAllegationKind)),
		post("/allegations/{ref}/lado", auth.AnyMember, s.h(s.handleAllegationLADO)),
		post("/allegations/{ref}/actions", auth.AnyMember, s.h(s.handleAllegationAction)),
		post("/allegations/{ref}/outcome", auth.AnyMember, s.h(s.handleAllegationOutcome)),
		post("/allegations/{ref}/left", auth.AnyMember, s.h(s.handleAllegationLeft)),
		post("/allegations/{ref}/keep", auth.AnyMember, s.h(s.handleAllegationKeep)),
		post("/allegations/{ref}/hold", auth.AnyMember, s.h(s.handleAllegationHold)),
		post("/allegations/{ref}/sign-off", auth.AnyMember, s.h(s.handleAllegationSignOff)),

		// Operation Encompass, for DSLs (encompass.go).
		get("/encompass", auth.Roles(actor.DSL), s.h(s.handleEncompassList)),
		get("/encompass/new", auth.Roles(actor.DSL), s.h(s.handleEncompassNew)),
		post("/encompass", auth.Roles(actor.DSL), s.h(s.handleEncompassPost)),
		get("/encompass/{ref}", auth.Roles(actor.DSL), s.h(s.handleEncompass)),
		post("/encompass/{ref}/access", auth.Roles(actor.DSL), s.h(s.handleEncompassAccess)),

		// Admin: users and school settings (admin.go).
		get("/admin/users", auth.Roles(actor.Admin), s.h(s.handleUsers)),
		get("/admin/users/invite", auth.Roles(actor.Admin), s.h(s.handleInvitePage)),
		post("/admin/users/invite", auth.Roles(actor.Admin), s.h(s.handleInvite)),
		get("/admin/users/{id}", auth.Roles(actor.Admin), s.h(s.handleUser)),
		post("/admin/users/{id}/role", auth.Roles(actor.Admin), s.h(s.handleUserRole)),
		post("/admin/users/{id}/deactivate", auth.Roles(actor.Admin), s.h(s.handleUserActive(false))),
		post("/admin/users/{id}/reactivate", auth.Roles(actor.Admin), s.h(s.handleUserActive(true))),
		post("/admin/users/{id}/reset-2fa", auth.Roles(actor.Admin), s.h(s.handleUserResetSecondFactor)),
		get("/admin/audit", auth.Roles(actor.Admin), s.h(s.handleOldAuditLog)), // audit.go: now /audit
		get("/admin/settings", auth.Roles(actor.Admin), s.h(s.handleSettingsPage)),
		post("/admin/settings", auth.Roles(actor.Admin), s.h(s.handleSettings)),
		get("/admin/settings/terms", auth.Roles(actor.Admin), s.h(s.handleTermsPage)),
		post("/admin/settings/terms", auth.Roles(actor.Admin), s.h(s.handleTermAdd)),
		post("/admin/settings/terms/year", auth.Roles(actor.Admin), s.h(s.handleTermYearAdd)),
		post("/admin/settings/terms/{id}/delete", auth.Roles(actor.Admin), s.h(s.handleTermDelete)),
		get("/admin/settings/allegations", auth.Roles(actor.Admin), s.h(s.handleAllegationSettingsPage)), // allegation.go
		post("/admin/settings/allegations", auth.Roles(actor.Admin), s.h(s.handleAllegationSettings)),

		// The concern form posts its files with it, so it has an upload's body
		// limit and deadlines (concern.go). A form posted after its session
		// ended is kept for its author before the access check sends them to
		// sign in.
		post("/concerns", auth.AnyMember, s.h(s.handleConcernPost)).takes(concernForm),

		// Large files: an export's download streams for as long as it takes
		// (records.go); a roll CSV may be a few MB (pupils.go).
		get("/exports/{id}/download", auth.Roles(actor.Admin, actor.DSL, actor.Head), s.h(s.handleExportDownload)).takes(largeBody),
		post("/pupils/import", auth.Roles(actor.Admin, actor.DSL), s.h(s.handlePupilsUpload)).takes(largeBody),
		post("/children/{id}/file", auth.Roles(actor.DSL), s.h(s.handleChildFile)).takes(largeBody),
		post("/received", auth.Roles(actor.DSL), s.h(s.handleReceivedImport)).takes(largeBody),
	}
}

// Routes returns the whole URL surface of Haven, registered from routes.
func (s *Server) Routes() http.Handler {
	r := chi.NewRouter()
	// Cross-origin protection wraps everything, so an unsafe cross-origin
	// request is refused (403) before routing, whatever its URL.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, fail.Forbidden)
	}))
	r.Use(middleware.RequestID, s.logRequests, s.securityHeaders, s.recoverPanics, cop.Handler)

	stack := map[body][]func(http.Handler) http.Handler{
		noSession:   nil,
		formBody:    {limits(formBodyLimit, formReadTimeout, formWriteLimit), s.loadAndSave, s.identify, s.requireUser},
		concernForm: {limits(uploadBodyLimit, uploadTimeout, uploadTimeout), s.loadAndSave, s.identify, s.stashConcernOnExpiry, s.requireUser},
		largeBody:   {limits(uploadBodyLimit, uploadTimeout, uploadTimeout), s.loadAndSave, s.identify, s.requireUser},
	}
	table := s.routes()
	for _, b := range []body{noSession, formBody, concernForm, largeBody} {
		r.Group(func(r chi.Router) {
			r.Use(stack[b]...)
			for _, rt := range table {
				switch {
				case rt.body != b:
				case rt.method == "*":
					r.Handle(rt.pattern, rt.handler)
				default:
					r.Method(rt.method, rt.pattern, rt.handler)
				}
			}
		})
	}

	r.NotFound(func(w http.ResponseWriter, r *http.Request) { s.fail(w, r, errNotFoundPage) })
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) { s.fail(w, r, errNotFoundPage) })
	return r
}

// rules is every route's rule keyed "METHOD /pattern", read from routes
// once. The handlers built for it on an empty Server are never called.
var rules = sync.OnceValue(func() map[string]auth.Rule {
	m := map[string]auth.Rule{}
	for _, rt := range (&Server{}).routes() {
		m[rt.method+" "+rt.pattern] = rt.rule
	}
	return m
})

// RuleFor returns the rule of the route method pattern (as chi names it),
// or of "* pattern" for a route registered for every method, and false when
// there is no such route — which requireUser treats as "no one may use it".
func RuleFor(method, pattern string) (auth.Rule, bool) {
	if r, ok := rules()[method+" "+pattern]; ok {
		return r, true
	}
	r, ok := rules()["* "+pattern]
	return r, ok
}

// RouteKeys lists every route as "METHOD /pattern", sorted, for the tests
// that walk the table.
func RouteKeys() []string {
	keys := make([]string, 0, len(rules()))
	for k := range rules() {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (s *Server) staticFiles() http.Handler {
	sub, _ := fs.Sub(static.FS, ".")
	files := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Not fingerprinted, so cached for an hour rather than for ever.
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}
