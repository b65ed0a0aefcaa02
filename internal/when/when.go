// Package when holds the dates of a school's day: the school's time zone
// (London, Europe/London: no other package loads a zone), today's date
// (Today), a date as typed in a form's three boxes (DateParts), and the one
// way Haven shows dates and times to people, in the GOV.UK style ("2:30pm,
// 7 December 2026"; "6am"; "midday"; "midnight"). Machine formats (CSV,
// JSON, ISO 8601, file names) are not made here.
//
// It is a leaf: domains, web pages, emails and the child's file all use it.
// Working days depend on a school's own calendar and live with it
// (school.Calendar).
package when

import (
	"strconv"
	"sync"
	"time"
	_ "time/tzdata" // the UK's time zone is known without the system's tz database
)

var london = sync.OnceValue(func() *time.Location {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		panic("when: Europe/London: " + err.Error()) // time/tzdata is linked in, so this cannot happen
	}
	return loc
})

// London is the time zone of schools in England, Wales, Scotland and
// Northern Ireland: of school hours, term dates and every date shown.
func London() *time.Location { return london() }

// Time is the time of day of t in London: "2:30pm", "6am", "midday",
// "midnight", "12:15am".
func Time(t time.Time) string {
	t = t.In(london())
	h, m := t.Hour(), t.Minute()
	switch {
	case h == 12 && m == 0:
		return "midday"
	case h == 0 && m == 0:
		return "midnight"
	}
	suffix := "am"
	if h >= 12 {
		suffix = "pm"
	}
	h %= 12
	if h == 0 {
		h = 12
	}
	s := strconv.Itoa(h)
	if m != 0 {
		s += ":" + twoDigits(m)
	}
	return s + suffix
}

// TimeSeconds is Time with the seconds, for records where the order of
// events within a minute matters (the audit log): "2:30:05pm".
func TimeSeconds(t time.Time) string {
	t = t.In(london())
	h, suffix := t.Hour()%12, "am"
	if t.Hour() >= 12 {
		suffix = "pm"
	}
	if h == 0 {
		h = 12
	}
	return strconv.Itoa(h) + ":" + twoDigits(t.Minute()) + ":" + twoDigits(t.Second()) + suffix
}

// Date is the date of the moment t in London: "7 December 2026".
func Date(t time.Time) string { return t.In(london()).Format("2 January 2006") }

// Day is a date with no time of day (a Postgres date, read as midnight
// UTC, or a date typed in a form): "7 December 2026". It is not moved to
// London, so the day stays the day that was stored.
func Day(d time.Time) string { return d.Format("2 January 2006") }

// ShortDay is Day with the month shortened, for tables and filters:
// "7 Dec 2026".
func ShortDay(d time.Time) string { return d.Format("2 Jan 2006") }

// Moment is a time and date in London: "2:30pm, 7 December 2026".
func Moment(t time.Time) string { return Time(t) + ", " + Date(t) }

// MomentSeconds is Moment with the seconds: "2:30:05pm, 7 December 2026".
func MomentSeconds(t time.Time) string { return TimeSeconds(t) + ", " + Date(t) }

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}
