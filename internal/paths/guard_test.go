package paths_test

import (
	"go/scanner"
	"go/token"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/havenschools/haven/internal/sourcetree"

	"github.com/havenschools/haven/internal/web"
)

// notARoute marks a line whose URL is not Haven's (the bare server the
// benchmark compares Haven with), so the guard lets it be.
const notARoute = "// not a Haven route"

// TestNoHandBuiltLinks fails, naming file and line, when a handler,
// template, email or command outside internal/paths builds an internal URL
// by hand: a string literal starting with one of the route table's
// prefixes ("/concerns", "/children/"…) followed by + or holding a %
// verb. Use (or add) a builder in internal/paths instead.
func TestNoHandBuiltLinks(t *testing.T) {
	root := moduleRoot(t)
	starts := routeStart()
	files, err := sourcetree.Files(root, "internal/paths")
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, f := range files {
		for _, h := range handBuilt(f.Src, strings.HasSuffix(f.Rel, ".go"), starts) {
			found = append(found, f.Rel+":"+strconv.Itoa(h.line)+": "+h.literal)
		}
	}
	if len(found) > 0 {
		t.Errorf("%d internal URLs built by hand; use a builder in internal/paths (add one if the route lacks it):\n%s",
			len(found), strings.Join(found, "\n"))
	}
}

// TestHandBuiltFlags shows the guard can fail: what it must flag and what
// it must let be.
func TestHandBuiltFlags(t *testing.T) {
	starts := routeStart()
	for _, c := range []struct {
		name  string
		src   string
		isGo  bool
		flags int
	}{
		{"a redirect built with +", `package x
func f() { http.Redirect(w, r, "/concerns/"+ref+"/submitted", 303) }`, true, 1},
		{"a path built with Sprintf", `package x
var u = fmt.Sprintf("/children/%d/chronology", id)`, true, 1},
		{"an email link after the base URL", `package x
var text = "Open it:\n" + baseURL + "/allegations/" + ref + "\n"`, true, 1},
		{"a query added to a route's literal", `package x
var u = "/queue?" + q.Encode()`, true, 1},
		{"a templ href built with +", `<a href={ templ.URL("/children/" + id + "/file") }>File</a>`, false, 1},
		{"two on one templ line", `<a href={ "/sar/" + a }>x</a><a href={ "/exports/" + b }>y</a>`, false, 2},
		{"a builder", `package x
var u = paths.ConcernSubmitted(ref) + "?again=1"`, true, 0},
		{"a whole literal path", `package x
var u = "/queue"`, true, 0},
		{"a literal path in templ", `<a class="govuk-link" href="/received/import">Import</a>`, false, 0},
		{"another server's URL", `package x
var u = m.apiURL + "/api/v1/message/" + id`, true, 0},
		{"a prefix that is only the start of a word", `package x
var u = "/auditing/" + x`, true, 0},
		{"a comment", `package x
// "/concerns/"+ref was the old way
var u = 1`, true, 0},
		{"a line marked as not a Haven route", `package x
var u = fmt.Sprintf("/queue?school=%d", id) ` + notARoute + `: the bare server's`, true, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := handBuilt(c.src, c.isGo, starts); len(got) != c.flags {
				t.Errorf("flagged %v, want %d", got, c.flags)
			}
		})
	}
}

type hit struct {
	line    int
	literal string
}

var (
	// verb is a fmt verb such as %d, %s or %-4v.
	verb = regexp.MustCompile(`%[-+# 0]*[0-9]*(\.[0-9]+)?[vTtbcdoOqxXUeEfFgGsp]`)
	// templString is a double-quoted string in a .templ file, and whether + follows it.
	templString = regexp.MustCompile(`"((?:\\.|[^"\\])*)"(\s*\+)?`)
)

// handBuilt lists the literals in src (Go when isGo, else templ) that
// start with an internal URL and are concatenated or formatted.
func handBuilt(src string, isGo bool, starts *regexp.Regexp) []hit {
	lines := strings.Split(src, "\n")
	skip := func(line int) bool { return strings.Contains(lines[line-1], notARoute) }
	flagged := func(value string, plus bool) bool {
		return starts.MatchString(value) && (plus || verb.MatchString(value))
	}
	var hits []hit
	if !isGo {
		for i, l := range lines {
			for _, m := range templString.FindAllStringSubmatch(l, -1) {
				if flagged(m[1], m[2] != "") && !skip(i+1) {
					hits = append(hits, hit{i + 1, `"` + m[1] + `"`})
				}
			}
		}
		return hits
	}
	fset := token.NewFileSet()
	file := fset.AddFile("", fset.Base(), len(src))
	var s scanner.Scanner
	s.Init(file, []byte(src), nil, 0) // comments are skipped
	type lit struct {
		line  int
		raw   string
		value string
	}
	var prev *lit
	for {
		pos, tok, text := s.Scan()
		if prev != nil {
			if flagged(prev.value, tok == token.ADD) && !skip(prev.line) {
				hits = append(hits, hit{prev.line, prev.raw})
			}
			prev = nil
		}
		if tok == token.EOF {
			return hits
		}
		if tok == token.STRING {
			if v, err := strconv.Unquote(text); err == nil {
				prev = &lit{fset.Position(pos).Line, text, v}
			}
		}
	}
}

// routeStart matches a string that starts with the first segment of a
// route in web's table ("/concerns", "/admin"…), followed by the end, a
// slash, a query or a fragment.
func routeStart() *regexp.Regexp {
	seen := map[string]bool{}
	var alts []string
	for _, k := range web.RouteKeys() {
		_, pattern, _ := strings.Cut(k, " ")
		first, _, _ := strings.Cut(strings.TrimPrefix(pattern, "/"), "/")
		if first == "" || strings.ContainsAny(first, "{*") || seen[first] {
			continue
		}
		seen[first] = true
		alts = append(alts, regexp.QuoteMeta(first))
	}
	return regexp.MustCompile(`^/(` + strings.Join(alts, "|") + `)([/?#]|$)`)
}

// moduleRoot is the directory holding go.mod, above the test's directory.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root, err := sourcetree.ModuleRoot(dir)
	if err != nil {
		t.Fatal("no go.mod above the test's directory")
	}
	return root
}
