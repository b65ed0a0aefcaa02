package ui

import (
	"strings"
	"testing"

	"github.com/a-h/templ"
)

const detailHint = "Don't include personal or financial information, eg your National Insurance number or credit card details."

func TestTextareaFixtures(t *testing.T) {
	runFixtures(t, "textarea", []fixtureCase{
		{name: "default", c: Textarea(TextareaParams{Name: "more-detail", Label: "Can you provide more detail?"})},
		{name: "with hint", c: Textarea(TextareaParams{ID: "more-detail", Name: "more-detail", Label: "Can you provide more detail?", Hint: detailHint})},
		{name: "with error message", c: Textarea(TextareaParams{ID: "no-ni-reason", Name: "no-ni-reason", Label: "Why can’t you provide a National Insurance number?",
			Error: "You must provide an explanation"})},
		{name: "with default value", c: Textarea(TextareaParams{ID: "full-address", Name: "address", Label: "Full address", Value: "221B Baker Street\nLondon\nNW1 6XE\n"})},
		{name: "with custom rows", c: Textarea(TextareaParams{ID: "full-address", Name: "address", Label: "Full address", Rows: 8})},
		{name: "with label as page heading", c: Textarea(TextareaParams{ID: "textarea-with-page-heading", Name: "address", Label: "Full address",
			LabelSize: SizeL, LabelIsPageHeading: true})},
		{name: "with hint and error message", c: Textarea(TextareaParams{ID: "with-hint-error", Name: "with-hint-error", Label: "With hint and error",
			Hint: "Hint", Error: "Error message"})},
		{name: "attributes", c: Textarea(TextareaParams{ID: "with-attributes", Name: "with-attributes", Label: "With attributes",
			Attributes: templ.Attributes{"data-attribute": "my data value"}})},
		{name: "with autocomplete attribute", c: Textarea(TextareaParams{ID: "textarea-with-autocomplete-attribute", Name: "address", Label: "Full address",
			Autocomplete: "street-address"})},
		{name: "with spellcheck enabled", c: Textarea(TextareaParams{ID: "textarea-with-spellcheck-enabled", Name: "spellcheck", Label: "Spellcheck is enabled",
			Spellcheck: ptr(true)})},
		{name: "with describedBy", skip: "no describedBy option: ui links only the field's own hint and error"},
	})
}

func TestCharacterCountFixtures(t *testing.T) {
	const address = "221B Baker Street\nLondon\nNW1 6XE\n"
	runFixtures(t, "character-count", []fixtureCase{
		{name: "default", c: Textarea(TextareaParams{Name: "more-detail", Label: "Can you provide more detail?", MaxLength: 10})},
		{name: "with hint", c: Textarea(TextareaParams{ID: "with-hint", Name: "with-hint", Label: "Can you provide more detail?", Hint: detailHint, MaxLength: 10})},
		{name: "with hint and error", c: Textarea(TextareaParams{ID: "with-error", Name: "with-error", Label: "Can you provide more detail?", Hint: detailHint,
			Error: "Please provide more detail", MaxLength: 10})},
		{name: "with default value", c: Textarea(TextareaParams{ID: "with-default-value", Name: "default-value", Label: "Full address", Value: address, MaxLength: 100})},
		{name: "with default value exceeding limit", c: Textarea(TextareaParams{ID: "exceeding-characters", Name: "exceeding", Label: "Full address", Value: address,
			MaxLength: 10, Error: "Please do not exceed the maximum allowed limit"})},
		{name: "with custom rows", c: Textarea(TextareaParams{ID: "custom-rows", Name: "custom", Label: "Full address", MaxLength: 10, Rows: 8})},
		{name: "with label as page heading", c: Textarea(TextareaParams{ID: "textarea-with-page-heading", Name: "address", Label: "Full address",
			LabelSize: SizeL, LabelIsPageHeading: true, MaxLength: 10})},
		{name: "with maxwords", c: Textarea(TextareaParams{ID: "maxwords", Name: "maxwords", Label: "Full address", MaxWords: 10})},
		{name: "with threshold", c: Textarea(TextareaParams{ID: "with-threshold", Name: "with-threshold", Label: "Full address", MaxLength: 10, Threshold: 75})},
		{name: "spellcheck disabled", c: Textarea(TextareaParams{ID: "without-spellcheck", Name: "without-spellcheck", Label: "Without spellcheck",
			MaxLength: 10, Spellcheck: ptr(false)})},
		{name: "with count type 'words'", skip: "no countType option: ui counts words with MaxWords (data-maxwords)"},
		{name: "with translations", skip: "no translated count messages: Haven is in English only"},
	})
}

// A value starting with a newline keeps it: HTML drops one newline after
// <textarea>, and the component writes one first.
func TestTextareaKeepsLeadingNewline(t *testing.T) {
	got := render(t, Textarea(TextareaParams{Name: "n", Label: "L", Value: "\nsecond line"}))
	if !strings.Contains(got, ">\n\nsecond line</textarea>") {
		t.Errorf("leading newline lost: %s", got)
	}
}
