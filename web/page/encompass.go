package page

import (
	"slices"

	"github.com/havenschools/haven/internal/concern"
	"github.com/havenschools/haven/internal/encompass"
	"github.com/havenschools/haven/internal/paths"
	"github.com/havenschools/haven/internal/validate"
	"github.com/havenschools/haven/web/ui"
)

// EncompassList is "Operation Encompass": the notifications the DSL may see.
type EncompassList struct {
	List []encompass.Notification
}

func (v EncompassList) rows() [][]ui.TableCell {
	rows := make([][]ui.TableCell, 0, len(v.List))
	for _, n := range v.List {
		rows = append(rows, []ui.TableCell{
			{Content: refLink(paths.Encompass(n.Ref), n.Ref)},
			{Text: n.ChildName},
			{Text: dateOnly(n.NotifiedOn)},
			{Text: n.RecordedByName},
			{Text: restrictedWords(n.Restricted)},
		})
	}
	return rows
}

func restrictedWords(restricted bool) string {
	if restricted {
		return "Named DSLs only"
	}
	return "All DSLs not excluded"
}

// EncompassNew is "Record a police notification", as typed.
type EncompassNew struct {
	Form     encompass.Form
	Problems validate.Problems
	DSLs     []encompass.Person // the school's DSLs, to name or exclude
	Me       int64
	// The child search.
	ChildQuery string
	ChildPicker
	ChildName string
}

func (v EncompassNew) errorLinks() []ui.ErrorLink {
	links := ui.ErrorLinks(v.Problems, encompass.FieldOrder...)
	for i := range links {
		switch links[i].Href {
		case "#" + encompass.FieldNotifiedOn, "#" + encompass.FieldIncidentOn:
			links[i].Href += "-day"
		case "#" + encompass.FieldChild:
			if v.Form.ChildID == 0 {
				links[i].Href = "#child_q"
			}
		}
	}
	return links
}

// dslItems are the DSLs other than the reader, checked when in ids.
func dslItems(dsls []encompass.Person, me int64, ids []int64) []ui.Choice {
	var items []ui.Choice
	for _, d := range dsls {
		if d.ID == me {
			continue
		}
		text := d.Name
		if d.Deputy {
			text += " (deputy)"
		}
		items = append(items, ui.Choice{Value: i64(d.ID), Text: text, Checked: slices.Contains(ids, d.ID)})
	}
	return items
}

// EncompassView is one notification, with the "who can see it" form.
type EncompassView struct {
	Notification encompass.Notification
	DSLs         []encompass.Person
	Me           int64
	Access       encompass.AccessForm
	Problems     validate.Problems
}

func people(list []encompass.Person) string {
	if len(list) == 0 {
		return "No one"
	}
	s := ""
	for i, p := range list {
		if i > 0 {
			s += ", "
		}
		s += p.Name
	}
	return s
}

func encompassRestricted(restricted bool) string {
	if restricted {
		return "yes"
	}
	return "no"
}

// entryHref is where a chronology entry's reference links: its concern,
// or the record it names (an Operation Encompass notification).
func entryHref(e concern.Entry) string {
	if e.Href != "" {
		return e.Href
	}
	return paths.Concern(e.Ref)
}
