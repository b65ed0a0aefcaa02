package page_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/havenschools/haven/internal/testenv"
)

// Helpers that write their argument into a page unescaped, by package:
// templ's, and html/template's typed strings that vouch for their content.
var unsafeHelpers = map[string][]string{
	"github.com/a-h/templ": {"Raw", "SafeURL", "SafeCSS", "SafeCSSProperty", "JSExpression", "JSUnsafeFuncCall"},
	"html/template":        {"HTML", "HTMLAttr", "JS", "JSStr", "URL", "CSS", "Srcset"},
}

// allowUnsafeHTML lists files allowed an unescaped-HTML helper, with the
// reason. Keep it empty: every page is built from escaped templ output.
var allowUnsafeHTML = map[string]string{}

// unsafeHTML lists the uses of unescaped-HTML helpers in a Go file —
// handwritten or generated from a .templ file, whatever name the package
// is imported under — as "file:line: pkg.Name".
func unsafeHTML(name string, src []byte) ([]string, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	imported := map[string]string{} // local name → import path
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		if _, ok := unsafeHelpers[path]; !ok {
			continue
		}
		local := path[strings.LastIndex(path, "/")+1:]
		if imp.Name != nil {
			local = imp.Name.Name
		}
		if local == "." {
			return []string{fmt.Sprintf("%s: dot-import of %s hides its helpers", name, path)}, nil
		}
		imported[local] = path
	}
	var found []string
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		x, ok := sel.X.(*ast.Ident)
		if !ok {
			return true
		}
		if path, ok := imported[x.Name]; ok && slices.Contains(unsafeHelpers[path], sel.Sel.Name) {
			found = append(found, fmt.Sprintf("%s:%d: %s.%s", name, fset.Position(sel.Pos()).Line, path, sel.Sel.Name))
		}
		return true
	})
	return found, nil
}

// TestNoUnescapedHTMLHelpers checks every Go file of the repository that
// is not a test — the generated *_templ.go files included, so every
// template is covered in whatever form it calls a helper — for
// unescaped-HTML helpers outside allowUnsafeHTML. (make lint also greps the
// .templ sources, for a quick answer before generating.)
func TestNoUnescapedHTMLHelpers(t *testing.T) {
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	files := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "node_modules", "testdata", ".git", ".data", "bin":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		found, err := unsafeHTML(rel, src)
		if err != nil {
			return err
		}
		files++
		if _, ok := allowUnsafeHTML[rel]; !ok {
			for _, f := range found {
				t.Errorf("%s: an unescaped-HTML helper (write escaped templ, or add the file to allowUnsafeHTML with the reason)", f)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 100 {
		t.Errorf("checked only %d Go files: the walk looks in the wrong place", files)
	}
}

// TestTheUnescapedHTMLCheckFindsHelpers runs the check on files that use
// the helpers (testdata/unsafehtml/*.go.txt, kept out of the build) —
// directly, under another import name, in generated templ code, through
// html/template — and on one that only looks like it.
func TestTheUnescapedHTMLCheckFindsHelpers(t *testing.T) {
	for name, want := range map[string][]string{
		"raw.go.txt":       {"github.com/a-h/templ.Raw"},
		"aliased.go.txt":   {"github.com/a-h/templ.SafeURL", "github.com/a-h/templ.JSExpression"},
		"generated.go.txt": {"github.com/a-h/templ.Raw"},
		"htmltmpl.go.txt":  {"html/template.HTML", "html/template.JS"},
		"dot.go.txt":       {"dot-import of github.com/a-h/templ hides its helpers"},
		"safe.go.txt":      nil,
	} {
		src, err := os.ReadFile(filepath.Join("testdata", "unsafehtml", name))
		if err != nil {
			t.Fatal(err)
		}
		found, err := unsafeHTML(name, src)
		if err != nil {
			t.Fatal(err)
		}
		if len(found) != len(want) {
			t.Errorf("%s: found %q, want %q", name, found, want)
			continue
		}
		for i, w := range want {
			if !strings.HasSuffix(found[i], w) {
				t.Errorf("%s: found %q, want one ending %q", name, found[i], w)
			}
		}
	}
}
