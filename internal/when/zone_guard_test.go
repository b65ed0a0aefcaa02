package when_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/havenschools/haven/internal/sourcetree"
)

// zoneOrLayout matches a line that loads a time zone or writes a Go date
// layout (any string literal holding "2006"): the school's zone and the
// dates made from it come from this package only.
var zoneOrLayout = regexp.MustCompile("time\\.LoadLocation|\"[^\"\\n]*2006[^\"\\n]*\"|`[^`\\n]*2006[^`\\n]*`")

// url is a web address, whose "/2006/" (an XML namespace) is no layout.
var url = regexp.MustCompile(`https?://[^"\x60\s]*`)

// machineLayouts are the date layouts outside this package that are not
// for people, each with why: file → the text of the line that may match.
var machineLayouts = map[string]string{
	"internal/audit/hash.go":        `const timeLayout = "2006-01-02T15:04:05.000000Z"`,           // the hash chain's machine format
	"internal/audit/checkpoint.go":  `2006-01-02T15:04:05.000000Z`,                                // the signed checkpoint's machine format
	"internal/notify/mail.go":       `Format("20060102T150405.000000000Z")`,                       // a mail file's name in the outbox directory
	"internal/concern/dashboard.go": `index[m.Format("2006-01")] = i`,                             // the month key, matched with SQL's to_char 'YYYY-MM'
	"internal/pupil/roll.go":        `"2/1/2006", "2-1-2006", "2.1.2006", "2006-01-02", "2/1/06"`, // reading dates of birth in a roll's CSV
	"internal/records/xlsx.go":      `c.date.Format("02/01/2006")`,                                // a spreadsheet cell Excel cannot hold as a date
	"internal/records/write.go":     `cl.date.Format("02/01/2006")`,                               // a CSV cell, in the form spreadsheets read
	"internal/bench/report.go":      `Format("2 January 2006 at 15:04 UTC")`,                      // a developer's benchmark report, in UTC
	"web/page/dashboard.go":         `Format("Jan 2006")`,                                         // a chart's month labels, not a date
}

// zoneGuardFindings walks the module's non-test, non-generated .go and
// .templ files outside this package and returns "file:line: text" for each
// line zoneOrLayout matches that machineLayouts does not allow.
func zoneGuardFindings(t *testing.T, root string) (findings []string, checked int) {
	t.Helper()
	files, err := sourcetree.Files(root, "internal/when")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		for i, line := range strings.Split(f.Src, "\n") {
			code := strings.TrimSpace(line)
			if strings.HasPrefix(code, "//") || !zoneOrLayout.MatchString(url.ReplaceAllString(line, "")) {
				continue
			}
			if ok := machineLayouts[f.Rel]; ok != "" && strings.Contains(line, ok) {
				continue
			}
			findings = append(findings, f.Rel+":"+strconv.Itoa(i+1)+": "+code)
		}
	}
	return findings, len(files)
}

func TestNoZoneOrDateLayoutOutsideThisPackage(t *testing.T) {
	t.Parallel()
	findings, checked := zoneGuardFindings(t, filepath.Join("..", ".."))
	if checked < 100 {
		t.Fatalf("checked %d files: the walk did not find the source", checked)
	}
	for _, f := range findings {
		t.Errorf("%s\n\tloads a time zone or writes a date layout; use internal/when (London, Today, Date, Day, DateParts …)", f)
	}
}

// The guard can fail: a sample tree with a zone load and a layout is
// caught, by file and line, and an allowed machine layout is not.
func TestTheZoneGuardFindsASample(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	write := func(rel, text string) {
		t.Helper()
		path := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("internal/x/x.go", "package x\n\nvar loc, _ = time.LoadLocation(\"Europe/London\")\n\nfunc f(t time.Time) string { return t.Format(\"02/01/2006\") }\n")
	write("web/page/y.templ", "package page\n\ntempl Y(t time.Time) {\n\t<p>{ t.Format(`2 Jan 2006`) }</p>\n}\n")
	write("internal/x/x_test.go", "package x\n\nvar _ = \"2006-01-02\"\n")                              // tests may
	write("web/page/y_templ.go", "package page\n\nvar _ = \"2006-01-02\"\n")                            // generated code follows its .templ
	write("internal/when/when.go", "package when\n\nvar _, _ = time.LoadLocation(\"Europe/London\")\n") // the package itself
	write("internal/notify/mail.go", "package notify\n\nvar _ = time.Now().Format(\"20060102T150405.000000000Z\")\n")
	write("internal/x/xml.go", "package x\n\nconst ns = `<a xmlns=\"http://schemas.openxmlformats.org/package/2006/rels\">`\n")
	write("internal/x/doc.go", "package x\n\n// a comment may name \"2006\"\n")
	findings, _ := zoneGuardFindings(t, root)
	want := []string{
		`internal/x/x.go:3: var loc, _ = time.LoadLocation("Europe/London")`,
		`internal/x/x.go:5: func f(t time.Time) string { return t.Format("02/01/2006") }`,
		"web/page/y.templ:4: <p>{ t.Format(`2 Jan 2006`) }</p>",
	}
	if strings.Join(findings, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(findings, "\n"), strings.Join(want, "\n"))
	}
}
