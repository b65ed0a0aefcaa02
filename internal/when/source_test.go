package when_test

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/havenschools/haven/internal/sourcetree"
)

// humanLayout matches a Go time layout written for people: a 24-hour or
// 12-hour clock, or a date in words. People's dates and times are made by
// this package only, so they read the same everywhere.
var humanLayout = regexp.MustCompile(`15:04|3:04|"3PM|PM"|"2 January|"2 Jan|January 2006|Jan 2006|Monday 2`)

// allowed are the layouts outside this package that are not for people,
// each with why: file → the text of the line that may match.
var allowed = map[string]string{
	"internal/school/settings.go":  `hm := t.Format("15:04")`,               // compared with the settings' "08:30", not shown
	"internal/audit/checkpoint.go": `2006-01-02T15:04:05.000000Z`,           // the signed checkpoint's machine format
	"internal/audit/hash.go":       `"2006-01-02T15:04:05.000000Z"`,         // the hash chain's machine format
	"internal/bench/report.go":     `Format("2 January 2006 at 15:04 UTC")`, // a developer's benchmark report, in UTC
	"web/page/dashboard.go":        `Format("Jan 2006")`,                    // a chart's month labels, not a date
}

func TestNoTimeLayoutsForPeopleOutsideThisPackage(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..")
	files, err := sourcetree.Files(root, "internal/when")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		for i, line := range strings.Split(f.Src, "\n") {
			if !humanLayout.MatchString(line) {
				continue
			}
			if ok := allowed[f.Rel]; ok != "" && strings.Contains(line, ok) {
				continue
			}
			t.Errorf("%s:%d makes a date or time for people with its own layout; use internal/when (or web/page's londonDate, londonDateTime …): %s",
				f.Rel, i+1, strings.TrimSpace(line))
		}
	}
	checked := len(files)
	if checked < 100 {
		t.Fatalf("checked %d files: the walk did not find the source", checked)
	}
}

func TestTheLayoutCheckFindsA24HourClock(t *testing.T) {
	t.Parallel()
	for _, line := range []string{
		`{ t.In(when.London()).Format("2 January 2006 at 15:04") }`,
		`strings.ToLower(saved.Format("3:04PM"))`,
		`created.Format("15:04 on Monday 2 January")`,
	} {
		if !humanLayout.MatchString(line) {
			t.Errorf("not caught: %s", line)
		}
	}
}
