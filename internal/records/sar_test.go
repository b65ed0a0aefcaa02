package records_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/db/dbtest"
	"github.com/havenschools/haven/internal/records"
	"github.com/havenschools/haven/internal/validate"
)

func TestSubjectAccessPassageByPassage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	id := dbtest.MustConcern(t, f.db.Owner, f.staff, f.amara.ID, dbtest.Concern{Account: "Amara said Ben's uncle drives her home."})
	mustDecision(t, f.db.Owner, f.dsl, id, "Police told: strategy meeting")
	form := records.SARForm{RequesterKind: "parent", RequesterName: "Mrs Okafor", ReceivedOn: time.Now().AddDate(0, 0, -2), DPLUserID: f.admin.UserID}
	if _, err := f.svc.StartSAR(ctx, f.admin, f.amara.ID, form); !errors.Is(err, records.ErrForbidden) {
		t.Errorf("an admin starting a request: %v", err)
	}
	reqID, err := f.svc.StartSAR(ctx, f.dsl, f.amara.ID, form)
	if err != nil {
		t.Fatal(err)
	}
	r, err := f.svc.SubjectAccess(ctx, f.admin, reqID) // the data protection lead
	if err != nil {
		t.Fatal(err)
	}
	// What happened, the child's words (none: left out), decision reason and wishes.
	if len(r.Passages) != 3 || r.Passages[0].Body != "Amara said Ben's uncle drives her home." {
		t.Fatalf("passages: %+v", r.Passages)
	}
	if _, err := f.svc.SubjectAccess(ctx, f.staff, reqID); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("staff reading the request: %v", err)
	}
	account, reason, wishes := r.Passages[0].ID, r.Passages[1].ID, r.Passages[2].ID

	if _, ok := errors.AsType[validate.Problems](f.svc.ReviewPassage(ctx, f.dsl, reqID, account, records.Redact, "", "third party")); !ok {
		t.Error("a redaction without the redacted text was accepted")
	}
	if _, ok := errors.AsType[validate.Problems](f.svc.ReviewPassage(ctx, f.dsl, reqID, reason, records.Withhold, "", "")); !ok {
		t.Error("withholding without a reason was accepted")
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.svc.ReviewPassage(ctx, f.dsl, reqID, account, records.Redact, "Amara said [a third party] drives her home.", "Names another child's family"))
	must(f.svc.ReviewPassage(ctx, f.dsl, reqID, reason, records.Withhold, "", "Crime and taxation exemption: police investigation"))
	must(f.svc.ReviewPassage(ctx, f.dsl, reqID, wishes, records.Disclose, "", ""))
	if _, err := f.svc.Disclose(ctx, f.dsl, reqID, "Mrs Okafor", "Collected in person"); !errors.Is(err, records.ErrNotSettled) {
		t.Errorf("disclosing before the data protection lead reviewed: %v", err)
	}
	// The data protection lead agrees with two, and changes the third:
	// the DSL must then look at it again.
	must(f.svc.ReviewPassage(ctx, f.admin, reqID, account, records.Redact, "Amara said [a third party] drives her home.", "Names another child's family"))
	must(f.svc.ReviewPassage(ctx, f.admin, reqID, reason, records.Withhold, "", "Crime and taxation exemption: police investigation"))
	must(f.svc.ReviewPassage(ctx, f.admin, reqID, wishes, records.Withhold, "", "Serious harm exemption"))
	if _, err := f.svc.Disclose(ctx, f.admin, reqID, "Mrs Okafor", "Collected in person"); !errors.Is(err, records.ErrNotSettled) {
		t.Errorf("disclosing after a changed decision the DSL has not seen: %v", err)
	}
	must(f.svc.ReviewPassage(ctx, f.dsl, reqID, wishes, records.Withhold, "", "Serious harm exemption"))
	done, err := f.svc.Disclose(ctx, f.dsl, reqID, "Mrs Okafor", "Collected in person")
	if err != nil {
		t.Fatal(err)
	}
	if len(done.Disclosures) != 1 || done.Disclosures[0].Redacted != 1 || done.Disclosures[0].Withheld != 2 || done.Disclosures[0].To != "Mrs Okafor" {
		t.Errorf("the disclosure log: %+v", done.Disclosures)
	}
	t.Run("a disclosed request is read-only", func(t *testing.T) {
		err := f.svc.ReviewPassage(ctx, f.dsl, reqID, wishes, records.Disclose, "", "")
		if !errors.Is(err, records.ErrDisclosed) {
			t.Errorf("a review after disclosure: %v, want ErrDisclosed", err)
		}
		if _, err := f.svc.Disclose(ctx, f.admin, reqID, "Someone else", "Post"); !errors.Is(err, records.ErrDisclosed) {
			t.Errorf("a second disclosure: %v, want ErrDisclosed", err)
		}
		if _, err := f.db.Owner.Exec(ctx, `UPDATE sar_passages SET decision = 'disclose', reason = '' WHERE id = $1`, wishes); err == nil ||
			!strings.Contains(err.Error(), "has been disclosed") {
			t.Errorf("the database let a disclosed passage change: %v", err)
		}
		got, err := f.svc.SubjectAccess(ctx, f.dsl, reqID)
		if err != nil || got.Passages[2].Decision != records.Withhold || got.Passages[2].Reason != "Serious harm exemption" ||
			got.Passages[0].Reason != "Names another child's family" || len(got.Disclosures) != 1 {
			t.Errorf("after refusals: %+v, %v", got, err)
		}
	})
	t.Run("the bundle prints only once settled, and the print is audited", func(t *testing.T) {
		var printed records.SAR
		out, _, err := f.svc.BundlePDF(ctx, f.admin, reqID, func(_ context.Context, r records.SAR) ([]byte, error) {
			printed = r
			return []byte("%PDF-1.7"), nil
		})
		if err != nil || string(out) != "%PDF-1.7" || len(printed.Passages) != 3 {
			t.Fatalf("BundlePDF: %q, %v", out, err)
		}
		if _, _, err := f.svc.BundlePDF(ctx, f.staff, reqID, nil); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("staff printing the bundle: %v", err)
		}
		if n := dbtest.Count(t, f.db.Owner, "audit_events WHERE action = 'sar.bundle_pdf'"); n != 1 {
			t.Errorf("%d prints audited, want 1", n)
		}
	})
	if n := dbtest.Count(t, f.db.Owner, "audit_events WHERE action LIKE 'sar.%' AND (details LIKE '%Okafor%' OR details LIKE '%uncle%')"); n != 0 {
		t.Error("personal data reached the audit trail")
	}
}
