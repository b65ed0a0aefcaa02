package records

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// The records an export writes, shaped as the JSON format documents them
// (docs/export-format.md, docs/export-format.schema.json). CSV and XLSX
// flatten each concern into a row, then a row for each of its decisions
// and actions.

// FormatVersion is the version of the JSON export format. It changes when
// a field is removed or changes meaning; new optional fields keep it.
const FormatVersion = 1

// Date is a calendar date, written as ISO 8601 "2026-09-01" in JSON.
type Date struct{ time.Time }

// MarshalJSON writes the date as "YYYY-MM-DD".
func (d Date) MarshalJSON() ([]byte, error) {
	return []byte(`"` + d.Format(time.DateOnly) + `"`), nil
}

// UnmarshalJSON reads "YYYY-MM-DD" (as Postgres writes a date in JSON).
func (d *Date) UnmarshalJSON(b []byte) error {
	t, err := time.Parse(`"`+time.DateOnly+`"`, string(b))
	if err != nil {
		return err
	}
	d.Time = t
	return nil
}

// ExportConcern is one concern with its children, decisions and actions.
type ExportConcern struct {
	Ref            string           `json:"reference"`
	HappenedOn     Date             `json:"happened_on"`
	HappenedApprox bool             `json:"happened_on_approximate"`
	RecordedAt     time.Time        `json:"recorded_at"`
	RecordedBy     string           `json:"recorded_by"`
	OnBehalfOf     string           `json:"on_behalf_of,omitempty"`
	Status         string           `json:"status"`
	Urgency        string           `json:"urgency,omitempty"`
	Categories     []string         `json:"categories"`
	InDanger       bool             `json:"immediate_danger"`
	Location       string           `json:"location,omitempty"`
	Account        string           `json:"account"`
	ChildsWords    string           `json:"childs_words,omitempty"`
	ClosedAt       *time.Time       `json:"closed_at,omitempty"`
	OutcomeSummary string           `json:"outcome_summary,omitempty"`
	Children       []ExportChild    `json:"children"`
	Decisions      []ExportDecision `json:"decisions"`
	Actions        []ExportAction   `json:"actions"`
	Addenda        []ExportAddendum `json:"addenda,omitempty"`
	// Attachments lists the concern's files (not their content).
	Attachments []ExportAttachment `json:"attachments,omitempty"`
}

// ExportAddendum is further information added to a concern after it was submitted.
type ExportAddendum struct {
	At   time.Time `json:"at"`
	By   string    `json:"by"`
	Body string    `json:"body"`
}

// ExportAttachment is a file attached to a concern: its name, type and size.
type ExportAttachment struct {
	Name        string    `json:"name"`
	ContentType string    `json:"content_type"`
	Bytes       int       `json:"bytes"`
	UploadedAt  time.Time `json:"uploaded_at"`
}

// ExportChild is a child named in a concern, with their role in it. A child
// who is not known has a description instead of a name.
type ExportChild struct {
	Role        string `json:"role"`
	FirstName   string `json:"first_name,omitempty"`
	LastName    string `json:"last_name,omitempty"`
	DateOfBirth *Date  `json:"date_of_birth,omitempty"`
	UPN         string `json:"upn,omitempty"`
	Description string `json:"description,omitempty"`
}

// name is the child as a spreadsheet cell shows them: "Ada Lovelace (the
// child the concern is about)".
func (c ExportChild) name(roleLabel func(string) string) string {
	n := strings.TrimSpace(c.FirstName + " " + c.LastName)
	if n == "" {
		n = "Child not known: " + c.Description
	}
	return n + " (" + roleLabel(c.Role) + ")"
}

// ExportDecision is a DSL's decision on a concern.
type ExportDecision struct {
	DecidedAt     time.Time `json:"decided_at"`
	DecidedBy     string    `json:"decided_by"`
	Outcome       string    `json:"outcome"`
	Reason        string    `json:"reason"`
	Parents       string    `json:"parents_or_carers"`
	ParentsWhyNot string    `json:"parents_why_not,omitempty"`
	ChildsWishes  string    `json:"childs_wishes"`
}

// ExportAction is an action a DSL recorded on a concern.
type ExportAction struct {
	On           Date       `json:"on"`
	RecordedBy   string     `json:"recorded_by"`
	Kind         string     `json:"kind"`
	Note         string     `json:"note"`
	AgencyRef    string     `json:"agency_reference,omitempty"`
	FollowUpOn   *Date      `json:"follow_up_on,omitempty"`
	FeedbackAt   *time.Time `json:"feedback_at,omitempty"`
	FeedbackNote string     `json:"feedback_note,omitempty"`
}

// Header is what a JSON export says about itself.
type Header struct {
	Format      string            `json:"format"`
	Version     int               `json:"version"`
	School      string            `json:"school"`
	GeneratedAt time.Time         `json:"generated_at"`
	Reason      string            `json:"reason"`
	Filters     map[string]string `json:"filters"`
	Total       int               `json:"total"`
}

// labels turns the codes the records hold into words for spreadsheets.
type labels struct {
	role, status, urgency, outcome, parents, action func(string) string
}

// encoder writes an export in one format: begin, each concern in turn, end.
type encoder interface {
	begin(h Header) error
	concern(c ExportConcern) error
	end() error
}

func newEncoder(f Format, w io.Writer, l labels) (encoder, error) {
	switch f {
	case CSV:
		return &csvEncoder{w: w, l: l}, nil
	case XLSX:
		return &xlsxEncoder{w: w, l: l}, nil
	case JSON:
		return &jsonEncoder{w: bufio.NewWriterSize(w, 64<<10)}, nil
	}
	return nil, fmt.Errorf("no export format %q", f)
}

// Neutralise makes a cell safe to open in a spreadsheet: a cell starting
// with =, +, -, @, a tab or a carriage return could be run as a formula
// (CSV injection), so it gets a leading apostrophe, which spreadsheets show
// as text. Everything else is left as it was.
func Neutralise(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// columns are the spreadsheet columns of CSV and XLSX exports.
var columns = []string{"Record", "Concern reference", "Date", "Recorded on", "By", "Children", "Status", "Urgency",
	"Categories", "Immediate danger", "Where", "Type or outcome", "Account, reason or note",
	"Child's words or wishes", "Parents or carers", "Agency reference", "Follow up by", "Closed on", "Outcome summary"}

// cell is one spreadsheet cell: text, or a date (typed in XLSX,
// DD/MM/YYYY in CSV).
type cell struct {
	text string
	date *time.Time
}

func textCell(s string) cell { return cell{text: s} }

func dateCell(t time.Time) cell {
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return cell{date: &d}
}

func optDateCell(t *time.Time) cell {
	if t == nil {
		return cell{}
	}
	return dateCell(*t)
}

// localDate is the date of t in the school's time zone.
func localDate(t time.Time) time.Time { return t.In(london) }

func yesNo(b bool) string {
	if b {
		return "Yes"
	}
	return "No"
}

// rows flattens a concern into spreadsheet rows: the concern, then its
// decisions, then its actions.
func rows(c ExportConcern, l labels) [][]cell {
	var children []string
	for _, ch := range c.Children {
		children = append(children, ch.name(l.role))
	}
	happened := dateCell(c.HappenedOn.Time)
	out := [][]cell{{
		textCell("Concern"), textCell(c.Ref), happened, dateCell(localDate(c.RecordedAt)), textCell(c.RecordedBy),
		textCell(strings.Join(children, "; ")), textCell(l.status(c.Status)), textCell(l.urgency(c.Urgency)),
		textCell(strings.Join(c.Categories, "; ")), textCell(yesNo(c.InDanger)), textCell(c.Location),
		{}, textCell(c.Account), textCell(c.ChildsWords), {}, {}, {}, optDateCell(localPtr(c.ClosedAt)), textCell(c.OutcomeSummary),
	}}
	for _, d := range c.Decisions {
		parents := l.parents(d.Parents)
		if d.ParentsWhyNot != "" {
			parents += ": " + d.ParentsWhyNot
		}
		out = append(out, []cell{
			textCell("Decision"), textCell(c.Ref), dateCell(localDate(d.DecidedAt)), dateCell(localDate(d.DecidedAt)),
			textCell(d.DecidedBy), {}, {}, {}, {}, {}, {},
			textCell(l.outcome(d.Outcome)), textCell(d.Reason), textCell(d.ChildsWishes), textCell(parents), {}, {}, {}, {},
		})
	}
	for _, a := range c.Actions {
		note := a.Note
		if a.FeedbackAt != nil {
			note += "\nFeedback: " + a.FeedbackNote
		}
		var follow cell
		if a.FollowUpOn != nil {
			follow = dateCell(a.FollowUpOn.Time)
		}
		out = append(out, []cell{
			textCell("Action"), textCell(c.Ref), dateCell(a.On.Time), {}, textCell(a.RecordedBy), {}, {}, {}, {}, {}, {},
			textCell(l.action(a.Kind)), textCell(note), {}, {}, textCell(a.AgencyRef), follow, {}, {},
		})
	}
	return out
}

func localPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	l := localDate(*t)
	return &l
}

// csvEncoder writes UTF-8 CSV with a byte-order mark (so Excel reads the
// accents right), dates as DD/MM/YYYY, every cell neutralised.
type csvEncoder struct {
	w  io.Writer
	cw *csv.Writer
	l  labels
}

func (e *csvEncoder) begin(Header) error {
	if _, err := io.WriteString(e.w, "\uFEFF"); err != nil {
		return err
	}
	e.cw = csv.NewWriter(e.w)
	e.cw.UseCRLF = true // RFC 4180
	return e.cw.Write(columns)
}

func (e *csvEncoder) concern(c ExportConcern) error {
	for _, row := range rows(c, e.l) {
		rec := make([]string, len(row))
		for i, cl := range row {
			if cl.date != nil {
				rec[i] = cl.date.Format("02/01/2006")
			} else {
				rec[i] = Neutralise(cl.text)
			}
		}
		if err := e.cw.Write(rec); err != nil {
			return err
		}
	}
	return e.cw.Error()
}

func (e *csvEncoder) end() error {
	e.cw.Flush()
	return e.cw.Error()
}

// jsonEncoder writes the versioned JSON format, one concern at a time.
type jsonEncoder struct {
	w     *bufio.Writer
	first bool
}

func (e *jsonEncoder) begin(h Header) error {
	head, err := json.Marshal(h)
	if err != nil {
		return err
	}
	// The header's fields, then the concerns array written as we go.
	if _, err := e.w.Write(head[:len(head)-1]); err != nil {
		return err
	}
	_, err = e.w.WriteString(`,"concerns":[`)
	e.first = true
	return err
}

func (e *jsonEncoder) concern(c ExportConcern) error {
	if c.Categories == nil {
		c.Categories = []string{}
	}
	if c.Children == nil {
		c.Children = []ExportChild{}
	}
	if c.Decisions == nil {
		c.Decisions = []ExportDecision{}
	}
	if c.Actions == nil {
		c.Actions = []ExportAction{}
	}
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	if !e.first {
		if err := e.w.WriteByte(','); err != nil {
			return err
		}
	}
	e.first = false
	_, err = e.w.Write(b)
	return err
}

func (e *jsonEncoder) end() error {
	if _, err := e.w.WriteString("]}\n"); err != nil {
		return err
	}
	return e.w.Flush()
}
