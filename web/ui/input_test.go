package ui

import (
	"testing"

	"github.com/a-h/templ"
)

const niHint = "It’s on your National Insurance card, benefit letter, payslip or P60. For example, ‘QQ 12 34 56 C’."

func TestTextInputFixtures(t *testing.T) {
	runFixtures(t, "input", []fixtureCase{
		{name: "default", c: TextInput(Input{Name: "test-name", Label: "National Insurance number"})},
		{name: "with hint text", c: TextInput(Input{ID: "input-with-hint-text", Name: "test-name-2", Label: "National insurance number", Hint: niHint})},
		{name: "with error message", c: TextInput(Input{ID: "input-with-error-message", Name: "test-name-3", Label: "National Insurance number",
			Error: "Enter a National Insurance number in the correct format"})},
		{name: "with error and hint", c: TextInput(Input{ID: "with-error-hint", Name: "with-error-hint", Label: "National insurance number",
			Hint: niHint, Error: "Enter a National Insurance number in the correct format"})},
		{name: "with width-2 class", c: TextInput(Input{ID: "input-width-2", Name: "test-width-2", Label: "National insurance number", Hint: niHint, Width: "2"})},
		{name: "with width-30 class", c: TextInput(Input{ID: "input-width-30", Name: "test-width-30", Label: "National insurance number", Hint: niHint, Width: "30"})},
		{name: "with label as page heading", c: TextInput(Input{ID: "input-with-page-heading", Name: "test-name", Label: "National Insurance number",
			LabelSize: SizeL, LabelIsPageHeading: true})},
		{name: "with prefix", c: TextInput(Input{ID: "input-with-prefix", Name: "amount", Label: "Amount, in pounds", Prefix: "£"})},
		{name: "with suffix", c: TextInput(Input{ID: "input-with-suffix", Name: "weight", Label: "Weight, in kilograms", Suffix: "kg"})},
		{name: "with prefix and suffix and error", c: TextInput(Input{ID: "input-with-prefix-suffix", Name: "cost", Label: "Cost per item, in pounds",
			Prefix: "£", Suffix: "per item", Error: "Error message goes here"})},
		{name: "with prefix and suffix and width modifier", c: TextInput(Input{ID: "input-with-prefix-suffix", Name: "cost", Label: "Cost per item, in pounds",
			Prefix: "£", Suffix: "per item", Width: "5"})},
		{name: "with extra letter spacing", c: TextInput(Input{ID: "input-with-extra-letter-spacing", Name: "input-with-extra-letter-spacing",
			Label: "National insurance number", Width: "30", Classes: "govuk-input--extra-letter-spacing", Value: "QQ 12 34 56 C"})},
		{name: "custom type", c: TextInput(Input{ID: "with-custom-type", Name: "with-custom-type", Label: "With custom type", Type: "number"})},
		{name: "attributes", c: TextInput(Input{ID: "with-attributes", Name: "with-attributes", Label: "With attributes",
			Attributes: templ.Attributes{"data-attribute": "my data value"}})},
		{name: "with autocomplete attribute", c: TextInput(Input{ID: "input-with-autocomplete-attribute", Name: "postcode", Label: "Postcode", Autocomplete: "postal-code"})},
		{name: "with pattern attribute", c: TextInput(Input{ID: "input-with-pattern-attribute", Name: "numbers-only", Label: "Numbers only", Type: "number", Pattern: "[0-9]*"})},
		{name: "inputmode", c: TextInput(Input{ID: "with-inputmode", Name: "with-inputmode", Label: "With inputmode", InputMode: "decimal"})},
		{name: "with spellcheck disabled", c: TextInput(Input{ID: "input-with-spellcheck-disabled", Name: "spellcheck", Label: "Spellcheck is disabled", Spellcheck: ptr(false)})},
		{name: "with autocapitalize turned off", c: TextInput(Input{ID: "input-with-autocapitalize-off", Name: "autocapitalize", Label: "Autocapitalize is turned off", Autocapitalize: "none"})},
		{name: "disabled", c: TextInput(Input{ID: "disabled-input", Name: "disabled-input", Label: "Disabled input", Disabled: true})},
		{name: "with describedBy", skip: "no describedBy option: ui links only the field's own hint and error"},
		{name: "with optional form-group classes", skip: "no formGroup options"},
	})
}

func TestFieldIsTextInput(t *testing.T) {
	got := render(t, Field("where", "Where did it happen?", "Playground", "Enter where it happened"))
	want := render(t, TextInput(Input{Name: "where", Label: "Where did it happen?", Value: "Playground", Error: "Enter where it happened"}))
	if got != want {
		t.Errorf("Field:\n%s\nTextInput:\n%s", got, want)
	}
}
