// Package records takes a school's case records out of Haven, always on
// the record: exports of the school's concerns (for an inspection, a
// review, another system), a child's file (a password-protected PDF, or an
// encrypted package for another Haven) when the child leaves, and the
// retention review that decides when a child's record is deleted.
//
// Every export is asked for with a reason. An admin's export is a
// two-person action — a DSL or the head approves it before it runs, unless
// the school chose otherwise — while a DSL's or the head's runs at once.
// Exports run as background jobs that stream the records in batches into
// Postgres, so memory stays flat however large the school; only the person
// who asked may download the file, for 7 days. Every request, approval,
// refusal and download is audited and listed for the DSL team.
package records

import (
	"errors"
	"time"

	"github.com/havenschools/haven/internal/fail"
)

// ErrForbidden means the actor's role may not do this (staff exporting,
// an admin approving). A record the actor may not see is db.ErrNotFound.
var ErrForbidden = fail.New(fail.Forbidden, "not allowed to do this with case records")

// ErrExpired means the export's file was deleted: 7 days have passed.
var ErrExpired = errors.New("this export has expired")

// ErrNotReady means the export's file is not ready (waiting for approval,
// running, refused or failed).
var ErrNotReady = errors.New("this export is not ready to download")

// Lifetime is how long an export's file is kept after it is ready.
const Lifetime = 7 * 24 * time.Hour

// Format is what an export of concerns is written as.
type Format string

// The formats.
const (
	CSV  Format = "csv"
	XLSX Format = "xlsx"
	JSON Format = "json"
	PDF  Format = "pdf"     // a child's file
	Pkg  Format = "package" // a child's file for another Haven
)

// Formats lists the formats of a concerns export, as the form offers them.
func Formats() []Format { return []Format{CSV, XLSX, JSON} }

// Valid reports whether f is a format of a concerns export.
func (f Format) Valid() bool { return f == CSV || f == XLSX || f == JSON }

// Label is the format in words.
func (f Format) Label() string {
	switch f {
	case CSV:
		return "CSV (spreadsheet, plain text)"
	case XLSX:
		return "Excel workbook (XLSX)"
	case JSON:
		return "JSON (for another system)"
	case PDF:
		return "PDF (password protected)"
	case Pkg:
		return "Encrypted package for another Haven"
	}
	return string(f)
}

// Extension is the file name extension of f.
func (f Format) Extension() string {
	if f == Pkg {
		return "haven"
	}
	return string(f)
}

// ContentType is the media type of f's file.
func (f Format) ContentType() string {
	switch f {
	case CSV:
		return "text/csv; charset=utf-8"
	case XLSX:
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case JSON:
		return "application/json"
	case PDF:
		return "application/pdf"
	}
	return "application/octet-stream"
}

// Status is where an export is in its life.
type Status string

// The statuses.
const (
	AwaitingApproval Status = "awaiting_approval"
	Rejected         Status = "rejected"
	Queued           Status = "queued"
	Running          Status = "running"
	Ready            Status = "ready"
	Failed           Status = "failed"
	Expired          Status = "expired"
)

// Label is the status in words.
func (s Status) Label() string {
	switch s {
	case AwaitingApproval:
		return "Waiting for approval"
	case Rejected:
		return "Refused"
	case Queued:
		return "Waiting to start"
	case Running:
		return "Being prepared"
	case Ready:
		return "Ready to download"
	case Failed:
		return "Failed"
	case Expired:
		return "Expired"
	}
	return string(s)
}

// Kind is what an export holds.
type Kind string

// The kinds of export.
const (
	KindConcerns        Kind = "concerns"
	KindChildFile       Kind = "child_file"
	KindTransferPackage Kind = "transfer_package"
)

// Filter narrows a concerns export. Zero fields do not filter. From and To
// are dates (both included) on which concerns were recorded.
type Filter struct {
	From, To time.Time
	Status   string // a concern status: submitted, acknowledged, in_progress, closed
	Category string // a category key

	subjectChild int64 // a child's file: the concerns about this child
}

// Map is the filter as stored and written in a JSON export: only the
// filters used, dates as YYYY-MM-DD.
func (f Filter) Map() map[string]string {
	m := map[string]string{}
	if !f.From.IsZero() {
		m["from"] = f.From.Format(time.DateOnly)
	}
	if !f.To.IsZero() {
		m["to"] = f.To.Format(time.DateOnly)
	}
	if f.Status != "" {
		m["status"] = f.Status
	}
	if f.Category != "" {
		m["category"] = f.Category
	}
	return m
}

// filterFrom reads a filter stored by Map.
func filterFrom(m map[string]string) Filter {
	f := Filter{Status: m["status"], Category: m["category"]}
	f.From, _ = time.Parse(time.DateOnly, m["from"])
	f.To, _ = time.Parse(time.DateOnly, m["to"])
	return f
}

// Export is one export: what was asked for, by whom and why, its approval,
// its progress and its file.
type Export struct {
	ID             int64
	PublicID       string
	SchoolID       int64
	Kind           Kind
	Format         Format
	ChildID        *int64
	Filter         Filter
	Reason         string
	RequestedBy    *int64
	RequestedName  string
	RequestedRole  string
	RequestedAt    time.Time
	Status         Status
	DecidedName    string
	DecidedAt      *time.Time
	DecisionNote   string
	RowsTotal      int
	RowsDone       int
	SizeBytes      int64
	ReadyAt        *time.Time
	ExpiresAt      *time.Time
	Downloads      int
	LastDownloadAt *time.Time
}

// FileName is the name the export downloads as.
func (e Export) FileName() string {
	name := "haven-concerns-"
	switch e.Kind {
	case KindChildFile, KindTransferPackage:
		name = "haven-child-file-"
	}
	return name + e.RequestedAt.In(london).Format(time.DateOnly) + "-" + e.PublicID[:8] + "." + e.Format.Extension()
}

// Percent is how far the export has got, 0 to 100.
func (e Export) Percent() int {
	switch {
	case e.Status == Ready:
		return 100
	case e.RowsTotal == 0:
		return 0
	}
	return min(100, e.RowsDone*100/e.RowsTotal)
}

// Settings are a school's settings for its case records.
type Settings struct {
	// ExportApproval: an admin's export waits for a DSL's or the head's approval.
	ExportApproval bool
	// RetentionYears: a child's record is reviewed this many years after
	// their date of birth.
	RetentionYears int
}

// DefaultSettings are the settings of a school that has changed none.
var DefaultSettings = Settings{ExportApproval: true, RetentionYears: 25}
