// Package actor says who is acting: a signed-in user, in one school, with one
// role, and where the request came from. It is a leaf package, so the audit
// log, the database layer and every domain package can take an Actor.
package actor

// Role is what a user may do in one school.
type Role string

// The roles of DESIGN.md. A Deputy DSL is a DSL whose membership is marked deputy.
const (
	Staff Role = "staff"
	DSL   Role = "dsl"
	Head  Role = "head"
	Admin Role = "admin"
	// System is the role of work that no person started (jobs, the CLI's bootstrap).
	System Role = "system"
)

// Valid reports whether r is one of the roles a membership may hold.
func (r Role) Valid() bool {
	switch r {
	case Staff, DSL, Head, Admin:
		return true
	}
	return false
}

// Source is where a request came from, for the audit trail.
type Source struct {
	RequestID string
	ClientIP  string
	UserAgent string
	// AfterOwnAction: the request is the page a person's own form post
	// redirected them to (the web layer marks it). A view recorded then is
	// part of that action: it stays in the audit trail, marked so, and
	// "Who has seen this" does not list it as a view of its own.
	AfterOwnAction bool
}

// Actor is the user acting in one school. UserID 0 means no signed-in user
// (the system, or someone not yet signed in); SchoolID 0 means no school.
type Actor struct {
	UserID   int64
	SchoolID int64
	Role     Role
	Source   Source
}

// SystemIn returns the actor for work Haven does by itself in a school.
func SystemIn(schoolID int64) Actor {
	return Actor{SchoolID: schoolID, Role: System}
}
