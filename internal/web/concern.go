package web

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/concern"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/fail"
	"github.com/havenschools/haven/internal/paths"
	"github.com/havenschools/haven/internal/pupil"
	"github.com/havenschools/haven/internal/validate"
	"github.com/havenschools/haven/internal/when"
	"github.com/havenschools/haven/web/page"
)

// writeTimeout bounds a concern's write once the request has arrived: it is
// detached from the request, so a closed tab does not abort a good commit.
const writeTimeout = 30 * time.Second

// sessPendingConcern holds a form posted after the session ended, to show
// again once its author has signed in.
const sessPendingConcern = "pending_concern"

// concernInput is everything the "Report a concern" form posts: the form
// itself and the parts of the page around it.
type concernInput struct {
	Form                concern.Form
	Action              string
	Query               string
	Pick                string
	NotKnown            bool
	NotKnownDescription string
	New                 page.NewChildForm
	Author              int64
	Names               map[int]string // the children's names as the page showed them
}

// readConcernForm reads the posted form. Nothing in it is trusted: the
// domain checks it all.
func readConcernForm(r *http.Request) concernInput {
	v := r.PostForm
	in := concernInput{
		Action:              v.Get("action"),
		Query:               strings.TrimSpace(v.Get("q")),
		Pick:                v.Get("pick"),
		NotKnown:            v.Get("not_known") == "yes",
		NotKnownDescription: strings.TrimSpace(v.Get("not_known_description")),
		New: page.NewChildForm{
			FirstName: v.Get("new_first_name"), LastName: v.Get("new_last_name"),
			DOB: dateParts(v, "new_dob"), YearGroup: v.Get("new_year_group"),
		},
		Names: map[int]string{},
	}
	in.Author, _ = strconv.ParseInt(v.Get("author"), 10, 64)
	f := concern.Form{
		SubmissionID:   v.Get("submission_id"),
		InDanger:       v.Get(concern.FieldInDanger),
		Account:        v.Get(concern.FieldAccount),
		ChildsWords:    v.Get(concern.FieldChildsWords),
		Happened:       dateParts(v, concern.FieldHappened),
		HappenedApprox: v.Get("happened_approx") == "yes",
		HappenedTime:   v.Get(concern.FieldHappenedTime),
		Seen:           dateParts(v, concern.FieldSeen),
		Location:       v.Get(concern.FieldLocation),
		ToldDSL:        v.Get(concern.FieldToldDSL),
		ToldDSLWho:     v.Get(concern.FieldToldDSLWho),
		ToldDSLWhen:    v.Get(concern.FieldToldDSLWhen),
		ActionsTaken:   v.Get(concern.FieldActions),
		Categories:     v[concern.FieldCategories],
		Indicators:     v[concern.FieldIndicators],
		FGMPolice:      v.Get(concern.FieldFGMPolice),
		FGMPoliceRef:   v.Get(concern.FieldFGMRef),
		OnBehalfOf:     v.Get(concern.FieldOnBehalfOf),
	}
	for i := 0; i < concern.MaxChildren; i++ {
		key := concern.ChildField(i)
		_, hasID := v[key+"-id"]
		_, hasDesc := v[key+"-description"]
		if !hasID && !hasDesc {
			break
		}
		id, _ := strconv.ParseInt(v.Get(key+"-id"), 10, 64)
		c := concern.FormChild{ChildID: id, Role: concern.Role(v.Get(key + "-role"))}
		if id == 0 {
			c.Description = strings.TrimSpace(v.Get(key + "-description"))
		}
		f.Children = append(f.Children, c)
		in.Names[i] = v.Get(key + "-name")
	}
	for i := 0; i < concern.MaxBodyMarks; i++ {
		key := "mark-" + strconv.Itoa(i)
		if _, ok := v[key+"-region"]; !ok {
			break
		}
		m := concern.BodyMark{Region: v.Get(key + "-region"), Side: v.Get(key + "-side"), Note: strings.TrimSpace(v.Get(key + "-note"))}
		if m.Region != "" || m.Note != "" {
			f.BodyMarks = append(f.BodyMarks, m)
		}
	}
	in.Form = f
	return in
}

func dateParts(v url.Values, prefix string) when.DateParts {
	return when.DateParts{Day: v.Get(prefix + "-day"), Month: v.Get(prefix + "-month"), Year: v.Get(prefix + "-year")}
}

// newForm is a blank form: a fresh submission id, and today as the day the
// concern came to the person's attention.
func newForm() concern.Form {
	return concern.Form{SubmissionID: concern.NewSubmissionID(), Seen: when.DatePartsOf(when.Today(time.Now()))}
}

// handleConcernNew handles GET /concerns/new, the "Report a concern" form.
// A form kept from a session that ended is shown again to its author.
func (s *Server) handleConcernNew(w http.ResponseWriter, r *http.Request) error {
	by := actorFrom(r)
	if in, ok := s.takePendingConcern(r, by); ok {
		v, err := s.concernPage(r.Context(), by, in)
		if err != nil {
			return err
		}
		// The service keeps no draft of a child in immediate danger, nor an empty one.
		if saved, err := s.concerns.SaveDraft(r.Context(), by, in.Form, false); err == nil {
			v.SavedAt = saved
		}
		v.Notice = "Your session had ended, so your concern was not sent. What you typed is below: check it and select “Submit concern”. Choose any files again."
		return render(w, r, http.StatusOK, page.ConcernNew(v))
	}
	if id := r.URL.Query().Get("submission"); id != "" {
		// Back to a form after "Submit concern" (page.AfterSubmitHref): its
		// receipt once stored, else its draft, else a new form. Anyone
		// else's submission is a new form too, so nothing of it shows.
		err := s.redirectToReceipt(w, r, by, id, true)
		if !errors.Is(err, db.ErrNotFound) {
			return err
		}
		f, saved, err := s.concerns.Draft(r.Context(), by, id)
		if err == nil {
			return s.showDraft(w, r, by, f, saved)
		} else if !errors.Is(err, db.ErrNotFound) {
			return err
		}
	}
	v, err := s.concernPage(r.Context(), by, concernInput{Form: newForm()})
	if err != nil {
		return err
	}
	return render(w, r, http.StatusOK, page.ConcernNew(v))
}

// handleConcernDraft handles GET /concerns/drafts/{submission}: the author
// carries on with a draft; once it has been submitted, its receipt (Back
// after submitting a draft). Anyone else's draft is not found.
func (s *Server) handleConcernDraft(w http.ResponseWriter, r *http.Request) error {
	by := actorFrom(r)
	id := chi.URLParam(r, "submission")
	f, saved, err := s.concerns.Draft(r.Context(), by, id)
	if errors.Is(err, db.ErrNotFound) {
		return s.redirectToReceipt(w, r, by, id, true)
	}
	if err != nil {
		return err
	}
	return s.showDraft(w, r, by, f, saved)
}

// handleDraftDiscardPage handles GET /concerns/drafts/{submission}/discard:
// the author is asked to confirm. Anyone else's draft, or none, is not found.
func (s *Server) handleDraftDiscardPage(w http.ResponseWriter, r *http.Request) error {
	by := actorFrom(r)
	f, saved, err := s.concerns.Draft(r.Context(), by, chi.URLParam(r, "submission"))
	if err != nil {
		return err
	}
	var ids []int64
	unknown := false
	for _, c := range f.Children {
		if c.ChildID != 0 {
			ids = append(ids, c.ChildID)
		} else {
			unknown = true
		}
	}
	names, err := s.concerns.ChildNames(r.Context(), by, ids)
	if err != nil {
		return err
	}
	var list []string
	for _, id := range ids {
		if n, ok := names[id]; ok {
			list = append(list, n)
		}
	}
	if unknown {
		list = append(list, "Child not known")
	}
	return render(w, r, http.StatusOK, page.DraftDiscardPage(page.DraftDiscard{
		SubmissionID: f.SubmissionID, SavedAt: saved, Children: strings.Join(list, ", ")}))
}

// handleDraftDiscard handles POST /concerns/drafts/{submission}/discard:
// the author's confirmed choice to discard their draft, then My concerns.
func (s *Server) handleDraftDiscard(w http.ResponseWriter, r *http.Request) error {
	if err := s.concerns.DiscardDraft(r.Context(), actorFrom(r), chi.URLParam(r, "submission")); err != nil {
		return err
	}
	s.sessions.Put(r.Context(), sessFlash, "Your draft has been discarded.")
	s.redirectTo(w, r, "/my-concerns")
	return nil
}

// showDraft shows by's draft f, saved at saved, to carry on with.
func (s *Server) showDraft(w http.ResponseWriter, r *http.Request, by actor.Actor, f concern.Form, saved time.Time) error {
	v, err := s.concernPage(r.Context(), by, concernInput{Form: f})
	if err != nil {
		return err
	}
	v.SavedAt = saved
	return render(w, r, http.StatusOK, page.ConcernNew(v))
}

// concernPost is what the buttons of the form change before it is saved
// and shown again: the form as posted, and the page around it.
type concernPost struct {
	by        actor.Actor
	in        concernInput
	problems  validate.Problems
	search    page.ChildPicker
	anchor    string // the part of the page to go back to
	saveAsked bool   // "Save draft", or Enter pressed in a box of the form
}

// concernButton is one button of the form. It reports whether it answered
// the request itself (a redirect, or the page of a failure).
type concernButton func(s *Server, ctx context.Context, w http.ResponseWriter, r *http.Request, p *concernPost) (bool, error)

// concernButtonFor is the button pressed: the action's value, or one
// naming a child or file by its place ("remove-child-1").
func concernButtonFor(action string) concernButton {
	switch {
	case action == "submit":
		return (*Server).concernSubmit
	case action == "find":
		return (*Server).concernFind
	case action == "add":
		return (*Server).concernAdd
	case action == "add-new":
		return (*Server).concernAddNew
	case strings.HasPrefix(action, "remove-child-"):
		return (*Server).concernRemoveChild
	case strings.HasPrefix(action, "remove-file-"):
		return (*Server).concernRemoveFile
	case action == "add-mark":
		return (*Server).concernAddMark
	default: // "save", or Enter pressed in a box of the form
		return (*Server).concernSave
	}
}

// handleConcernPost handles POST /concerns: every button of the form.
// Files chosen are stored first, whatever the button; "Submit concern"
// stores the concern and redirects to its receipt, once committed; the
// other buttons (find a child, add or remove one, add a mark, remove a
// file, save a draft) save the draft — which the service refuses while a
// child is in immediate danger — and show the form again with everything typed.
func (s *Server) handleConcernPost(w http.ResponseWriter, r *http.Request) error {
	if err := parseConcernRequest(r); err != nil {
		return err
	}
	p := &concernPost{by: actorFrom(r), in: readConcernForm(r), problems: validate.Problems{}}
	// "Yes" to "Is this about an adult who works or volunteers here?": not a
	// concern about a child, so never for the DSL, whichever button was
	// pressed — the form for concerns about adults instead (allegation.go).
	if r.PostFormValue(aboutAdultField) == "yes" {
		return s.allegationFromConcern(w, r, p.in.Form.Account, p.in.Form.Location)
	}
	if !concern.ValidSubmissionID(p.in.Form.SubmissionID) {
		p.in.Form.SubmissionID = concern.NewSubmissionID()
	}
	// The write outlives the request: a closed tab must not abort a good commit.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), writeTimeout)
	defer cancel()

	submitted, err := s.attachFiles(ctx, p.by, p.in.Form, r, p.problems)
	if err != nil {
		return s.concernFailed(w, r, p.by, p.in, err)
	}
	if submitted {
		return s.redirectToReceipt(w, r, p.by, p.in.Form.SubmissionID, true)
	}
	addNotKnown(&p.in, p.problems)
	if done, err := concernButtonFor(p.in.Action)(s, ctx, w, r, p); done || err != nil {
		return err
	}
	return s.concernSaveAndShow(ctx, w, r, p)
}

// concernSubmit is "Submit concern": the receipt once stored, else the form
// with its problems. A name typed but never looked up is looked up, and the
// person asked to choose.
func (s *Server) concernSubmit(ctx context.Context, w http.ResponseWriter, r *http.Request, p *concernPost) (bool, error) {
	in := p.in
	if in.Query != "" && len(in.Form.Children) == 0 && !in.NotKnown {
		picker, problem, err := s.findChildren(ctx, p.by, in.Query)
		if err != nil {
			return true, s.concernFailed(w, r, p.by, in, err)
		}
		if problem != "" {
			p.problems.Add("q", problem)
		}
		p.search = picker
	}
	if len(p.problems) == 0 {
		receipt, err := s.concerns.Submit(ctx, p.by, in.Form)
		if err == nil {
			s.redirectTo(w, r, page.ReceiptHref(receipt.Ref, receipt.Again))
			return true, nil
		}
		prob, ok := fail.ProblemsOf(err)
		if !ok {
			return true, s.submitFailed(w, r, p.by, in, err)
		}
		for k, msg := range prob {
			p.problems.Add(k, msg)
		}
	}
	if p.search.Searched && p.problems[concern.FieldChild] != "" {
		p.problems[concern.FieldChild] = "Choose the child from the list, or select ‘Child not known’ and describe them"
	}
	return false, nil
}

// concernFind is "Search" beside the child's name: the children on the roll
// it matches. With no name typed it is Enter pressed in a box: save.
func (s *Server) concernFind(ctx context.Context, w http.ResponseWriter, r *http.Request, p *concernPost) (bool, error) {
	if p.in.Query == "" {
		p.saveAsked = true
		return false, nil
	}
	picker, problem, err := s.findChildren(ctx, p.by, p.in.Query)
	if err != nil {
		return true, s.concernFailed(w, r, p.by, p.in, err)
	}
	if problem != "" {
		p.problems.Add("q", problem)
	}
	p.search, p.anchor = picker, "child-search"
	return false, nil
}

// concernAdd is "Add this child": the child chosen from the search results.
func (s *Server) concernAdd(ctx context.Context, w http.ResponseWriter, r *http.Request, p *concernPost) (bool, error) {
	p.anchor = "children"
	id, _ := strconv.ParseInt(p.in.Pick, 10, 64)
	if id == 0 {
		p.problems.Add("pick", "Choose the child")
		if picker, _, err := s.findChildren(ctx, p.by, p.in.Query); err == nil {
			p.search = picker // the list again, to choose from; without it if the search fails
		}
		return false, nil
	}
	c, err := s.pupils.Get(ctx, p.by, id)
	if errors.Is(err, db.ErrNotFound) {
		p.problems.Add("q", "That child could not be found: search again")
		return false, nil
	} else if err != nil {
		return true, s.concernFailed(w, r, p.by, p.in, err)
	}
	addChild(&p.in.Form, concern.FormChild{ChildID: c.ID})
	p.in.Query = ""
	return false, nil
}

// concernAddNew is "Add this child" under "The child is not on the roll".
func (s *Server) concernAddNew(ctx context.Context, w http.ResponseWriter, r *http.Request, p *concernPost) (bool, error) {
	p.anchor = "children"
	c, prob, err := s.addInlineChild(ctx, p.by, p.in.New)
	if err != nil {
		return true, s.concernFailed(w, r, p.by, p.in, err)
	}
	for k, msg := range prob {
		p.problems.Add(k, msg)
	}
	if len(prob) == 0 {
		addChild(&p.in.Form, concern.FormChild{ChildID: c.ID})
		p.in.New = page.NewChildForm{}
	}
	return false, nil
}

// concernRemoveChild is "Remove" beside the form's nth child ("remove-child-n").
func (s *Server) concernRemoveChild(ctx context.Context, w http.ResponseWriter, r *http.Request, p *concernPost) (bool, error) {
	p.anchor = "children"
	f := &p.in.Form
	if i, err := strconv.Atoi(strings.TrimPrefix(p.in.Action, "remove-child-")); err == nil && i >= 0 && i < len(f.Children) {
		f.Children = slices.Delete(f.Children, i, i+1)
	}
	return false, nil
}

// concernRemoveFile is "Remove" beside a file uploaded ("remove-file-id");
// one already gone is no matter.
func (s *Server) concernRemoveFile(ctx context.Context, w http.ResponseWriter, r *http.Request, p *concernPost) (bool, error) {
	p.anchor = "attachments-section"
	err := s.concerns.RemoveAttachment(ctx, p.by, p.in.Form.SubmissionID, strings.TrimPrefix(p.in.Action, "remove-file-"))
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		return true, s.concernFailed(w, r, p.by, p.in, err)
	}
	return false, nil
}

// concernAddMark is "Add another mark" on the body map.
func (s *Server) concernAddMark(ctx context.Context, w http.ResponseWriter, r *http.Request, p *concernPost) (bool, error) {
	p.anchor = "body-map"
	return false, nil
}

// concernSave is "Save draft", or Enter pressed in a box of the form.
func (s *Server) concernSave(ctx context.Context, w http.ResponseWriter, r *http.Request, p *concernPost) (bool, error) {
	p.saveAsked = true
	return false, nil
}

// concernSaveAndShow saves the draft after any button but "Submit concern"
// and shows the form again, saying what became of the draft when the person
// asked to save it. The service decides whether a draft is kept.
func (s *Server) concernSaveAndShow(ctx context.Context, w http.ResponseWriter, r *http.Request, p *concernPost) error {
	notice := ""
	saved, err := s.concerns.SaveDraft(ctx, p.by, p.in.Form, false)
	switch {
	case errors.Is(err, concern.ErrNoDraftInDanger):
		if p.saveAsked {
			notice = "A concern about a child in immediate danger is not saved as a draft: tell a DSL now, then submit it."
		}
	case errors.Is(err, concern.ErrAlreadySubmitted):
		return s.redirectToReceipt(w, r, p.by, p.in.Form.SubmissionID, true)
	case errors.Is(err, concern.ErrEmptyDraft):
		if p.saveAsked {
			notice = "There is nothing to save yet: a draft is kept once you have written something or chosen a child."
		}
	case err != nil:
		if _, ok := fail.ProblemsOf(err); !ok {
			return s.concernFailed(w, r, p.by, p.in, err)
		}
	case p.saveAsked && !saved.IsZero():
		notice = page.DraftSavedAt(saved) + " The DSL cannot see it until you submit it."
	case p.saveAsked:
		notice = "Draft saved."
	}
	v, err := s.concernPage(ctx, p.by, p.in)
	if err != nil {
		return s.concernFailed(w, r, p.by, p.in, err)
	}
	v.Problems, v.SavedAt, v.Anchor, v.Notice, v.ChildPicker = p.problems, saved, p.anchor, notice, p.search
	v.AboutAdult = r.PostFormValue(aboutAdultField)
	status := http.StatusOK
	if len(p.problems) > 0 || p.in.Action == "submit" {
		status = http.StatusUnprocessableEntity
	}
	return render(w, r, status, page.ConcernNew(v))
}

// parseConcernRequest parses the form's multipart body (or a plain form),
// after the route's body limit: a body over the limit is a 413.
func parseConcernRequest(r *http.Request) error {
	err := r.ParseMultipartForm(8 << 20) // larger files wait in temporary files, removed after the request
	if errors.Is(err, http.ErrNotMultipart) {
		err = r.ParseForm()
	}
	return err
}

// attachFiles stores the files chosen with the form, adding a problem for
// each refused one. It reports a form already submitted.
func (s *Server) attachFiles(ctx context.Context, by actor.Actor, f concern.Form, r *http.Request, problems validate.Problems) (submitted bool, err error) {
	if r.MultipartForm == nil {
		return false, nil
	}
	for _, fh := range r.MultipartForm.File[concern.FieldAttachments] {
		if fh.Filename == "" && fh.Size == 0 {
			continue // the empty part a browser sends when no file is chosen
		}
		content, err := readUpload(fh)
		if err != nil {
			return false, err
		}
		_, err = s.concerns.Attach(ctx, by, f.SubmissionID, f.Categories, concern.Upload{Name: fh.Filename, Content: content})
		switch p, ok := fail.ProblemsOf(err); {
		case ok:
			problems.Add(concern.FieldAttachments, p[concern.FieldAttachments])
		case errors.Is(err, concern.ErrAlreadySubmitted):
			return true, nil
		case err != nil:
			return false, err
		}
	}
	return false, nil
}

// readUpload reads an uploaded file, at most one byte past the size limit
// (enough for the domain to refuse it).
func readUpload(fh *multipart.FileHeader) ([]byte, error) {
	f, err := fh.Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, concern.MaxAttachmentSize+1))
}

// addNotKnown turns a ticked "Child not known" with a description into a
// child of the form.
func addNotKnown(in *concernInput, problems validate.Problems) {
	if !in.NotKnown {
		return
	}
	if in.NotKnownDescription == "" {
		if in.Action == "submit" {
			problems.Add("not_known_description", "Describe the child who is not known")
		}
		return
	}
	addChild(&in.Form, concern.FormChild{Description: in.NotKnownDescription})
	in.NotKnown, in.NotKnownDescription = false, ""
}

// addChild adds a child to the form: the first is the child the concern is
// about; the person says how any other is involved.
func addChild(f *concern.Form, c concern.FormChild) {
	for _, have := range f.Children {
		if c.ChildID != 0 && have.ChildID == c.ChildID {
			return
		}
	}
	if len(f.Children) == 0 {
		c.Role = concern.Subject
	}
	f.Children = append(f.Children, c)
}

// addInlineChild adds a child who is not on the roll; problems are keyed by
// the form's "new_" fields.
func (s *Server) addInlineChild(ctx context.Context, by actor.Actor, n page.NewChildForm) (pupil.Child, validate.Problems, error) {
	nc := pupil.NewChild{FirstName: n.FirstName, LastName: n.LastName}
	p := validate.Problems{}
	if !n.DOB.Empty() {
		dob, ok := n.DOB.Date()
		if !ok {
			p.Add("new_dob", "The date of birth must be a real date")
		} else {
			nc.DateOfBirth = &dob
		}
	}
	if n.YearGroup != "" {
		y, ok := pupil.ParseYearGroup(n.YearGroup)
		if !ok {
			p.Add("new_year_group", "Choose the child’s year group")
		} else {
			nc.YearGroup = &y
		}
	}
	if len(p) > 0 {
		return pupil.Child{}, p, nil
	}
	c, err := s.pupils.AddInline(ctx, by, nc)
	if dp, ok := fail.ProblemsOf(err); ok {
		for k, msg := range dp {
			switch k {
			case "date_of_birth":
				k = "new_dob"
			default:
				k = "new_" + k
			}
			p.Add(k, msg)
		}
		return pupil.Child{}, p, nil
	}
	return c, nil, err
}

// concernPage builds the form's page for in: the children's names, the
// school's categories and emergency contacts, and the files uploaded so far.
func (s *Server) concernPage(ctx context.Context, by actor.Actor, in concernInput) (page.ConcernForm, error) {
	v := page.ConcernForm{
		Form: in.Form, Query: in.Query, NotKnown: in.NotKnown, NotKnownDescription: in.NotKnownDescription,
		New: in.New, AsDSL: by.Role == actor.DSL, AuthorID: by.UserID,
	}
	st, err := s.schools.Settings(ctx, by)
	if err != nil {
		return v, err
	}
	v.Categories, v.Emergency = st.ActiveCategories(), page.EmergencyFrom(st)
	var ids []int64
	for _, c := range in.Form.Children {
		if c.ChildID != 0 {
			ids = append(ids, c.ChildID)
		}
	}
	children := map[int64]pupil.Child{}
	for _, id := range ids {
		c, err := s.pupils.Get(ctx, by, id)
		if errors.Is(err, db.ErrNotFound) {
			continue
		}
		if err != nil {
			return v, err
		}
		children[id] = c
	}
	for _, c := range in.Form.Children {
		fc := page.FormChild{FormChild: c}
		if ch, ok := children[c.ChildID]; ok {
			fc.Name, fc.Describe = ch.Name(), ch.Describe()
		} else if c.ChildID != 0 {
			fc.Name = "A child who is no longer on the roll"
		}
		v.Children = append(v.Children, fc)
	}
	if v.Attachments, err = s.concerns.PendingAttachments(ctx, by, in.Form.SubmissionID); err != nil {
		return v, err
	}
	return v, nil
}

// concernFailed shows the form again with everything typed when a step of
// the form failed before anything was sent: 503 when the database could not
// be reached, 500 otherwise, saying nothing was sent.
func (s *Server) concernFailed(w http.ResponseWriter, r *http.Request, by actor.Actor, in concernInput, err error) error {
	return s.formAfterFailure(w, r, by, in, err, false)
}

// submitFailed is concernFailed for a submission that may have reached the
// database: unless the error shows nothing was sent (db.NotSent), the
// commit may have happened, so the page asks the person not to type it
// again but to check its status.
func (s *Server) submitFailed(w http.ResponseWriter, r *http.Request, by actor.Actor, in concernInput, err error) error {
	return s.formAfterFailure(w, r, by, in, err, !db.NotSent(err))
}

func (s *Server) formAfterFailure(w http.ResponseWriter, r *http.Request, by actor.Actor, in concernInput, err error, uncertain bool) error {
	switch statusOf(err) {
	case http.StatusNotFound, http.StatusForbidden, http.StatusRequestEntityTooLarge:
		return err // the error page, as anywhere else
	}
	s.log.ErrorContext(r.Context(), "concern form failed", "action", in.Action, "uncertain", uncertain, "err", err)
	v := offlineConcernPage(by, in)
	v.Unconfirmed, v.Outage = uncertain, !uncertain
	status := http.StatusInternalServerError
	if db.Unavailable(err) {
		status = http.StatusServiceUnavailable
	}
	return render(w, r, status, page.ConcernNew(v))
}

// offlineConcernPage is the form's page built without the database: the
// children's names as the page showed them, no categories or contacts.
func offlineConcernPage(by actor.Actor, in concernInput) page.ConcernForm {
	v := page.ConcernForm{Form: in.Form, Query: in.Query, NotKnown: in.NotKnown,
		NotKnownDescription: in.NotKnownDescription, New: in.New, AsDSL: by.Role == actor.DSL, AuthorID: in.Author}
	if by.UserID != 0 {
		v.AuthorID = by.UserID
	}
	for i, c := range in.Form.Children {
		name := in.Names[i]
		if c.ChildID != 0 && name == "" {
			name = "A child you chose"
		}
		v.Children = append(v.Children, page.FormChild{FormChild: c, Name: name})
	}
	return v
}

// concernOutage answers POST /concerns when the session could not be
// loaded because the database is down: the form again, with a 503 that
// says nothing was sent.
func (s *Server) concernOutage(w http.ResponseWriter, r *http.Request) {
	if err := parseConcernRequest(r); err != nil {
		s.fail(w, r, errors.Join(db.ErrUnavailable, err))
		return
	}
	v := offlineConcernPage(actor.Actor{}, readConcernForm(r))
	v.Outage = true
	if err := render(w, r, http.StatusServiceUnavailable, page.ConcernNew(v)); err != nil {
		s.fail(w, r, errors.Join(db.ErrUnavailable, err))
	}
}

// redirectToReceipt sends the person to the receipt of the form already
// submitted with submissionID (again: saying it had been sent already), or
// returns db.ErrNotFound.
func (s *Server) redirectToReceipt(w http.ResponseWriter, r *http.Request, by actor.Actor, submissionID string, again bool) error {
	receipt, err := s.concerns.BySubmission(r.Context(), by, submissionID)
	if err != nil {
		return err
	}
	s.redirectTo(w, r, page.ReceiptHref(receipt.Ref, again))
	return nil
}

func (s *Server) redirectTo(w http.ResponseWriter, r *http.Request, path string) {
	http.Redirect(w, r, path, http.StatusSeeOther)
}

// handleConcernStatus handles POST /concerns/status: after a submission
// whose outcome was not known, the receipt if it arrived, or the form again.
func (s *Server) handleConcernStatus(w http.ResponseWriter, r *http.Request) error {
	by := actorFrom(r)
	id := r.PostFormValue("submission_id")
	err := s.redirectToReceipt(w, r, by, id, false)
	if !errors.Is(err, db.ErrNotFound) {
		return err
	}
	f, saved, err := s.concerns.Draft(r.Context(), by, id)
	if errors.Is(err, db.ErrNotFound) {
		f, saved = newForm(), time.Time{}
	} else if err != nil {
		return err
	}
	v, err := s.concernPage(r.Context(), by, concernInput{Form: f})
	if err != nil {
		return err
	}
	v.SavedAt = saved
	v.Notice = "Your concern did not arrive. Check what is below and select “Submit concern” again."
	return render(w, r, http.StatusOK, page.ConcernNew(v))
}

// handleConcernSubmitted handles GET /concerns/{ref}/submitted, the receipt.
func (s *Server) handleConcernSubmitted(w http.ResponseWriter, r *http.Request) error {
	by := actorFrom(r)
	receipt, err := s.concerns.ReceiptFor(r.Context(), by, chi.URLParam(r, "ref"))
	if err != nil {
		return err
	}
	st, err := s.schools.Settings(r.Context(), by)
	if err != nil {
		return err
	}
	return render(w, r, http.StatusOK, page.ConcernSubmitted(page.ConcernReceipt{
		Receipt: receipt, Emergency: page.EmergencyFrom(st), Closed: !st.Open(time.Now()),
		AlreadySent: r.URL.Query().Get("again") == "1",
	}))
}

// handleMyConcerns handles GET /my-concerns.
func (s *Server) handleMyConcerns(w http.ResponseWriter, r *http.Request) error {
	by := actorFrom(r)
	drafts, err := s.concerns.Drafts(r.Context(), by)
	if err != nil {
		return err
	}
	mine, err := s.concerns.Mine(r.Context(), by)
	if err != nil {
		return err
	}
	return render(w, r, http.StatusOK, page.MyConcernsPage(page.MyConcerns{Drafts: drafts, Concerns: mine, Now: time.Now()}))
}

// handleConcernShow handles GET /concerns/{ref}: for a DSL, the concern's
// page with everything done since (triage.go); for anyone else, the
// concern as the person who recorded it sees it (audited). Anyone else gets 404.
func (s *Server) handleConcernShow(w http.ResponseWriter, r *http.Request) error {
	if actorFrom(r).Role == actor.DSL {
		// A DSL excluded from a concern they recorded still sees what they recorded.
		if err := s.handleCase(w, r); !errors.Is(err, db.ErrNotFound) {
			return err
		}
	}
	return s.showRecorded(w, r, page.RecordedConcern{Added: r.URL.Query().Get("added") == "1"}, http.StatusOK)
}

func (s *Server) showRecorded(w http.ResponseWriter, r *http.Request, p page.RecordedConcern, status int) error {
	by := actorFrom(r)
	v, err := s.concerns.Recorded(r.Context(), by, chi.URLParam(r, "ref"))
	if err != nil {
		return err
	}
	st, err := s.schools.Settings(r.Context(), by)
	if err != nil {
		return err
	}
	p.View, p.Categories = v, st.Categories
	return render(w, r, status, page.RecordedConcernPage(p))
}

// handleAddendumCreate handles POST /concerns/{ref}/addenda.
func (s *Server) handleAddendumCreate(w http.ResponseWriter, r *http.Request) error {
	by := actorFrom(r)
	ref := chi.URLParam(r, "ref")
	text := r.PostFormValue("addendum")
	err := s.concerns.AddAddendum(r.Context(), by, ref, text)
	if p, ok := fail.ProblemsOf(err); ok && by.Role == actor.DSL {
		return s.renderCase(w, r, page.CaseView{Problems: p, Addendum: text}, http.StatusUnprocessableEntity)
	}
	if p, ok := fail.ProblemsOf(err); ok {
		return s.showRecorded(w, r, page.RecordedConcern{Addendum: text, Problems: p}, http.StatusUnprocessableEntity)
	}
	if err != nil {
		return err
	}
	s.redirectTo(w, r, paths.Concern(ref)+"?added=1")
	return nil
}

// handleAttachmentDownload handles GET /attachments/{id}: the file as an
// attachment with the type decided by its content, never shown inline.
func (s *Server) handleAttachmentDownload(w http.ResponseWriter, r *http.Request) error {
	f, err := s.concerns.Download(r.Context(), actorFrom(r), chi.URLParam(r, "id"))
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", f.ContentType)
	h.Set("Content-Disposition", contentDisposition(f.Name))
	h.Set("Content-Length", strconv.Itoa(len(f.Content)))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(f.Content)
	return nil
}

// contentDisposition is an RFC 6266 attachment header: an ASCII fallback
// name and the UTF-8 name percent-encoded (RFC 8187).
func contentDisposition(name string) string {
	fallback := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '%' || r == ';' {
			return '_'
		}
		return r
	}, name)
	return `attachment; filename="` + fallback + `"; filename*=UTF-8''` + rfc8187(name)
}

func rfc8187(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
		} else {
			b.WriteString("%" + strings.ToUpper(strconv.FormatUint(uint64(c)|0x100, 16)[1:]))
		}
	}
	return b.String()
}

// handleConcernAutosave handles POST /concerns/draft: the page's script
// saving the form every 20 seconds. It answers JSON: what to say of when
// the draft was last saved ("status"), that nothing is kept yet
// ("empty"), or why not ("in_danger", "submitted").
func (s *Server) handleConcernAutosave(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return err
	}
	in := readConcernForm(r)
	saved, err := s.concerns.SaveDraft(r.Context(), actorFrom(r), in.Form, true)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	var body any
	status := http.StatusOK
	switch {
	case err == nil:
		body = map[string]string{"status": page.DraftSavedAt(saved)}
	case errors.Is(err, concern.ErrEmptyDraft):
		body = map[string]string{"empty": "nothing typed or chosen yet: no draft is kept"}
	case errors.Is(err, concern.ErrNoDraftInDanger):
		status, body = http.StatusConflict, map[string]string{"error": "in_danger"}
	case errors.Is(err, concern.ErrAlreadySubmitted):
		status, body = http.StatusConflict, map[string]string{"error": "submitted"}
	case errors.Is(err, concern.ErrBadSubmission):
		status, body = http.StatusBadRequest, map[string]string{"error": "bad_form"}
	default:
		if _, ok := fail.ProblemsOf(err); !ok {
			return err
		}
		status, body = http.StatusUnprocessableEntity, map[string]string{"error": "too_long"}
	}
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(body)
}

// stashConcernOnExpiry keeps a posted concern form whose session has ended,
// so the person finds it again after signing in: the access guard then
// sends them to sign in as usual. Files are not kept. The form is kept in
// the (new) session only; handleConcernNew gives it back to its author alone.
func (s *Server) stashConcernOnExpiry(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if signInFrom(r).Actor.UserID != 0 {
			next.ServeHTTP(w, r)
			return
		}
		if err := parseConcernRequest(r); err == nil {
			in := readConcernForm(r)
			if in.Author != 0 && in.Form.SubmissionID != "" {
				if data, err := json.Marshal(pendingConcern{Author: in.Author, Form: in.Form}); err == nil {
					s.sessions.Put(r.Context(), sessPendingConcern, data)
					s.sessions.Put(r.Context(), sessNext, "/concerns/new")
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

type pendingConcern struct {
	Author int64        `json:"author"`
	Form   concern.Form `json:"form"`
}

// takePendingConcern returns (and forgets) a form kept by
// stashConcernOnExpiry, if by wrote it.
func (s *Server) takePendingConcern(r *http.Request, by actor.Actor) (concernInput, bool) {
	data, ok := s.sessions.Pop(r.Context(), sessPendingConcern).([]byte)
	if !ok {
		return concernInput{}, false
	}
	var p pendingConcern
	if err := json.Unmarshal(data, &p); err != nil || p.Author != by.UserID || !concern.ValidSubmissionID(p.Form.SubmissionID) {
		return concernInput{}, false
	}
	return concernInput{Form: p.Form}, true
}

// handleChildSearch handles POST /concerns/children: the type-ahead of the
// form's "Child" box (a name never goes in a URL). It answers JSON.
func (s *Server) handleChildSearch(w http.ResponseWriter, r *http.Request) error {
	picker, _, err := s.findChildren(r.Context(), actorFrom(r), r.PostFormValue("q"))
	if err != nil {
		return err
	}
	type child struct {
		ID       int64  `json:"id"`
		Name     string `json:"name"`
		Describe string `json:"describe"`
	}
	out := struct {
		Children []child `json:"children"`
		More     bool    `json:"more"`
	}{Children: []child{}, More: picker.More}
	for _, c := range picker.Results {
		out.Children = append(out.Children, child{ID: c.ID, Name: c.Name(), Describe: c.Describe()})
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	return json.NewEncoder(w).Encode(out)
}
