package paths_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/havenschools/haven/internal/paths"
	"github.com/havenschools/haven/internal/web"
)

// TestBuildersAnswerToTheTable checks that every builder, called with
// sample arguments (each action a builder documents), makes a path that a
// route in web's table answers, with the method its links use: renaming a
// route breaks this test, not a link. A builder with no case here fails too.
func TestBuildersAnswerToTheTable(t *testing.T) {
	type use struct{ builder, method, path string }
	var uses []use
	add := func(builder, method string, p ...string) {
		for _, p := range p {
			uses = append(uses, use{builder, method, p})
		}
	}
	const get, post = "GET", "POST"
	add("Concern", get, paths.Concern("C-1A2B"))
	add("ConcernSubmitted", get, paths.ConcernSubmitted("C-1A2B"))
	add("ConcernDraft", get, paths.ConcernDraft("abc-123"))
	add("ConcernForm", post, paths.ConcernForm(""), paths.ConcernForm("child"))
	add("ConcernNewAfter", get, paths.ConcernNewAfter("abc-123"))
	for _, a := range []string{"addenda", "acknowledge", "assign", "urgency", "categories", "links",
		"decision", "action", "close", "reopen", "entered-in-error", "access"} {
		add("ConcernAction", post, paths.ConcernAction("C-1A2B", a))
	}
	for _, a := range []string{"decision", "action", "close", "reopen", "entered-in-error", "access"} {
		add("ConcernAction", get, paths.ConcernAction("C-1A2B", a))
	}
	add("ConcernFeedback", post, paths.ConcernFeedback("C-1A2B", 7))
	add("Child", get, paths.Child(42))
	for _, a := range []string{"details", "file", "transfers/new", "sar/new"} {
		add("ChildAction", get, paths.ChildAction(42, a))
	}
	for _, a := range []string{"details", "siblings", "file", "transfers", "sar"} {
		add("ChildAction", post, paths.ChildAction(42, a))
	}
	add("Chronology", get, paths.Chronology(42))
	add("ChronologyPrint", get, paths.ChronologyPrint(42))
	add("FlagAcknowledge", post, paths.FlagAcknowledge(42, "cp"))
	add("SiblingRemove", post, paths.SiblingRemove(42, 43))
	add("Task", post, paths.Task(9, "done"), paths.Task(9, "chase"))
	add("TaskChase", get, paths.TaskChase(9))
	add("Export", get, paths.Export("e-xyz"))
	add("Transfer", get, paths.Transfer(5))
	add("SAR", get, paths.SAR(6))
	add("Retention", get, paths.Retention(42))
	add("Allegation", get, paths.Allegation("A-1"))
	for _, a := range []string{"acknowledge", "kind", "lado", "actions", "outcome", "left", "keep", "hold", "sign-off"} {
		add("AllegationAction", post, paths.AllegationAction("A-1", a))
	}
	add("AllegationSubmitted", get, paths.AllegationSubmitted("A-1"))
	add("Encompass", get, paths.Encompass("E-1"))
	add("Queue", get, paths.Queue(nil), paths.Queue(url.Values{"status": {"new"}}))
	add("Attachment", get, paths.Attachment("f-1"))
	add("ResetPassword", get, paths.ResetPassword("tok"))
	add("SetPassword", get, paths.SetPassword("tok"))
	add("Invitation", get, paths.Invitation("tok"))
	add("TransferReceipt", get, paths.TransferReceipt("tok"))
	add("Received", get, paths.Received(3))
	add("PupilsImport", get, paths.PupilsImport(4))
	add("PupilsImport", post, paths.PupilsImport(4))
	add("RoleRequest", post, paths.RoleRequest(8, "approve"), paths.RoleRequest(8, "reject"))
	add("AdminUser", get, paths.AdminUser(11))
	for _, a := range []string{"role", "deactivate", "reactivate", "reset-2fa"} {
		add("AdminUserAction", post, paths.AdminUserAction(11, a))
	}
	add("TermDelete", post, paths.TermDelete(12))
	add("ConcernDraftDiscard", get, paths.ConcernDraftDiscard("abc-123"))
	add("ConcernDraftDiscard", post, paths.ConcernDraftDiscard("abc-123"))
	add("ExportAction", get, paths.ExportAction("e-xyz", "download"))
	add("ExportAction", post, paths.ExportAction("e-xyz", "approve"), paths.ExportAction("e-xyz", "reject"))
	add("TransferAction", post, paths.TransferAction(5, "sent"))
	add("SARAction", get, paths.SARAction(6, "bundle"), paths.SARAction(6, "bundle.pdf"))
	add("SARAction", post, paths.SARAction(6, "disclose"))
	add("SARPassage", post, paths.SARPassage(6, 2))
	for _, a := range []string{"sign-off", "do-not-destroy", "keep"} {
		add("RetentionAction", post, paths.RetentionAction(42, a))
	}
	add("EncompassAction", post, paths.EncompassAction("E-1", "access"))

	keys := web.RouteKeys()
	for _, u := range uses {
		if route := routeFor(keys, u.method, u.path); route == "" {
			t.Errorf("paths.%s gives %s %s, which no route in internal/web/routes.go answers", u.builder, u.method, u.path)
		}
	}

	tested := map[string]bool{}
	for _, u := range uses {
		tested[u.builder] = true
	}
	for _, name := range exportedFuncs(t) {
		if !tested[name] {
			t.Errorf("paths.%s has no case in TestBuildersAnswerToTheTable", name)
		}
	}
}

// TestRouteFor shows the matching can fail.
func TestRouteFor(t *testing.T) {
	keys := []string{"GET /concerns/{ref}", "POST /concerns/{ref}/close", "* /static/*"}
	for _, c := range []struct{ method, path, want string }{
		{"GET", "/concerns/C-1", "GET /concerns/{ref}"},
		{"GET", "/concerns/C-1?x=1#top", "GET /concerns/{ref}"},
		{"POST", "/concerns/C-1/close", "POST /concerns/{ref}/close"},
		{"GET", "/concerns/C-1/close", ""},
		{"GET", "/concerns/", ""},
		{"GET", "/concern/C-1", ""},
		{"GET", "/concerns/C-1/closed", ""},
		{"HEAD", "/static/css/app.css", "* /static/*"},
	} {
		if got := routeFor(keys, c.method, c.path); got != c.want {
			t.Errorf("routeFor(%s %s) = %q, want %q", c.method, c.path, got, c.want)
		}
	}
}

// routeFor returns the key in keys ("METHOD /pattern") whose route answers
// method and path as chi would match it — {param} is one non-empty segment,
// a final * the rest — or "" when none does. The query and fragment are not
// part of the match.
func routeFor(keys []string, method, path string) string {
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	got := strings.Split(path, "/")
	for _, k := range keys {
		m, pattern, _ := strings.Cut(k, " ")
		if m != method && m != "*" {
			continue
		}
		want := strings.Split(pattern, "/")
		if matches(want, got) {
			return k
		}
	}
	return ""
}

func matches(pattern, path []string) bool {
	for i, p := range pattern {
		if p == "*" && i == len(pattern)-1 {
			return len(path) >= i
		}
		if i >= len(path) {
			return false
		}
		switch {
		case strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}"):
			if path[i] == "" {
				return false
			}
		case p != path[i]:
			return false
		}
	}
	return len(path) == len(pattern)
}

// exportedFuncs lists the builders paths.go declares.
func exportedFuncs(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(".", "paths.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range f.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && fn.Name.IsExported() {
			names = append(names, fn.Name.Name)
		}
	}
	slices.Sort(names)
	return names
}
