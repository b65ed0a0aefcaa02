package records

import (
	"archive/zip"
	"bufio"
	"io"
	"strconv"
	"time"
	"unicode/utf8"
)

// xlsxEncoder writes an Office Open XML workbook of one worksheet,
// "Concerns", straight through archive/zip: the sheet's rows are
// compressed into the file as they arrive, so memory stays flat however
// large the export. (excelize, which wrote it before, builds the whole ZIP
// in memory.) The header row is bold and frozen; dates are typed date
// cells shown DD/MM/YYYY; text is inline strings, which a spreadsheet never
// evaluates. Text that would read as a formula if typed again (see
// Neutralise) is written as typed, in a text cell with Excel's quote
// prefix: shown without an apostrophe, and kept as text when edited.
type xlsxEncoder struct {
	w     io.Writer
	l     labels
	zw    *zip.Writer
	sheet *bufio.Writer // the worksheet's entry in zw
	row   int           // the last row written, from 1
	buf   []byte        // one row's XML, reused
}

// The cellXfs of xlsxStyles: 0 is the default.
const (
	xlsxDate = 1 // dd/mm/yyyy, the custom number format 164
	xlsxBold = 2 // the header
	xlsxText = 3 // the text format "@" with quotePrefix: what Excel stores for a value typed as 'text
)

// xlsxMaxChars is the most a cell holds, in UTF-16 units: Excel refuses
// longer text as a corrupt file. Longer text is cut, as excelize did; CSV
// and JSON exports keep all of it.
const xlsxMaxChars = 32767

const xmlHeader = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"

// xlsxParts are the workbook's fixed parts, in the order they are written;
// the worksheet follows them.
var xlsxParts = []struct{ name, body string }{
	{"[Content_Types].xml", xmlHeader +
		`<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
		`<Default Extension="xml" ContentType="application/xml"/>` +
		`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
		`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>` +
		`<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>` +
		`</Types>`},
	{"_rels/.rels", xmlHeader +
		`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>` +
		`</Relationships>`},
	{"xl/workbook.xml", xmlHeader +
		`<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
		`<bookViews><workbookView/></bookViews>` +
		`<sheets><sheet name="Concerns" sheetId="1" r:id="rId1"/></sheets>` +
		`</workbook>`},
	{"xl/_rels/workbook.xml.rels", xmlHeader +
		`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>` +
		`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>` +
		`</Relationships>`},
	{"xl/styles.xml", xmlHeader +
		`<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` +
		`<numFmts count="1"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/></numFmts>` +
		`<fonts count="2">` +
		`<font><sz val="11"/><name val="Calibri"/><family val="2"/></font>` +
		`<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font>` +
		`</fonts>` +
		`<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>` +
		`<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>` +
		`<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>` +
		`<cellXfs count="4">` +
		`<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>` +
		`<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>` +
		`<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>` +
		`<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" quotePrefix="1"/>` +
		`</cellXfs>` +
		`<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>` +
		`</styleSheet>`},
}

// xlsxSheetStart opens the worksheet: the first row frozen, then the rows.
const xlsxSheetStart = xmlHeader +
	`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` +
	`<sheetViews><sheetView tabSelected="1" workbookViewId="0">` +
	`<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>` +
	`<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>` +
	`</sheetView></sheetViews>` +
	`<sheetData>`

const xlsxSheetEnd = `</sheetData></worksheet>`

func (e *xlsxEncoder) begin(h Header) error {
	e.zw = zip.NewWriter(e.w)
	for _, p := range xlsxParts {
		w, err := e.create(p.name, h.GeneratedAt)
		if err != nil {
			return err
		}
		if _, err := io.WriteString(w, p.body); err != nil {
			return err
		}
	}
	w, err := e.create("xl/worksheets/sheet1.xml", h.GeneratedAt)
	if err != nil {
		return err
	}
	e.sheet = bufio.NewWriterSize(w, 64<<10)
	if _, err := e.sheet.WriteString(xlsxSheetStart); err != nil {
		return err
	}
	head := make([]cell, len(columns))
	for i, c := range columns {
		head[i] = textCell(c)
	}
	return e.writeRow(head, xlsxBold)
}

func (e *xlsxEncoder) create(name string, modified time.Time) (io.Writer, error) {
	return e.zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: modified})
}

func (e *xlsxEncoder) concern(c ExportConcern) error {
	for _, row := range rows(c, e.l) {
		if err := e.writeRow(row, 0); err != nil {
			return err
		}
	}
	return nil
}

func (e *xlsxEncoder) end() error {
	if _, err := e.sheet.WriteString(xlsxSheetEnd); err != nil {
		return err
	}
	if err := e.sheet.Flush(); err != nil {
		return err
	}
	return e.zw.Close()
}

// writeRow writes the next row: text cells in style (text that could be
// read as a formula in a quote-prefixed text cell instead), and empty
// cells left out.
func (e *xlsxEncoder) writeRow(cells []cell, style int) error {
	e.row++
	b := append(e.buf[:0], `<row r="`...)
	b = strconv.AppendInt(b, int64(e.row), 10)
	b = append(b, `">`...)
	for i, c := range cells {
		text := c.text
		if c.date != nil {
			serial, ok := excelSerial(*c.date)
			if ok {
				b = e.appendCellStart(b, i, xlsxDate, "")
				b = append(b, `><v>`...)
				b = strconv.AppendInt(b, serial, 10)
				b = append(b, `</v></c>`...)
				continue
			}
			text = c.date.Format("02/01/2006") // before Excel's dates begin
		}
		if text == "" {
			continue
		}
		cellStyle := style
		if Neutralise(text) != text {
			cellStyle = xlsxText
		}
		b = e.appendCellStart(b, i, cellStyle, "inlineStr")
		b = append(b, `><is><t xml:space="preserve">`...)
		b = appendCellText(b, text)
		b = append(b, `</t></is></c>`...)
	}
	b = append(b, `</row>`...)
	e.buf = b
	_, err := e.sheet.Write(b)
	return err
}

// appendCellStart appends `<c r="C7"`, with the style and type if any,
// leaving the tag open.
func (e *xlsxEncoder) appendCellStart(b []byte, col, style int, typ string) []byte {
	b = append(b, `<c r="`...)
	b = appendColumn(b, col)
	b = strconv.AppendInt(b, int64(e.row), 10)
	b = append(b, '"')
	if style != 0 {
		b = append(b, ` s="`...)
		b = strconv.AppendInt(b, int64(style), 10)
		b = append(b, '"')
	}
	if typ != "" {
		b = append(b, ` t="`...)
		b = append(b, typ...)
		b = append(b, '"')
	}
	return b
}

// appendColumn appends the letters of the column numbered from 0: A, …, Z, AA, ….
func appendColumn(b []byte, col int) []byte {
	if col >= 26 {
		b = appendColumn(b, col/26-1)
	}
	return append(b, byte('A'+col%26))
}

// excelSerial is the date as Excel counts it: days since 30 December 1899.
// It is false before 1 March 1900, where Excel's count is off by its
// phantom 29 February 1900.
func excelSerial(d time.Time) (int64, bool) {
	const (
		epoch = -2209161600 // 1899-12-30 as Unix seconds
		march = -2203891200 // 1900-03-01
	)
	u := d.Unix()
	if u < march {
		return 0, false
	}
	return (u - epoch) / 86400, true
}

// xlsxCutNote ends a cell whose text was cut, so that nothing is dropped
// without a word: whoever reads the spreadsheet knows to look further.
const xlsxCutNote = " [… cut here: a spreadsheet cell holds 32,767 characters; the CSV and JSON exports hold all of it]"

// xlsxCutAt is how much of a longer text a cell keeps, in UTF-16 units,
// leaving room for xlsxCutNote (ASCII but for the ellipsis).
const xlsxCutAt = xlsxMaxChars - len(xlsxCutNote) + len("…") - 1

// appendCellText appends s as the text of a cell: cut to xlsxMaxChars
// (ending with xlsxCutNote when it is),
// escaped for XML, with what XML 1.0 cannot hold (control characters
// other than tab, line feed and carriage return; U+FFFE, U+FFFF; bytes
// that are not UTF-8) replaced by U+FFFD, and a literal "_xHHHH_" kept
// literal by escaping its underscore, as Excel reads that as a character
// code.
func appendCellText(b []byte, s string) []byte {
	limit, cut := xlsxMaxChars, false
	if len(s) > xlsxCutAt { // it may be too long: count (bytes ≥ UTF-16 units)
		units := 0
		for _, r := range s {
			units += utf16Len(r)
		}
		if units > xlsxMaxChars {
			limit, cut = xlsxCutAt, true
		}
	}
	units := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if units += utf16Len(r); units > limit {
			break
		}
		switch {
		case r == '&':
			b = append(b, "&amp;"...)
		case r == '<':
			b = append(b, "&lt;"...)
		case r == '>':
			b = append(b, "&gt;"...)
		case r == '\r': // a literal CR would be read back as a line feed
			b = append(b, "&#xD;"...)
		case r == '_' && isCharEscape(s[i:]):
			b = append(b, "_x005F_"...)
		case r < 0x20 && r != '\t' && r != '\n', r == 0xFFFE, r == 0xFFFF,
			r == utf8.RuneError && size == 1:
			b = utf8.AppendRune(b, utf8.RuneError)
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	if cut {
		b = append(b, xlsxCutNote...)
	}
	return b
}

func utf16Len(r rune) int {
	if r >= 0x10000 {
		return 2
	}
	return 1
}

// isCharEscape reports whether s starts with "_xHHHH_".
func isCharEscape(s string) bool {
	if len(s) < 7 || s[0] != '_' || s[1] != 'x' || s[6] != '_' {
		return false
	}
	for _, c := range []byte(s[2:6]) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
