package records

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
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

// ChildFile returns the whole record of child childID of by's school for
// a DSL (anyone else, or an unknown child: db.ErrNotFound), as by may see
// it (restricted concerns only for the DSLs named on them). Audited as
// child.file.
func (s *Service) ChildFile(ctx context.Context, by actor.Actor, childID int64) (ChildFile, error) {
	if by.Role != actor.DSL || by.UserID == 0 {
		return ChildFile{}, db.ErrNotFound
	}
	var f ChildFile
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var err error
		if f, err = childFile(ctx, tx, by.SchoolID, childID, s.now()); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "child.file", SubjectType: "child",
			SubjectID: strconv.FormatInt(childID, 10), Details: map[string]any{"concerns": len(f.About), "named_in": len(f.Named)}})
	})
	if err != nil {
		return ChildFile{}, fmt.Errorf("child's file %d: %w", childID, err)
	}
	return f, nil
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

// StoreChildFile keeps a child's file made from ChildFile — an encrypted
// PDF or package, content — as an export of by's, ready to download at
// once by by only, for 7 days, with the reason it was made (a problem for
// "reason" without one). DSLs only (ErrForbidden). Audited as
// export.request and export.ready (kind child_file or transfer_package,
// never with the reason).
func (s *Service) StoreChildFile(ctx context.Context, by actor.Actor, childID int64, kind Kind, reason string, content []byte) (Export, error) {
	if by.Role != actor.DSL || by.UserID == 0 {
		return Export{}, ErrForbidden
	}
	reason = strings.TrimSpace(reason)
	if msg := validate.Text(reason, "why you are making the child's file", true, MaxReason); msg != "" {
		return Export{}, validate.Problems{"reason": msg}
	}
	format := PDF
	if kind == KindTransferPackage {
		format = Pkg
	}
	var e Export
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO exports (school_id, kind, format, child_id, reason, requested_by, requested_role,
				status, rows_total, rows_done, size_bytes, sha256, started_at, ready_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, 'ready', 1, 1, $8, $9, now(), now(), now() + $10::interval) RETURNING id`,
			by.SchoolID, kind, format, childID, reason, by.UserID, by.Role, len(content), sum256(content),
			fmt.Sprintf("%d seconds", int(Lifetime.Seconds()))).Scan(&id); err != nil {
			return err
		}
		for seq, off := 0, 0; off < len(content); seq, off = seq+1, off+chunkSize {
			end := min(off+chunkSize, len(content))
			if _, err := tx.Exec(ctx, `INSERT INTO export_chunks (school_id, export_id, seq, data) VALUES ($1, $2, $3, $4)`,
				by.SchoolID, id, seq, content[off:end]); err != nil {
				return err
			}
		}
		var err error
		if e, err = get(ctx, tx, by.SchoolID, id); err != nil {
			return err
		}
		child := strconv.FormatInt(childID, 10)
		if err := audit.Record(ctx, tx, by, audit.Event{Action: "export.request", SubjectType: "export", SubjectID: e.PublicID,
			Details: map[string]any{"kind": string(kind), "child": child, "approval": "direct"}}); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "export.ready", SubjectType: "export", SubjectID: e.PublicID,
			Details: map[string]any{"bytes": len(content)}})
	})
	if err != nil {
		if _, ok := err.(validate.Problems); ok {
			return Export{}, err
		}
		return Export{}, fmt.Errorf("store child's file %d: %w", childID, err)
	}
	return e, nil
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
