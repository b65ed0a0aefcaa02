package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/havenschools/haven/internal/concern"
)

// FuzzReadConcernForm posts arbitrary bodies to the "Report a concern"
// form's reader: it must never panic, must read what was typed as typed
// (nothing dropped or invented, so the domain's checks see it all), and
// must keep within the form's limits on children and body-map rows. The
// seed corpus is in testdata/fuzz/FuzzReadConcernForm; `make fuzz` runs it.
func FuzzReadConcernForm(f *testing.F) {
	f.Add("submission_id=0f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b&in_danger=no&child-0-id=12&child-0-role=subject&account=She+said&action=submit")
	f.Add("child-0-id=-1&child-0-description=%3Cscript%3Ealert(1)%3C%2Fscript%3E&child-1-id=x&mark-0-region=head&mark-0-note=%00")
	f.Add("account=%E2%80%AEevil&location=%27%3B+DROP+TABLE+concerns%3B--&happened-day=31&happened-month=2&happened-year=2026")
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest(http.MethodPost, "/concerns", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if err := r.ParseForm(); err != nil {
			return // refused before the form is read
		}
		in := readConcernForm(r)
		v := r.PostForm
		for field, got := range map[string]string{
			concern.FieldAccount: in.Form.Account, concern.FieldChildsWords: in.Form.ChildsWords,
			concern.FieldLocation: in.Form.Location, concern.FieldActions: in.Form.ActionsTaken,
			concern.FieldInDanger: in.Form.InDanger, "submission_id": in.Form.SubmissionID,
			concern.FieldHappened + "-day": in.Form.Happened.Day, concern.FieldSeen + "-year": in.Form.Seen.Year,
		} {
			if got != v.Get(field) {
				t.Fatalf("%s read as %q, typed %q", field, got, v.Get(field))
			}
		}
		if len(in.Form.Children) > concern.MaxChildren || len(in.Form.BodyMarks) > concern.MaxBodyMarks {
			t.Fatalf("%d children and %d body-map rows: over the form's limits", len(in.Form.Children), len(in.Form.BodyMarks))
		}
		for i, c := range in.Form.Children {
			if c.ChildID != 0 && c.Description != "" {
				t.Fatalf("child %d is both a chosen child (%d) and a description %q", i, c.ChildID, c.Description)
			}
			if string(c.Role) != v.Get(concern.ChildField(i)+"-role") {
				t.Fatalf("child %d's role read as %q", i, c.Role)
			}
		}
	})
}
