package concern

import (
	"fmt"
	"strings"
	"time"

	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/fail"
)

// The DSL's work on a concern: acknowledging it (taking ownership),
// assigning it, setting its urgency and categories, decisions, actions,
// closing, reopening and marking it entered in error. Only the school's
// DSLs and deputy DSLs do these; to anyone else the concern is not found.
//
// Every change names the version of the concern the DSL's page showed.
// When someone else has changed it since, nothing is written and the change
// fails with a *ConflictError listing what changed (optimistic concurrency).

// Urgency is how urgent a DSL judges a concern: low, medium or high ("" is
// not yet set).
type Urgency string

// The urgencies, lowest first.
const (
	Low    Urgency = "low"
	Medium Urgency = "medium"
	High   Urgency = "high"
)

// Urgencies lists the urgencies as the form offers them, highest first.
func Urgencies() []Urgency { return []Urgency{High, Medium, Low} }

// Valid reports whether u is an urgency.
func (u Urgency) Valid() bool { return u == Low || u == Medium || u == High }

// Label is the urgency in words: "High", or "Not set".
func (u Urgency) Label() string {
	switch u {
	case Low:
		return "Low"
	case Medium:
		return "Medium"
	case High:
		return "High"
	}
	return "Not set"
}

// Label is the status as the DSL sees it.
func (s Status) Label() string {
	switch s {
	case Submitted:
		return "New"
	case Acknowledged:
		return "Acknowledged"
	case InProgress:
		return "In progress"
	case Closed:
		return "Closed"
	case EnteredInError:
		return "Entered in error"
	}
	return string(s)
}

// Statuses lists the statuses in lifecycle order.
func Statuses() []Status { return []Status{Submitted, Acknowledged, InProgress, Closed} }

// Op is a change a DSL makes to a concern's lifecycle.
type Op string

// The lifecycle changes of DESIGN.md: acknowledged (a DSL has taken
// ownership), in progress (a decision is recorded), closed (an outcome is
// recorded), reopened (back to in progress); and the changes that keep the
// status (assigning, urgency, categories, restricting, linking).
const (
	OpAcknowledge    Op = "acknowledge"
	OpDecide         Op = "decide"
	OpClose          Op = "close"
	OpReopen         Op = "reopen"
	OpEnteredInError Op = "entered_in_error"
	OpTriage         Op = "triage" // assign, urgency, categories, restrict, link
)

// ErrState means the change does not fit where the concern is in its
// lifecycle (acknowledging a closed concern, reopening an open one). It is
// a fail.Conflict.
var ErrState = fail.New(fail.Conflict, "the concern cannot be changed that way now")

// StateError is ErrState with the reason in words, for the page.
type StateError struct{ Msg string }

func (e *StateError) Error() string { return e.Msg }

// Unwrap makes errors.Is(err, ErrState) true.
func (e *StateError) Unwrap() error { return ErrState }

// OrderError means a step of the lifecycle was taken out of its order:
// deciding before acknowledging, closing before a decision, reopening an
// open concern. Nothing changed, so it is no conflict: the page says what
// must happen first (First, "" when nothing can make the step fit) before
// the DSL types, and keeps what they typed. errors.Is(err, ErrState) is
// true of it.
type OrderError struct {
	Msg   string
	First Op // the step that must come first: OpAcknowledge, OpDecide, OpReopen, or ""
}

func (e *OrderError) Error() string { return e.Msg }

// Unwrap makes errors.Is(err, ErrState) true.
func (e *OrderError) Unwrap() error { return ErrState }

// next is the lifecycle rule: the status a concern in status from has after
// op, or a *OrderError when op is out of order (a *StateError when the
// concern, entered in error, changes no more).
func next(from Status, inError bool, op Op) (Status, error) {
	if inError {
		return from, &StateError{"This concern was marked entered in error: it can no longer be changed"}
	}
	switch op {
	case OpAcknowledge:
		if from == Submitted {
			return Acknowledged, nil
		}
		return from, &OrderError{Msg: "This concern has already been acknowledged"}
	case OpDecide:
		switch from {
		case Acknowledged, InProgress:
			return InProgress, nil
		case Submitted:
			return from, &OrderError{"Acknowledge the concern before recording a decision", OpAcknowledge}
		}
		return from, &OrderError{"Reopen the concern before recording a decision: it is closed", OpReopen}
	case OpClose:
		switch from {
		case Acknowledged, InProgress:
			return Closed, nil
		case Submitted:
			return from, &OrderError{"Acknowledge the concern before closing it", OpAcknowledge}
		}
		return from, &OrderError{Msg: "This concern is already closed"}
	case OpReopen:
		if from == Closed {
			return InProgress, nil
		}
		return from, &OrderError{Msg: "Only a closed concern can be reopened: this one is open"}
	case OpEnteredInError:
		return from, nil
	case OpTriage:
		if from == Closed {
			return from, &OrderError{"Reopen the concern before changing it", OpReopen}
		}
		return from, nil
	}
	return from, fmt.Errorf("unknown change %q", op)
}

// EventKind is a kind of change recorded in a concern's history.
type EventKind string

// The kinds of event, as stored in concern_events.
const (
	EventAcknowledged   EventKind = "acknowledged"
	EventAssigned       EventKind = "assigned"
	EventUrgency        EventKind = "urgency"
	EventCategories     EventKind = "categories"
	EventDecision       EventKind = "decision"
	EventClosed         EventKind = "closed"
	EventReopened       EventKind = "reopened"
	EventEnteredInError EventKind = "entered_in_error"
	EventRestricted     EventKind = "restricted"
	EventLinked         EventKind = "linked"
)

// Event is one change to a concern after its submission, with who made it
// and the version of the concern it made.
type Event struct {
	Version int
	Kind    EventKind
	ActorID int64  // 0: the system
	Actor   string // the name of who made it
	At      time.Time
	Reason  string // the DSL's words: the outcome, why reopened, why in error
	// What changed, in words: "Assigned to Sam Jones", "Urgency: High".
	Summary string
}

// Person is a DSL or deputy DSL of the school, for choosing whom to
// assign a concern to, name on it or exclude from it.
type Person struct {
	ID     int64
	Name   string
	Deputy bool
	Away   bool // marked away (their work handed to a colleague)
}

// Label is the person's name with "(deputy DSL)" or "(away)" when so.
func (p Person) Label() string {
	var notes []string
	if p.Deputy {
		notes = append(notes, "deputy DSL")
	}
	if p.Away {
		notes = append(notes, "away")
	}
	if len(notes) == 0 {
		return p.Name
	}
	return p.Name + " (" + strings.Join(notes, ", ") + ")"
}

// ConflictError means the concern changed since the version the DSL's page
// showed: nothing was written. Changes lists what changed since, oldest
// first, and Version is the concern's version now.
type ConflictError struct {
	Ref     string
	Seen    int // the version the page showed
	Version int
	Changes []Event
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("concern %s changed since version %d (now %d)", e.Ref, e.Seen, e.Version)
}

// Unwrap makes errors.Is(err, fail.Conflict) true.
func (e *ConflictError) Unwrap() error { return fail.Conflict }

// eventSummary says what an event changed, in words, from its details.
func eventSummary(kind EventKind, details map[string]any, names map[int64]string, categoryName func(string) string) string {
	str := func(k string) string { s, _ := details[k].(string); return s }
	num := func(k string) int64 {
		switch v := details[k].(type) {
		case float64:
			return int64(v)
		case int64:
			return v
		}
		return 0
	}
	switch kind {
	case EventAcknowledged:
		return "Acknowledged"
	case EventAssigned:
		if to := num("to"); to != 0 {
			return "Assigned to " + names[to]
		}
		return "Unassigned"
	case EventUrgency:
		return "Urgency: " + Urgency(str("urgency")).Label()
	case EventCategories:
		var list []string
		if cats, ok := details["categories"].([]any); ok {
			for _, c := range cats {
				if k, ok := c.(string); ok {
					list = append(list, categoryName(k))
				}
			}
		}
		if len(list) == 0 {
			return "Categories removed"
		}
		return "Categories: " + strings.Join(list, ", ")
	case EventDecision:
		return "Decision recorded: " + Outcome(str("outcome")).Label()
	case EventClosed:
		return "Closed"
	case EventReopened:
		return "Reopened"
	case EventEnteredInError:
		return "Marked entered in error"
	case EventRestricted:
		if r, _ := details["restricted"].(bool); r {
			return "Access restricted to named DSLs"
		}
		if n := num("excluded"); n > 0 {
			return "Access changed: some people excluded"
		}
		return "Access restriction lifted"
	case EventLinked:
		return "Linked to " + str("ref")
	}
	return string(kind)
}

// auditEvent is the audit record of a change to the concern ref.
func auditEvent(action, ref string, details map[string]any) audit.Event {
	return audit.Event{Action: action, SubjectType: "concern", SubjectID: ref, Details: details}
}
