package scale

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/havenschools/haven/internal/concern"
	"github.com/havenschools/haven/internal/when"
)

// A plan is what the generator decided about a school before any row is
// written: its people, its roll and each concern's life, with the ids the
// rows will have. Rows are then produced from the plan, with the text of
// each picked from a random stream of its own, so a plan stays small.

type schoolPlan struct {
	index   int // 0-based, in Options order
	id      int64
	slug    string
	name    string
	created time.Time

	// users[0] is the head, users[1] the admin, then the DSLs (the first
	// one not a deputy), then staff.
	firstUser int64
	users     int
	dsls      int

	firstChild int64
	roll       int
	primary    bool

	concerns []concernPlan
	open     int
	refs     map[int]int // year → last reference number
}

func (s *schoolPlan) dsl(i int) int64 {
	return s.firstUser + 2 + int64(i%s.dsls)
}
func (s *schoolPlan) staff(i int) int64 {
	n := s.users - 2 - s.dsls
	return s.firstUser + 2 + int64(s.dsls) + int64(i%n)
}

type concernPlan struct {
	n        int // index within the school, in time order
	id       int64
	ref      string
	status   concern.Status
	inDanger bool
	urgency  string
	kind     int // index into accounts
	created  time.Time
	acked    time.Time // zero: not (yet) acknowledged
	decided  time.Time
	closed   time.Time

	recordedBy int64
	dsl        int64 // the DSL who acknowledged it and owns it

	subject    int64 // child id; 0: child not known
	witness    int64 // child id; 0: none
	subjectRow int64 // concern_children ids
	witnessRow int64

	indicators []string
	decisionID int64
	firstAct   int64
	actions    []time.Time
}

// version is the concern's version: one more for each change of status.
func (c *concernPlan) version() int {
	switch c.status {
	case concern.Acknowledged:
		return 2
	case concern.InProgress:
		return 3
	case concern.Closed:
		return 4
	}
	return 1
}

// rng returns the random stream number stream of thing key (a school, a
// concern) under seed: the same numbers whatever else was generated.
func rng(seed int64, stream uint64, key uint64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed)^stream*0x9e3779b97f4a7c15, key))
}

const (
	streamShare = iota + 1
	streamSchool
	streamConcern
	streamText
	streamAudit
)

// shares splits total concerns over n schools: the first (largest) takes
// largest of them, the others between half and one and a half times an
// even share.
func shares(seed int64, n, total int, largest float64) []int {
	if n == 1 {
		return []int{total}
	}
	r := rng(seed, streamShare, 0)
	w := make([]float64, n)
	sum := 0.0
	for i := 1; i < n; i++ {
		w[i] = 0.5 + r.Float64()
		sum += w[i]
	}
	out := make([]int, n)
	out[0] = int(math.Round(largest * float64(total)))
	rest := total - out[0]
	given := 0
	for i := 1; i < n; i++ {
		out[i] = int(float64(rest) * w[i] / sum)
		given += out[i]
	}
	for i := 1; given < rest; i++ { // what rounding down left over
		out[1+(i-1)%(n-1)]++
		given++
	}
	return out
}

func clamp(v, lo, hi int) int { return max(lo, min(hi, v)) }

// planSchool decides school index's people, roll and concerns (without ids).
func planSchool(o Options, index, concerns int) *schoolPlan {
	r := rng(o.Seed, streamSchool, uint64(index))
	start := o.End.AddDate(-o.Years, 0, 0)
	s := &schoolPlan{
		index:   index,
		slug:    fmt.Sprintf("%s-%04d", o.Prefix, index+1),
		name:    pick(r, placeNames) + " " + pick(r, schoolKinds) + fmt.Sprintf(" (%d)", index+1),
		created: start.AddDate(0, 0, -30),
		roll:    clamp(concerns/2, 300, 30000),
		primary: r.IntN(3) == 0,
		dsls:    clamp(2+concerns/20000, 2, 6),
		refs:    map[int]int{},
	}
	s.users = 2 + s.dsls + clamp(concerns/40, 15, 150)

	times := make([]time.Time, concerns)
	span := o.End.Sub(start)
	for i := range times {
		times[i] = schoolHours(start.Add(time.Duration(r.Int64N(int64(span)))), r)
		if !times[i].Before(o.End) {
			times[i] = o.End.Add(-time.Duration(1+r.IntN(3600)) * time.Second)
		}
	}
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })

	busy := max(1, s.roll/20) // children DSLs know well: more of the concerns are about them
	for i, created := range times {
		c := concernPlan{n: i, created: created}
		cr := rng(o.Seed, streamConcern, uint64(index)<<32|uint64(i))
		c.kind = cr.IntN(len(accounts))
		c.inDanger = cr.IntN(100) < 3
		c.recordedBy = s.staff(cr.IntN(1 << 20))
		if cr.IntN(100) < 95 {
			if cr.IntN(100) < 30 {
				c.subject = s.firstChild + int64(cr.IntN(busy)) // ids are offsets until assigned
			} else {
				c.subject = s.firstChild + int64(cr.IntN(s.roll))
			}
		}
		if cr.IntN(100) < 15 && s.roll > 1 {
			c.witness = int64(cr.IntN(s.roll))
			if c.witness == c.subject {
				c.witness = (c.witness + 1) % int64(s.roll)
			}
			c.witness++ // offset + 1, so 0 stays "none"
		}
		if c.subject != 0 {
			c.subject++
		}
		if ind := accounts[c.kind].indicators; len(ind) > 0 {
			k := 1 + cr.IntN(len(ind))
			for _, j := range cr.Perm(len(ind))[:k] {
				c.indicators = append(c.indicators, ind[j])
			}
		}

		// Its life: acknowledged within minutes (immediate danger) or
		// hours, a decision within days, closed within weeks — unless that
		// is still to come at the end date, or it is kept open to monitor.
		c.dsl = s.dsl(cr.IntN(s.dsls))
		if c.inDanger {
			c.acked = created.Add(time.Duration(3+cr.IntN(17)) * time.Minute)
		} else {
			c.acked = created.Add(time.Duration(10+cr.IntN(26*60)) * time.Minute)
		}
		c.decided = c.acked.Add(time.Duration(2+cr.IntN(5*24)) * time.Hour)
		if cr.IntN(100) >= 4 {
			c.closed = c.decided.Add(time.Duration(1+cr.IntN(45)) * 24 * time.Hour)
		}
		switch u := cr.IntN(10); {
		case u < 2:
			c.urgency = "high"
		case u < 6:
			c.urgency = "medium"
		default:
			c.urgency = "low"
		}
		for range cr.IntN(3) {
			at := c.decided.Add(time.Duration(cr.IntN(10*24)) * time.Hour)
			if (c.closed.IsZero() || at.Before(c.closed)) && at.Before(o.End) {
				c.actions = append(c.actions, at)
			}
		}
		slices.SortFunc(c.actions, func(a, b time.Time) int { return a.Compare(b) })
		switch {
		case !c.acked.Before(o.End):
			c.status, c.acked, c.decided, c.closed, c.urgency, c.dsl = concern.Submitted, time.Time{}, time.Time{}, time.Time{}, "", 0
			c.actions = nil
		case !c.decided.Before(o.End):
			c.status, c.decided, c.closed = concern.Acknowledged, time.Time{}, time.Time{}
			c.actions = nil
		case c.closed.IsZero() || !c.closed.Before(o.End):
			c.status, c.closed = concern.InProgress, time.Time{}
		default:
			c.status = concern.Closed
		}
		if c.status != concern.Closed {
			s.open++
		}
		year := created.In(when.London()).Year()
		s.refs[year]++
		c.ref = fmt.Sprintf("C-%04d-%06d", year, s.refs[year])
		s.concerns = append(s.concerns, c)
	}
	return s
}

// schoolHours moves t into a school day: a weekday between 08:15 and 16:30
// in London.
func schoolHours(t time.Time, r *rand.Rand) time.Time {
	l := t.In(when.London())
	switch l.Weekday() {
	case time.Saturday:
		l = l.AddDate(0, 0, 2)
	case time.Sunday:
		l = l.AddDate(0, 0, 1)
	}
	minutes := 8*60 + 15 + r.IntN(8*60+15)
	return time.Date(l.Year(), l.Month(), l.Day(), minutes/60, minutes%60, r.IntN(60), r.IntN(1e6)*1000, when.London())
}

// counts is how many rows of each table a set of plans needs ids for.
type counts struct {
	users, children, concerns, concernChildren, decisions, actions int
}

func (s *schoolPlan) counts() counts {
	n := counts{users: s.users, children: s.roll, concerns: len(s.concerns)}
	for i := range s.concerns {
		c := &s.concerns[i]
		n.concernChildren++
		if c.witness != 0 {
			n.concernChildren++
		}
		if !c.decided.IsZero() {
			n.decisions++
		}
		n.actions += len(c.actions)
	}
	return n
}

// ids is the next free id of each table in a reserved block.
type ids struct {
	school, user, child, concern, concernChild, decision, action int64
}

// assign gives the school and its rows their ids from next, moving next on.
func (s *schoolPlan) assign(next *ids) {
	s.id = next.school
	next.school++
	s.firstUser, next.user = next.user, next.user+int64(s.users)
	s.firstChild, next.child = next.child, next.child+int64(s.roll)
	for i := range s.concerns {
		c := &s.concerns[i]
		c.id = next.concern
		next.concern++
		// Planned ids were users and children counted from 0.
		c.recordedBy += s.firstUser
		if c.dsl != 0 {
			c.dsl += s.firstUser
		}
		if c.subject != 0 {
			c.subject = s.firstChild + c.subject - 1
		}
		if c.witness != 0 {
			c.witness = s.firstChild + c.witness - 1
		}
		c.subjectRow = next.concernChild
		next.concernChild++
		if c.witness != 0 {
			c.witnessRow = next.concernChild
			next.concernChild++
		}
		if !c.decided.IsZero() {
			c.decisionID = next.decision
			next.decision++
		}
		c.firstAct = next.action
		next.action += int64(len(c.actions))
	}
}
