package page

import (
	"fmt"
	"strconv"
	"time"

	"github.com/havenschools/haven/internal/paths"
	"github.com/havenschools/haven/internal/plural"
	"github.com/havenschools/haven/internal/records"
	"github.com/havenschools/haven/internal/validate"
	"github.com/havenschools/haven/internal/when"
	"github.com/havenschools/haven/web/ui"
)

// ExportForm is the "Request an export" form as typed.
type ExportForm struct {
	Format   string
	From, To AuditDate
	Status   string
	Category string
	Reason   string
}

// Option is one choice of a select: its value and its text.
type Option struct{ Value, Text string }

// ExportsPage is the "Exports" page: the request form, the exports waiting
// for the viewer's approval (DSL team), the viewer's own exports, and — for
// the DSL team — every export of the school, with the approval setting.
type ExportsPage struct {
	Form       ExportForm
	Problems   validate.Problems
	Categories []Option
	Statuses   []Option
	Team       bool // a DSL or the head: approves, sees every export, sets the approval
	Admin      bool
	Approval   bool // an admin's export needs approval
	Waiting    []records.Export
	Mine       []records.Export
	All        []records.Export
	ViewerID   int64
}

var exportFormOrder = []string{"format", "from", "to", "status", "category", "reason"}

func (p ExportsPage) errorLinks() []ui.ErrorLink {
	links := ui.ErrorLinks(p.Problems, exportFormOrder...)
	for i, l := range links {
		if l.Href == "#from" || l.Href == "#to" {
			links[i].Href += "-day"
		}
	}
	return links
}

func (p ExportsPage) formatChoices() []ui.Choice {
	var out []ui.Choice
	for _, f := range records.Formats() {
		out = append(out, ui.Choice{Value: string(f), Text: f.Label()})
	}
	return out
}

// ExportPage is one export's page: what was asked, its approval, its
// progress and, for the person who asked once it is ready, the download.
type ExportPage struct {
	Export    records.Export
	Mine      bool
	CanDecide bool
	Problems  validate.Problems
	Note      string
	// Password is shown once, just after a child's file is made.
	Password string
}

// exportWhen shows a moment in the school's time zone.
func exportWhen(t time.Time) string { return when.Moment(t) }

func exportWhenPtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return exportWhen(*t)
}

// exportWhat describes what an export holds, with its filters.
func exportWhat(e records.Export) string {
	switch e.Kind {
	case records.KindChildFile:
		return "A child's file (PDF)"
	case records.KindTransferPackage:
		return "A child's file for another Haven"
	}
	s := "Concerns, " + string(e.Format)
	f := e.Filter
	if !f.From.IsZero() {
		s += ", from " + when.Day(f.From)
	}
	if !f.To.IsZero() {
		s += ", to " + when.Day(f.To)
	}
	if f.Status != "" {
		s += ", status " + f.Status
	}
	if f.Category != "" {
		s += ", category " + f.Category
	}
	return s
}

func exportTagColour(s records.Status) string {
	switch s {
	case records.Ready:
		return "green"
	case records.AwaitingApproval:
		return "yellow"
	case records.Rejected, records.Failed:
		return "red"
	case records.Expired:
		return "grey"
	}
	return "blue"
}

func exportProgress(e records.Export) string {
	switch e.Status {
	case records.Running, records.Queued:
		return fmt.Sprintf("%d of %s written", e.RowsDone, plural.Count(e.RowsTotal, "concern", "concerns"))
	case records.Ready:
		return plural.Count(e.RowsDone, "concern", "concerns") + ", " + exportSize(e.SizeBytes)
	}
	return ""
}

func exportSize(n int64) string {
	switch {
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MB"
	case n >= 1<<10:
		return strconv.FormatInt(n>>10, 10) + " KB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

func exportDownloads(e records.Export) string {
	if e.Downloads == 0 {
		return "Not downloaded"
	}
	return fmt.Sprintf("%d, last %s", e.Downloads, exportWhenPtr(e.LastDownloadAt))
}

func exportHref(e records.Export) string { return paths.Export(e.PublicID) }
