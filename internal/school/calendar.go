package school

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/when"
)

// Calendar is when a school is open: its school days of the week and, when
// it has any, its terms, never on a bank holiday. Working days — for
// chasing a referral "after one working day" — are the days it is open.
type Calendar struct {
	Days  []int  // ISO weekdays, 1 = Monday
	Terms []Term // by start date; none: every school day counts
}

// Calendar returns the settings' calendar.
func (s Settings) Calendar() Calendar { return Calendar{Days: s.SchoolDays, Terms: s.Terms} }

// WorkingDay reports whether the school is open on the date of d (in
// London): one of its school days and not a bank holiday (BankHoliday),
// within a term when it has terms.
func (c Calendar) WorkingDay(d time.Time) bool {
	d = d.In(when.London())
	wd := int(d.Weekday())
	if wd == 0 {
		wd = 7
	}
	if !slices.Contains(c.Days, wd) {
		return false
	}
	if _, holiday := BankHoliday(d); holiday {
		return false
	}
	if len(c.Terms) == 0 {
		return true
	}
	day := d.Format(time.DateOnly)
	for _, t := range c.Terms {
		if day >= t.StartsOn.Format(time.DateOnly) && day <= t.EndsOn.Format(time.DateOnly) {
			return true
		}
	}
	return false
}

// AddWorkingDays returns the date (midnight UTC, like a Postgres date) n
// working days after the date of d in London; n ≤ 0 is the date of d. A
// calendar with no school days, or no working day in the next two years,
// counts every day, so a chase is never lost.
func (c Calendar) AddWorkingDays(d time.Time, n int) time.Time {
	l := d.In(when.London())
	day := time.Date(l.Year(), l.Month(), l.Day(), 12, 0, 0, 0, when.London()) // noon: never skipped by a clock change
	start := day
	open := c.WorkingDay
	if len(c.Days) == 0 {
		open = func(time.Time) bool { return true }
	}
	for i, found := 0, 0; found < n; i++ {
		if i > 730 { // no working day in two years: count every day
			day = start.AddDate(0, 0, n)
			break
		}
		day = day.AddDate(0, 0, 1)
		if open(day) {
			found++
		}
	}
	return time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
}

// TermCover is how far a school's term dates reach, for the prompts that
// ask an admin to set them: the transfer clock and the LADO's
// next-working-day prompt count school days by them.
type TermCover struct {
	Missing bool      // no term dates at all: every school day counts as in term
	EndedOn time.Time // when every term ended before today, the last day of the last; else zero
}

// Current reports whether the term dates reach today.
func (c TermCover) Current() bool { return !c.Missing && c.EndedOn.IsZero() }

// TermCover says whether the calendar's terms reach the date of now (in London).
func (c Calendar) TermCover(now time.Time) TermCover {
	if len(c.Terms) == 0 {
		return TermCover{Missing: true}
	}
	last := c.Terms[0].EndsOn
	for _, t := range c.Terms[1:] {
		if t.EndsOn.After(last) {
			last = t.EndsOn
		}
	}
	if last.Format(time.DateOnly) < now.In(when.London()).Format(time.DateOnly) {
		return TermCover{EndedOn: last}
	}
	return TermCover{}
}

// Calendar returns the calendar of by's school, for any member.
func (s *Service) Calendar(ctx context.Context, by actor.Actor) (Calendar, error) {
	var c Calendar
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var err error
		c, err = CalendarOf(ctx, tx, by.SchoolID)
		return err
	})
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		return Calendar{}, fmt.Errorf("school calendar: %w", err)
	}
	return c, err
}

// CalendarOf reads a school's calendar in q's transaction, or db.ErrNotFound.
func CalendarOf(ctx context.Context, q db.Querier, schoolID int64) (Calendar, error) {
	var c Calendar
	err := q.QueryRow(ctx, `SELECT school_days::int[] FROM school_settings WHERE school_id = $1`, schoolID).Scan(&c.Days)
	if errors.Is(err, pgx.ErrNoRows) {
		return Calendar{}, db.ErrNotFound
	}
	if err != nil {
		return Calendar{}, err
	}
	rows, _ := q.Query(ctx, `SELECT id, name, starts_on, ends_on FROM school_terms
		WHERE school_id = $1 ORDER BY starts_on, id`, schoolID)
	if c.Terms, err = pgx.CollectRows(rows, pgx.RowToStructByName[Term]); err != nil {
		return Calendar{}, err
	}
	return c, nil
}
