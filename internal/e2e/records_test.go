package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/browsertest"
)

// TestExportWithApproval is an admin's export as people do it: the admin
// asks with a reason and waits, a DSL approves it from the Exports page,
// the admin's page follows the progress to "Ready to download" on its own
// (JavaScript) and the file downloads — every page without axe violations.
func TestExportWithApproval(t *testing.T) {
	s := newAccountsSite(t)
	adminKey := s.enrolled(t, s.person(t, "admin@brookfield.test", actor.Admin))
	dslKey := s.enrolled(t, s.person(t, "dsl@brookfield.test", actor.DSL))
	staff := s.person(t, "sam@brookfield.test", actor.Staff)
	ctx := context.Background()
	var child, concern int64
	if err := s.DB.Owner.QueryRow(ctx, `INSERT INTO children (school_id, first_name, last_name, year_group)
		VALUES ($1, 'Amara', 'Okafor', 9) RETURNING id`, s.school).Scan(&child); err != nil {
		t.Fatal(err)
	}
	if err := s.DB.Owner.QueryRow(ctx, `INSERT INTO concerns (school_id, ref, submission_id, recorded_by, happened_on, seen_on,
			account, told_dsl, in_danger, categories) VALUES ($1, 'C-2026-000001', gen_random_uuid(), $2, '2026-10-05',
			'2026-10-05', 'She said an older man picks her up after school.', 'not_yet', false, '{cse}') RETURNING id`,
		s.school, staff).Scan(&concern); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB.Owner.Exec(ctx, `INSERT INTO concern_children (school_id, concern_id, position, child_id, role)
		VALUES ($1, $2, 0, $3, 'subject')`, s.school, concern, child); err != nil {
		t.Fatal(err)
	}
	// A code is used once: the second viewport signs in with the app's
	// next code (one step ahead is allowed).
	signIn := func(t *testing.T, vp browsertest.Viewport, email, key string, step int) *browsertest.Tab {
		tab := browsertest.NewTab(t, s.URL)
		tab.SetViewport(vp)
		signInWith(tab, email, journeyPassword)
		tab.Fill("Security code", codeAt(t, key, time.Duration(step)*30*time.Second))
		tab.Click("Continue")
		return tab
	}

	for i, vp := range viewports {
		t.Run(vp.Name, func(t *testing.T) {
			admin := signIn(t, vp, "admin@brookfield.test", adminKey, i)
			if vp.Mobile {
				admin.Click("Menu")
			}
			admin.Click("Exports")
			expectHeading(t, admin, "Exports")
			checked(t, admin)

			admin.Click("Request export")
			expectHeading(t, admin, "Exports")
			if !strings.Contains(admin.Text(), "There is a problem") {
				t.Fatalf("a request without a reason was accepted:\n%s", admin.Text())
			}
			checked(t, admin)
			admin.Choose("Format", "Excel workbook (XLSX)")
			admin.Fill("Why do you need this export?", "Ofsted inspection "+vp.Name)
			admin.Click("Request export")
			expectHeading(t, admin, "Export")
			if !strings.Contains(admin.Text(), "Waiting for approval") {
				t.Fatalf("the admin's export does not wait for approval:\n%s", admin.Text())
			}
			checked(t, admin)
			exportPath := admin.Path()

			dsl := signIn(t, vp, "dsl@brookfield.test", dslKey, i)
			dsl.Go("/exports")
			if !strings.Contains(dsl.Text(), "Waiting for your approval") {
				t.Fatalf("the DSL's exports page:\n%s", dsl.Text())
			}
			checked(t, dsl)
			dsl.Go(exportPath)
			checked(t, dsl)
			dsl.Click("Approve export")
			if !strings.Contains(dsl.Text(), "Export approved") {
				t.Errorf("after approving:\n%s", dsl.Text())
			}

			// The admin's page, left open, follows the job to the end by itself.
			admin.WaitUntil(`document.querySelector('#export-progress a.govuk-button') !== null ||
				document.getElementById('export-progress').dataset.status === 'ready'`)
			if !strings.Contains(admin.Text(), "Download haven-concerns-") {
				admin.Go(exportPath)
			}
			if !strings.Contains(admin.Text(), "Download haven-concerns-") {
				t.Fatalf("no download after approval:\n%s", admin.Text())
			}
			checked(t, admin)
			got := browsertest.Eval[string](admin, `fetch(document.querySelector('#export-progress a.govuk-button').href)
				.then(r => r.arrayBuffer().then(b => r.status + ' ' + r.headers.get('content-type') + ' ' + b.byteLength))`)
			if !strings.HasPrefix(got, "200 application/vnd.openxmlformats-officedocument.spreadsheetml.sheet ") || strings.HasSuffix(got, " 0") {
				t.Errorf("the download: %s", got)
			}
			dsl.Go("/exports")
			if !strings.Contains(dsl.Text(), "1, last") {
				t.Errorf("the DSL team does not see the download:\n%s", dsl.Text())
			}
			checked(t, dsl)
		})
	}
}
