// Package paths builds Haven's internal URLs, one function per route in
// internal/web/routes.go, so a link is written once and not by hand.
//
// Refs, public ids and submission ids are plain tokens ([A-Za-z0-9-]);
// they are placed in the path as they are, so every builder returns the
// same bytes the hand-built strings did. Integer ids are written in base 10.
package paths

import (
	"net/url"
	"strconv"
)

func id(n int64) string { return strconv.FormatInt(n, 10) }

// Concern is GET /concerns/{ref}.
func Concern(ref string) string { return "/concerns/" + ref }

// ConcernSubmitted is GET /concerns/{ref}/submitted, the author's receipt.
func ConcernSubmitted(ref string) string { return Concern(ref) + "/submitted" }

// ConcernDraft is GET /concerns/drafts/{submission}.
func ConcernDraft(submission string) string { return "/concerns/drafts/" + submission }

// ConcernForm is POST /concerns, the "Report a concern" form; a non-empty
// anchor is added as the fragment the page returns to.
func ConcernForm(anchor string) string {
	if anchor == "" {
		return "/concerns"
	}
	return "/concerns#" + anchor
}

// ConcernNewAfter is GET /concerns/new?submission={submission}: the
// address the form's history entry takes once it is submitted.
func ConcernNewAfter(submission string) string { return "/concerns/new?submission=" + submission }

// ConcernAction is /concerns/{ref}/{action}, one of the concern's own
// pages or buttons (addenda, acknowledge, assign, urgency, categories,
// links, decision, action, close, reopen, entered-in-error, access).
func ConcernAction(ref, action string) string { return Concern(ref) + "/" + action }

// ConcernFeedback is POST /concerns/{ref}/actions/{id}/feedback.
func ConcernFeedback(ref string, actionID int64) string {
	return Concern(ref) + "/actions/" + id(actionID) + "/feedback"
}

// Child is GET /children/{id}.
func Child(childID int64) string { return "/children/" + id(childID) }

// ChildAction is /children/{id}/{action} (details, siblings, file,
// transfers, transfers/new, sar, sar/new).
func ChildAction(childID int64, action string) string { return Child(childID) + "/" + action }

// Chronology is GET /children/{id}/chronology.
func Chronology(childID int64) string { return Child(childID) + "/chronology" }

// ChronologyPrint is GET /children/{id}/chronology/print.
func ChronologyPrint(childID int64) string { return Chronology(childID) + "/print" }

// FlagAcknowledge is POST /children/{id}/flags/{kind}/acknowledge.
func FlagAcknowledge(childID int64, kind string) string {
	return Child(childID) + "/flags/" + kind + "/acknowledge"
}

// SiblingRemove is POST /children/{id}/siblings/{sibling}/remove.
func SiblingRemove(childID, siblingID int64) string {
	return Child(childID) + "/siblings/" + id(siblingID) + "/remove"
}

// Task is /tasks/{id}/{action} (done, chase).
func Task(taskID int64, action string) string { return "/tasks/" + id(taskID) + "/" + action }

// TaskChase is GET /tasks/{id}/chase.
func TaskChase(taskID int64) string { return Task(taskID, "chase") }

// Export is GET /exports/{id}; publicID is the export's public id.
func Export(publicID string) string { return "/exports/" + publicID }

// Transfer is GET /transfers/{id}.
func Transfer(transferID int64) string { return "/transfers/" + id(transferID) }

// SAR is GET /sar/{id}.
func SAR(sarID int64) string { return "/sar/" + id(sarID) }

// Retention is GET /retention/{child}.
func Retention(childID int64) string { return "/retention/" + id(childID) }

// Allegation is GET /allegations/{ref}.
func Allegation(ref string) string { return "/allegations/" + ref }

// AllegationAction is POST /allegations/{ref}/{action} (acknowledge, kind,
// lado, actions, outcome, left, keep, hold, sign-off).
func AllegationAction(ref, action string) string { return Allegation(ref) + "/" + action }

// AllegationSubmitted is GET /allegations/{ref}/submitted.
func AllegationSubmitted(ref string) string { return Allegation(ref) + "/submitted" }

// Encompass is GET /encompass/{ref}.
func Encompass(ref string) string { return "/encompass/" + ref }

// Queue is GET /queue with the filter q (no query when q is empty).
func Queue(q url.Values) string {
	if len(q) == 0 {
		return "/queue"
	}
	return "/queue?" + q.Encode()
}

// Attachment is GET /attachments/{id}; publicID is the file's public id.
func Attachment(publicID string) string { return "/attachments/" + publicID }

// ResetPassword is GET /reset-password/{token}, the link in a reset email.
func ResetPassword(token string) string { return "/reset-password/" + token }

// SetPassword is GET /set-password/{token}, the first admin's link.
func SetPassword(token string) string { return "/set-password/" + token }

// Invitation is GET /invitations/{token}, the link in an invitation.
func Invitation(token string) string { return "/invitations/" + token }

// TransferReceipt is GET /transfers/receipt/{token}, the receiving
// school's one-time link.
func TransferReceipt(token string) string { return "/transfers/receipt/" + token }

// Received is GET /received/{id}, a file received from another Haven.
func Received(receivedID int64) string { return "/received/" + id(receivedID) }

// PupilsImport is /pupils/import/{id}, a roll import's preview and apply.
func PupilsImport(importID int64) string { return "/pupils/import/" + id(importID) }

// RoleRequest is POST /role-requests/{id}/{action} (approve, reject).
func RoleRequest(requestID int64, action string) string {
	return "/role-requests/" + id(requestID) + "/" + action
}

// AdminUser is GET /admin/users/{id}.
func AdminUser(userID int64) string { return "/admin/users/" + id(userID) }

// AdminUserAction is POST /admin/users/{id}/{action} (role, deactivate,
// reactivate, reset-2fa).
func AdminUserAction(userID int64, action string) string { return AdminUser(userID) + "/" + action }

// TermDelete is POST /admin/settings/terms/{id}/delete.
func TermDelete(termID int64) string { return "/admin/settings/terms/" + id(termID) + "/delete" }

// ConcernDraftDiscard is /concerns/drafts/{submission}/discard.
func ConcernDraftDiscard(submission string) string { return ConcernDraft(submission) + "/discard" }

// ExportAction is /exports/{id}/{action} (download, approve, reject).
func ExportAction(publicID, action string) string { return Export(publicID) + "/" + action }

// TransferAction is POST /transfers/{id}/{action} (sent).
func TransferAction(transferID int64, action string) string {
	return Transfer(transferID) + "/" + action
}

// SARAction is /sar/{id}/{action} (bundle, bundle.pdf, disclose).
func SARAction(sarID int64, action string) string { return SAR(sarID) + "/" + action }

// SARPassage is POST /sar/{id}/passages/{passage}.
func SARPassage(sarID, passageID int64) string { return SAR(sarID) + "/passages/" + id(passageID) }

// RetentionAction is POST /retention/{child}/{action} (sign-off,
// do-not-destroy, keep).
func RetentionAction(childID int64, action string) string { return Retention(childID) + "/" + action }

// EncompassAction is POST /encompass/{ref}/{action} (access).
func EncompassAction(ref, action string) string { return Encompass(ref) + "/" + action }
