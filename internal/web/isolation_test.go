package web_test

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"
	"github.com/pquerna/otp/totp"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/apptest"
	"github.com/havenschools/haven/internal/auth"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/pupil"
	"github.com/havenschools/haven/internal/records"
	"github.com/havenschools/haven/internal/school"
	"github.com/havenschools/haven/internal/web"
)

// The two-school sweep (issue 9): one deployment, two schools with every
// role and records of every kind; every route that takes an id, requested
// by every role of one school with the ids of the other's records, answers
// 404 (403 where the route table keeps the role out), and no page
// shows anything of the other school. Underneath, the database does the
// same with no help from the application: school A's transactions select
// school B's rows explicitly and get none.

// tenant is one school of the sweep, its people signed in.
type tenant struct {
	id      int64
	domain  string
	people  map[string]actor.Actor
	clients map[string]*apptest.Client
	child   pupil.Child
	sibling pupil.Child
}

// sweepRoles are the people of each school, by label, with their role.
var sweepRoles = []struct {
	label string
	role  actor.Role
}{
	{"staff", actor.Staff}, {"staff2", actor.Staff}, {"dsl", actor.DSL}, {"head", actor.Head}, {"admin", actor.Admin},
}

// seedTenant gives school id its people (signed in), two children with
// the given names and n concerns by its staff, whose account starts with
// marker.
func seedTenant(t *testing.T, s *site, id int64, domain string, names [2][2]string, marker string, n int) *tenant {
	t.Helper()
	ctx := context.Background()
	tn := &tenant{id: id, domain: domain, people: map[string]actor.Actor{}, clients: map[string]*apptest.Client{}}
	for _, p := range sweepRoles {
		email := p.label + "@" + domain
		a := s.personIn(t, id, email, p.role)
		tn.people[p.label] = a
		if p.role == actor.Staff {
			c := s.Client(t)
			expectRedirect(t, signIn(t, c, email, password), "/")
			tn.clients[p.label] = c
		} else {
			tn.clients[p.label] = signInWithCode(t, s, email, s.enrol(t, a.UserID))
		}
	}
	y := pupil.YearGroup(8)
	kids, err := pupil.NewService(s.DB.App).AddToRoll(ctx, actor.SystemIn(id), []pupil.NewChild{
		{FirstName: names[0][0], LastName: names[0][1], YearGroup: &y},
		{FirstName: names[1][0], LastName: names[1][1], YearGroup: &y},
	})
	if err != nil {
		t.Fatal(err)
	}
	tn.child, tn.sibling = kids[0], kids[1]

	staff := tn.clients["staff"]
	for i := range n {
		form := filledForm(openForm(t, staff), tn.child.ID)
		if i == 0 {
			// The first concern has a file.
			upload(t, staff, s.URL, form.Get("submission_id"), marker+" statement.pdf", []byte("%PDF-1.7\n%%EOF\n"), nil)
		}
		form.Set("account", fmt.Sprintf("%s: concern %d, seen by the lockers.", marker, i+1))
		r := staff.PostForm("/concerns", form)
		if r.Status != http.StatusSeeOther || refRE.FindString(r.Location()) == "" {
			t.Fatalf("%s: submit concern %d: %d\n%.2000s", domain, i+1, r.Status, visible(r.Body))
		}
	}
	return tn
}

// seedRecords gives tn records of every other kind, through its pages:
// a draft, an addendum, a DSL's acknowledgement, decision and referral (a
// task), a restriction, siblings, a concern about an adult, an Operation
// Encompass notification, an export, a role request, a term and a staged
// roll import.
func seedRecords(t *testing.T, s *site, tn *tenant, marker string) {
	t.Helper()
	ctx := context.Background()
	staff, dsl, admin := tn.clients["staff"], tn.clients["dsl"], tn.clients["admin"]
	ref := func(n int) string { return fmt.Sprintf("C-%d-%06d", time.Now().Year(), n) }

	draft := filledForm(openForm(t, staff), tn.child.ID)
	draft.Set("account", marker+": a draft not yet sent.")
	draft.Set("action", "save")
	expectStatus(t, staff.PostForm("/concerns", draft), http.StatusOK, tn.domain+": save a draft")

	expectSeeOther(t, staff.PostForm("/concerns/"+ref(1)+"/addenda", url.Values{"addendum": {marker + ": more today."}}), "/concerns/"+ref(1))

	last := ref(3)
	page := dsl.Get("/concerns/" + last)
	expectStatus(t, page, http.StatusOK, tn.domain+": the DSL's concern page")
	expectSeeOther(t, dsl.PostForm("/concerns/"+last+"/acknowledge", url.Values{"version": {version(t, page.Body)}}), "/concerns/"+last)
	v := version(t, dsl.Get("/concerns/"+last).Body)
	expectSeeOther(t, dsl.PostForm("/concerns/"+last+"/decision", url.Values{"version": {v}, "outcome": {"social_care"},
		"reason": {marker + ": decision"}, "parents": {"not_told"}, "parents_why_not": {"Risk"},
		"childs_wishes": {"Wants it to stop"}}), "/concerns/"+last)
	today := time.Now()
	expectSeeOther(t, dsl.PostForm("/concerns/"+last+"/action", url.Values{"kind": {"referral"},
		"action_on-day": {fmt.Sprint(today.Day())}, "action_on-month": {fmt.Sprint(int(today.Month()))}, "action_on-year": {fmt.Sprint(today.Year())},
		"note": {marker + ": referred"}, "agency_ref": {"MASH-1"}}), "/concerns/"+last)
	access := dsl.Get("/concerns/" + ref(2) + "/access")
	expectSeeOther(t, dsl.PostForm("/concerns/"+ref(2)+"/access", url.Values{"version": {version(t, access.Body)}, "restricted": {"yes"},
		"named": {fmt.Sprint(tn.people["dsl"].UserID)}}), "/concerns/"+ref(2))
	if err := pupil.NewService(s.DB.App).LinkSiblings(ctx, tn.people["dsl"], tn.child.ID, tn.sibling.ID); err != nil {
		t.Fatal(err)
	}

	// A concern about an adult (staff2), reported by staff: the head's.
	r := staff.PostForm("/concerns", url.Values{"submission_id": {openForm(t, staff)}, "about_adult": {"yes"},
		"account": {marker + ": an adult shouted."}, "location": {"Hall"}, "action": {"submit"}})
	id := allegationSubmissionRE.FindStringSubmatch(r.Body)
	if id == nil {
		t.Fatalf("%s: no form for adults:\n%s", tn.domain, visible(r.Body))
	}
	r = staff.PostForm("/allegations", url.Values{"submission_id": {id[1]}, "subject_name": {"Pat staff2"}, "subject_role": {"Teacher"},
		"subject_account": {fmt.Sprint(tn.people["staff2"].UserID)}, "account": {marker + ": an adult shouted."},
		"kind": {"harm_threshold"}, "child": {fmt.Sprint(tn.child.ID)}, "action": {"submit"}})
	if r.Status != http.StatusSeeOther || allegationRefRE.FindString(r.Location()) == "" {
		t.Fatalf("%s: report a concern about an adult: %d\n%.2000s", tn.domain, r.Status, visible(r.Body))
	}

	r = dsl.PostForm("/encompass", url.Values{"child": {fmt.Sprint(tn.child.ID)}, "notified_on-day": {"2"}, "notified_on-month": {"3"},
		"notified_on-year": {"2026"}, "details": {marker + ": police attended."}, "support": {"Check-in."}, "action": {"save"}})
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location(), "/encompass/E-") {
		t.Fatalf("%s: Operation Encompass: %d %q\n%.2000s", tn.domain, r.Status, r.Location(), visible(r.Body))
	}

	r = dsl.PostForm("/exports", url.Values{"format": {"csv"}, "reason": {marker + ": inspection"}})
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location(), "/exports/") {
		t.Fatalf("%s: export: %d %q\n%.2000s", tn.domain, r.Status, r.Location(), visible(r.Body))
	}

	staff2 := "/admin/users/" + i64(tn.people["staff2"].UserID)
	expectSeeOther(t, admin.PostForm(staff2+"/role", url.Values{"role": {"deputy"}}), staff2)
	expectSeeOther(t, admin.PostForm("/admin/settings/terms", url.Values{"term_name": {marker + " term"},
		"starts-day": {"1"}, "starts-month": {"9"}, "starts-year": {"2026"}, "ends-day": {"18"}, "ends-month": {"12"}, "ends-year": {"2026"}}),
		"/admin/settings/terms")
	recs := records.NewService(s.DB.App, s.Jobs, s.URL)
	if _, err := recs.StartTransfer(ctx, tn.people["dsl"], tn.child.ID, records.TransferForm{DestinationSchool: marker + " Academy",
		DestinationDSL: "Rae Ceiver", DestinationEmail: "dsl@riverside.test", LeftOn: time.Now().AddDate(0, 0, -1)}); err != nil {
		t.Fatal(err)
	}
	if _, err := recs.StartSAR(ctx, tn.people["dsl"], tn.child.ID, records.SARForm{RequesterKind: "parent", RequesterName: marker + " parent",
		ReceivedOn: time.Now().AddDate(0, 0, -2), DPLUserID: tn.people["admin"].UserID}); err != nil {
		t.Fatal(err)
	}
	// A file received from another Haven: its import takes a signed
	// package, so the row is put in as the owner.
	if _, err := s.DB.Owner.Exec(ctx, `INSERT INTO received_files (school_id, child_id, from_school, child_name, package, imported_by)
		VALUES ($1, $2, 'Old School', $3, '{}', $4)`, tn.id, tn.child.ID, marker+" child", tn.people["dsl"].UserID); err != nil {
		t.Fatal(err)
	}
	if _, err := pupil.NewService(s.DB.App).StageImport(ctx, tn.people["admin"], "roll.csv",
		[]byte("Forename,Surname,DOB,Year,UPN\nIvo,"+marker+",01/02/2013,8,A123456789013\n")); err != nil {
		t.Fatal(err)
	}
}

// recordIDs are the ids of tn's records that routes take, read as the
// owner: key → value.
func recordIDs(t *testing.T, s *site, tn *tenant) map[string]string {
	t.Helper()
	one := func(key, sql string) (string, string) {
		t.Helper()
		var v string
		if err := s.DB.Owner.QueryRow(context.Background(), sql, tn.id).Scan(&v); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		return key, v
	}
	ids := map[string]string{}
	for _, q := range [][2]string{
		{"concern", `SELECT ref FROM concerns WHERE school_id = $1 ORDER BY id DESC LIMIT 1`},
		{"restricted", `SELECT ref FROM concerns WHERE school_id = $1 AND restricted`},
		{"attachment", `SELECT public_id::text FROM concern_attachments WHERE school_id = $1 LIMIT 1`},
		{"draft", `SELECT submission_id::text FROM concern_drafts WHERE school_id = $1 LIMIT 1`},
		{"action", `SELECT id::text FROM concern_actions WHERE school_id = $1 LIMIT 1`},
		{"task", `SELECT id::text FROM concern_tasks WHERE school_id = $1 LIMIT 1`},
		{"allegation", `SELECT ref FROM allegations WHERE school_id = $1 LIMIT 1`},
		{"encompass", `SELECT ref FROM encompass_notifications WHERE school_id = $1 LIMIT 1`},
		{"export", `SELECT public_id::text FROM exports WHERE school_id = $1 LIMIT 1`},
		{"role-request", `SELECT id::text FROM role_requests WHERE school_id = $1 AND status = 'pending' LIMIT 1`},
		{"term", `SELECT id::text FROM school_terms WHERE school_id = $1 LIMIT 1`},
		{"import", `SELECT id::text FROM roll_imports WHERE school_id = $1 LIMIT 1`},
		{"transfer", `SELECT id::text FROM child_transfers WHERE school_id = $1 LIMIT 1`},
		{"received", `SELECT id::text FROM received_files WHERE school_id = $1 LIMIT 1`},
		{"sar", `SELECT id::text FROM sar_requests WHERE school_id = $1 LIMIT 1`},
		{"passage", `SELECT id::text FROM sar_passages WHERE school_id = $1 LIMIT 1`},
	} {
		k, v := one(q[0], q[1])
		ids[k] = v
	}
	ids["child"], ids["sibling"] = i64(tn.child.ID), i64(tn.sibling.ID)
	ids["user"] = i64(tn.people["staff"].UserID)
	return ids
}

// fill puts ids into a route pattern, choosing by the parameter's name and
// the route's first segment; ok is false for a route that takes a secret
// token (the link itself is the permission, in any school), and missing
// names a parameter the sweep has no id for.
func fill(pattern string, ids map[string]string) (path string, ok bool, missing string) {
	parts := strings.Split(pattern, "/")
	area := ""
	if len(parts) > 1 {
		area = parts[1]
	}
	for i, p := range parts {
		name, isParam := strings.CutPrefix(p, "{")
		if !isParam {
			continue
		}
		name = strings.TrimSuffix(name, "}")
		key := ""
		switch name {
		case "token":
			return "", false, ""
		case "ref":
			key = map[string]string{"concerns": "concern", "allegations": "allegation", "encompass": "encompass"}[area]
		case "id":
			key = map[string]string{"attachments": "attachment", "tasks": "task", "children": "child", "role-requests": "role-request",
				"exports": "export", "pupils": "import", "concerns": "action", "transfers": "transfer", "received": "received",
				"sar": "sar"}[area]
			if area == "admin" && len(parts) > 2 {
				key = map[string]string{"users": "user", "settings": "term"}[parts[2]]
			}
		case "submission":
			key = "draft"
		case "child":
			key = "child"
		case "sibling":
			key = "sibling"
		case "passage":
			key = "passage"
		case "kind":
			parts[i] = "count" // a flag's kind: not an id
			continue
		}
		v, found := ids[key]
		if !found {
			return "", true, "{" + name + "} in " + pattern
		}
		parts[i] = url.PathEscape(v)
	}
	return strings.Join(parts, "/"), true, ""
}

func TestTwoSchoolSweep(t *testing.T) {
	t.Parallel()
	s := newSite(t) // school A: Brookfield Primary
	ctx := context.Background()
	bSchool, err := school.NewService(s.DB.App).Create(ctx, actor.Actor{Role: actor.System}, "castleton", "Castleton Academy")
	if err != nil {
		t.Fatal(err)
	}
	a := seedTenant(t, s, s.school, "brookfield.test", [2][2]string{{"Amara", "Okafor"}, {"Ben", "Okafor"}}, "Brookfield-marker", 1)
	b := seedTenant(t, s, bSchool.ID, "castleton.test", [2][2]string{{"Zephyrine", "Quillfeather"}, {"Orrin", "Quillfeather"}}, "Castleton-marker", 3)
	seedRecords(t, s, b, "Castleton-marker")

	// Someone who works in both schools: staff in A, a DSL in B, signed in
	// to A. They sweep too.
	jo := s.personIn(t, a.id, "jo@both.test", actor.Staff)
	if _, err := s.auth.CreateUser(ctx, actor.SystemIn(b.id), auth.NewUser{Email: "jo@both.test", Name: "Jo Both", Role: actor.DSL}); err != nil {
		t.Fatal(err)
	}
	secret := s.enrol(t, jo.UserID)
	joC := s.Client(t)
	expectRedirect(t, signIn(t, joC, "jo@both.test", password), "/sign-in/security-code")
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	expectRedirect(t, joC.PostForm("/sign-in/security-code", url.Values{"code": {code}}), "/choose-school")
	expectRedirect(t, joC.PostForm("/choose-school", url.Values{"school": {i64(a.id)}}), "/")
	a.clients["jo"], a.people["jo"] = joC, jo
	requesters := append(slices.Clone(sweepRoles), struct {
		label string
		role  actor.Role
	}{"jo", actor.Staff})

	// Nothing of B may show in A: its name, its people's addresses, its
	// children, anything typed into its records.
	markers := []string{"Castleton", "castleton.test", "Zephyrine", "Quillfeather", "Orrin"}
	leaks := func(body string) []string {
		var out []string
		for _, m := range markers {
			if strings.Contains(body, m) {
				out = append(out, m)
			}
		}
		return out
	}

	bIDs := recordIDs(t, s, b)
	bCounts := tableCounts(t, s, b.id)
	routes, ok := s.Web.Routes().(chi.Routes)
	if !ok {
		t.Fatal("Routes does not return a chi.Routes")
	}
	type route struct{ method, pattern string }
	var withIDs, pages []route
	err = chi.Walk(routes, func(method, pattern string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		switch {
		case strings.Contains(pattern, "{"):
			withIDs = append(withIDs, route{method, pattern})
		case method == http.MethodGet && !strings.Contains(pattern, "*") && pattern != "/queue/events":
			pages = append(pages, route{method, pattern})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(withIDs) < 40 {
		t.Fatalf("only %d routes take an id", len(withIDs))
	}

	// POSTs carry a form every handler accepts, so that none stops at
	// checking the form before it looks the record up.
	today := time.Now()
	valid := url.Values{"version": {"1"}, "summary": {"Closed"}, "reason": {"A reason"}, "outcome": {"social_care"},
		"parents": {"not_told"}, "parents_why_not": {"Risk"}, "childs_wishes": {"None given"}, "kind": {"referral"},
		"action_on-day": {fmt.Sprint(today.Day())}, "action_on-month": {fmt.Sprint(int(today.Month()))}, "action_on-year": {fmt.Sprint(today.Year())},
		"note": {"A note"}, "agency_ref": {"REF-1"}, "feedback": {"Feedback"}, "addendum": {"More"}, "flag_reason": {"Seen"},
		"role": {"staff"}, "restricted": {"no"}, "urgency": {"high"}, "categories": {"cse"}}
	request := func(c *apptest.Client, method, path string) apptest.Response {
		t.Helper()
		if method == http.MethodPost {
			return c.PostForm(path, valid)
		}
		return c.Get(path)
	}
	// Ids of records that exist in no school: another school's id must get
	// the very same answer, so an answer cannot tell that a record exists.
	nowhere := map[string]string{"concern": "C-2099-999999", "allegation": "A-2099-999999", "encompass": "E-2099-999999",
		"attachment": "00000000-0000-4000-8000-000000000000", "draft": "00000000-0000-4000-8000-000000000000",
		"export": "00000000-0000-4000-8000-000000000000"}
	for _, k := range []string{"action", "task", "role-request", "term", "import", "child", "sibling", "user", "transfer", "received", "sar", "passage"} {
		nowhere[k] = "999999999"
	}
	// Routes that answer an id they cannot find as they answer an unknown
	// one, without a 404, and why.
	sameAsUnknown := map[string]string{
		"POST /admin/settings/terms/{id}/delete": "removing a term is idempotent: a term that is not there lands on the terms page, as a double click does",
		"POST /retention/{child}/sign-off":       "the head may not sign a deletion off at all (403 before any look-up)",
	}

	t.Run("every route with an id of the other school answers 404 (or 403 by role) and leaks nothing", func(t *testing.T) {
		swept := 0
		for _, rt := range withIDs {
			path, ok, missing := fill(rt.pattern, bIDs)
			if missing != "" {
				t.Errorf("no id of school B for %s: add one to the sweep", missing)
				continue
			}
			if !ok {
				continue
			}
			unknown, _, _ := fill(rt.pattern, nowhere)
			key := rt.method + " " + rt.pattern
			rule, _ := web.RuleFor(rt.method, rt.pattern)
			for _, p := range requesters {
				c := a.clients[p.label]
				r, u := request(c, rt.method, path), request(c, rt.method, unknown)
				swept++
				want := http.StatusNotFound
				if !rule.Allows(auth.InSchool, p.role) {
					want = http.StatusForbidden
				} else if _, ok := sameAsUnknown[key]; ok {
					want = u.Status
				}
				if r.Status != want || u.Status != r.Status {
					t.Errorf("%s of A: %s %s = %d (%d for an id of no school), want %d", p.label, rt.method, path, r.Status, u.Status, want)
				}
				if l := leaks(r.Body); len(l) > 0 {
					t.Errorf("%s of A: %s %s shows %v of school B", p.label, rt.method, path, l)
				}
			}
		}
		t.Logf("%d requests with school B's ids", swept)
	})

	t.Run("school B's records are unchanged by the sweep", func(t *testing.T) {
		if got := tableCounts(t, s, b.id); !maps.Equal(got, bCounts) {
			t.Errorf("school B's rows changed: %v, were %v", got, bCounts)
		}
		if got := recordIDs(t, s, b); !maps.Equal(got, bIDs) {
			t.Errorf("school B's records changed: %v, were %v", got, bIDs)
		}
	})

	t.Run("school A's own pages show nothing of school B", func(t *testing.T) {
		for _, rt := range pages {
			for _, p := range requesters {
				r := a.clients[p.label].Get(rt.pattern)
				if r.Status >= 500 {
					t.Errorf("%s of A: GET %s = %d", p.label, rt.pattern, r.Status)
				}
				body := r.Body
				if p.label == "jo" && rt.pattern == "/choose-school" {
					body = strings.ReplaceAll(body, "Castleton Academy", "") // Jo works there too: their own schools
				}
				if l := leaks(body); len(l) > 0 {
					t.Errorf("%s of A: GET %s shows %v of school B", p.label, rt.pattern, l)
				}
			}
		}
	})

	t.Run("another member of the same school gets 404 for what is not theirs", func(t *testing.T) {
		staff2, dsl := b.clients["staff2"], b.clients["dsl"]
		ref1 := fmt.Sprintf("C-%d-%06d", time.Now().Year(), 1)
		for _, path := range []string{"/concerns/" + ref1, "/concerns/" + ref1 + "/submitted", "/concerns/drafts/" + bIDs["draft"],
			"/attachments/" + bIDs["attachment"], "/allegations/" + bIDs["allegation"], "/allegations/" + bIDs["allegation"] + "/submitted"} {
			if r := staff2.Get(path); r.Status != http.StatusNotFound || len(leaks(strings.ReplaceAll(r.Body, "Castleton Academy", ""))) > 0 {
				t.Errorf("another member of staff: GET %s = %d, want 404 and nothing of it", path, r.Status)
			}
		}
		if r := staff2.PostForm("/concerns/"+ref1+"/addenda", url.Values{"addendum": {"x"}}); r.Status != http.StatusNotFound {
			t.Errorf("another member of staff adding to a concern: %d, want 404", r.Status)
		}
		// The DSL does not handle concerns about adults (the head does).
		if r := dsl.Get("/allegations/" + bIDs["allegation"]); r.Status != http.StatusNotFound {
			t.Errorf("a DSL on a concern about an adult: %d, want 404", r.Status)
		}
		// The restriction the sweep relies on is in place for its DSL.
		if r := b.clients["dsl"].Get("/concerns/" + bIDs["restricted"]); r.Status != http.StatusOK {
			t.Errorf("the named DSL on the restricted concern: %d, want 200", r.Status)
		}
	})

	t.Run("with the application's checks turned off, the database still shows nothing of B", func(t *testing.T) {
		// Each query asks for school B's rows outright — the mistake a
		// handler could make — inside a transaction of school A, as each
		// of A's roles and as the system.
		rows, _ := s.DB.Owner.Query(ctx, `
			SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'school_id' AND NOT a.attisdropped
			WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v')
			  AND has_table_privilege('haven_app', c.oid, 'SELECT') ORDER BY 1`)
		tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		seeded := 0
		for _, table := range tables {
			sql := "SELECT count(*) FROM " + pgx.Identifier{table}.Sanitize() + " WHERE school_id = $1"
			var owner int
			if err := s.DB.Owner.QueryRow(ctx, sql, b.id).Scan(&owner); err != nil {
				t.Fatal(err)
			}
			if owner > 0 {
				seeded++
			}
			// With no school set at all (no transaction), nothing of anyone.
			var none int
			if err := s.DB.App.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{table}.Sanitize()).Scan(&none); err != nil {
				t.Fatal(err)
			}
			if none != 0 {
				t.Errorf("%s: %d rows with no school set, want 0", table, none)
			}
			for _, by := range append(actorsOf(a), actor.SystemIn(a.id)) {
				var n int
				err := db.InSchool(ctx, s.DB.App, by, func(tx pgx.Tx) error { return tx.QueryRow(ctx, sql, b.id).Scan(&n) })
				if err != nil {
					t.Fatalf("%s as %s of A: %v", table, by.Role, err)
				}
				if n != 0 {
					t.Errorf("%s: %s of school A sees %d of school B's %d rows", table, by.Role, n, owner)
				}
			}
		}
		if seeded < 20 {
			t.Errorf("only %d tables hold rows of school B: the check proves little", seeded)
		}

		// Looked up by id or reference alone, as a handler forgetting the
		// school would: nothing.
		for _, q := range []struct{ what, sql, arg string }{
			{"a concern by reference", `SELECT count(*) FROM concerns WHERE ref = $1`, bIDs["concern"]},
			{"a child by id", `SELECT count(*) FROM children WHERE id = $1::bigint`, bIDs["child"]},
			{"an attachment", `SELECT count(*) FROM concern_attachments WHERE public_id = $1::uuid`, bIDs["attachment"]},
			{"an export", `SELECT count(*) FROM exports WHERE public_id = $1::uuid`, bIDs["export"]},
			{"a member of B only", `SELECT count(*) FROM users WHERE id = $1::bigint`, bIDs["user"]},
			{"B's audit chain", `SELECT count(*) FROM audit_events WHERE chain_id = $1::bigint`, i64(b.id)},
		} {
			for _, by := range actorsOf(a) {
				var n int
				err := db.InSchool(ctx, s.DB.App, by, func(tx pgx.Tx) error { return tx.QueryRow(ctx, q.sql, q.arg).Scan(&n) })
				if err != nil || n != 0 {
					t.Errorf("%s as %s of A: %d rows (%v), want 0", q.what, by.Role, n, err)
				}
			}
		}
	})
}

// actorsOf is every person of tn as the actor of a request in tn's school.
func actorsOf(tn *tenant) []actor.Actor {
	var out []actor.Actor
	for _, p := range sweepRoles {
		out = append(out, tn.people[p.label])
	}
	return out
}

// tableCounts counts school's rows in every table with a school_id, as the owner.
func tableCounts(t *testing.T, s *site, school int64) map[string]string {
	t.Helper()
	ctx := context.Background()
	rows, _ := s.DB.Owner.Query(ctx, `
		SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'school_id' AND NOT a.attisdropped
		WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') ORDER BY 1`)
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, table := range tables {
		var n int
		if err := s.DB.Owner.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{table}.Sanitize()+" WHERE school_id = $1", school).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[table] = fmt.Sprint(n)
	}
	return out
}

// expectSeeOther checks r is a 303 to a path starting with to (its query
// may carry a notice).
func expectSeeOther(t *testing.T, r apptest.Response, to string) {
	t.Helper()
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location(), to) {
		t.Fatalf("got %d to %q, want 303 to %q\n%.2000s", r.Status, r.Location(), to, visible(r.Body))
	}
}
