package school

import (
	"testing"
	"time"

	"github.com/havenschools/haven/internal/when"
)

// TestBankHolidays checks the computed holidays against the published
// lists for England and Wales (GOV.UK's bank holidays page), including
// substitute days and the one-off changes.
func TestBankHolidays(t *testing.T) {
	published := map[int][]string{
		2020: {"2020-01-01", "2020-04-10", "2020-04-13", "2020-05-08", "2020-05-25", "2020-08-31", "2020-12-25", "2020-12-28"},
		2021: {"2021-01-01", "2021-04-02", "2021-04-05", "2021-05-03", "2021-05-31", "2021-08-30", "2021-12-27", "2021-12-28"},
		2022: {"2022-01-03", "2022-04-15", "2022-04-18", "2022-05-02", "2022-06-02", "2022-06-03", "2022-08-29", "2022-09-19", "2022-12-26", "2022-12-27"},
		2023: {"2023-01-02", "2023-04-07", "2023-04-10", "2023-05-01", "2023-05-08", "2023-05-29", "2023-08-28", "2023-12-25", "2023-12-26"},
		2026: {"2026-01-01", "2026-04-03", "2026-04-06", "2026-05-04", "2026-05-25", "2026-08-31", "2026-12-25", "2026-12-28"},
		2027: {"2027-01-01", "2027-03-26", "2027-03-29", "2027-05-03", "2027-05-31", "2027-08-30", "2027-12-27", "2027-12-28"},
	}
	for year, want := range published {
		var got []string
		for _, h := range BankHolidays(year) {
			got = append(got, h.On.Format(time.DateOnly))
		}
		if len(got) != len(want) {
			t.Errorf("%d: %v, want %v", year, got, want)
			continue
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%d: %v, want %v", year, got, want)
				break
			}
		}
	}
	if name, ok := BankHoliday(time.Date(2026, 8, 31, 9, 0, 0, 0, when.London())); !ok || name != "Summer bank holiday" {
		t.Errorf("31 August 2026 = %q, %v; want the summer bank holiday", name, ok)
	}
	if _, ok := BankHoliday(time.Date(2026, 9, 1, 9, 0, 0, 0, when.London())); ok {
		t.Error("1 September 2026 is not a bank holiday")
	}
	// Late on 27 December 2026 in London is already the 28th in no zone
	// but London's own: the date is London's.
	if _, ok := BankHoliday(time.Date(2026, 12, 28, 0, 30, 0, 0, when.London())); !ok {
		t.Error("the small hours of 28 December 2026 (the Boxing Day substitute) are not a bank holiday")
	}
}

func TestWorkingDaysSkipBankHolidays(t *testing.T) {
	c := Calendar{Days: []int{1, 2, 3, 4, 5}}
	// Friday 28 August 2026; Monday 31 August is the summer bank holiday.
	friday := time.Date(2026, 8, 28, 15, 0, 0, 0, when.London())
	if got := c.AddWorkingDays(friday, 1); !got.Equal(time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("one working day after Friday 28 August 2026 = %s, want Tuesday 1 September", got.Format(time.DateOnly))
	}
	if c.WorkingDay(time.Date(2026, 12, 25, 12, 0, 0, 0, when.London())) {
		t.Error("Christmas Day is a working day")
	}
}
