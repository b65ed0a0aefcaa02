package allegation

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/jobs"
	"github.com/havenschools/haven/internal/notify"
	"github.com/havenschools/haven/internal/paths"
	"github.com/havenschools/haven/internal/school"
	"github.com/havenschools/haven/internal/validate"
	"github.com/havenschools/haven/internal/when"
)

// Service carries out the use cases of concerns about adults. Each
// exported method is one transaction (SignOff may add a second: the
// removal). Any member of a school may report; everything else is for the
// record's handler — the head, or the chair of governors for records about
// the head — and anyone else gets db.ErrNotFound, so a record's existence
// never leaks (not even to its subject, whatever their role).
type Service struct {
	pool    *pgxpool.Pool
	jobs    *jobs.Client
	baseURL string
	clock   atomic.Pointer[func() time.Time]
}

// NewService returns a Service using pool, enqueuing the handler's email
// on jobs (nil: no email), with links under baseURL (HAVEN_BASE_URL).
func NewService(pool *pgxpool.Pool, jobs *jobs.Client, baseURL string) *Service {
	return &Service{pool: pool, jobs: jobs, baseURL: strings.TrimRight(baseURL, "/")}
}

// SetClock makes the service read the time from now instead of the system
// clock: tests use it to reach the LADO prompt or a retention date. Safe
// to call while the service is in use.
func (s *Service) SetClock(now func() time.Time) { s.clock.Store(&now) }

func (s *Service) now() time.Time {
	if f := s.clock.Load(); f != nil {
		return (*f)()
	}
	return time.Now()
}

// Errors of the report's lifecycle.
var (
	// ErrBadSubmission: the form's submission id is not one Haven minted,
	// or another person's.
	ErrBadSubmission = errors.New("the form's submission id is not valid")
)

// Receipt is what the person who reported a concern about an adult is
// shown, then and later: its reference, who it went to and when — nothing
// of what was done about it.
type Receipt struct {
	Ref       string
	RoutedTo  Route
	CreatedAt time.Time
	// Again: this form had already been sent; nothing new was stored.
	Again bool
	// NoRecipient: the school has no head, or has not named its chair of
	// governors, to receive it yet; the reporter should tell them directly.
	NoRecipient bool
}

// Submit stores the form as a concern about an adult in by's school, once
// (the same form sent again returns the first receipt with Again set). It
// goes to the head — or to the chair of governors when the adult is a head
// of the school (their account chosen, or their name matching a head's) —
// whose email (a link only) is enqueued in the same transaction. Audited as
// allegation.submit with the reference only. Form problems are
// validate.Problems; nothing is stored then.
func (s *Service) Submit(ctx context.Context, by actor.Actor, f Form) (Receipt, error) {
	if !ValidSubmissionID(f.SubmissionID) || by.UserID == 0 {
		return Receipt{}, ErrBadSubmission
	}
	now := s.now()
	var rc Receipt
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('allegation-submission:' || $2::text, $1))`,
			by.SchoolID, f.SubmissionID); err != nil {
			return err
		}
		again, err := receiptBy(ctx, tx, "submission_id", f.SubmissionID)
		if err == nil {
			rc, rc.Again = again, true
			return nil
		}
		if !errors.Is(err, db.ErrNotFound) {
			return err
		}
		r, p := f.check(now)
		if r.subjectUserID != 0 && r.subjectUserID == by.UserID {
			// Members leaves the reporter out of the list; a form posted
			// with their own account anyway is refused, not stored.
			p.Add(FieldSubjectAccount, "You cannot choose your own account: a concern about yourself is not reported here. Choose their account, or ‘They have no account, or I am not sure’")
		} else if r.subjectUserID != 0 {
			ok, err := isMember(ctx, tx, by.SchoolID, r.subjectUserID)
			if err != nil {
				return err
			}
			if !ok {
				p.Add(FieldSubjectAccount, "Choose their account from the list, or ‘They have no account, or I am not sure’")
			}
		}
		if r.childID != 0 {
			ok, err := childOnRoll(ctx, tx, by.SchoolID, r.childID)
			if err != nil {
				return err
			}
			if !ok {
				p.Add(FieldChild, "That child could not be found: search again")
			}
		}
		if len(p) > 0 {
			return p
		}
		route, subject, err := routeFor(ctx, tx, by.SchoolID, r.subjectUserID, r.subjectName)
		if err != nil {
			return err
		}
		r.subjectUserID = subject
		ref, err := nextRef(ctx, tx, by.SchoolID, now.In(when.London()).Year())
		if err != nil {
			return err
		}
		err = insert(ctx, tx, by, ref, f.SubmissionID, route, r, now)
		if db.IsUniqueViolation(err, "allegations_school_id_submission_id_key") {
			return ErrBadSubmission // someone else's form
		}
		if err != nil {
			return err
		}
		rc = Receipt{Ref: ref, RoutedTo: route, CreatedAt: now}
		emails, err := recipients(ctx, tx, by.SchoolID, route, subject)
		if err != nil {
			return err
		}
		rc.NoRecipient = len(emails) == 0
		if err := s.enqueueEmails(ctx, tx, emails, ref); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "allegation.submit", SubjectType: "allegation", SubjectID: ref})
	})
	if p, ok := errors.AsType[validate.Problems](err); ok {
		return Receipt{}, p
	}
	if err != nil {
		return Receipt{}, fmt.Errorf("report a concern about an adult: %w", err)
	}
	return rc, nil
}

// NotificationEmail is the email telling a handler a concern about an
// adult was reported: a link, and nothing about who or what.
func NotificationEmail(baseURL, ref string) notify.Message {
	return notify.Message{
		Subject: "A concern about an adult needs your attention",
		Text: "A concern about an adult who works or volunteers at your school has been reported in Haven.\n\n" +
			"Open it here: " + baseURL + paths.Allegation(ref) + "\n\n" +
			"This email says nothing about who or what it concerns. Do not forward it.\n",
	}
}

func (s *Service) enqueueEmails(ctx context.Context, tx pgx.Tx, emails []string, ref string) error {
	if s.jobs == nil || len(emails) == 0 {
		return nil
	}
	msg := NotificationEmail(s.baseURL, ref)
	params := make([]river.InsertManyParams, 0, len(emails))
	for _, to := range emails {
		params = append(params, river.InsertManyParams{Args: notify.EmailArgs{To: to, Subject: msg.Subject, Text: msg.Text}})
	}
	_, err := s.jobs.InsertManyTx(ctx, tx, params)
	return err
}

// Receipt returns the receipt of the concern ref that by reported, or
// db.ErrNotFound (for anyone else: a receipt is its reporter's alone).
func (s *Service) Receipt(ctx context.Context, by actor.Actor, ref string) (Receipt, error) {
	var rc Receipt
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var err error
		if rc, err = receiptBy(ctx, tx, "ref", ref); err != nil {
			return err
		}
		emails, err := recipients(ctx, tx, by.SchoolID, rc.RoutedTo, 0)
		rc.NoRecipient = len(emails) == 0
		return err
	})
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		return Receipt{}, fmt.Errorf("receipt %s: %w", ref, err)
	}
	return rc, err
}

// Person is a member of the school, for choosing whom a concern is about.
type Person struct {
	ID   int64
	Name string
}

// Members returns the active members of by's school by name, for the
// report form's "Their Haven account" list — everyone but by, who cannot
// report a concern about themselves through it (Submit refuses their own
// account). Any member may read it.
func (s *Service) Members(ctx context.Context, by actor.Actor) ([]Person, error) {
	var out []Person
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, `SELECT u.id, u.name FROM memberships m JOIN users u ON u.id = m.user_id
			WHERE m.school_id = $1 AND m.deactivated_at IS NULL AND m.user_id <> $2 ORDER BY lower(u.name), u.id`, by.SchoolID, by.UserID)
		var err error
		out, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Person])
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("members: %w", err)
	}
	return out, nil
}

// Handles reports whether by handles concerns about adults in their
// school: a head, or the school's chair of governors.
func (s *Service) Handles(ctx context.Context, by actor.Actor) (bool, error) {
	var ok bool
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var err error
		ok, err = handles(ctx, tx, by)
		return err
	})
	return ok, err
}

// handles is Handles in q's transaction.
func handles(ctx context.Context, q db.Querier, by actor.Actor) (bool, error) {
	if by.UserID == 0 {
		return false, nil
	}
	if by.Role == actor.Head {
		return true, nil
	}
	return isChair(ctx, q, by)
}

// mustHandle returns db.ErrNotFound unless by handles concerns about adults.
func mustHandle(ctx context.Context, q db.Querier, by actor.Actor) error {
	ok, err := handles(ctx, q, by)
	if err != nil {
		return err
	}
	if !ok {
		return db.ErrNotFound
	}
	return nil
}

// Summary is one row of "Concerns about adults".
type Summary struct {
	Ref         string
	RoutedTo    Route
	Kind        Kind
	SubjectName string
	SubjectRole string
	Status      Status
	Outcome     Outcome
	CreatedAt   time.Time
	Removed     bool // personal data removed
	Consulted   bool // a LADO consultation is recorded
	LADODue     time.Time
	LADOPrompt  bool
}

// List returns the concerns about adults that by handles — open ones
// first (new before acknowledged), newest first — with the LADO prompt of
// each, and audits allegation.list. Anyone but a handler gets db.ErrNotFound.
func (s *Service) List(ctx context.Context, by actor.Actor) ([]Summary, error) {
	now := s.now()
	var out []Summary
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		if err := mustHandle(ctx, tx, by); err != nil {
			return err
		}
		cal, err := school.CalendarOf(ctx, tx, by.SchoolID)
		if err != nil {
			return err
		}
		if out, err = list(ctx, tx, by.SchoolID); err != nil {
			return err
		}
		for i := range out {
			a := &out[i]
			a.LADODue, a.LADOPrompt = LADOPrompt(a.Kind, a.Status != Closed && !a.Removed, a.Consulted, a.CreatedAt, cal, now)
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "allegation.list", Details: map[string]any{"count": len(out)}})
	})
	if err != nil {
		return nil, fmt.Errorf("concerns about adults: %w", err)
	}
	return out, nil
}

// Case is a concern about an adult as its handler sees it: the report,
// the LADO consultations, actions, outcome, the other records about the
// same adult and their low-level flag, its retention, and who has seen it.
type Case struct {
	Allegation
	Consultations []Consultation
	Actions       []Action
	LADODue       time.Time
	LADOPrompt    bool
	Related       []Summary // other records about the same adult, newest first
	Parts         []Part    // identities merged into the adult, to separate again
	Matches       []Match   // other people the adult may be: "Is this …?"
	Flag          Flag      // of the low-level concerns about the same adult
	FlagRule      FlagRule
	Retention     Retention
	Views         []audit.View
}

// Retention is where a record stands under the school's retention rules.
type Retention struct {
	Rule       RetentionRule
	Until      *time.Time // kept until (substantiated, unsubstantiated, unfounded)
	Remove     bool       // false or malicious: to be removed
	DOBMissing bool       // kept 10 years from the report; check their pension age at review
	Due        bool       // due for review or removal now
	Reason     string     // why it is due
	SignOffs   []SignOff  // towards removing its personal data (since the last review)
}

// SignOff is one person's agreement to remove a record's personal data.
type SignOff struct {
	UserID  int64
	Name    string
	Handler bool
	At      time.Time
}

// Case returns the concern about an adult ref for its handler, and audits
// allegation.view. Anyone else — its subject, DSLs, admins, staff, a head
// when it went to the chair — gets db.ErrNotFound.
func (s *Service) Case(ctx context.Context, by actor.Actor, ref string) (Case, error) {
	now := s.now()
	var c Case
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		if err := mustHandle(ctx, tx, by); err != nil {
			return err
		}
		var err error
		if c.Allegation, err = get(ctx, tx, by.SchoolID, ref); err != nil {
			return err
		}
		if c.Consultations, err = consultations(ctx, tx, by.SchoolID, c.ID); err != nil {
			return err
		}
		if c.Actions, err = actions(ctx, tx, by.SchoolID, c.ID); err != nil {
			return err
		}
		cal, err := school.CalendarOf(ctx, tx, by.SchoolID)
		if err != nil {
			return err
		}
		c.LADODue, c.LADOPrompt = LADOPrompt(c.Kind, c.Status != Closed && !c.Removed(), len(c.Consultations) > 0, c.CreatedAt, cal, now)
		st, err := settingsOf(ctx, tx, by.SchoolID)
		if err != nil {
			return err
		}
		c.FlagRule = st.Flag
		if !c.Removed() {
			if c.Related, err = related(ctx, tx, by.SchoolID, c.Person, c.Ref); err != nil {
				return err
			}
			if c.Flag, err = flagOf(ctx, tx, by.SchoolID, c.Person, st.Flag, now); err != nil {
				return err
			}
			people, err := subjects(ctx, tx, by.SchoolID)
			if err != nil {
				return err
			}
			if p, err := subjectOf(people, c.Person); err == nil {
				c.Parts, c.Matches = p.Parts, p.Matches
			}
		}
		if c.Retention, err = retentionOf(ctx, tx, by.SchoolID, c.Allegation, st.Retention, now); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, by, audit.Event{Action: "allegation.view", SubjectType: "allegation", SubjectID: ref}); err != nil {
			return err
		}
		c.Views, err = audit.ViewsOf(ctx, tx, by.SchoolID, "allegation", ref)
		return err
	})
	if err != nil {
		return Case{}, fmt.Errorf("view concern about an adult %s: %w", ref, err)
	}
	return c, nil
}

// change runs one change by the handler of the record ref in one
// transaction: the record is read (and locked) first, so fn sees it as it
// is. Anyone but its handler gets db.ErrNotFound; a record whose personal
// data was removed cannot change (a problem on field).
func (s *Service) change(ctx context.Context, by actor.Actor, ref, field string, fn func(pgx.Tx, Allegation) error) error {
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		if err := mustHandle(ctx, tx, by); err != nil {
			return err
		}
		a, err := getForUpdate(ctx, tx, by.SchoolID, ref)
		if err != nil {
			return err
		}
		if a.Removed() {
			return validate.Problems{field: "This record's personal data has been removed: it can no longer change"}
		}
		return fn(tx, a)
	})
	if _, ok := errors.AsType[validate.Problems](err); ok || errors.Is(err, db.ErrNotFound) {
		return err
	}
	if err != nil {
		return fmt.Errorf("change concern about an adult %s: %w", ref, err)
	}
	return nil
}

// Acknowledge records that the handler has taken the concern ref on. A
// concern already acknowledged or closed is left as it is. Audited as
// allegation.acknowledge.
func (s *Service) Acknowledge(ctx context.Context, by actor.Actor, ref string) error {
	return s.change(ctx, by, ref, "acknowledge", func(tx pgx.Tx, a Allegation) error {
		if a.Status != Submitted {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE allegations SET status = 'acknowledged', acknowledged_at = $3, acknowledged_by = $4
			WHERE school_id = $1 AND id = $2`, by.SchoolID, a.ID, s.now(), by.UserID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "allegation.acknowledge", SubjectType: "allegation", SubjectID: ref})
	})
}

// Field names of the handler's forms.
const (
	FieldNewKind      = "new_kind"
	FieldLADOOn       = "lado_on"
	FieldLADOOfficer  = "lado_officer"
	FieldLADOAdvice   = "lado_advice"
	FieldLADORef      = "lado_reference"
	FieldActionKind   = "action_kind"
	FieldActionOn     = "action_on"
	FieldActionNote   = "action_note"
	FieldOutcome      = "outcome"
	FieldOutcomeNote  = "outcome_note"
	FieldDOB          = "dob"
	FieldLeftOn       = "left_on"
	FieldReviewNote   = "review_note"
	FieldPatternNote  = "pattern_note"
	FieldSignOff      = "sign_off"
	FieldAcknowledged = "acknowledge"
)

// SetKind changes whether the open concern ref may meet the harm threshold
// or is a low-level concern. Audited as allegation.reclassify.
func (s *Service) SetKind(ctx context.Context, by actor.Actor, ref string, kind Kind) error {
	if !kind.Valid() {
		return validate.Problems{FieldNewKind: "Select what kind of concern this is"}
	}
	return s.change(ctx, by, ref, FieldNewKind, func(tx pgx.Tx, a Allegation) error {
		if a.Status == Closed {
			return validate.Problems{FieldNewKind: "This concern is closed: its kind can no longer change"}
		}
		if a.Kind == kind {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE allegations SET kind = $3 WHERE school_id = $1 AND id = $2`, by.SchoolID, a.ID, kind); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "allegation.reclassify", SubjectType: "allegation", SubjectID: ref,
			Details: map[string]any{"from": string(a.Kind), "to": string(kind)}})
	})
}

// LADOForm is the "Record the LADO consultation" form as typed.
type LADOForm struct {
	On        when.DateParts
	Officer   string
	Advice    string
	Reference string
}

// RecordLADO records a consultation with the local authority designated
// officer about the concern ref: when, the officer, their advice and
// reference. Audited as allegation.lado.
func (s *Service) RecordLADO(ctx context.Context, by actor.Actor, ref string, f LADOForm) error {
	now := s.now()
	p := validate.Problems{}
	on := pastDate(p, FieldLADOOn, f.On, "the date you consulted the LADO", now)
	officer, advice, reference := strings.TrimSpace(f.Officer), strings.TrimSpace(f.Advice), strings.TrimSpace(f.Reference)
	if msg := validate.Name(officer, "the LADO's name", true, 200); msg != "" {
		p.Add(FieldLADOOfficer, msg)
	}
	if msg := validate.Text(advice, "the LADO's advice", true, 20000); msg != "" {
		p.Add(FieldLADOAdvice, msg)
	}
	if msg := validate.Name(reference, "the LADO's reference", false, 100); msg != "" {
		p.Add(FieldLADORef, msg)
	}
	if len(p) > 0 {
		return p
	}
	return s.change(ctx, by, ref, FieldLADOOn, func(tx pgx.Tx, a Allegation) error {
		if _, err := tx.Exec(ctx, `INSERT INTO allegation_lado (school_id, allegation_id, consulted_on, officer, advice, reference, recorded_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, by.SchoolID, a.ID, on, officer, advice, reference, by.UserID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "allegation.lado", SubjectType: "allegation", SubjectID: ref})
	})
}

// ActionForm is the "Record an action" form as typed.
type ActionForm struct {
	Kind string
	On   when.DateParts
	Note string
}

// RecordAction records what the handler did about the concern ref.
// Audited as allegation.action with the kind of action.
func (s *Service) RecordAction(ctx context.Context, by actor.Actor, ref string, f ActionForm) error {
	now := s.now()
	p := validate.Problems{}
	kind := ActionKind(f.Kind)
	if !kind.Valid() {
		p.Add(FieldActionKind, "Select what was done")
	}
	on := pastDate(p, FieldActionOn, f.On, "the date it was done", now)
	note := strings.TrimSpace(f.Note)
	if msg := validate.Text(note, "a note of what was done", true, 20000); msg != "" {
		p.Add(FieldActionNote, msg)
	}
	if len(p) > 0 {
		return p
	}
	return s.change(ctx, by, ref, FieldActionKind, func(tx pgx.Tx, a Allegation) error {
		if _, err := tx.Exec(ctx, `INSERT INTO allegation_actions (school_id, allegation_id, kind, action_on, note, recorded_by)
			VALUES ($1, $2, $3, $4, $5, $6)`, by.SchoolID, a.ID, kind, on, note, by.UserID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "allegation.action", SubjectType: "allegation", SubjectID: ref,
			Details: map[string]any{"kind": string(kind)}})
	})
}

// OutcomeForm is the "Record the outcome" form as typed.
type OutcomeForm struct {
	Outcome string
	Note    string
	DOB     when.DateParts // the person's date of birth, for how long the record is kept (optional)
}

// RecordOutcome closes the concern ref with its outcome: one of KCSIE's
// for an allegation, LowLevelClosed for a low-level concern. It sets how
// long the record is kept (RetainUntil, with the school's rule); a false
// or malicious allegation becomes due for removal at once. Audited as
// allegation.outcome with the outcome.
func (s *Service) RecordOutcome(ctx context.Context, by actor.Actor, ref string, f OutcomeForm) error {
	now := s.now()
	p := validate.Problems{}
	o := Outcome(f.Outcome)
	if !o.Valid() {
		p.Add(FieldOutcome, "Select the outcome")
	}
	note := strings.TrimSpace(f.Note)
	if msg := validate.Text(note, "a summary of the outcome", true, 20000); msg != "" {
		p.Add(FieldOutcomeNote, msg)
	}
	var dob *time.Time
	if !f.DOB.Empty() {
		d, ok := f.DOB.Date()
		switch {
		case !ok:
			p.Add(FieldDOB, "Their date of birth must be a real date, like 27 3 1980")
		case d.After(today(now).AddDate(-14, 0, 0)) || d.Before(today(now).AddDate(-100, 0, 0)):
			p.Add(FieldDOB, "Their date of birth must be between 14 and 100 years ago")
		default:
			dob = &d
		}
	}
	if len(p) > 0 {
		return p
	}
	return s.change(ctx, by, ref, FieldOutcome, func(tx pgx.Tx, a Allegation) error {
		if a.Status == Closed {
			return validate.Problems{FieldOutcome: "The outcome is already recorded"}
		}
		if a.Kind == LowLevel && o != LowLevelClosed {
			return validate.Problems{FieldOutcome: "This is a low-level concern: close it as one, or change its kind first"}
		}
		if a.Kind != LowLevel && o == LowLevelClosed {
			return validate.Problems{FieldOutcome: "Change this concern's kind to a low-level concern before closing it as one"}
		}
		st, err := settingsOf(ctx, tx, by.SchoolID)
		if err != nil {
			return err
		}
		var until *time.Time
		if u, _, _ := RetainUntil(o, a.CreatedAt, dob, st.Retention); !u.IsZero() {
			until = &u
		}
		if _, err := tx.Exec(ctx, `UPDATE allegations SET status = 'closed', outcome = $3, outcome_note = $4, outcome_at = $5,
				outcome_by = $6, subject_dob = $7, retain_until = $8,
				acknowledged_at = coalesce(acknowledged_at, $5), acknowledged_by = coalesce(acknowledged_by, $6)
			WHERE school_id = $1 AND id = $2`, by.SchoolID, a.ID, o, note, now, by.UserID, dob, until); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "allegation.outcome", SubjectType: "allegation", SubjectID: ref,
			Details: map[string]any{"outcome": string(o)}})
	})
}

// RecordLeft records the day the adult the concern ref is about left the
// school, on every record about them (the person, merged or not) the
// handler handles: their low-level
// concerns then come up for review. Audited as allegation.subject_left.
func (s *Service) RecordLeft(ctx context.Context, by actor.Actor, ref string, on when.DateParts) error {
	p := validate.Problems{}
	left := pastDate(p, FieldLeftOn, on, "the day they left", s.now())
	if len(p) > 0 {
		return p
	}
	return s.change(ctx, by, ref, FieldLeftOn, func(tx pgx.Tx, a Allegation) error {
		tag, err := tx.Exec(ctx, `UPDATE allegations a SET subject_left_on = $3
			WHERE a.school_id = $1 AND a.subject_id IN `+personIdentities+` AND a.deleted_at IS NULL
			  AND allegation_handler(a.school_id, a.routed_to, a.subject_user_id)`, by.SchoolID, a.Person, left)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "allegation.subject_left", SubjectType: "allegation", SubjectID: ref,
			Details: map[string]any{"records": tag.RowsAffected()}})
	})
}

// KeepAfterReview records a review of the record ref, due for review or
// removal, that decided to keep it for another year, with the reason (a
// person asking to keep the record of a false allegation, say). Sign-offs
// given before it no longer count. Audited as allegation.review.
func (s *Service) KeepAfterReview(ctx context.Context, by actor.Actor, ref, note string) error {
	now := s.now()
	note = strings.TrimSpace(note)
	if msg := validate.Text(note, "why the record is kept", true, 4000); msg != "" {
		return validate.Problems{FieldReviewNote: msg}
	}
	return s.change(ctx, by, ref, FieldReviewNote, func(tx pgx.Tx, a Allegation) error {
		st, err := settingsOf(ctx, tx, by.SchoolID)
		if err != nil {
			return err
		}
		r, err := retentionOf(ctx, tx, by.SchoolID, a, st.Retention, now)
		if err != nil {
			return err
		}
		if !r.Due {
			return validate.Problems{FieldReviewNote: "This record is not due for review"}
		}
		if _, err := tx.Exec(ctx, `UPDATE allegations SET reviewed_at = $3, review_after = $4, review_note = $5
			WHERE school_id = $1 AND id = $2`, by.SchoolID, a.ID, now, today(now).AddDate(1, 0, 0), note); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "allegation.review", SubjectType: "allegation", SubjectID: ref,
			Details: map[string]any{"decision": "keep"}})
	})
}

// pastDate checks a required date that may not be in the future.
func pastDate(p validate.Problems, field string, d when.DateParts, what string, now time.Time) time.Time {
	t, ok := d.Date()
	switch {
	case d.Empty():
		p.Add(field, "Enter "+what)
	case !ok:
		p.Add(field, "Enter "+what+" as a real date, like 27 3 2026")
	case t.After(today(now)):
		p.Add(field, "The date must be today or in the past")
	case t.Before(today(now).AddDate(-50, 0, 0)):
		p.Add(field, "The date must be within the last 50 years")
	}
	return t
}

// Settings are a school's rules for concerns about adults.
type Settings struct {
	Retention RetentionRule
	Flag      FlagRule
}

// Settings returns by's school's rules for concerns about adults (the
// defaults when none are set). Its handlers and admins may read them.
func (s *Service) Settings(ctx context.Context, by actor.Actor) (Settings, error) {
	var st Settings
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		if by.Role != actor.Admin {
			if err := mustHandle(ctx, tx, by); err != nil {
				return err
			}
		}
		var err error
		st, err = settingsOf(ctx, tx, by.SchoolID)
		return err
	})
	return st, err
}

// SettingsForm is the admin's form for the rules, as typed.
type SettingsForm struct {
	RetirementAge string
	MinimumYears  string
	LowLevelCount string
	LowLevelDays  string
}

// Fields of the settings form.
const (
	FieldRetirementAge = "retirement_age"
	FieldMinimumYears  = "minimum_years"
	FieldLowLevelCount = "low_level_count"
	FieldLowLevelDays  = "low_level_days"
)

// UpdateSettings saves by's school's rules for concerns about adults: how
// long records are kept and when low-level concerns flag an adult. Records
// already closed keep the date set when they closed. Admins only
// (db.ErrNotFound otherwise). Audited as school.settings_change.
func (s *Service) UpdateSettings(ctx context.Context, by actor.Actor, f SettingsForm) error {
	if by.Role != actor.Admin {
		return db.ErrNotFound
	}
	p := validate.Problems{}
	age := whole(p, FieldRetirementAge, f.RetirementAge, "the normal retirement age", 55, 75)
	years := whole(p, FieldMinimumYears, f.MinimumYears, "the least number of years a record is kept", 1, 50)
	count := whole(p, FieldLowLevelCount, f.LowLevelCount, "the number of low-level concerns that flags a person", 2, 50)
	days := whole(p, FieldLowLevelDays, f.LowLevelDays, "the number of days they are counted over", 30, 3660)
	if len(p) > 0 {
		return p
	}
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO allegation_settings (school_id, retirement_age, minimum_years, low_level_count, low_level_days)
			VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (school_id) DO UPDATE SET retirement_age = EXCLUDED.retirement_age, minimum_years = EXCLUDED.minimum_years,
				low_level_count = EXCLUDED.low_level_count, low_level_days = EXCLUDED.low_level_days, updated_at = now()`,
			by.SchoolID, age, years, count, days); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by, audit.Event{Action: "school.settings_change", SubjectType: "school",
			SubjectID: fmt.Sprint(by.SchoolID), Details: map[string]any{"fields": []string{"allegation_rules"}}})
	})
	if err != nil {
		return fmt.Errorf("update the rules for concerns about adults: %w", err)
	}
	return nil
}

func whole(p validate.Problems, field, value, label string, lo, hi int) int {
	var n int
	_, err := fmt.Sscanf(strings.TrimSpace(value), "%d", &n)
	if err != nil || fmt.Sprint(n) != strings.TrimSpace(value) || n < lo || n > hi {
		p.Add(field, fmt.Sprintf("Enter %s, a whole number from %d to %d", label, lo, hi))
	}
	return n
}

// ChildNote says that a restricted record about an adult names a child:
// all a child's file may show of it, and only to the record's handler.
type ChildNote struct {
	Ref       string
	CreatedAt time.Time
}

// ChildNotes returns the notes of the concerns about adults that name the
// child childID, for by if they handle them (none for anyone else).
// Not audited: it shows references only.
func (s *Service) ChildNotes(ctx context.Context, by actor.Actor, childID int64) ([]ChildNote, error) {
	var out []ChildNote
	err := db.InSchool(ctx, s.pool, by, func(tx pgx.Tx) error {
		var err error
		out, err = ChildNotes(ctx, tx, by.SchoolID, childID)
		return err
	})
	return out, err
}
