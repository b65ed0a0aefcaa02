package when

import (
	"strconv"
	"strings"
	"time"
)

// Today is the date of now in London, as midnight UTC (the way pgx reads a
// Postgres date, and the way DateParts.Date returns a typed date), so it
// compares with both.
func Today(now time.Time) time.Time {
	y, m, d := now.In(london()).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// DateParts is a date as typed in GOV.UK's three boxes (day, month, year).
// Each form checks it with its own words ("Enter the date it happened"):
// Empty and Date say what is wrong, the form says it.
type DateParts struct {
	Day   string `json:"day"`
	Month string `json:"month"`
	Year  string `json:"year"`
}

// Empty reports whether nothing was typed.
func (d DateParts) Empty() bool { return strings.TrimSpace(d.Day+d.Month+d.Year) == "" }

// Date parses the three parts as a real date, at midnight UTC (a date, not
// a moment: compare it with Today). A year outside 1000–9999, a month
// outside 1–12 or a day the month lacks (31 April, 29 February 2027) is
// not a date.
func (d DateParts) Date() (time.Time, bool) {
	day, err1 := strconv.Atoi(strings.TrimSpace(d.Day))
	month, err2 := strconv.Atoi(strings.TrimSpace(d.Month))
	year, err3 := strconv.Atoi(strings.TrimSpace(d.Year))
	if err1 != nil || err2 != nil || err3 != nil || year < 1000 || year > 9999 || month < 1 || month > 12 || day < 1 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	if t.Day() != day { // 31 April rolls over into May
		return time.Time{}, false
	}
	return t, true
}

// DatePartsOf returns the date of t as it would be typed. t is a date
// (Today, a Postgres date), or a moment already moved to London.
func DatePartsOf(t time.Time) DateParts {
	return DateParts{Day: strconv.Itoa(t.Day()), Month: strconv.Itoa(int(t.Month())), Year: strconv.Itoa(t.Year())}
}
