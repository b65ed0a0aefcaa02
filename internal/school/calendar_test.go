package school

import (
	"testing"
	"time"

	"github.com/havenschools/haven/internal/when"
)

func TestAddWorkingDays(t *testing.T) {
	t.Parallel()
	day := func(s string) time.Time {
		d, err := time.ParseInLocation(time.DateOnly, s, when.London())
		if err != nil {
			t.Fatal(err)
		}
		return d.Add(10 * time.Hour)
	}
	weekdays := []int{1, 2, 3, 4, 5}
	autumn := []Term{{Name: "Autumn", StartsOn: time.Date(2026, 9, 3, 0, 0, 0, 0, time.UTC), EndsOn: time.Date(2026, 10, 23, 0, 0, 0, 0, time.UTC)},
		{Name: "Autumn 2", StartsOn: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), EndsOn: time.Date(2026, 12, 18, 0, 0, 0, 0, time.UTC)}}
	tests := []struct {
		name string
		cal  Calendar
		from string
		n    int
		want string
	}{
		{"Monday to Tuesday", Calendar{Days: weekdays}, "2026-09-07", 1, "2026-09-08"},
		{"Friday to Monday", Calendar{Days: weekdays}, "2026-09-11", 1, "2026-09-14"},
		{"Saturday to Monday", Calendar{Days: weekdays}, "2026-09-12", 1, "2026-09-14"},
		{"two days over a weekend", Calendar{Days: weekdays}, "2026-09-10", 2, "2026-09-14"},
		{"half term is skipped", Calendar{Days: weekdays, Terms: autumn}, "2026-10-23", 1, "2026-11-02"},
		{"the last day of term", Calendar{Days: weekdays, Terms: autumn}, "2026-10-22", 1, "2026-10-23"},
		{"over the clocks going back", Calendar{Days: []int{1, 2, 3, 4, 5, 6, 7}}, "2026-10-24", 1, "2026-10-25"},
		{"no school days counts every day", Calendar{}, "2026-09-12", 1, "2026-09-13"},
		{"zero days is the same day", Calendar{Days: weekdays}, "2026-09-12", 0, "2026-09-12"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.cal.AddWorkingDays(day(tt.from), tt.n).Format(time.DateOnly)
			if got != tt.want {
				t.Errorf("AddWorkingDays(%s, %d) = %s, want %s", tt.from, tt.n, got, tt.want)
			}
		})
	}
}

func TestWorkingDay(t *testing.T) {
	t.Parallel()
	c := Calendar{Days: []int{1, 2, 3, 4, 5}}
	// 23:30 UTC on Sunday 13 September is 00:30 on Monday in London.
	if !c.WorkingDay(time.Date(2026, 9, 13, 23, 30, 0, 0, time.UTC)) {
		t.Error("the day is not taken in London time")
	}
	if c.WorkingDay(time.Date(2026, 9, 12, 12, 0, 0, 0, time.UTC)) {
		t.Error("a Saturday is a working day")
	}
	if !c.WorkingDay(time.Date(2026, 9, 11, 12, 0, 0, 0, time.UTC)) {
		t.Error("a Friday is not a working day")
	}
}
