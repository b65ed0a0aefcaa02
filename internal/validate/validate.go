// Package validate holds form problems (field → message) and the few checks
// every form shares: required text, byte limits, clean UTF-8.
package validate

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/havenschools/haven/internal/fail"
)

// Problems is fail.Problems, the one type of form problems; the name stays
// here so forms and their checks read as one vocabulary.
type Problems = fail.Problems

// Problem is one field's message, in page order (fail.Problem).
type Problem = fail.Problem

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
