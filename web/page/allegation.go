package page

import (
	"strconv"
	"strings"
	"time"

	"github.com/havenschools/haven/internal/allegation"
	"github.com/havenschools/haven/internal/auth"
	"github.com/havenschools/haven/internal/paths"
	"github.com/havenschools/haven/internal/pupil"
	"github.com/havenschools/haven/internal/school"
	"github.com/havenschools/haven/internal/validate"
	"github.com/havenschools/haven/internal/when"
	"github.com/havenschools/haven/web/ui"
)

// AllegationForm is the "Report a concern about an adult" page: the short
// form as typed, its problems, and the lists it chooses from.
type AllegationForm struct {
	Form     allegation.Form
	Problems validate.Problems
	Members  []allegation.Person // for "Their Haven account"
	// The child search: what was typed, what it found, and the child chosen.
	ChildQuery string
	ChildPicker
	ChildName string
	Notice    string
}

func (f AllegationForm) errorLinks() []ui.ErrorLink {
	links := ui.ErrorLinks(f.Problems, allegation.FieldOrder...)
	for i := range links {
		if links[i].Href == "#"+allegation.FieldHappened {
			links[i].Href += "-day"
		}
		if links[i].Href == "#"+allegation.FieldChild && f.Form.ChildID == 0 {
			links[i].Href = "#child_q"
		}
	}
	return links
}

func (f AllegationForm) memberItems() []selectOption {
	out := []selectOption{{Value: "", Text: "They have no account, or I am not sure"}}
	for _, m := range f.Members {
		v := i64(m.ID)
		out = append(out, selectOption{Value: v, Text: m.Name, Selected: f.Form.SubjectUserID == m.ID})
	}
	return out
}

func childResultItems(results []pupil.Child, chosen int64) []ui.Choice {
	var items []ui.Choice
	for _, c := range results {
		items = append(items, ui.Choice{Value: i64(c.ID), Text: c.Name(), Hint: c.Describe(), Checked: c.ID == chosen})
	}
	return items
}

func allegationKindItems(kinds []allegation.Kind) []ui.Choice {
	var items []ui.Choice
	for _, k := range kinds {
		items = append(items, ui.Choice{Value: string(k), Text: k.Label(), Hint: k.Hint()})
	}
	return items
}

// selectOption is one option of a plain select.
type selectOption struct {
	Value, Text string
	Selected    bool
}

// AllegationReceipt is the page shown once a concern about an adult is sent.
type AllegationReceipt struct {
	Receipt allegation.Receipt
}

// sentTo says where a concern about an adult went.
func sentTo(r allegation.Receipt) string {
	s := "It has gone to " + r.RoutedTo.Label()
	if r.RoutedTo == allegation.ToChair {
		s += ", because it is about the headteacher"
	}
	return s + ". It does not go to the DSL, and the person it is about cannot see it."
}

// AllegationsView is "Concerns about adults", the handler's list.
type AllegationsView struct {
	List  []allegation.Summary
	Chair bool // the reader is the chair of governors (these are about the head)
}

func (v AllegationsView) prompts() []allegation.Summary {
	var out []allegation.Summary
	for _, s := range v.List {
		if s.LADOPrompt {
			out = append(out, s)
		}
	}
	return out
}

func ladoState(s allegation.Summary) string {
	switch {
	case s.Kind == allegation.LowLevel:
		return "Not needed for a low-level concern"
	case s.Consulted:
		return "Consulted"
	case s.Removed || s.Status == allegation.Closed:
		return "Not recorded"
	case s.LADOPrompt:
		return "Overdue: due " + dateOnly(s.LADODue)
	}
	return "Due by " + dateOnly(s.LADODue)
}

func (v AllegationsView) rows() [][]ui.TableCell {
	rows := make([][]ui.TableCell, 0, len(v.List))
	for _, s := range v.List {
		about := s.SubjectName + ", " + s.SubjectRole
		if s.Removed {
			about = "Removed"
		}
		outcome := "None yet"
		if s.Outcome != "" {
			outcome = s.Outcome.Label()
		}
		rows = append(rows, []ui.TableCell{
			{Content: refLink(paths.Allegation(s.Ref), s.Ref)},
			{Text: about},
			{Text: s.Kind.Label()},
			{Text: londonDate(s.CreatedAt)},
			{Text: s.Status.Label()},
			{Text: ladoState(s)},
			{Text: outcome},
		})
	}
	return rows
}

// AllegationView is the handler's page for one concern about an adult,
// with the problems and typed values of the small form that was refused.
type AllegationView struct {
	Case     allegation.Case
	Problems validate.Problems
	LADO     allegation.LADOForm
	Action   allegation.ActionForm
	Outcome  allegation.OutcomeForm
	NewKind  string
	LeftOn   when.DateParts
	Review   string
	Now      time.Time
	// Hold is the record's legal hold, for its handler (CanHold); HoldReason
	// is what was typed, shown again with its problem.
	Hold       allegation.LegalHold
	CanHold    bool
	HoldReason string
}

func (v AllegationView) errorLinks() []ui.ErrorLink {
	links := ui.ErrorLinks(v.Problems, allegation.FieldNewKind, allegation.FieldLADOOn, allegation.FieldLADOOfficer,
		allegation.FieldLADOAdvice, allegation.FieldLADORef, allegation.FieldActionKind, allegation.FieldActionOn,
		allegation.FieldActionNote, allegation.FieldOutcome, allegation.FieldOutcomeNote, allegation.FieldDOB,
		allegation.FieldLeftOn, allegation.FieldHoldReason, allegation.FieldReviewNote, allegation.FieldSignOff, allegation.FieldMergeInto)
	for i := range links {
		switch links[i].Href {
		case "#" + allegation.FieldLADOOn, "#" + allegation.FieldActionOn, "#" + allegation.FieldDOB, "#" + allegation.FieldLeftOn:
			links[i].Href += "-day"
		case "#" + allegation.FieldSignOff:
			links[i].Href = "#retention"
		case "#" + allegation.FieldMergeInto:
			links[i].Href = "#case-merge-error"
		}
	}
	return links
}

func (v AllegationView) ref() string { return v.Case.Ref }

func (v AllegationView) path(suffix string) string { return paths.Allegation(v.Case.Ref) + suffix }

func (v AllegationView) title() string {
	t := "Concern about an adult " + v.Case.Ref
	if len(v.Problems) > 0 {
		return "Error: " + t
	}
	return t
}

func (v AllegationView) lowLevel() bool { return v.Case.Kind == allegation.LowLevel }

func (v AllegationView) happened() string {
	a := v.Case.Allegation
	if a.HappenedOn == nil {
		if a.HappenedTime != "" {
			return a.HappenedTime
		}
		return "Not given"
	}
	s := dateOnly(*a.HappenedOn)
	if a.HappenedTime != "" {
		s += ", " + a.HappenedTime
	}
	return s
}

func orNotGiven(s string) string {
	if strings.TrimSpace(s) == "" {
		return "Not given"
	}
	return s
}

func actionKindOptions(chosen string) []selectOption {
	out := []selectOption{{Value: "", Text: "Choose what was done"}}
	for _, k := range allegation.ActionKinds() {
		out = append(out, selectOption{Value: string(k), Text: k.Label(), Selected: string(k) == chosen})
	}
	return out
}

func allegationOutcomeItems() []ui.Choice {
	var items []ui.Choice
	for _, o := range allegation.Outcomes() {
		items = append(items, ui.Choice{Value: string(o), Text: o.Label(), Hint: o.Hint()})
	}
	return items
}

func relatedRows(list []allegation.Summary) [][]ui.TableCell {
	rows := make([][]ui.TableCell, 0, len(list))
	for _, s := range list {
		outcome := s.Status.Label()
		if s.Outcome != "" {
			outcome = s.Outcome.Label()
		}
		rows = append(rows, []ui.TableCell{{Content: refLink(paths.Allegation(s.Ref), s.Ref)}, {Text: s.Kind.Label()},
			{Text: londonDate(s.CreatedAt)}, {Text: outcome}})
	}
	return rows
}

func signers(list []allegation.SignOff) string {
	if len(list) == 0 {
		return "No one yet"
	}
	var names []string
	for _, s := range list {
		names = append(names, s.Name+" ("+londonDate(s.At)+")")
	}
	return strings.Join(names, "; ")
}

func ruleWords(r allegation.RetentionRule) string {
	return "Allegations found substantiated, unsubstantiated or unfounded are kept until the person's normal retirement age (" +
		strconv.Itoa(r.RetirementAge) + ") or for " + strconv.Itoa(r.MinimumYears) +
		" years from the report, whichever is later. False and malicious allegations are removed. Low-level concerns are reviewed when the person leaves."
}

// LowLevelLogView is the handler's "Low-level concerns log".
type LowLevelLogView struct {
	Log      []allegation.LogEntry
	Rule     allegation.FlagRule
	Problems validate.Problems
	// Person and Note: the pattern review that was refused, as typed.
	Person int64
	Note   string
}

func (v LowLevelLogView) noteID(i int) string {
	return allegation.FieldPatternNote + "-" + strconv.Itoa(i+1)
}

func (v LowLevelLogView) errorLinks() []ui.ErrorLink {
	var links []ui.ErrorLink
	for i, e := range v.Log {
		if e.Person == v.Person && v.Problems[allegation.FieldPatternNote] != "" {
			links = append(links, ui.ErrorLink{Text: v.Problems[allegation.FieldPatternNote], Href: "#" + v.noteID(i)})
		}
		if e.Person == v.Person && v.Problems[allegation.FieldMergeInto] != "" {
			links = append(links, ui.ErrorLink{Text: v.Problems[allegation.FieldMergeInto], Href: "#person-" + strconv.Itoa(i+1) + "-merge-error"})
		}
	}
	return links
}

func (v LowLevelLogView) problemFor(e allegation.LogEntry) string {
	if e.Person == v.Person {
		return v.Problems[allegation.FieldPatternNote]
	}
	return ""
}

func (v LowLevelLogView) noteFor(e allegation.LogEntry) string {
	if e.Person == v.Person {
		return v.Note
	}
	return ""
}

func logRows(e allegation.LogEntry) [][]ui.TableCell {
	rows := make([][]ui.TableCell, 0, len(e.Concerns))
	for _, c := range e.Concerns {
		rows = append(rows, []ui.TableCell{{Content: refLink(paths.Allegation(c.Ref), c.Ref)}, {Text: londonDate(c.CreatedAt)},
			{Text: c.Status.Label()}})
	}
	return rows
}

// RetentionView is "Records due for review": concerns about adults due
// for review or removal, for the people who sign off.
type RetentionView struct {
	Due      []allegation.Due
	Problems validate.Problems
}

func retentionOutcome(d allegation.Due) string {
	if d.Outcome == "" {
		return d.Kind.Label()
	}
	return d.Outcome.Label()
}

// AllegationSettingsView is the admins' "Rules for concerns about adults".
type AllegationSettingsView struct {
	Form     allegation.SettingsForm
	Problems validate.Problems
}

// chairOptions are the members who may be named chair of governors (not
// the heads), with chosen (a user id) selected.
func chairOptions(members []school.Member, chosen string) []selectOption {
	out := []selectOption{{Value: "", Text: "None named yet"}}
	for _, m := range members {
		// A head, an admin or a DSL cannot be the chair (auth.ChairProblem);
		// a chair named before that rule stays listed, so saving the form
		// does not remove them unasked.
		if auth.ChairProblem(m.Role) != "" && i64(m.UserID) != chosen {
			continue
		}
		v := i64(m.UserID)
		out = append(out, selectOption{Value: v, Text: m.Name, Selected: v == chosen})
	}
	return out
}

// SamePersonView is the part of the low-level log and of a record's page
// where the handler decides who the records are about: the people they may
// be ("Is this …?", each with a merge), and the identities already merged
// in, each with a way to separate it again (allegation.Merge, Separate).
type SamePersonView struct {
	Person  int64
	Name    string
	Matches []allegation.Match
	Parts   []allegation.Part
	// Back is where the forms return: the log, or the record's reference.
	Back string
	// ID makes the element ids unique on a page with several people.
	ID string
	// Error is why a merge was refused ("": none).
	Error string
}

// mergeError is the merge problem of the log entry e, if it was refused.
func (v LowLevelLogView) mergeError(e allegation.LogEntry) string {
	if e.Person == v.Person {
		return v.Problems[allegation.FieldMergeInto]
	}
	return ""
}

func (v SamePersonView) questionID(i int) string { return v.ID + "-match-" + strconv.Itoa(i+1) }

func (v SamePersonView) partID(i int) string { return v.ID + "-part-" + strconv.Itoa(i+1) }

// PeopleBackLog is SamePersonView.Back for the low-level concerns log.
const PeopleBackLog = "low-level"

// PeopleBackHref is where the merge and separate forms return to: the
// low-level concerns log, or the record back names (the log for anything
// that is not a reference).
func PeopleBackHref(back string) string {
	if allegation.ValidRef(back) {
		return paths.Allegation(back) + "#related"
	}
	return "/allegations/low-level"
}

func int64Value(n int64) string { return strconv.FormatInt(n, 10) }

// matchWhy says why Haven thinks two records may be about one adult.
func matchWhy(m allegation.Match) string {
	s := "Their names match"
	if m.SameRole {
		s += " and so do their roles"
	}
	if m.Account {
		s += "; " + m.Name + " was chosen by their Haven account"
	}
	return s + ". Haven cannot be sure: merge them only if you know they are one person."
}
