package auth

import (
	"slices"

	"github.com/havenschools/haven/internal/actor"
)

// Stage is how far a request's session has got through signing in.
type Stage int

// The stages, in order. A route's rule names the stage it needs.
const (
	// Anonymous: no session, or one that has ended.
	Anonymous Stage = iota
	// PasswordChecked: the password was right; the second factor is
	// still to be checked or enrolled.
	PasswordChecked
	// SignedIn: fully signed in, but no school chosen yet.
	SignedIn
	// InSchool: fully signed in and working in a school, with a role.
	InSchool
)

// Rule is who may use a route: everyone (Public), someone at least at a
// stage of signing in, or a member of the current school with one of Roles.
type Rule struct {
	Public bool
	Stage  Stage
	Roles  []actor.Role // with Stage InSchool: nil means any role
}

// The rules routes use.
var (
	// Public: anyone, signed in or not (the sign-in pages, probes, static files).
	Public = Rule{Public: true}
	// SecondFactorStep: the second-factor pages, reachable once the
	// password was right.
	SecondFactorStep = Rule{Stage: PasswordChecked}
	// ChoosingSchool: fully signed in; no school needed yet.
	ChoosingSchool = Rule{Stage: SignedIn}
	// AnyMember: signed in to a school, whatever the role.
	AnyMember = Rule{Stage: InSchool}
)

// Roles is the rule for members of the current school with one of roles.
func Roles(roles ...actor.Role) Rule { return Rule{Stage: InSchool, Roles: roles} }

// Allows reports whether a session at stage, with role in the current
// school (when at InSchool), may use a route with this rule. A route that
// needs an earlier stage is open to later stages too.
func (r Rule) Allows(stage Stage, role actor.Role) bool {
	if r.Public {
		return true
	}
	if stage < r.Stage {
		return false
	}
	return len(r.Roles) == 0 || slices.Contains(r.Roles, role)
}
