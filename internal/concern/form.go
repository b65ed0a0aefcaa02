package concern

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/validate"
	"github.com/havenschools/haven/internal/when"
)

// Form is the "Report a concern" form as the person filled it in, exactly as
// typed: it is what a draft keeps, what Submit checks, and what a page shows
// back after a problem. Nothing in it is trusted until Submit checks it.
type Form struct {
	// SubmissionID is minted when the form is first shown (NewSubmissionID):
	// the same form sent twice is one concern.
	SubmissionID string `json:"submission_id"`
	// InDanger: "yes", "no", or "" while not answered.
	InDanger       string         `json:"in_danger"`
	Children       []FormChild    `json:"children"`
	Account        string         `json:"account"`
	ChildsWords    string         `json:"childs_words"`
	Happened       when.DateParts `json:"happened"`
	HappenedApprox bool           `json:"happened_approx"`
	HappenedTime   string         `json:"happened_time"`
	Seen           when.DateParts `json:"seen"`
	Location       string         `json:"location"`
	// ToldDSL: "yes" (with who and when) or "not_yet".
	ToldDSL      string   `json:"told_dsl"`
	ToldDSLWho   string   `json:"told_dsl_who"`
	ToldDSLWhen  string   `json:"told_dsl_when"`
	ActionsTaken string   `json:"actions_taken"`
	Categories   []string `json:"categories"`
	// Indicators are CSE indicator codes, recorded for the one child the
	// concern is about.
	Indicators []string `json:"indicators"`
	// FGMPolice: "reported", "not_yet" or "not_known_case", when FGM is a category.
	FGMPolice    string `json:"fgm_police"`
	FGMPoliceRef string `json:"fgm_police_ref"`
	// BodyMarks are recorded for the one child the concern is about.
	BodyMarks []BodyMark `json:"body_marks"`
	// OnBehalfOf names who raised the concern, when a DSL records one passed
	// on by phone or on paper; ignored for anyone else.
	OnBehalfOf string `json:"on_behalf_of"`
}

// FormChild is one child named on the form: a child of the school
// (ChildID) or a child who is not known (Description), and their role.
type FormChild struct {
	ChildID     int64  `json:"child_id,omitempty"`
	Description string `json:"description,omitempty"`
	Role        Role   `json:"role"`
}

// Field names of the form: the keys of its problems, and the ids the error
// summary links to.
const (
	FieldInDanger     = "in_danger"
	FieldChild        = "child"
	FieldAccount      = "account"
	FieldChildsWords  = "childs_words"
	FieldHappened     = "happened"
	FieldHappenedTime = "happened_time"
	FieldSeen         = "seen"
	FieldLocation     = "location"
	FieldToldDSL      = "told_dsl"
	FieldToldDSLWho   = "told_dsl_who"
	FieldToldDSLWhen  = "told_dsl_when"
	FieldActions      = "actions_taken"
	FieldCategories   = "categories"
	FieldIndicators   = "indicators"
	FieldFGMPolice    = "fgm_police"
	FieldFGMRef       = "fgm_police_ref"
	FieldBodyMarks    = "body_marks"
	FieldOnBehalfOf   = "on_behalf_of"
	FieldAttachments  = "attachments"
)

// FieldOrder is the order of the fields on the page, for the error summary.
var FieldOrder = []string{FieldInDanger, FieldChild, FieldAccount, FieldChildsWords, FieldHappened,
	FieldHappenedTime, FieldSeen, FieldLocation, FieldToldDSL, FieldToldDSLWho, FieldToldDSLWhen, FieldActions,
	FieldCategories, FieldIndicators, FieldFGMPolice, FieldFGMRef, FieldBodyMarks, FieldAttachments, FieldOnBehalfOf}

// ChildField is the problem key of the i-th child on the form.
func ChildField(i int) string { return "child-" + strconv.Itoa(i) }

// Limits on what may be typed, in characters (a character count shows them).
const (
	MaxAccountChars = 10000
	MaxWordsChars   = 10000
	MaxActionsChars = 5000
	MaxNoteChars    = 1000
	MaxChildren     = 20
	MaxBodyMarks    = 40
)

// checked is a form that passed its checks, ready to store.
type checked struct {
	Form
	happenedOn, seenOn time.Time
	inDanger           bool
}

// check validates f for by at now, against the school's category keys. It
// tidies f (trims, drops empty body-map rows) and returns its problems,
// keyed by the Field names.
func (f Form) check(by actor.Actor, now time.Time, categories map[string]bool) (checked, validate.Problems) {
	p := validate.Problems{}
	c := checked{Form: f}
	today := when.Today(now)

	switch f.InDanger {
	case "yes", "no":
		c.inDanger = f.InDanger == "yes"
	default:
		p.Add(FieldInDanger, "Select yes if the child is in immediate danger")
	}

	if len(f.Children) == 0 {
		p.Add(FieldChild, "Choose the child, or select ‘Child not known’ and describe them")
	}
	if len(f.Children) > MaxChildren {
		p.Add(FieldChild, "Name at most "+strconv.Itoa(MaxChildren)+" children")
	}
	subjects, seen := 0, map[int64]bool{}
	for i, ch := range f.Children {
		switch {
		case ch.ChildID == 0 && strings.TrimSpace(ch.Description) == "":
			p.Add(ChildField(i), "Describe the child who is not known")
		case ch.ChildID == 0:
			if msg := textProblem(ch.Description, "the description of the child", 1000, false); msg != "" {
				p.Add(ChildField(i), msg)
			}
		case seen[ch.ChildID]:
			p.Add(ChildField(i), "This child is named twice: remove one")
		}
		if ch.ChildID != 0 {
			seen[ch.ChildID] = true
		}
		if !ch.Role.Valid() {
			p.Add(ChildField(i), "Select how this child is involved")
		}
		if ch.Role == Subject {
			subjects++
		}
	}
	if len(f.Children) > 0 && subjects == 0 {
		p.Add(FieldChild, "Select which child the concern is about")
	}

	if msg := textProblem(f.Account, "what happened", MaxAccountChars, true); msg != "" {
		p.Add(FieldAccount, msg)
	}
	if msg := textProblem(f.ChildsWords, "the child’s words", MaxWordsChars, false); msg != "" {
		p.Add(FieldChildsWords, msg)
	}

	c.happenedOn = checkDate(p, FieldHappened, f.Happened, "the date it happened", today)
	if msg := validate.Name(f.HappenedTime, "The time", false, 100); msg != "" {
		p.Add(FieldHappenedTime, msg)
	} else if later := laterToday(c.happenedOn, f.HappenedTime, now); later != "" {
		p.Add(FieldHappenedTime, "The time it happened, "+later+" today, is later than now: check the time and the date")
	}
	c.seenOn = checkDate(p, FieldSeen, f.Seen, "the date you saw or heard it", today)

	if msg := textProblem(f.Location, "where it happened", 500, false); msg != "" {
		p.Add(FieldLocation, msg)
	}

	switch f.ToldDSL {
	case "yes":
		if msg := validate.Name(strings.TrimSpace(f.ToldDSLWho), "which DSL you told", true, 200); msg != "" {
			p.Add(FieldToldDSLWho, msg)
		}
		if msg := validate.Name(f.ToldDSLWhen, "When you told them", false, 100); msg != "" {
			p.Add(FieldToldDSLWhen, msg)
		}
	case "not_yet":
		c.ToldDSLWho, c.ToldDSLWhen = "", ""
	default:
		p.Add(FieldToldDSL, "Select yes if you have told a DSL in person, or ‘Not yet’")
	}

	if msg := textProblem(f.ActionsTaken, "what you have done", MaxActionsChars, false); msg != "" {
		p.Add(FieldActions, msg)
	}

	c.Categories = nil
	for _, k := range f.Categories {
		if !categories[k] {
			p.Add(FieldCategories, "Choose from the list of kinds of concern")
			continue
		}
		if !slices.Contains(c.Categories, k) {
			c.Categories = append(c.Categories, k)
		}
	}

	c.Indicators = nil
	for _, code := range f.Indicators {
		if _, ok := IndicatorLabel(code); !ok {
			p.Add(FieldIndicators, "Choose from the list of indicators")
			continue
		}
		if !slices.Contains(c.Indicators, code) {
			c.Indicators = append(c.Indicators, code)
		}
	}
	if len(c.Indicators) > 0 && len(f.Children) > 0 && subjects != 1 {
		p.Add(FieldIndicators, "CSE indicators are recorded for one child: select only one child the concern is about, "+
			"and record a separate concern for each other child")
	}

	if slices.Contains(c.Categories, "fgm") {
		switch f.FGMPolice {
		case "", "reported", "not_yet", "not_known_case":
		default:
			p.Add(FieldFGMPolice, "Select whether you have reported it to the police")
		}
		if f.FGMPolice != "reported" {
			c.FGMPoliceRef = ""
		}
		if msg := validate.Name(strings.TrimSpace(c.FGMPoliceRef), "The police reference", false, 100); msg != "" {
			p.Add(FieldFGMRef, msg)
		}
	} else {
		c.FGMPolice, c.FGMPoliceRef = "", ""
	}

	c.BodyMarks = nil
	for _, m := range f.BodyMarks {
		if m.Region == "" && strings.TrimSpace(m.Note) == "" {
			continue // an empty row of the form
		}
		if _, ok := RegionByCode(m.Region); !ok {
			p.Add(FieldBodyMarks, "Choose where on the body each mark is")
		}
		if m.Side != "front" && m.Side != "back" {
			p.Add(FieldBodyMarks, "Select front or back for each mark")
		}
		if msg := textProblem(m.Note, "the note about the mark", MaxNoteChars, false); msg != "" {
			p.Add(FieldBodyMarks, msg)
		}
		c.BodyMarks = append(c.BodyMarks, m)
	}
	if len(c.BodyMarks) > MaxBodyMarks {
		p.Add(FieldBodyMarks, "Record at most "+strconv.Itoa(MaxBodyMarks)+" marks")
	}
	if len(c.BodyMarks) > 0 && len(f.Children) > 0 && subjects != 1 {
		p.Add(FieldBodyMarks, "A body map is recorded for one child: select only one child the concern is about")
	}

	if by.Role == actor.DSL {
		if msg := validate.Name(strings.TrimSpace(f.OnBehalfOf), "The name", false, 200); msg != "" {
			p.Add(FieldOnBehalfOf, msg)
		}
	} else {
		c.OnBehalfOf = ""
	}
	return c, p
}

// clockRE finds a time of day in what was typed: "10:30am", "2pm",
// "14.27", "about 3 p.m.". A bare number ("3") is not taken for a time.
var clockRE = regexp.MustCompile(`(?i)\b([01]?\d|2[0-3])(?:[:.]([0-5]\d))?\s*(am|pm|a\.m\.|p\.m\.)?`)

// laterToday returns the earliest time of day typed in text (as typed),
// when on is today at now and that time has not come yet; "" otherwise —
// also when text names no time ("lunchtime").
func laterToday(on time.Time, text string, now time.Time) string {
	local := now.In(when.London())
	if on.IsZero() || !on.Equal(when.Today(now)) {
		return ""
	}
	earliest, typed := -1, ""
	for _, m := range clockRE.FindAllStringSubmatch(text, -1) {
		if m[2] == "" && m[3] == "" {
			continue
		}
		h, _ := strconv.Atoi(m[1])
		mins, _ := strconv.Atoi(m[2])
		switch strings.ToLower(strings.ReplaceAll(m[3], ".", "")) {
		case "am":
			if h > 12 {
				continue
			}
			if h == 12 {
				h = 0
			}
		case "pm":
			if h > 12 {
				continue
			}
			if h < 12 {
				h += 12
			}
		}
		if t := h*60 + mins; earliest < 0 || t < earliest {
			earliest, typed = t, strings.TrimSpace(m[0])
		}
	}
	if earliest > local.Hour()*60+local.Minute() {
		return typed
	}
	return ""
}

// checkDate adds a problem for a missing, unreal or future date, and
// returns the date.
func checkDate(p validate.Problems, field string, d when.DateParts, what string, today time.Time) time.Time {
	if d.Empty() {
		p.Add(field, "Enter "+what)
		return time.Time{}
	}
	t, ok := d.Date()
	switch {
	case !ok:
		p.Add(field, capitalise(what)+" must be a real date")
	case t.After(today):
		p.Add(field, capitalise(what)+" must be today or in the past")
	case t.Before(today.AddDate(-30, 0, 0)):
		p.Add(field, capitalise(what)+" must be within the last 30 years")
	}
	return t
}

// textProblem checks free text: validate.Text's rules and at most maxChars
// characters.
func textProblem(s, what string, maxChars int, required bool) string {
	if msg := validate.Text(s, what, required, 4*maxChars); msg != "" {
		return capitalise(msg)
	}
	if utf8.RuneCountInString(s) > maxChars {
		return capitalise(what) + " must be " + strconv.Itoa(maxChars) + " characters or fewer"
	}
	return ""
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return strings.ToUpper(string(r)) + s[n:]
}

// ImagesRefused reports whether images may not be attached to a concern with
// these categories: sexual abuse, exploitation, sexual violence or sharing
// nudes, where an image may itself be an indecent image of a child. The
// UKCIS guidance applies: do not view, copy, forward or delete such images —
// tell the DSL.
func ImagesRefused(categories []string) bool {
	for _, k := range categories {
		switch k {
		case "cse", "sexual_abuse", "nudes", "sexual_violence_harassment":
			return true
		}
	}
	return false
}
