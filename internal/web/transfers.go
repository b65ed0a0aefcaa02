package web

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/fail"
	"github.com/havenschools/haven/internal/paths"
	"github.com/havenschools/haven/internal/records"
	"github.com/havenschools/haven/internal/school"
	"github.com/havenschools/haven/internal/validate"
	"github.com/havenschools/haven/internal/when"
	"github.com/havenschools/haven/web/page"
)

// A child's file and transfers (records): DSLs make a child's file (a
// password-protected PDF printed by Chromium, or an encrypted package for
// another Haven), record transfers and when files were sent; the receiving
// DSL confirms receipt through a one-time link; files from another Haven
// are imported.

// routeID reads the route's {id}; one that is not a positive number is
// db.ErrNotFound.
func routeID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, db.ErrNotFound
	}
	return id, nil
}

// handleChildFilePage handles GET /children/{child}/file.
func (s *Server) handleChildFilePage(w http.ResponseWriter, r *http.Request) error {
	transfer, _ := strconv.ParseInt(r.URL.Query().Get("transfer"), 10, 64)
	return s.renderChildFile(w, r, http.StatusOK, page.ChildFilePage{TransferID: transfer, Format: "pdf"})
}

func (s *Server) renderChildFile(w http.ResponseWriter, r *http.Request, status int, v page.ChildFilePage) error {
	id, err := routeID(r)
	if err != nil {
		return err
	}
	if v.Child, err = s.pupils.Get(r.Context(), actorFrom(r), id); err != nil {
		return err
	}
	v.CanPrint = s.printer.Available()
	if !v.CanPrint && v.Format == "pdf" {
		v.Format = "package"
	}
	return render(w, r, status, page.ChildFileNew(v))
}

// handleChildFile handles POST /children/{child}/file: it makes the file,
// keeps it as the DSL's export and shows its password once.
func (s *Server) handleChildFile(w http.ResponseWriter, r *http.Request) error {
	id, err := routeID(r)
	if err != nil {
		return err
	}
	transfer, _ := strconv.ParseInt(r.PostFormValue("transfer"), 10, 64)
	v := page.ChildFilePage{TransferID: transfer, Format: r.PostFormValue("format"), Reason: r.PostFormValue("reason")}
	var print records.PrintFunc
	if s.printer.Available() {
		print = s.printChildFile
	}
	e, password, err := s.records.MakeChildFile(r.Context(), actorFrom(r), id,
		records.FileRequest{Format: records.Format(v.Format), Reason: v.Reason, TransferID: transfer}, print)
	if p, ok := fail.ProblemsOf(err); ok {
		v.Problems = p
		return s.renderChildFile(w, r, http.StatusUnprocessableEntity, v)
	}
	if err != nil {
		return err
	}
	s.sessions.Put(r.Context(), sessFilePassword+e.PublicID, password)
	s.sessions.Put(r.Context(), sessFlash, "The child's file is ready: note its password now")
	http.Redirect(w, r, paths.Export(e.PublicID), http.StatusSeeOther)
	return nil
}

// printChildFile renders f as a document for printing and has Chromium
// print it (records.PrintFunc).
func (s *Server) printChildFile(ctx context.Context, f records.ChildFile) ([]byte, error) {
	var html bytes.Buffer
	if err := page.ChildFilePrint(f).Render(ctx, &html); err != nil {
		return nil, err
	}
	return s.printer.Print(ctx, html.Bytes(), "Safeguarding file of "+f.Child.Name()+", "+f.School)
}

// handleTransfers handles GET /transfers.
func (s *Server) handleTransfers(w http.ResponseWriter, r *http.Request) error {
	return s.renderTransfers(w, r, http.StatusOK, page.TransfersPage{})
}

func (s *Server) renderTransfers(w http.ResponseWriter, r *http.Request, status int, v page.TransfersPage) error {
	list, err := s.records.Transfers(r.Context(), actorFrom(r))
	if err != nil {
		return err
	}
	v.Transfers, v.Now = list, time.Now()
	if v.Terms, err = s.termCover(r); err != nil {
		return err
	}
	return render(w, r, status, page.Transfers(v))
}

// handleTransferFind handles POST /transfers/find: a child to start a
// transfer for, searched by POST so a name never travels in a URL.
func (s *Server) handleTransferFind(w http.ResponseWriter, r *http.Request) error {
	v := page.TransfersPage{Query: r.PostFormValue("q")}
	picker, problem, err := s.findChildren(r.Context(), actorFrom(r), v.Query)
	if err != nil {
		return err
	}
	if problem != "" {
		v.Problems = validate.Problems{"q": problem}
		return s.renderTransfers(w, r, http.StatusUnprocessableEntity, v)
	}
	v.ChildPicker = picker
	return s.renderTransfers(w, r, http.StatusOK, v)
}

// handleTransferNew handles GET /children/{child}/transfers/new.
// termCover says whether the school's term dates reach today: the
// transfer clock counts school days by them.
func (s *Server) termCover(r *http.Request) (school.TermCover, error) {
	c, err := s.schools.Calendar(r.Context(), actorFrom(r))
	if err != nil {
		return school.TermCover{}, err
	}
	return c.TermCover(time.Now()), nil
}

func (s *Server) handleTransferNew(w http.ResponseWriter, r *http.Request) error {
	return s.renderTransferNew(w, r, http.StatusOK, page.TransferNewPage{})
}

func (s *Server) renderTransferNew(w http.ResponseWriter, r *http.Request, status int, v page.TransferNewPage) error {
	id, err := routeID(r)
	if err != nil {
		return err
	}
	if v.Child, err = s.pupils.Get(r.Context(), actorFrom(r), id); err != nil {
		return err
	}
	if v.Terms, err = s.termCover(r); err != nil {
		return err
	}
	return render(w, r, status, page.TransferNew(v))
}

// handleTransferCreate handles POST /children/{child}/transfers.
func (s *Server) handleTransferCreate(w http.ResponseWriter, r *http.Request) error {
	id, err := routeID(r)
	if err != nil {
		return err
	}
	v := page.TransferNewPage{School: r.PostFormValue("destination_school"), DSL: r.PostFormValue("destination_dsl"),
		Email: r.PostFormValue("destination_email"),
		Left:  page.AuditDate{Day: r.PostFormValue("left_on-day"), Month: r.PostFormValue("left_on-month"), Year: r.PostFormValue("left_on-year")}}
	left, real := auditDay(v.Left) // not real: the zero date, which the service refuses
	t, err := s.records.StartTransfer(r.Context(), actorFrom(r), id, records.TransferForm{DestinationSchool: v.School,
		DestinationDSL: v.DSL, DestinationEmail: v.Email, LeftOn: dateOnly(left)})
	if p, isProblems := fail.ProblemsOf(err); isProblems {
		if !real {
			p["left_on"] = "The date the child left must be a real date, for example 17 7 2026"
		}
		v.Problems = p
		return s.renderTransferNew(w, r, http.StatusUnprocessableEntity, v)
	}
	if err != nil {
		return err
	}
	s.sessions.Put(r.Context(), sessFlash, "Transfer recorded: the file is due by "+when.Day(t.DueOn))
	http.Redirect(w, r, paths.Transfer(t.ID), http.StatusSeeOther)
	return nil
}

// handleTransfer handles GET /transfers/{id}.
func (s *Server) handleTransfer(w http.ResponseWriter, r *http.Request) error {
	return s.renderTransfer(w, r, http.StatusOK, page.TransferPage{})
}

func (s *Server) renderTransfer(w http.ResponseWriter, r *http.Request, status int, v page.TransferPage) error {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil {
		return db.ErrNotFound
	}
	if v.Transfer, err = s.records.Transfer(r.Context(), actorFrom(r), id); err != nil {
		return err
	}
	v.Now = time.Now()
	return render(w, r, status, page.TransferShow(v))
}

// handleTransferSent handles POST /transfers/{id}/sent.
func (s *Server) handleTransferSent(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil {
		return db.ErrNotFound
	}
	f := records.SendForm{File: r.PostFormValue("sent_file"), How: r.PostFormValue("sent_how"), Reason: r.PostFormValue("sent_reason")}
	_, err = s.records.MarkSent(r.Context(), actorFrom(r), id, f)
	if p, ok := fail.ProblemsOf(err); ok {
		return s.renderTransfer(w, r, http.StatusUnprocessableEntity, page.TransferPage{Send: f, Problems: p})
	}
	if err != nil {
		return err
	}
	s.sessions.Put(r.Context(), sessFlash, "Recorded as sent: the receiving DSL has been emailed a link to confirm receipt")
	http.Redirect(w, r, paths.Transfer(id), http.StatusSeeOther)
	return nil
}

// handleReceiptPage handles GET /transfers/receipt/{token} (no sign-in).
func (s *Server) handleReceiptPage(w http.ResponseWriter, r *http.Request) error {
	rc, err := s.records.ReceiptFor(r.Context(), chi.URLParam(r, "token"))
	if errors.Is(err, db.ErrNotFound) {
		return render(w, r, http.StatusGone, page.ReceiptGone())
	}
	if err != nil {
		return err
	}
	return render(w, r, http.StatusOK, page.TransferReceipt(page.ReceiptPage{Receipt: rc}))
}

// handleReceipt handles POST /transfers/receipt/{token}: the link works once.
func (s *Server) handleReceipt(w http.ResponseWriter, r *http.Request) error {
	token, name := chi.URLParam(r, "token"), r.PostFormValue("name")
	err := s.records.ConfirmReceipt(r.Context(), token, name, s.source(r))
	if p, ok := fail.ProblemsOf(err); ok {
		rc, err := s.records.ReceiptFor(r.Context(), token)
		if err != nil {
			return render(w, r, http.StatusGone, page.ReceiptGone())
		}
		return render(w, r, http.StatusUnprocessableEntity, page.TransferReceipt(page.ReceiptPage{Receipt: rc, Name: name, Problems: p}))
	}
	if errors.Is(err, db.ErrNotFound) {
		return render(w, r, http.StatusGone, page.ReceiptGone())
	}
	if err != nil {
		return err
	}
	return render(w, r, http.StatusOK, page.TransferReceipt(page.ReceiptPage{Done: true}))
}

// handleReceivedImportPage handles GET /received/import.
func (s *Server) handleReceivedImportPage(w http.ResponseWriter, r *http.Request) error {
	return render(w, r, http.StatusOK, page.ReceivedImport(page.ReceivedImportPage{}))
}

// handleReceivedImport handles POST /received: a package from another Haven.
func (s *Server) handleReceivedImport(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, records.MaxPackageBytes+1<<20)
	bad := func(p validate.Problems) error {
		return render(w, r, http.StatusUnprocessableEntity, page.ReceivedImport(page.ReceivedImportPage{Problems: p}))
	}
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		return bad(validate.Problems{"package": "Choose the package file (smaller than 200 MB)"})
	}
	f, _, err := r.FormFile("package")
	if err != nil {
		return bad(validate.Problems{"package": "Choose the package file"})
	}
	defer f.Close()
	rec, err := s.records.ImportPackage(r.Context(), actorFrom(r), f, r.PostFormValue("passphrase"))
	if p, ok := fail.ProblemsOf(err); ok {
		return bad(p)
	}
	if errors.Is(err, records.ErrBadPackage) {
		return bad(validate.Problems{"passphrase": "The file is not a Haven package, or the passphrase is wrong"})
	}
	if err != nil {
		return err
	}
	s.sessions.Put(r.Context(), sessFlash, "Child's file imported")
	http.Redirect(w, r, paths.Received(rec.ID), http.StatusSeeOther)
	return nil
}

// handleReceived handles GET /received/{id}.
func (s *Server) handleReceived(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil {
		return db.ErrNotFound
	}
	rec, err := s.records.ReceivedFile(r.Context(), actorFrom(r), id)
	if err != nil {
		return err
	}
	f := records.ChildFile{School: rec.FromSchool, About: rec.Package.Concerns, Named: rec.Package.NamedIn}
	return render(w, r, http.StatusOK, page.ReceivedShow(page.ReceivedPage{Received: rec, File: f}))
}
