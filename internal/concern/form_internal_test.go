package concern

import (
	"testing"
	"time"

	"github.com/havenschools/haven/internal/when"
)

// A time typed for today that has not come yet is found, however it is
// written; a time that has passed, another day, or no time at all is not.
func TestLaterToday(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 15, 0, 0, when.London())
	today, yesterday := when.Today(now), when.Today(now).AddDate(0, 0, -1)
	for _, tc := range []struct {
		on   time.Time
		text string
		want string
	}{
		{today, "2:30pm", "2:30pm"},
		{today, "14:27", "14:27"},
		{today, "about 3 p.m.", "3 p.m."},
		{today, "10.16am", "10.16am"},
		{today, "12pm", "12pm"},
		{today, "between 9am and 11am", ""}, // it may have begun already
		{today, "10:15am", ""},
		{today, "9:30", ""},
		{today, "12am", ""},
		{today, "lunchtime", ""},
		{today, "period 3", ""},
		{today, "", ""},
		{yesterday, "2:30pm", ""},
		{time.Time{}, "2:30pm", ""},
	} {
		if got := laterToday(tc.on, tc.text, now); got != tc.want {
			t.Errorf("laterToday(%s, %q) = %q, want %q", tc.on.Format("2 Jan"), tc.text, got, tc.want)
		}
	}
}
