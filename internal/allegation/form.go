package allegation

import (
	"crypto/rand"
	"encoding/hex"
	"regexp"
	"strings"
	"time"

	"github.com/havenschools/haven/internal/validate"
	"github.com/havenschools/haven/internal/when"
)

// Field names of the report form: the keys of its problems and the ids the
// error summary links to.
const (
	FieldSubjectName    = "subject_name"
	FieldSubjectRole    = "subject_role"
	FieldSubjectAccount = "subject_account"
	FieldAccount        = "account"
	FieldHappened       = "happened"
	FieldHappenedTime   = "happened_time"
	FieldLocation       = "location"
	FieldWitnesses      = "witnesses"
	FieldChild          = "child"
	FieldKind           = "kind"
)

// FieldOrder is the order of the report form's fields, for its error summary.
var FieldOrder = []string{FieldSubjectName, FieldSubjectRole, FieldSubjectAccount, FieldAccount, FieldHappened,
	FieldHappenedTime, FieldLocation, FieldWitnesses, FieldChild, FieldKind}

// Form is the short "concern about an adult" form as typed.
type Form struct {
	SubmissionID  string
	SubjectName   string
	SubjectRole   string // their job or role here
	SubjectUserID int64  // their Haven account, when the reporter chose it (0: none or not known)
	Account       string // what happened
	Happened      when.DateParts
	HappenedTime  string
	Location      string
	Witnesses     string
	ChildID       int64 // a child involved, from the roll (0: none)
	Kind          string
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// NewSubmissionID mints the idempotency key of a new form: a random UUID.
func NewSubmissionID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// ValidSubmissionID reports whether id has the shape NewSubmissionID gives.
func ValidSubmissionID(id string) bool { return uuidRE.MatchString(id) }

// report is a valid form, ready to store.
type report struct {
	subjectName, subjectRole string
	subjectUserID            int64
	account                  string
	happenedOn               *time.Time
	happenedTime             string
	location, witnesses      string
	childID                  int64
	kind                     Kind
}

// check validates the form at now; what is stored is trimmed.
func (f Form) check(now time.Time) (report, validate.Problems) {
	p := validate.Problems{}
	r := report{
		subjectName: strings.Join(strings.Fields(f.SubjectName), " "),
		subjectRole: strings.TrimSpace(f.SubjectRole), subjectUserID: f.SubjectUserID,
		account: strings.TrimSpace(f.Account), happenedTime: strings.TrimSpace(f.HappenedTime),
		location: strings.TrimSpace(f.Location), witnesses: strings.TrimSpace(f.Witnesses),
		childID: f.ChildID, kind: Kind(f.Kind),
	}
	if msg := validate.Name(r.subjectName, "the name of the person it is about", true, 200); msg != "" {
		p.Add(FieldSubjectName, msg)
	}
	if msg := validate.Name(r.subjectRole, "their job or role here", true, 200); msg != "" {
		p.Add(FieldSubjectRole, msg)
	}
	if msg := validate.Text(r.account, "what happened", true, 40000); msg != "" {
		p.Add(FieldAccount, msg)
	}
	if !f.Happened.Empty() {
		d, ok := f.Happened.Date()
		switch {
		case !ok:
			p.Add(FieldHappened, "The date it happened must be a real date, like 27 3 2026")
		case d.After(today(now)):
			p.Add(FieldHappened, "The date it happened must be today or in the past")
		case d.Before(today(now).AddDate(-50, 0, 0)):
			p.Add(FieldHappened, "The date it happened must be within the last 50 years")
		default:
			r.happenedOn = &d
		}
	}
	if msg := validate.Name(r.happenedTime, "the time it happened", false, 100); msg != "" {
		p.Add(FieldHappenedTime, msg)
	}
	if msg := validate.Text(r.location, "where it happened", false, 1000); msg != "" {
		p.Add(FieldLocation, msg)
	}
	if msg := validate.Text(r.witnesses, "who else saw or heard it", false, 4000); msg != "" {
		p.Add(FieldWitnesses, msg)
	}
	if !r.kind.Valid() {
		p.Add(FieldKind, "Select whether it may meet the harm threshold, is a low-level concern, or you are not sure")
	}
	return r, p
}
