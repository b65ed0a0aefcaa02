package e2e

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/allegation"
	"github.com/havenschools/haven/internal/auth"
	"github.com/havenschools/haven/internal/browsertest"
	"github.com/havenschools/haven/internal/concern"
	"github.com/havenschools/haven/internal/encompass"
	"github.com/havenschools/haven/internal/pupil"
	"github.com/havenschools/haven/internal/records"
	"github.com/havenschools/haven/internal/school"
	"github.com/havenschools/haven/internal/web"
	"github.com/havenschools/haven/internal/when"
)

// The people who visit pages in TestEveryPageIsAccessible: each signs in
// once per viewport and stops at the stage of signing in their pages need.
const (
	signedOut  = "signed out"
	secondStep = "a DSL before the security code"
	enrolling  = "a DSL before setting up an authenticator app"
	twoSchools = "a member of two schools before choosing one"
	staff      = "staff"
	dsl        = "DSL"
	head       = "head"
	admin      = "admin"
)

// visitorOrder is the order visitors sign in; secondStep's pages are seen
// on the way to the DSL's.
var visitorOrder = []string{signedOut, enrolling, twoSchools, staff, dsl, head, admin}

// visitor is who a page is seen as: their address (none when signed out)
// and how far they get through signing in, with which role.
type visitor struct {
	email string
	stage auth.Stage
	role  actor.Role
}

var visitors = map[string]visitor{
	signedOut:  {"", auth.Anonymous, ""},
	secondStep: {"dee@brookfield.test", auth.PasswordChecked, actor.DSL},
	enrolling:  {"nia@brookfield.test", auth.PasswordChecked, actor.DSL},
	twoSchools: {"jo@both.test", auth.SignedIn, actor.Staff},
	staff:      {"sam@brookfield.test", auth.InSchool, actor.Staff},
	dsl:        {"dee@brookfield.test", auth.InSchool, actor.DSL},
	head:       {"hazel@brookfield.test", auth.InSchool, actor.Head},
	admin:      {"ada@brookfield.test", auth.InSchool, actor.Admin},
}

// page is how a GET route is visited: as whom, and the seeded record
// (a key of everyPageSchool.ids) for each of its {parameters} in order.
type page struct {
	as  string
	ids []string
}

// pages is every GET route that renders an HTML page.
var pages = map[string]page{
	"/":                                     {as: signedOut},
	"/accessibility":                        {as: signedOut},
	"/sign-in":                              {as: signedOut},
	"/forgot-password":                      {as: signedOut},
	"/reset-password/{token}":               {signedOut, []string{"reset-token"}},
	"/set-password/{token}":                 {signedOut, []string{"set-token"}},
	"/invitations/{token}":                  {signedOut, []string{"invitation-token"}},
	"/transfers/receipt/{token}":            {signedOut, []string{"receipt-token"}},
	"/sign-in/security-code":                {as: secondStep},
	"/sign-in/recovery-code":                {as: secondStep},
	"/two-factor/setup":                     {as: enrolling},
	"/choose-school":                        {as: twoSchools},
	"/account":                              {as: staff},
	"/menu":                                 {as: dsl},
	"/concerns/new":                         {as: staff},
	"/concerns/drafts/{submission}":         {staff, []string{"draft"}},
	"/concerns/drafts/{submission}/discard": {staff, []string{"draft"}},
	"/concerns/{ref}/submitted":             {staff, []string{"concern"}},
	"/my-concerns":                          {as: staff},
	"/allegations/new":                      {as: staff},
	"/allegations/{ref}/submitted":          {staff, []string{"allegation"}},

	"/concerns/{ref}":                  {dsl, []string{"concern"}},
	"/queue":                           {as: dsl},
	"/concerns/{ref}/decision":         {dsl, []string{"concern"}},
	"/concerns/{ref}/action":           {dsl, []string{"concern"}},
	"/concerns/{ref}/close":            {dsl, []string{"concern"}},
	"/concerns/{ref}/reopen":           {dsl, []string{"closed"}},
	"/concerns/{ref}/entered-in-error": {dsl, []string{"concern"}},
	"/concerns/{ref}/access":           {dsl, []string{"concern"}},
	"/tasks":                           {as: dsl},
	"/tasks/{id}/chase":                {dsl, []string{"chase"}},
	"/dashboard":                       {as: dsl},
	"/children/{id}":                   {dsl, []string{"child"}},
	"/children/{id}/details":           {dsl, []string{"child"}},
	"/children/{id}/chronology":        {dsl, []string{"child"}},
	"/children/{id}/chronology/print":  {dsl, []string{"child"}},
	"/children/{id}/file":              {dsl, []string{"child"}},
	"/children/{id}/transfers/new":     {dsl, []string{"child"}},
	"/children/{id}/sar/new":           {dsl, []string{"child"}},
	"/role-requests":                   {as: dsl},
	"/exports":                         {as: dsl},
	"/exports/{id}":                    {dsl, []string{"export"}},
	"/transfers":                       {as: dsl},
	"/transfers/{id}":                  {dsl, []string{"transfer"}},
	"/received/import":                 {as: dsl},
	"/received/{id}":                   {dsl, []string{"received"}},
	"/sar":                             {as: dsl},
	"/sar/{id}":                        {dsl, []string{"sar"}},
	"/sar/{id}/bundle":                 {dsl, []string{"sar"}},
	"/retention":                       {as: dsl},
	"/retention/{child}":               {dsl, []string{"old-child"}},
	"/encompass":                       {as: dsl},
	"/encompass/new":                   {as: dsl},
	"/encompass/{ref}":                 {dsl, []string{"encompass"}},
	"/audit":                           {as: dsl},

	"/allegations":           {as: head},
	"/allegations/{ref}":     {head, []string{"allegation"}},
	"/allegations/low-level": {as: head},
	"/allegations/retention": {as: head},

	"/admin/users":                {as: admin},
	"/admin/users/invite":         {as: admin},
	"/admin/users/{id}":           {admin, []string{"user"}},
	"/admin/settings":             {as: admin},
	"/admin/settings/terms":       {as: admin},
	"/admin/settings/allegations": {as: admin},
	"/pupils/import":              {as: admin},
	"/pupils/import/{id}":         {admin, []string{"import"}},
}

// formState is a page in a state that a GET alone does not show: a form
// with every part revealed, or sent back with its problems. The sweep puts
// each in that state as its visitor (at both sizes) and runs the page
// checks on it; a form's problems must come back as 422, so no state
// changes a seeded record.
type formState struct {
	name string
	as   string
	do   func(t *testing.T, s *everyPageSchool, tab *browsertest.Tab)
}

var formStates = []formState{
	{"Report a concern, every category ticked", staff, func(t *testing.T, s *everyPageSchool, tab *browsertest.Tab) {
		tab.Go("/concerns/new")
		tab.Choose("Is the child in immediate danger?", "Yes")
		tickAll(t, tab, "What kind of concern is it? (optional)")
		for _, g := range concern.Indicators() {
			tab.Choose(g.Name, g.Indicators[0].Label)
		}
		checked(t, tab)
		submitForProblems(t, tab, "Submit concern")
	}},
	{"Report a concern without JavaScript, every category ticked", staff, func(t *testing.T, s *everyPageSchool, tab *browsertest.Tab) {
		// axe-core cannot run with scripts off; the ids, labels and names
		// can be checked, and without scripts every reveal is shown.
		tab.DisableJavaScript()
		defer tab.EnableJavaScript()
		tab.Go("/concerns/new")
		tab.ExpectWellFormedControls()
		tickAll(t, tab, "What kind of concern is it? (optional)")
		tab.Click("Submit concern")
		if tab.Status() != http.StatusUnprocessableEntity {
			t.Errorf("Submit concern without JavaScript: status %d, want 422", tab.Status())
		}
		tab.ExpectWellFormedControls()
	}},
	{"Record a decision, with problems", dsl, func(t *testing.T, s *everyPageSchool, tab *browsertest.Tab) {
		tab.Go("/concerns/" + s.ids["concern"] + "/decision")
		submitForProblems(t, tab, "Record decision")
	}},
	{"Record an action, with problems", dsl, func(t *testing.T, s *everyPageSchool, tab *browsertest.Tab) {
		tab.Go("/concerns/" + s.ids["concern"] + "/action")
		submitForProblems(t, tab, "Record action")
	}},
	{"Close a concern, with problems", dsl, func(t *testing.T, s *everyPageSchool, tab *browsertest.Tab) {
		tab.Go("/concerns/" + s.ids["concern"] + "/close")
		submitForProblems(t, tab, "Close concern")
	}},
	{"Reopen a concern, with problems", dsl, func(t *testing.T, s *everyPageSchool, tab *browsertest.Tab) {
		tab.Go("/concerns/" + s.ids["closed"] + "/reopen")
		submitForProblems(t, tab, "Reopen concern")
	}},
	{"Mark a concern entered in error, with problems", dsl, func(t *testing.T, s *everyPageSchool, tab *browsertest.Tab) {
		tab.Go("/concerns/" + s.ids["concern"] + "/entered-in-error")
		submitForProblems(t, tab, "Mark as entered in error")
	}},
	{"Close a referral chase, with problems", dsl, func(t *testing.T, s *everyPageSchool, tab *browsertest.Tab) {
		tab.Go("/tasks/" + s.ids["chase"] + "/chase")
		tab.Choose("What happened?", "No longer needed")
		submitForProblems(t, tab, "Close the chase")
	}},
	{"Who can see this concern, with problems", dsl, func(t *testing.T, s *everyPageSchool, tab *browsertest.Tab) {
		tab.Go("/concerns/" + s.ids["concern"] + "/access")
		tab.Choose("Who among the DSLs can see it?", "Only the DSLs I name")
		tickAll(t, tab, "The DSLs you name")
		tickAll(t, tab, "Exclude anyone with a conflict of interest") // the same people: a problem
		checked(t, tab)
		submitForProblems(t, tab, "Save who can see it")
	}},
	{"A child's details, with problems", dsl, func(t *testing.T, s *everyPageSchool, tab *browsertest.Tab) {
		tab.Go("/children/" + s.ids["child"] + "/details")
		tickAll(t, tab, "Flags")
		tab.Fill("Social worker", strings.Repeat("x", 501))
		submitForProblems(t, tab, "Save details")
	}},
	{"Invite a user, with problems", admin, func(t *testing.T, s *everyPageSchool, tab *browsertest.Tab) {
		tab.Go("/admin/users/invite")
		submitForProblems(t, tab, "Send invitation")
	}},
	{"Settings, with problems", admin, func(t *testing.T, s *everyPageSchool, tab *browsertest.Tab) {
		tab.Go("/admin/settings")
		tab.Fill("School name", "")
		tab.Fill("Flag a child at this many concerns", "many")
		submitForProblems(t, tab, "Save settings")
	}},
	{"Request an export, with problems", admin, func(t *testing.T, s *everyPageSchool, tab *browsertest.Tab) {
		tab.Go("/exports")
		submitForProblems(t, tab, "Request export")
	}},
}

// tickAll ticks every checkbox of the question whose legend is question.
func tickAll(t *testing.T, tab *browsertest.Tab, question string) {
	t.Helper()
	labels := browsertest.Eval[[]string](tab, `(() => {
		const norm = (s) => s.replace(/\s+/g, ' ').trim();
		const fs = [...document.querySelectorAll('fieldset')].find((f) => {
			const lg = f.querySelector(':scope > legend');
			return lg && norm(lg.textContent) === `+jsString(question)+`;
		});
		return fs ? [...fs.querySelectorAll('input[type=checkbox]')].map((el) => el.labels.length ? norm(el.labels[0].textContent) : '') : [];
	})()`)
	if len(labels) == 0 {
		t.Fatalf("no checkboxes in %q on %s", question, tab.Path())
	}
	for _, l := range labels {
		tab.Choose(question, l)
	}
}

// submitForProblems presses button, expects the form back with its
// problems (422), and checks that page.
func submitForProblems(t *testing.T, tab *browsertest.Tab, button string) {
	t.Helper()
	tab.Click(button)
	if tab.Status() != http.StatusUnprocessableEntity || !strings.Contains(tab.Text(), "There is a problem") {
		t.Errorf("%s on %s: status %d, want 422 with the problems\n%s", button, tab.Path(), tab.Status(), tab.Text())
	}
	checked(t, tab)
}

// notPages are the GET routes that answer with something other than an
// HTML page, and what they answer with.
var notPages = map[string]string{
	"/healthz":               "a plain-text probe",
	"/readyz":                "a plain-text probe",
	"/static/*":              "static files (CSS, JavaScript, images)",
	"/two-factor/qr.png":     "a PNG of the QR code (its page, /two-factor/setup, is visited)",
	"/queue/new":             "JSON: the count of new concerns, for the queue's script",
	"/queue/events":          "Server-Sent Events for the open queue page",
	"/attachments/{id}":      "a concern's file, downloaded",
	"/exports/{id}/download": "an export's file, downloaded",
	"/admin/audit":           "a redirect to /audit, the audit log's address",
	"/sar/{id}/bundle.pdf":   "a subject access bundle as PDF, downloaded (printed by Chromium)",
}

// everyPageSchool is Haven with a school holding records of every kind,
// seeded through the services as the people who make them, and the ids
// of those records by key.
type everyPageSchool struct {
	*accountsSite
	keys map[string]string // authenticator app keys by email
	ids  map[string]string
}

func newEveryPageSchool(t *testing.T) *everyPageSchool {
	t.Helper()
	ctx := context.Background()
	s := &everyPageSchool{accountsSite: newAccountsSite(t), keys: map[string]string{}, ids: map[string]string{}}
	mailing := auth.NewService(s.DB.App, s.Jobs, auth.Config{BaseURL: s.URL})
	in := func(id int64, role actor.Role) actor.Actor {
		return actor.Actor{UserID: id, SchoolID: s.school, Role: role}
	}

	sam := in(s.person(t, "sam@brookfield.test", actor.Staff), actor.Staff)
	colin := in(s.person(t, "colin@brookfield.test", actor.Staff), actor.Staff)
	dee := in(s.person(t, "dee@brookfield.test", actor.DSL), actor.DSL)
	hazel := in(s.person(t, "hazel@brookfield.test", actor.Head), actor.Head)
	ada := in(s.person(t, "ada@brookfield.test", actor.Admin), actor.Admin)
	s.person(t, "nia@brookfield.test", actor.DSL) // no authenticator app yet
	for _, p := range []actor.Actor{dee, hazel, ada} {
		var email string
		must(t, s.DB.Owner.QueryRow(ctx, `SELECT email FROM users WHERE id = $1`, p.UserID).Scan(&email))
		s.keys[email] = s.enrolled(t, p.UserID)
	}
	// Jo works in two schools, so signing in asks which.
	other, err := school.NewService(s.DB.App).Create(ctx, actor.Actor{Role: actor.System}, "castleton", "Castleton Academy")
	must(t, err)
	s.person(t, "jo@both.test", actor.Staff)
	_, err = s.auth.CreateUser(ctx, actor.SystemIn(other.ID), auth.NewUser{Email: "jo@both.test", Name: "Jo Both", Role: actor.Staff})
	must(t, err)

	y := pupil.YearGroup(8)
	kids, err := pupil.NewService(s.DB.App).AddToRoll(ctx, actor.SystemIn(s.school), []pupil.NewChild{
		{FirstName: "Amara", LastName: "Okafor", YearGroup: &y}, {FirstName: "Ben", LastName: "Okafor", YearGroup: &y}})
	must(t, err)
	amara, ben := kids[0].ID, kids[1].ID
	must(t, pupil.NewService(s.DB.App).LinkSiblings(ctx, dee, amara, ben))
	s.ids["child"] = i64(amara)
	var old int64
	must(t, s.DB.Owner.QueryRow(ctx, `INSERT INTO children (school_id, first_name, last_name, year_group, date_of_birth)
		VALUES ($1, 'Olive', 'Record', 9, '1990-04-01') RETURNING id`, s.school).Scan(&old)) // due for retention review
	s.ids["old-child"] = i64(old)

	// Concerns: one open with a decision, an action and its task; one closed; a draft.
	concerns := concern.NewService(s.DB.App, s.Jobs, s.URL)
	form := func(account string) concern.Form {
		return concern.Form{SubmissionID: concern.NewSubmissionID(), InDanger: "no",
			Children: []concern.FormChild{{ChildID: amara, Role: concern.Subject}}, Account: account,
			Happened: when.DatePartsOf(time.Now().AddDate(0, 0, -1)), Seen: when.DatePartsOf(time.Now()),
			ToldDSL: "not_yet", Categories: []string{"cse"}, Indicators: []string{"cars_unknown_adults"}}
	}
	handled := func(account string) string {
		r, err := concerns.Submit(ctx, sam, form(account))
		must(t, err)
		must(t, concerns.Acknowledge(ctx, dee, r.Ref, 1))
		v, err := concerns.Version(ctx, dee, r.Ref)
		must(t, err)
		must(t, concerns.RecordDecision(ctx, dee, r.Ref, concern.DecisionForm{Version: v, Outcome: "social_care",
			Reason: "CSE indicators", Parents: "not_told", ParentsWhyNot: "Could alert the man", ChildsWishes: "Wants it to stop"}))
		must(t, concerns.RecordAction(ctx, dee, r.Ref, concern.ActionForm{Kind: string(concern.ActionMonitoring),
			On: when.DatePartsOf(time.Now()), Note: "Tutor checks in daily", FollowUp: when.DatePartsOf(time.Now().AddDate(0, 0, 7))}))
		return r.Ref
	}
	s.ids["concern"] = handled("Amara gets into a silver car after school.")
	s.ids["closed"] = handled("Amara was collected by an unknown adult.")
	// A referral on the open concern, whose chase task "Close the chase" ends.
	must(t, concerns.RecordAction(ctx, dee, s.ids["concern"], concern.ActionForm{Kind: string(concern.ActionReferral),
		On: when.DatePartsOf(time.Now()), Note: "Referred to the front door by phone"}))
	var chase int64
	must(t, s.DB.Owner.QueryRow(ctx, `SELECT id FROM concern_tasks WHERE school_id = $1 AND kind = 'referral_chase' AND done_at IS NULL`,
		s.school).Scan(&chase))
	s.ids["chase"] = i64(chase)
	v, err := concerns.Version(ctx, dee, s.ids["closed"])
	must(t, err)
	must(t, concerns.Close(ctx, dee, s.ids["closed"], concern.CloseForm{Version: v, Summary: "Social care leading; school monitoring."}))
	draft := form("Not finished yet.")
	_, err = concerns.SaveDraft(ctx, sam, draft, false)
	must(t, err)
	s.ids["draft"] = draft.SubmissionID

	// A concern about an adult (Colin), reported by Sam: the head handles it.
	r, err := allegation.NewService(s.DB.App, s.Jobs, s.URL).Submit(ctx, sam, allegation.Form{SubmissionID: allegation.NewSubmissionID(),
		SubjectName: "Colin Colleague", SubjectRole: "Teacher", SubjectUserID: colin.UserID, Account: "Shouted at a child in the hall.",
		Happened: when.DatePartsOf(time.Now()), Location: "Hall", ChildID: amara, Kind: string(allegation.HarmThreshold)})
	must(t, err)
	s.ids["allegation"] = r.Ref

	s.ids["encompass"], err = encompass.NewService(s.DB.App).Record(ctx, dee, encompass.Form{ChildID: amara,
		NotifiedOn: when.DatePartsOf(time.Now()), Details: "Police attended a domestic incident.", Support: "Check-in with the tutor."})
	must(t, err)

	recs := records.NewService(s.DB.App, s.Jobs, s.URL)
	export, err := recs.RequestExport(ctx, dee, records.Request{Format: records.CSV, Reason: "Inspection"})
	must(t, err)
	s.ids["export"] = export.PublicID
	transfer, err := recs.StartTransfer(ctx, dee, amara, records.TransferForm{DestinationSchool: "Riverside Academy",
		DestinationDSL: "Rae Ceiver", DestinationEmail: "rae@riverside.test", LeftOn: time.Now().AddDate(0, 0, -1)})
	must(t, err)
	s.ids["transfer"] = i64(transfer.ID)
	s.ids["receipt-token"], err = recs.MarkSent(ctx, dee, transfer.ID, records.SendForm{File: string(records.ByHand),
		How: "Handed to their DSL", Reason: "Their DSL collected it in person"})
	must(t, err)
	sar, err := recs.StartSAR(ctx, dee, amara, records.SARForm{RequesterKind: "parent", RequesterName: "Mrs Okafor",
		ReceivedOn: time.Now().AddDate(0, 0, -2), DPLUserID: ada.UserID})
	must(t, err)
	s.ids["sar"] = i64(sar)
	// A file received from another Haven: its import takes a signed
	// package, so the row is put in as the owner.
	var received int64
	must(t, s.DB.Owner.QueryRow(ctx, `INSERT INTO received_files (school_id, child_id, from_school, child_name, package, imported_by)
		VALUES ($1, $2, 'Old School', 'Amara Okafor', '{}', $3) RETURNING id`, s.school, amara, dee.UserID).Scan(&received))
	s.ids["received"] = i64(received)
	preview, err := pupil.NewService(s.DB.App).StageImport(ctx, ada, "roll.csv",
		[]byte("Forename,Surname,DOB,Year,UPN\nIvo,Stone,01/02/2013,8,A123456789013\n"))
	must(t, err)
	s.ids["import"] = i64(preview.ID)

	// A role request, an invitation and links to set or reset a password.
	_, err = s.auth.ChangeRole(ctx, ada, colin.UserID, actor.DSL, true)
	must(t, err)
	s.ids["user"] = i64(colin.UserID)
	_, err = mailing.Invite(ctx, ada, auth.Invite{Email: "new@brookfield.test", Name: "Dana Lee", Role: actor.Staff})
	must(t, err)
	s.ids["invitation-token"] = s.emailedToken(t, "new@brookfield.test", "/invitations/")
	must(t, mailing.RequestPasswordReset(ctx, actor.Source{ClientIP: "192.0.2.9"}, "colin@brookfield.test"))
	s.ids["reset-token"] = s.emailedToken(t, "colin@brookfield.test", "/reset-password/")
	link, err := s.auth.SetPasswordLink(ctx, actor.SystemIn(s.school), colin.UserID)
	must(t, err)
	_, s.ids["set-token"], _ = strings.Cut(link, "/set-password/")
	return s
}

// emailedToken is the token of the link starting with prefix in the email
// queued for to.
func (s *everyPageSchool) emailedToken(t *testing.T, to, prefix string) string {
	t.Helper()
	var text string
	must(t, s.DB.Owner.QueryRow(context.Background(), `SELECT args->>'text' FROM river_job
		WHERE kind = 'email' AND args->>'to' = $1 ORDER BY id DESC LIMIT 1`, to).Scan(&text))
	m := regexp.MustCompile(regexp.QuoteMeta(prefix) + `([A-Za-z0-9_-]+)`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no %s link in the email to %s:\n%s", prefix, to, text)
	}
	return m[1]
}

// path puts the seeded ids of p into pattern.
func (s *everyPageSchool) path(t *testing.T, pattern string, p page) string {
	t.Helper()
	parts := strings.Split(pattern, "/")
	n := 0
	for i, part := range parts {
		if !strings.HasPrefix(part, "{") {
			continue
		}
		if n >= len(p.ids) {
			t.Fatalf("%s: no seeded record for %s", pattern, part)
		}
		id, ok := s.ids[p.ids[n]]
		if !ok || id == "" {
			t.Fatalf("%s: nothing seeded as %q", pattern, p.ids[n])
		}
		parts[i] = id
		n++
	}
	return strings.Join(parts, "/")
}

// TestEveryPageIsAccessible visits every GET route of the router that
// renders an HTML page, as someone the route table lets in, with ids
// of a school's seeded records, at the narrowest phone (320 px) and desktop
// sizes, and runs the page checks on each: axe-core, the ids, labels and
// accessible names of its controls (ExpectWellFormedControls, which axe 4.x
// no longer checks), the browser's errors, and no sideways scrolling of the
// page. Then it puts the forms in formStates in their other states (every
// part revealed, their problems shown) and checks those too. A GET route
// that is neither in pages nor in notPages fails the test: say how to visit it.
func TestEveryPageIsAccessible(t *testing.T) {
	s := newEveryPageSchool(t)

	routes, ok := s.Web.Routes().(chi.Routes)
	if !ok {
		t.Fatal("Routes does not return a chi.Routes")
	}
	var gets []string
	must(t, chi.Walk(routes, func(method, pattern string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if method == http.MethodGet {
			gets = append(gets, pattern)
		}
		return nil
	}))
	for _, pattern := range gets {
		p, visited := pages[pattern]
		_, skipped := notPages[pattern]
		switch {
		case visited && skipped:
			t.Errorf("GET %s is both in pages and in notPages", pattern)
		case !visited && !skipped:
			t.Errorf("GET %s is not visited: add it to pages (who sees it, with which seeded ids) or, if it is no HTML page, to notPages with what it is", pattern)
		case visited:
			v := visitors[p.as]
			if rule, _ := web.RuleFor(http.MethodGet, pattern); !rule.Allows(v.stage, v.role) {
				t.Errorf("GET %s: the route table does not let %s in", pattern, p.as)
			}
		}
	}
	for pattern := range pages {
		if !slices.Contains(gets, pattern) {
			t.Errorf("pages lists %s, which is no GET route", pattern)
		}
	}
	for pattern := range notPages {
		if !slices.Contains(gets, pattern) {
			t.Errorf("notPages lists %s, which is no GET route", pattern)
		}
	}
	if t.Failed() {
		return
	}

	byVisitor := map[string][]string{}
	for pattern, p := range pages {
		byVisitor[p.as] = append(byVisitor[p.as], pattern)
	}
	for _, patterns := range byVisitor {
		slices.Sort(patterns)
	}
	visit := func(t *testing.T, tab *browsertest.Tab, as string) {
		t.Helper()
		for _, pattern := range byVisitor[as] {
			tab.Go(s.path(t, pattern, pages[pattern]))
			if tab.Status() != http.StatusOK {
				t.Errorf("%s: GET %s = %d, want 200\n%s", as, tab.Path(), tab.Status(), tab.Text())
			}
			checked(t, tab)
			tab.ExpectNoPageOverflow()
			expectNoRunTogetherLabels(t, tab)
		}
	}
	// The narrowest phone (320 px, WCAG reflow) and a desktop.
	for i, vp := range []browsertest.Viewport{browsertest.SmallPhone, browsertest.Desktop} {
		t.Run(vp.Name, func(t *testing.T) {
			for _, as := range visitorOrder {
				v := visitors[as]
				tab := browsertest.NewTab(t, s.URL)
				tab.SetViewport(vp)
				if v.email != "" {
					signInWith(tab, v.email, journeyPassword)
				}
				if key, ok := s.keys[v.email]; ok {
					if as == dsl {
						visit(t, tab, secondStep)
					}
					tab.Go("/sign-in/security-code")
					// The enrolment used the previous step's code: this
					// step's signs in first, the next step's second.
					tab.Fill("Security code", codeAt(t, key, time.Duration(i)*30*time.Second))
					tab.Click("Continue")
				}
				visit(t, tab, as)
				if !vp.Mobile && browsertest.Eval[int](tab, navRows) > 1 {
					t.Errorf("%s: the menu's links take more than one row at %d px", as, vp.Width)
				}
				// Not subtests: the tab belongs to this test, and fails it.
				for _, st := range formStates {
					if st.as == as {
						t.Logf("%s: %s", as, st.name)
						st.do(t, s, tab)
					}
				}
			}
		})
	}
}
