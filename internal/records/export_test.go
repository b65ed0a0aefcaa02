package records_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/xuri/excelize/v2"

	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/db/dbtest"
	"github.com/havenschools/haven/internal/records"
	"github.com/havenschools/haven/internal/testenv"
	"github.com/havenschools/haven/internal/validate"
)

func TestNeutralise(t *testing.T) {
	for in, want := range map[string]string{
		"=1+1":               "'=1+1",
		"+44 1632 960000":    "'+44 1632 960000",
		"-2":                 "'-2",
		"@SUM(A1)":           "'@SUM(A1)",
		"\tcmd":              "'\tcmd",
		"\rcmd":              "'\rcmd",
		"She said = is fine": "She said = is fine",
		"":                   "",
		"'already":           "'already",
		"Okafor":             "Okafor",
	} {
		if got := records.Neutralise(in); got != want {
			t.Errorf("Neutralise(%q) = %q, want %q", in, got, want)
		}
	}
}

// hostile are cell values a spreadsheet would run as formulas.
var hostile = []string{`=HYPERLINK("http://evil.test","click")`, "+1+1", "-1+1", "@SUM(1,1)", "\t=1", "\r=1"}

// hostileFixture stores a concern whose every free-text field starts with
// a formula, with a decision and an action, and returns the fixture.
func hostileFixture(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.db.Owner.Exec(ctx, `UPDATE users SET name = '=cmd|'' /C calc''!A0' WHERE id = $1`, f.staff.UserID); err != nil {
		t.Fatal(err)
	}
	id := dbtest.MustConcern(t, f.db.Owner, f.staff, f.amara.ID, dbtest.Concern{Account: hostile[0], ChildsWords: hostile[1], Location: hostile[2]})
	mustDecision(t, f.db.Owner, f.dsl, id, hostile[3])
	mustAction(t, f.db.Owner, f.dsl, id, hostile[4])
	dbtest.MustConcern(t, f.db.Owner, f.staff, f.ben.ID, dbtest.Concern{Account: hostile[5]})
	return f
}

func checkNeutralised(t *testing.T, where string, cells [][]string) {
	t.Helper()
	for r, row := range cells {
		for c, v := range row {
			if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
				t.Errorf("%s row %d column %d starts with a formula character: %q", where, r+1, c+1, v)
			}
		}
	}
	joined := ""
	for _, row := range cells {
		joined += strings.Join(row, "|") + "\n"
	}
	for _, h := range hostile {
		if !strings.Contains(joined, "'"+h) {
			t.Errorf("%s lacks the neutralised cell %q", where, "'"+h)
		}
	}
}

// checkTextCells checks an XLSX export shows every hostile value as typed,
// with no apostrophe, and that every cell starting with a formula character
// is an inline string in the text number format (never a formula): the
// quote prefix on that format is checked in the package's own xlsx tests.
func checkTextCells(t *testing.T, x *excelize.File, cells [][]string) {
	t.Helper()
	joined := ""
	for r, row := range cells {
		joined += strings.Join(row, "|") + "\n"
		for c, v := range row {
			if v == "" || !strings.ContainsRune("=+-@\t\r", rune(v[0])) {
				continue
			}
			axis, _ := excelize.CoordinatesToCellName(c+1, r+1)
			if typ, _ := x.GetCellType("Concerns", axis); typ != excelize.CellTypeInlineString {
				t.Errorf("XLSX %s (%q) has type %v, want an inline string", axis, v, typ)
			}
			if f, _ := x.GetCellFormula("Concerns", axis); f != "" {
				t.Errorf("XLSX %s holds the formula %q", axis, f)
			}
			id, _ := x.GetCellStyle("Concerns", axis)
			if s, err := x.GetStyle(id); err != nil || s.NumFmt != 49 {
				t.Errorf("XLSX %s (%q) is not a text cell (number format 49): %+v, %v", axis, v, s, err)
			}
		}
	}
	for _, h := range hostile {
		if strings.Contains(joined, "'"+h) || !strings.Contains(joined, h) {
			t.Errorf("XLSX does not show %q as typed", h)
		}
	}
}

func TestCSVExportNeutralisesFormulas(t *testing.T) {
	t.Parallel()
	f := hostileFixture(t)
	e, err := f.svc.RequestExport(t.Context(), f.dsl, records.Request{Format: records.CSV, Reason: "Ofsted inspection"})
	if err != nil {
		t.Fatal(err)
	}
	file := f.exportFile(t, f.dsl, e)
	if !bytes.HasPrefix(file, []byte("\xEF\xBB\xBF")) {
		t.Fatalf("the CSV has no UTF-8 byte-order mark: % x", file[:min(8, len(file))])
	}
	r := csv.NewReader(bytes.NewReader(file[3:]))
	cells, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := cells[0][0]; got != "Record" {
		t.Errorf("header starts %q", got)
	}
	// Go's CSV writer drops a lone carriage return when lines end in CRLF:
	// without the apostrophe, "\r=1" would reach the file as the formula "=1".
	for i, row := range cells {
		for j, v := range row {
			if v == "'=1" {
				cells[i][j] = "'\r=1"
			}
		}
	}
	checkNeutralised(t, "CSV", cells)
	// Concern, decision and action of the first concern, then the second concern.
	var kinds []string
	for _, row := range cells[1:] {
		kinds = append(kinds, row[0])
	}
	if got := strings.Join(kinds, ","); got != "Concern,Decision,Action,Concern" {
		t.Errorf("rows are %s", got)
	}
	if got := cells[1][2]; got != "05/10/2026" {
		t.Errorf("the concern's date is %q, want 05/10/2026 (DD/MM/YYYY)", got)
	}
	if !strings.Contains(cells[1][5], "Amara Okafor") {
		t.Errorf("children cell %q lacks the child", cells[1][5])
	}
}

func TestXLSXExportNeutralisesFormulasAndTypesDates(t *testing.T) {
	t.Parallel()
	f := hostileFixture(t)
	e, err := f.svc.RequestExport(t.Context(), f.head, records.Request{Format: records.XLSX, Reason: "Governors' review"})
	if err != nil {
		t.Fatal(err)
	}
	file := f.exportFile(t, f.head, e)
	x, err := excelize.OpenReader(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	cells, err := x.GetRows("Concerns")
	if err != nil {
		t.Fatal(err)
	}
	checkTextCells(t, x, cells)
	for _, axis := range []string{"B2", "F2", "M2"} {
		if formula, _ := x.GetCellFormula("Concerns", axis); formula != "" {
			t.Errorf("%s holds a formula %q", axis, formula)
		}
	}
	raw, err := x.GetCellValue("Concerns", "C2", excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	if raw != "46300" { // 5 October 2026 as an Excel date serial
		t.Errorf("C2 raw value %q, want the date serial 46300", raw)
	}
	shown, _ := x.GetCellValue("Concerns", "C2")
	if shown != "05/10/2026" {
		t.Errorf("C2 shows %q, want 05/10/2026", shown)
	}
}

func TestJSONExportValidatesAgainstItsSchema(t *testing.T) {
	t.Parallel()
	f := hostileFixture(t)
	dbtest.MustConcern(t, f.db.Owner, f.staff, f.ben.ID, dbtest.Concern{Status: "closed", Categories: []string{"neglect"}})
	e, err := f.svc.RequestExport(t.Context(), f.dsl, records.Request{Format: records.JSON, Reason: "Move to a new system",
		Filter: records.Filter{From: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), Category: "cse"}})
	if err != nil {
		t.Fatal(err)
	}
	file := f.exportFile(t, f.dsl, e)
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	schemaFile, err := os.Open(filepath.Join(root, "docs", "export-format.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer schemaFile.Close()
	doc, err := jsonschema.UnmarshalJSON(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("export-format.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile("export-format.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(file))
	if err != nil {
		t.Fatalf("the export is not JSON: %v\n%s", err, file)
	}
	if err := schema.Validate(inst); err != nil {
		t.Fatalf("the export does not validate: %v\n%s", err, file)
	}
	var got struct {
		Version  int `json:"version"`
		Total    int `json:"total"`
		Concerns []struct {
			Ref       string            `json:"reference"`
			Decisions []json.RawMessage `json:"decisions"`
			Actions   []json.RawMessage `json:"actions"`
		} `json:"concerns"`
	}
	if err := json.Unmarshal(file, &got); err != nil {
		t.Fatal(err)
	}
	if got.Version != 1 || got.Total != 2 || len(got.Concerns) != 2 || len(got.Concerns[0].Decisions) != 1 || len(got.Concerns[0].Actions) != 1 {
		t.Errorf("got version %d, total %d, %d concerns (the neglect one filtered out), first with %d decisions and %d actions",
			got.Version, got.Total, len(got.Concerns), len(got.Concerns[0].Decisions), len(got.Concerns[0].Actions))
	}

	// A document that breaks the schema is refused, so the check can fail.
	bad := bytes.Replace(file, []byte(`"version":1`), []byte(`"version":"1"`), 1)
	badInst, _ := jsonschema.UnmarshalJSON(bytes.NewReader(bad))
	if schema.Validate(badInst) == nil {
		t.Error("a version given as a string validates")
	}
}

func TestWhoMayExport(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	dbtest.MustConcern(t, f.db.Owner, f.staff, f.amara.ID, dbtest.Concern{})

	t.Run("staff may not", func(t *testing.T) {
		_, err := f.svc.RequestExport(ctx, f.staff, records.Request{Format: records.CSV, Reason: "curious"})
		if !errors.Is(err, records.ErrForbidden) {
			t.Errorf("staff export: %v, want ErrForbidden", err)
		}
	})
	t.Run("a reason is needed", func(t *testing.T) {
		_, err := f.svc.RequestExport(ctx, f.dsl, records.Request{Format: records.CSV, Reason: "  "})
		p, ok := errors.AsType[validate.Problems](err)
		if !ok || p["reason"] == "" {
			t.Errorf("no reason: %v", err)
		}
	})

	var adminExport records.Export
	t.Run("an admin's export waits for approval", func(t *testing.T) {
		var err error
		adminExport, err = f.svc.RequestExport(ctx, f.admin, records.Request{Format: records.CSV, Reason: "Subject access request"})
		if err != nil {
			t.Fatal(err)
		}
		if adminExport.Status != records.AwaitingApproval {
			t.Fatalf("status %s, want awaiting approval", adminExport.Status)
		}
		if err := f.svc.RunExport(ctx, f.school, adminExport.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Open(ctx, f.admin, adminExport.PublicID); !errors.Is(err, records.ErrNotReady) {
			t.Errorf("download before approval: %v, want ErrNotReady", err)
		}
		if err := f.svc.DecideExport(ctx, f.admin, adminExport.PublicID, true, ""); !errors.Is(err, records.ErrForbidden) {
			t.Errorf("the admin approving their own: %v, want ErrForbidden", err)
		}
		if err := f.svc.DecideExport(ctx, f.head, adminExport.PublicID, true, ""); err != nil {
			t.Fatal(err)
		}
		file := f.exportFile(t, f.admin, adminExport)
		if !bytes.Contains(file, []byte("C-2026-")) {
			t.Errorf("the approved export lacks the concern:\n%s", file)
		}
	})
	t.Run("only the person who asked may download it", func(t *testing.T) {
		if _, err := f.svc.Open(ctx, f.dsl, adminExport.PublicID); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("the DSL downloading the admin's export: %v, want not found", err)
		}
		if _, err := f.svc.Open(ctx, f.head, adminExport.PublicID); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("the head downloading the admin's export: %v, want not found", err)
		}
	})
	t.Run("another school's user gets not found", func(t *testing.T) {
		other := recordsSchool(t, f.db.Owner, "elsewhere", "Elsewhere")
		stranger := dbtest.MustMember(t, f.db.Owner, other, "dsl@elsewhere.test", "Else Where", "dsl")
		if _, err := f.svc.Open(ctx, stranger, adminExport.PublicID); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("download from another school: %v, want not found", err)
		}
		if _, err := f.svc.Export(ctx, stranger, adminExport.PublicID); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("view from another school: %v, want not found", err)
		}
	})
	t.Run("a refusal needs a note and stops the export", func(t *testing.T) {
		e, err := f.svc.RequestExport(ctx, f.admin, records.Request{Format: records.JSON, Reason: "Backup"})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := errors.AsType[validate.Problems](f.svc.DecideExport(ctx, f.dsl, e.PublicID, false, "")); !ok {
			t.Error("a refusal without a note was accepted")
		}
		if err := f.svc.DecideExport(ctx, f.dsl, e.PublicID, false, "Not needed: ask the DSL"); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.RunExport(ctx, f.school, e.ID); err != nil {
			t.Fatal(err)
		}
		got, _ := f.svc.Export(ctx, f.admin, e.PublicID)
		if got.Status != records.Rejected || got.DecisionNote != "Not needed: ask the DSL" {
			t.Errorf("refused export: %+v", got)
		}
	})
	t.Run("the school can drop the approval", func(t *testing.T) {
		if err := f.svc.SetSettings(ctx, f.admin, records.Settings{ExportApproval: false, RetentionYears: 25}); !errors.Is(err, records.ErrForbidden) {
			t.Errorf("an admin dropping the approval: %v, want ErrForbidden", err)
		}
		if err := f.svc.SetSettings(ctx, f.head, records.Settings{ExportApproval: false, RetentionYears: 25}); err != nil {
			t.Fatal(err)
		}
		e, err := f.svc.RequestExport(ctx, f.admin, records.Request{Format: records.CSV, Reason: "Inspection"})
		if err != nil {
			t.Fatal(err)
		}
		if e.Status != records.Queued {
			t.Errorf("status %s, want queued without approval", e.Status)
		}
	})
	t.Run("every step is audited and listed for the DSL team", func(t *testing.T) {
		for action, want := range map[string]int{"export.request": 3, "export.approve": 1, "export.reject": 1,
			"export.ready": 1, "export.download": 1} {
			if n := dbtest.Count(t, f.db.Owner, "audit_events WHERE school_id = $1 AND action = $2", f.school, action); n != want {
				t.Errorf("%s events = %d, want %d", action, n, want)
			}
		}
		// Each step says why the export was made (and a refusal why not).
		for action, want := range map[string]int{"export.request": 3, "export.approve": 1, "export.reject": 1, "export.download": 1} {
			if n := dbtest.Count(t, f.db.Owner, `audit_events WHERE school_id = $1 AND action = $2 AND details::jsonb->>'reason' <> ''`, f.school, action); n != want {
				t.Errorf("%s events with the reason = %d, want %d", action, n, want)
			}
		}
		if n := dbtest.Count(t, f.db.Owner, `audit_events WHERE school_id = $1 AND action = 'export.reject' AND details::jsonb->>'note' = 'Not needed: ask the DSL'`, f.school); n != 1 {
			t.Errorf("refusals audited with their note = %d, want 1", n)
		}
		team, err := f.svc.Exports(ctx, f.dsl)
		if err != nil {
			t.Fatal(err)
		}
		mine, err := f.svc.Exports(ctx, f.admin)
		if err != nil {
			t.Fatal(err)
		}
		if len(team) != 3 || len(mine) != 3 || team[len(team)-1].Downloads != 1 {
			t.Errorf("the DSL team sees %d exports, the admin %d", len(team), len(mine))
		}
		if _, err := f.svc.Exports(ctx, f.staff); !errors.Is(err, records.ErrForbidden) {
			t.Errorf("staff listing exports: %v", err)
		}
	})
}

func TestExportsExpireAfterSevenDays(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	dbtest.MustConcern(t, f.db.Owner, f.staff, f.amara.ID, dbtest.Concern{})
	e, err := f.svc.RequestExport(ctx, f.dsl, records.Request{Format: records.CSV, Reason: "Inspection"})
	if err != nil {
		t.Fatal(err)
	}
	f.exportFile(t, f.dsl, e)
	later := f.svc.WithClock(func() time.Time { return time.Now().Add(records.Lifetime + time.Minute) })
	if _, err := later.Open(ctx, f.dsl, e.PublicID); !errors.Is(err, records.ErrExpired) {
		t.Errorf("download after 7 days: %v, want ErrExpired", err)
	}
	if err := later.ExpireExports(ctx); err != nil {
		t.Fatal(err)
	}
	if n := dbtest.Count(t, f.db.Owner, "export_chunks WHERE export_id = $1", e.ID); n != 0 {
		t.Errorf("%d chunks left after expiry", n)
	}
	if n := dbtest.Count(t, f.db.Owner, "exports WHERE id = $1 AND status = 'expired'", e.ID); n != 1 {
		t.Error("the export is not marked expired (the row is the record and stays)")
	}
}

func TestRestrictedConcernsStayOutOfOthersExports(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	dbtest.MustConcern(t, f.db.Owner, f.staff, f.amara.ID, dbtest.Concern{Account: "Open concern"})
	dbtest.MustConcern(t, f.db.Owner, f.staff, f.ben.ID, dbtest.Concern{Account: "Restricted concern", Restricted: true})
	e, err := f.svc.RequestExport(ctx, f.dsl, records.Request{Format: records.JSON, Reason: "Inspection"})
	if err != nil {
		t.Fatal(err)
	}
	file := f.exportFile(t, f.dsl, e)
	if !bytes.Contains(file, []byte("Open concern")) || bytes.Contains(file, []byte("Restricted concern")) {
		t.Errorf("a DSL not named on a restricted concern got it in their export:\n%s", file)
	}
}
