package allegation_test

import (
	"testing"
	"time"

	"github.com/havenschools/haven/internal/allegation"
	"github.com/havenschools/haven/internal/school"
	"github.com/havenschools/haven/internal/when"
)

func london(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, when.London())
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestLADOPrompt(t *testing.T) {
	weekdays := school.Calendar{Days: []int{1, 2, 3, 4, 5}}
	// Term ends on Friday 17 July 2026; the next term starts on Tuesday 1 September.
	terms := school.Calendar{Days: []int{1, 2, 3, 4, 5}, Terms: []school.Term{
		{StartsOn: day(2026, 4, 13), EndsOn: day(2026, 7, 17)},
		{StartsOn: day(2026, 9, 1), EndsOn: day(2026, 12, 18)},
	}}
	monday := london(2026, 3, 2, 10, 0)
	friday := london(2026, 3, 6, 15, 0)
	for _, tc := range []struct {
		name     string
		kind     allegation.Kind
		open     bool
		lado     bool
		reported time.Time
		cal      school.Calendar
		now      time.Time
		due      time.Time
		prompt   bool
	}{
		{"same day: not yet", allegation.HarmThreshold, true, false, monday, weekdays, monday.Add(5 * time.Hour), day(2026, 3, 3), false},
		{"the next working day: prompted", allegation.HarmThreshold, true, false, monday, weekdays, london(2026, 3, 3, 8, 0), day(2026, 3, 3), true},
		{"a week later: still prompted", allegation.NotSure, true, false, monday, weekdays, london(2026, 3, 9, 8, 0), day(2026, 3, 3), true},
		{"reported on a Friday: not over the weekend", allegation.HarmThreshold, true, false, friday, weekdays, london(2026, 3, 8, 20, 0), day(2026, 3, 9), false},
		{"reported on a Friday: prompted on Monday", allegation.HarmThreshold, true, false, friday, weekdays, london(2026, 3, 9, 7, 0), day(2026, 3, 9), true},
		{"end of term: the next working day is in the next term", allegation.HarmThreshold, true, false, london(2026, 7, 17, 14, 0), terms, london(2026, 8, 20, 9, 0), day(2026, 9, 1), false},
		{"the first day of the next term", allegation.HarmThreshold, true, false, london(2026, 7, 17, 14, 0), terms, london(2026, 9, 1, 9, 0), day(2026, 9, 1), true},
		{"consulted: no prompt", allegation.HarmThreshold, true, true, monday, weekdays, london(2026, 3, 10, 8, 0), day(2026, 3, 3), false},
		{"closed: no prompt", allegation.HarmThreshold, false, false, monday, weekdays, london(2026, 3, 10, 8, 0), day(2026, 3, 3), false},
		{"a low-level concern: no prompt", allegation.LowLevel, true, false, monday, weekdays, london(2026, 3, 10, 8, 0), day(2026, 3, 3), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			due, prompt := allegation.LADOPrompt(tc.kind, tc.open, tc.lado, tc.reported, tc.cal, tc.now)
			if !due.Equal(tc.due) || prompt != tc.prompt {
				t.Errorf("got due %s, prompt %v; want %s, %v", due.Format(time.DateOnly), prompt, tc.due.Format(time.DateOnly), tc.prompt)
			}
		})
	}
}

func TestRetainUntil(t *testing.T) {
	reported := london(2026, 3, 2, 10, 0)
	young, old := day(1995, 6, 30), day(1965, 1, 15)
	rule := allegation.DefaultRetention
	for _, tc := range []struct {
		name               string
		outcome            allegation.Outcome
		dob                *time.Time
		until              time.Time
		remove, dobMissing bool
	}{
		{"substantiated, young: their pension age", allegation.Substantiated, &young, day(2062, 6, 30), false, false},
		{"substantiated, near retirement: ten years", allegation.Substantiated, &old, day(2036, 3, 2), false, false},
		{"unsubstantiated: the same rule", allegation.Unsubstantiated, &young, day(2062, 6, 30), false, false},
		{"unfounded: the same rule", allegation.Unfounded, &old, day(2036, 3, 2), false, false},
		{"no date of birth: ten years, checked at review", allegation.Substantiated, nil, day(2036, 3, 2), false, true},
		{"false: removed", allegation.False, &young, time.Time{}, true, false},
		{"malicious: removed", allegation.Malicious, nil, time.Time{}, true, false},
		{"a low-level concern: reviewed when they leave", allegation.LowLevelClosed, &young, time.Time{}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			until, remove, missing := allegation.RetainUntil(tc.outcome, reported, tc.dob, rule)
			if !until.Equal(tc.until) || remove != tc.remove || missing != tc.dobMissing {
				t.Errorf("got %s, remove %v, dob missing %v; want %s, %v, %v", until.Format(time.DateOnly), remove, missing,
					tc.until.Format(time.DateOnly), tc.remove, tc.dobMissing)
			}
		})
	}
	t.Run("a school's own rule", func(t *testing.T) {
		until, _, _ := allegation.RetainUntil(allegation.Substantiated, reported, &old, allegation.RetentionRule{RetirementAge: 75, MinimumYears: 12})
		if want := day(2040, 1, 15); !until.Equal(want) {
			t.Errorf("got %s, want %s", until.Format(time.DateOnly), want.Format(time.DateOnly))
		}
	})
}

func TestLowLevelFlag(t *testing.T) {
	now := london(2026, 6, 1, 12, 0)
	ago := func(days int) time.Time { return now.AddDate(0, 0, -days) }
	rule := allegation.FlagRule{Count: 3, Days: 365}
	for _, tc := range []struct {
		name             string
		dates            []time.Time
		review           time.Time
		raised, reviewed bool
		inWindow         int
	}{
		{"none", nil, time.Time{}, false, false, 0},
		{"two: not yet", []time.Time{ago(10), ago(100)}, time.Time{}, false, false, 2},
		{"three in a year: raised", []time.Time{ago(10), ago(100), ago(300)}, time.Time{}, true, false, 3},
		{"three, one outside the window", []time.Time{ago(10), ago(100), ago(400)}, time.Time{}, false, false, 2},
		{"reviewed after the latest: settled", []time.Time{ago(10), ago(100), ago(300)}, ago(5), false, true, 3},
		{"a new one after the review: raised again", []time.Time{ago(1), ago(10), ago(100), ago(300)}, ago(5), true, false, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := allegation.LowLevelFlag(tc.dates, tc.review, rule, now)
			if f.Raised != tc.raised || f.Reviewed != tc.reviewed || f.InWindow != tc.inWindow {
				t.Errorf("got %+v; want raised %v, reviewed %v, in window %d", f, tc.raised, tc.reviewed, tc.inWindow)
			}
			if (tc.raised || tc.reviewed) && f.Reason == "" {
				t.Error("a flag without its reason in words")
			}
		})
	}
}

func TestSubjectKey(t *testing.T) {
	if a, b := allegation.SubjectKey(0, "  Jo   SMITH "), allegation.SubjectKey(0, "jo smith"); a != b || a != "n:jo smith" {
		t.Errorf("names: %q and %q", a, b)
	}
	if k := allegation.SubjectKey(42, "Jo Smith"); k != "u:42" {
		t.Errorf("account: %q", k)
	}
}
