package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/havenschools/haven/internal/concern"
	"github.com/havenschools/haven/internal/fail"
	"github.com/havenschools/haven/internal/paths"
	"github.com/havenschools/haven/internal/plural"
	"github.com/havenschools/haven/internal/pupil"
	"github.com/havenschools/haven/internal/validate"
	"github.com/havenschools/haven/internal/when"
	"github.com/havenschools/haven/web/page"
)

// The DSL's pages: the Safeguarding queue (with its live banner), a
// concern's page and the changes made from it, My tasks, being away, and
// the dashboard. Every route is for DSLs and deputy DSLs only (the
// permission table), and every service call checks again.

// handleQueue handles GET /queue, the "Safeguarding queue".
func (s *Server) handleQueue(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	form := page.QueueFilterForm{
		Status: q.Get("status"), Category: q.Get("category"), Urgency: q.Get("urgency"), YearGroup: q.Get("year"),
		Mine: q.Get("mine") == "1", From: dateParts(q, "from"), To: dateParts(q, "to"),
	}
	filter := concern.QueueFilter{Status: form.Status, Category: form.Category, Urgency: form.Urgency, Mine: form.Mine,
		After: q.Get("after")}
	if y, ok := pupil.ParseYearGroup(form.YearGroup); ok {
		filter.YearGroup = &y
	} else {
		form.YearGroup = ""
	}
	problems := validate.Problems{}
	filter.From = optionalDate(problems, "from", form.From)
	filter.To = optionalDate(problems, "to", form.To)
	by := actorFrom(r)
	p, err := s.concerns.Queue(r.Context(), by, filter)
	if err != nil {
		return err
	}
	v := page.QueueView{Page: p, Filter: form, Problems: problems, Categories: p.Categories, Now: time.Now(),
		Later: filter.After != ""}
	status := http.StatusOK
	if len(problems) > 0 {
		status = http.StatusUnprocessableEntity
	}
	return render(w, r, status, page.Queue(v))
}

// optionalDate reads a date that may be left empty; a date typed wrong is
// a problem for field.
func optionalDate(p validate.Problems, field string, d when.DateParts) time.Time {
	if d.Empty() {
		return time.Time{}
	}
	t, ok := d.Date()
	if !ok {
		p.Add(field, "Enter a real date, like 27 3 2026")
		return time.Time{}
	}
	return t
}

// queueSince reads the ?since= time of an open queue page.
func queueSince(r *http.Request) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, r.URL.Query().Get("since"))
	return t, err == nil
}

// handleQueueNew handles GET /queue/new?since=…: how many concerns the
// reader may see were recorded since, as JSON — the polling fallback of
// the live banner.
func (s *Server) handleQueueNew(w http.ResponseWriter, r *http.Request) error {
	since, ok := queueSince(r)
	if !ok {
		return errNotFoundPage
	}
	n, err := s.concerns.NewSince(r.Context(), actorFrom(r), since)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	return json.NewEncoder(w).Encode(map[string]int{"count": n})
}

// streamPing keeps an idle event stream open through proxies.
const streamPing = 25 * time.Second

// streamLifetime ends a stream after a while; the browser reconnects, and
// the session is checked again.
const streamLifetime = 30 * time.Minute

// handleQueueEvents handles GET /queue/events: Server-Sent Events telling
// an open queue page how many new concerns it may see, each time the
// school's feed (Postgres LISTEN/NOTIFY) says something arrived. The stream
// has no write deadline; it ends when the browser goes, after
// streamLifetime, or when the server shuts down.
func (s *Server) handleQueueEvents(w http.ResponseWriter, r *http.Request) error {
	since, ok := queueSince(r)
	if !ok {
		return errNotFoundPage
	}
	by := actorFrom(r)
	// Subscribe before the first count, so that a concern stored between
	// the two is not missed: its notification wakes the loop below.
	wake, unsubscribe := s.feed.Subscribe(by.SchoolID)
	defer unsubscribe()
	n, err := s.concerns.NewSince(r.Context(), by, since) // also checks that by may see the queue
	if err != nil {
		return err
	}
	// No deadlines: the route group's would end the stream (a read
	// deadline passing cancels the request's context).
	rc := http.NewResponseController(w)
	for _, clear := range []func(time.Time) error{rc.SetWriteDeadline, rc.SetReadDeadline} {
		if err := clear(time.Time{}); err != nil && !errors.Is(err, http.ErrNotSupported) {
			return err
		}
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	send := func(count int) error {
		if _, err := fmt.Fprintf(w, "event: count\ndata: %d\n\n", count); err != nil {
			return err
		}
		return rc.Flush()
	}
	if err := send(n); err != nil {
		return nil // the browser went
	}
	sent := n
	ping := time.NewTicker(streamPing)
	defer ping.Stop()
	end := time.NewTimer(streamLifetime)
	defer end.Stop()
	for {
		select {
		case <-r.Context().Done():
			return nil
		case <-s.streamsDone:
			return nil
		case <-end.C:
			return nil
		case <-ping.C:
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil || rc.Flush() != nil {
				return nil
			}
		case <-wake:
			n, err := s.concerns.NewSince(r.Context(), by, since)
			if err != nil {
				s.log.WarnContext(r.Context(), "queue stream: count new concerns", "err", err)
				return nil
			}
			if n == sent {
				continue // another school's news, one this person may not see, or a recount
			}
			if err := send(n); err != nil {
				return nil
			}
			sent = n
		}
	}
}

// EndStreams ends every open event stream, so that a graceful shutdown
// does not wait for them. Register it with http.Server.RegisterOnShutdown.
func (s *Server) EndStreams() {
	s.endStreams.Do(func() { close(s.streamsDone) })
}

// formVersion reads the version of a concern the page showed.
func formVersion(r *http.Request) int {
	v, _ := strconv.Atoi(r.PostFormValue("version"))
	return v
}

// handleCase handles the DSL's GET /concerns/{ref} (see handleConcernShow).
func (s *Server) handleCase(w http.ResponseWriter, r *http.Request) error {
	return s.renderCase(w, r, page.CaseView{}, http.StatusOK)
}

// renderCase shows the concern of the route to a DSL, with v's problems
// and typed values (a small form on the page that was refused).
func (s *Server) renderCase(w http.ResponseWriter, r *http.Request, v page.CaseView, status int) error {
	by := actorFrom(r)
	ctx := r.Context()
	c, err := s.concerns.Case(ctx, by, chi.URLParam(r, "ref"))
	if err != nil {
		return err
	}
	dsls, err := s.concerns.DSLs(ctx, by)
	if err != nil {
		return err
	}
	st, err := s.schools.Settings(ctx, by)
	if err != nil {
		return err
	}
	v.Case, v.DSLs, v.Categories, v.Me, v.Now = c, dsls, st.Categories, by.UserID, time.Now()
	return render(w, r, status, page.CasePage(v))
}

// changed answers a change to the concern ref: on success a message on the
// concern's page; on a stale page (*concern.ConflictError) or a change that
// no longer fits (*concern.StateError), the 409 conflict page with what
// the DSL entered, nothing saved; on form problems, onProblems.
func (s *Server) changed(w http.ResponseWriter, r *http.Request, ref string, err error, done string,
	entered []concern.Detail, onProblems func(validate.Problems) error) error {
	if conflict, ok := errors.AsType[*concern.ConflictError](err); ok {
		return render(w, r, http.StatusConflict, page.ConflictPage(page.ConflictView{Ref: ref, Changes: conflict.Changes, Entered: entered}))
	}
	if st, ok := errors.AsType[*concern.StateError](err); ok {
		return render(w, r, http.StatusConflict, page.ConflictPage(page.ConflictView{Ref: ref, Reason: st.Msg, Entered: entered}))
	}
	if o, ok := errors.AsType[*concern.OrderError](err); ok {
		return render(w, r, http.StatusConflict, page.ConflictPage(page.ConflictView{Ref: ref, Reason: o.Msg, Entered: entered}))
	}
	if p, ok := fail.ProblemsOf(err); ok && onProblems != nil {
		return onProblems(p)
	}
	if err != nil {
		return err
	}
	s.flash(r, done)
	http.Redirect(w, r, paths.Concern(ref), http.StatusSeeOther)
	return nil
}

// caseProblems re-shows the concern's page with a small form's problems.
func (s *Server) caseProblems(w http.ResponseWriter, r *http.Request, v page.CaseView) func(validate.Problems) error {
	return func(p validate.Problems) error {
		v.Problems = p
		return s.renderCase(w, r, v, http.StatusUnprocessableEntity)
	}
}

// handleAcknowledge handles POST /concerns/{ref}/acknowledge.
func (s *Server) handleAcknowledge(w http.ResponseWriter, r *http.Request) error {
	ref := chi.URLParam(r, "ref")
	err := s.concerns.Acknowledge(r.Context(), actorFrom(r), ref, formVersion(r))
	then := r.PostFormValue("then") // "Acknowledge and continue" on the page of a step that needs it first
	if err != nil || !slices.Contains([]string{"decision", "close", "action"}, then) {
		return s.changed(w, r, ref, err, "You have acknowledged "+ref+" and it is assigned to you", nil, nil)
	}
	s.flash(r, "You have acknowledged "+ref+" and it is assigned to you")
	http.Redirect(w, r, paths.ConcernAction(ref, then), http.StatusSeeOther)
	return nil
}

// handleAssign handles POST /concerns/{ref}/assign.
func (s *Server) handleAssign(w http.ResponseWriter, r *http.Request) error {
	ref := chi.URLParam(r, "ref")
	to, _ := strconv.ParseInt(r.PostFormValue(concern.FieldAssignee), 10, 64)
	err := s.concerns.Assign(r.Context(), actorFrom(r), ref, formVersion(r), to)
	return s.changed(w, r, ref, err, "The concern has been assigned", nil, s.caseProblems(w, r, page.CaseView{}))
}

// handleUrgency handles POST /concerns/{ref}/urgency.
func (s *Server) handleUrgency(w http.ResponseWriter, r *http.Request) error {
	ref := chi.URLParam(r, "ref")
	err := s.concerns.SetUrgency(r.Context(), actorFrom(r), ref, formVersion(r), concern.Urgency(r.PostFormValue("urgency")))
	return s.changed(w, r, ref, err, "The urgency has been set", nil, s.caseProblems(w, r, page.CaseView{}))
}

// handleCategories handles POST /concerns/{ref}/categories.
func (s *Server) handleCategories(w http.ResponseWriter, r *http.Request) error {
	ref := chi.URLParam(r, "ref")
	if err := r.ParseForm(); err != nil {
		return err
	}
	err := s.concerns.SetCategories(r.Context(), actorFrom(r), ref, formVersion(r), r.PostForm[concern.FieldCategories])
	return s.changed(w, r, ref, err, "The categories have been saved", nil, s.caseProblems(w, r, page.CaseView{}))
}

// handleLink handles POST /concerns/{ref}/links.
func (s *Server) handleLink(w http.ResponseWriter, r *http.Request) error {
	ref := chi.URLParam(r, "ref")
	other := r.PostFormValue(concern.FieldLink)
	err := s.concerns.Link(r.Context(), actorFrom(r), ref, formVersion(r), other)
	return s.changed(w, r, ref, err, "The concerns have been linked", nil, s.caseProblems(w, r, page.CaseView{LinkRef: other}))
}

// handleFeedback handles POST /concerns/{ref}/actions/{id}/feedback.
func (s *Server) handleFeedback(w http.ResponseWriter, r *http.Request) error {
	ref := chi.URLParam(r, "ref")
	id := idParam(r)
	note := r.PostFormValue(concern.FieldFeedback)
	err := s.concerns.RecordFeedback(r.Context(), actorFrom(r), ref, id, note)
	return s.changed(w, r, ref, err, "The referral's feedback has been recorded", nil, func(p validate.Problems) error {
		return s.renderCase(w, r, page.CaseView{Problems: validate.Problems{concern.FieldFeedback + "-" + strconv.FormatInt(id, 10): p[concern.FieldFeedback]},
			Feedback: map[int64]string{id: note}}, http.StatusUnprocessableEntity)
	})
}

// currentVersion is the concern's version now, for a form page; it also
// checks that the DSL may see the concern. Opening a form is not a view of
// the concern's content, so it is not audited as one.
func (s *Server) currentVersion(r *http.Request, ref string) (int, error) {
	return s.concerns.Version(r.Context(), actorFrom(r), ref)
}

// handleDecisionPage handles GET /concerns/{ref}/decision, "Record decision".
func (s *Server) handleDecisionPage(w http.ResponseWriter, r *http.Request) error {
	ref := chi.URLParam(r, "ref")
	v, err := s.concerns.Ready(r.Context(), actorFrom(r), ref, concern.OpDecide)
	if o, ok := errors.AsType[*concern.OrderError](err); ok {
		return render(w, r, http.StatusOK, page.DecisionPage(page.DecisionView{Ref: ref, Order: page.OrderOf(o, ref, v, "decision", false)}))
	}
	if err != nil {
		return err
	}
	return render(w, r, http.StatusOK, page.DecisionPage(page.DecisionView{Ref: ref, Form: concern.DecisionForm{Version: v}}))
}

// handleDecision handles POST /concerns/{ref}/decision.
func (s *Server) handleDecision(w http.ResponseWriter, r *http.Request) error {
	ref := chi.URLParam(r, "ref")
	f := concern.DecisionForm{Version: formVersion(r), Outcome: r.PostFormValue(concern.FieldOutcome),
		Reason: r.PostFormValue(concern.FieldReason), Parents: r.PostFormValue(concern.FieldParents),
		ParentsWhyNot: r.PostFormValue(concern.FieldParentsWhyNot), ChildsWishes: r.PostFormValue(concern.FieldChildsWishes)}
	err := s.concerns.RecordDecision(r.Context(), actorFrom(r), ref, f)
	if o, ok := errors.AsType[*concern.OrderError](err); ok {
		return render(w, r, http.StatusConflict, page.DecisionPage(page.DecisionView{Ref: ref, Form: f,
			Order: page.OrderOf(o, ref, f.Version, "decision", true)}))
	}
	entered := []concern.Detail{{Label: "Decision", Value: concern.Outcome(f.Outcome).Label()}, {Label: "Reason", Value: f.Reason},
		{Label: "Why parents or carers were not told", Value: f.ParentsWhyNot}, {Label: "The child's wishes and feelings", Value: f.ChildsWishes}}
	return s.changed(w, r, ref, err, "Your decision has been recorded", nonEmpty(entered), func(p validate.Problems) error {
		return render(w, r, http.StatusUnprocessableEntity, page.DecisionPage(page.DecisionView{Ref: ref, Form: f, Problems: p}))
	})
}

func nonEmpty(ds []concern.Detail) []concern.Detail {
	var out []concern.Detail
	for _, d := range ds {
		if strings.TrimSpace(d.Value) != "" {
			out = append(out, d)
		}
	}
	return out
}

// handleActionPage handles GET /concerns/{ref}/action, "Record action".
func (s *Server) handleActionPage(w http.ResponseWriter, r *http.Request) error {
	ref := chi.URLParam(r, "ref")
	if _, err := s.currentVersion(r, ref); err != nil {
		return err
	}
	f := concern.ActionForm{On: when.DatePartsOf(when.Today(time.Now()))}
	return render(w, r, http.StatusOK, page.ActionPage(page.ActionView{Ref: ref, Form: f}))
}

// handleAction handles POST /concerns/{ref}/action.
func (s *Server) handleAction(w http.ResponseWriter, r *http.Request) error {
	ref := chi.URLParam(r, "ref")
	if err := r.ParseForm(); err != nil {
		return err
	}
	f := concern.ActionForm{Kind: r.PostFormValue(concern.FieldActionKind), On: dateParts(r.PostForm, concern.FieldActionOn),
		At: concern.TimeParts{Hour: r.PostFormValue(concern.FieldActionAt + "-hour"), Minute: r.PostFormValue(concern.FieldActionAt + "-minute"),
			AmPm: r.PostFormValue(concern.FieldActionAt + "-ampm")},
		Note: r.PostFormValue(concern.FieldNote), AgencyRef: r.PostFormValue(concern.FieldAgencyRef),
		FollowUp: dateParts(r.PostForm, concern.FieldFollowUp)}
	err := s.concerns.RecordAction(r.Context(), actorFrom(r), ref, f)
	entered := []concern.Detail{{Label: "What was done", Value: concern.ActionKind(f.Kind).Label()}, {Label: "Note", Value: f.Note},
		{Label: "Agency reference", Value: f.AgencyRef}}
	return s.changed(w, r, ref, err, "The action has been recorded", nonEmpty(entered), func(p validate.Problems) error {
		return render(w, r, http.StatusUnprocessableEntity, page.ActionPage(page.ActionView{Ref: ref, Form: f, Problems: p}))
	})
}

// reasonKinds are the one-reason pages: the route's last part.
var reasonKinds = map[string]string{"close": "Close concern", "reopen": "Reopen concern", "entered-in-error": "Entered in error"}

// reasonOps are the lifecycle steps of the one-reason pages.
var reasonOps = map[string]concern.Op{"close": concern.OpClose, "reopen": concern.OpReopen, "entered-in-error": concern.OpEnteredInError}

// handleReasonPage handles GET /concerns/{ref}/close, …/reopen and
// …/entered-in-error.
func (s *Server) handleReasonPage(kind string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		ref := chi.URLParam(r, "ref")
		v, err := s.concerns.Ready(r.Context(), actorFrom(r), ref, reasonOps[kind])
		if o, ok := errors.AsType[*concern.OrderError](err); ok {
			return render(w, r, http.StatusOK, page.ReasonPage(page.ReasonView{Ref: ref, Kind: kind, Version: v,
				Order: page.OrderOf(o, ref, v, kind, false)}))
		}
		if err != nil {
			return err
		}
		return render(w, r, http.StatusOK, page.ReasonPage(page.ReasonView{Ref: ref, Kind: kind, Version: v}))
	}
}

// handleReason handles POST /concerns/{ref}/close, …/reopen and
// …/entered-in-error.
func (s *Server) handleReason(kind string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		ref := chi.URLParam(r, "ref")
		by := actorFrom(r)
		version := formVersion(r)
		var err error
		var text, done string
		switch kind {
		case "close":
			text = r.PostFormValue(concern.FieldSummary)
			err = s.concerns.Close(r.Context(), by, ref, concern.CloseForm{Version: version, Summary: text})
			done = "The concern has been closed"
		case "reopen":
			text = r.PostFormValue(concern.FieldReason)
			err = s.concerns.Reopen(r.Context(), by, ref, concern.ReasonForm{Version: version, Reason: text})
			done = "The concern has been reopened"
		default:
			text = r.PostFormValue(concern.FieldReason)
			err = s.concerns.MarkEnteredInError(r.Context(), by, ref, concern.ReasonForm{Version: version, Reason: text})
			done = "The concern has been marked entered in error. It is on no chronology and off the queue"
		}
		if o, ok := errors.AsType[*concern.OrderError](err); ok {
			return render(w, r, http.StatusConflict, page.ReasonPage(page.ReasonView{Ref: ref, Kind: kind, Version: version,
				Text: text, Order: page.OrderOf(o, ref, version, kind, true)}))
		}
		entered := nonEmpty([]concern.Detail{{Label: reasonKinds[kind], Value: text}})
		return s.changed(w, r, ref, err, done, entered, func(p validate.Problems) error {
			return render(w, r, http.StatusUnprocessableEntity, page.ReasonPage(page.ReasonView{Ref: ref, Kind: kind,
				Version: version, Text: text, Problems: p}))
		})
	}
}

// handleAccessPage handles GET /concerns/{ref}/access, "Who can see this concern".
func (s *Server) handleAccessPage(w http.ResponseWriter, r *http.Request) error {
	by := actorFrom(r)
	ref := chi.URLParam(r, "ref")
	a, err := s.concerns.Access(r.Context(), by, ref)
	if err != nil {
		return err
	}
	dsls, err := s.concerns.DSLs(r.Context(), by)
	if err != nil {
		return err
	}
	return render(w, r, http.StatusOK, page.AccessPage(page.AccessView{Ref: ref, Version: a.Version, DSLs: dsls, Me: by.UserID, Form: a}))
}

// handleAccess handles POST /concerns/{ref}/access.
func (s *Server) handleAccess(w http.ResponseWriter, r *http.Request) error {
	by := actorFrom(r)
	ref := chi.URLParam(r, "ref")
	if err := r.ParseForm(); err != nil {
		return err
	}
	f := concern.AccessForm{Version: formVersion(r), Restricted: r.PostFormValue("restricted") == "yes",
		Named: formIDs(r.PostForm, concern.FieldNamed), Excluded: formIDs(r.PostForm, concern.FieldExcluded)}
	err := s.concerns.SetAccess(r.Context(), by, ref, f)
	return s.changed(w, r, ref, err, "Who can see this concern has been changed", nil, func(p validate.Problems) error {
		dsls, err := s.concerns.DSLs(r.Context(), by)
		if err != nil {
			return err
		}
		return render(w, r, http.StatusUnprocessableEntity, page.AccessPage(page.AccessView{Ref: ref, Version: f.Version,
			DSLs: dsls, Me: by.UserID, Form: f, Problems: p}))
	})
}

func formIDs(v url.Values, key string) []int64 {
	var out []int64
	for _, s := range v[key] {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil {
			out = append(out, id)
		}
	}
	return out
}

// handleTasks handles GET /tasks, "My tasks".
func (s *Server) handleTasks(w http.ResponseWriter, r *http.Request) error {
	return s.renderTasks(w, r, page.TasksView{}, http.StatusOK)
}

func (s *Server) renderTasks(w http.ResponseWriter, r *http.Request, v page.TasksView, status int) error {
	by := actorFrom(r)
	ctx := r.Context()
	tasks, err := s.concerns.MyTasks(ctx, by)
	if err != nil {
		return err
	}
	away, err := s.concerns.AwayStatus(ctx, by)
	if err != nil {
		return err
	}
	dsls, err := s.concerns.DSLs(ctx, by)
	if err != nil {
		return err
	}
	v.Tasks, v.Away, v.DSLs, v.Me, v.Now = tasks, away, dsls, by.UserID, time.Now()
	return render(w, r, status, page.Tasks(v))
}

// handleTaskDone handles POST /tasks/{id}/done.
func (s *Server) handleTaskDone(w http.ResponseWriter, r *http.Request) error {
	if err := s.concerns.CompleteTask(r.Context(), actorFrom(r), idParam(r)); err != nil {
		return err
	}
	s.flash(r, "The task has been marked done")
	http.Redirect(w, r, "/tasks", http.StatusSeeOther)
	return nil
}

// handleChasePage handles GET /tasks/{id}/chase, "Close the chase".
func (s *Server) handleChasePage(w http.ResponseWriter, r *http.Request) error {
	t, err := s.concerns.OpenChase(r.Context(), actorFrom(r), idParam(r))
	if err != nil {
		return err
	}
	return render(w, r, http.StatusOK, page.ChasePage(page.ChaseView{Task: t, Now: time.Now()}))
}

// handleChase handles POST /tasks/{id}/chase: the chase ends with what happened.
func (s *Server) handleChase(w http.ResponseWriter, r *http.Request) error {
	by, id := actorFrom(r), idParam(r)
	f := concern.ChaseForm{Outcome: r.PostFormValue(concern.FieldChaseOutcome), Note: r.PostFormValue(concern.FieldChaseNote)}
	err := s.concerns.EndChase(r.Context(), by, id, f)
	if p, ok := fail.ProblemsOf(err); ok {
		t, err := s.concerns.OpenChase(r.Context(), by, id)
		if err != nil {
			return err
		}
		return render(w, r, http.StatusUnprocessableEntity, page.ChasePage(page.ChaseView{Task: t, Now: time.Now(), Form: f, Problems: p}))
	}
	if err != nil {
		return err
	}
	s.flash(r, page.ChaseDone(f.Outcome))
	http.Redirect(w, r, "/tasks", http.StatusSeeOther)
	return nil
}

// handleAway handles POST /away: hand my open concerns and tasks to a colleague.
func (s *Server) handleAway(w http.ResponseWriter, r *http.Request) error {
	colleague := r.PostFormValue(concern.FieldColleague)
	id, _ := strconv.ParseInt(colleague, 10, 64)
	h, err := s.concerns.MarkAway(r.Context(), actorFrom(r), id)
	if p, ok := fail.ProblemsOf(err); ok {
		return s.renderTasks(w, r, page.TasksView{Problems: p, Colleague: colleague}, http.StatusUnprocessableEntity)
	}
	if err != nil {
		return err
	}
	msg := "You are marked away. " + plural.Count(h.Concerns, "open concern", "open concerns") + " and " + plural.Count(h.Tasks, "task", "tasks") + " were handed over."
	if h.Kept > 0 {
		msg += " " + plural.Count(h.Kept, "restricted concern your colleague may not see stays", "restricted concerns your colleague may not see stay") + " with you: assign them to someone who may."
	}
	s.flash(r, msg)
	http.Redirect(w, r, "/tasks", http.StatusSeeOther)
	return nil
}

// handleBack handles POST /away/back.
func (s *Server) handleBack(w http.ResponseWriter, r *http.Request) error {
	if err := s.concerns.Back(r.Context(), actorFrom(r)); err != nil {
		return err
	}
	s.flash(r, "Welcome back. Your work stays with your colleague: assign concerns back as you agree.")
	http.Redirect(w, r, "/tasks", http.StatusSeeOther)
	return nil
}

// handleDashboard handles GET /dashboard.
func (s *Server) handleDashboard(w http.ResponseWriter, r *http.Request) error {
	f, err := s.concerns.Figures(r.Context(), actorFrom(r))
	if err != nil {
		return err
	}
	overdue, err := s.records.OverdueTransfers(r.Context(), actorFrom(r))
	if err != nil {
		return err
	}
	return render(w, r, http.StatusOK, page.Dashboard(page.DashboardView{Figures: f, OverdueTransfers: overdue, Now: time.Now()}))
}
