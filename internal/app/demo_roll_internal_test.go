package app

import (
	"testing"
	"time"
)

func TestDemoRoll(t *testing.T) {
	for _, now := range []time.Time{
		time.Date(2026, time.November, 27, 12, 0, 0, 0, time.UTC),
		time.Date(2027, time.July, 20, 12, 0, 0, 0, time.UTC),
	} {
		roll := demoRoll(now)
		if len(roll) != 40 {
			t.Fatalf("roll has %d pupils, want 40", len(roll))
		}
		start := now.Year()
		if now.Month() < time.September {
			start--
		}
		upns := map[string]bool{}
		perYear := map[int]int{}
		for _, c := range roll {
			y := int(*c.YearGroup)
			perYear[y]++
			// Year 7 are 11 on 1 September of the school year, and so on.
			first := time.Date(start-y-5, time.September, 1, 0, 0, 0, 0, time.UTC)
			last := time.Date(start-y-4, time.August, 31, 0, 0, 0, 0, time.UTC)
			if c.DateOfBirth.Before(first) || c.DateOfBirth.After(last) {
				t.Errorf("%s %s in Year %d born %s, outside %s to %s", c.FirstName, c.LastName, y,
					c.DateOfBirth.Format(time.DateOnly), first.Format(time.DateOnly), last.Format(time.DateOnly))
			}
			if upns[c.UPN] || len(c.UPN) != 13 {
				t.Errorf("UPN %q repeated or malformed", c.UPN)
			}
			upns[c.UPN] = true
		}
		for y := 7; y <= 11; y++ {
			if perYear[y] != 8 {
				t.Errorf("Year %d has %d pupils, want 8", y, perYear[y])
			}
		}
	}
}
