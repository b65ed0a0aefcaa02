package web_test

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/auth"
	"github.com/havenschools/haven/internal/web"
)

// TestAccountsRoleTableMatchesRoutes checks the roles table of
// docs/accounts.md against the route table: each role's "pages" cell must
// name exactly the route groups (a pattern's first segment) in which the
// role may use a route once in a school — `/group` when it may use every
// route of the group, `/group` (some) when only some — as web.RuleFor says.
func TestAccountsRoleTableMatchesRoutes(t *testing.T) {
	src, err := os.ReadFile("../../docs/accounts.md")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := rolePages(string(src))
	if err != nil {
		t.Fatal(err)
	}
	for _, role := range []actor.Role{actor.Staff, actor.DSL, actor.Head, actor.Admin} {
		cell, ok := rows[role]
		if !ok {
			t.Errorf("docs/accounts.md: the roles table has no row for %s", role)
			continue
		}
		if want := pagesCell(role); cell != want {
			t.Errorf("docs/accounts.md: the roles table's pages for %s disagree with internal/web/routes.go\n got: %s\nwant: %s", role, cell, want)
		}
	}
}

// TestRolePagesParsing shows the table's reading can fail.
func TestRolePagesParsing(t *testing.T) {
	table := "| role | may | pages | second factor |\n|---|---|---|---|\n" +
		"| Staff | x | `/account`, `/concerns` (some) | y |\n" +
		"| Deputy DSL | x | as a DSL | y |\n"
	rows, err := rolePages(table)
	if err != nil {
		t.Fatal(err)
	}
	if got := rows[actor.Staff]; got != "`/account`, `/concerns` (some)" {
		t.Errorf("staff pages = %q", got)
	}
	if _, err := rolePages(strings.ReplaceAll(table, "as a DSL", "`/queue`")); err == nil {
		t.Error("a Deputy DSL row that is not \"as a DSL\" was accepted")
	}
	if _, err := rolePages("| role | may |\n|---|---|\n| Staff | x |\n"); err == nil {
		t.Error("a table without a pages column was accepted")
	}
}

var roleLabel = regexp.MustCompile(`^(Staff|DSL|Head|Admin)\b`)

// rolePages reads the roles table (the one whose header starts
// "| role |") and returns each role's pages cell.
func rolePages(md string) (map[actor.Role]string, error) {
	var header []string
	rows := map[actor.Role]string{}
	for _, line := range strings.Split(md, "\n") {
		if !strings.HasPrefix(line, "|") {
			if header != nil {
				break // the table has ended
			}
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if header == nil {
			if cells[0] == "role" {
				header = cells
			}
			continue
		}
		if strings.HasPrefix(cells[0], "---") {
			continue
		}
		col := slices.Index(header, "pages")
		if col < 0 || col >= len(cells) {
			return nil, fmt.Errorf("the roles table has no pages column")
		}
		if strings.HasPrefix(cells[0], "Deputy DSL") {
			if cells[col] != "as a DSL" {
				return nil, fmt.Errorf("the Deputy DSL row's pages should be \"as a DSL\", not %q", cells[col])
			}
			continue
		}
		if m := roleLabel.FindString(cells[0]); m != "" {
			rows[actor.Role(strings.ToLower(m))] = cells[col]
		}
	}
	if header == nil {
		return nil, fmt.Errorf("no table with a header starting \"| role |\"")
	}
	return rows, nil
}

// pagesCell is what the table should say for role: the groups in which a
// member with role may use a route, in order, each marked (some) when the
// role may use only some of the group's routes. Routes open before a school
// is chosen (signing in, the links in emails) are not counted.
func pagesCell(role actor.Role) string {
	type count struct{ allowed, all int }
	groups := map[string]*count{}
	var order []string
	for _, k := range web.RouteKeys() {
		method, pattern, _ := strings.Cut(k, " ")
		rule, _ := web.RuleFor(method, pattern)
		if rule.Public || rule.Stage < auth.InSchool {
			continue
		}
		first, _, _ := strings.Cut(strings.TrimPrefix(pattern, "/"), "/")
		g := "/" + first
		if groups[g] == nil {
			groups[g] = &count{}
			order = append(order, g)
		}
		groups[g].all++
		if rule.Allows(auth.InSchool, role) {
			groups[g].allowed++
		}
	}
	slices.Sort(order)
	var items []string
	for _, g := range order {
		switch c := groups[g]; {
		case c.allowed == c.all:
			items = append(items, "`"+g+"`")
		case c.allowed > 0:
			items = append(items, "`"+g+"` (some)")
		}
	}
	return strings.Join(items, ", ")
}
