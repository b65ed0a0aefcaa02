package concern

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/when"
)

// FuzzFormCheck gives the concern form's checks arbitrary text and dates:
// they must never panic, and what they pass must be storable and shown as
// typed — valid UTF-8, no NUL or other control characters, within the
// limits — with real dates that are not in the future. The seed corpus
// (script, SQL, NUL, right-to-left override, 100 KB text, 31 February, a
// future date) is in testdata/fuzz/FuzzFormCheck; `make fuzz` runs it.
func FuzzFormCheck(f *testing.F) {
	f.Add("She said he buys her things.", "", "Year 9 corridor", "1", "11", "2026")
	f.Add("<script>alert(1)</script>", "'; DROP TABLE concerns; --", "\u202Eroodrehto", "31", "2", "2026")
	f.Add("nul \x00 byte", "\xff\xfe", "x", "28", "11", "2026")
	f.Add(strings.Repeat("A", 100<<10), "", "", "27", "11", "2026")
	f.Fuzz(func(t *testing.T, account, words, location, day, month, year string) {
		now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
		form := Form{InDanger: "no", Children: []FormChild{{ChildID: 1, Role: Subject}},
			Account: account, ChildsWords: words, Location: location,
			Happened: when.DateParts{Day: day, Month: month, Year: year}, Seen: when.DatePartsOf(now),
			ToldDSL: "not_yet", Categories: []string{"cse"}}
		by := actor.Actor{UserID: 1, SchoolID: 1, Role: actor.Staff}
		c, p := form.check(by, now, map[string]bool{"cse": true})
		if len(p) > 0 {
			for field, msg := range p {
				if msg == "" || !utf8.ValidString(msg) {
					t.Fatalf("problem on %s without a clear message: %q", field, msg)
				}
			}
			return
		}
		for what, s := range map[string]string{"account": c.Account, "child's words": c.ChildsWords, "location": c.Location} {
			if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
				t.Fatalf("%s passed with characters that cannot be stored: %q", what, s)
			}
		}
		if n := utf8.RuneCountInString(c.Account); n > MaxAccountChars || strings.TrimSpace(c.Account) == "" {
			t.Fatalf("an account of %d characters passed", n)
		}
		if c.happenedOn.IsZero() || c.happenedOn.After(when.Today(now)) {
			t.Fatalf("the date %q/%q/%q passed as %v", day, month, year, c.happenedOn)
		}
	})
}
