package records

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/fail"
	"github.com/havenschools/haven/internal/validate"
	"github.com/havenschools/haven/internal/when"
)

// Subject access: for a child's request, or a parent's, a DSL starts a
// draft bundle holding every passage of the child's file; a DSL and the
// data protection lead named on the request go through it passage by
// passage — disclose, disclose with third parties redacted, or withhold
// under an exemption, with the reason — and once both have reviewed every
// passage's final decision the bundle is disclosed, and the disclosure
// logged. Only the DSLs and that data protection lead see the request.

// ErrNotSettled means some passage still lacks a DSL's or the data
// protection lead's review of its final decision.
var ErrNotSettled = fail.New(fail.Conflict, "every passage needs a DSL's and the data protection lead's review first")

// ErrDisclosed means the request has been disclosed, so it is read-only:
// a correction is a new request.
var ErrDisclosed = fail.New(fail.Conflict, "this request has been disclosed and can no longer be changed: to correct it, start a new request")

// Decision is what happens to a passage.
type Decision string

// The decisions.
const (
	Disclose Decision = "disclose"
	Redact   Decision = "redact"   // disclosed with third parties' details removed
	Withhold Decision = "withhold" // not disclosed: a statutory exemption applies
)

// SARForm is a new subject access request as typed.
type SARForm struct {
	RequesterKind string // child, parent or other
	RequesterName string
	ReceivedOn    time.Time // zero: not a date
	DPLUserID     int64     // the data protection lead (a member of the school)
}

// SAR is a subject access request with its passages and disclosures.
type SAR struct {
	ID            int64
	ChildID       int64
	ChildName     string
	RequesterKind string
	RequesterName string
	ReceivedOn    time.Time
	DueOn         time.Time
	DPLUserID     int64
	DPLName       string
	CreatedAt     time.Time
	Passages      []Passage
	Disclosures   []Disclosure
}

// Disclosed reports whether the bundle has been disclosed: the request is
// then read-only.
func (s SAR) Disclosed() bool { return len(s.Disclosures) > 0 }

// Settled reports whether every passage has both reviews.
func (s SAR) Settled() bool {
	for _, p := range s.Passages {
		if !p.Settled() {
			return false
		}
	}
	return true
}

// Passage is one passage of the draft bundle.
type Passage struct {
	ID           int64
	Source       string
	Body         string
	Decision     Decision
	RedactedBody string
	Reason       string
	DSLName      string
	DPLName      string
}

// Settled reports whether a DSL and the data protection lead have both
// reviewed the passage's decision.
func (p Passage) Settled() bool { return p.DSLName != "" && p.DPLName != "" }

// Disclosure is one logged disclosure of a bundle.
type Disclosure struct {
	At                            time.Time
	By                            string
	To                            string
	Method                        string
	Disclosed, Redacted, Withheld int
}

// StartSAR starts a subject access request about child childID of by's
// school: the draft bundle holds every passage of the child's file. DSLs
// only (ErrForbidden); an unknown child is db.ErrNotFound; problems are
// validate.Problems. Audited as sar.start (never with the requester's name).
func (s *Service) StartSAR(ctx context.Context, by actor.Actor, childID int64, f SARForm) (int64, error) {
	if by.Role != actor.DSL || by.UserID == 0 {
		return 0, ErrForbidden
	}
	p := validate.Problems{}
	switch f.RequesterKind {
	case "child", "parent", "other":
	default:
		p.Add("requester_kind", "Choose who made the request")
	}
	f.RequesterName = strings.TrimSpace(f.RequesterName)
	if msg := validate.Name(f.RequesterName, "the name of the person who made the request", true, 200); msg != "" {
		p.Add("requester_name", msg)
	}
	if f.ReceivedOn.IsZero() || f.ReceivedOn.After(when.Today(s.now())) {
		p.Add("received_on", "Enter the date the request was received, today or before")
	}
	if f.DPLUserID == 0 {
		p.Add("dpl", "Choose the data protection lead")
	}
	if len(p) > 0 {
		return 0, p
	}
	var id int64
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM memberships WHERE school_id = $1 AND user_id = $2 AND deactivated_at IS NULL`,
			by.SchoolID, f.DPLUserID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return validate.Problems{"dpl": "Choose the data protection lead"}
		}
		file, err := childFile(ctx, tx, by.SchoolID, childID, s.now())
		if err != nil {
			return err
		}
		due := f.ReceivedOn.AddDate(0, 1, 0)
		if err := tx.QueryRow(ctx, `INSERT INTO sar_requests (school_id, child_id, requester_kind, requester_name, received_on,
				due_on, dpl_user_id, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			by.SchoolID, childID, f.RequesterKind, f.RequesterName, f.ReceivedOn, due, f.DPLUserID, by.UserID).Scan(&id); err != nil {
			return err
		}
		pos := 0
		add := func(source, body string) error {
			if strings.TrimSpace(body) == "" {
				return nil
			}
			_, err := tx.Exec(ctx, `INSERT INTO sar_passages (school_id, request_id, position, source, body) VALUES ($1, $2, $3, $4, $5)`,
				by.SchoolID, id, pos, source, body)
			pos++
			return err
		}
		for _, c := range file.About {
			steps := [][2]string{{c.Ref + ": what happened", c.Account}, {c.Ref + ": the child's words", c.ChildsWords}}
			for _, d := range c.Decisions {
				steps = append(steps, [2]string{c.Ref + ": decision, reason", d.Reason},
					[2]string{c.Ref + ": decision, the child's wishes", d.ChildsWishes}, [2]string{c.Ref + ": decision, parents not told because", d.ParentsWhyNot})
			}
			for _, a := range c.Actions {
				steps = append(steps, [2]string{c.Ref + ": action on " + when.Day(a.On.Time), a.Note},
					[2]string{c.Ref + ": feedback on the action", a.FeedbackNote})
			}
			for _, ad := range c.Addenda {
				steps = append(steps, [2]string{c.Ref + ": further information", ad.Body})
			}
			steps = append(steps, [2]string{c.Ref + ": outcome", c.OutcomeSummary})
			for _, st := range steps {
				if err := add(st[0], st[1]); err != nil {
					return err
				}
			}
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "sar.start", SubjectType: "child",
			SubjectID: strconv.FormatInt(childID, 10), Details: map[string]any{"request": id, "passages": pos, "requester": f.RequesterKind}})
	})
	if _, ok := errors.AsType[validate.Problems](err); ok || errors.Is(err, db.ErrNotFound) {
		return 0, err
	}
	if err != nil {
		return 0, fmt.Errorf("start subject access request: %w", err)
	}
	return id, nil
}

// mayReview reports whether by may see and review request r: a DSL, or
// the data protection lead named on it.
func mayReview(by actor.Actor, dpl int64) bool {
	return by.UserID != 0 && (by.Role == actor.DSL || by.UserID == dpl)
}

// SubjectAccess returns request id of by's school with its passages and
// disclosures, for a DSL or its data protection lead (anyone else, or an
// unknown id: db.ErrNotFound). Audited as sar.view.
func (s *Service) SubjectAccess(ctx context.Context, by actor.Actor, id int64) (SAR, error) {
	var r SAR
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var err error
		if r, err = getSAR(ctx, tx, by.SchoolID, id); err != nil {
			return err
		}
		if !mayReview(by, r.DPLUserID) {
			return db.ErrNotFound
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "sar.view", SubjectType: "sar", SubjectID: strconv.FormatInt(id, 10)})
	})
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		return SAR{}, fmt.Errorf("subject access request %d: %w", id, err)
	}
	return r, err
}

func getSAR(ctx context.Context, q db.Querier, schoolID, id int64) (SAR, error) {
	var r SAR
	err := q.QueryRow(ctx, `SELECT r.id, r.child_id, coalesce(ch.first_name || ' ' || ch.last_name, ''), r.requester_kind,
			r.requester_name, r.received_on, r.due_on, r.dpl_user_id, coalesce(u.name, ''), r.created_at
		FROM sar_requests r LEFT JOIN children ch ON ch.school_id = r.school_id AND ch.id = r.child_id
		LEFT JOIN users u ON u.id = r.dpl_user_id WHERE r.school_id = $1 AND r.id = $2`, schoolID, id).Scan(
		&r.ID, &r.ChildID, &r.ChildName, &r.RequesterKind, &r.RequesterName, &r.ReceivedOn, &r.DueOn, &r.DPLUserID, &r.DPLName, &r.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return SAR{}, db.ErrNotFound
	}
	if err != nil {
		return SAR{}, err
	}
	rows, _ := q.Query(ctx, `SELECT p.id, p.source, p.body, p.decision, p.redacted_body, p.reason,
			coalesce(du.name, ''), coalesce(pu.name, '')
		FROM sar_passages p LEFT JOIN users du ON du.id = p.dsl_by LEFT JOIN users pu ON pu.id = p.dpl_by
		WHERE p.school_id = $1 AND p.request_id = $2 ORDER BY p.position`, schoolID, id)
	if r.Passages, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Passage]); err != nil {
		return SAR{}, err
	}
	rows, _ = q.Query(ctx, `SELECT x.disclosed_at, coalesce(u.name, ''), x.disclosed_to, x.method, x.disclosed, x.redacted, x.withheld
		FROM sar_disclosures x LEFT JOIN users u ON u.id = x.disclosed_by
		WHERE x.school_id = $1 AND x.request_id = $2 ORDER BY x.disclosed_at`, schoolID, id)
	r.Disclosures, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Disclosure])
	return r, err
}

// ReviewPassage records by's review of a passage of request id: its
// decision, the redacted text (for Redact: a problem for "redacted" when
// it is empty or unchanged) and the reason (needed unless it is
// disclosed). by reviews as a DSL or as the request's data protection
// lead; a decision different from the one the other reviewer saw clears
// their review, so the final decision always has both. Once the request is
// disclosed nothing changes (ErrDisclosed). Anyone else, or an unknown
// passage, is db.ErrNotFound. Audited as sar.review (decision only).
func (s *Service) ReviewPassage(ctx context.Context, by actor.Actor, id, passageID int64, d Decision, redacted, reason string) error {
	p := validate.Problems{}
	reason, redacted = strings.TrimSpace(reason), strings.TrimSpace(redacted)
	switch d {
	case Disclose:
		reason, redacted = "", ""
	case Redact, Withhold:
		if msg := validate.Text(reason, "the reason (the exemption, or whose details are removed)", true, 2000); msg != "" {
			p.Add("reason", msg)
		}
		if d == Withhold {
			redacted = ""
		}
	default:
		p.Add("decision", "Choose what to do with this passage")
	}
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		r, err := getSAR(ctx, tx, by.SchoolID, id)
		if err != nil {
			return err
		}
		if !mayReview(by, r.DPLUserID) {
			return db.ErrNotFound
		}
		if r.Disclosed() {
			return ErrDisclosed
		}
		var cur Passage
		for _, x := range r.Passages {
			if x.ID == passageID {
				cur = x
			}
		}
		if cur.ID == 0 {
			return db.ErrNotFound
		}
		if d == Redact && (redacted == "" || redacted == cur.Body) {
			p.Add("redacted", "Enter the passage with the third parties' details removed")
		}
		if len(p) > 0 {
			return p
		}
		changed := d != cur.Decision || redacted != cur.RedactedBody || reason != cur.Reason
		asDPL := by.UserID == r.DPLUserID
		set := `dsl_by = $6, dsl_at = now()`
		if asDPL {
			set = `dpl_by = $6, dpl_at = now()`
		}
		if changed { // the other reviewer must look again
			if asDPL {
				set += `, dsl_by = NULL, dsl_at = NULL`
			} else {
				set += `, dpl_by = NULL, dpl_at = NULL`
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE sar_passages SET decision = $3, redacted_body = $4, reason = $5, `+set+`
			WHERE school_id = $1 AND id = $2`, by.SchoolID, passageID, d, redacted, reason, by.UserID); err != nil {
			return err
		}
		as := "dsl"
		if asDPL {
			as = "data_protection_lead"
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "sar.review", SubjectType: "sar", SubjectID: strconv.FormatInt(id, 10),
			Details: map[string]any{"passage": passageID, "decision": string(d), "as": as}})
	})
	if err != nil && !errors.Is(err, db.ErrNotFound) && !errors.Is(err, ErrDisclosed) {
		if _, ok := errors.AsType[validate.Problems](err); !ok {
			return fmt.Errorf("review passage %d: %w", passageID, err)
		}
	}
	return err
}

// Disclose logs the disclosure of request id's bundle to whom and how,
// once every passage is settled (ErrNotSettled), and returns the request
// as disclosed. The request is then read-only: its passages' decisions and
// reasons are the disclosure's log, and a second disclosure is refused
// (ErrDisclosed: a correction is a new request). A DSL or the data
// protection lead; problems for "to" and "method". Audited as sar.disclose
// with the counts.
func (s *Service) Disclose(ctx context.Context, by actor.Actor, id int64, to, method string) (SAR, error) {
	to, method = strings.TrimSpace(to), strings.TrimSpace(method)
	p := validate.Problems{}
	if msg := validate.Name(to, "who the bundle is disclosed to", true, 300); msg != "" {
		p.Add("to", msg)
	}
	if msg := validate.Name(method, "how it is disclosed", true, 300); msg != "" {
		p.Add("method", msg)
	}
	if len(p) > 0 {
		return SAR{}, p
	}
	var r SAR
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var err error
		if r, err = getSAR(ctx, tx, by.SchoolID, id); err != nil {
			return err
		}
		if !mayReview(by, r.DPLUserID) {
			return db.ErrNotFound
		}
		if r.Disclosed() {
			return ErrDisclosed
		}
		if !r.Settled() {
			return ErrNotSettled
		}
		var n [3]int
		for _, x := range r.Passages {
			switch x.Decision {
			case Disclose:
				n[0]++
			case Redact:
				n[1]++
			case Withhold:
				n[2]++
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO sar_disclosures (school_id, request_id, disclosed_by, disclosed_to, method,
				disclosed, redacted, withheld) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			by.SchoolID, id, by.UserID, to, method, n[0], n[1], n[2]); err != nil {
			return err
		}
		if r, err = getSAR(ctx, tx, by.SchoolID, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "sar.disclose", SubjectType: "sar", SubjectID: strconv.FormatInt(id, 10),
			Details: map[string]any{"disclosed": n[0], "redacted": n[1], "withheld": n[2]}})
	})
	if err != nil && !errors.Is(err, db.ErrNotFound) && !errors.Is(err, ErrNotSettled) && !errors.Is(err, ErrDisclosed) {
		return SAR{}, fmt.Errorf("disclose subject access request %d: %w", id, err)
	}
	return r, err
}

// BundlePrintFunc prints a subject access bundle as a PDF: the web layer
// renders its HTML and Chromium prints it (internal/pdf), as a child's file.
type BundlePrintFunc func(ctx context.Context, r SAR) ([]byte, error)

// BundlePDF prints the bundle of request id — passages disclosed, redacted
// ones as redacted, withheld ones only said to be withheld — with print, for
// a DSL or the request's data protection lead (anyone else, or an unknown
// id: db.ErrNotFound). Only a bundle whose every passage is settled is
// printed (ErrNotSettled). Nothing is stored: the PDF is the caller's to
// send. Audited as sar.bundle_pdf once printed (counts only).
func (s *Service) BundlePDF(ctx context.Context, by actor.Actor, id int64, print BundlePrintFunc) ([]byte, SAR, error) {
	var r SAR
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var err error
		if r, err = getSAR(ctx, tx, by.SchoolID, id); err != nil {
			return err
		}
		if !mayReview(by, r.DPLUserID) {
			return db.ErrNotFound
		}
		if !r.Settled() {
			return ErrNotSettled
		}
		return nil
	})
	if errors.Is(err, db.ErrNotFound) || errors.Is(err, ErrNotSettled) {
		return nil, SAR{}, err
	}
	if err != nil {
		return nil, SAR{}, fmt.Errorf("subject access bundle %d: %w", id, err)
	}
	out, err := print(ctx, r)
	if err != nil {
		return nil, SAR{}, fmt.Errorf("print subject access bundle %d: %w", id, err)
	}
	err = db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		return audit.Record(ctx, tx, by, audit.Event{Action: "sar.bundle_pdf", SubjectType: "sar", SubjectID: strconv.FormatInt(id, 10),
			Details: map[string]any{"passages": len(r.Passages), "disclosed": r.Disclosed(), "bytes": len(out)}})
	})
	if err != nil {
		return nil, SAR{}, fmt.Errorf("audit subject access bundle %d: %w", id, err)
	}
	return out, r, nil
}

// SubjectAccessRequests lists the requests of by's school a DSL (all) or
// a data protection lead (theirs) may review, newest first.
func (s *Service) SubjectAccessRequests(ctx context.Context, by actor.Actor) ([]SAR, error) {
	var out []SAR
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, `SELECT r.id FROM sar_requests r WHERE r.school_id = $1 AND ($2 OR r.dpl_user_id = $3)
			ORDER BY r.created_at DESC LIMIT 200`, by.SchoolID, by.Role == actor.DSL, by.UserID)
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return err
		}
		for _, id := range ids {
			r, err := getSAR(ctx, tx, by.SchoolID, id)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("subject access requests: %w", err)
	}
	return out, nil
}

// Person is a member of the school who may be named on a request.
type Person struct {
	UserID int64
	Name   string
	Role   string
}

// DataProtectionLeads lists the active admins, heads and DSLs of by's
// school, one of whom reviews a request as its data protection lead.
// DSLs only (ErrForbidden).
func (s *Service) DataProtectionLeads(ctx context.Context, by actor.Actor) ([]Person, error) {
	if by.Role != actor.DSL || by.UserID == 0 {
		return nil, ErrForbidden
	}
	var out []Person
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, `SELECT u.id, u.name, m.role FROM memberships m JOIN users u ON u.id = m.user_id
			WHERE m.school_id = $1 AND m.deactivated_at IS NULL AND m.role IN ('admin', 'head', 'dsl')
			ORDER BY lower(u.name), u.id`, by.SchoolID)
		var err error
		out, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Person])
		return err
	})
	return out, err
}
