package records

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/concern"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/pdf"
	"github.com/havenschools/haven/internal/pupil"
	"github.com/havenschools/haven/internal/validate"
	"github.com/havenschools/haven/internal/when"
)

// A child's file: everything Haven holds about one child, to send to the
// school they move to (a password-protected PDF for people, an encrypted
// package for another Haven). It holds the child's part only: the
// concerns about them in full, with decisions, actions, further
// information and the list of files; of a concern in which they are a
// witness, mentioned or said to have caused harm, only its reference, date
// and their role — never another child's account.

// ChildFile is a child's whole record.
type ChildFile struct {
	School      string
	GeneratedAt time.Time
	Child       pupil.Child
	About       []ExportConcern // concerns about the child, oldest first
	Named       []NamedIn       // concerns that name the child in another role
}

// NamedIn is a concern that names the child in a role other than the
// child it is about.
type NamedIn struct {
	Ref        string    `json:"reference"`
	HappenedOn time.Time `json:"happened_on"`
	Role       string    `json:"role"`
}

// FileEntry is one line of a child's file's chronology.
type FileEntry struct {
	At       time.Time
	DateOnly bool
	Ref      string
	Title    string
	By       string
	Details  []concern.Detail
}

// Chronology merges the file's concerns, decisions, actions, further
// information and namings in date order.
func (f ChildFile) Chronology() []FileEntry {
	var out []FileEntry
	for _, c := range f.About {
		e := FileEntry{At: c.HappenedOn.Time, DateOnly: true, Ref: c.Ref, By: c.RecordedBy,
			Title: "Concern " + c.Ref + " recorded"}
		e.Details = append(e.Details, concern.Detail{Label: "Recorded", Value: when.Moment(c.RecordedAt)})
		if c.Location != "" {
			e.Details = append(e.Details, concern.Detail{Label: "Where", Value: c.Location})
		}
		e.Details = append(e.Details, concern.Detail{Label: "What happened", Value: c.Account})
		if c.ChildsWords != "" {
			e.Details = append(e.Details, concern.Detail{Label: "The child's words", Value: c.ChildsWords})
		}
		if len(c.Categories) > 0 {
			e.Details = append(e.Details, concern.Detail{Label: "Categories", Value: strings.Join(c.Categories, ", ")})
		}
		for _, a := range c.Attachments {
			e.Details = append(e.Details, concern.Detail{Label: "File attached", Value: a.Name + " (" + a.ContentType + ")"})
		}
		out = append(out, e)
		for _, d := range c.Decisions {
			e := FileEntry{At: d.DecidedAt, Ref: c.Ref, By: d.DecidedBy, Title: "Decision: " + concern.Outcome(d.Outcome).Label()}
			e.Details = []concern.Detail{{Label: "Reason", Value: d.Reason}, {Label: "Parents or carers", Value: concern.Parents(d.Parents).Label()}}
			if d.ParentsWhyNot != "" {
				e.Details = append(e.Details, concern.Detail{Label: "Why not", Value: d.ParentsWhyNot})
			}
			e.Details = append(e.Details, concern.Detail{Label: "The child's wishes and feelings", Value: d.ChildsWishes})
			out = append(out, e)
		}
		for _, a := range c.Actions {
			e := FileEntry{At: a.On.Time, DateOnly: true, Ref: c.Ref, By: a.RecordedBy, Title: "Action: " + concern.ActionKind(a.Kind).Label()}
			e.Details = []concern.Detail{{Label: "Note", Value: a.Note}}
			if a.AgencyRef != "" {
				e.Details = append(e.Details, concern.Detail{Label: "Agency reference", Value: a.AgencyRef})
			}
			if a.FeedbackAt != nil {
				e.Details = append(e.Details, concern.Detail{Label: "Feedback", Value: a.FeedbackNote})
			}
			out = append(out, e)
		}
		for _, ad := range c.Addenda {
			out = append(out, FileEntry{At: ad.At, Ref: c.Ref, By: ad.By, Title: "Further information added to " + c.Ref,
				Details: []concern.Detail{{Label: "Further information", Value: ad.Body}}})
		}
		if c.ClosedAt != nil {
			out = append(out, FileEntry{At: *c.ClosedAt, Ref: c.Ref, Title: "Concern " + c.Ref + " closed",
				Details: []concern.Detail{{Label: "Outcome", Value: c.OutcomeSummary}}})
		}
	}
	for _, n := range f.Named {
		out = append(out, FileEntry{At: n.HappenedOn, DateOnly: true, Ref: n.Ref,
			Title: "Named in concern " + n.Ref + ": " + concern.Role(n.Role).Label()})
	}
	slices.SortStableFunc(out, func(a, b FileEntry) int { return a.At.Compare(b.At) })
	return out
}

func childFile(ctx context.Context, q db.Querier, schoolID, childID int64, now time.Time) (ChildFile, error) {
	f := ChildFile{GeneratedAt: now}
	rows, _ := q.Query(ctx, `SELECT id, school_id, first_name, last_name, date_of_birth, year_group, upn, mis_id,
			looked_after, cp_plan, child_in_need, send, ehcp, social_worker, added_inline, created_at
		FROM children WHERE school_id = $1 AND id = $2`, schoolID, childID)
	var err error
	if f.Child, err = pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[pupil.Child]); err != nil {
		if err == pgx.ErrNoRows {
			return ChildFile{}, db.ErrNotFound
		}
		return ChildFile{}, err
	}
	if err := q.QueryRow(ctx, `SELECT name FROM schools WHERE id = $1`, schoolID).Scan(&f.School); err != nil {
		return ChildFile{}, err
	}
	err = eachConcern(ctx, q, schoolID, Filter{subjectChild: childID}, func(c ExportConcern) error {
		f.About = append(f.About, c)
		return nil
	}, func(int) error { return nil })
	if err != nil {
		return ChildFile{}, err
	}
	rows, _ = q.Query(ctx, `SELECT c.ref, c.happened_on, cc.role FROM concern_children cc
		JOIN concerns c ON c.school_id = cc.school_id AND c.id = cc.concern_id
		WHERE cc.school_id = $1 AND cc.child_id = $2 AND cc.role <> 'subject' AND c.entered_in_error_at IS NULL
		ORDER BY c.happened_on, c.id`, schoolID, childID)
	if f.Named, err = pgx.CollectRows(rows, pgx.RowToStructByPos[NamedIn]); err != nil {
		return ChildFile{}, err
	}
	return f, nil
}

// FileRequest is "Make the child's file", as typed.
type FileRequest struct {
	Format     Format // PDF or Pkg
	Reason     string
	TransferID int64 // the transfer the file is for; 0 for none
}

// PrintFunc prints a child's file as an unencrypted PDF: the web layer
// renders its HTML and Chromium prints it (internal/pdf). nil: no PDF can
// be made on this server.
type PrintFunc func(ctx context.Context, f ChildFile) ([]byte, error)

// MakeChildFile makes child childID's file as a DSL asks in req — a PDF
// printed by print and encrypted with AES-256, or an encrypted package
// for another Haven — keeps it as by's export (downloadable by by only,
// for Lifetime) and, when it is for a transfer of that child, attaches it
// to the transfer. It returns the export and the file's password, to be
// shown once. Everything is checked before anything is printed: a format
// that is not PDF or package, or PDF without print (a problem for
// "format"), no reason (a problem for "reason"). DSLs only (ErrForbidden);
// an unknown child, or a transfer not of that child or already received,
// is db.ErrNotFound. Reading the file is audited as child.file; storing,
// attaching and their audit rows (export.request, export.ready and, for a
// transfer, transfer.file) are one transaction, so a file is never kept
// half-attached. Printing happens between the two, outside any transaction.
func (s *Service) MakeChildFile(ctx context.Context, by actor.Actor, childID int64, req FileRequest, print PrintFunc) (Export, string, error) {
	if by.Role != actor.DSL || by.UserID == 0 {
		return Export{}, "", ErrForbidden
	}
	p := validate.Problems{}
	switch {
	case req.Format != PDF && req.Format != Pkg:
		p.Add("format", "Choose a format")
	case req.Format == PDF && print == nil:
		p.Add("format", "PDFs cannot be made on this server: choose the package")
	}
	req.Reason = strings.TrimSpace(req.Reason)
	if msg := validate.Text(req.Reason, "why you are making the file", true, MaxReason); msg != "" {
		p.Add("reason", msg)
	}
	if len(p) > 0 {
		return Export{}, "", p
	}
	var f ChildFile
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		if err := openTransferOf(ctx, tx, by.SchoolID, req.TransferID, childID); err != nil {
			return err
		}
		var err error
		if f, err = childFile(ctx, tx, by.SchoolID, childID, s.now()); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "child.file", SubjectType: "child",
			SubjectID: strconv.FormatInt(childID, 10), Details: map[string]any{"concerns": len(f.About), "named_in": len(f.Named)}})
	})
	if errors.Is(err, db.ErrNotFound) {
		return Export{}, "", err
	}
	if err != nil {
		return Export{}, "", fmt.Errorf("child's file %d: %w", childID, err)
	}

	password := pdf.NewPassword()
	var content []byte
	kind := KindChildFile
	if req.Format == PDF {
		plain, err := print(ctx, f)
		if err != nil {
			return Export{}, "", fmt.Errorf("print child's file %d: %w", childID, err)
		}
		if content, err = pdf.Encrypt(plain, password); err != nil {
			return Export{}, "", err
		}
	} else {
		kind = KindTransferPackage
		var buf bytes.Buffer
		if err := s.BuildPackage(ctx, by, childID, password, &buf); err != nil {
			return Export{}, "", err
		}
		content = buf.Bytes()
	}

	var e Export
	err = db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var err error
		if e, err = storeChildFile(ctx, tx, by, childID, kind, req.Reason, content); err != nil {
			return err
		}
		if req.TransferID == 0 {
			return nil
		}
		// The transfer may have been received while the file was printed.
		if err := openTransferOf(ctx, tx, by.SchoolID, req.TransferID, childID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE child_transfers SET file_export_id = $3 WHERE school_id = $1 AND id = $2`,
			by.SchoolID, req.TransferID, e.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "transfer.file", SubjectType: "child",
			SubjectID: strconv.FormatInt(childID, 10), Details: map[string]any{"transfer": req.TransferID, "export": e.PublicID}})
	})
	if errors.Is(err, db.ErrNotFound) {
		return Export{}, "", err
	}
	if err != nil {
		return Export{}, "", fmt.Errorf("store child's file %d: %w", childID, err)
	}
	return e, password, nil
}

// openTransferOf checks that transfer id (0: none) is of child childID in
// the school and not yet received, locking it, or returns db.ErrNotFound.
func openTransferOf(ctx context.Context, q db.Querier, schoolID, id, childID int64) error {
	if id == 0 {
		return childExists(ctx, q, schoolID, childID)
	}
	var ok bool
	err := q.QueryRow(ctx, `SELECT received_at IS NULL FROM child_transfers WHERE school_id = $1 AND id = $2 AND child_id = $3
		FOR UPDATE`, schoolID, id, childID).Scan(&ok)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && !ok) {
		return db.ErrNotFound
	}
	return err
}

// storeChildFile keeps content as a ready export of by's, downloadable at
// once by by only, for Lifetime, audited as export.request and
// export.ready (kind child_file or transfer_package; the request with the reason).
func storeChildFile(ctx context.Context, tx pgx.Tx, by actor.Actor, childID int64, kind Kind, reason string, content []byte) (Export, error) {
	format := PDF
	if kind == KindTransferPackage {
		format = Pkg
	}
	var id int64
	if err := tx.QueryRow(ctx, `INSERT INTO exports (school_id, kind, format, child_id, reason, requested_by, requested_role,
			status, rows_total, rows_done, size_bytes, sha256, started_at, ready_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, 'ready', 1, 1, $8, $9, now(), now(), now() + $10::interval) RETURNING id`,
		by.SchoolID, kind, format, childID, reason, by.UserID, by.Role, len(content), sum256(content),
		fmt.Sprintf("%d seconds", int(Lifetime.Seconds()))).Scan(&id); err != nil {
		return Export{}, err
	}
	for seq, off := 0, 0; off < len(content); seq, off = seq+1, off+chunkSize {
		end := min(off+chunkSize, len(content))
		if _, err := tx.Exec(ctx, `INSERT INTO export_chunks (school_id, export_id, seq, data) VALUES ($1, $2, $3, $4)`,
			by.SchoolID, id, seq, content[off:end]); err != nil {
			return Export{}, err
		}
	}
	e, err := get(ctx, tx, by.SchoolID, id)
	if err != nil {
		return Export{}, err
	}
	child := strconv.FormatInt(childID, 10)
	if err := audit.Record(ctx, tx, by, audit.Event{Action: "export.request", SubjectType: "export", SubjectID: e.PublicID,
		Details: map[string]any{"kind": string(kind), "child": child, "approval": "direct", "reason": reason}}); err != nil {
		return Export{}, err
	}
	return e, audit.Record(ctx, tx, by, audit.Event{Action: "export.ready", SubjectType: "export", SubjectID: e.PublicID,
		Details: map[string]any{"bytes": len(content)}})
}

func sum256(b []byte) []byte {
	h := sha256.Sum256(b)
	return h[:]
}

// PackageVersion is the version of a Haven-to-Haven package's JSON.
const PackageVersion = 1

// Package is the JSON of a Haven-to-Haven package: the child and their
// file, for another Haven to import (ImportPackage). Attachments travel
// beside it in the package.
type Package struct {
	Format      string          `json:"format"` // "haven.child_file"
	Version     int             `json:"version"`
	FromSchool  string          `json:"from_school"`
	GeneratedAt time.Time       `json:"generated_at"`
	Child       PackageChild    `json:"child"`
	Concerns    []ExportConcern `json:"concerns"`
	NamedIn     []NamedIn       `json:"named_in"`
}

// PackageChild is the child as the package carries them.
type PackageChild struct {
	FirstName    string `json:"first_name"`
	LastName     string `json:"last_name"`
	DateOfBirth  *Date  `json:"date_of_birth,omitempty"`
	UPN          string `json:"upn,omitempty"`
	LookedAfter  bool   `json:"looked_after"`
	CPPlan       bool   `json:"child_protection_plan"`
	ChildInNeed  bool   `json:"child_in_need"`
	SEND         bool   `json:"send"`
	EHCP         bool   `json:"ehcp"`
	SocialWorker string `json:"social_worker,omitempty"`
}

// PackageJSON writes f as a package's JSON.
func (f ChildFile) PackageJSON(w io.Writer) error {
	p := Package{Format: "haven.child_file", Version: PackageVersion, FromSchool: f.School,
		GeneratedAt: f.GeneratedAt.UTC().Truncate(time.Second), Concerns: f.About, NamedIn: f.Named,
		Child: PackageChild{FirstName: f.Child.FirstName, LastName: f.Child.LastName, LookedAfter: f.Child.LookedAfter,
			CPPlan: f.Child.CPPlan, ChildInNeed: f.Child.ChildInNeed, SEND: f.Child.SEND, EHCP: f.Child.EHCP,
			SocialWorker: f.Child.SocialWorker}}
	if f.Child.DateOfBirth != nil {
		p.Child.DateOfBirth = &Date{*f.Child.DateOfBirth}
	}
	if f.Child.UPN != nil {
		p.Child.UPN = *f.Child.UPN
	}
	if p.Concerns == nil {
		p.Concerns = []ExportConcern{}
	}
	if p.NamedIn == nil {
		p.NamedIn = []NamedIn{}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(p); err != nil {
		return err
	}
	_, err := b.WriteTo(w)
	return err
}
