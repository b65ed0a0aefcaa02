// Package encompass records Operation Encompass notifications: the police
// telling the school, before the next school day, that a child was
// involved in a domestic abuse incident, so that the school can support
// them. A DSL records the notification and the support offered; it is a
// restricted entry on the child's chronology, seen by DSLs only and, as a
// restricted concern is (issue 6), by the DSLs named on it and never by
// one excluded for a conflict of interest. The rules are enforced by this
// package's queries and by row-level security (migration 00082).
package encompass

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/validate"
	"github.com/havenschools/haven/internal/when"
)

// Service carries out Operation Encompass use cases, for a school's DSLs
// only: anyone else gets db.ErrNotFound. Each exported method is one
// transaction.
type Service struct {
	pool *pgxpool.Pool
	now  func() time.Time
}

// NewService returns a Service using pool.
func NewService(pool *pgxpool.Pool) *Service { return &Service{pool: pool, now: time.Now} }

// Field names of the forms.
const (
	FieldChild      = "child"
	FieldNotifiedOn = "notified_on"
	FieldIncidentOn = "incident_on"
	FieldPoliceRef  = "police_ref"
	FieldDetails    = "details"
	FieldSupport    = "support"
	FieldNamed      = "named"
	FieldExcluded   = "excluded"
)

// FieldOrder is the order of the record form's fields, for its error summary.
var FieldOrder = []string{FieldChild, FieldNotifiedOn, FieldIncidentOn, FieldPoliceRef, FieldDetails, FieldSupport, FieldNamed, FieldExcluded}

// Form is the "Record a police notification" form as typed.
type Form struct {
	ChildID    int64
	NotifiedOn when.DateParts // when the police told the school
	IncidentOn when.DateParts // when the incident was (optional)
	PoliceRef  string
	Details    string // what the police shared
	Support    string // the support offered to the child
	Named      []int64
	Excluded   []int64
}

// Person is a DSL of the school.
type Person struct {
	ID     int64
	Name   string
	Deputy bool
}

// Notification is one Operation Encompass notification as a DSL sees it.
type Notification struct {
	ID             int64
	Ref            string
	ChildID        int64
	ChildName      string
	NotifiedOn     time.Time
	IncidentOn     *time.Time
	PoliceRef      string
	Details        string
	Support        string
	Restricted     bool
	RecordedBy     int64
	RecordedByName string
	CreatedAt      time.Time
	Named          []Person
	Excluded       []Person
	Views          []audit.View
}

func isDSL(by actor.Actor) bool { return by.Role == actor.DSL && by.UserID != 0 && by.SchoolID != 0 }

func today(t time.Time) time.Time { return when.Today(t) }

// Record stores a notification about a child of by's school, restricted
// to by and the DSLs named, with anyone excluded never seeing it, and
// returns its reference. Audited as encompass.record. Only DSLs may record
// (db.ErrNotFound otherwise); form problems are validate.Problems.
func (s *Service) Record(ctx context.Context, by actor.Actor, f Form) (string, error) {
	if !isDSL(by) {
		return "", db.ErrNotFound
	}
	now := s.now()
	p := validate.Problems{}
	notified, ok := f.NotifiedOn.Date()
	switch {
	case f.NotifiedOn.Empty():
		p.Add(FieldNotifiedOn, "Enter the date the police told the school")
	case !ok:
		p.Add(FieldNotifiedOn, "Enter the date the police told the school as a real date, like 27 3 2026")
	case notified.After(today(now)):
		p.Add(FieldNotifiedOn, "The date the police told the school must be today or in the past")
	}
	var incident *time.Time
	if !f.IncidentOn.Empty() {
		d, ok := f.IncidentOn.Date()
		switch {
		case !ok:
			p.Add(FieldIncidentOn, "Enter the date of the incident as a real date, like 26 3 2026")
		case d.After(today(now)):
			p.Add(FieldIncidentOn, "The date of the incident must be today or in the past")
		default:
			incident = &d
		}
	}
	ref, details, support := strings.TrimSpace(f.PoliceRef), strings.TrimSpace(f.Details), strings.TrimSpace(f.Support)
	if msg := validate.Name(ref, "the police reference", false, 100); msg != "" {
		p.Add(FieldPoliceRef, msg)
	}
	if msg := validate.Text(details, "what the police told the school", true, 20000); msg != "" {
		p.Add(FieldDetails, msg)
	}
	if msg := validate.Text(support, "the support offered to the child", true, 20000); msg != "" {
		p.Add(FieldSupport, msg)
	}
	named, excluded := unique(append([]int64{by.UserID}, f.Named...)), unique(f.Excluded)
	checkAccess(p, by, named, excluded)
	var out string
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		if f.ChildID == 0 {
			p.Add(FieldChild, "Choose the child")
		} else {
			var ok bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM children WHERE school_id = $1 AND id = $2)`,
				by.SchoolID, f.ChildID).Scan(&ok); err != nil {
				return err
			}
			if !ok {
				p.Add(FieldChild, "That child could not be found: search again")
			}
		}
		if err := checkDSLs(ctx, tx, by.SchoolID, p, named, excluded); err != nil {
			return err
		}
		if len(p) > 0 {
			return p
		}
		var n int
		if err := tx.QueryRow(ctx, `INSERT INTO encompass_ref_counters (school_id, year, last_number) VALUES ($1, $2, 1)
			ON CONFLICT (school_id, year) DO UPDATE SET last_number = encompass_ref_counters.last_number + 1
			RETURNING last_number`, by.SchoolID, now.In(when.London()).Year()).Scan(&n); err != nil {
			return err
		}
		out = fmt.Sprintf("E-%04d-%06d", now.In(when.London()).Year(), n)
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO encompass_notifications (school_id, ref, child_id, notified_on, incident_on,
				police_ref, details, support, restricted, recorded_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, true, $9, $10) RETURNING id`,
			by.SchoolID, out, f.ChildID, notified, incident, ref, details, support, by.UserID, now).Scan(&id); err != nil {
			return err
		}
		if err := setAccess(ctx, tx, by, id, named, excluded); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "encompass.record", SubjectType: "encompass", SubjectID: out,
			Details: map[string]any{"named": len(named), "excluded": len(excluded)}})
	})
	if _, ok := errors.AsType[validate.Problems](err); ok {
		return "", err
	}
	if err != nil {
		return "", fmt.Errorf("record an Operation Encompass notification: %w", err)
	}
	return out, nil
}

// checkAccess applies the restriction rules that need no database: nobody
// excludes themselves, nobody is both named and excluded.
func checkAccess(p validate.Problems, by actor.Actor, named, excluded []int64) {
	if slices.Contains(excluded, by.UserID) {
		p.Add(FieldExcluded, "You cannot exclude yourself: ask another DSL to do it")
	}
	for _, id := range excluded {
		if slices.Contains(named, id) {
			p.Add(FieldExcluded, "Someone cannot be both named and excluded")
		}
	}
}

// checkDSLs adds a problem unless everyone named or excluded is a DSL of the school.
func checkDSLs(ctx context.Context, q db.Querier, schoolID int64, p validate.Problems, named, excluded []int64) error {
	dsls, err := schoolDSLs(ctx, q, schoolID)
	if err != nil {
		return err
	}
	isDSL := func(id int64) bool { return slices.ContainsFunc(dsls, func(d Person) bool { return d.ID == id }) }
	for _, id := range named {
		if !isDSL(id) {
			p.Add(FieldNamed, "Choose DSLs of the school")
		}
	}
	for _, id := range excluded {
		if !isDSL(id) {
			p.Add(FieldExcluded, "Choose DSLs of the school")
		}
	}
	return nil
}

// setAccess names and excludes these people on a notification (adding to
// whoever is already named or excluded: pruneAccess removes the others).
func setAccess(ctx context.Context, q db.Querier, by actor.Actor, id int64, named, excluded []int64) error {
	for _, a := range []struct {
		ids  []int64
		kind string
	}{{named, "named"}, {excluded, "excluded"}} {
		if len(a.ids) == 0 {
			continue
		}
		if _, err := q.Exec(ctx, `INSERT INTO encompass_access (school_id, notification_id, user_id, kind, set_by)
			SELECT $1, $2, u, $4, $5 FROM unnest($3::bigint[]) AS u
			ON CONFLICT (school_id, notification_id, user_id) DO UPDATE SET kind = EXCLUDED.kind, set_by = EXCLUDED.set_by, set_at = now()`,
			by.SchoolID, id, a.ids, a.kind, by.UserID); err != nil {
			return err
		}
	}
	return nil
}

// pruneAccess removes everyone but keep from a notification's access list.
func pruneAccess(ctx context.Context, q db.Querier, schoolID, id int64, keep []int64) error {
	_, err := q.Exec(ctx, `DELETE FROM encompass_access WHERE school_id = $1 AND notification_id = $2 AND user_id <> ALL($3::bigint[])`,
		schoolID, id, keep)
	return err
}

func unique(ids []int64) []int64 {
	var out []int64
	for _, id := range ids {
		if id != 0 && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// DSLs returns the school's DSLs and deputies by name, for the forms'
// "who can see this" lists. DSLs only.
func (s *Service) DSLs(ctx context.Context, by actor.Actor) ([]Person, error) {
	if !isDSL(by) {
		return nil, db.ErrNotFound
	}
	var out []Person
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var err error
		out, err = schoolDSLs(ctx, tx, by.SchoolID)
		return err
	})
	return out, err
}

func schoolDSLs(ctx context.Context, q db.Querier, schoolID int64) ([]Person, error) {
	rows, _ := q.Query(ctx, `SELECT u.id, u.name, m.deputy FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.school_id = $1 AND m.role = 'dsl' AND m.deactivated_at IS NULL ORDER BY lower(u.name), u.id`, schoolID)
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Person])
}

// visible is the access rule in SQL, on notifications n, for the
// transaction's user: the same as row-level security's (migration 00082),
// stated in the query too.
const visible = `(SELECT current_setting('app.role', true)) = 'dsl' AND (
	n.recorded_by = (SELECT nullif(current_setting('app.user_id', true), '')::bigint)
	OR (NOT EXISTS (SELECT 1 FROM encompass_access a WHERE a.school_id = n.school_id AND a.notification_id = n.id
	                AND a.kind = 'excluded' AND a.user_id = (SELECT nullif(current_setting('app.user_id', true), '')::bigint))
	    AND (NOT n.restricted OR EXISTS (SELECT 1 FROM encompass_access a WHERE a.school_id = n.school_id AND a.notification_id = n.id
	                AND a.kind = 'named' AND a.user_id = (SELECT nullif(current_setting('app.user_id', true), '')::bigint)))))`

const selectNotification = `SELECT n.id, n.ref, n.child_id, ch.first_name || ' ' || ch.last_name, n.notified_on, n.incident_on,
		n.police_ref, n.details, n.support, n.restricted, n.recorded_by, coalesce(u.name, ''), n.created_at
	FROM encompass_notifications n
	JOIN children ch ON ch.school_id = n.school_id AND ch.id = n.child_id
	LEFT JOIN users u ON u.id = n.recorded_by`

// scanNotification reads one row of selectNotification, column by column.
func scanNotification(r pgx.CollectableRow) (Notification, error) {
	var n Notification
	err := r.Scan(&n.ID, &n.Ref, &n.ChildID, &n.ChildName, &n.NotifiedOn, &n.IncidentOn, &n.PoliceRef,
		&n.Details, &n.Support, &n.Restricted, &n.RecordedBy, &n.RecordedByName, &n.CreatedAt)
	return n, err
}

// Get returns the notification ref with who may see it and who has seen
// it, and audits encompass.view. Anyone who may not see it gets db.ErrNotFound.
func (s *Service) Get(ctx context.Context, by actor.Actor, ref string) (Notification, error) {
	if !isDSL(by) {
		return Notification{}, db.ErrNotFound
	}
	var n Notification
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var err error
		if n, err = get(ctx, tx, by.SchoolID, ref); err != nil {
			return err
		}
		if n.Named, n.Excluded, err = access(ctx, tx, by.SchoolID, n.ID); err != nil {
			return err
		}
		if err := Viewed(ctx, tx, by, ref, "page"); err != nil {
			return err
		}
		n.Views, err = audit.ViewsOf(ctx, tx, by.SchoolID, "encompass", ref)
		return err
	})
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		return Notification{}, fmt.Errorf("view notification %s: %w", ref, err)
	}
	return n, err
}

func get(ctx context.Context, q db.Querier, schoolID int64, ref string) (Notification, error) {
	rows, _ := q.Query(ctx, selectNotification+` WHERE n.school_id = $1 AND n.ref = $2 AND `+visible, schoolID, ref)
	n, err := pgx.CollectExactlyOneRow(rows, scanNotification)
	if errors.Is(err, pgx.ErrNoRows) {
		return Notification{}, db.ErrNotFound
	}
	return n, err
}

func access(ctx context.Context, q db.Querier, schoolID, id int64) (named, excluded []Person, err error) {
	rows, _ := q.Query(ctx, `SELECT a.kind, u.id, u.name, coalesce(m.deputy, false)
		FROM encompass_access a JOIN users u ON u.id = a.user_id
		LEFT JOIN memberships m ON m.school_id = a.school_id AND m.user_id = a.user_id
		WHERE a.school_id = $1 AND a.notification_id = $2 ORDER BY lower(u.name), u.id`, schoolID, id)
	var kind string
	var p Person
	_, err = pgx.ForEachRow(rows, []any{&kind, &p.ID, &p.Name, &p.Deputy}, func() error {
		if kind == "named" {
			named = append(named, p)
		} else {
			excluded = append(excluded, p)
		}
		return nil
	})
	return named, excluded, err
}

// Viewed audits, in q's transaction, that by saw the notification ref
// (encompass.view), and where: "page" or "chronology".
func Viewed(ctx context.Context, q db.Querier, by actor.Actor, ref, where string) error {
	return audit.Record(ctx, q, by, audit.Event{Action: "encompass.view", SubjectType: "encompass", SubjectID: ref,
		Details: map[string]any{"in": where}})
}

// List returns the notifications by may see, newest first, and audits
// encompass.list. DSLs only.
func (s *Service) List(ctx context.Context, by actor.Actor) ([]Notification, error) {
	if !isDSL(by) {
		return nil, db.ErrNotFound
	}
	var out []Notification
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, selectNotification+` WHERE n.school_id = $1 AND `+visible+`
			ORDER BY n.notified_on DESC, n.id DESC LIMIT 500`, by.SchoolID)
		var err error
		if out, err = pgx.CollectRows(rows, scanNotification); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "encompass.list", Details: map[string]any{"count": len(out)}})
	})
	if err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	return out, nil
}

// ForChild returns, in q's transaction, the notifications about the child
// childID that the transaction's user may see (a DSL not excluded and,
// when restricted, named), by date notified: for the child's chronology
// (internal/concern). It does not audit; the caller records Viewed for
// each one it shows.
func ForChild(ctx context.Context, q db.Querier, schoolID, childID int64) ([]Notification, error) {
	rows, _ := q.Query(ctx, selectNotification+` WHERE n.school_id = $1 AND n.child_id = $2 AND `+visible+`
		ORDER BY n.notified_on, n.id`, schoolID, childID)
	list, err := pgx.CollectRows(rows, scanNotification)
	if err != nil {
		return nil, fmt.Errorf("notifications about child %d: %w", childID, err)
	}
	return list, nil
}

// AccessForm is "Who can see this notification" as chosen.
type AccessForm struct {
	Restricted bool
	Named      []int64
	Excluded   []int64
}

// SetAccess changes who may see the notification ref, by the rules of a
// restricted concern: when restricted only the DSLs named (always the one
// making the change) see it; anyone excluded never does; nobody excludes
// themselves or the DSL who recorded it; everyone named or excluded is a
// DSL of the school. Audited as encompass.restrict. Anyone who may not see
// it gets db.ErrNotFound.
func (s *Service) SetAccess(ctx context.Context, by actor.Actor, ref string, f AccessForm) error {
	if !isDSL(by) {
		return db.ErrNotFound
	}
	named, excluded := unique(f.Named), unique(f.Excluded)
	if f.Restricted && !slices.Contains(named, by.UserID) {
		named = append(named, by.UserID)
	}
	if !f.Restricted {
		named = nil
	}
	p := validate.Problems{}
	checkAccess(p, by, named, excluded)
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		n, err := get(ctx, tx, by.SchoolID, ref)
		if err != nil {
			return err
		}
		if slices.Contains(excluded, n.RecordedBy) {
			p.Add(FieldExcluded, "The DSL who recorded it always sees it")
		}
		if err := checkDSLs(ctx, tx, by.SchoolID, p, named, excluded); err != nil {
			return err
		}
		if len(p) > 0 {
			return p
		}
		// In this order, so that the DSL making the change can see the
		// notification at every step (row-level security checks each one).
		if err := setAccess(ctx, tx, by, n.ID, named, excluded); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE encompass_notifications SET restricted = $3 WHERE school_id = $1 AND id = $2`,
			by.SchoolID, n.ID, f.Restricted); err != nil {
			return err
		}
		if err := pruneAccess(ctx, tx, by.SchoolID, n.ID, append(append([]int64{}, named...), excluded...)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "encompass.restrict", SubjectType: "encompass", SubjectID: ref,
			Details: map[string]any{"restricted": f.Restricted, "named": named, "excluded": excluded}})
	})
	if _, ok := errors.AsType[validate.Problems](err); ok || errors.Is(err, db.ErrNotFound) {
		return err
	}
	if err != nil {
		return fmt.Errorf("set who may see %s: %w", ref, err)
	}
	return nil
}
