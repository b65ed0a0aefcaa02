// Package sourcetree lists Haven's hand-written source for the tests that
// guard a rule across the whole tree (no internal URL built by hand, no time
// zone or date layout outside internal/when). It is used by tests only.
package sourcetree

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// File is one source file: its path from the module root, slash-separated,
// and its text.
type File struct {
	Rel string
	Src string
}

// pruned are the folders below the module root that hold no source of
// Haven's own.
var pruned = map[string]bool{"node_modules": true, ".git": true, ".data": true, "bin": true, "dist": true, "docs": true}

// Files returns the .go and .templ files below root, the module root, that
// are not tests (_test.go) nor generated (_templ.go), leaving out the
// folders skip names (relative to root, slash-separated, e.g. "internal/when").
func Files(root string, skip ...string) ([]File, error) {
	var files []File
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if pruned[d.Name()] || contains(skip, rel) {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(rel, "_test.go") || strings.HasSuffix(rel, "_templ.go") ||
			!(strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, ".templ")) {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files = append(files, File{Rel: rel, Src: string(b)})
		return nil
	})
	return files, err
}

// ModuleRoot returns the folder holding go.mod at or above dir.
func ModuleRoot(dir string) (string, error) {
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fs.ErrNotExist
		}
		dir = parent
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
