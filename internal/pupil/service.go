package pupil

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // Europe/London, whatever the host has installed

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/fail"
	"github.com/havenschools/haven/internal/validate"
	"github.com/havenschools/haven/internal/when"
)

// Service carries out pupil use cases. Each exported method is one transaction.
type Service struct{ pool *pgxpool.Pool }

// NewService returns a Service using pool.
func NewService(pool *pgxpool.Pool) *Service { return &Service{pool: pool} }

// ErrForbidden means the actor's role may not do this: import the roll
// (admins and DSLs), or change a child's details (DSLs).
var ErrForbidden = fail.New(fail.Forbidden, "not allowed for this role")

// SearchLimit is the most children a search returns.
const SearchLimit = 20

// SearchResult is the children matching a search, in name order, and
// whether more matched than were returned.
type SearchResult struct {
	Children []Child
	More     bool
}

// Search finds children of by's school whose name contains every word of
// query (in any order, ignoring case), or whose UPN or MIS id is query. An
// empty query is a problem for the field "q". It is not audited: it shows
// names, not records.
func (s *Service) Search(ctx context.Context, by actor.Actor, query string) (SearchResult, error) {
	query = strings.TrimSpace(query)
	if msg := validate.Name(query, "a name or UPN", true, 200); msg != "" {
		return SearchResult{}, validate.Problems{"q": msg}
	}
	var res SearchResult
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var err error
		res.Children, err = search(ctx, tx, by.SchoolID, query, SearchLimit+1)
		return err
	})
	if err != nil {
		return SearchResult{}, fmt.Errorf("search children: %w", err)
	}
	if len(res.Children) > SearchLimit {
		res.Children, res.More = res.Children[:SearchLimit], true
	}
	return res, nil
}

// Get returns the child with id in by's school, or db.ErrNotFound.
func (s *Service) Get(ctx context.Context, by actor.Actor, id int64) (Child, error) {
	var c Child
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var err error
		c, err = get(ctx, tx, by.SchoolID, id)
		return err
	})
	if err != nil {
		return Child{}, fmt.Errorf("get child %d: %w", id, err)
	}
	return c, nil
}

// AddInline adds a child who is not on the roll, as the member of staff
// recording a concern describes them: a first and last name, and a date of
// birth or a year group. The child is marked added inline for the DSL to
// check against the roll. Audited as child.add_inline.
func (s *Service) AddInline(ctx context.Context, by actor.Actor, n NewChild) (Child, error) {
	if p := n.problems(time.Now(), true); len(p) > 0 {
		return Child{}, p
	}
	var c Child
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var err error
		if c, err = insert(ctx, tx, by, n, true); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "child.add_inline", SubjectType: "child",
			SubjectID: fmt.Sprint(c.ID)})
	})
	if err != nil {
		return Child{}, fmt.Errorf("add child inline: %w", err)
	}
	return c, nil
}

// ErrDuplicateID is returned by AddToRoll when a UPN or MIS id is already
// on the school's roll, or given twice.
var ErrDuplicateID = fmt.Errorf("a child with that UPN or MIS id is already on the roll")

// AddToRoll adds children from the school's roll (a roster import, the demo
// school), all or none. Each needs a first and last name. Audited once as
// child.roll_add with the count.
func (s *Service) AddToRoll(ctx context.Context, by actor.Actor, children []NewChild) ([]Child, error) {
	now := time.Now()
	children = slices.Clone(children) // problems tidies each child; the caller's slice is left as it was
	for i := range children {
		if p := children[i].problems(now, false); len(p) > 0 {
			return nil, fmt.Errorf("child %d: %w", i+1, p)
		}
	}
	out := make([]Child, 0, len(children))
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		for _, n := range children {
			c, err := insert(ctx, tx, by, n, false)
			if err != nil {
				return err
			}
			out = append(out, c)
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "child.roll_add",
			Details: map[string]any{"count": len(out)}})
	})
	if db.IsUniqueViolation(err, "") {
		return nil, ErrDuplicateID
	}
	if err != nil {
		return nil, fmt.Errorf("add children to the roll: %w", err)
	}
	return out, nil
}

// problems checks a new child. Inline children need a date of birth or a
// year group.
func (n *NewChild) problems(now time.Time, inline bool) validate.Problems {
	p := validate.Problems{}
	n.FirstName, n.LastName = strings.TrimSpace(n.FirstName), strings.TrimSpace(n.LastName)
	if msg := validate.Name(n.FirstName, "the child's first name", true, 100); msg != "" {
		p.Add("first_name", msg)
	}
	if msg := validate.Name(n.LastName, "the child's last name", true, 100); msg != "" {
		p.Add("last_name", msg)
	}
	if n.DateOfBirth != nil {
		if msg := CheckDateOfBirth(*n.DateOfBirth, now); msg != "" {
			p.Add("date_of_birth", msg)
		}
	}
	if n.YearGroup != nil && !n.YearGroup.Valid() {
		p.Add("year_group", "Choose the child's year group")
	}
	if inline && n.DateOfBirth == nil && n.YearGroup == nil {
		p.Add("date_of_birth", "Enter the child's date of birth or choose their year group")
	}
	n.UPN = normaliseUPN(n.UPN)
	if n.UPN != "" && !looksLikeUPN(n.UPN) {
		p.Add("upn", "Enter a UPN of a letter and 12 characters, like A123456789012")
	}
	n.MISID = strings.TrimSpace(n.MISID)
	if msg := validate.Name(n.MISID, "the MIS id", false, 64); msg != "" {
		p.Add("mis_id", msg)
	}
	return p
}

// CheckDateOfBirth returns "" or the problem with a child's date of birth:
// not in the future, and not more than 25 years ago (a school's children
// and care leavers).
func CheckDateOfBirth(dob, now time.Time) string {
	today := when.Today(now)
	switch {
	case dob.After(today):
		return "The date of birth must be in the past"
	case dob.Before(today.AddDate(-25, 0, 0)):
		return "The date of birth must be within the last 25 years"
	}
	return ""
}

// RollSize returns how many children by's school has on its roll (those
// added inline included).
func (s *Service) RollSize(ctx context.Context, by actor.Actor) (int, error) {
	var n int
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM children WHERE school_id = $1`, by.SchoolID).Scan(&n)
	})
	if err != nil {
		return 0, fmt.Errorf("count children: %w", err)
	}
	return n, nil
}
