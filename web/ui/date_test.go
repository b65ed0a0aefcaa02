package ui

import (
	"testing"

	"github.com/a-h/templ"
)

func TestDateInputFixtures(t *testing.T) {
	const dob = "What is your date of birth?"
	const example = "For example, 31 3 1980"
	const msg = "Error message goes here"
	runFixtures(t, "date-input", []fixtureCase{
		{name: "default", c: DateInput(DateParams{ID: "dob", Legend: dob, Hint: example})},
		{name: "with values", c: DateInput(DateParams{ID: "with-values", Legend: dob, Hint: example, Day: "31", Month: "3", Year: "1980"})},
		{name: "with values and name prefix", c: DateInput(DateParams{ID: "with-values-name-prefix", NamePrefix: "dob", Legend: dob, Hint: example,
			Day: "31", Month: "3", Year: "1980"})},
		{name: "with items", c: DateInput(DateParams{ID: "dob", NamePrefix: "dob", Legend: dob, Hint: example})},
		{name: "with errors only", c: DateInput(DateParams{ID: "dob-errors", Legend: dob, ErrorDay: true, ErrorMonth: true, ErrorYear: true})},
		{name: "with error message and hint", c: DateInput(DateParams{ID: "dob-errors", Legend: dob, Hint: example, Error: msg})},
		{name: "with error on day input", c: DateInput(DateParams{ID: "dob-day-error", Legend: dob, Hint: example, Error: msg, ErrorDay: true})},
		{name: "with error on month input", c: DateInput(DateParams{ID: "dob-month-error", Legend: dob, Hint: example, Error: msg, ErrorMonth: true})},
		{name: "with error on year input", c: DateInput(DateParams{ID: "dob-year-error", Legend: dob, Hint: example, Error: msg, ErrorYear: true})},
		{name: "attributes", c: DateInput(DateParams{ID: "with-attributes", Attributes: templ.Attributes{"data-attribute": "my data value"}})},
		{name: "with translations", skip: "no custom part labels: Haven is in English only"},
		{name: "day and month", skip: "always day, month and year"},
		{name: "with autocomplete values", skip: "no autocomplete option: Haven asks for no one's own date of birth"},
	})
}
