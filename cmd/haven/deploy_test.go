package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// deployLink matches a link from docs/deployment.md to a file of deploy/.
var deployLink = regexp.MustCompile(`\]\(\.\./(deploy/[^)]+)\)`)

// TestDeploymentDocPointsAtTheShippedUnits fails when docs/deployment.md
// leaves out a file of deploy/systemd (the ones the package installs), links
// to one that is not there, or copies a unit's text instead of linking to
// it (a copy drifts from what is shipped).
func TestDeploymentDocPointsAtTheShippedUnits(t *testing.T) {
	doc, err := os.ReadFile("../../docs/deployment.md")
	if err != nil {
		t.Fatal(err)
	}
	linked := map[string]bool{}
	for _, m := range deployLink.FindAllStringSubmatch(string(doc), -1) {
		linked[strings.TrimSuffix(m[1], "/")] = true
		if _, err := os.Stat(filepath.Join("../..", m[1])); err != nil {
			t.Errorf("docs/deployment.md links to %s: %v", m[1], err)
		}
	}
	var units []string
	err = filepath.WalkDir("../../deploy/systemd", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel("../..", path)
		units = append(units, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(units) < 7 {
		t.Fatalf("deploy/systemd holds %d files, want the 6 units and the hardening drop-in", len(units))
	}
	for _, u := range units {
		if !linked[u] {
			t.Errorf("docs/deployment.md does not link to %s", u)
		}
		text, err := os.ReadFile(filepath.Join("../..", u))
		if err != nil {
			t.Fatal(err)
		}
		for line := range strings.Lines(string(text)) {
			line = strings.TrimSpace(line)
			if strings.HasPrefix(line, "ExecStart=") && strings.Contains(string(doc), line) {
				t.Errorf("docs/deployment.md copies %s's %q: link to the file instead", u, line)
			}
		}
	}
}

// The package installs exactly the files of deploy/systemd, so nothing
// shipped is left out of deploy/nfpm.yaml.
func TestPackageShipsEveryUnit(t *testing.T) {
	cfg, err := os.ReadFile("../../deploy/nfpm.yaml")
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir("../../deploy/systemd", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel("../../deploy/systemd", path)
		rel = filepath.ToSlash(rel)
		if !strings.Contains(string(cfg), "src: deploy/systemd/"+rel+"\n    dst: /lib/systemd/system/"+rel+"\n") {
			t.Errorf("deploy/nfpm.yaml does not install deploy/systemd/%s as /lib/systemd/system/%s", rel, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
