package concern_test

import (
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/havenschools/haven/internal/concern"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/db/dbtest"
	"github.com/havenschools/haven/internal/validate"
	"github.com/havenschools/haven/internal/when"
)

func TestSubmit(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()

	t.Run("stores the concern, its children with their roles, indicators and body map, and audits it", func(t *testing.T) {
		form := validForm(f.amara.ID)
		form.Children = append(form.Children,
			concern.FormChild{ChildID: f.ben.ID, Role: concern.AllegedHarmer},
			concern.FormChild{Description: "Girl in a Northfield uniform, about 14", Role: concern.Witness})
		form.Categories = []string{"cse", "cse"}
		form.Indicators = []string{"much_older_partner", "cars_unknown_adults"}
		form.BodyMarks = []concern.BodyMark{{Region: "forearm_left", Side: "front", Note: "bruise, thumb-sized"}, {}}
		if _, err := f.svc.SaveDraft(ctx, f.staff, form, false); err != nil {
			t.Fatal(err)
		}
		r, err := f.svc.Submit(ctx, f.staff, form)
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^C-20\d\d-000001$`).MatchString(r.Ref) || r.Again || r.InDanger {
			t.Errorf("receipt = %+v, want the school's first reference", r)
		}
		roles := rows(t, f, `SELECT coalesce(ch.first_name, cc.description) || ':' || cc.role
			FROM concern_children cc JOIN concerns c ON c.id = cc.concern_id LEFT JOIN children ch ON ch.id = cc.child_id
			WHERE c.ref = $1 ORDER BY cc.position`, r.Ref)
		if want := "Amara:subject Ben:alleged_harmer Girl in a Northfield uniform, about 14:witness"; roles != want {
			t.Errorf("children = %q, want %q", roles, want)
		}
		if got := rows(t, f, `SELECT ch.first_name || ':' || i.code FROM concern_indicators i
			JOIN children ch ON ch.id = i.child_id ORDER BY i.id`); got != "Amara:much_older_partner Amara:cars_unknown_adults" {
			t.Errorf("indicators = %q: they belong to the child the concern is about, and no one else", got)
		}
		if got := rows(t, f, `SELECT region || ':' || side || ':' || note FROM concern_body_marks`); got != "forearm_left:front:bruise, thumb-sized" {
			t.Errorf("body marks = %q", got)
		}
		if got := rows(t, f, `SELECT array_to_string(categories, ',') FROM concerns WHERE ref = $1`, r.Ref); got != "cse" {
			t.Errorf("categories = %q, want cse once", got)
		}
		if n := dbtest.Count(t, f.db.Owner, "concern_drafts"); n != 0 {
			t.Errorf("drafts = %d, want the draft deleted by the submission", n)
		}
		details := rows(t, f, `SELECT details FROM audit_events WHERE action = 'concern.submit' AND subject_id = $1`, r.Ref)
		if details == "" || strings.Contains(details, "Amara") || strings.Contains(details, "silver car") || strings.Contains(details, "cse") {
			t.Errorf("audit details = %q: one event, with no name, text or category", details)
		}
	})

	t.Run("a concern in immediate danger is marked and its emails say urgent", func(t *testing.T) {
		form := validForm(f.cara.ID)
		form.InDanger = "yes"
		r, err := f.svc.Submit(ctx, f.staff2, form)
		if err != nil {
			t.Fatal(err)
		}
		if !r.InDanger {
			t.Errorf("receipt = %+v, want InDanger", r)
		}
		subjects := rows(t, f, `SELECT DISTINCT args ->> 'subject' FROM river_job WHERE args ->> 'text' LIKE '%' || $1 || '%'`, r.Ref)
		if subjects != "URGENT: new safeguarding concern — immediate danger" {
			t.Errorf("subjects = %q", subjects)
		}
	})

	t.Run("each DSL and deputy gets an email with a link and nothing of the concern", func(t *testing.T) {
		form := validForm(f.amara.ID)
		form.Categories = []string{"neglect"}
		r, err := f.svc.Submit(ctx, f.staff, form)
		if err != nil {
			t.Fatal(err)
		}
		to := rows(t, f, `SELECT args ->> 'to' FROM river_job WHERE kind = 'email' AND args ->> 'text' LIKE '%' || $1 || '%' ORDER BY id`, r.Ref)
		if to != "dsl@st-aidans.test deputy@st-aidans.test" {
			t.Errorf("emails to %q, want the DSL and the deputy only", to)
		}
		all := rows(t, f, `SELECT args::text FROM river_job WHERE kind = 'email'`)
		for _, secret := range []string{"Amara", "Okafor", "silver car", "He buys me things", "corridor", "neglect", "Neglect"} {
			if strings.Contains(all, secret) {
				t.Errorf("an email job holds %q: %s", secret, all)
			}
		}
		if !strings.Contains(all, "https://haven.example.test/concerns/"+r.Ref) {
			t.Errorf("emails %s lack the link", all)
		}
	})

	t.Run("problems are reported by field, and nothing is stored", func(t *testing.T) {
		before := dbtest.Count(t, f.db.Owner, "concerns")
		form := validForm(f.amara.ID)
		form.InDanger = ""
		form.Account = "   "
		form.Happened = when.DatePartsOf(mustDate(t, today()).AddDate(0, 0, 1))
		form.Seen = when.DateParts{Day: "31", Month: "4", Year: "2026"}
		form.ToldDSL = "yes"
		form.Categories = []string{"made_up"}
		form.Indicators = []string{"not_an_indicator"}
		_, err := f.svc.Submit(ctx, f.staff, form)
		p, ok := errors.AsType[validate.Problems](err)
		if !ok {
			t.Fatalf("err = %v, want problems", err)
		}
		want := map[string]string{
			concern.FieldInDanger:   "Select yes if the child is in immediate danger",
			concern.FieldAccount:    "Enter what happened",
			concern.FieldHappened:   "The date it happened must be today or in the past",
			concern.FieldSeen:       "The date you saw or heard it must be a real date",
			concern.FieldToldDSLWho: "Enter which DSL you told",
			concern.FieldCategories: "Choose from the list of kinds of concern",
			concern.FieldIndicators: "Choose from the list of indicators",
		}
		for field, msg := range want {
			if p[field] != msg {
				t.Errorf("problem %s = %q, want %q", field, p[field], msg)
			}
		}
		if n := dbtest.Count(t, f.db.Owner, "concerns"); n != before {
			t.Errorf("concerns = %d, want %d", n, before)
		}
	})

	t.Run("a child must be named, or described when not known, and the concern be about one of them", func(t *testing.T) {
		form := validForm(f.amara.ID)
		form.Children = nil
		_, err := f.svc.Submit(ctx, f.staff, form)
		if p, _ := errors.AsType[validate.Problems](err); p[concern.FieldChild] == "" {
			t.Errorf("no child: problems %v", p)
		}
		form.Children = []concern.FormChild{{Role: concern.Subject}, {ChildID: f.ben.ID, Role: concern.Witness}, {ChildID: f.ben.ID, Role: "boss"}}
		_, err = f.svc.Submit(ctx, f.staff, form)
		p, _ := errors.AsType[validate.Problems](err)
		if p[concern.ChildField(0)] != "Describe the child who is not known" || p[concern.ChildField(2)] == "" {
			t.Errorf("problems %v", p)
		}
		form.Children = []concern.FormChild{{ChildID: f.ben.ID, Role: concern.Witness}}
		_, err = f.svc.Submit(ctx, f.staff, form)
		if p, _ := errors.AsType[validate.Problems](err); p[concern.FieldChild] != "Select which child the concern is about" {
			t.Errorf("problems %v", p)
		}
		form.Children = []concern.FormChild{{ChildID: 999999, Role: concern.Subject}}
		_, err = f.svc.Submit(ctx, f.staff, form)
		if p, _ := errors.AsType[validate.Problems](err); p[concern.ChildField(0)] == "" {
			t.Errorf("a child of no school: problems %v", p)
		}
	})

	t.Run("indicators need one child the concern is about", func(t *testing.T) {
		form := validForm(f.amara.ID)
		form.Children = append(form.Children, concern.FormChild{ChildID: f.ben.ID, Role: concern.Subject})
		form.Indicators = []string{"missing"}
		_, err := f.svc.Submit(ctx, f.staff, form)
		if p, _ := errors.AsType[validate.Problems](err); p[concern.FieldIndicators] == "" {
			t.Errorf("problems %v, want one for indicators", p)
		}
	})

	t.Run("on behalf of is kept for a DSL and ignored for staff", func(t *testing.T) {
		form := validForm(f.amara.ID)
		form.OnBehalfOf = "Mrs Patel (lunchtime supervisor), by phone"
		r, err := f.svc.Submit(ctx, f.dsl, form)
		if err != nil {
			t.Fatal(err)
		}
		form2 := validForm(f.amara.ID)
		form2.OnBehalfOf = "Somebody else"
		r2, err := f.svc.Submit(ctx, f.staff, form2)
		if err != nil {
			t.Fatal(err)
		}
		if got := rows(t, f, `SELECT ref || '=' || on_behalf_of FROM concerns WHERE ref IN ($1, $2) ORDER BY id`, r.Ref, r2.Ref); got != r.Ref+"=Mrs Patel (lunchtime supervisor), by phone "+r2.Ref+"=" {
			t.Errorf("on behalf of: %q", got)
		}
	})
}

func TestSubmitIsIdempotent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	form := validForm(f.amara.ID)

	const n = 20
	receipts := make([]concern.Receipt, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			receipts[i], errs[i] = f.svc.Submit(ctx, f.staff, form)
		})
	}
	close(start)
	wg.Wait()

	again := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("submission %d: %v", i, errs[i])
		}
		if receipts[i].Ref != receipts[0].Ref {
			t.Errorf("submission %d got %s, submission 0 got %s", i, receipts[i].Ref, receipts[0].Ref)
		}
		if receipts[i].Again {
			again++
		}
	}
	if again != n-1 {
		t.Errorf("%d receipts say Again, want %d", again, n-1)
	}
	if c := dbtest.Count(t, f.db.Owner, "concerns"); c != 1 {
		t.Errorf("concerns = %d, want 1", c)
	}
	if c := dbtest.Count(t, f.db.Owner, "audit_events WHERE action = 'concern.submit'"); c != 1 {
		t.Errorf("submit audit events = %d, want 1", c)
	}
	if c := dbtest.Count(t, f.db.Owner, "river_job WHERE kind = 'email'"); c != 2 {
		t.Errorf("emails = %d, want 2 (the DSL and the deputy, once)", c)
	}

	t.Run("the next concern takes the next reference", func(t *testing.T) {
		r, err := f.svc.Submit(ctx, f.staff, validForm(f.ben.ID))
		if err != nil {
			t.Fatal(err)
		}
		if want := strings.Replace(receipts[0].Ref, "000001", "000002", 1); r.Ref != want {
			t.Errorf("ref = %s, want %s", r.Ref, want)
		}
	})

	t.Run("someone else sending the same form finds nothing", func(t *testing.T) {
		if _, err := f.svc.Submit(ctx, f.staff2, form); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("err = %v, want db.ErrNotFound", err)
		}
		if _, err := f.svc.BySubmission(ctx, f.staff2, form.SubmissionID); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("BySubmission: err = %v, want db.ErrNotFound", err)
		}
	})

	t.Run("its author can check that it arrived", func(t *testing.T) {
		r, err := f.svc.BySubmission(ctx, f.staff, form.SubmissionID)
		if err != nil || r.Ref != receipts[0].Ref {
			t.Errorf("BySubmission = %+v, %v", r, err)
		}
	})

	t.Run("a form Haven did not mint is refused", func(t *testing.T) {
		bad := validForm(f.amara.ID)
		bad.SubmissionID = "1; DROP TABLE concerns"
		if _, err := f.svc.Submit(ctx, f.staff, bad); !errors.Is(err, concern.ErrBadSubmission) {
			t.Errorf("err = %v", err)
		}
	})
}

// rows runs a query on the owner pool and joins its single text column with spaces.
func rows(t *testing.T, f *fixture, sql string, args ...any) string {
	t.Helper()
	r, err := f.db.Owner.Query(t.Context(), sql, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []string
	for r.Next() {
		var s string
		if err := r.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(out, " ")
}
