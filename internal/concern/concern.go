// Package concern records what staff saw or heard about a child, and keeps
// it: the form and its drafts, submission (once, whatever the network does),
// the children of a concern each with their role, CSE indicators, the body
// map, attachments and addenda. A submitted concern is never edited;
// corrections and later information are addenda.
package concern

import (
	"time"
)

// Status is where a concern is in its lifecycle.
type Status string

// The lifecycle of DESIGN.md: submitted → acknowledged (a DSL owns it) →
// in_progress (a decision is recorded) → closed.
const (
	Submitted    Status = "submitted"
	Acknowledged Status = "acknowledged"
	InProgress   Status = "in_progress"
	Closed       Status = "closed"
)

// EnteredInError is no stage of the lifecycle (the concern keeps the stage
// it had, and the column holds only those): it is the status a concern
// marked entered in error shows wherever a status is shown, read through
// statusSQL, so nobody takes it for a live "New" concern.
const EnteredInError Status = "entered_in_error"

// statusSQL is the status column of concerns as it is shown:
// EnteredInError for a concern marked so. cStatusSQL is the same for
// concerns aliased c.
const (
	statusSQL  = `CASE WHEN entered_in_error_at IS NULL THEN status ELSE 'entered_in_error' END`
	cStatusSQL = `CASE WHEN c.entered_in_error_at IS NULL THEN c.status ELSE 'entered_in_error' END`
)

// ForStaff is the status in the plain words the person who recorded the
// concern sees: nothing of what the DSL decided.
func (s Status) ForStaff() string {
	switch s {
	case Submitted:
		return "Received"
	case Acknowledged, InProgress:
		return "Acknowledged by the DSL"
	case Closed:
		return "Closed"
	case EnteredInError:
		return "Entered in error"
	}
	return "Received"
}

// Role is how a child is involved in a concern.
type Role string

// The roles a child may have in a concern.
const (
	Subject       Role = "subject"        // the child the concern is about
	AllegedHarmer Role = "alleged_harmer" // a child alleged to have caused harm
	Witness       Role = "witness"
	Mentioned     Role = "mentioned"
)

// Roles lists the roles in the order the form offers them.
func Roles() []Role { return []Role{Subject, AllegedHarmer, Witness, Mentioned} }

// Valid reports whether r is a role.
func (r Role) Valid() bool {
	switch r {
	case Subject, AllegedHarmer, Witness, Mentioned:
		return true
	}
	return false
}

// Label is the role as the form and a child's file say it.
func (r Role) Label() string {
	switch r {
	case Subject:
		return "The concern is about this child"
	case AllegedHarmer:
		return "Alleged to have caused harm"
	case Witness:
		return "Witness"
	case Mentioned:
		return "Mentioned"
	}
	return string(r)
}

// Concern is a submitted concern as its author may see it again: what they
// recorded, never what a DSL recorded about it afterwards.
type Concern struct {
	ID             int64
	SchoolID       int64
	Ref            string
	SubmissionID   string
	RecordedBy     int64
	OnBehalfOf     string
	HappenedOn     time.Time
	HappenedApprox bool
	HappenedTime   string
	SeenOn         time.Time
	Location       string
	Account        string
	ChildsWords    string
	ToldDSL        string // "yes" or "not_yet"
	ToldDSLWho     string
	ToldDSLWhen    string
	ActionsTaken   string
	InDanger       bool
	Categories     []string
	FGMPolice      string
	FGMPoliceRef   string
	Status         Status
	CreatedAt      time.Time
}

// Receipt is what a member of staff is shown once a concern is stored.
type Receipt struct {
	Ref       string
	InDanger  bool
	CreatedAt time.Time
	// NotToldDSL: the person answered "Not yet" to "Have you told a DSL
	// in person?", so the receipt asks them to now.
	NotToldDSL bool
	// Again: this submission had already been stored (a double click, a
	// retry); nothing new was stored, audited or sent.
	Again bool
}

// ConcernChild is one child of a concern, with their role; Name is empty
// and Description set for a child who is not known.
type ConcernChild struct {
	ID          int64 // the concern_children row
	ChildID     int64 // 0: not known
	Name        string
	Description string
	Role        Role
	Indicators  []string
}

// Addendum is further information added to a submitted concern.
type Addendum struct {
	ID        int64
	AuthorID  int64
	Author    string
	Body      string
	CreatedAt time.Time
}

// BodyMark is one mark or injury on the body map: a region, front or back,
// and a note.
type BodyMark struct {
	Region string `json:"region"`
	Side   string `json:"side"` // "front" or "back"
	Note   string `json:"note"`
}

// Mine is one row of "My concerns": a concern the person recorded.
type Mine struct {
	Ref       string
	Children  string // the children it is about, or "Child not known"
	CreatedAt time.Time
	Status    Status
}

// DraftSummary is one unsent draft of its author.
type DraftSummary struct {
	SubmissionID string
	Children     string // the children named so far, or ""
	SavedAt      time.Time
}
