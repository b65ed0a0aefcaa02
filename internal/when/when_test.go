package when_test

import (
	"testing"
	"time"

	"github.com/havenschools/haven/internal/when"
)

func TestFormats(t *testing.T) {
	t.Parallel()
	utc := func(y int, m time.Month, d, h, min, s int) time.Time {
		return time.Date(y, m, d, h, min, s, 0, time.UTC)
	}
	tests := []struct {
		name string
		at   time.Time
		f    func(time.Time) string
		want string
	}{
		{"afternoon in winter (GMT)", utc(2026, 12, 7, 14, 30, 0), when.Moment, "2:30pm, 7 December 2026"},
		{"on the hour, no minutes", utc(2026, 12, 7, 6, 0, 0), when.Time, "6am"},
		{"midday", utc(2026, 12, 7, 12, 0, 0), when.Time, "midday"},
		{"midnight", utc(2026, 12, 7, 0, 0, 0), when.Time, "midnight"},
		{"just after midnight", utc(2026, 12, 7, 0, 15, 0), when.Time, "12:15am"},
		{"just after midday", utc(2026, 12, 7, 12, 5, 0), when.Time, "12:05pm"},
		{"summer time (BST) is an hour ahead", utc(2026, 7, 1, 13, 30, 0), when.Moment, "2:30pm, 1 July 2026"},
		{"BST moves the date across midnight", utc(2026, 6, 30, 23, 30, 0), when.Moment, "12:30am, 1 July 2026"},
		{"the last moment of BST", utc(2026, 10, 25, 0, 59, 0), when.Moment, "1:59am, 25 October 2026"},
		{"the first moment of GMT again", utc(2026, 10, 25, 1, 0, 0), when.Moment, "1am, 25 October 2026"},
		{"the first moment of BST", utc(2026, 3, 29, 1, 0, 0), when.Moment, "2am, 29 March 2026"},
		{"seconds", utc(2026, 12, 7, 14, 30, 5), when.MomentSeconds, "2:30:05pm, 7 December 2026"},
		{"seconds at midnight", utc(2026, 12, 7, 0, 0, 9), when.TimeSeconds, "12:00:09am"},
		{"a stored date is not moved", utc(2026, 7, 1, 0, 0, 0), when.Day, "1 July 2026"},
		{"a moment's date is London's", utc(2026, 6, 30, 23, 30, 0), when.Date, "1 July 2026"},
		{"a short day", utc(2026, 12, 7, 0, 0, 0), when.ShortDay, "7 Dec 2026"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.f(tt.at); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
