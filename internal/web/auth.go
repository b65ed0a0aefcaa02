package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/auth"
	"github.com/havenschools/haven/internal/fail"
	"github.com/havenschools/haven/internal/paths"
	"github.com/havenschools/haven/internal/validate"
	"github.com/havenschools/haven/web/page"
)

// Messages of the sign-in pages. A wrong password and an unknown email get
// the same one.
const (
	msgBadCredentials = "Enter a correct email address and password"
	msgBadCode        = "The security code is not correct: enter the 6-digit code your authenticator app shows now"
	msgBadRecovery    = "The recovery code is not correct, or it has been used"
)

// handleSignInPage handles GET /sign-in.
func (s *Server) handleSignInPage(w http.ResponseWriter, r *http.Request) error {
	switch si := signInFrom(r); si.Stage {
	case auth.InSchool:
		http.Redirect(w, r, "/", http.StatusSeeOther) // already signed in
		return nil
	case auth.PasswordChecked, auth.SignedIn:
		s.nextStep(w, r, si) // part-way through: carry on
		return nil
	}
	if next := safeNext(r.URL.Query().Get("next")); next != "" {
		s.sessions.Put(r.Context(), sessNext, next)
	}
	return render(w, r, http.StatusOK, page.SignIn(page.SignInForm{}))
}

// handleSignIn handles POST /sign-in: the email and password. It renews
// the session token (no session fixation), then sends the person on to
// their second factor, a choice of school, or where they were going.
func (s *Server) handleSignIn(w http.ResponseWriter, r *http.Request) error {
	f := page.SignInForm{Email: r.PostFormValue("email"), Problems: validate.Problems{}}
	password := r.PostFormValue("password") // exactly as typed
	if validate.Text(f.Email, "", true, 1000) != "" {
		f.Problems.Add("email", "Enter your email address")
	}
	if password == "" {
		f.Problems.Add("password", "Enter your password")
	}
	if len(f.Problems) > 0 {
		return render(w, r, http.StatusUnprocessableEntity, page.SignIn(f))
	}
	a, err := s.auth.SignIn(r.Context(), s.source(r), f.Email, password)
	if te, ok := errors.AsType[*auth.ThrottledError](err); ok {
		f.RetryMinutes = te.Minutes()
		return render(w, r, http.StatusTooManyRequests, page.SignIn(f))
	}
	if errors.Is(err, auth.ErrBadCredentials) {
		f.Problems.Add("email", msgBadCredentials)
		return render(w, r, http.StatusUnprocessableEntity, page.SignIn(f))
	}
	if err != nil {
		return err
	}
	ctx := r.Context()
	next := s.sessions.GetString(ctx, sessNext)
	if err := s.sessions.RenewToken(ctx); err != nil {
		return err
	}
	for _, k := range []string{sessFactor, sessSchool} {
		s.sessions.Remove(ctx, k)
	}
	s.sessions.Put(ctx, sessUserID, a.UserID)
	s.sessions.Put(ctx, sessEpoch, a.Epoch)
	if next != "" {
		s.sessions.Put(ctx, sessNext, next)
	}
	if a.NeedsSecondFactor {
		http.Redirect(w, r, secondFactorPath(a), http.StatusSeeOther)
		return nil
	}
	return s.secondFactorDone(w, r, a, "none", true)
}

// secondFactorDone finishes signing in once the second factor is checked
// (or was not needed): a new session token, then the school — chosen at
// once when the person has only one — and the audit of the sign-in. With
// redirect, it sends the person on; without, the caller shows a page first
// (the recovery codes) and links to afterSignIn.
func (s *Server) secondFactorDone(w http.ResponseWriter, r *http.Request, a auth.Account, factor string, redirect bool) error {
	ctx := r.Context()
	if err := s.sessions.RenewToken(ctx); err != nil {
		return err
	}
	s.sessions.Put(ctx, sessFactor, factor)
	if len(a.Schools) == 1 {
		m := a.Schools[0]
		s.sessions.Put(ctx, sessSchool, m.SchoolID)
		by := actor.Actor{UserID: a.UserID, SchoolID: m.SchoolID, Role: m.Role, Source: s.source(r)}
		if err := s.auth.RecordSignIn(ctx, by, factor, false); err != nil {
			return err
		}
	}
	if redirect {
		http.Redirect(w, r, s.afterSignIn(r, a), http.StatusSeeOther)
	}
	return nil
}

// afterSignIn is where a person goes once signed in: to choose a school
// when they have several, else where they were going, else the start page.
// It uses up the remembered destination.
func (s *Server) afterSignIn(r *http.Request, a auth.Account) string {
	if len(a.Schools) > 1 && s.sessions.GetInt64(r.Context(), sessSchool) == 0 {
		return "/choose-school"
	}
	if next := safeNext(s.sessions.PopString(r.Context(), sessNext)); next != "" {
		return next
	}
	return "/"
}

// handleSignOut handles POST /sign-out: the session is destroyed on the
// server (its cookie is worth nothing afterwards) and the browser is told to
// drop what it cached.
func (s *Server) handleSignOut(w http.ResponseWriter, r *http.Request) error {
	si := signInFrom(r)
	if si.Stage >= auth.PasswordChecked {
		by := si.Actor
		if by.UserID == 0 {
			by = actor.Actor{UserID: si.Account.UserID, Source: s.source(r)}
		}
		if err := s.auth.RecordSignOut(r.Context(), by); err != nil {
			return err
		}
	}
	if err := s.sessions.Destroy(r.Context()); err != nil {
		return err
	}
	// A fresh, empty session (new token) carries only the message.
	s.flash(r, "You have signed out")
	w.Header().Set("Clear-Site-Data", `"cache", "storage"`)
	http.Redirect(w, r, "/sign-in", http.StatusSeeOther)
	return nil
}

// handleSecurityCodePage handles GET /sign-in/security-code.
func (s *Server) handleSecurityCodePage(w http.ResponseWriter, r *http.Request) error {
	si := signInFrom(r)
	if redirected := s.secondFactorRedirect(w, r, si, true); redirected {
		return nil
	}
	return render(w, r, http.StatusOK, page.SecurityCode(page.CodeForm{}))
}

// secondFactorRedirect sends away someone who should not be on a
// second-factor page: already past it, or on the code page without an
// authenticator app (wantEnrolled) or on enrolment with one.
func (s *Server) secondFactorRedirect(w http.ResponseWriter, r *http.Request, si signIn, wantEnrolled bool) bool {
	switch {
	case si.Stage > auth.PasswordChecked:
		http.Redirect(w, r, s.afterSignIn(r, si.Account), http.StatusSeeOther)
	case si.Account.Enrolled != wantEnrolled:
		http.Redirect(w, r, secondFactorPath(si.Account), http.StatusSeeOther)
	default:
		return false
	}
	return true
}

// handleSecurityCode handles POST /sign-in/security-code.
func (s *Server) handleSecurityCode(w http.ResponseWriter, r *http.Request) error {
	si := signInFrom(r)
	if redirected := s.secondFactorRedirect(w, r, si, true); redirected {
		return nil
	}
	code := r.PostFormValue("code")
	f := page.CodeForm{Problems: validate.Problems{}}
	if code == "" {
		f.Problems.Add("code", "Enter the security code from your authenticator app")
		return render(w, r, http.StatusUnprocessableEntity, page.SecurityCode(f))
	}
	err := s.auth.VerifyCode(r.Context(), s.source(r), si.Account.UserID, code)
	if te, ok := errors.AsType[*auth.ThrottledError](err); ok {
		f.RetryMinutes = te.Minutes()
		return render(w, r, http.StatusTooManyRequests, page.SecurityCode(f))
	}
	if errors.Is(err, auth.ErrBadCode) {
		f.Problems.Add("code", msgBadCode)
		return render(w, r, http.StatusUnprocessableEntity, page.SecurityCode(f))
	}
	if err != nil {
		return err
	}
	return s.secondFactorDone(w, r, si.Account, "totp", true)
}

// handleRecoveryCodePage handles GET /sign-in/recovery-code.
func (s *Server) handleRecoveryCodePage(w http.ResponseWriter, r *http.Request) error {
	if redirected := s.secondFactorRedirect(w, r, signInFrom(r), true); redirected {
		return nil
	}
	return render(w, r, http.StatusOK, page.RecoveryCode(page.CodeForm{}))
}

// handleRecoveryCode handles POST /sign-in/recovery-code.
func (s *Server) handleRecoveryCode(w http.ResponseWriter, r *http.Request) error {
	si := signInFrom(r)
	if redirected := s.secondFactorRedirect(w, r, si, true); redirected {
		return nil
	}
	f := page.CodeForm{Problems: validate.Problems{}}
	code := r.PostFormValue("recovery_code")
	if code == "" {
		f.Problems.Add("recovery_code", "Enter a recovery code")
		return render(w, r, http.StatusUnprocessableEntity, page.RecoveryCode(f))
	}
	left, err := s.auth.UseRecoveryCode(r.Context(), s.source(r), si.Account.UserID, code)
	if te, ok := errors.AsType[*auth.ThrottledError](err); ok {
		f.RetryMinutes = te.Minutes()
		return render(w, r, http.StatusTooManyRequests, page.RecoveryCode(f))
	}
	if errors.Is(err, auth.ErrBadCode) {
		f.Problems.Add("recovery_code", msgBadRecovery)
		return render(w, r, http.StatusUnprocessableEntity, page.RecoveryCode(f))
	}
	if err != nil {
		return err
	}
	if err := s.secondFactorDone(w, r, si.Account, "recovery_code", false); err != nil {
		return err
	}
	msg := "You signed in with a recovery code. You have " + strconv.Itoa(left) + " left."
	if left < 3 {
		msg += " Ask your school's Haven admin to reset your second factor to get new ones."
	}
	s.sessions.Put(r.Context(), sessFlash, msg)
	http.Redirect(w, r, s.afterSignIn(r, si.Account), http.StatusSeeOther)
	return nil
}

// handleTwoFactorSetupPage handles GET /two-factor/setup: the QR code and
// the key as text.
func (s *Server) handleTwoFactorSetupPage(w http.ResponseWriter, r *http.Request) error {
	si := signInFrom(r)
	if redirected := s.secondFactorRedirect(w, r, si, false); redirected {
		return nil
	}
	return s.renderSetup(w, r, si, http.StatusOK, page.TwoFactorSetupForm{})
}

func (s *Server) renderSetup(w http.ResponseWriter, r *http.Request, si signIn, status int, f page.TwoFactorSetupForm) error {
	en, err := s.auth.StartEnrolment(r.Context(), si.Account.UserID)
	if err != nil {
		return err
	}
	f.Secret = en.Secret
	return render(w, r, status, page.TwoFactorSetup(f))
}

// handleTwoFactorQRCode handles GET /two-factor/qr.png: the QR code of the
// key being enrolled, drawn by Haven (no third party ever sees the key).
func (s *Server) handleTwoFactorQRCode(w http.ResponseWriter, r *http.Request) error {
	si := signInFrom(r)
	if si.Stage != auth.PasswordChecked || si.Account.Enrolled {
		return errNotFoundPage
	}
	en, err := s.auth.StartEnrolment(r.Context(), si.Account.UserID)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/png")
	_, err = w.Write(en.QRCode)
	return err
}

// handleTwoFactorSetup handles POST /two-factor/setup: the first code. On
// success the person is signed in and sees their recovery codes, once.
func (s *Server) handleTwoFactorSetup(w http.ResponseWriter, r *http.Request) error {
	si := signInFrom(r)
	if redirected := s.secondFactorRedirect(w, r, si, false); redirected {
		return nil
	}
	f := page.TwoFactorSetupForm{Problems: validate.Problems{}}
	code := r.PostFormValue("code")
	if code == "" {
		f.Problems.Add("code", "Enter the security code from your authenticator app")
		return s.renderSetup(w, r, si, http.StatusUnprocessableEntity, f)
	}
	codes, err := s.auth.ConfirmEnrolment(r.Context(), s.source(r), si.Account.UserID, code)
	if te, ok := errors.AsType[*auth.ThrottledError](err); ok {
		f.RetryMinutes = te.Minutes()
		return s.renderSetup(w, r, si, http.StatusTooManyRequests, f)
	}
	if errors.Is(err, auth.ErrBadCode) {
		f.Problems.Add("code", msgBadCode)
		return s.renderSetup(w, r, si, http.StatusUnprocessableEntity, f)
	}
	if err != nil {
		return err
	}
	if err := s.secondFactorDone(w, r, si.Account, "totp", false); err != nil {
		return err
	}
	return render(w, r, http.StatusOK, page.RecoveryCodes(codes, s.afterSignIn(r, si.Account)))
}

// handleChooseSchoolPage handles GET /choose-school.
func (s *Server) handleChooseSchoolPage(w http.ResponseWriter, r *http.Request) error {
	si := signInFrom(r)
	return render(w, r, http.StatusOK, page.ChooseSchool(chooseSchoolForm(si)))
}

func chooseSchoolForm(si signIn) page.ChooseSchoolForm {
	f := page.ChooseSchoolForm{Current: si.Membership.SchoolID}
	for _, m := range si.Account.Schools {
		f.Schools = append(f.Schools, page.SchoolChoice{ID: m.SchoolID, Name: m.SchoolName, Role: auth.RoleName(m.Role, m.Deputy)})
	}
	return f
}

// handleChooseSchool handles POST /choose-school: the session moves to the
// chosen school, with a new token (the role may differ), audited.
func (s *Server) handleChooseSchool(w http.ResponseWriter, r *http.Request) error {
	si := signInFrom(r)
	id, _ := strconv.ParseInt(r.PostFormValue("school"), 10, 64)
	m, ok := si.Account.In(id)
	if !ok {
		f := chooseSchoolForm(si)
		f.Problems = validate.Problems{"school": "Select the school you are working in"}
		return render(w, r, http.StatusUnprocessableEntity, page.ChooseSchool(f))
	}
	ctx := r.Context()
	switched := s.sessions.GetInt64(ctx, sessSchool) != 0
	if err := s.sessions.RenewToken(ctx); err != nil {
		return err
	}
	s.sessions.Put(ctx, sessSchool, m.SchoolID)
	by := actor.Actor{UserID: si.Account.UserID, SchoolID: m.SchoolID, Role: m.Role, Source: s.source(r)}
	if err := s.auth.RecordSignIn(ctx, by, s.sessions.GetString(ctx, sessFactor), switched); err != nil {
		return err
	}
	next := "/"
	if n := safeNext(s.sessions.PopString(ctx, sessNext)); n != "" && !switched {
		next = n
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// handleForgotPasswordPage handles GET /forgot-password.
func (s *Server) handleForgotPasswordPage(w http.ResponseWriter, r *http.Request) error {
	return render(w, r, http.StatusOK, page.ForgotPassword(page.ForgotPasswordForm{}))
}

// handleForgotPassword handles POST /forgot-password. The answer is the
// same whether or not the address has an account.
func (s *Server) handleForgotPassword(w http.ResponseWriter, r *http.Request) error {
	f := page.ForgotPasswordForm{Email: r.PostFormValue("email")}
	err := s.auth.RequestPasswordReset(r.Context(), s.source(r), f.Email)
	if p, ok := fail.ProblemsOf(err); ok {
		f.Problems = p
		return render(w, r, http.StatusUnprocessableEntity, page.ForgotPassword(f))
	}
	if te, ok := errors.AsType[*auth.ThrottledError](err); ok {
		f.RetryMinutes = te.Minutes()
		return render(w, r, http.StatusTooManyRequests, page.ForgotPassword(f))
	}
	if err != nil {
		return err
	}
	return render(w, r, http.StatusOK, page.ResetLinkSent(auth.NormaliseEmail(f.Email)))
}

// passwordLinkForm is the page of a password link of purpose "reset" or "set".
func passwordLinkForm(purpose, token string, l auth.PasswordLink) page.NewPasswordForm {
	f := page.NewPasswordForm{Title: "Choose a new password", Button: "Save password", Email: l.Email,
		Action: paths.ResetPassword(token), Intro: "Choose a new password for " + l.Email + "."}
	if purpose == "set" {
		f.Title, f.Action = "Create your password", paths.SetPassword(token)
		f.Intro = "Create a password for your Haven account, " + l.Email + "."
	}
	return f
}

// handlePasswordLinkPage handles GET /reset-password/{token} and
// GET /set-password/{token}.
func (s *Server) handlePasswordLinkPage(purpose string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		token := chi.URLParam(r, "token")
		l, err := s.auth.PasswordLinkByToken(r.Context(), purpose, token)
		if errors.Is(err, auth.ErrLinkInvalid) {
			return render(w, r, http.StatusNotFound, page.LinkInvalid())
		}
		if err != nil {
			return err
		}
		return render(w, r, http.StatusOK, page.NewPassword(passwordLinkForm(purpose, token, l)))
	}
}

// handlePasswordLink handles POST /reset-password/{token} and
// POST /set-password/{token}. It never signs anyone in: they sign in next,
// second factor and all.
func (s *Server) handlePasswordLink(purpose string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		token := chi.URLParam(r, "token")
		err := s.auth.SetPasswordByToken(r.Context(), s.source(r), purpose, token,
			r.PostFormValue("password"), r.PostFormValue("confirm"))
		if errors.Is(err, auth.ErrLinkInvalid) {
			return render(w, r, http.StatusNotFound, page.LinkInvalid())
		}
		if p, ok := fail.ProblemsOf(err); ok {
			l, err := s.auth.PasswordLinkByToken(r.Context(), purpose, token)
			if err != nil {
				return err
			}
			f := passwordLinkForm(purpose, token, l)
			f.Problems = p
			return render(w, r, http.StatusUnprocessableEntity, page.NewPassword(f))
		}
		if err != nil {
			return err
		}
		s.signOutQuietly(r)
		s.sessions.Put(r.Context(), sessFlash, "Your password has been saved. Sign in with it now.")
		http.Redirect(w, r, "/sign-in", http.StatusSeeOther)
		return nil
	}
}

// signOutQuietly drops whoever was signed in on this browser (their
// sessions have ended anyway) and starts a fresh session.
func (s *Server) signOutQuietly(r *http.Request) {
	ctx := r.Context()
	for _, k := range []string{sessUserID, sessEpoch, sessFactor, sessSchool, sessNext} {
		s.sessions.Remove(ctx, k)
	}
	_ = s.sessions.RenewToken(ctx) // only fails on a broken request context
}

func invitationForm(token string, v auth.InvitationView) page.NewPasswordForm {
	f := page.NewPasswordForm{Title: "Join " + v.SchoolName + " on Haven", Action: paths.Invitation(token),
		Button: "Accept invitation", Email: v.Email, Existing: v.HasAccount,
		Intro: v.Name + ", you have been invited to Haven as " + auth.RoleName(v.Role, v.Deputy) + "."}
	if v.HasAccount {
		f.Intro += " You already have a Haven account as " + v.Email + ": enter its password to join."
	} else {
		f.Intro += " Create a password for your account, " + v.Email + "."
	}
	return f
}

// handleInvitationPage handles GET /invitations/{token}.
func (s *Server) handleInvitationPage(w http.ResponseWriter, r *http.Request) error {
	token := chi.URLParam(r, "token")
	v, err := s.auth.InvitationByToken(r.Context(), token)
	if errors.Is(err, auth.ErrLinkInvalid) {
		return render(w, r, http.StatusNotFound, page.LinkInvalid())
	}
	if err != nil {
		return err
	}
	return render(w, r, http.StatusOK, page.NewPassword(invitationForm(token, v)))
}

// handleInvitation handles POST /invitations/{token}: the person sets their
// password (or confirms their existing one) and then signs in.
func (s *Server) handleInvitation(w http.ResponseWriter, r *http.Request) error {
	token := chi.URLParam(r, "token")
	v, err := s.auth.InvitationByToken(r.Context(), token)
	if errors.Is(err, auth.ErrLinkInvalid) {
		return render(w, r, http.StatusNotFound, page.LinkInvalid())
	}
	if err != nil {
		return err
	}
	err = s.auth.AcceptInvitation(r.Context(), s.source(r), token, r.PostFormValue("password"), r.PostFormValue("confirm"))
	if errors.Is(err, auth.ErrLinkInvalid) {
		return render(w, r, http.StatusNotFound, page.LinkInvalid())
	}
	if p, ok := fail.ProblemsOf(err); ok {
		f := invitationForm(token, v)
		f.Problems = p
		return render(w, r, http.StatusUnprocessableEntity, page.NewPassword(f))
	}
	if te, ok := errors.AsType[*auth.ThrottledError](err); ok {
		f := invitationForm(token, v)
		f.Problems = validate.Problems{"password": page.SignInForm{RetryMinutes: te.Minutes()}.ThrottleMessage()}
		return render(w, r, http.StatusTooManyRequests, page.NewPassword(f))
	}
	if err != nil {
		return err
	}
	s.signOutQuietly(r)
	s.sessions.Put(r.Context(), sessFlash, "You have joined "+v.SchoolName+". Sign in to continue.")
	http.Redirect(w, r, "/sign-in", http.StatusSeeOther)
	return nil
}
