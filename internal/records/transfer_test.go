package records_test

import (
	"bytes"
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

	token, err := f.svc.MarkSent(ctx, f.dsl, tr.ID, "Secure email to the DSL; password by phone")
	if err != nil {
		t.Fatal(err)
	}
	r, err := f.svc.ReceiptFor(ctx, token)
	if err != nil || r.FromSchool != "St Aidan's" || r.Ref != tr.Ref() {
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

func TestPackageToAnotherHaven(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	id := mustConcern(t, f.db.Owner, f.staff, f.amara.ID, concernOpts{account: "Seen getting into a silver car"})
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
	other := mustSchool(t, f.db.Owner, "riverside", "Riverside Academy")
	theirDSL := mustMember(t, f.db.Owner, other, "dsl@riverside.test", "Rae Ceiver", actor.DSL)
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
