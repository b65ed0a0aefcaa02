// Package validate holds form problems (field → message) and the few checks
// every form shares: required text, byte limits, clean UTF-8.
package validate

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Problems maps a form field's name to the message shown beside it and in the
// error summary. A non-empty Problems is an error, so services return it.
type Problems map[string]string

// Error lists the fields with problems, for logs; it never holds the values typed.
func (p Problems) Error() string {
	fields := make([]string, 0, len(p))
	for f := range p {
		fields = append(fields, f)
	}
	slices.Sort(fields)
	return "invalid input: " + strings.Join(fields, ", ")
}

// Add records msg for field unless field already has a problem (the first
// problem found is the one shown).
func (p Problems) Add(field, msg string) {
	if _, ok := p[field]; !ok {
		p[field] = msg
	}
}

// Problem is one field's message, in page order.
type Problem struct {
	Field   string
	Message string
}

// InOrder returns the problems in the order the fields appear on the page;
// fields not named in order follow alphabetically.
func (p Problems) InOrder(order ...string) []Problem {
	var out []Problem
	seen := map[string]bool{}
	for _, f := range order {
		if m, ok := p[f]; ok && !seen[f] {
			out = append(out, Problem{f, m})
			seen[f] = true
		}
	}
	var rest []string
	for f := range p {
		if !seen[f] {
			rest = append(rest, f)
		}
	}
	slices.Sort(rest)
	for _, f := range rest {
		out = append(out, Problem{f, p[f]})
	}
	return out
}

// Text checks a free-text value: valid UTF-8, no NUL or other control
// characters except tab and newlines, at most maxBytes bytes, and present
// when required. It returns "" or the message to show, using label in it.
func Text(value, label string, required bool, maxBytes int) string {
	switch {
	case required && strings.TrimSpace(value) == "":
		return "Enter " + label
	case !utf8.ValidString(value):
		return label + " contains characters that cannot be stored"
	case len(value) > maxBytes:
		return label + " is too long"
	}
	for _, r := range value {
		if r == '\t' || r == '\n' || r == '\r' {
			continue
		}
		if unicode.IsControl(r) {
			return label + " contains characters that cannot be stored"
		}
	}
	return ""
}

// Name checks a short one-line name: Text's rules, no line breaks and no
// bidirectional control characters (which can disguise a name).
func Name(value, label string, required bool, maxBytes int) string {
	if msg := Text(value, label, required, maxBytes); msg != "" {
		return msg
	}
	for _, r := range value {
		if r == '\n' || r == '\r' || r == '\t' || isBidiControl(r) {
			return label + " contains characters that cannot be stored"
		}
	}
	return ""
}

func isBidiControl(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || r == 0x200E || r == 0x200F || r == 0x061C
}
