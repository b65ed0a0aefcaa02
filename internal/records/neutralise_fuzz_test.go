package records_test

import (
	"strings"
	"testing"

	"github.com/havenschools/haven/internal/records"
)

// FuzzNeutralise checks the CSV/XLSX formula neutraliser on arbitrary cell
// text: the result never starts with a character a spreadsheet would run
// (=, +, -, @, tab, carriage return), it is the text itself or the text
// behind one apostrophe, and neutralising twice changes nothing more. The
// seed corpus is in testdata/fuzz/FuzzNeutralise; `make fuzz` runs it.
func FuzzNeutralise(f *testing.F) {
	for _, s := range []string{"=1+1", `=HYPERLINK("http://evil.test","x")`, "+44", "-1", "@SUM(A1)", "\t=1", "\r=1", "Okafor", "", "'=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := records.Neutralise(s)
		if out != "" && strings.ContainsRune("=+-@\t\r", rune(out[0])) {
			t.Fatalf("Neutralise(%q) = %q starts with a formula character", s, out)
		}
		if out != s && out != "'"+s {
			t.Fatalf("Neutralise(%q) = %q: changed more than a leading apostrophe", s, out)
		}
		if again := records.Neutralise(out); again != out {
			t.Fatalf("Neutralise twice: %q then %q", out, again)
		}
	})
}
