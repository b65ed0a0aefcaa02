package allegation

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/validate"
)

// One adult, several records (issue 16 item 1). Each record points at an
// identity of the adult it is about (migrations 00165–00167): the identity
// of the earlier records about the same account, or, with no account
// chosen, about the same name; otherwise a new one. The handler sees the
// likely matches Haven cannot be sure of — a name typed in one record and
// an account chosen in another, "Mr Taylor" and "Sam Taylor" — and merges
// two into one person, or separates them again. A person is their first
// identity and every identity merged into it; the low-level flag, "Other
// concerns about this person" and "when they left" count over the person.

// Subject is one adult that the handler's records are about.
type Subject struct {
	ID      int64  // the person: their first identity
	Name    string // as the latest record names them
	Role    string
	Route   Route
	Account bool      // a record about them names their Haven account
	Records []Summary // newest first, every kind
	LeftOn  *time.Time
	// Parts are the identities merged into this person, each of which the
	// handler may separate again (none: nothing was merged).
	Parts   []Part
	Matches []Match // other people these may be (Haven cannot be sure)
	names   []string
	roles   []string
	userID  int64
}

// Part is an identity merged into a person: the records that named the
// adult this way.
type Part struct {
	Identity int64
	Name     string
	Role     string
	Account  bool
	Refs     []string
}

// Label says how a part named the adult, for "Separate …".
func (p Part) Label() string {
	how := "their name typed"
	if p.Account {
		how = "their Haven account"
	}
	return p.Name + ", " + p.Role + " (" + how + ": " + strings.Join(p.Refs, ", ") + ")"
}

// Match is another person the handler's records are about who may be the
// same adult: their name matches once case, spacing, punctuation,
// accents, titles and the order of first and last names are set aside, and
// at most one of the two has a Haven account.
type Match struct {
	Person   int64
	Name     string
	Role     string
	Account  bool
	SameRole bool
}

// Question is the question the handler is asked: "Is this Sam Taylor, Teacher?".
func (m Match) Question() string { return "Is this " + m.Name + ", " + m.Role + "?" }

// record is one record with the identity and person it is about.
type record struct {
	Summary
	Identity int64
	Person   int64
	UserID   int64
	LeftOn   *time.Time
}

// subjects returns the people the transaction's user handles records
// about — latest record first — with the records about each, the parts
// merged into each and the likely matches between them. Records whose
// personal data was removed are left out.
func subjects(ctx context.Context, q db.Querier, schoolID int64) ([]Subject, error) {
	rows, _ := q.Query(ctx, `SELECT a.ref, a.routed_to, a.kind, a.subject_name, a.subject_role, a.status, coalesce(a.outcome, ''),
			a.created_at, false,
			EXISTS (SELECT 1 FROM allegation_lado l WHERE l.school_id = a.school_id AND l.allegation_id = a.id),
			'0001-01-01'::timestamptz, false, s.id, coalesce(s.merged_into, s.id), coalesce(a.subject_user_id, 0), a.subject_left_on
		FROM allegations a JOIN allegation_subjects s ON s.school_id = a.school_id AND s.id = a.subject_id
		WHERE a.school_id = $1 AND a.deleted_at IS NULL AND allegation_handler(a.school_id, a.routed_to, a.subject_user_id)
		ORDER BY a.created_at DESC, a.id DESC`, schoolID)
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (record, error) {
		var x record
		err := r.Scan(&x.Ref, &x.RoutedTo, &x.Kind, &x.SubjectName, &x.SubjectRole, &x.Status, &x.Outcome, &x.CreatedAt,
			&x.Removed, &x.Consulted, &x.LADODue, &x.LADOPrompt, &x.Identity, &x.Person, &x.UserID, &x.LeftOn)
		return x, err
	})
	if err != nil {
		return nil, err
	}
	var out []Subject
	index := map[int64]int{}
	parts := map[int64]int{} // identity → index in its person's Parts
	for _, r := range list {
		i, ok := index[r.Person]
		if !ok {
			i = len(out)
			index[r.Person] = i
			out = append(out, Subject{ID: r.Person, Name: r.SubjectName, Role: r.SubjectRole, Route: r.RoutedTo})
		}
		s := &out[i]
		s.Records = append(s.Records, r.Summary)
		s.names = append(s.names, r.SubjectName)
		s.roles = append(s.roles, NormalName(r.SubjectRole))
		if r.UserID != 0 {
			s.Account, s.userID = true, r.UserID
		}
		if s.LeftOn == nil && r.LeftOn != nil {
			s.LeftOn = r.LeftOn
		}
		if r.Identity == r.Person {
			continue
		}
		j, ok := parts[r.Identity]
		if !ok {
			j = len(s.Parts)
			parts[r.Identity] = j
			s.Parts = append(s.Parts, Part{Identity: r.Identity, Name: r.SubjectName, Role: r.SubjectRole})
		}
		s.Parts[j].Refs = append(s.Parts[j].Refs, r.Ref)
		s.Parts[j].Account = s.Parts[j].Account || r.UserID != 0
	}
	for i := range out {
		for j := range out {
			a, b := &out[i], &out[j]
			if i == j || a.Route != b.Route || (a.Account && b.Account) || !SameName(a.names, b.names) {
				continue
			}
			same := false
			for _, r := range a.roles {
				same = same || slices.Contains(b.roles, r)
			}
			a.Matches = append(a.Matches, Match{Person: b.ID, Name: b.Name, Role: b.Role, Account: b.Account, SameRole: same})
		}
		// The same role first, then someone with an account.
		slices.SortStableFunc(out[i].Matches, func(x, y Match) int {
			if x.SameRole != y.SameRole {
				if x.SameRole {
					return -1
				}
				return 1
			}
			if x.Account != y.Account {
				if x.Account {
					return -1
				}
				return 1
			}
			return 0
		})
	}
	return out, nil
}

// subjectOf returns the person id (their first identity) of the records
// the transaction's user handles, or db.ErrNotFound.
func subjectOf(list []Subject, person int64) (Subject, error) {
	for _, s := range list {
		if s.ID == person {
			return s, nil
		}
	}
	return Subject{}, db.ErrNotFound
}

// titles are set aside when names are compared.
var titles = map[string]bool{"mr": true, "mrs": true, "ms": true, "miss": true, "mx": true, "dr": true, "prof": true, "sir": true, "dame": true, "rev": true}

var stripMarks = transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)

// nameWords is a name's words as they are compared: lower case, without
// accents or punctuation (an apostrophe joins, "O'Brien" is "obrien"; a
// hyphen, comma or full stop separates), and without a leading title. It
// reports whether there was a title.
func nameWords(name string) (words []string, titled bool) {
	s, _, err := transform.String(stripMarks, name)
	if err != nil {
		s = name
	}
	s = strings.ToLower(s)
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\'' || r == '’' || r == '‘':
			return -1
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			return r
		}
		return ' '
	}, s)
	words = strings.Fields(s)
	for len(words) > 1 && titles[words[0]] {
		words, titled = words[1:], true
	}
	return words, titled
}

// NormalName is a name as Haven compares it: lower case, without accents,
// punctuation or a title, its words in order ("Mr. Sam  TAYLOR" and
// "Taylor, Sam" are both "sam taylor").
func NormalName(name string) string {
	w, _ := nameWords(name)
	w = slices.Clone(w)
	slices.Sort(w)
	return strings.Join(w, " ")
}

// SameName reports whether any name of a may be the same adult as any name
// of b: the same once normalised (NormalName), or a title and a surname
// ("Mr Taylor") and a full name ending in it ("Sam Taylor").
func SameName(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if nameMatch(x, y) {
				return true
			}
		}
	}
	return false
}

func nameMatch(x, y string) bool {
	if NormalName(x) != "" && NormalName(x) == NormalName(y) {
		return true
	}
	wx, tx := nameWords(x)
	wy, ty := nameWords(y)
	surname := func(short []string, titled bool, full []string) bool {
		return titled && len(short) == 1 && len(full) > 1 && full[len(full)-1] == short[0]
	}
	return surname(wx, tx, wy) || surname(wy, ty, wx)
}

// Fields of the merge and separate forms.
const (
	FieldMergeInto = "into"
	FieldPerson    = "person"
	FieldIdentity  = "identity"
)

// ErrDifferentAccounts: two people with different Haven accounts are two
// people, and cannot be merged.
var ErrDifferentAccounts = errors.New("they have different Haven accounts")

// Merge records that the people person and into, about whom by handles
// records, are the same adult: person's identities join into's, and
// everything counted over a person (the low-level flag, the other
// concerns, when they left) counts over both. Refused for people with
// different Haven accounts or handled by different people (a problem on
// FieldMergeInto); anyone but their handler gets db.ErrNotFound. Audited
// as allegation.merge, naming the latest record of each.
func (s *Service) Merge(ctx context.Context, by actor.Actor, person, into int64) error {
	now := s.now()
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		if err := mustHandle(ctx, tx, by); err != nil {
			return err
		}
		if err := lockSubjects(ctx, tx, by.SchoolID); err != nil {
			return err
		}
		list, err := subjects(ctx, tx, by.SchoolID)
		if err != nil {
			return err
		}
		from, err := subjectOf(list, person)
		if err != nil {
			return err
		}
		to, err := subjectOf(list, into)
		if err != nil {
			return err
		}
		switch {
		case from.ID == to.ID:
			return validate.Problems{FieldMergeInto: "These records are already about one person"}
		case from.Route != to.Route:
			return validate.Problems{FieldMergeInto: "One of them is handled by the chair of governors: they cannot be merged"}
		case from.Account && to.Account && from.userID != to.userID:
			return validate.Problems{FieldMergeInto: "They have different Haven accounts, so they are different people"}
		}
		tag, err := tx.Exec(ctx, `UPDATE allegation_subjects SET merged_into = $3, merged_by = $4, merged_at = $5
			WHERE school_id = $1 AND (id = $2 OR merged_into = $2)`, by.SchoolID, from.ID, to.ID, by.UserID, now)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "allegation.merge", SubjectType: "allegation", SubjectID: from.Records[0].Ref,
			Details: map[string]any{"into": to.Records[0].Ref, "identities": tag.RowsAffected()}})
	})
	if _, ok := errors.AsType[validate.Problems](err); ok || errors.Is(err, db.ErrNotFound) {
		return err
	}
	if err != nil {
		return fmt.Errorf("merge two people: %w", err)
	}
	return nil
}

// Separate undoes a merge: the identity, merged into a person, is a person
// of its own again, with the records that named the adult that way.
// Anyone but its handler gets db.ErrNotFound, and so does an identity not
// merged into anyone. Audited as allegation.separate, naming the latest
// record of each.
func (s *Service) Separate(ctx context.Context, by actor.Actor, identity int64) error {
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		if err := mustHandle(ctx, tx, by); err != nil {
			return err
		}
		if err := lockSubjects(ctx, tx, by.SchoolID); err != nil {
			return err
		}
		list, err := subjects(ctx, tx, by.SchoolID)
		if err != nil {
			return err
		}
		for _, p := range list {
			for _, part := range p.Parts {
				if part.Identity != identity {
					continue
				}
				if _, err := tx.Exec(ctx, `UPDATE allegation_subjects SET merged_into = NULL, merged_by = NULL, merged_at = NULL
					WHERE school_id = $1 AND id = $2`, by.SchoolID, identity); err != nil {
					return err
				}
				return audit.Record(ctx, tx, by, audit.Event{Action: "allegation.separate", SubjectType: "allegation", SubjectID: part.Refs[0],
					Details: map[string]any{"from": p.Records[0].Ref}})
			}
		}
		return db.ErrNotFound
	})
	if errors.Is(err, db.ErrNotFound) {
		return err
	}
	if err != nil {
		return fmt.Errorf("separate a merged person: %w", err)
	}
	return nil
}

// lockSubjects serialises merges in a school, so two at once cannot leave
// a chain of merged identities.
func lockSubjects(ctx context.Context, tx pgx.Tx, schoolID int64) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('allegation-subjects', $1))`, schoolID)
	return err
}

// personIdentities is the SQL set of the identities of person $2 in
// school $1.
const personIdentities = `(SELECT s.id FROM allegation_subjects s WHERE s.school_id = $1 AND (s.id = $2 OR s.merged_into = $2))`

var refRE = regexp.MustCompile(`^A-[0-9]{4}-[0-9]{6,}$`)

// ValidRef reports whether ref has the shape of a reference, A-2026-000001.
func ValidRef(ref string) bool { return refRE.MatchString(ref) }
