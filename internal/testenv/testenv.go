// Package testenv answers the questions test helpers share about the machine
// the tests run on: where the repository is, and whether a missing tool
// (Chromium, mailpit, node packages) skips a test or fails it. In CI
// (CI=true) nothing is ever skipped: a missing tool fails the run.
package testenv

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// CI reports whether the tests run in CI, where a missing tool is a failure.
func CI() bool { return os.Getenv("CI") == "true" }

// Missing stops t because a tool it needs is absent: the test fails in CI and
// is skipped elsewhere. why says what is missing and how to get it.
func Missing(t testing.TB, why string) {
	t.Helper()
	if CI() {
		t.Fatal(why)
	}
	t.Skip(why + " (skipped; with CI=true this fails)")
}

// RepoRoot returns the repository's root folder: the nearest folder above
// the working directory (a test's package folder) holding go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}
