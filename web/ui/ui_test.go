package ui

import (
	"reflect"
	"strings"
	"testing"
)

func TestErrorLinks(t *testing.T) {
	problems := map[string]string{
		"when":    "Enter when it happened",
		"account": "Enter what happened",
		"zebra":   "Unlisted problem",
		"alpha":   "Another unlisted problem",
	}
	got := ErrorLinks(problems, "child", "account", "when", "account")
	want := []ErrorLink{
		{Text: "Enter what happened", Href: "#account"},
		{Text: "Enter when it happened", Href: "#when"},
		{Text: "Another unlisted problem", Href: "#alpha"},
		{Text: "Unlisted problem", Href: "#zebra"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ErrorLinks = %v, want %v", got, want)
	}
	if got := ErrorLinks(nil); len(got) != 0 {
		t.Errorf("ErrorLinks(nil) = %v", got)
	}
}

func TestTextIsEscaped(t *testing.T) {
	const evil = `"><script>alert(1)</script>`
	out := render(t, TextInput(Input{Name: "n", Label: evil, Hint: evil, Error: evil, Value: evil}))
	out += render(t, Textarea(TextareaParams{Name: "n", Label: "L", Value: "</textarea><script>alert(1)</script>"}))
	out += render(t, SummaryList(SummaryListParams{Rows: []SummaryRow{{Key: evil, Value: evil}}}))
	if strings.Contains(out, "<script>") {
		t.Errorf("unescaped text:\n%s", out)
	}
}

func TestUnsafeURLsAreSanitised(t *testing.T) {
	out := render(t, BackLink("javascript:alert(1)", ""))
	out += render(t, ErrorSummary(ErrorSummaryParams{Errors: []ErrorLink{{Text: "x", Href: "javascript:alert(1)"}}}))
	out += render(t, Button(ButtonParams{Text: "x", Href: "javascript:alert(1)"}))
	if strings.Contains(out, "javascript:") {
		t.Errorf("unsafe URL rendered:\n%s", out)
	}
}

func TestCheckboxValuesCheckItems(t *testing.T) {
	out := normalise(t, render(t, Checkboxes(Choices{Name: "cse", Legend: "Indicators", Values: []string{"b"},
		Items: []Choice{{Value: "a", Text: "A"}, {Value: "b", Text: "B"}}})))
	if !strings.Contains(out, `<input checked="" class="govuk-checkboxes__input" id="cse-2"`) ||
		strings.Contains(out, `<input checked="" class="govuk-checkboxes__input" id="cse" `) {
		t.Errorf("Values should check only item b:\n%s", out)
	}
}

// Without JavaScript a conditional reveal must be visible: the --hidden
// class only hides it under .govuk-frontend-supported, and nothing else
// (no hidden attribute, no inline style) may hide it.
func TestConditionalRevealWorksWithoutJS(t *testing.T) {
	out := render(t, Radios(Choices{Name: "danger", Legend: "Is the child in immediate danger?", Items: []Choice{
		{Value: "yes", Text: "Yes", Conditional: Hint("", "Call 999 now")},
		{Value: "no", Text: "No"},
	}}))
	for _, bad := range []string{" hidden", "style="} {
		if strings.Contains(out, bad) {
			t.Errorf("conditional hidden by %q:\n%s", bad, out)
		}
	}
	if !strings.Contains(out, `data-aria-controls="conditional-danger"`) || !strings.Contains(out, `id="conditional-danger"`) {
		t.Errorf("conditional not wired to its radio:\n%s", out)
	}
}
