package records_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/db/dbtest"
	"github.com/havenschools/haven/internal/records"
	"github.com/havenschools/haven/internal/validate"
)

func TestTransferDueOnTheSchoolCalendarAndReceiptLinkWorksOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	// Term ends on Friday 17 July 2026; the next starts on Thursday 3 September.
	if _, err := f.db.Owner.Exec(ctx, `INSERT INTO school_terms (school_id, name, starts_on, ends_on)
		VALUES ($1, 'Summer', '2026-04-13', '2026-07-17'), ($1, 'Autumn', '2026-09-03', '2026-12-18')`, f.school); err != nil {
		t.Fatal(err)
	}
	svc := f.svc.WithClock(func() time.Time { return time.Date(2026, 7, 17, 10, 0, 0, 0, time.UTC) })
	form := records.TransferForm{DestinationSchool: "Riverside Academy", DestinationDSL: "Rae Ceiver",
		DestinationEmail: "dsl@riverside.test", LeftOn: time.Date(2026, 7, 17, 0, 0, 0, 0, time.UTC)}
	if _, err := svc.StartTransfer(ctx, f.admin, f.amara.ID, form); !errors.Is(err, records.ErrForbidden) {
		t.Errorf("an admin starting a transfer: %v", err)
	}
	bad := form
	bad.DestinationEmail = "not an address"
	if _, ok := errors.AsType[validate.Problems](func() error { _, err := svc.StartTransfer(ctx, f.dsl, f.amara.ID, bad); return err }()); !ok {
		t.Error("a bad email address was accepted")
	}
	tr, err := svc.StartTransfer(ctx, f.dsl, f.amara.ID, form)
	if err != nil {
		t.Fatal(err)
	}
	// Five school days after the last day of term: 3, 4, 7, 8, 9 September.
	if want := time.Date(2026, 9, 9, 0, 0, 0, 0, time.UTC); !tr.DueOn.Equal(want) {
		t.Errorf("due on %s, want %s (the first 5 days of the new term)", tr.DueOn.Format(time.DateOnly), want.Format(time.DateOnly))
	}

	later := f.svc.WithClock(func() time.Time { return time.Date(2026, 9, 10, 9, 0, 0, 0, time.UTC) })
	overdue, err := later.OverdueTransfers(ctx, f.dsl)
	if err != nil || len(overdue) != 1 || overdue[0].State(time.Date(2026, 9, 10, 9, 0, 0, 0, time.UTC)) != "File not sent — overdue" {
		t.Errorf("overdue transfers: %+v, %v", overdue, err)
	}
	if n, err := later.ChaseTransfers(ctx); err != nil || n != 1 {
		t.Errorf("first chase: %d, %v", n, err)
	}
	if n, _ := later.ChaseTransfers(ctx); n != 0 {
		t.Errorf("second chase the same day: %d, want 0", n)
	}

	e, _, err := f.svc.MakeChildFile(ctx, f.dsl, f.amara.ID, records.FileRequest{Format: records.Pkg,
		Reason: "Moving to Riverside", TransferID: tr.ID}, nil)
	if err != nil {
		t.Fatal(err)
	}
	token, err := f.svc.MarkSent(ctx, f.dsl, tr.ID, records.SendForm{File: "made", How: "Secure email to the DSL; password by phone"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := f.svc.ReceiptFor(ctx, token)
	if err != nil || r.FromSchool != "St Aidan's" || r.Ref != tr.Ref() || r.FileMadeAt == nil || !r.FileMadeAt.Equal(*e.ReadyAt) ||
		r.FileFormat != records.Pkg || r.SentHow != "Secure email to the DSL; password by phone" {
		t.Errorf("receipt page: %+v, %v", r, err)
	}
	if _, ok := errors.AsType[validate.Problems](f.svc.ConfirmReceipt(ctx, token, " ", actor.Source{})); !ok {
		t.Error("a receipt without a name was accepted")
	}
	if err := f.svc.ConfirmReceipt(ctx, token, "Rae Ceiver", actor.Source{ClientIP: "198.51.100.7"}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.ConfirmReceipt(ctx, token, "Someone Else", actor.Source{}); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("the link used twice: %v, want not found", err)
	}
	if _, err := f.svc.ReceiptFor(ctx, token); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("the used link's page: %v", err)
	}
	got, _ := f.svc.Transfer(ctx, f.dsl, tr.ID)
	if got.ReceivedByName != "Rae Ceiver" || got.ReceivedAt == nil {
		t.Errorf("after receipt: %+v", got)
	}
	if n := dbtest.Count(t, f.db.Owner, "audit_events WHERE action = 'transfer.receipt' AND client_addr = '198.51.100.7'"); n != 1 {
		t.Error("the receipt is not audited")
	}
	if n := dbtest.Count(t, f.db.Owner, "river_job WHERE kind = 'email' AND args->>'text' LIKE '%Okafor%'"); n != 0 {
		t.Error("an email names the child")
	}
}

// TestATransferIsSentOnlyWithWhatWasSent: a transfer cannot be marked sent
// (nor the receiving DSL emailed) until the child's file is made for it or
// an alternative is recorded with its reason; the file is made, attached
// and audited by one call, which checks everything before it prints.
func TestATransferIsSentOnlyWithWhatWasSent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	form := records.TransferForm{DestinationSchool: "Riverside Academy", DestinationDSL: "Rae Ceiver",
		DestinationEmail: "dsl@riverside.test", LeftOn: time.Now()}
	tr, err := f.svc.StartTransfer(ctx, f.dsl, f.amara.ID, form)
	if err != nil {
		t.Fatal(err)
	}
	problem := func(err error, field string) bool {
		p, ok := errors.AsType[validate.Problems](err)
		return ok && p[field] != ""
	}
	t.Run("no file made is refused", func(t *testing.T) {
		_, err := f.svc.MarkSent(ctx, f.dsl, tr.ID, records.SendForm{File: "made", How: "Secure email"})
		if !problem(err, "sent_file") {
			t.Errorf("marked sent with no file: %v", err)
		}
		if _, err := f.svc.MarkSent(ctx, f.dsl, tr.ID, records.SendForm{How: "Secure email"}); !problem(err, "sent_file") {
			t.Errorf("marked sent saying nothing of what: %v", err)
		}
		if got, _ := f.svc.Transfer(ctx, f.dsl, tr.ID); got.SentAt != nil {
			t.Error("the refused transfer is recorded as sent")
		}
	})
	t.Run("an alternative needs its reason", func(t *testing.T) {
		_, err := f.svc.MarkSent(ctx, f.dsl, tr.ID, records.SendForm{File: string(records.ByHand), How: "Handed over"})
		if !problem(err, "sent_reason") {
			t.Errorf("an alternative without a reason: %v", err)
		}
	})
	t.Run("the file is checked before it is printed", func(t *testing.T) {
		printed := false
		print := func(context.Context, records.ChildFile) ([]byte, error) {
			printed = true
			return []byte("%PDF-1.7"), nil
		}
		_, _, err := f.svc.MakeChildFile(ctx, f.dsl, f.amara.ID, records.FileRequest{Format: records.PDF, TransferID: tr.ID}, print)
		if !problem(err, "reason") || printed {
			t.Errorf("no reason: %v, printed %v", err, printed)
		}
		_, _, err = f.svc.MakeChildFile(ctx, f.dsl, f.ben.ID, records.FileRequest{Format: records.Pkg, Reason: "x", TransferID: tr.ID}, nil)
		if !errors.Is(err, db.ErrNotFound) {
			t.Errorf("another child's file for this transfer: %v", err)
		}
		if _, _, err := f.svc.MakeChildFile(ctx, f.dsl, f.amara.ID, records.FileRequest{Format: records.PDF, Reason: "x"}, nil); !problem(err, "format") {
			t.Errorf("a PDF with no printer: %v", err)
		}
	})
	t.Run("the file made is attached, audited, and named on the receipt page", func(t *testing.T) {
		e, password, err := f.svc.MakeChildFile(ctx, f.dsl, f.amara.ID, records.FileRequest{Format: records.Pkg,
			Reason: "Moving to Riverside", TransferID: tr.ID}, nil)
		if err != nil || password == "" {
			t.Fatal(err)
		}
		got, _ := f.svc.Transfer(ctx, f.dsl, tr.ID)
		if got.FileExportID == nil || *got.FileExportID != e.ID {
			t.Fatalf("the file is not attached: %+v", got)
		}
		if n := dbtest.Count(t, f.db.Owner, "audit_events WHERE action = 'transfer.file' AND details::jsonb->>'export' = $1", e.PublicID); n != 1 {
			t.Errorf("transfer.file audited %d times, want 1", n)
		}
		token, err := f.svc.MarkSent(ctx, f.dsl, tr.ID, records.SendForm{File: "made", How: "Secure email"})
		if err != nil {
			t.Fatal(err)
		}
		r, err := f.svc.ReceiptFor(ctx, token)
		if err != nil || r.FileMadeAt == nil || r.Alternative != "" {
			t.Errorf("receipt: %+v, %v", r, err)
		}
	})
	t.Run("an alternative with its reason is recorded", func(t *testing.T) {
		token, err := f.svc.MarkSent(ctx, f.dsl, tr.ID, records.SendForm{File: string(records.LASecureEmail),
			How: "The LA's secure mail", Reason: "The local authority asked for its own system"})
		if err != nil {
			t.Fatal(err)
		}
		r, err := f.svc.ReceiptFor(ctx, token)
		if err != nil || r.FileMadeAt != nil || r.Alternative != records.LASecureEmail {
			t.Errorf("receipt: %+v, %v", r, err)
		}
		if n := dbtest.Count(t, f.db.Owner, "audit_events WHERE action = 'transfer.sent' AND details::jsonb->>'alternative' = 'la_secure_email'"); n != 1 {
			t.Errorf("the alternative audited %d times, want 1", n)
		}
		if n := dbtest.Count(t, f.db.Owner, "audit_events WHERE details::text LIKE '%own system%'"); n != 0 {
			t.Error("the reason reached the audit trail")
		}
	})
}

func TestPackageToAnotherHaven(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	id := dbtest.MustConcern(t, f.db.Owner, f.staff, f.amara.ID, dbtest.Concern{Account: "Seen getting into a silver car"})
	mustDecision(t, f.db.Owner, f.dsl, id, "Referred to children's social care")
	if _, err := f.db.Owner.Exec(ctx, `INSERT INTO concern_attachments (school_id, submission_id, concern_id, uploaded_by, display_name,
			content_type, size_bytes, sha256, content) VALUES ($1, gen_random_uuid(), $2, $3, '../note.pdf', 'application/pdf', 8,
			sha256('%PDF-1.7'), '%PDF-1.7')`, f.school, id, f.staff.UserID); err != nil {
		t.Fatal(err)
	}
	var pkg bytes.Buffer
	if err := f.svc.BuildPackage(ctx, f.dsl, f.amara.ID, "correct horse battery staple", &pkg); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(pkg.Bytes(), []byte("silver car")) || !bytes.HasPrefix(pkg.Bytes(), []byte("age-encryption.org/v1")) {
		t.Fatal("the package is not encrypted")
	}

	// The receiving school, with the child on its roll under the same UPN.
	other := recordsSchool(t, f.db.Owner, "riverside", "Riverside Academy")
	theirDSL := dbtest.MustMember(t, f.db.Owner, other, "dsl@riverside.test", "Rae Ceiver", actor.DSL)
	var theirChild int64
	if err := f.db.Owner.QueryRow(ctx, `INSERT INTO children (school_id, first_name, last_name, upn) VALUES ($1, 'Amara', 'Okafor', 'A123456789012') RETURNING id`, other).Scan(&theirChild); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.ImportPackage(ctx, theirDSL, bytes.NewReader(pkg.Bytes()), "wrong passphrase"); !errors.Is(err, records.ErrBadPackage) {
		t.Errorf("a wrong passphrase: %v", err)
	}
	if _, err := f.svc.ImportPackage(ctx, theirDSL, strings.NewReader("not a package"), "x"); !errors.Is(err, records.ErrBadPackage) {
		t.Errorf("not a package: %v", err)
	}
	r, err := f.svc.ImportPackage(ctx, theirDSL, bytes.NewReader(pkg.Bytes()), "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if r.ChildID == nil || *r.ChildID != theirChild || r.FromSchool != "St Aidan's" || len(r.Package.Concerns) != 1 ||
		r.Package.Concerns[0].Account != "Seen getting into a silver car" || len(r.Package.Concerns[0].Decisions) != 1 {
		t.Fatalf("received: %+v", r)
	}
	got, err := f.svc.ReceivedFile(ctx, theirDSL, r.ID)
	if err != nil || len(got.Attachments) != 1 || got.Attachments[0].Name != "1-note.pdf" || got.Attachments[0].Bytes != 8 {
		t.Errorf("received file: %+v, %v", got.Attachments, err)
	}
	if _, err := f.svc.ReceivedFile(ctx, f.dsl, r.ID); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("the sending school reading the receiving school's file: %v", err)
	}
}
