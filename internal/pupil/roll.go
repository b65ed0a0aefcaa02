package pupil

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Reading a roll CSV exported from a school's management information
// system (SIMS, Arbor, Bromcom, …): each system names its columns a little
// differently, so a column is known by any of the names those exports use,
// ignoring case, spaces and punctuation. Names are required; the date of
// birth, year group, UPN, MIS id, flags and social worker are read when
// their column is there.

// RollRow is one child as a roll CSV gives them. Flags are nil when the
// file has no column for them (an import then leaves them as they were).
type RollRow struct {
	Line         int // the line of the file the row starts on (the header is line 1)
	FirstName    string
	LastName     string
	DateOfBirth  *time.Time
	YearGroup    *YearGroup
	UPN          string
	MISID        string
	LookedAfter  *bool
	CPPlan       *bool
	ChildInNeed  *bool
	SEND         *bool
	EHCP         *bool
	SocialWorker *string
}

// Name is the child's name as the row gives it.
func (r RollRow) Name() string { return r.FirstName + " " + r.LastName }

// FlagsSet names the flags the row sets to yes ("looked after", "child
// protection plan", "child in need", "SEND", "EHCP"), in that order, so a
// preview shows what importing it will record about the child.
func (r RollRow) FlagsSet() []string {
	var out []string
	for _, f := range []struct {
		name string
		set  *bool
	}{{"looked after", r.LookedAfter}, {"child protection plan", r.CPPlan}, {"child in need", r.ChildInNeed},
		{"SEND", r.SEND}, {"EHCP", r.EHCP}} {
		if f.set != nil && *f.set {
			out = append(out, f.name)
		}
	}
	return out
}

// RowProblem is what is wrong with one line of a roll CSV (Line 0: the
// file as a whole), and in which column.
type RowProblem struct {
	Line    int
	Column  string
	Message string
}

// MaxRollBytes and MaxRollRows bound a roll CSV: a large secondary school
// has 2,000 pupils, a big all-through school perhaps 4,000.
const (
	MaxRollBytes = 5 << 20
	MaxRollRows  = 20000
)

// column is a field of RollRow and the header names that mean it.
type column struct {
	field string
	label string
	names []string
}

var rollColumns = []column{
	{"first_name", "First name", []string{"legalforename", "forename", "firstname", "givenname", "preferredforename"}},
	{"last_name", "Last name", []string{"legalsurname", "surname", "lastname", "familyname", "preferredsurname"}},
	{"dob", "Date of birth", []string{"dob", "dateofbirth", "birthdate", "birthday"}},
	{"year", "Year group", []string{"yeargroup", "year", "ncyear", "nationalcurriculumyear", "curriculumyear", "yr"}},
	{"upn", "UPN", []string{"upn", "uniquepupilnumber"}},
	{"mis_id", "MIS id", []string{"misid", "adno", "admissionnumber", "admissionno", "pupilid", "studentid", "id"}},
	{"looked_after", "Looked after", []string{"lookedafter", "childlookedafter", "inlacare", "cla", "lac"}},
	{"cp_plan", "Child protection plan", []string{"childprotectionplan", "cpplan", "cp"}},
	{"child_in_need", "Child in need", []string{"childinneed", "cin"}},
	{"send", "SEND", []string{"send", "sen", "senstatus", "senprovision"}},
	{"ehcp", "EHCP", []string{"ehcp", "ehcplan", "educationhealthandcareplan"}},
	{"social_worker", "Social worker", []string{"socialworker"}},
}

// headerKey folds a header cell to letters and digits, lower case.
func headerKey(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToLower(r)
		}
		return -1
	}, s)
}

// ParseRoll reads a roll CSV. It returns the rows and every problem found,
// line by line; a file with problems must not be imported. Two rows with
// the same UPN or MIS id are a problem (the second names the first's line).
func ParseRoll(content []byte, now time.Time) ([]RollRow, []RowProblem) {
	if len(content) > MaxRollBytes {
		return nil, []RowProblem{{Message: fmt.Sprintf("The file is larger than %d MB", MaxRollBytes>>20)}}
	}
	content = bytes.TrimPrefix(content, []byte("\uFEFF"))
	if !utf8.Valid(content) {
		content = latin1ToUTF8(content) // older MIS exports are Windows-1252
	}
	r := csv.NewReader(bytes.NewReader(content))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, []RowProblem{{Message: "The file is empty"}}
	}
	if err != nil {
		return nil, []RowProblem{{Line: 1, Message: "The first line is not CSV: " + csvReason(err)}}
	}
	at := map[string]int{} // field → column index
	for _, c := range rollColumns {
		for _, name := range c.names {
			for i, h := range header {
				if _, taken := at[c.field]; !taken && headerKey(h) == name {
					at[c.field] = i
				}
			}
		}
	}
	var problems []RowProblem
	for _, need := range []string{"first_name", "last_name"} {
		if _, ok := at[need]; !ok {
			problems = append(problems, RowProblem{Line: 1, Column: labelOf(need),
				Message: "No " + strings.ToLower(labelOf(need)) + " column: name it, for example, " + namesOf(need)})
		}
	}
	if len(problems) > 0 {
		return nil, problems
	}
	var rows []RollRow
	upns, misIDs := map[string]int{}, map[string]int{}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			problems = append(problems, RowProblem{Line: line, Message: "Not valid CSV: " + csvReason(err)})
			continue
		}
		if blank(rec) {
			continue
		}
		if len(rows) == MaxRollRows {
			problems = append(problems, RowProblem{Line: line, Message: fmt.Sprintf("More than %d children: split the file", MaxRollRows)})
			break
		}
		row, ps := parseRollRow(line, rec, at, now)
		problems = append(problems, ps...)
		if row.UPN != "" {
			if first, dup := upns[row.UPN]; dup {
				problems = append(problems, RowProblem{Line: line, Column: "UPN", Message: fmt.Sprintf("The UPN %s is also on line %d", row.UPN, first)})
			} else {
				upns[row.UPN] = line
			}
		}
		if row.MISID != "" {
			if first, dup := misIDs[row.MISID]; dup {
				problems = append(problems, RowProblem{Line: line, Column: "MIS id", Message: fmt.Sprintf("The MIS id %s is also on line %d", row.MISID, first)})
			} else {
				misIDs[row.MISID] = line
			}
		}
		rows = append(rows, row)
	}
	slices.SortStableFunc(problems, func(a, b RowProblem) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return columnIndex(a.Column) - columnIndex(b.Column)
	})
	if len(rows) == 0 && len(problems) == 0 {
		problems = append(problems, RowProblem{Message: "The file has a header but no children"})
	}
	return rows, problems
}

func parseRollRow(line int, rec []string, at map[string]int, now time.Time) (RollRow, []RowProblem) {
	row := RollRow{Line: line}
	var ps []RowProblem
	bad := func(field, msg string) { ps = append(ps, RowProblem{Line: line, Column: labelOf(field), Message: msg}) }
	cell := func(field string) (string, bool) {
		i, ok := at[field]
		if !ok {
			return "", false
		}
		if i >= len(rec) {
			return "", true
		}
		return strings.TrimSpace(rec[i]), true
	}
	row.FirstName, _ = cell("first_name")
	row.LastName, _ = cell("last_name")
	n := NewChild{FirstName: row.FirstName, LastName: row.LastName}
	if v, _ := cell("dob"); v != "" {
		d, ok := parseRollDate(v)
		if !ok {
			bad("dob", fmt.Sprintf("%q is not a date like 14/03/2012", v))
		} else {
			n.DateOfBirth = &d
		}
	}
	if v, _ := cell("year"); v != "" {
		y, ok := parseRollYear(v)
		if !ok {
			bad("year", fmt.Sprintf("%q is not a year group like 7, Year 7, R or N", v))
		} else {
			n.YearGroup = &y
		}
	}
	n.UPN, _ = cell("upn")
	n.MISID, _ = cell("mis_id")
	for field, msg := range n.problems(now, false) {
		switch field {
		case "first_name", "last_name", "upn", "mis_id":
			bad(field, msg)
		case "date_of_birth":
			bad("dob", msg)
		case "year_group":
			bad("year", msg)
		}
	}
	row.FirstName, row.LastName, row.UPN, row.MISID = n.FirstName, n.LastName, n.UPN, n.MISID
	row.DateOfBirth, row.YearGroup = n.DateOfBirth, n.YearGroup
	flag := func(field string, dst **bool) {
		v, ok := cell(field)
		if !ok {
			return
		}
		b, ok := parseRollFlag(v)
		if !ok {
			bad(field, fmt.Sprintf("%q is not yes or no", v))
			return
		}
		*dst = &b
	}
	flag("looked_after", &row.LookedAfter)
	flag("cp_plan", &row.CPPlan)
	flag("child_in_need", &row.ChildInNeed)
	flag("ehcp", &row.EHCP)
	if v, ok := cell("send"); ok {
		// The school census's SEN provision codes: K SEN support, E an
		// EHC plan, N none; or yes/no.
		switch strings.ToUpper(v) {
		case "K":
			row.SEND = ptr(true)
		case "E":
			row.SEND = ptr(true)
			if row.EHCP == nil {
				row.EHCP = ptr(true)
			}
		case "N":
			row.SEND = ptr(false)
		default:
			flag("send", &row.SEND)
		}
	}
	if v, ok := cell("social_worker"); ok {
		if len(v) > MaxSocialWorker {
			bad("social_worker", fmt.Sprintf("Social worker must be %d characters or fewer", MaxSocialWorker))
		}
		row.SocialWorker = &v
	}
	return row, ps
}

// columnIndex orders a row's problems as the columns of rollColumns.
func columnIndex(label string) int {
	for i, c := range rollColumns {
		if c.label == label {
			return i
		}
	}
	return len(rollColumns)
}

func ptr[T any](v T) *T { return &v }

func labelOf(field string) string {
	for _, c := range rollColumns {
		if c.field == field {
			return c.label
		}
	}
	return field
}

func namesOf(field string) string {
	switch field {
	case "first_name":
		return `"Forename" or "First name"`
	case "last_name":
		return `"Surname" or "Last name"`
	}
	return ""
}

func blank(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

func csvReason(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// parseRollDate reads 14/03/2012, 14-03-2012, 14.03.2012 (UK order) or 2012-03-14.
func parseRollDate(s string) (time.Time, bool) {
	for _, layout := range []string{"2/1/2006", "2-1-2006", "2.1.2006", "2006-01-02", "2/1/06"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// parseRollYear reads a year group: 7, Year 7, Y7, Yr 7, NC 7, R, Reception, N, N1, N2, Nursery.
func parseRollYear(s string) (YearGroup, bool) {
	k := headerKey(s)
	switch k {
	case "r", "rec", "reception", "yr", "yearr":
		return Reception, true
	case "n", "n1", "n2", "nur", "nursery":
		return Nursery, true
	}
	for _, prefix := range []string{"year", "yr", "y", "nc"} {
		k = strings.TrimPrefix(k, prefix)
	}
	n, err := strconv.Atoi(k)
	if err != nil || !YearGroup(n).Valid() || n < 0 {
		return 0, false
	}
	return YearGroup(n), true
}

func parseRollFlag(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "n", "no", "false", "0", "f":
		return false, true
	case "y", "yes", "true", "1", "t", "x", "✓":
		return true, true
	}
	return false, false
}

// latin1ToUTF8 reads bytes as Windows-1252's Latin-1 part.
func latin1ToUTF8(b []byte) []byte {
	var out bytes.Buffer
	for _, c := range b {
		out.WriteRune(rune(c))
	}
	return out.Bytes()
}
