// Package ui holds Haven's form and content widgets: templ ports of the GOV.UK
// Frontend v6.6.0 components, producing the same HTML as GOV.UK's Nunjucks
// macros (tested against govuk-frontend's fixtures.json), so GOV.UK's CSS and
// JavaScript work unchanged and pages work without JavaScript.
//
// Every widget takes one small params struct of plain strings, never HTML:
// text is always escaped, and rich content (a conditional reveal, a summary
// list value with a link) is a templ.Component. Error messages are plain
// strings too, typically validate.Problems["field"]; ui never imports
// internal packages.
//
// Conventions (the same as GOV.UK, which browser tests and the error summary
// rely on):
//   - an input's id defaults to its name; its hint is "<id>-hint" and its
//     error message "<id>-error", listed in that order in aria-describedby;
//   - the first radio or checkbox of a group has the group's id prefix (by
//     default its name) as id, so an error summary link "#<name>" focuses it;
//   - questions with choices, and dates, are fieldsets whose legend is the
//     question.
//
// Widgets: TextInput (Input), Field, Textarea (TextareaParams, with a
// character count when MaxLength or MaxWords is set), Radios and Checkboxes
// (Choices of Choice), DateInput (DateParams), Fieldset (FieldsetParams),
// Hint, ErrorMessage, ErrorSummary (ErrorSummaryParams of ErrorLink, see
// ErrorLinks), Button (ButtonParams), NotificationBanner (BannerParams),
// SummaryList (SummaryListParams of SummaryRow), Table (TableParams of
// TableCell), Tag and BackLink.
package ui

import (
	"slices"
	"strings"

	"github.com/a-h/templ"
)

// Size is the size of a label or legend: Body (the default), SizeS, SizeM,
// SizeL or SizeXL, as GOV.UK's govuk-label--s … govuk-label--xl classes. A
// label or legend that is the page heading is usually SizeL.
type Size string

// Label and legend sizes.
const (
	Body   Size = ""
	SizeS  Size = "s"
	SizeM  Size = "m"
	SizeL  Size = "l"
	SizeXL Size = "xl"
)

// classes joins the non-empty class names with single spaces.
func classes(names ...string) string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		if n = strings.TrimSpace(n); n != "" {
			out = append(out, n)
		}
	}
	return strings.Join(out, " ")
}

// ids joins the non-empty ids with single spaces, for aria-describedby.
func ids(list ...string) string { return classes(list...) }

// when returns s if cond holds, else "".
func when(cond bool, s string) string {
	if cond {
		return s
	}
	return ""
}

// or returns s, or def if s is empty.
func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func sizeClass(prefix string, s Size) string {
	if s == Body {
		return ""
	}
	return prefix + string(s)
}

func formGroupClass(hasError bool, extra string) string {
	return classes("govuk-form-group", when(hasError, "govuk-form-group--error"), extra)
}

func hintID(id, hint string) string     { return when(hint != "", id+"-hint") }
func errorID(id, problem string) string { return when(problem != "", id+"-error") }

// Field is the short form of TextInput for the common case: a text input
// named name (its id too) with a visible label, the submitted value and the
// field's problem ("" if none), e.g.
//
//	@ui.Field("where", "Where did it happen?", f.Where, f.Problems["where"])
func Field(name, label, value, problem string) templ.Component {
	return TextInput(Input{Name: name, Label: label, Value: value, Error: problem})
}

// ErrorLink is one entry of the error summary: the problem, and the link to
// the field ("#" + the field's id). An entry without Href is plain text.
type ErrorLink struct {
	Text string
	Href string
}

// ErrorLinks turns form problems (field name → message, as
// validate.Problems) into error summary links: first the fields named in
// order, in that order, then any others by name, so no problem is ever left
// out. Each links to "#" + the field name, which is the id of a TextInput or
// Textarea and of the first radio or checkbox of Radios and Checkboxes with
// the default ids. For a DateInput with ID "when", "#when" is the group,
// not an input: set that link's Href to "#when-day" (or the first part in
// error) so following it focuses the input.
func ErrorLinks(problems map[string]string, order ...string) []ErrorLink {
	links := make([]ErrorLink, 0, len(problems))
	seen := make(map[string]bool, len(problems))
	for _, name := range order {
		if msg, ok := problems[name]; ok && !seen[name] {
			seen[name] = true
			links = append(links, ErrorLink{Text: msg, Href: "#" + name})
		}
	}
	rest := make([]string, 0, len(problems))
	for name := range problems {
		if !seen[name] {
			rest = append(rest, name)
		}
	}
	slices.Sort(rest)
	for _, name := range rest {
		links = append(links, ErrorLink{Text: problems[name], Href: "#" + name})
	}
	return links
}
