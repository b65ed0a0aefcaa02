package school

import (
	"time"

	"github.com/havenschools/haven/internal/when"
)

// BankHoliday reports whether the date of d (in London) is a bank holiday
// in England and Wales, and its name. Haven never counts one as a working
// day, whatever the term dates say: the transfer clock and the chase of a
// referral skip them. The regular ones are computed (Easter by the
// Gregorian computus; a holiday on a weekend moves to the next weekday, as
// the substitute days do); the one-off changes since 2000 are listed in
// bankHolidayChanges. A one-off announced later, until it is listed, is
// counted as a working day: a school's term dates can leave it out.
// Scotland and Northern Ireland have other holidays (docs/guide-admin.md).
func BankHoliday(d time.Time) (string, bool) {
	l := d.In(when.London())
	day := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.UTC)
	for _, h := range BankHolidays(l.Year()) {
		if h.On.Equal(day) {
			return h.Name, true
		}
	}
	return "", false
}

// Holiday is a bank holiday: its name and date (midnight UTC, like a
// Postgres date).
type Holiday struct {
	Name string
	On   time.Time
}

// BankHolidays returns the bank holidays of England and Wales in year, by date.
func BankHolidays(year int) []Holiday {
	date := func(m time.Month, d int) time.Time { return time.Date(year, m, d, 0, 0, 0, 0, time.UTC) }
	easter := easterSunday(year)
	hs := []Holiday{
		{"New Year’s Day", weekdayOnOrAfter(date(time.January, 1))},
		{"Good Friday", easter.AddDate(0, 0, -2)},
		{"Easter Monday", easter.AddDate(0, 0, 1)},
		{"Early May bank holiday", firstMonday(date(time.May, 1))},
		{"Spring bank holiday", lastMonday(date(time.May, 31))},
		{"Summer bank holiday", lastMonday(date(time.August, 31))},
	}
	christmas, boxing := date(time.December, 25), date(time.December, 26)
	switch christmas.Weekday() {
	case time.Saturday: // Monday and Tuesday instead
		christmas, boxing = christmas.AddDate(0, 0, 2), boxing.AddDate(0, 0, 2)
	case time.Sunday: // Boxing Day on Monday, Christmas Day on Tuesday
		christmas = christmas.AddDate(0, 0, 2)
	case time.Friday: // Boxing Day on Saturday: Monday instead
		boxing = boxing.AddDate(0, 0, 2)
	}
	hs = append(hs, Holiday{"Christmas Day", christmas}, Holiday{"Boxing Day", boxing})
	for _, c := range bankHolidayChanges {
		if c.year != year {
			continue
		}
		for i := range hs {
			if hs[i].Name == c.moved {
				hs[i].On = date(c.month, c.day)
			}
		}
		if c.moved == "" {
			hs = append(hs, Holiday{c.name, date(c.month, c.day)})
		}
	}
	for i := 1; i < len(hs); i++ { // a handful: insertion sort by date
		for j := i; j > 0 && hs[j].On.Before(hs[j-1].On); j-- {
			hs[j], hs[j-1] = hs[j-1], hs[j]
		}
	}
	return hs
}

// bankHolidayChanges are the one-off changes to England and Wales's bank
// holidays since 2000, by royal proclamation: a regular holiday moved
// (moved names it) or an extra one (moved is "").
var bankHolidayChanges = []struct {
	year        int
	moved, name string
	month       time.Month
	day         int
}{
	{2002, "Spring bank holiday", "", time.June, 4},
	{2002, "", "Golden Jubilee bank holiday", time.June, 3},
	{2011, "", "Royal wedding bank holiday", time.April, 29},
	{2012, "Spring bank holiday", "", time.June, 4},
	{2012, "", "Diamond Jubilee bank holiday", time.June, 5},
	{2020, "Early May bank holiday", "", time.May, 8},
	{2022, "Spring bank holiday", "", time.June, 2},
	{2022, "", "Platinum Jubilee bank holiday", time.June, 3},
	{2022, "", "Bank holiday for the State Funeral of Queen Elizabeth II", time.September, 19},
	{2023, "", "Bank holiday for the coronation of King Charles III", time.May, 8},
}

// easterSunday is Easter Day in the Gregorian calendar (the anonymous
// Gregorian algorithm, also known as Meeus/Jones/Butcher).
func easterSunday(year int) time.Time {
	a := year % 19
	b, c := year/100, year%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
}

func weekdayOnOrAfter(d time.Time) time.Time {
	for d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
		d = d.AddDate(0, 0, 1)
	}
	return d
}

func firstMonday(d time.Time) time.Time {
	for d.Weekday() != time.Monday {
		d = d.AddDate(0, 0, 1)
	}
	return d
}

func lastMonday(d time.Time) time.Time {
	for d.Weekday() != time.Monday {
		d = d.AddDate(0, 0, -1)
	}
	return d
}
