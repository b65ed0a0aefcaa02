package page

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/concern"
	"github.com/havenschools/haven/internal/paths"
	"github.com/havenschools/haven/internal/pupil"
	"github.com/havenschools/haven/internal/school"
	"github.com/havenschools/haven/internal/validate"
	"github.com/havenschools/haven/internal/when"
	"github.com/havenschools/haven/web/ui"
)

// QueueFilterForm is the Safeguarding queue's filters as typed.
type QueueFilterForm struct {
	Status    string
	Category  string
	Urgency   string
	YearGroup string
	Mine      bool
	From, To  when.DateParts
}

// Query is the filters as a URL query (empty values left out).
func (f QueueFilterForm) Query() url.Values {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("status", f.Status)
	set("category", f.Category)
	set("urgency", f.Urgency)
	set("year", f.YearGroup)
	if f.Mine {
		q.Set("mine", "1")
	}
	for prefix, d := range map[string]when.DateParts{"from": f.From, "to": f.To} {
		set(prefix+"-day", d.Day)
		set(prefix+"-month", d.Month)
		set(prefix+"-year", d.Year)
	}
	return q
}

// Filtered reports whether any filter but status is set.
func (f QueueFilterForm) Filtered() bool {
	g := f
	g.Status = ""
	return len(g.Query()) > 0
}

// QueueView is the "Safeguarding queue" page.
type QueueView struct {
	Page       concern.QueuePage
	Filter     QueueFilterForm
	Problems   validate.Problems
	Categories []school.Category
	Now        time.Time
	// Later: this is not the first page.
	Later bool
}

// statusLink is one entry of the counts per status.
type statusLink struct {
	Text    string
	Count   int // -1: not shown
	Href    string
	Current bool
}

// label is the link's text with its count, when it has one: "Acknowledged (3)".
func (l statusLink) label() string {
	if l.Count < 0 {
		return l.Text
	}
	return l.Text + " (" + strconv.Itoa(l.Count) + ")"
}

func (v QueueView) statusLinks() []statusLink {
	link := func(status string) string {
		f := v.Filter
		f.Status = status
		return paths.Queue(f.Query())
	}
	current := v.Filter.Status
	if current == "" {
		current = "open"
	}
	links := []statusLink{{Text: "All open", Count: v.Page.Open(), Href: link(""), Current: current == "open"}}
	for _, s := range concern.Statuses() {
		count := v.Page.Counts[s]
		if s == concern.Closed {
			count = -1 // not counted (concern.QueuePage)
		}
		links = append(links, statusLink{Text: s.Label(), Count: count, Href: link(string(s)), Current: current == string(s)})
	}
	return links
}

func (v QueueView) nextHref() string {
	q := v.Filter.Query()
	q.Set("after", v.Page.Next)
	return paths.Queue(q)
}

func (v QueueView) firstHref() string { return paths.Queue(v.Filter.Query()) }

func (v QueueView) since() string { return v.Page.AsOf.UTC().Format(time.RFC3339Nano) }

func (v QueueView) categoryOptions() []option {
	opts := []option{{"", "Any category"}}
	for _, c := range v.Categories {
		opts = append(opts, option{c.Key, c.Name})
	}
	return opts
}

func urgencyOptions() []option {
	return []option{{"", "Any urgency"}, {"high", "High"}, {"medium", "Medium"}, {"low", "Low"}, {"none", "Not set"}}
}

func yearGroupOptions() []option {
	opts := []option{{"", "Any year group"}}
	for _, y := range pupil.YearGroups() {
		opts = append(opts, option{strconv.Itoa(int(y)), y.String()})
	}
	return opts
}

type option struct{ Value, Text string }

// AgeWords says how long ago t was, in words, at now: "just now",
// "25 minutes ago", "3 hours ago", "2 days ago".
func AgeWords(now, t time.Time) string {
	d := now.Sub(t)
	plural := func(n int, unit string) string {
		if n == 1 {
			return "1 " + unit + " ago"
		}
		return strconv.Itoa(n) + " " + unit + "s ago"
	}
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute")
	case d < 48*time.Hour:
		return plural(int(d/time.Hour), "hour")
	}
	return plural(int(d/(24*time.Hour)), "day")
}

// statusRank is a status's place in a concern's life, for sorting the
// queue's table by status.
func statusRank(s concern.Status) string {
	for i, st := range concern.Statuses() {
		if st == s {
			return strconv.Itoa(i)
		}
	}
	return strconv.Itoa(len(concern.Statuses()))
}

// urgencyRank sorts the queue's table by urgency: a child in immediate
// danger first, then high, medium, low and not set.
func urgencyRank(r concern.QueueRow) string {
	if r.InDanger {
		return "0"
	}
	switch r.Urgency {
	case concern.High:
		return "1"
	case concern.Medium:
		return "2"
	case concern.Low:
		return "3"
	}
	return "4"
}

// assigneeSort sorts the queue's table by assignee, nobody ("0") first.
func assigneeSort(r concern.QueueRow) string {
	if r.AssignedTo == 0 {
		return "0"
	}
	return r.Assignee
}

func urgencyColour(u concern.Urgency) string {
	switch u {
	case concern.High:
		return "red"
	case concern.Medium:
		return "orange"
	case concern.Low:
		return "grey"
	}
	return "grey"
}

// CaseView is the DSL's page of one concern.
type CaseView struct {
	Case       concern.Case
	DSLs       []concern.Person
	Categories []school.Category
	Me         int64
	Now        time.Time
	// Problems of the small forms on the page (assign, urgency,
	// categories, link, further information, feedback) and what was typed.
	Problems validate.Problems
	LinkRef  string
	Addendum string
	Feedback map[int64]string
}

func (v CaseView) ref() string { return v.Case.Ref }

func (v CaseView) open() bool { return v.Case.Status != concern.Closed && !v.Case.InError() }

func (v CaseView) today() time.Time { return when.Today(v.Now) }

func (v CaseView) errorLinks() []ui.ErrorLink {
	links := ui.ErrorLinks(v.Problems, concern.FieldAssignee, "urgency", concern.FieldCategories, "addendum", concern.FieldLink)
	for i, l := range links {
		if strings.HasPrefix(l.Href, "#"+concern.FieldFeedback) {
			links[i].Href = l.Href
		}
	}
	return links
}

func (v CaseView) categoryItems() []ui.Choice {
	var items []ui.Choice
	for _, c := range v.Categories {
		if c.Active || contains(v.Case.Categories, c.Key) {
			items = append(items, ui.Choice{Value: c.Key, Text: c.Name})
		}
	}
	return items
}

func (v CaseView) assigneeOptions() []option {
	opts := []option{}
	if v.Case.AssignedTo == 0 {
		opts = append(opts, option{"", "Not assigned"})
	}
	for _, p := range v.DSLs {
		opts = append(opts, option{strconv.FormatInt(p.ID, 10), p.Label()})
	}
	return opts
}

func urgencyItems() []ui.Choice {
	var items []ui.Choice
	for _, u := range concern.Urgencies() {
		items = append(items, ui.Choice{Value: string(u), Text: u.Label()})
	}
	return items
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func feedbackField(id int64) string { return concern.FieldFeedback + "-" + strconv.FormatInt(id, 10) }

// auditView is one view of a record, for "Who has seen this".
type auditView = audit.View

func viewWhat(v audit.View) string {
	switch v.Action {
	case "concern.view":
		return "Viewed the concern"
	case "attachment.download":
		return "Downloaded a file"
	case "child.view":
		return "Viewed the child's page"
	case "chronology.view":
		return "Viewed the chronology"
	case "chronology.print":
		return "Printed the chronology"
	case "child.concerns_view":
		return "Viewed the child's concerns"
	}
	return v.Action
}

// londonDateTime formats a moment in Europe/London: "2:30pm, 7 December 2026".
func londonDateTime(t time.Time) string { return when.Moment(t) }

// DecisionView is the "Record decision" page.
type DecisionView struct {
	Ref      string
	Form     concern.DecisionForm
	Problems validate.Problems
	// Order, when set, is what must happen before a decision (the form is
	// shown only when it was posted, to keep what was typed).
	Order *OrderView
}

// OrderView is a step taken out of its order (concern.OrderError): the
// rule in words, and the step that must come first, offered.
type OrderView struct {
	Ref     string
	Msg     string
	First   concern.Op
	Version int    // the concern's version, for "Acknowledge and continue"
	Then    string // the page to return to after acknowledging: "decision", "close"
	Posted  bool   // the form was posted (an old tab): it is shown again as typed
}

// OrderOf is the view of e on the page then ("decision", "close",
// "reopen") of the concern ref at version.
func OrderOf(e *concern.OrderError, ref string, version int, then string, posted bool) *OrderView {
	return &OrderView{Ref: ref, Msg: e.Msg, First: e.First, Version: version, Then: then, Posted: posted}
}

// showForm reports whether a page with the order o shows its form.
func (o *OrderView) showForm() bool { return o == nil || o.Posted }

func outcomeItems() []ui.Choice {
	var items []ui.Choice
	for _, o := range concern.Outcomes() {
		items = append(items, ui.Choice{Value: string(o), Text: o.Label()})
	}
	return items
}

// actionWhen is when an action was done: "2:48pm, 7 December 2026", or
// its date when no time was given.
func actionWhen(a concern.Action) string {
	if a.DoneAt != nil {
		return londonDateTime(*a.DoneAt)
	}
	return dateOnly(a.On)
}

// ActionView is the "Record action" page.
type ActionView struct {
	Ref      string
	Form     concern.ActionForm
	Problems validate.Problems
}

func actionItems() []ui.Choice {
	var items []ui.Choice
	for _, k := range concern.ActionKinds() {
		it := ui.Choice{Value: string(k), Text: k.Label()}
		if k == concern.ActionReferral {
			it.Hint = "To children's social care, early help, Prevent or another agency. Without feedback after one working day you will be prompted to chase it."
		}
		items = append(items, it)
	}
	return items
}

func (v ActionView) errorLinks() []ui.ErrorLink {
	links := ui.ErrorLinks(v.Problems, concern.ActionFieldOrder...)
	for i, l := range links {
		if l.Href == "#"+concern.FieldActionOn || l.Href == "#"+concern.FieldFollowUp {
			links[i].Href += "-day"
		}
		if l.Href == "#"+concern.FieldActionAt {
			links[i].Href += "-hour"
		}
	}
	return links
}

// ReasonView is a page asking for one reason: closing (the outcome
// summary), reopening, or marking a concern entered in error.
type ReasonView struct {
	Ref      string
	Kind     string // "close", "reopen", "entered-in-error"
	Version  int
	Text     string
	Problems validate.Problems
	Order    *OrderView // as DecisionView's
}

func (v ReasonView) field() string {
	if v.Kind == "close" {
		return concern.FieldSummary
	}
	return concern.FieldReason
}

func (v ReasonView) title() string {
	switch v.Kind {
	case "close":
		return "Close concern"
	case "reopen":
		return "Reopen concern"
	}
	return "Entered in error"
}

func (v ReasonView) label() string {
	switch v.Kind {
	case "close":
		return "Outcome summary"
	case "reopen":
		return "Why is the concern being reopened?"
	}
	return "Why was this concern entered in error?"
}

func (v ReasonView) hint() string {
	switch v.Kind {
	case "close":
		return "What was decided and done, and where things stand now. This is kept on the child's chronology."
	case "reopen":
		return "For example, new information from the child or another agency."
	}
	return "For example, it was recorded on the wrong child. The concern leaves the queue and every chronology; it stays in the audit trail."
}

func (v ReasonView) button() string {
	switch v.Kind {
	case "close":
		return "Close concern"
	case "reopen":
		return "Reopen concern"
	}
	return "Mark as entered in error"
}

// AccessView is the "Who can see this concern" page.
type AccessView struct {
	Ref      string
	Version  int
	DSLs     []concern.Person
	Me       int64
	Form     concern.AccessForm
	Problems validate.Problems
}

func (v AccessView) people(exclude bool) []ui.Choice {
	var items []ui.Choice
	for _, p := range v.DSLs {
		if p.ID == v.Me {
			continue
		}
		items = append(items, ui.Choice{Value: strconv.FormatInt(p.ID, 10), Text: p.Label()})
	}
	return items
}

func ids(list []int64) []string {
	var out []string
	for _, id := range list {
		out = append(out, strconv.FormatInt(id, 10))
	}
	return out
}

// ConflictView is the page a DSL sees when the concern changed since they
// opened it: what changed, and what they had entered (nothing was saved).
type ConflictView struct {
	Ref     string
	Changes []concern.Event
	// Reason: the change no longer fits where the concern is (a state
	// error), when not a conflict.
	Reason string
	// Entered is what the DSL had typed, so nothing is lost.
	Entered []concern.Detail
}

// sentence is what someone typed as a sentence: with a full stop at the
// end unless it already ends with one (or with "!", "?", "…", before any
// closing quote or bracket).
func sentence(s string) string {
	s = strings.TrimSpace(s)
	end := strings.TrimRight(s, `"')’”`)
	if s == "" || strings.HasSuffix(end, ".") || strings.HasSuffix(end, "!") || strings.HasSuffix(end, "?") || strings.HasSuffix(end, "…") {
		return s
	}
	return s + "."
}

// title is "This concern has changed" for a real conflict only.
func (v ConflictView) title() string {
	if v.Reason != "" {
		return "This cannot be done now"
	}
	return "This concern has changed"
}
