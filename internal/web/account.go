package web

import (
	"errors"
	"net/http"

	"github.com/havenschools/haven/internal/auth"
	"github.com/havenschools/haven/internal/fail"
	"github.com/havenschools/haven/internal/validate"
	"github.com/havenschools/haven/web/page"
)

func accountPage(si signIn) page.AccountPage {
	return page.AccountPage{Name: si.Account.Name, Email: si.Account.Email, School: si.Membership.SchoolName,
		Role: auth.RoleName(si.Membership.Role, si.Membership.Deputy), SecondFactor: si.Account.Enrolled}
}

// handleAccount handles GET /account, "Your account".
func (s *Server) handleAccount(w http.ResponseWriter, r *http.Request) error {
	return render(w, r, http.StatusOK, page.Account(accountPage(signInFrom(r))))
}

// handlePasswordChange handles POST /account/password. Every other session
// of the person ends; this one carries on with a new token and epoch.
func (s *Server) handlePasswordChange(w http.ResponseWriter, r *http.Request) error {
	si := signInFrom(r)
	epoch, err := s.auth.ChangePassword(r.Context(), si.Actor, r.PostFormValue("current_password"),
		r.PostFormValue("new_password"), r.PostFormValue("confirm_password"))
	if p, ok := fail.ProblemsOf(err); ok {
		ap := accountPage(si)
		ap.Problems = p
		return render(w, r, http.StatusUnprocessableEntity, page.Account(ap))
	}
	if te, ok := errors.AsType[*auth.ThrottledError](err); ok {
		ap := accountPage(si)
		ap.Problems = validate.Problems{"current_password": page.SignInForm{RetryMinutes: te.Minutes()}.ThrottleMessage()}
		return render(w, r, http.StatusTooManyRequests, page.Account(ap))
	}
	if err != nil {
		return err
	}
	if err := s.sessions.RenewToken(r.Context()); err != nil {
		return err
	}
	s.sessions.Put(r.Context(), sessEpoch, epoch)
	s.sessions.Put(r.Context(), sessFlash, "Your password has been changed. You have been signed out everywhere else.")
	http.Redirect(w, r, "/account", http.StatusSeeOther)
	return nil
}
