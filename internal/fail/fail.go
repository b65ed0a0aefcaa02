// Package fail holds the refusals every domain returns and the web layer maps
// to a page in one place: forbidden, not found, conflict and form problems.
// It is a leaf package (it imports only the standard library), so db, every
// domain and web can use it.
//
// A domain that wants its own sentinel, with its own message, makes it with
// New; it matches both itself and the shared one, through any wrapping:
//
//	var ErrForbidden = fail.New(fail.Forbidden, "not allowed to change school settings")
//	errors.Is(fmt.Errorf("saving: %w", ErrForbidden), fail.Forbidden) // true
//
// The message is for logs and, where a handler chooses, for the page; the
// kind decides the status (403, 404, 409). A typed error carrying more (a
// reason, what changed) matches by returning the kind from Unwrap.
package fail

import (
	"errors"
	"slices"
	"strings"
)

var (
	// Forbidden: the actor may not do this, and may know that the thing
	// exists (a record they may not even see is NotFound). The web layer
	// answers 403.
	//lint:ignore ST1012 fail.Forbidden, fail.NotFound and fail.Conflict name the kind; the package name is the Err
	Forbidden = errors.New("forbidden")

	// NotFound: no such record, or none the actor may see; the two are
	// not told apart, so a record's existence is not disclosed. The web
	// layer answers 404.
	//lint:ignore ST1012 fail.Forbidden, fail.NotFound and fail.Conflict name the kind; the package name is the Err
	NotFound = errors.New("not found")

	// Conflict: the request was well formed and allowed, but the record's
	// state does not let it happen now (already submitted, changed since
	// the form was opened, disclosed, on hold). The web layer answers 409;
	// a handler with a page of its own for the conflict renders that first.
	//lint:ignore ST1012 fail.Forbidden, fail.NotFound and fail.Conflict name the kind; the package name is the Err
	Conflict = errors.New("conflict")
)

// New returns an error whose message is msg, exactly, and which matches kind
// (errors.Is(New(kind, msg), kind) is true). Each call makes a distinct
// error, so a package's sentinel made with New is still told apart from the
// others of its kind.
func New(kind error, msg string) error { return &kindError{msg, kind} }

type kindError struct {
	msg  string
	kind error
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

// Problems maps a form field's name to the message shown beside it and in the
// error summary. A non-empty Problems is an error, so services return it;
// the handler re-renders its own form with them (422).
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

// ProblemsOf returns the form problems err holds, anywhere in its chain, and
// whether it holds any.
func ProblemsOf(err error) (Problems, bool) {
	return errors.AsType[Problems](err)
}
