// Package allegation keeps concerns about adults who work or volunteer in
// the school — allegations that may meet the harm threshold, and low-level
// concerns — apart from the DSL's child-protection work, as KCSIE Part four
// asks. A concern about an adult goes to the headteacher, or to the chair
// of governors when it is about the headteacher; it never enters the DSL's
// queue, is never shown to the adult it is about (whatever their role), and
// never appears on a child's chronology. Its handler acknowledges it,
// records the LADO consultation (prompted after one working day), actions
// and the outcome in KCSIE's terms; low-level concerns about one adult are
// pieced together and flagged. Records are kept by their own retention
// rules (RetainUntil, DueForReview), and their personal data removed only
// after two people sign off (Delete).
//
// Who may see a record is enforced by this package's queries and by
// row-level security (migration 00081), so a DSL's, an admin's or the
// subject's transaction reads no allegation at all.
package allegation

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/havenschools/haven/internal/plural"
	"github.com/havenschools/haven/internal/school"
	"github.com/havenschools/haven/internal/when"
)

// Kind says whether a concern about an adult may meet the harm threshold
// (an allegation, for the LADO) or is a low-level concern.
type Kind string

// The kinds, as the reporter chooses them; the handler may change a kind.
const (
	HarmThreshold Kind = "harm_threshold"
	LowLevel      Kind = "low_level"
	NotSure       Kind = "not_sure"
)

// Kinds lists the kinds in the order the forms offer them.
func Kinds() []Kind { return []Kind{HarmThreshold, LowLevel, NotSure} }

// Valid reports whether k is a kind.
func (k Kind) Valid() bool { return k == HarmThreshold || k == LowLevel || k == NotSure }

// Label is the kind in words.
func (k Kind) Label() string {
	switch k {
	case HarmThreshold:
		return "May meet the harm threshold"
	case LowLevel:
		return "Low-level concern"
	case NotSure:
		return "Not sure yet"
	}
	return string(k)
}

// Hint explains the kind, in KCSIE's words, for the forms.
func (k Kind) Hint() string {
	switch k {
	case HarmThreshold:
		return "They may have harmed a child, committed a crime against or related to a child, behaved in a way that shows they may pose a risk to children, or behaved in a way that shows they may not be suitable to work with children."
	case LowLevel:
		return "Behaviour that does not fit the staff code of conduct, even something small, that does not meet the harm threshold: for example being over-friendly with children, having favourites, or taking photographs of children on their own phone."
	case NotSure:
		return "The headteacher decides."
	}
	return ""
}

// Route is who handles a concern about an adult.
type Route string

// Routes: the head, or the chair of governors when the head is the subject.
const (
	ToHead  Route = "head"
	ToChair Route = "chair"
)

// Label names who a concern went to.
func (r Route) Label() string {
	if r == ToChair {
		return "the chair of governors"
	}
	return "the headteacher"
}

// Status is where a concern about an adult is: reported, acknowledged by
// its handler, or closed with an outcome.
type Status string

// The statuses.
const (
	Submitted    Status = "submitted"
	Acknowledged Status = "acknowledged"
	Closed       Status = "closed"
)

// Label is the status in words.
func (s Status) Label() string {
	switch s {
	case Submitted:
		return "New"
	case Acknowledged:
		return "Acknowledged"
	case Closed:
		return "Closed"
	}
	return string(s)
}

// Outcome is how an allegation ended, in KCSIE's terms, or the closing of
// a low-level concern.
type Outcome string

// The outcomes.
const (
	Substantiated   Outcome = "substantiated"
	False           Outcome = "false"
	Malicious       Outcome = "malicious"
	Unsubstantiated Outcome = "unsubstantiated"
	Unfounded       Outcome = "unfounded"
	// LowLevelClosed closes a low-level concern: it stays in the log.
	LowLevelClosed Outcome = "low_level"
)

// Outcomes lists the statutory outcomes of an allegation, in the order the
// form offers them.
func Outcomes() []Outcome {
	return []Outcome{Substantiated, Unsubstantiated, Unfounded, False, Malicious}
}

// Valid reports whether o is an outcome.
func (o Outcome) Valid() bool {
	switch o {
	case Substantiated, False, Malicious, Unsubstantiated, Unfounded, LowLevelClosed:
		return true
	}
	return false
}

// Label is the outcome in words.
func (o Outcome) Label() string {
	switch o {
	case Substantiated:
		return "Substantiated"
	case False:
		return "False"
	case Malicious:
		return "Malicious"
	case Unsubstantiated:
		return "Unsubstantiated"
	case Unfounded:
		return "Unfounded"
	case LowLevelClosed:
		return "Closed as a low-level concern"
	}
	return string(o)
}

// Hint is KCSIE's definition of the outcome.
func (o Outcome) Hint() string {
	switch o {
	case Substantiated:
		return "There is sufficient evidence to prove the allegation."
	case False:
		return "There is sufficient evidence to disprove the allegation. Its record is removed."
	case Malicious:
		return "There is sufficient evidence to disprove the allegation, and there has been a deliberate act to deceive. Its record is removed."
	case Unsubstantiated:
		return "There is insufficient evidence either to prove or disprove the allegation. This does not imply guilt or innocence."
	case Unfounded:
		return "There is no evidence or proper basis which supports the allegation being made."
	}
	return ""
}

// Removed reports whether the outcome's record is removed: false and
// malicious allegations are not kept.
func (o Outcome) Removed() bool { return o == False || o == Malicious }

// ActionKind is a kind of action the handler records.
type ActionKind string

// The action kinds.
const (
	ActionSpokeToPerson   ActionKind = "spoke_to_person"
	ActionStrategyMeeting ActionKind = "strategy_meeting"
	ActionPolice          ActionKind = "police"
	ActionSuspension      ActionKind = "suspension"
	ActionRiskAssessment  ActionKind = "risk_assessment"
	ActionHRAdvice        ActionKind = "hr_advice"
	ActionInvestigation   ActionKind = "investigation"
	ActionParents         ActionKind = "parents_informed"
	ActionDBS             ActionKind = "dbs_referral"
	ActionTRA             ActionKind = "tra_referral"
	ActionOther           ActionKind = "other"
)

// ActionKinds lists the kinds in the order the form offers them.
func ActionKinds() []ActionKind {
	return []ActionKind{ActionSpokeToPerson, ActionStrategyMeeting, ActionPolice, ActionSuspension, ActionRiskAssessment,
		ActionHRAdvice, ActionInvestigation, ActionParents, ActionDBS, ActionTRA, ActionOther}
}

// Valid reports whether k is an action kind.
func (k ActionKind) Valid() bool {
	for _, a := range ActionKinds() {
		if a == k {
			return true
		}
	}
	return false
}

// Label is the action kind in words.
func (k ActionKind) Label() string {
	switch k {
	case ActionSpokeToPerson:
		return "Spoke with the person it is about"
	case ActionStrategyMeeting:
		return "Strategy meeting"
	case ActionPolice:
		return "Police informed"
	case ActionSuspension:
		return "Suspension considered"
	case ActionRiskAssessment:
		return "Risk assessment"
	case ActionHRAdvice:
		return "HR or legal advice"
	case ActionInvestigation:
		return "Investigation"
	case ActionParents:
		return "Parents or carers informed"
	case ActionDBS:
		return "Referral to the Disclosure and Barring Service"
	case ActionTRA:
		return "Referral to the Teaching Regulation Agency"
	case ActionOther:
		return "Other"
	}
	return string(k)
}

// SubjectKey names the adult a concern is about, so that concerns about
// the same person are pieced together: their account when linked,
// otherwise their name lower-cased with single spaces.
func SubjectKey(userID int64, name string) string {
	if userID != 0 {
		return "u:" + strconv.FormatInt(userID, 10)
	}
	return "n:" + strings.Join(strings.Fields(strings.ToLower(name)), " ")
}

// today is the date of t in London, as midnight UTC (like a Postgres date).
func today(t time.Time) time.Time { return when.Today(t) }

// LADOPrompt says when the LADO should have been consulted about a
// concern reported at reported — within one working day of the school's
// calendar — and whether, at now, the handler must be prompted: an
// allegation (or one not yet classed) still open with no consultation
// recorded, once that working day has come. Low-level concerns are not
// prompted.
func LADOPrompt(k Kind, open, consulted bool, reported time.Time, cal school.Calendar, now time.Time) (due time.Time, prompt bool) {
	due = cal.AddWorkingDays(reported, 1)
	if k == LowLevel || !open || consulted {
		return due, false
	}
	return due, !today(now).Before(due)
}

// RetentionRule is how long a school keeps allegation records (school
// setting, docs/allegations.md): until the person's normal retirement age
// or MinimumYears after the allegation, whichever is later.
type RetentionRule struct {
	RetirementAge int
	MinimumYears  int
}

// DefaultRetention is KCSIE's rule: normal pension age (67) or ten years.
var DefaultRetention = RetentionRule{RetirementAge: 67, MinimumYears: 10}

// RetainUntil applies the rule to an allegation reported on reported with
// outcome o, about a person born on dob (nil: not known). Substantiated,
// unsubstantiated and unfounded allegations are kept until the later of
// their retirement date and MinimumYears after the report (without a date
// of birth, MinimumYears after the report, and dobMissing is set so the
// review checks their age); false and malicious ones are removed at once
// (remove); a low-level concern has no date — it is reviewed when the
// person leaves.
func RetainUntil(o Outcome, reported time.Time, dob *time.Time, r RetentionRule) (until time.Time, remove, dobMissing bool) {
	switch o {
	case False, Malicious:
		return time.Time{}, true, false
	case Substantiated, Unsubstantiated, Unfounded:
		day := today(reported)
		until = day.AddDate(r.MinimumYears, 0, 0)
		if dob == nil {
			return until, false, true
		}
		retire := time.Date(dob.Year(), dob.Month(), dob.Day(), 0, 0, 0, 0, time.UTC).AddDate(r.RetirementAge, 0, 0)
		if retire.After(until) {
			until = retire
		}
		return until, false, false
	}
	return time.Time{}, false, false
}

// FlagRule is when low-level concerns about one adult flag them: Count
// concerns within Days (a school setting, like the children's flag).
type FlagRule struct {
	Count int
	Days  int
}

// DefaultFlagRule is 3 low-level concerns within a year.
var DefaultFlagRule = FlagRule{Count: 3, Days: 365}

// Flag is the cumulative flag of the low-level concerns about one adult.
type Flag struct {
	InWindow int  // low-level concerns within the rule's window
	Raised   bool // they reach the rule, and none arrived since the last review said otherwise
	// Reviewed: they reach the rule but a pattern review came after the
	// latest of them (the next one raises the flag again).
	Reviewed bool
	Reason   string
}

// LowLevelFlag applies r at now to the dates low-level concerns about one
// adult were reported, given the time of the last pattern review (zero:
// never reviewed). No flag never means no concern.
func LowLevelFlag(reported []time.Time, lastReview time.Time, r FlagRule, now time.Time) Flag {
	from := now.AddDate(0, 0, -r.Days)
	var f Flag
	var latest time.Time
	for _, t := range reported {
		if !t.Before(from) && !t.After(now) {
			f.InWindow++
		}
		if t.After(latest) {
			latest = t
		}
	}
	if f.InWindow < r.Count {
		return f
	}
	f.Reason = fmt.Sprintf("%s about this person in the last %s (the school flags %d)",
		plural.Count(f.InWindow, "low-level concern", "low-level concerns"), plural.Count(r.Days, "day", "days"), r.Count)
	if !lastReview.IsZero() && lastReview.After(latest) {
		f.Reviewed = true
		return f
	}
	f.Raised = true
	return f
}

// NoFlagNote is said wherever flags are shown.
const NoFlagNote = "No flag does not mean no concern: read the log."
