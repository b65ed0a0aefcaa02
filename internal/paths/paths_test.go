package paths

import (
	"net/url"
	"testing"
)

// TestBuilders pins each builder's output: the same bytes the hand-built
// links had, so switching a call site to a builder changes no page.
func TestBuilders(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{Concern("C-1A2B"), "/concerns/C-1A2B"},
		{ConcernSubmitted("C-1A2B"), "/concerns/C-1A2B/submitted"},
		{ConcernDraft("abc-123"), "/concerns/drafts/abc-123"},
		{ConcernAction("C-1A2B", "entered-in-error"), "/concerns/C-1A2B/entered-in-error"},
		{ConcernFeedback("C-1A2B", 7), "/concerns/C-1A2B/actions/7/feedback"},
		{Child(42), "/children/42"},
		{ChildAction(42, "sar/new"), "/children/42/sar/new"},
		{Chronology(42), "/children/42/chronology"},
		{ChronologyPrint(42), "/children/42/chronology/print"},
		{FlagAcknowledge(42, "cp"), "/children/42/flags/cp/acknowledge"},
		{SiblingRemove(42, 43), "/children/42/siblings/43/remove"},
		{Task(9, "done"), "/tasks/9/done"},
		{TaskChase(9), "/tasks/9/chase"},
		{Export("e-xyz"), "/exports/e-xyz"},
		{Transfer(5), "/transfers/5"},
		{SAR(6), "/sar/6"},
		{Retention(42), "/retention/42"},
		{Allegation("A-1"), "/allegations/A-1"},
		{AllegationAction("A-1", "sign-off"), "/allegations/A-1/sign-off"},
		{AllegationSubmitted("A-1"), "/allegations/A-1/submitted"},
		{Encompass("E-1"), "/encompass/E-1"},
		{Child(-1), "/children/-1"},
		{ConcernForm(""), "/concerns"},
		{ConcernForm("child"), "/concerns#child"},
		{ConcernNewAfter("abc-123"), "/concerns/new?submission=abc-123"},
		{Queue(nil), "/queue"},
		{Queue(url.Values{"status": {"new"}, "after": {"x y"}}), "/queue?after=x+y&status=new"},
		{Attachment("f-1"), "/attachments/f-1"},
		{ResetPassword("tok"), "/reset-password/tok"},
		{SetPassword("tok"), "/set-password/tok"},
		{Invitation("tok"), "/invitations/tok"},
		{TransferReceipt("tok"), "/transfers/receipt/tok"},
		{Received(3), "/received/3"},
		{PupilsImport(4), "/pupils/import/4"},
		{RoleRequest(8, "approve"), "/role-requests/8/approve"},
		{AdminUser(11), "/admin/users/11"},
		{AdminUserAction(11, "reset-2fa"), "/admin/users/11/reset-2fa"},
		{TermDelete(12), "/admin/settings/terms/12/delete"},
		{ConcernDraftDiscard("abc-123"), "/concerns/drafts/abc-123/discard"},
		{ExportAction("e-xyz", "download"), "/exports/e-xyz/download"},
		{TransferAction(5, "sent"), "/transfers/5/sent"},
		{SARAction(6, "bundle.pdf"), "/sar/6/bundle.pdf"},
		{SARPassage(6, 2), "/sar/6/passages/2"},
		{RetentionAction(42, "do-not-destroy"), "/retention/42/do-not-destroy"},
		{EncompassAction("E-1", "access"), "/encompass/E-1/access"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
