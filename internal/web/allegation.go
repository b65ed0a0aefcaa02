package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/allegation"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/fail"
	"github.com/havenschools/haven/internal/paths"
	"github.com/havenschools/haven/internal/validate"
	"github.com/havenschools/haven/internal/when"
	"github.com/havenschools/haven/web/page"
)

// Concerns about adults (issue 8): the short form "Report a concern"
// leads to when it is about an adult who works or volunteers here, its
// receipt, and the pages of the head — or the chair of governors, for
// concerns about the head — who handles them. The route table lets
// any member reach these routes; the allegation service decides, and
// everyone but a record's handler gets 404 (its subject too, whatever
// their role).

// aboutAdultField is the first question of "Report a concern": "Is this
// about an adult who works or volunteers here?".
const aboutAdultField = "about_adult"

// handleAllegationNew handles GET /allegations/new.
func (s *Server) handleAllegationNew(w http.ResponseWriter, r *http.Request) error {
	f := page.AllegationForm{Form: allegation.Form{SubmissionID: allegation.NewSubmissionID()}}
	return s.renderAllegationNew(w, r, f, http.StatusOK)
}

// allegationFromConcern shows the form for a concern about an adult to
// someone who answered "Yes" to the first question of "Report a concern",
// keeping what they had typed there of what happened and where.
func (s *Server) allegationFromConcern(w http.ResponseWriter, r *http.Request, account, location string) error {
	f := page.AllegationForm{Form: allegation.Form{SubmissionID: allegation.NewSubmissionID(), Account: account, Location: location},
		Notice: "This is about an adult who works or volunteers here, so it goes to the headteacher, not the DSL. Nothing has been sent yet."}
	return s.renderAllegationNew(w, r, f, http.StatusOK)
}

func (s *Server) renderAllegationNew(w http.ResponseWriter, r *http.Request, f page.AllegationForm, status int) error {
	by := actorFrom(r)
	ctx := r.Context()
	members, err := s.allegations.Members(ctx, by)
	if err != nil {
		return err
	}
	f.Members = members
	if f.Form.ChildID != 0 && f.ChildName == "" && !f.Searched {
		c, err := s.pupils.Get(ctx, by, f.Form.ChildID)
		switch {
		case errors.Is(err, db.ErrNotFound):
			f.Form.ChildID = 0
		case err != nil:
			return err
		default:
			f.ChildName = c.Name()
		}
	}
	return render(w, r, status, page.AllegationNew(f))
}

// readAllegationForm reads the posted form; nothing in it is trusted.
func readAllegationForm(r *http.Request) (f allegation.Form, childQuery, action string) {
	v := r.PostForm
	f = allegation.Form{
		SubmissionID: v.Get("submission_id"),
		SubjectName:  v.Get(allegation.FieldSubjectName),
		SubjectRole:  v.Get(allegation.FieldSubjectRole),
		Account:      v.Get(allegation.FieldAccount),
		Happened: when.DateParts{Day: v.Get(allegation.FieldHappened + "-day"), Month: v.Get(allegation.FieldHappened + "-month"),
			Year: v.Get(allegation.FieldHappened + "-year")},
		HappenedTime: v.Get(allegation.FieldHappenedTime),
		Location:     v.Get(allegation.FieldLocation),
		Witnesses:    v.Get(allegation.FieldWitnesses),
		Kind:         v.Get(allegation.FieldKind),
	}
	f.SubjectUserID, _ = strconv.ParseInt(v.Get(allegation.FieldSubjectAccount), 10, 64)
	f.ChildID, _ = strconv.ParseInt(v.Get(allegation.FieldChild), 10, 64)
	return f, strings.TrimSpace(v.Get("child_q")), v.Get("action")
}

// handleAllegationPost handles POST /allegations: finding a child,
// removing them, and "Submit concern", which stores the concern and
// redirects to its receipt; the form comes back with what was typed
// otherwise.
func (s *Server) handleAllegationPost(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return err
	}
	by := actorFrom(r)
	f, q, act := readAllegationForm(r)
	if !allegation.ValidSubmissionID(f.SubmissionID) {
		f.SubmissionID = allegation.NewSubmissionID()
	}
	v := page.AllegationForm{Form: f, ChildQuery: q}
	switch act {
	case "find":
		picker, problem, err := s.findChildren(r.Context(), by, q)
		if err != nil {
			return err
		}
		if problem != "" {
			v.Problems = validate.Problems{"child_q": "Enter the child's name or UPN to search the roll"}
			return s.renderAllegationNew(w, r, v, http.StatusUnprocessableEntity)
		}
		v.ChildPicker = picker
		return s.renderAllegationNew(w, r, v, http.StatusOK)
	case "remove-child":
		v.Form.ChildID = 0
		return s.renderAllegationNew(w, r, v, http.StatusOK)
	case "submit":
	default: // Enter pressed in a box of the form
		return s.renderAllegationNew(w, r, v, http.StatusOK)
	}
	// The write outlives the request: a closed tab must not abort a good commit.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), writeTimeout)
	defer cancel()
	rc, err := s.allegations.Submit(ctx, by, f)
	if p, ok := fail.ProblemsOf(err); ok {
		v.Problems = p
		if f.ChildID == 0 && q != "" && p[allegation.FieldChild] == "" {
			p[allegation.FieldChild] = "Select “Find child” and choose the child, or clear the child's name"
		}
		return s.renderAllegationNew(w, r, v, http.StatusUnprocessableEntity)
	}
	if errors.Is(err, allegation.ErrBadSubmission) {
		v.Form.SubmissionID = allegation.NewSubmissionID()
		v.Notice = "This form could not be sent as it was. Check it and select “Submit concern” again."
		return s.renderAllegationNew(w, r, v, http.StatusUnprocessableEntity)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, paths.AllegationSubmitted(rc.Ref), http.StatusSeeOther)
	return nil
}

// handleAllegationSubmitted handles GET /allegations/{ref}/submitted: the
// receipt, for the person who reported it only.
func (s *Server) handleAllegationSubmitted(w http.ResponseWriter, r *http.Request) error {
	rc, err := s.allegations.Receipt(r.Context(), actorFrom(r), chi.URLParam(r, "ref"))
	if err != nil {
		return err
	}
	return render(w, r, http.StatusOK, page.AllegationSubmitted(page.AllegationReceipt{Receipt: rc}))
}

// handleAllegations handles GET /allegations, "Concerns about adults".
func (s *Server) handleAllegations(w http.ResponseWriter, r *http.Request) error {
	by := actorFrom(r)
	list, err := s.allegations.List(r.Context(), by)
	if err != nil {
		return err
	}
	chair := signInFrom(r).Membership.ChairOfGovernors && by.Role != actor.Head
	return render(w, r, http.StatusOK, page.Allegations(page.AllegationsView{List: list, Chair: chair}))
}

// handleAllegation handles GET /allegations/{ref}, the handler's page.
func (s *Server) handleAllegation(w http.ResponseWriter, r *http.Request) error {
	return s.renderAllegation(w, r, page.AllegationView{}, http.StatusOK)
}

// renderAllegation shows the record of the route to its handler, with v's
// problems and typed values (a small form on the page that was refused).
func (s *Server) renderAllegation(w http.ResponseWriter, r *http.Request, v page.AllegationView, status int) error {
	return s.renderAllegationOf(w, r, chi.URLParam(r, "ref"), v, status)
}

// renderAllegationOf renders the handler's page of the record ref.
func (s *Server) renderAllegationOf(w http.ResponseWriter, r *http.Request, ref string, v page.AllegationView, status int) error {
	c, err := s.allegations.Case(r.Context(), actorFrom(r), ref)
	if err != nil {
		return err
	}
	v.Case, v.Now = c, time.Now()
	v.Hold, err = s.allegations.Hold(r.Context(), actorFrom(r), c.Ref)
	switch {
	case errors.Is(err, db.ErrNotFound): // not its handler: no hold to show
	case err != nil:
		return err
	default:
		v.CanHold = true
	}
	today := when.DatePartsOf(time.Now().In(when.London()))
	if v.LADO.On.Empty() && v.Problems[allegation.FieldLADOOn] == "" {
		v.LADO.On = today
	}
	if v.Action.On.Empty() && v.Problems[allegation.FieldActionOn] == "" {
		v.Action.On = today
	}
	return render(w, r, status, page.Allegation(v))
}

// allegationChange runs one change from the handler's page: parse, call,
// then back to the page (303, with a message) or the page with the
// problems (422).
func (s *Server) allegationChange(w http.ResponseWriter, r *http.Request, anchor, done string, fn func(actor.Actor, string) (page.AllegationView, error)) error {
	if err := r.ParseForm(); err != nil {
		return err
	}
	ref := chi.URLParam(r, "ref")
	v, err := fn(actorFrom(r), ref)
	if p, ok := fail.ProblemsOf(err); ok {
		v.Problems = p
		return s.renderAllegation(w, r, v, http.StatusUnprocessableEntity)
	}
	if err != nil {
		return err
	}
	s.flash(r, done)
	http.Redirect(w, r, paths.Allegation(ref)+"#"+anchor, http.StatusSeeOther)
	return nil
}

func datePosted(r *http.Request, prefix string) when.DateParts {
	return when.DateParts{Day: r.PostFormValue(prefix + "-day"), Month: r.PostFormValue(prefix + "-month"),
		Year: r.PostFormValue(prefix + "-year")}
}

// handleAllegationAcknowledge handles POST /allegations/{ref}/acknowledge.
func (s *Server) handleAllegationAcknowledge(w http.ResponseWriter, r *http.Request) error {
	return s.allegationChange(w, r, "main-content", "Acknowledged", func(by actor.Actor, ref string) (page.AllegationView, error) {
		return page.AllegationView{}, s.allegations.Acknowledge(r.Context(), by, ref)
	})
}

// handleAllegationKind handles POST /allegations/{ref}/kind.
func (s *Server) handleAllegationKind(w http.ResponseWriter, r *http.Request) error {
	return s.allegationChange(w, r, "main-content", "Kind of concern changed", func(by actor.Actor, ref string) (page.AllegationView, error) {
		kind := r.PostFormValue(allegation.FieldNewKind)
		return page.AllegationView{NewKind: kind}, s.allegations.SetKind(r.Context(), by, ref, allegation.Kind(kind))
	})
}

// handleAllegationLADO handles POST /allegations/{ref}/lado.
func (s *Server) handleAllegationLADO(w http.ResponseWriter, r *http.Request) error {
	return s.allegationChange(w, r, "lado-section", "LADO consultation recorded", func(by actor.Actor, ref string) (page.AllegationView, error) {
		f := allegation.LADOForm{On: datePosted(r, allegation.FieldLADOOn), Officer: r.PostFormValue(allegation.FieldLADOOfficer),
			Advice: r.PostFormValue(allegation.FieldLADOAdvice), Reference: r.PostFormValue(allegation.FieldLADORef)}
		return page.AllegationView{LADO: f}, s.allegations.RecordLADO(r.Context(), by, ref, f)
	})
}

// handleAllegationAction handles POST /allegations/{ref}/actions.
func (s *Server) handleAllegationAction(w http.ResponseWriter, r *http.Request) error {
	return s.allegationChange(w, r, "actions-section", "Action recorded", func(by actor.Actor, ref string) (page.AllegationView, error) {
		f := allegation.ActionForm{Kind: r.PostFormValue(allegation.FieldActionKind), On: datePosted(r, allegation.FieldActionOn),
			Note: r.PostFormValue(allegation.FieldActionNote)}
		return page.AllegationView{Action: f}, s.allegations.RecordAction(r.Context(), by, ref, f)
	})
}

// handleAllegationOutcome handles POST /allegations/{ref}/outcome.
func (s *Server) handleAllegationOutcome(w http.ResponseWriter, r *http.Request) error {
	return s.allegationChange(w, r, "outcome-section", "Outcome recorded", func(by actor.Actor, ref string) (page.AllegationView, error) {
		f := allegation.OutcomeForm{Outcome: r.PostFormValue(allegation.FieldOutcome), Note: r.PostFormValue(allegation.FieldOutcomeNote),
			DOB: datePosted(r, allegation.FieldDOB)}
		return page.AllegationView{Outcome: f}, s.allegations.RecordOutcome(r.Context(), by, ref, f)
	})
}

// handleAllegationLeft handles POST /allegations/{ref}/left.
func (s *Server) handleAllegationLeft(w http.ResponseWriter, r *http.Request) error {
	return s.allegationChange(w, r, "related", "Recorded that they have left", func(by actor.Actor, ref string) (page.AllegationView, error) {
		on := datePosted(r, allegation.FieldLeftOn)
		return page.AllegationView{LeftOn: on}, s.allegations.RecordLeft(r.Context(), by, ref, on)
	})
}

// handleAllegationHold handles POST /allegations/{ref}/hold: a legal hold
// placed (on=yes) or lifted, with its reason.
func (s *Server) handleAllegationHold(w http.ResponseWriter, r *http.Request) error {
	done := "Legal hold placed: the record will not be reviewed or removed until it is lifted"
	if r.PostFormValue("on") != "yes" {
		done = "Legal hold lifted: the record falls due under its rules"
	}
	return s.allegationChange(w, r, "legal-hold", done, func(by actor.Actor, ref string) (page.AllegationView, error) {
		reason := r.PostFormValue(allegation.FieldHoldReason)
		return page.AllegationView{HoldReason: reason}, s.allegations.SetLegalHold(r.Context(), by, ref, r.PostFormValue("on") == "yes", reason)
	})
}

// handleAllegationKeep handles POST /allegations/{ref}/keep.
func (s *Server) handleAllegationKeep(w http.ResponseWriter, r *http.Request) error {
	return s.allegationChange(w, r, "retention", "Kept for another year", func(by actor.Actor, ref string) (page.AllegationView, error) {
		note := r.PostFormValue(allegation.FieldReviewNote)
		return page.AllegationView{Review: note}, s.allegations.KeepAfterReview(r.Context(), by, ref, note)
	})
}

// handleAllegationSignOff handles POST /allegations/{ref}/sign-off, from
// the record's page or from "Records due for review" (from=retention).
func (s *Server) handleAllegationSignOff(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return err
	}
	by := actorFrom(r)
	ref := chi.URLParam(r, "ref")
	fromList := r.PostFormValue("from") == "retention"
	removed, err := s.allegations.SignOff(r.Context(), by, ref)
	if p, ok := fail.ProblemsOf(err); ok {
		if fromList {
			return s.renderRetention(w, r, p, http.StatusUnprocessableEntity)
		}
		return s.renderAllegation(w, r, page.AllegationView{Problems: p}, http.StatusUnprocessableEntity)
	}
	if err != nil {
		return err
	}
	if removed {
		s.flash(r, ref+": signed off by two people, and its personal data removed")
	} else {
		s.flash(r, ref+": signed off. A second person must sign off before it is removed")
	}
	if fromList {
		http.Redirect(w, r, "/allegations/retention", http.StatusSeeOther)
	} else {
		http.Redirect(w, r, paths.Allegation(ref)+"#retention", http.StatusSeeOther)
	}
	return nil
}

// handleLowLevelLog handles GET /allegations/low-level.
func (s *Server) handleLowLevelLog(w http.ResponseWriter, r *http.Request) error {
	return s.renderLowLevelLog(w, r, page.LowLevelLogView{}, http.StatusOK)
}

func (s *Server) renderLowLevelLog(w http.ResponseWriter, r *http.Request, v page.LowLevelLogView, status int) error {
	log, rule, err := s.allegations.LowLevelLog(r.Context(), actorFrom(r))
	if err != nil {
		return err
	}
	v.Log, v.Rule = log, rule
	return render(w, r, status, page.LowLevelLog(v))
}

// handlePatternReview handles POST /allegations/low-level/reviews.
func (s *Server) handlePatternReview(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return err
	}
	person, ok := formID(r, allegation.FieldPerson)
	if !ok {
		return db.ErrNotFound
	}
	note := r.PostFormValue(allegation.FieldPatternNote)
	err := s.allegations.RecordPatternReview(r.Context(), actorFrom(r), person, note)
	if p, ok := fail.ProblemsOf(err); ok {
		return s.renderLowLevelLog(w, r, page.LowLevelLogView{Problems: p, Person: person, Note: note}, http.StatusUnprocessableEntity)
	}
	if err != nil {
		return err
	}
	s.flash(r, "Pattern review recorded")
	http.Redirect(w, r, "/allegations/low-level", http.StatusSeeOther)
	return nil
}

// formID reads a posted id (a positive whole number).
func formID(r *http.Request, field string) (int64, bool) {
	n, err := strconv.ParseInt(r.PostFormValue(field), 10, 64)
	return n, err == nil && n > 0
}

// handleMergePeople handles POST /allegations/people/merge: the handler
// answers "Is this …?" with yes. A refusal (two accounts, say, from a page
// that is out of date) is the page they came from with the problem (422);
// ids that are not the handler's are 404.
func (s *Server) handleMergePeople(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return err
	}
	person, ok1 := formID(r, allegation.FieldPerson)
	into, ok2 := formID(r, allegation.FieldMergeInto)
	if !ok1 || !ok2 {
		return db.ErrNotFound
	}
	err := s.allegations.Merge(r.Context(), actorFrom(r), person, into)
	if p, ok := fail.ProblemsOf(err); ok {
		if back := r.PostFormValue("back"); allegation.ValidRef(back) {
			return s.renderAllegationOf(w, r, back, page.AllegationView{Problems: p}, http.StatusUnprocessableEntity)
		}
		return s.renderLowLevelLog(w, r, page.LowLevelLogView{Problems: p, Person: person}, http.StatusUnprocessableEntity)
	}
	if err != nil {
		return err
	}
	s.flash(r, "Merged: these records are now about one person")
	http.Redirect(w, r, page.PeopleBackHref(r.PostFormValue("back")), http.StatusSeeOther)
	return nil
}

// handleSeparatePeople handles POST /allegations/people/separate: a merge
// undone.
func (s *Server) handleSeparatePeople(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return err
	}
	identity, ok := formID(r, allegation.FieldIdentity)
	if !ok {
		return db.ErrNotFound
	}
	if err := s.allegations.Separate(r.Context(), actorFrom(r), identity); err != nil {
		return err
	}
	s.flash(r, "Separated: those records are about a person of their own again")
	http.Redirect(w, r, page.PeopleBackHref(r.PostFormValue("back")), http.StatusSeeOther)
	return nil
}

// handleAllegationRetention handles GET /allegations/retention.
func (s *Server) handleAllegationRetention(w http.ResponseWriter, r *http.Request) error {
	return s.renderRetention(w, r, nil, http.StatusOK)
}

func (s *Server) renderRetention(w http.ResponseWriter, r *http.Request, p validate.Problems, status int) error {
	due, err := s.allegations.Retention(r.Context(), actorFrom(r))
	if err != nil {
		return err
	}
	return render(w, r, status, page.Retention(page.RetentionView{Due: due, Problems: p}))
}

// handleAllegationSettingsPage handles GET /admin/settings/allegations.
func (s *Server) handleAllegationSettingsPage(w http.ResponseWriter, r *http.Request) error {
	st, err := s.allegations.Settings(r.Context(), actorFrom(r))
	if err != nil {
		return err
	}
	f := allegation.SettingsForm{RetirementAge: strconv.Itoa(st.Retention.RetirementAge), MinimumYears: strconv.Itoa(st.Retention.MinimumYears),
		LowLevelCount: strconv.Itoa(st.Flag.Count), LowLevelDays: strconv.Itoa(st.Flag.Days)}
	return render(w, r, http.StatusOK, page.AllegationSettings(page.AllegationSettingsView{Form: f}))
}

// handleAllegationSettings handles POST /admin/settings/allegations.
func (s *Server) handleAllegationSettings(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return err
	}
	f := allegation.SettingsForm{RetirementAge: r.PostFormValue(allegation.FieldRetirementAge),
		MinimumYears: r.PostFormValue(allegation.FieldMinimumYears), LowLevelCount: r.PostFormValue(allegation.FieldLowLevelCount),
		LowLevelDays: r.PostFormValue(allegation.FieldLowLevelDays)}
	err := s.allegations.UpdateSettings(r.Context(), actorFrom(r), f)
	if p, ok := fail.ProblemsOf(err); ok {
		return render(w, r, http.StatusUnprocessableEntity, page.AllegationSettings(page.AllegationSettingsView{Form: f, Problems: p}))
	}
	if err != nil {
		return err
	}
	s.flash(r, "Rules for concerns about adults saved")
	http.Redirect(w, r, "/admin/settings/allegations", http.StatusSeeOther)
	return nil
}
