package web

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/auth"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/fail"
	"github.com/havenschools/haven/internal/paths"
	"github.com/havenschools/haven/internal/school"
	"github.com/havenschools/haven/internal/validate"
	"github.com/havenschools/haven/web/page"
)

// idParam is the route's {id}, or 0 when it is not a positive number (no
// record has id 0, so the domain answers db.ErrNotFound).
func idParam(r *http.Request) int64 {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id < 0 {
		return 0
	}
	return id
}

// roleFromForm turns the role radios' value into a role and deputy flag.
func roleFromForm(v string) (actor.Role, bool) {
	if v == "deputy" {
		return actor.DSL, true
	}
	return actor.Role(v), false
}

// flash shows msg at the top of the next page.
func (s *Server) flash(r *http.Request, msg string) {
	s.sessions.Put(r.Context(), sessFlash, msg)
}

// handleUsers handles GET /admin/users.
func (s *Server) handleUsers(w http.ResponseWriter, r *http.Request) error {
	by := actorFrom(r)
	members, err := s.auth.Members(r.Context(), by)
	if err != nil {
		return err
	}
	invitations, err := s.auth.Invitations(r.Context(), by)
	if err != nil {
		return err
	}
	return render(w, r, http.StatusOK, page.Users(page.UsersPage{School: signInFrom(r).Membership.SchoolName,
		Members: members, Invitations: invitations, Now: time.Now()}))
}

// handleInvitePage handles GET /admin/users/invite.
func (s *Server) handleInvitePage(w http.ResponseWriter, r *http.Request) error {
	return render(w, r, http.StatusOK, page.InviteUser(page.InviteForm{}))
}

// handleInvite handles POST /admin/users/invite.
func (s *Server) handleInvite(w http.ResponseWriter, r *http.Request) error {
	f := page.InviteForm{Name: r.PostFormValue("name"), Email: r.PostFormValue("email"), Role: r.PostFormValue("role")}
	role, deputy := roleFromForm(f.Role)
	awaiting, err := s.auth.Invite(r.Context(), actorFrom(r), auth.Invite{Email: f.Email, Name: f.Name, Role: role, Deputy: deputy})
	if p, ok := fail.ProblemsOf(err); ok {
		f.Problems = p
		return render(w, r, http.StatusUnprocessableEntity, page.InviteUser(f))
	}
	if err != nil {
		return err
	}
	email := auth.NormaliseEmail(f.Email)
	if awaiting {
		s.flash(r, "The invitation to "+email+" is waiting for a DSL or the head to approve it. It will be sent then.")
	} else {
		s.flash(r, "Invitation sent to "+email)
	}
	http.Redirect(w, r, "/admin/users", http.StatusSeeOther)
	return nil
}

func (s *Server) userPage(r *http.Request, id int64) (page.UserPage, error) {
	by := actorFrom(r)
	m, err := s.auth.Member(r.Context(), by, id)
	return page.UserPage{Member: m, Self: id == by.UserID}, err
}

// handleUser handles GET /admin/users/{id}.
func (s *Server) handleUser(w http.ResponseWriter, r *http.Request) error {
	p, err := s.userPage(r, idParam(r))
	if err != nil {
		return err
	}
	return render(w, r, http.StatusOK, page.User(p))
}

// handleUserRole handles POST /admin/users/{id}/role.
func (s *Server) handleUserRole(w http.ResponseWriter, r *http.Request) error {
	id := idParam(r)
	role, deputy := roleFromForm(r.PostFormValue("role"))
	pending, err := s.auth.ChangeRole(r.Context(), actorFrom(r), id, role, deputy)
	problems, isProblems := fail.ProblemsOf(err)
	if errors.Is(err, auth.ErrLastAdmin) {
		problems, isProblems = validate.Problems{"role": "The school must keep at least one admin: make someone else an admin first"}, true
	}
	if isProblems {
		p, err := s.userPage(r, id)
		if err != nil {
			return err
		}
		p.Problems = problems
		return render(w, r, http.StatusUnprocessableEntity, page.User(p))
	}
	if err != nil {
		return err
	}
	if pending {
		s.flash(r, "A DSL or the head must approve this change. It is waiting on their Role requests page.")
	} else {
		s.flash(r, "Role changed to "+auth.RoleName(role, deputy))
	}
	http.Redirect(w, r, paths.AdminUser(id), http.StatusSeeOther)
	return nil
}

// handleUserActive handles POST /admin/users/{id}/deactivate and /reactivate.
func (s *Server) handleUserActive(active bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id := idParam(r)
		err := s.auth.SetActive(r.Context(), actorFrom(r), id, active)
		switch {
		case errors.Is(err, auth.ErrHeadNamesChair):
			s.flash(r, "The chair of governors handles concerns about the head, so a DSL decides who is named chair, not the head")
		case errors.Is(err, auth.ErrLastAdmin):
			s.flash(r, "The school must keep at least one admin: make someone else an admin first")
		case err != nil:
			return err
		case active:
			s.flash(r, "Account reactivated")
		default:
			s.flash(r, "Account deactivated: they have been signed out")
		}
		http.Redirect(w, r, paths.AdminUser(id), http.StatusSeeOther)
		return nil
	}
}

// handleUserResetSecondFactor handles POST /admin/users/{id}/reset-2fa.
func (s *Server) handleUserResetSecondFactor(w http.ResponseWriter, r *http.Request) error {
	id := idParam(r)
	if err := s.auth.ResetSecondFactor(r.Context(), actorFrom(r), id); err != nil {
		return err
	}
	s.flash(r, "Authenticator app reset: they will set it up again when they next sign in")
	http.Redirect(w, r, paths.AdminUser(id), http.StatusSeeOther)
	return nil
}

// handleRoleRequests handles GET /role-requests.
func (s *Server) handleRoleRequests(w http.ResponseWriter, r *http.Request) error {
	reqs, err := s.auth.RoleRequests(r.Context(), actorFrom(r))
	if err != nil {
		return err
	}
	return render(w, r, http.StatusOK, page.RoleRequests(page.RoleRequestsPage{Requests: reqs}))
}

// handleRoleRequestDecide handles POST /role-requests/{id}/approve and /reject.
func (s *Server) handleRoleRequestDecide(approve bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		err := s.auth.DecideRoleRequest(r.Context(), actorFrom(r), idParam(r), approve)
		if p, ok := fail.ProblemsOf(err); ok {
			// The person can no longer be given it (the chair became a
			// DSL, say): the request stays waiting, and the page says why.
			for _, msg := range p {
				s.flash(r, "Not approved: "+msg)
			}
			http.Redirect(w, r, "/role-requests", http.StatusSeeOther)
			return nil
		}
		switch {
		case errors.Is(err, auth.ErrOwnRequest):
			s.flash(r, "You cannot decide a request you made or one about yourself: another DSL or the head must")
		case errors.Is(err, auth.ErrLastAdmin):
			s.flash(r, "This would leave the school without an admin: make someone else an admin first")

		case err != nil:
			return err
		case approve:
			s.flash(r, "Approved")
		default:
			s.flash(r, "Rejected")
		}
		http.Redirect(w, r, "/role-requests", http.StatusSeeOther)
		return nil
	}
}

// handleSettingsPage handles GET /admin/settings.
func (s *Server) handleSettingsPage(w http.ResponseWriter, r *http.Request) error {
	st, err := s.schools.Settings(r.Context(), actorFrom(r))
	if err != nil {
		return err
	}
	members, err := s.schools.Members(r.Context(), actorFrom(r))
	if err != nil {
		return err
	}
	pending, err := s.pendingChair(r)
	if err != nil {
		return err
	}
	return render(w, r, http.StatusOK, page.Settings(page.SettingsPage{Form: school.FormFrom(st), Terms: st.Terms, Members: members,
		PendingChair: pending}))
}

// pendingChair is the request to name a chair of governors waiting for
// approval, or nil.
func (s *Server) pendingChair(r *http.Request) (*auth.RoleRequest, error) {
	reqs, err := s.auth.RoleRequests(r.Context(), actorFrom(r))
	if err != nil {
		return nil, err
	}
	for _, q := range reqs {
		if q.Role == auth.RoleChair {
			return &q, nil
		}
	}
	return nil, nil
}

// handleSettings handles POST /admin/settings.
func (s *Server) handleSettings(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return err
	}
	f := school.SettingsForm{
		Name: r.PostFormValue("name"), DSLNames: r.PostForm["dsl_name"], DSLPhones: r.PostForm["dsl_phone"],
		FrontDoorName: r.PostFormValue("front_door_name"), FrontDoorPhone: r.PostFormValue("front_door_phone"),
		OutOfHoursName: r.PostFormValue("out_of_hours_name"), OutOfHoursPhone: r.PostFormValue("out_of_hours_phone"),
		DayStarts: r.PostFormValue("day_starts"), DayEnds: r.PostFormValue("day_ends"), SchoolDays: r.PostForm["school_days"],
		UrgentMinutes: r.PostFormValue("urgent_minutes"), EscalationHours: r.PostFormValue("escalation_hours"),
		CumulativeCount: r.PostFormValue("cumulative_count"), CumulativeDays: r.PostFormValue("cumulative_days"),
		CSEStaff: r.PostFormValue("cse_staff"), Categories: r.PostFormValue("categories"),
		Require2FAAll: r.PostFormValue("require_2fa"), ChairOfGovernors: r.PostFormValue("chair_of_governors"),
	}
	by := actorFrom(r)
	err := s.schools.UpdateSettings(r.Context(), by, f)
	if p, ok := fail.ProblemsOf(err); ok {
		st, err := s.schools.Settings(r.Context(), by)
		if err != nil {
			return err
		}
		members, err := s.schools.Members(r.Context(), by)
		if err != nil {
			return err
		}
		pending, err := s.pendingChair(r)
		if err != nil {
			return err
		}
		return render(w, r, http.StatusUnprocessableEntity, page.Settings(page.SettingsPage{Form: f, Terms: st.Terms, Members: members,
			Problems: p, PendingChair: pending}))
	}
	if err != nil {
		return err
	}
	pending, err := s.pendingChair(r)
	if err != nil {
		return err
	}
	if pending != nil && strconv.FormatInt(pending.UserID, 10) == f.ChairOfGovernors {
		s.flash(r, "School settings saved. Naming "+pending.Name+" chair of governors waits for a DSL to approve it")
	} else {
		s.flash(r, "School settings saved")
	}
	http.Redirect(w, r, "/admin/settings", http.StatusSeeOther)
	return nil
}

// handleTermsPage handles GET /admin/settings/terms.
func (s *Server) handleTermsPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderTerms(w, r, http.StatusOK, page.TermsPage{})
}

// renderTerms renders the Term dates page with the school's terms and v's
// forms as typed.
func (s *Server) renderTerms(w http.ResponseWriter, r *http.Request, status int, v page.TermsPage) error {
	st, err := s.schools.Settings(r.Context(), actorFrom(r))
	if err != nil {
		return err
	}
	now := time.Now()
	v.Terms, v.Cover = st.Terms, st.Calendar().TermCover(now)
	v.Holidays = append(school.BankHolidays(now.Year()), school.BankHolidays(now.Year()+1)...)
	return render(w, r, status, page.Terms(v))
}

// termForm reads a term's fields named name, <prefix>starts-* and <prefix>ends-*.
func termForm(r *http.Request, name, prefix string) school.TermForm {
	return school.TermForm{Name: r.PostFormValue(name),
		StartDay: r.PostFormValue(prefix + "starts-day"), StartMonth: r.PostFormValue(prefix + "starts-month"), StartYear: r.PostFormValue(prefix + "starts-year"),
		EndDay: r.PostFormValue(prefix + "ends-day"), EndMonth: r.PostFormValue(prefix + "ends-month"), EndYear: r.PostFormValue(prefix + "ends-year")}
}

// handleTermAdd handles POST /admin/settings/terms.
func (s *Server) handleTermAdd(w http.ResponseWriter, r *http.Request) error {
	f := termForm(r, "term_name", "")
	err := s.schools.AddTerm(r.Context(), actorFrom(r), f)
	if p, ok := fail.ProblemsOf(err); ok {
		return s.renderTerms(w, r, http.StatusUnprocessableEntity, page.TermsPage{Form: f, Problems: p})
	}
	if err != nil {
		return err
	}
	s.flash(r, "Term added: "+f.Name)
	http.Redirect(w, r, "/admin/settings/terms", http.StatusSeeOther)
	return nil
}

// handleTermYearAdd handles POST /admin/settings/terms/year, the "Add a
// school year" form: up to school.YearTerms terms at once.
func (s *Server) handleTermYearAdd(w http.ResponseWriter, r *http.Request) error {
	rows := make([]school.TermForm, school.YearTerms)
	for i := range rows {
		key := "term-" + strconv.Itoa(i+1) + "-"
		rows[i] = termForm(r, key+"name", key)
	}
	err := s.schools.AddYearTerms(r.Context(), actorFrom(r), rows)
	if p, ok := fail.ProblemsOf(err); ok {
		return s.renderTerms(w, r, http.StatusUnprocessableEntity, page.TermsPage{Year: rows, Problems: p})
	}
	if err != nil {
		return err
	}
	s.flash(r, "Terms added")
	http.Redirect(w, r, "/admin/settings/terms", http.StatusSeeOther)
	return nil
}

// handleTermDelete handles POST /admin/settings/terms/{id}/delete.
func (s *Server) handleTermDelete(w http.ResponseWriter, r *http.Request) error {
	err := s.schools.DeleteTerm(r.Context(), actorFrom(r), idParam(r))
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		return err
	}
	s.flash(r, "Term removed")
	http.Redirect(w, r, "/admin/settings/terms", http.StatusSeeOther)
	return nil
}
