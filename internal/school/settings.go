package school

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/auth"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/fail"
	"github.com/havenschools/haven/internal/validate"
	"github.com/havenschools/haven/internal/when"
)

// ErrForbidden means the actor's role may not change school settings.
var ErrForbidden = fail.New(fail.Forbidden, "not allowed to change school settings")

// Contact is a person or service to call, with their phone number.
type Contact struct {
	Name  string `json:"name"`
	Phone string `json:"phone"`
}

// Category is a kind of concern a school records. Key is stable (concerns
// store it); Name is what people see; an inactive category is no longer
// offered but still names older concerns.
type Category struct {
	Key      string
	Name     string
	Position int
	Active   bool
}

// DefaultCategories are a new school's concern categories, in order.
var DefaultCategories = []Category{
	{Key: "cse", Name: "Child sexual exploitation"},
	{Key: "cce", Name: "Child criminal exploitation / county lines"},
	{Key: "sexual_violence_harassment", Name: "Sexual violence and sexual harassment"},
	{Key: "sexual_abuse", Name: "Sexual abuse"},
	{Key: "physical_abuse", Name: "Physical abuse"},
	{Key: "emotional_abuse", Name: "Emotional abuse"},
	{Key: "neglect", Name: "Neglect"},
	{Key: "nudes", Name: "Sharing nudes and semi-nudes"},
	{Key: "online_safety", Name: "Online safety"},
	{Key: "child_on_child", Name: "Child-on-child abuse"},
	{Key: "domestic_abuse", Name: "Domestic abuse"},
	{Key: "radicalisation", Name: "Radicalisation / Prevent"},
	{Key: "fgm", Name: "FGM"},
	{Key: "self_harm_mental_health", Name: "Self-harm / mental health"},
	{Key: "absent_from_education", Name: "Children absent from education"},
	{Key: "other", Name: "Other"},
}

// Term is a run of dates the school is open (on its school days).
type Term struct {
	ID       int64
	Name     string
	StartsOn time.Time
	EndsOn   time.Time
}

// Settings are one school's settings, used by every part of Haven: who
// staff call in an emergency, when the school is open, its categories of
// concern, how soon unacknowledged concerns escalate, when concerns about
// one child add up, and whether all staff need a second factor.
type Settings struct {
	SchoolID        int64
	Name            string // the school's name
	DSLContacts     []Contact
	FrontDoorName   string // the local children's services front door ("MASH")
	FrontDoorPhone  string
	OutOfHoursName  string // the out-of-hours emergency duty team
	OutOfHoursPhone string
	DayStarts       string // "08:30", local time (Europe/London)
	DayEnds         string
	SchoolDays      []int // ISO weekdays, 1 = Monday
	// UrgentEscalation and Escalation: an unacknowledged concern (in
	// immediate danger, or any other) escalates after this long.
	UrgentEscalation time.Duration
	Escalation       time.Duration
	// A child is flagged at CumulativeCount concerns within CumulativeDays,
	// or when CSE indicators come from CSEStaffThreshold different staff.
	CumulativeCount   int
	CumulativeDays    int
	CSEStaffThreshold int
	Require2FAAll     bool
	// ChairOfGovernors is the member who acts as chair of governors in
	// Haven (0: none named): concerns about the head go to them, with the
	// head's powers for those records only (internal/allegation).
	ChairOfGovernors int64
	Categories       []Category // active and inactive, in order
	Terms            []Term     // by start date
}

// ActiveCategories returns the categories offered for new concerns, in order.
func (s Settings) ActiveCategories() []Category {
	var out []Category
	for _, c := range s.Categories {
		if c.Active {
			out = append(out, c)
		}
	}
	return out
}

// Open reports whether the school is open at t: on a working day of its
// calendar (a school day, not a bank holiday, in a term when it has term
// dates) and within its hours.
func (s Settings) Open(t time.Time) bool {
	t = t.In(when.London())
	if hm := t.Format("15:04"); hm < s.DayStarts || hm >= s.DayEnds {
		return false
	}
	return s.Calendar().WorkingDay(t)
}

// insertDefaults gives a new school its settings row and default categories.
func insertDefaults(ctx context.Context, q db.Querier, schoolID int64) error {
	if _, err := q.Exec(ctx, `INSERT INTO school_settings (school_id) VALUES ($1)`, schoolID); err != nil {
		return err
	}
	for i, c := range DefaultCategories {
		if _, err := q.Exec(ctx, `INSERT INTO concern_categories (school_id, key, name, position) VALUES ($1, $2, $3, $4)`,
			schoolID, c.Key, c.Name, i+1); err != nil {
			return err
		}
	}
	return nil
}

// Settings returns the settings of by's school. Any member may read them
// (the concern form shows the DSLs' numbers).
func (s *Service) Settings(ctx context.Context, by actor.Actor) (Settings, error) {
	var st Settings
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var err error
		st, err = settings(ctx, tx, by.SchoolID)
		return err
	})
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		return Settings{}, fmt.Errorf("school settings: %w", err)
	}
	return st, err
}

func settings(ctx context.Context, q db.Querier, schoolID int64) (Settings, error) {
	st := Settings{SchoolID: schoolID}
	var contacts []byte
	var urgent, other int
	err := q.QueryRow(ctx, `
		SELECT s.name, ss.dsl_contacts, ss.front_door_name, ss.front_door_phone, ss.out_of_hours_name,
		       ss.out_of_hours_phone, to_char(ss.day_starts, 'HH24:MI'), to_char(ss.day_ends, 'HH24:MI'),
		       ss.school_days::int[], ss.urgent_escalation_minutes, ss.escalation_minutes, ss.cumulative_count,
		       ss.cumulative_days, ss.cse_staff_threshold, ss.require_2fa_all, coalesce(ss.chair_of_governors, 0)
		FROM schools s JOIN school_settings ss ON ss.school_id = s.id
		WHERE s.id = $1`, schoolID).Scan(&st.Name, &contacts, &st.FrontDoorName, &st.FrontDoorPhone,
		&st.OutOfHoursName, &st.OutOfHoursPhone, &st.DayStarts, &st.DayEnds, &st.SchoolDays, &urgent, &other,
		&st.CumulativeCount, &st.CumulativeDays, &st.CSEStaffThreshold, &st.Require2FAAll, &st.ChairOfGovernors)
	if errors.Is(err, pgx.ErrNoRows) {
		return Settings{}, db.ErrNotFound
	}
	if err != nil {
		return Settings{}, err
	}
	if err := json.Unmarshal(contacts, &st.DSLContacts); err != nil {
		return Settings{}, fmt.Errorf("dsl contacts: %w", err)
	}
	st.UrgentEscalation = time.Duration(urgent) * time.Minute
	st.Escalation = time.Duration(other) * time.Minute
	if st.Categories, err = CategoriesIn(ctx, q, schoolID); err != nil {
		return Settings{}, err
	}
	rows, _ := q.Query(ctx, `SELECT id, name, starts_on, ends_on FROM school_terms
		WHERE school_id = $1 ORDER BY starts_on, id`, schoolID)
	if st.Terms, err = pgx.CollectRows(rows, pgx.RowToStructByName[Term]); err != nil {
		return Settings{}, fmt.Errorf("terms: %w", err)
	}
	return st, nil
}

// SettingsForm is the School settings form as typed. DSL contacts come as
// parallel lists of names and phone numbers (blank rows are ignored);
// categories are one per line.
type SettingsForm struct {
	Name            string
	DSLNames        []string
	DSLPhones       []string
	FrontDoorName   string
	FrontDoorPhone  string
	OutOfHoursName  string
	OutOfHoursPhone string
	DayStarts       string
	DayEnds         string
	SchoolDays      []string // "1" … "7"
	UrgentMinutes   string
	EscalationHours string
	CumulativeCount string
	CumulativeDays  string
	CSEStaff        string
	Categories      string
	Require2FAAll   string // "yes" or "no"
	// ChairOfGovernors is the chosen member's user id, "" for none.
	ChairOfGovernors string
}

// FormFrom returns the form showing st.
func FormFrom(st Settings) SettingsForm {
	f := SettingsForm{
		Name: st.Name, FrontDoorName: st.FrontDoorName, FrontDoorPhone: st.FrontDoorPhone,
		OutOfHoursName: st.OutOfHoursName, OutOfHoursPhone: st.OutOfHoursPhone,
		DayStarts: st.DayStarts, DayEnds: st.DayEnds,
		UrgentMinutes:   strconv.Itoa(int(st.UrgentEscalation / time.Minute)),
		EscalationHours: formatHours(st.Escalation),
		CumulativeCount: strconv.Itoa(st.CumulativeCount),
		CumulativeDays:  strconv.Itoa(st.CumulativeDays),
		CSEStaff:        strconv.Itoa(st.CSEStaffThreshold),
		Require2FAAll:   "no",
	}
	if st.Require2FAAll {
		f.Require2FAAll = "yes"
	}
	if st.ChairOfGovernors != 0 {
		f.ChairOfGovernors = strconv.FormatInt(st.ChairOfGovernors, 10)
	}
	for _, c := range st.DSLContacts {
		f.DSLNames = append(f.DSLNames, c.Name)
		f.DSLPhones = append(f.DSLPhones, c.Phone)
	}
	for _, d := range st.SchoolDays {
		f.SchoolDays = append(f.SchoolDays, strconv.Itoa(d))
	}
	var names []string
	for _, c := range st.ActiveCategories() {
		names = append(names, c.Name)
	}
	f.Categories = strings.Join(names, "\n")
	return f
}

func formatHours(d time.Duration) string {
	return strconv.FormatFloat(d.Hours(), 'f', -1, 64)
}

// MaxDSLContacts bounds the DSL contacts a school lists.
const MaxDSLContacts = 8

var (
	clockRE = regexp.MustCompile(`^([01]?[0-9]|2[0-3])[:.]([0-5][0-9])$`)
	phoneRE = regexp.MustCompile(`^\+?[0-9 ()-]+$`)
)

// parsed is a valid form, ready to store.
type parsed struct {
	name                        string
	contacts                    []Contact
	frontName, frontPhone       string
	oohName, oohPhone           string
	starts, ends                string
	days                        []int
	urgent, escalation          int // minutes
	count, windowDays, cseStaff int
	require2FA                  bool
	categories                  []string
	chair                       int64 // 0: none
}

// check validates f, returning the values or the problems (keyed by the
// form's field ids).
func (f SettingsForm) check() (parsed, validate.Problems) {
	p := validate.Problems{}
	var v parsed
	v.name = strings.TrimSpace(f.Name)
	if msg := validate.Name(v.name, "the school's name", true, 200); msg != "" {
		p.Add("name", msg)
	}
	for i := range max(len(f.DSLNames), len(f.DSLPhones)) {
		name, phone := strings.TrimSpace(at(f.DSLNames, i)), strings.TrimSpace(at(f.DSLPhones, i))
		if name == "" && phone == "" {
			continue
		}
		n := strconv.Itoa(i + 1)
		if msg := validate.Name(name, "the name of DSL "+n, true, 200); msg != "" {
			p.Add("dsl-name-"+n, msg)
		}
		if msg := checkPhone(phone, "the phone number of DSL "+n, true); msg != "" {
			p.Add("dsl-phone-"+n, msg)
		}
		v.contacts = append(v.contacts, Contact{Name: name, Phone: phone})
	}
	if len(v.contacts) > MaxDSLContacts {
		p.Add("dsl-name-1", fmt.Sprintf("List at most %d DSLs", MaxDSLContacts))
	}
	v.frontName, v.frontPhone = strings.TrimSpace(f.FrontDoorName), strings.TrimSpace(f.FrontDoorPhone)
	v.oohName, v.oohPhone = strings.TrimSpace(f.OutOfHoursName), strings.TrimSpace(f.OutOfHoursPhone)
	if msg := validate.Name(v.frontName, "the name of the children's services front door", false, 200); msg != "" {
		p.Add("front-door-name", msg)
	}
	if msg := checkPhone(v.frontPhone, "the front door's phone number", v.frontName != ""); msg != "" {
		p.Add("front-door-phone", msg)
	}
	if msg := validate.Name(v.oohName, "the name of the emergency duty team", false, 200); msg != "" {
		p.Add("out-of-hours-name", msg)
	}
	if msg := checkPhone(v.oohPhone, "the emergency duty team's phone number", v.oohName != ""); msg != "" {
		p.Add("out-of-hours-phone", msg)
	}
	var ok1, ok2 bool
	v.starts, ok1 = clock(f.DayStarts)
	v.ends, ok2 = clock(f.DayEnds)
	switch {
	case !ok1:
		p.Add("day-starts", "Enter the time the school day starts, like 08:30")
	case !ok2:
		p.Add("day-ends", "Enter the time the school day ends, like 15:30")
	case v.ends <= v.starts:
		p.Add("day-ends", "The school day must end after it starts")
	}
	for _, d := range f.SchoolDays {
		n, err := strconv.Atoi(d)
		if err != nil || n < 1 || n > 7 {
			p.Add("school-days", "Select the days the school is open")
			break
		}
		if !slices.Contains(v.days, n) {
			v.days = append(v.days, n)
		}
	}
	slices.Sort(v.days)
	if len(v.days) == 0 {
		p.Add("school-days", "Select the days the school is open")
	}
	v.urgent = number(p, "urgent-minutes", f.UrgentMinutes, "the minutes before an immediate-danger concern escalates", 1, 240)
	hours, err := strconv.ParseFloat(strings.TrimSpace(f.EscalationHours), 64)
	if err != nil || hours < 0.25 || hours > 168 {
		p.Add("escalation-hours", "Enter the hours before other concerns escalate, from 0.25 to 168")
	}
	v.escalation = int(hours * 60)
	v.count = number(p, "cumulative-count", f.CumulativeCount, "the number of concerns that flags a child", 2, 100)
	v.windowDays = number(p, "cumulative-days", f.CumulativeDays, "the number of days concerns are counted over", 1, 3660)
	v.cseStaff = number(p, "cse-staff", f.CSEStaff, "the number of staff whose CSE indicators flag a child", 1, 100)
	seen := map[string]bool{}
	for line := range strings.Lines(f.Categories) {
		name := strings.TrimSpace(line)
		if name == "" {
			continue
		}
		if msg := validate.Name(name, "each category", true, 100); msg != "" {
			p.Add("categories", msg)
			continue
		}
		if seen[strings.ToLower(name)] {
			p.Add("categories", "Each category must be listed once: "+name+" is listed twice")
			continue
		}
		seen[strings.ToLower(name)] = true
		v.categories = append(v.categories, name)
	}
	switch {
	case len(v.categories) == 0:
		p.Add("categories", "Enter at least one category, one per line")
	case len(v.categories) > 50:
		p.Add("categories", "Enter at most 50 categories")
	}
	switch f.Require2FAAll {
	case "yes":
		v.require2FA = true
	case "no":
	default:
		p.Add("require-2fa", "Select whether all staff must use a second factor")
	}
	if c := strings.TrimSpace(f.ChairOfGovernors); c != "" {
		id, err := strconv.ParseInt(c, 10, 64)
		if err != nil || id <= 0 {
			p.Add("chair-of-governors", "Choose the chair of governors from the list")
		}
		v.chair = id
	}
	return v, p
}

func at(list []string, i int) string {
	if i < len(list) {
		return list[i]
	}
	return ""
}

func number(p validate.Problems, field, value, label string, lo, hi int) int {
	n, err := strconv.Atoi(strings.TrimSpace(value))
	if err != nil || n < lo || n > hi {
		p.Add(field, fmt.Sprintf("Enter %s, a whole number from %d to %d", label, lo, hi))
	}
	return n
}

// clock parses "8:30", "08:30" or "08.30" into "08:30".
func clock(s string) (string, bool) {
	m := clockRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return "", false
	}
	h, _ := strconv.Atoi(m[1])
	return fmt.Sprintf("%02d:%s", h, m[2]), true
}

// checkPhone accepts UK-style numbers: digits, spaces, brackets, hyphens and
// a leading +, with 3 to 15 digits (999 and 111 included).
func checkPhone(phone, label string, required bool) string {
	if phone == "" {
		if required {
			return "Enter " + label
		}
		return ""
	}
	digits := 0
	for _, r := range phone {
		if unicode.IsDigit(r) {
			digits++
		}
	}
	if !phoneRE.MatchString(phone) || digits < 3 || digits > 15 || len(phone) > 30 {
		return "Enter " + label + " using digits, like 01632 960123"
	}
	return ""
}

// UpdateSettings checks and saves the School settings form for by's school.
// A new chair of governors is only asked for: naming them waits for a DSL's
// or the head's approval (auth.RequestChair; it waits on Role requests), and
// the setting keeps the chair until then; having no chair applies at once.
// Categories are matched by name: a name kept keeps its key (so concerns
// keep their category), a new name becomes a new category, and a name
// removed makes its category inactive. Audited as school.settings_change
// with the names of the fields changed. Admins only (and the system, for
// the demo seed): ErrForbidden otherwise; form problems are validate.Problems.
func (s *Service) UpdateSettings(ctx context.Context, by actor.Actor, f SettingsForm) error {
	if by.Role != actor.Admin && by.Role != actor.System {
		return ErrForbidden
	}
	v, p := f.check()
	if len(p) > 0 {
		return p
	}
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		old, err := settings(ctx, tx, by.SchoolID)
		if err != nil {
			return err
		}
		if v.chair != old.ChairOfGovernors {
			// Naming a chair waits for a second person (auth.RequestChair);
			// removing one does not.
			pending, err := auth.RequestChair(ctx, tx, by, v.chair)
			if err != nil {
				return err
			}
			if pending {
				v.chair = old.ChairOfGovernors
			}
		}
		changed := changedFields(old, v)
		if len(changed) == 0 {
			return nil
		}
		contacts, err := json.Marshal(v.contacts)
		if err != nil {
			return err
		}
		if v.contacts == nil {
			contacts = []byte("[]")
		}
		if _, err := tx.Exec(ctx, `UPDATE schools SET name = $2 WHERE id = $1`, by.SchoolID, v.name); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `
			UPDATE school_settings SET dsl_contacts = @contacts, front_door_name = @front_name,
				front_door_phone = @front_phone, out_of_hours_name = @ooh_name, out_of_hours_phone = @ooh_phone,
				day_starts = @starts::time, day_ends = @ends::time, school_days = @days::smallint[],
				urgent_escalation_minutes = @urgent, escalation_minutes = @escalation, cumulative_count = @count,
				cumulative_days = @window, cse_staff_threshold = @cse_staff, require_2fa_all = @require_2fa,
				chair_of_governors = nullif(@chair::bigint, 0), updated_at = now()
			WHERE school_id = @school`, pgx.NamedArgs{
			"school": by.SchoolID, "contacts": string(contacts), "front_name": v.frontName, "front_phone": v.frontPhone,
			"ooh_name": v.oohName, "ooh_phone": v.oohPhone, "starts": v.starts, "ends": v.ends, "days": v.days,
			"urgent": v.urgent, "escalation": v.escalation, "count": v.count, "window": v.windowDays,
			"cse_staff": v.cseStaff, "require_2fa": v.require2FA, "chair": v.chair,
		})
		if err != nil {
			return err
		}
		if slices.Contains(changed, "categories") {
			if err := saveCategories(ctx, tx, by.SchoolID, old.Categories, v.categories); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "school.settings_change", SubjectType: "school",
			SubjectID: strconv.FormatInt(by.SchoolID, 10), Details: map[string]any{"fields": changed}})
	})
	if _, ok := errors.AsType[validate.Problems](err); ok {
		return err
	}
	if err != nil {
		return fmt.Errorf("update school settings: %w", err)
	}
	return nil
}

// Member is an active member of a school, for choosing one (the chair of governors).
type Member struct {
	UserID int64
	Name   string
	Role   actor.Role
}

// Members returns the active members of by's school by name. Admins only
// (ErrForbidden otherwise).
func (s *Service) Members(ctx context.Context, by actor.Actor) ([]Member, error) {
	if by.Role != actor.Admin {
		return nil, ErrForbidden
	}
	var out []Member
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, `SELECT u.id, u.name, m.role FROM memberships m JOIN users u ON u.id = m.user_id
			WHERE m.school_id = $1 AND m.deactivated_at IS NULL ORDER BY lower(u.name), u.id`, by.SchoolID)
		var err error
		out, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Member])
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("members: %w", err)
	}
	return out, nil
}

// changedFields names the settings that v changes, in form order.
func changedFields(old Settings, v parsed) []string {
	var out []string
	add := func(name string, differs bool) {
		if differs {
			out = append(out, name)
		}
	}
	oldContacts := old.DSLContacts
	add("name", old.Name != v.name)
	add("dsl_contacts", !slices.Equal(oldContacts, v.contacts))
	add("front_door", old.FrontDoorName != v.frontName || old.FrontDoorPhone != v.frontPhone)
	add("out_of_hours", old.OutOfHoursName != v.oohName || old.OutOfHoursPhone != v.oohPhone)
	add("school_hours", old.DayStarts != v.starts || old.DayEnds != v.ends || !slices.Equal(old.SchoolDays, v.days))
	add("escalation", old.UrgentEscalation != time.Duration(v.urgent)*time.Minute ||
		old.Escalation != time.Duration(v.escalation)*time.Minute)
	add("cumulative_thresholds", old.CumulativeCount != v.count || old.CumulativeDays != v.windowDays ||
		old.CSEStaffThreshold != v.cseStaff)
	var active []string
	for _, c := range old.ActiveCategories() {
		active = append(active, c.Name)
	}
	add("categories", !slices.Equal(active, v.categories))
	add("require_2fa_all", old.Require2FAAll != v.require2FA)
	add("chair_of_governors", old.ChairOfGovernors != v.chair)
	return out
}

// saveCategories makes the active categories exactly names, in that order.
func saveCategories(ctx context.Context, q db.Querier, schoolID int64, old []Category, names []string) error {
	byName := map[string]Category{}
	keys := map[string]bool{}
	for _, c := range old {
		byName[strings.ToLower(c.Name)] = c
		keys[c.Key] = true
	}
	if _, err := q.Exec(ctx, `UPDATE concern_categories SET active = false WHERE school_id = $1`, schoolID); err != nil {
		return err
	}
	for i, name := range names {
		if c, ok := byName[strings.ToLower(name)]; ok {
			if _, err := q.Exec(ctx, `UPDATE concern_categories SET active = true, name = $3, position = $4
				WHERE school_id = $1 AND key = $2`, schoolID, c.Key, name, i+1); err != nil {
				return err
			}
			continue
		}
		key := categoryKey(name, keys)
		keys[key] = true
		if _, err := q.Exec(ctx, `INSERT INTO concern_categories (school_id, key, name, position) VALUES ($1, $2, $3, $4)`,
			schoolID, key, name, i+1); err != nil {
			return err
		}
	}
	return nil
}

// categoryKey makes a stable key from a new category's name, unique among taken.
func categoryKey(name string, taken map[string]bool) string {
	var b strings.Builder
	under := false
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if under && b.Len() > 0 {
				b.WriteByte('_')
			}
			b.WriteRune(r)
			under = false
		} else {
			under = true
		}
		if b.Len() >= 40 {
			break
		}
	}
	base := b.String()
	if base == "" {
		base = "category"
	}
	key := base
	for n := 2; taken[key]; n++ {
		key = base + "_" + strconv.Itoa(n)
	}
	return key
}

// TermForm is the "Add a term" form as typed.
type TermForm struct {
	Name                            string
	StartDay, StartMonth, StartYear string
	EndDay, EndMonth, EndYear       string
}

// AddTerm adds a term to by's school calendar. Terms may not overlap.
// Audited as school.settings_change (term_dates). Admins only; form
// problems are validate.Problems on "term-name", "starts" and "ends".
func (s *Service) AddTerm(ctx context.Context, by actor.Actor, f TermForm) error {
	return s.addTerms(ctx, by, []TermForm{f}, func(_ int, field string) string {
		if field == "name" {
			return "term-name"
		}
		return field
	})
}

// YearTerms is how many terms the "Add a school year" form offers: the six
// half terms of an English school year.
const YearTerms = 6

// AddYearTerms adds the terms of a school year in one go, from the rows of
// the "Add a school year" form: a row left wholly blank is skipped, and at
// least one is needed. The terms may overlap neither each other nor the
// terms already set; all are added or none. Audited once as
// school.settings_change (term_dates). Admins only; form problems are
// validate.Problems on "term-N-name", "term-N-starts" and "term-N-ends"
// (N from 1), or on "term-1-name" when every row is blank.
func (s *Service) AddYearTerms(ctx context.Context, by actor.Actor, rows []TermForm) error {
	var filled []TermForm
	var keys []int
	for i, f := range rows {
		if strings.TrimSpace(f.Name+f.StartDay+f.StartMonth+f.StartYear+f.EndDay+f.EndMonth+f.EndYear) != "" {
			filled, keys = append(filled, f), append(keys, i+1)
		}
	}
	if len(filled) == 0 {
		if by.Role != actor.Admin {
			return ErrForbidden
		}
		return validate.Problems{"term-1-name": "Enter at least one term: its name, first day and last day"}
	}
	return s.addTerms(ctx, by, filled, func(i int, field string) string {
		return "term-" + strconv.Itoa(keys[i]) + "-" + field
	})
}

// addTerms validates and adds terms, naming the problems of the i'th
// term's field ("name", "starts" or "ends") by keyOf.
func (s *Service) addTerms(ctx context.Context, by actor.Actor, forms []TermForm, keyOf func(i int, field string) string) error {
	if by.Role != actor.Admin {
		return ErrForbidden
	}
	p := validate.Problems{}
	terms := make([]Term, len(forms))
	fields := make([][3]string, len(forms)) // each term's name, starts and ends keys
	for i, f := range forms {
		fields[i] = [3]string{keyOf(i, "name"), keyOf(i, "starts"), keyOf(i, "ends")}
		t := &terms[i]
		t.Name = strings.TrimSpace(f.Name)
		if msg := validate.Name(t.Name, "the term's name, like Autumn term 2026", true, 100); msg != "" {
			p.Add(fields[i][0], msg)
		}
		var ok, ok2 bool
		t.StartsOn, ok = date(f.StartDay, f.StartMonth, f.StartYear)
		if !ok {
			p.Add(fields[i][1], "Enter the first day of the term as a real date, like 3 9 2026")
		}
		t.EndsOn, ok2 = date(f.EndDay, f.EndMonth, f.EndYear)
		switch {
		case !ok2:
			p.Add(fields[i][2], "Enter the last day of the term as a real date, like 18 12 2026")
		case ok && t.EndsOn.Before(t.StartsOn):
			p.Add(fields[i][2], "The last day must be on or after the first day")
		case ok && t.EndsOn.Sub(t.StartsOn) > 200*24*time.Hour:
			p.Add(fields[i][2], "A term can be at most 200 days long")
		}
	}
	if len(p) == 0 {
		for i := range terms {
			for j := range i {
				if !terms[i].StartsOn.After(terms[j].EndsOn) && !terms[i].EndsOn.Before(terms[j].StartsOn) {
					p.Add(fields[i][1], "This term overlaps "+terms[j].Name+": change its dates")
				}
			}
		}
	}
	if len(p) > 0 {
		return p
	}
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var ids []int64
		for i, t := range terms {
			var overlap bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM school_terms WHERE school_id = $1
				AND starts_on <= $3 AND ends_on >= $2)`, by.SchoolID, t.StartsOn, t.EndsOn).Scan(&overlap); err != nil {
				return err
			}
			if overlap {
				p.Add(fields[i][1], "This term overlaps a term already set: change its dates")
				continue
			}
			var id int64
			if err := tx.QueryRow(ctx, `INSERT INTO school_terms (school_id, name, starts_on, ends_on) VALUES ($1, $2, $3, $4)
				RETURNING id`, by.SchoolID, t.Name, t.StartsOn, t.EndsOn).Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		if len(p) > 0 {
			return p // rolls back the terms added before it
		}
		details := map[string]any{"fields": []string{"term_dates"}, "term_added": ids[0]}
		if len(ids) > 1 {
			details = map[string]any{"fields": []string{"term_dates"}, "terms_added": ids}
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "school.settings_change", SubjectType: "school",
			SubjectID: strconv.FormatInt(by.SchoolID, 10), Details: details})
	})
	if _, ok := errors.AsType[validate.Problems](err); ok {
		return err
	}
	if err != nil {
		return fmt.Errorf("add terms: %w", err)
	}
	return nil
}

// DeleteTerm removes a term from by's school calendar, or returns
// db.ErrNotFound. Audited as school.settings_change. Admins only.
func (s *Service) DeleteTerm(ctx context.Context, by actor.Actor, id int64) error {
	if by.Role != actor.Admin {
		return ErrForbidden
	}
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM school_terms WHERE school_id = $1 AND id = $2`, by.SchoolID, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return db.ErrNotFound
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "school.settings_change", SubjectType: "school",
			SubjectID: strconv.FormatInt(by.SchoolID, 10), Details: map[string]any{"fields": []string{"term_dates"}, "term_removed": id}})
	})
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		return fmt.Errorf("delete term: %w", err)
	}
	return err
}

// date parses a day, month and year as typed into a date, or false.
func date(d, m, y string) (time.Time, bool) {
	day, err1 := strconv.Atoi(strings.TrimSpace(d))
	month, err2 := strconv.Atoi(strings.TrimSpace(m))
	year, err3 := strconv.Atoi(strings.TrimSpace(y))
	if err1 != nil || err2 != nil || err3 != nil || year < 2000 || year > 2100 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	if t.Day() != day || int(t.Month()) != month {
		return time.Time{}, false
	}
	return t, true
}

// CategoriesIn returns the concern categories of school, the active first,
// each group in the school's order, in the caller's school transaction q
// (the queue reads them with its page rather than in a transaction of its own).
func CategoriesIn(ctx context.Context, q db.Querier, schoolID int64) ([]Category, error) {
	rows, _ := q.Query(ctx, `SELECT key, name, position, active FROM concern_categories
		WHERE school_id = $1 ORDER BY active DESC, position, id`, schoolID)
	cats, err := pgx.CollectRows(rows, pgx.RowToStructByName[Category])
	if err != nil {
		return nil, fmt.Errorf("categories: %w", err)
	}
	return cats, nil
}
