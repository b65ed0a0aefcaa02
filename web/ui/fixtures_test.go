package ui

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/a-h/templ"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// The components are checked against the fixtures govuk-frontend publishes
// for its own Nunjucks macros: each case renders our templ port with params
// equivalent to the fixture's options and compares the HTML after
// normalising both (element tree, attributes as a set, class names as a
// set, whitespace-collapsed text).

const fixturesDir = "../../node_modules/govuk-frontend/dist/govuk/components"

type fixture struct {
	Name    string         `json:"name"`
	Options map[string]any `json:"options"`
	HTML    string         `json:"html"`
}

var (
	fixturesMu    sync.Mutex
	fixturesCache = map[string]map[string]fixture{}
)

// loadFixtures reads a component's fixtures.json. Without node_modules it
// skips the test, or fails it on CI (CI=true), where `npm ci` must have run.
func loadFixtures(t *testing.T, component string) map[string]fixture {
	t.Helper()
	fixturesMu.Lock()
	defer fixturesMu.Unlock()
	if m, ok := fixturesCache[component]; ok {
		return m
	}
	path := filepath.Join(fixturesDir, component, "fixtures.json")
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		msg := "govuk-frontend fixtures not found at " + path + ": run `npm ci` in the repository root"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Fixtures []fixture `json:"fixtures"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	m := make(map[string]fixture, len(file.Fixtures))
	for _, f := range file.Fixtures {
		m[f.Name] = f
	}
	fixturesCache[component] = m
	return m
}

// fixtureCase renders a component with params equivalent to a fixture's
// options. A case with skip set documents a deliberate difference.
type fixtureCase struct {
	name string // the fixture's name in fixtures.json
	c    templ.Component
	skip string
}

func runFixtures(t *testing.T, component string, cases []fixtureCase) {
	t.Helper()
	fixtures := loadFixtures(t, component)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, ok := fixtures[tc.name]
			if !ok {
				t.Fatalf("no fixture %q in %s/fixtures.json", tc.name, component)
			}
			if tc.skip != "" {
				t.Skip(tc.skip)
			}
			got := normalise(t, render(t, tc.c))
			want := normalise(t, f.HTML)
			if got != want {
				t.Errorf("rendered HTML differs from fixture %q\n--- got\n%s\n--- want\n%s\n--- raw got\n%s",
					tc.name, got, want, render(t, tc.c))
			}
		})
	}
}

func render(t *testing.T, c templ.Component) string {
	t.Helper()
	var b strings.Builder
	if err := c.Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// normalise parses an HTML fragment and prints its tree canonically: one
// node a line, attributes sorted by name, class names sorted, whitespace in
// attribute values and text collapsed, whitespace-only text and comments
// dropped.
func normalise(t *testing.T, fragment string) string {
	t.Helper()
	ctx := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	nodes, err := html.ParseFragment(strings.NewReader(fragment), ctx)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, n := range nodes {
		writeNode(&b, n, 0)
	}
	return b.String()
}

func writeNode(b *strings.Builder, n *html.Node, depth int) {
	indent := strings.Repeat("  ", depth)
	switch n.Type {
	case html.TextNode:
		if text := strings.Join(strings.Fields(n.Data), " "); text != "" {
			b.WriteString(indent + "“" + text + "”\n")
		}
	case html.ElementNode:
		attrs := make([]string, 0, len(n.Attr))
		for _, a := range n.Attr {
			val := strings.Fields(a.Val)
			if a.Key == "class" {
				slices.Sort(val)
			}
			attrs = append(attrs, a.Key+`="`+strings.Join(val, " ")+`"`)
		}
		slices.Sort(attrs)
		b.WriteString(indent + "<" + n.Data)
		for _, a := range attrs {
			b.WriteString(" " + a)
		}
		b.WriteString(">\n")
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			writeNode(b, c, depth+1)
		}
	}
}

// htmlComponent renders trusted fixture markup, standing in for the
// caller's own templ components in conditional reveals and rich values. It
// exists only in tests: production code never renders raw HTML.
func htmlComponent(s string) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		_, err := io.WriteString(w, s)
		return err
	})
}

func ptr[T any](v T) *T { return &v }

func TestNormalise(t *testing.T) {
	same := [][2]string{
		{`<p class="a b" id="x">Hi  there</p>`, "<p id=\"x\" class=\"b a\">\n  Hi there\n</p>"},
		{`<input checked type="checkbox">`, `<input type="checkbox" checked="">`},
	}
	for _, c := range same {
		if a, b := normalise(t, c[0]), normalise(t, c[1]); a != b {
			t.Errorf("should be equal:\n%s\n%s", a, b)
		}
	}
	differ := [][2]string{
		{`<p id="x">Hi</p>`, `<p id="y">Hi</p>`},
		{`<p>Hi</p>`, `<p>Ho</p>`},
		{`<p>Hi</p>`, `<p>Hi<span></span></p>`},
		{`<p aria-describedby="a b">Hi</p>`, `<p aria-describedby="b a">Hi</p>`},
		{`<input>`, `<input disabled>`},
		{`<div><p>Hi</p></div>`, `<div></div><p>Hi</p>`},
	}
	for _, c := range differ {
		if a, b := normalise(t, c[0]), normalise(t, c[1]); a == b {
			t.Errorf("should differ:\n%s\n%s", c[0], c[1])
		}
	}
}
