package when_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/havenschools/haven/internal/when"
)

func TestDatePartsDate(t *testing.T) {
	t.Parallel()
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		name  string
		parts when.DateParts
		want  time.Time
		ok    bool
	}{
		{"a real date", when.DateParts{Day: "27", Month: "3", Year: "2026"}, day(2026, 3, 27), true},
		{"spaces and leading zeros", when.DateParts{Day: " 07 ", Month: "03", Year: " 2026"}, day(2026, 3, 7), true},
		{"29 February in a leap year", when.DateParts{Day: "29", Month: "2", Year: "2028"}, day(2028, 2, 29), true},
		{"31 February", when.DateParts{Day: "31", Month: "2", Year: "2026"}, time.Time{}, false},
		{"29 February in a common year", when.DateParts{Day: "29", Month: "2", Year: "2027"}, time.Time{}, false},
		{"31 April", when.DateParts{Day: "31", Month: "4", Year: "2026"}, time.Time{}, false},
		{"month 13", when.DateParts{Day: "1", Month: "13", Year: "2026"}, time.Time{}, false},
		{"day 0", when.DateParts{Day: "0", Month: "1", Year: "2026"}, time.Time{}, false},
		{"a two-digit year", when.DateParts{Day: "1", Month: "1", Year: "26"}, time.Time{}, false},
		{"a five-digit year", when.DateParts{Day: "1", Month: "1", Year: "20260"}, time.Time{}, false},
		{"a month in words", when.DateParts{Day: "1", Month: "March", Year: "2026"}, time.Time{}, false},
		{"no day", when.DateParts{Month: "3", Year: "2026"}, time.Time{}, false},
		{"no month", when.DateParts{Day: "1", Year: "2026"}, time.Time{}, false},
		{"no year", when.DateParts{Day: "1", Month: "3"}, time.Time{}, false},
		{"nothing", when.DateParts{}, time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.parts.Date()
			if ok != tt.ok || !got.Equal(tt.want) {
				t.Errorf("%+v.Date() = %v, %v; want %v, %v", tt.parts, got, ok, tt.want, tt.ok)
			}
			if ok && got.Location() != time.UTC {
				t.Errorf("a typed date is midnight UTC, like a Postgres date; got %v", got.Location())
			}
		})
	}
}

func TestDatePartsEmpty(t *testing.T) {
	t.Parallel()
	for parts, want := range map[when.DateParts]bool{
		{}:                                   true,
		{Day: " ", Month: "\t"}:              true,
		{Year: "2026"}:                       false,
		{Day: "1", Month: "1", Year: "2026"}: false,
	} {
		if got := parts.Empty(); got != want {
			t.Errorf("%+v.Empty() = %v, want %v", parts, got, want)
		}
	}
}

// A date the forms forbid for being in the future is one after Today: the
// forms compare a typed date with Today, so both must be midnight UTC of
// London's date.
func TestATypedDateComparesWithToday(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 6, 30, 23, 30, 0, 0, time.UTC) // 12:30am on 1 July in London
	today := when.Today(now)
	tomorrow, _ := when.DateParts{Day: "2", Month: "7", Year: "2026"}.Date()
	first, _ := when.DateParts{Day: "1", Month: "7", Year: "2026"}.Date()
	if !first.Equal(today) {
		t.Errorf("1 July typed = %v, today = %v: not the same day", first, today)
	}
	if !tomorrow.After(today) {
		t.Errorf("2 July typed is not after today (%v)", today)
	}
}

func TestDatePartsOfRoundTrips(t *testing.T) {
	t.Parallel()
	d := time.Date(2026, 3, 7, 0, 0, 0, 0, time.UTC)
	parts := when.DatePartsOf(d)
	if want := (when.DateParts{Day: "7", Month: "3", Year: "2026"}); parts != want {
		t.Fatalf("DatePartsOf = %+v, want %+v", parts, want)
	}
	if got, ok := parts.Date(); !ok || !got.Equal(d) {
		t.Errorf("round trip = %v, %v", got, ok)
	}
}

// A saved draft holds its dates as {"day","month","year"}; the names must
// not change, or drafts saved before would lose their dates.
func TestDatePartsJSON(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(when.DateParts{Day: "1", Month: "2", Year: "2026"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"day":"1","month":"2","year":"2026"}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestTodayAcrossTheClockChanges(t *testing.T) {
	t.Parallel()
	utc := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, time.UTC) }
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		name string
		now  time.Time
		want time.Time
	}{
		{"winter: London is UTC", utc(2026, 12, 7, 23, 59), day(2026, 12, 7)},
		{"summer: 11:30pm UTC is the next day in London", utc(2026, 6, 30, 23, 30), day(2026, 7, 1)},
		{"summer: 10:59pm UTC is still the day", utc(2026, 6, 30, 22, 59), day(2026, 6, 30)},
		{"the night BST starts (29 March 2026, 1am UTC)", utc(2026, 3, 28, 23, 30), day(2026, 3, 28)},
		{"the first hour of BST", utc(2026, 3, 29, 23, 30), day(2026, 3, 30)},
		{"the last hour of BST (25 October 2026)", utc(2026, 10, 24, 23, 30), day(2026, 10, 25)},
		{"GMT again", utc(2026, 10, 25, 23, 30), day(2026, 10, 25)},
		{"a moment in another zone", time.Date(2026, 7, 1, 9, 0, 0, 0, time.FixedZone("EST", -5*3600)), day(2026, 7, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := when.Today(tt.now); !got.Equal(tt.want) || got.Location() != time.UTC {
				t.Errorf("Today(%v) = %v, want %v (UTC)", tt.now, got, tt.want)
			}
		})
	}
}

func TestLondonIsEuropeLondon(t *testing.T) {
	t.Parallel()
	if got := when.London().String(); got != "Europe/London" {
		t.Errorf("London() = %q", got)
	}
	winter := time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC).In(when.London())
	summer := time.Date(2026, 7, 15, 12, 0, 0, 0, time.UTC).In(when.London())
	if _, off := winter.Zone(); off != 0 {
		t.Errorf("winter offset %d, want 0 (GMT)", off)
	}
	if _, off := summer.Zone(); off != 3600 {
		t.Errorf("summer offset %d, want 3600 (BST)", off)
	}
}
