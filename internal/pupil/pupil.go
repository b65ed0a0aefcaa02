// Package pupil holds the children on a school's roll: imported from the
// school's management information system or added inline by a member of
// staff recording a concern about a child they cannot find. Staff find a
// child by name or UPN; a search never travels in a URL.
package pupil

import (
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/havenschools/haven/internal/when"
)

// Child is one child on a school's roll.
type Child struct {
	ID           int64
	SchoolID     int64
	FirstName    string
	LastName     string
	DateOfBirth  *time.Time // nil when not known
	YearGroup    *YearGroup // nil when not known
	UPN          *string
	MISID        *string
	LookedAfter  bool
	CPPlan       bool
	ChildInNeed  bool
	SEND         bool
	EHCP         bool
	SocialWorker string
	AddedInline  bool
	CreatedAt    time.Time
}

// Name is the child's full name as staff write it: first name, last name.
func (c Child) Name() string { return c.FirstName + " " + c.LastName }

// Describe is a short line to tell children with the same name apart: year
// group and date of birth, when known.
func (c Child) Describe() string {
	var parts []string
	if c.YearGroup != nil {
		parts = append(parts, c.YearGroup.String())
	}
	if c.DateOfBirth != nil {
		parts = append(parts, "born "+when.Day(*c.DateOfBirth))
	}
	if c.AddedInline {
		parts = append(parts, "not on the roll")
	}
	return strings.Join(parts, ", ")
}

// YearGroup is a school year: -1 nursery, 0 reception, 1 to 13.
type YearGroup int16

// The ends of the year-group range.
const (
	Nursery   YearGroup = -1
	Reception YearGroup = 0
	Year13    YearGroup = 13
)

// Valid reports whether y is a year group Haven knows.
func (y YearGroup) Valid() bool { return y >= Nursery && y <= Year13 }

// String is the year group as schools say it: "Nursery", "Reception", "Year 7".
func (y YearGroup) String() string {
	switch y {
	case Nursery:
		return "Nursery"
	case Reception:
		return "Reception"
	}
	return "Year " + strconv.Itoa(int(y))
}

// YearGroups lists every year group in order, for a choice.
func YearGroups() []YearGroup {
	out := make([]YearGroup, 0, Year13-Nursery+1)
	for y := Nursery; y <= Year13; y++ {
		out = append(out, y)
	}
	return out
}

// ParseYearGroup reads the value of a year-group choice: "-1" to "13".
func ParseYearGroup(s string) (YearGroup, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || !YearGroup(n).Valid() {
		return 0, false
	}
	return YearGroup(n), true
}

// NewChild is a child to add: a name, and a date of birth or a year group
// (at least one of them when added inline, so the DSL can match the child to
// the roll later).
type NewChild struct {
	FirstName   string
	LastName    string
	DateOfBirth *time.Time
	YearGroup   *YearGroup
	UPN         string
	MISID       string
}

// normaliseUPN upper-cases a UPN and drops spaces, as the DfE writes them.
func normaliseUPN(s string) string {
	return strings.ToUpper(strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s))
}

// looksLikeUPN reports whether s has the shape of a UPN: a letter then 12
// characters, digits with perhaps a final letter.
func looksLikeUPN(s string) bool {
	if len(s) != 13 || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 1; i < 12; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return (s[12] >= '0' && s[12] <= '9') || (s[12] >= 'A' && s[12] <= 'Z')
}
