package page

import (
	"strconv"
	"time"

	"github.com/a-h/templ"

	"github.com/havenschools/haven/internal/concern"
	"github.com/havenschools/haven/internal/paths"
	"github.com/havenschools/haven/internal/pupil"
	"github.com/havenschools/haven/internal/school"
	"github.com/havenschools/haven/internal/validate"
	"github.com/havenschools/haven/internal/when"
	"github.com/havenschools/haven/web/ui"
)

// Emergency is who to call when a child is in immediate danger, from the
// school's settings.
type Emergency struct {
	DSLs            []school.Contact
	FrontDoorName   string
	FrontDoorPhone  string
	OutOfHoursName  string
	OutOfHoursPhone string
}

// EmergencyFrom takes the emergency contacts out of a school's settings.
func EmergencyFrom(st school.Settings) Emergency {
	return Emergency{DSLs: st.DSLContacts, FrontDoorName: st.FrontDoorName, FrontDoorPhone: st.FrontDoorPhone,
		OutOfHoursName: st.OutOfHoursName, OutOfHoursPhone: st.OutOfHoursPhone}
}

// ReceiptHref is the address of a concern's receipt; again marks a form
// that had been submitted before (the receipt says nothing new was sent).
func ReceiptHref(ref string, again bool) string {
	if again {
		return paths.ConcernSubmitted(ref) + "?again=1"
	}
	return paths.ConcernSubmitted(ref)
}

// DraftHref is the address of the author's draft of the form with submissionID.
func DraftHref(submissionID string) string { return paths.ConcernDraft(submissionID) }

// DiscardDraftHref is the address of the page that discards the author's
// draft of the form with submissionID, once they confirm.
func DiscardDraftHref(submissionID string) string { return paths.ConcernDraftDiscard(submissionID) }

// DraftSavedAt is what the form says once its draft is saved, at saved.
func DraftSavedAt(saved time.Time) string { return "Draft saved at " + londonTime(saved) + "." }

// AfterSubmitHref is the address concern-form.js gives the form's history
// entry as "Submit concern" is pressed, so that Back comes to the receipt
// (once it is stored), the draft, or a new form — never the form again
// with what was sent, nor the browser's "resubmit?" page.
func AfterSubmitHref(submissionID string) string { return paths.ConcernNewAfter(submissionID) }

// FormChild is one child chosen on the form, with what the page shows of them.
type FormChild struct {
	concern.FormChild
	Name     string // "" for a child who is not known
	Describe string // year group, date of birth
}

// NewChildForm is the "not on the roll" part of the form, as typed.
type NewChildForm struct {
	FirstName string
	LastName  string
	DOB       when.DateParts
	YearGroup string
}

// ConcernForm is the "Report a concern" page: the form as typed, its
// problems and what the page needs around it.
type ConcernForm struct {
	Form     concern.Form
	Problems validate.Problems
	Children []FormChild
	// The child search: what was typed in "Child", and what it found.
	Query string
	ChildPicker
	// NotKnown and its description: "Child not known", not yet added.
	NotKnown            bool
	NotKnownDescription string
	New                 NewChildForm
	Categories          []school.Category
	Emergency           Emergency
	Attachments         []concern.Attachment
	// AsDSL shows "Recorded on behalf of".
	AsDSL    bool
	AuthorID int64
	SavedAt  time.Time
	// Notice is a one-line message about what just happened ("Draft saved").
	Notice string
	// Outage: the database could not be reached; nothing was sent.
	Outage bool
	// Unconfirmed: the submission was sent but its outcome is not known.
	Unconfirmed bool
	// Anchor is where the page should open (the part just changed).
	Anchor string
	// AboutAdult is the answer to "Is this about an adult who works or
	// volunteers here?" ("no", or "" before it is answered).
	AboutAdult string
}

// InDanger reports whether "yes" was chosen for immediate danger.
func (f ConcernForm) InDanger() bool { return f.Form.InDanger == "yes" }

func (f ConcernForm) problem(field string) string { return f.Problems[field] }

// errorLinks lists the problems in page order; a date links to its day box
// and a child to its role.
func (f ConcernForm) errorLinks() []ui.ErrorLink {
	order := append([]string{}, concern.FieldInDanger, concern.FieldChild)
	for i := range f.Children {
		order = append(order, concern.ChildField(i))
	}
	order = append(order, "q", "not_known_description", "new_first_name", "new_last_name", "new_dob", "new_year_group")
	order = append(order, concern.FieldOrder[2:]...)
	links := ui.ErrorLinks(f.Problems, order...)
	for i, l := range links {
		switch l.Href {
		case "#" + concern.FieldHappened, "#" + concern.FieldSeen, "#new_dob":
			links[i].Href += "-day"
		case "#" + concern.FieldBodyMarks:
			links[i].Href = "#mark-0-region"
		case "#" + concern.FieldIndicators:
			links[i].Href = "#" + indicatorID(concern.Indicators()[0].Indicators[0].Code)
		}
		for c := range f.Children {
			if l.Href == "#"+concern.ChildField(c) {
				links[i].Href = "#" + concern.ChildField(c) + "-role"
			}
		}
	}
	return links
}

func roleItems() []ui.Choice {
	var items []ui.Choice
	for _, r := range concern.Roles() {
		items = append(items, ui.Choice{Value: string(r), Text: r.Label()})
	}
	return items
}

func childHeading(c FormChild) string {
	if c.ChildID == 0 {
		return "Child not known"
	}
	return c.Name
}

func roleLegend(c FormChild) string {
	if c.ChildID == 0 {
		return "How is the child who is not known involved?"
	}
	return "How is " + c.Name + " involved?"
}

func resultItems(res []pupil.Child) []ui.Choice {
	var items []ui.Choice
	for _, c := range res {
		items = append(items, ui.Choice{Value: strconv.FormatInt(c.ID, 10), Text: c.Name(), Hint: c.Describe()})
	}
	return items
}

func categoryItems(cats []school.Category, cse, fgm templ.Component) []ui.Choice {
	var items []ui.Choice
	for _, c := range cats {
		it := ui.Choice{Value: c.Key, Text: c.Name}
		switch c.Key {
		case "cse":
			it.Conditional = cse
		case "fgm":
			it.Conditional = fgm
		}
		items = append(items, it)
	}
	return items
}

// indicatorItems are a group's checkboxes. Each box's id comes from its
// indicator's code, never from its place: the four groups share one name,
// and ids counted per group ("indicators-2" for the second box of the first
// group and the first box of the second) once made a tap on "Withdrawn"
// tick "Frightened of certain people…" (issue 15).
func indicatorItems(g concern.IndicatorGroup) []ui.Choice {
	var items []ui.Choice
	for _, in := range g.Indicators {
		items = append(items, ui.Choice{Value: in.Code, Text: in.Label, ID: indicatorID(in.Code)})
	}
	return items
}

// indicatorID is the id of the checkbox of the indicator with code.
func indicatorID(code string) string { return "indicator-" + code }

// indicatorGroupID is the id prefix of the i-th indicator group (its boxes
// have ids of their own).
func indicatorGroupID(i int) string { return "indicator-group-" + strconv.Itoa(i+1) }

// marks are the body map rows to show: those typed, then one empty row.
func (f ConcernForm) marks() []concern.BodyMark {
	return append(append([]concern.BodyMark{}, f.Form.BodyMarks...), concern.BodyMark{})
}

func markID(i int, part string) string { return "mark-" + strconv.Itoa(i) + "-" + part }

func sideItems(i int) []ui.Choice {
	return []ui.Choice{{Value: "front", Text: "Front", ID: markID(i, "side")}, {Value: "back", Text: "Back", ID: markID(i, "side-back")}}
}

func yearOptions() []pupil.YearGroup { return pupil.YearGroups() }

func itoa(n int) string { return strconv.Itoa(n) }

func i64(n int64) string { return strconv.FormatInt(n, 10) }

// fileSize is a size in words: "340 KB", "2.5 MB".
func fileSize(n int64) string {
	switch {
	case n < 1000:
		return strconv.FormatInt(n, 10) + " bytes"
	case n < 1000*1000:
		return strconv.FormatInt((n+500)/1000, 10) + " KB"
	}
	return strconv.FormatFloat(float64(n)/1e6, 'f', 1, 64) + " MB"
}

// londonTime formats t as a time of day in Europe/London: "10:42am" (internal/when).
func londonTime(t time.Time) string { return when.Time(t) }

// londonDate formats t as a date in Europe/London: "27 November 2026".
func londonDate(t time.Time) string { return when.Date(t) }

// dateOnly formats a date (stored as midnight UTC): "27 November 2026".
func dateOnly(t time.Time) string { return when.Day(t) }

func categoryName(cats []school.Category, key string) string {
	for _, c := range cats {
		if c.Key == key {
			return c.Name
		}
	}
	return key
}

func indicatorName(code string) string {
	if l, ok := concern.IndicatorLabel(code); ok {
		return l
	}
	return code
}

func regionName(m concern.BodyMark) string {
	if r, ok := concern.RegionByCode(m.Region); ok {
		return r.Label(m.Side)
	}
	return m.Region
}

func toldDSL(c concern.Concern) string {
	if c.ToldDSL != "yes" {
		return "Not yet"
	}
	s := "Yes, " + c.ToldDSLWho
	if c.ToldDSLWhen != "" {
		s += ", " + c.ToldDSLWhen
	}
	return s
}

func happened(c concern.Concern) string {
	s := dateOnly(c.HappenedOn)
	if c.HappenedApprox {
		s = "About " + s
	}
	if c.HappenedTime != "" {
		s += ", " + c.HappenedTime
	}
	return s
}

func frontDoorName(e Emergency) string {
	if e.FrontDoorName != "" {
		return e.FrontDoorName
	}
	return "the local children’s services front door"
}

func outOfHoursName(e Emergency) string {
	if e.OutOfHoursName != "" {
		return e.OutOfHoursName
	}
	return "the emergency duty team"
}

func formAction(f ConcernForm) string { return paths.ConcernForm(f.Anchor) }

// indicatorsDescribedBy: the indicators' hint, and their problem when there is one.
func (f ConcernForm) indicatorsDescribedBy() string {
	if f.problem(concern.FieldIndicators) != "" {
		return "indicators-hint indicators-error"
	}
	return "indicators-hint"
}
