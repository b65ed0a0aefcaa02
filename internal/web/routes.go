package web

import (
	"io/fs"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/web/static"
)

// Routes returns the whole URL surface of Haven.
func (s *Server) Routes() http.Handler {
	r := chi.NewRouter()
	// Cross-origin protection wraps everything, so an unsafe cross-origin
	// request is refused (403) before routing, whatever its URL.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, errForbidden)
	}))
	r.Use(middleware.RequestID, s.logRequests, s.securityHeaders, s.recoverPanics, cop.Handler)

	// Probes and static files need neither a session nor a database.
	r.Get("/healthz", s.handleHealthz)
	r.Get("/readyz", s.handleReadyz)
	r.Handle("/static/*", s.staticFiles())

	r.Group(func(r chi.Router) {
		// identify works out who is signed in; requireUser then enforces
		// each route's rule in internal/auth's permission table.
		r.Use(limits(formBodyLimit, formReadTimeout, formWriteLimit), s.loadAndSave, s.identify)

		r.Get("/", s.h(s.handleHome))
		r.Get("/accessibility", s.h(s.handleAccessibility))

		// Signing in and out, and the links in emails (auth.go).
		r.Get("/sign-in", s.h(s.handleSignInPage))
		r.Post("/sign-in", s.h(s.handleSignIn))
		r.Post("/sign-out", s.h(s.handleSignOut))
		r.Get("/forgot-password", s.h(s.handleForgotPasswordPage))
		r.Post("/forgot-password", s.h(s.handleForgotPassword))
		r.Get("/reset-password/{token}", s.h(s.handlePasswordLinkPage("reset")))
		r.Post("/reset-password/{token}", s.h(s.handlePasswordLink("reset")))
		r.Get("/set-password/{token}", s.h(s.handlePasswordLinkPage("set")))
		r.Post("/set-password/{token}", s.h(s.handlePasswordLink("set")))
		r.Get("/invitations/{token}", s.h(s.handleInvitationPage))
		r.Post("/invitations/{token}", s.h(s.handleInvitation))
		// The receiving school's DSL confirms receipt of a child's file
		// (transfers.go): a one-time link, no account needed.
		r.Get("/transfers/receipt/{token}", s.h(s.handleReceiptPage))
		r.Post("/transfers/receipt/{token}", s.h(s.handleReceipt))

		r.Group(func(r chi.Router) {
			r.Use(s.requireUser)
			r.Get("/sign-in/security-code", s.h(s.handleSecurityCodePage))
			r.Post("/sign-in/security-code", s.h(s.handleSecurityCode))
			r.Get("/sign-in/recovery-code", s.h(s.handleRecoveryCodePage))
			r.Post("/sign-in/recovery-code", s.h(s.handleRecoveryCode))
			r.Get("/two-factor/setup", s.h(s.handleTwoFactorSetupPage))
			r.Get("/two-factor/qr.png", s.h(s.handleTwoFactorQRCode))
			r.Post("/two-factor/setup", s.h(s.handleTwoFactorSetup))
			r.Get("/choose-school", s.h(s.handleChooseSchoolPage))
			r.Post("/choose-school", s.h(s.handleChooseSchool))

			// The signed-in person's own account (account.go).
			r.Get("/account", s.h(s.handleAccount))
			r.Post("/account/password", s.h(s.handlePasswordChange))
			r.Get("/menu", s.h(s.handleMenu)) // "More", the rest of the menu (pages.go)

			// Reporting a concern, and the reporter's own concerns
			// (concern.go; the form itself posts in the upload group below).
			r.Get("/concerns/new", s.h(s.handleConcernNew))
			r.Get("/concerns/drafts/{submission}", s.h(s.handleConcernDraft))
			r.Get("/concerns/drafts/{submission}/discard", s.h(s.handleDraftDiscardPage))
			r.Post("/concerns/drafts/{submission}/discard", s.h(s.handleDraftDiscard))
			r.Post("/concerns/draft", s.h(s.handleConcernAutosave))
			r.Post("/concerns/children", s.h(s.handleChildSearch))
			r.Post("/concerns/status", s.h(s.handleConcernStatus))
			r.Get("/concerns/{ref}/submitted", s.h(s.handleConcernSubmitted))
			r.Get("/concerns/{ref}", s.h(s.handleConcernShow))
			r.Post("/concerns/{ref}/addenda", s.h(s.handleAddendumCreate))
			r.Get("/my-concerns", s.h(s.handleMyConcerns))
			r.Get("/attachments/{id}", s.h(s.handleAttachmentDownload))

			// The DSL's work: the Safeguarding queue, a concern's triage,
			// decisions and actions, My tasks, being away, the dashboard
			// (triage.go), and a child's page and Chronology (child.go).
			r.Group(func(r chi.Router) {
				r.Use(s.requireRole(actor.DSL))
				r.Get("/queue", s.h(s.handleQueue))
				r.Get("/queue/new", s.h(s.handleQueueNew))
				r.Get("/queue/events", s.h(s.handleQueueEvents))
				r.Post("/concerns/{ref}/acknowledge", s.h(s.handleAcknowledge))
				r.Post("/concerns/{ref}/assign", s.h(s.handleAssign))
				r.Post("/concerns/{ref}/urgency", s.h(s.handleUrgency))
				r.Post("/concerns/{ref}/categories", s.h(s.handleCategories))
				r.Post("/concerns/{ref}/links", s.h(s.handleLink))
				r.Get("/concerns/{ref}/decision", s.h(s.handleDecisionPage))
				r.Post("/concerns/{ref}/decision", s.h(s.handleDecision))
				r.Get("/concerns/{ref}/action", s.h(s.handleActionPage))
				r.Post("/concerns/{ref}/action", s.h(s.handleAction))
				r.Post("/concerns/{ref}/actions/{id}/feedback", s.h(s.handleFeedback))
				for kind := range reasonKinds {
					r.Get("/concerns/{ref}/"+kind, s.h(s.handleReasonPage(kind)))
					r.Post("/concerns/{ref}/"+kind, s.h(s.handleReason(kind)))
				}
				r.Get("/concerns/{ref}/access", s.h(s.handleAccessPage))
				r.Post("/concerns/{ref}/access", s.h(s.handleAccess))
				r.Get("/tasks", s.h(s.handleTasks))
				r.Post("/tasks/{id}/done", s.h(s.handleTaskDone))
				r.Get("/tasks/{id}/chase", s.h(s.handleChasePage))
				r.Post("/tasks/{id}/chase", s.h(s.handleChase))
				r.Post("/away", s.h(s.handleAway))
				r.Post("/away/back", s.h(s.handleBack))
				r.Get("/dashboard", s.h(s.handleDashboard))
				r.Get("/children/{id}", s.h(s.handleChild))
				r.Get("/children/{id}/details", s.h(s.handleChildDetailsPage))
				r.Post("/children/{id}/details", s.h(s.handleChildDetails))
				r.Post("/children/{id}/flags/{kind}/acknowledge", s.h(s.handleFlagAcknowledge))
				r.Post("/children/{id}/siblings", s.h(s.handleSiblingLink))
				r.Post("/children/{id}/siblings/{sibling}/remove", s.h(s.handleSiblingRemove))
				r.Get("/children/{id}/chronology", s.h(s.handleChronology(false)))
				r.Get("/children/{id}/chronology/print", s.h(s.handleChronology(true)))
			})

			// Role requests, decided by a DSL or the head (admin.go).
			r.Group(func(r chi.Router) {
				r.Use(s.requireRole(actor.DSL, actor.Head))
				r.Get("/role-requests", s.h(s.handleRoleRequests))
				r.Post("/role-requests/{id}/approve", s.h(s.handleRoleRequestDecide(true)))
				r.Post("/role-requests/{id}/reject", s.h(s.handleRoleRequestDecide(false)))
			})

			// Exports of the school's concerns (records.go): asked for by
			// admins, DSLs and the head; approved by the DSL team.
			r.Group(func(r chi.Router) {
				r.Use(s.requireRole(actor.Admin, actor.DSL, actor.Head))
				r.Get("/exports", s.h(s.handleExports))
				r.Post("/exports", s.h(s.handleExportCreate))
				r.Get("/exports/{id}", s.h(s.handleExport))
			})
			// Importing the roll (pupils.go): admins and DSLs; the upload
			// itself posts in the large-files group below.
			r.Group(func(r chi.Router) {
				r.Use(s.requireRole(actor.Admin, actor.DSL))
				r.Get("/pupils/import", s.h(s.handlePupilsImportPage))
				r.Get("/pupils/import/{id}", s.h(s.handlePupilsPreview))
				r.Post("/pupils/import/{id}", s.h(s.handlePupilsApply))
			})
			// A child's file, transfers and files received from another
			// Haven (transfers.go): DSLs only. Making the file and
			// importing a package post in the large-files group below.
			r.Group(func(r chi.Router) {
				r.Use(s.requireRole(actor.DSL))
				r.Get("/children/{id}/file", s.h(s.handleChildFilePage))
				r.Get("/children/{id}/transfers/new", s.h(s.handleTransferNew))
				r.Post("/children/{id}/transfers", s.h(s.handleTransferCreate))
				r.Get("/transfers", s.h(s.handleTransfers))
				r.Post("/transfers/find", s.h(s.handleTransferFind))
				r.Get("/transfers/{id}", s.h(s.handleTransfer))
				r.Post("/transfers/{id}/sent", s.h(s.handleTransferSent))
				r.Get("/received/import", s.h(s.handleReceivedImportPage))
				r.Get("/received/{id}", s.h(s.handleReceived))
				r.Post("/sar/find", s.h(s.handleSARFind))
				r.Get("/children/{id}/sar/new", s.h(s.handleSARNew))
				r.Post("/children/{id}/sar", s.h(s.handleSARCreate))
			})
			// Subject access requests (sar.go): DSLs, and the data
			// protection lead named on a request, whatever their role (the
			// records service answers 404 to anyone else).
			r.Get("/sar", s.h(s.handleSARList))
			r.Get("/sar/{id}", s.h(s.handleSAR))
			r.Get("/sar/{id}/bundle", s.h(s.handleSARBundle))
			r.Get("/sar/{id}/bundle.pdf", s.h(s.handleSARBundlePDF))
			r.Post("/sar/{id}/passages/{passage}", s.h(s.handleSARReview))
			r.Post("/sar/{id}/disclose", s.h(s.handleSARDisclose))
			// The retention review (retention.go): DSLs, the head and admins
			// see it; the records service decides who may do what.
			r.Group(func(r chi.Router) {
				r.Use(s.requireRole(actor.Admin, actor.DSL, actor.Head))
				r.Get("/retention", s.h(s.handleRetention))
				r.Get("/retention/{child}", s.h(s.handleRetentionChild))
				r.Post("/retention/{child}/sign-off", s.h(s.handleRetentionSignOff))
			})
			r.Group(func(r chi.Router) {
				r.Use(s.requireRole(actor.DSL, actor.Head))
				r.Post("/retention/{child}/do-not-destroy", s.h(s.handleRetentionDoNotDestroy))
				r.Post("/retention/{child}/keep", s.h(s.handleRetentionKeep))
			})
			r.Group(func(r chi.Router) {
				r.Use(s.requireRole(actor.DSL, actor.Head))
				r.Post("/exports/settings", s.h(s.handleExportSettings))
				r.Post("/exports/{id}/approve", s.h(s.handleExportDecide(true)))
				r.Post("/exports/{id}/reject", s.h(s.handleExportDecide(false)))
			})

			// The audit log (audit.go): the DSL team and admins read the
			// school's, the head and chair the part about concerns about
			// adults they handle; the audit service answers 404 to anyone else.
			r.Get("/audit", s.h(s.handleAuditLog))

			// Concerns about adults (allegation.go): any member reports one;
			// the allegation service shows the rest to the record's handler
			// only (the head, or the chair of governors) — 404 for anyone else.
			r.Get("/allegations/new", s.h(s.handleAllegationNew))
			r.Post("/allegations", s.h(s.handleAllegationPost))
			r.Get("/allegations", s.h(s.handleAllegations))
			r.Get("/allegations/low-level", s.h(s.handleLowLevelLog))
			r.Post("/allegations/low-level/reviews", s.h(s.handlePatternReview))
			r.Post("/allegations/people/merge", s.h(s.handleMergePeople))
			r.Post("/allegations/people/separate", s.h(s.handleSeparatePeople))
			r.Get("/allegations/retention", s.h(s.handleAllegationRetention))
			r.Get("/allegations/{ref}", s.h(s.handleAllegation))
			r.Get("/allegations/{ref}/submitted", s.h(s.handleAllegationSubmitted))
			r.Post("/allegations/{ref}/acknowledge", s.h(s.handleAllegationAcknowledge))
			r.Post("/allegations/{ref}/kind", s.h(s.handleAllegationKind))
			r.Post("/allegations/{ref}/lado", s.h(s.handleAllegationLADO))
			r.Post("/allegations/{ref}/actions", s.h(s.handleAllegationAction))
			r.Post("/allegations/{ref}/outcome", s.h(s.handleAllegationOutcome))
			r.Post("/allegations/{ref}/left", s.h(s.handleAllegationLeft))
			r.Post("/allegations/{ref}/keep", s.h(s.handleAllegationKeep))
			r.Post("/allegations/{ref}/hold", s.h(s.handleAllegationHold))
			r.Post("/allegations/{ref}/sign-off", s.h(s.handleAllegationSignOff))

			// Operation Encompass, for DSLs (encompass.go).
			r.Group(func(r chi.Router) {
				r.Use(s.requireRole(actor.DSL))
				r.Get("/encompass", s.h(s.handleEncompassList))
				r.Get("/encompass/new", s.h(s.handleEncompassNew))
				r.Post("/encompass", s.h(s.handleEncompassPost))
				r.Get("/encompass/{ref}", s.h(s.handleEncompass))
				r.Post("/encompass/{ref}/access", s.h(s.handleEncompassAccess))
			})

			// Admin: users and school settings (admin.go).
			r.Group(func(r chi.Router) {
				r.Use(s.requireRole(actor.Admin))
				r.Get("/admin/users", s.h(s.handleUsers))
				r.Get("/admin/users/invite", s.h(s.handleInvitePage))
				r.Post("/admin/users/invite", s.h(s.handleInvite))
				r.Get("/admin/users/{id}", s.h(s.handleUser))
				r.Post("/admin/users/{id}/role", s.h(s.handleUserRole))
				r.Post("/admin/users/{id}/deactivate", s.h(s.handleUserActive(false)))
				r.Post("/admin/users/{id}/reactivate", s.h(s.handleUserActive(true)))
				r.Post("/admin/users/{id}/reset-2fa", s.h(s.handleUserResetSecondFactor))
				r.Get("/admin/audit", s.h(s.handleOldAuditLog)) // audit.go: now /audit
				r.Get("/admin/settings", s.h(s.handleSettingsPage))
				r.Post("/admin/settings", s.h(s.handleSettings))
				r.Get("/admin/settings/terms", s.h(s.handleTermsPage))
				r.Post("/admin/settings/terms", s.h(s.handleTermAdd))
				r.Post("/admin/settings/terms/year", s.h(s.handleTermYearAdd))
				r.Post("/admin/settings/terms/{id}/delete", s.h(s.handleTermDelete))
				r.Get("/admin/settings/allegations", s.h(s.handleAllegationSettingsPage)) // allegation.go
				r.Post("/admin/settings/allegations", s.h(s.handleAllegationSettings))
			})
		})
	})

	// The concern form posts its files with it, so it has an upload's body
	// limit and deadlines (concern.go). A form posted after its session
	// ended is kept for its author before the access check sends them to
	// sign in.
	r.Group(func(r chi.Router) {
		r.Use(limits(uploadBodyLimit, uploadTimeout, uploadTimeout), s.loadAndSave, s.identify,
			s.stashConcernOnExpiry, s.requireUser)
		r.Post("/concerns", s.h(s.handleConcernPost))
	})

	// Large files: an export's download streams for as long as it takes
	// (records.go); a roll CSV may be a few MB (pupils.go).
	r.Group(func(r chi.Router) {
		r.Use(limits(uploadBodyLimit, uploadTimeout, uploadTimeout), s.loadAndSave, s.identify, s.requireUser)
		r.With(s.requireRole(actor.Admin, actor.DSL, actor.Head)).Get("/exports/{id}/download", s.h(s.handleExportDownload))
		r.With(s.requireRole(actor.Admin, actor.DSL)).Post("/pupils/import", s.h(s.handlePupilsUpload))
		r.With(s.requireRole(actor.DSL)).Post("/children/{id}/file", s.h(s.handleChildFile))
		r.With(s.requireRole(actor.DSL)).Post("/received", s.h(s.handleReceivedImport))
	})

	r.NotFound(func(w http.ResponseWriter, r *http.Request) { s.fail(w, r, errNotFoundPage) })
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) { s.fail(w, r, errNotFoundPage) })
	return r
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
