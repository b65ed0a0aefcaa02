package main

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// haven runs the command line in-process as the binary would, returning its
// exit code and what it wrote.
func haven(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	getenv := func(string) string { return "" }
	code = run(context.Background(), args, getenv, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestHelpExitsZero(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}, {"help", "serve"}, {"help", "audit"}, {"serve", "-h"}} {
		code, out, errOut := haven(t, args...)
		if code != 0 {
			t.Errorf("haven %s: exit %d, want 0; stderr %q", strings.Join(args, " "), code, errOut)
		}
		if !strings.Contains(out, "Usage: haven") {
			t.Errorf("haven %s printed no usage: %q", strings.Join(args, " "), out)
		}
	}
}

func TestUnknownCommandExitsNonZero(t *testing.T) {
	for _, args := range [][]string{{"frobnicate"}, {"help", "frobnicate"}} {
		code, _, errOut := haven(t, args...)
		if code == 0 {
			t.Errorf("haven %s: exit 0, want non-zero", strings.Join(args, " "))
		}
		if !strings.Contains(errOut, "unknown command") {
			t.Errorf("haven %s: stderr %q, want it to name the unknown command", strings.Join(args, " "), errOut)
		}
	}
}

func TestDashDashVersionIsVersion(t *testing.T) {
	code, want, _ := haven(t, "version")
	if code != 0 || !strings.HasPrefix(want, "haven ") {
		t.Fatalf("haven version: exit %d, %q", code, want)
	}
	for _, flag := range []string{"--version", "-version"} {
		code, got, errOut := haven(t, flag)
		if code != 0 || got != want {
			t.Errorf("haven %s: exit %d, %q (stderr %q); want exit 0, %q", flag, code, got, errOut, want)
		}
	}
}

// helpCommands returns the command table of haven help: each row's name and
// the column its description starts at.
func helpCommands(t *testing.T) (names []string, columns []int) {
	t.Helper()
	code, out, _ := haven(t, "help")
	if code != 0 {
		t.Fatalf("haven help: exit %d", code)
	}
	_, table, ok := strings.Cut(out, "Commands:\n")
	if !ok {
		t.Fatalf("haven help has no Commands: table:\n%s", out)
	}
	table, _, _ = strings.Cut(table, "\n\n")
	for line := range strings.Lines(table) {
		line = strings.TrimRight(line, "\n")
		name := strings.Fields(line)[0]
		rest := line[strings.Index(line, name)+len(name):]
		names = append(names, name)
		columns = append(columns, len(line)-len(strings.TrimLeft(rest, " ")))
	}
	if len(names) < 5 {
		t.Fatalf("haven help lists %d commands, want the whole table:\n%s", len(names), out)
	}
	return names, columns
}

func TestHelpTableColumnsLineUp(t *testing.T) {
	names, columns := helpCommands(t)
	for i := range names {
		if columns[i] != columns[0] {
			t.Errorf("%s's description starts at column %d, %s's at %d", names[i], columns[i], names[0], columns[0])
		}
	}
}

// TestReadmeListsEveryCommand fails when haven help lists a command that
// README.md's "The haven command" section does not name.
func TestReadmeListsEveryCommand(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "## The haven command")
	if !ok {
		t.Fatal(`README.md has no "## The haven command" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	names, _ := helpCommands(t)
	for _, name := range names {
		if !strings.Contains(section, "`haven "+name) {
			t.Errorf("haven help lists %s, but README.md's command list does not name `haven %s`", name, name)
		}
	}
}

// metricName matches the name of a metric registered in Haven's code: a
// prometheus.NewDesc or a collector's Opts Name.
var metricName = regexp.MustCompile(`(?:NewDesc\(|Name:\s*)"(haven_[a-z0-9_]+)"`)

// TestOperationsDocListsEveryMetric fails when a metric Haven registers for
// /metrics is not in docs/operations.md's table.
func TestOperationsDocListsEveryMetric(t *testing.T) {
	doc, err := os.ReadFile("../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	var found int
	err = filepath.WalkDir("../../internal", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range metricName.FindAllStringSubmatch(string(src), -1) {
			found++
			if !strings.Contains(string(doc), "`"+m[1]+"`") && !strings.Contains(string(doc), "`"+m[1]+"{") {
				t.Errorf("%s registers the metric %s, which docs/operations.md does not list", path, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found < 10 {
		t.Fatalf("found %d registered metrics in internal/, want every one (has the registration code changed shape?)", found)
	}
}

// ciStep matches a step's name in .ci/run: `step "name (detail)"` or
// `step "name $VERSION"`.
var ciStep = regexp.MustCompile(`(?m)^step "([^"($]+)`)

// TestDevelopmentDocNamesTheCISteps fails when docs/development.md's CI
// section does not name each step .ci/run runs, or points to a file that is
// not in the repository.
func TestDevelopmentDocNamesTheCISteps(t *testing.T) {
	run, err := os.ReadFile("../../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../../docs/development.md")
	if err != nil {
		t.Fatal(err)
	}
	_, ci, ok := strings.Cut(string(doc), "## CI")
	if !ok {
		t.Fatal(`docs/development.md has no "## CI" section`)
	}
	ci, _, _ = strings.Cut(ci, "\n## ")
	steps := ciStep.FindAllStringSubmatch(string(run), -1)
	if len(steps) < 5 {
		t.Fatalf(".ci/run has %d steps, want every one", len(steps))
	}
	for _, s := range steps {
		name := strings.TrimSpace(s[1])
		if !strings.Contains(ci, "**"+name+"**") {
			t.Errorf(".ci/run's step %q is not named in docs/development.md's CI section", name)
		}
	}
	if strings.Contains(string(doc), "STYLE.md") {
		t.Error("docs/development.md points to STYLE.md, which is not in the repository")
	}
}
