package main

import (
	"os"
	"strings"
	"testing"
)

// recipe returns the command lines of a Makefile target.
func recipe(t *testing.T, target string) []string {
	t.Helper()
	mk, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(mk), "\n"+target+":")
	if !ok {
		t.Fatalf("Makefile has no %s target", target)
	}
	var lines []string
	for _, line := range strings.Split(rest, "\n")[1:] {
		if !strings.HasPrefix(line, "\t") {
			break
		}
		lines = append(lines, strings.TrimSpace(line))
	}
	return lines
}

// The first make run compiles every dependency, which takes minutes on a
// small machine: it says so before it starts, so nobody thinks it hung.
func TestMakeRunSaysItIsCompiling(t *testing.T) {
	lines := recipe(t, "run")
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "@echo") || !strings.Contains(lines[0], "Compiling") ||
		!strings.Contains(lines[0], "minutes") || !strings.Contains(lines[1], "build") {
		t.Errorf("make run should first echo that it is compiling and may take minutes, then build; its recipe is:\n%s",
			strings.Join(lines, "\n"))
	}
}
