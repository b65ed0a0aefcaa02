package records

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// TestXLSXEncoderWritesHostileTextSafely writes a workbook whose accounts
// are hostile values and reads it back with excelize: each is shown as
// typed (no visible apostrophe), a text that could be read as a formula
// sits in a quote-prefixed text cell, everything is escaped and, where XML
// cannot hold a character, given U+FFFD instead — never a corrupt file or
// a formula.
func TestXLSXEncoderWritesHostileTextSafely(t *testing.T) {
	long := strings.Repeat("é<&", 100<<10/3) // 100 KB, each repeat 3 UTF-16 units
	cases := []struct{ in, want string }{
		{"=1+1", "=1+1"},
		{`=HYPERLINK("http://evil.test","click")`, `=HYPERLINK("http://evil.test","click")`},
		{"+44 1632 960000", "+44 1632 960000"},
		{"-2", "-2"},
		{"@SUM(A1)", "@SUM(A1)"},
		{"\t=1", "\t=1"},
		{"\r=1", "\r=1"},
		{"<script>alert(1)</script>", "<script>alert(1)</script>"},
		{"]]><x/>", "]]><x/>"},
		{"Tom & Jerry's \"den\"", "Tom & Jerry's \"den\""},
		{"line one\r\nline two\n\tindented ", "line one\r\nline two\n\tindented "},
		{"nul\x00bell\x07esc\x1bunit\x1f", "nul\uFFFDbell\uFFFDesc\uFFFDunit\uFFFD"},
		{"not UTF-8 \xff\xfe", "not UTF-8 \uFFFD\uFFFD"},
		{"noncharacters \uFFFE\uFFFF", "noncharacters \uFFFD\uFFFD"},
		{"\u202Eexe.txt", "\u202Eexe.txt"},
		{"C1 \u0085 and DEL \x7f", "C1 \u0085 and DEL \x7f"},
		{"a literal _x0041_ and _x005F_", "a literal _x0041_ and _x005F_"},
		{"  leading and trailing spaces  ", "  leading and trailing spaces  "},
		{"emoji 🧒", "emoji 🧒"},
		{long, string([]rune(long)[:xlsxCutAt]) + xlsxCutNote},                 // cut, never mid-character, and saying so
		{strings.Repeat("a", xlsxMaxChars), strings.Repeat("a", xlsxMaxChars)}, // fits exactly
		{strings.Repeat("a", xlsxMaxChars+1), strings.Repeat("a", xlsxCutAt) + xlsxCutNote},
	}
	happened := time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC)
	followUp := Date{time.Date(2026, 10, 12, 0, 0, 0, 0, time.UTC)}
	var cs []ExportConcern
	for i, c := range cases {
		cs = append(cs, ExportConcern{
			Ref: "C-2026-" + strconv.Itoa(i), HappenedOn: Date{happened}, RecordedAt: happened.Add(9 * time.Hour),
			RecordedBy: c.in, Account: c.in, Status: "open",
		})
	}
	cs[0].Actions = []ExportAction{{On: Date{happened}, Kind: "monitoring", Note: "-checked", FollowUpOn: &followUp}}

	file := writeXLSX(t, cs)
	checkZip(t, file)
	x, err := excelize.OpenReader(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()

	t.Run("one sheet named Concerns with the header bold and frozen", func(t *testing.T) {
		if got := x.GetSheetList(); !slices.Equal(got, []string{"Concerns"}) {
			t.Errorf("sheets %q, want [Concerns]", got)
		}
		header, err := x.GetRows("Concerns")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(header[0], columns) {
			t.Errorf("header %q, want %q", header[0], columns)
		}
		for _, axis := range []string{"A1", "S1"} {
			if s := style(t, x, axis); s.Font == nil || !s.Font.Bold {
				t.Errorf("%s is not bold: %+v", axis, s.Font)
			}
		}
		if s := style(t, x, "A2"); s.Font != nil && s.Font.Bold {
			t.Error("A2 is bold")
		}
		panes, err := x.GetPanes("Concerns")
		if err != nil {
			t.Fatal(err)
		}
		if !panes.Freeze || panes.YSplit != 1 || panes.XSplit != 0 || panes.TopLeftCell != "A2" || panes.ActivePane != "bottomLeft" {
			t.Errorf("panes %+v, want the first row frozen", panes)
		}
	})

	t.Run("hostile text comes back neutralised and escaped", func(t *testing.T) {
		// Rows: header, concern 0, its action, then one row per concern.
		for i, c := range cases {
			row := i + 2
			if i > 0 {
				row++
			}
			for _, col := range []string{"E", "M"} {
				axis := col + strconv.Itoa(row)
				got, err := x.GetCellValue("Concerns", axis)
				if err != nil {
					t.Fatal(err)
				}
				if got != c.want {
					t.Errorf("%s = %.80q (%d bytes), want %.80q (%d bytes)", axis, got, len(got), c.want, len(c.want))
				}
				if typ, _ := x.GetCellType("Concerns", axis); typ != excelize.CellTypeInlineString {
					t.Errorf("%s has type %v, want an inline string", axis, typ)
				}
				if f, _ := x.GetCellFormula("Concerns", axis); f != "" {
					t.Errorf("%s holds the formula %q", axis, f)
				}
			}
		}
		if got, _ := x.GetCellValue("Concerns", "M3"); got != "-checked" {
			t.Errorf("the action's note %q, want -checked", got)
		}
	})

	t.Run("text that could be a formula is a quote-prefixed text cell; other text is not", func(t *testing.T) {
		xfs := cellXfs(t, file)
		for i, c := range cases {
			row := i + 2
			if i > 0 {
				row++
			}
			axis := "M" + strconv.Itoa(row)
			id, err := x.GetCellStyle("Concerns", axis)
			if err != nil {
				t.Fatal(err)
			}
			xf := xfs[id]
			formulaLike := Neutralise(c.in) != c.in
			if got := xf.QuotePrefix == "1" && xf.NumFmtID == "49"; got != formulaLike {
				t.Errorf("%s (%.20q): quotePrefix=%q numFmtId=%q; want a quote-prefixed text cell: %v", axis, c.in, xf.QuotePrefix, xf.NumFmtID, formulaLike)
			}
		}
	})

	t.Run("dates are typed and shown dd/mm/yyyy", func(t *testing.T) {
		for axis, want := range map[string]struct {
			serial, shown string
		}{
			"C2": {"46300", "05/10/2026"}, // happened on
			"D2": {"46300", "05/10/2026"}, // recorded on, in London
			"C3": {"46300", "05/10/2026"}, // the action's date
			"Q3": {"46307", "12/10/2026"}, // follow up by
		} {
			raw, err := x.GetCellValue("Concerns", axis, excelize.Options{RawCellValue: true})
			if err != nil {
				t.Fatal(err)
			}
			shown, _ := x.GetCellValue("Concerns", axis)
			if raw != want.serial || shown != want.shown {
				t.Errorf("%s = %q shown %q, want the serial %s shown %s", axis, raw, shown, want.serial, want.shown)
			}
			if typ, _ := x.GetCellType("Concerns", axis); typ != excelize.CellTypeUnset {
				t.Errorf("%s has type %v, want a number (no type)", axis, typ)
			}
			if s := style(t, x, axis); s.CustomNumFmt == nil || *s.CustomNumFmt != "dd/mm/yyyy" {
				t.Errorf("%s has the number format %v, want dd/mm/yyyy", axis, s.CustomNumFmt)
			}
		}
	})
}

func TestExcelSerial(t *testing.T) {
	for _, c := range []struct {
		date   time.Time
		serial int64
		ok     bool
	}{
		{time.Date(1900, 3, 1, 0, 0, 0, 0, time.UTC), 61, true},
		{time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), 25569, true},
		{time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC), 46300, true},
		{time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), 2958465, true},
		{time.Date(1900, 2, 28, 0, 0, 0, 0, time.UTC), 0, false},
	} {
		serial, ok := excelSerial(c.date)
		if serial != c.serial || ok != c.ok {
			t.Errorf("excelSerial(%s) = %d, %t, want %d, %t", c.date.Format(time.DateOnly), serial, ok, c.serial, c.ok)
		}
	}
}

// writeXLSX encodes the concerns as an XLSX export, each code its own label.
func writeXLSX(t *testing.T, cs []ExportConcern) []byte {
	t.Helper()
	same := func(s string) string { return s }
	var buf bytes.Buffer
	e, err := newEncoder(XLSX, &buf, labels{same, same, same, same, same, same})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.begin(Header{GeneratedAt: time.Date(2026, 10, 6, 12, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if err := e.concern(c); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.end(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// checkZip reads every entry of the file, so a bad checksum or a cut
// entry fails, as `unzip -t` would.
func checkZip(t *testing.T, file []byte) {
	t.Helper()
	z, err := zip.NewReader(bytes.NewReader(file), int64(len(file)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range z.File {
		names = append(names, f.Name)
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, r); err != nil {
			t.Errorf("%s: %v", f.Name, err)
		}
		r.Close()
	}
	want := []string{"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
		"xl/styles.xml", "xl/worksheets/sheet1.xml"}
	if !slices.Equal(names, want) {
		t.Errorf("entries %q, want %q", names, want)
	}
}

// xf is a cell format of xl/styles.xml, read from the file itself:
// excelize's Style does not say whether a cell is quote-prefixed.
type xf struct {
	NumFmtID    string `xml:"numFmtId,attr"`
	QuotePrefix string `xml:"quotePrefix,attr"`
}

// cellXfs returns the cell formats of the workbook, by index.
func cellXfs(t *testing.T, file []byte) []xf {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(file), int64(len(file)))
	if err != nil {
		t.Fatal(err)
	}
	f, err := zr.Open("xl/styles.xml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var styles struct {
		CellXfs []xf `xml:"cellXfs>xf"`
	}
	if err := xml.NewDecoder(f).Decode(&styles); err != nil {
		t.Fatal(err)
	}
	return styles.CellXfs
}

func style(t *testing.T, x *excelize.File, axis string) *excelize.Style {
	t.Helper()
	id, err := x.GetCellStyle("Concerns", axis)
	if err != nil {
		t.Fatal(err)
	}
	s, err := x.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
