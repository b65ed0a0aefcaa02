// Package auth is who may use Haven and what they may do: users and their
// memberships of schools (each with a role), passwords (argon2id), the
// second factor (TOTP and recovery codes), throttling of guesses kept in
// Postgres, invitations, password resets, role changes that need a second
// person's approval, deactivation, and the vocabulary of access rules
// (Rule, Stage, Roles, Allows) in which internal/web/routes.go declares who
// may use each route; auth itself knows no URLs.
package auth

import (
	"errors"
	"net/mail"
	"strings"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/fail"
	"github.com/havenschools/haven/internal/jobs"
	"github.com/havenschools/haven/internal/plural"
)

var (
	// ErrBadCredentials means the email address and password do not match
	// an account that may sign in. It says nothing about which part was
	// wrong, or whether the account exists.
	ErrBadCredentials = errors.New("email address or password not correct")
	// ErrBadCode means a security code or recovery code was wrong, already
	// used, or (for a TOTP code) used before in its time step.
	ErrBadCode = errors.New("security code not correct")
	// ErrForbidden means the actor's role does not allow the action.
	ErrForbidden = fail.New(fail.Forbidden, "not allowed")
	// ErrLinkInvalid means an invitation or password link is unknown,
	// used, withdrawn or expired.
	ErrLinkInvalid = errors.New("link not valid")
	// ErrOwnRequest means a person tried to approve a role request they
	// made, or one that gives a role to themselves.
	ErrOwnRequest = fail.New(fail.Forbidden, "a role request needs a second person")
	// ErrHeadNamesChair means the head tried to decide who is named chair
	// of governors: the chair handles the concerns about the head, so a DSL
	// decides.
	ErrHeadNamesChair = fail.New(fail.Forbidden, "the head may not decide who is chair of governors")
	// ErrNoEmail means the service has no job client, so it cannot send email.
	ErrNoEmail = errors.New("email is not configured")
)

// ThrottledError means too many failed guesses came for the account or from
// the address: the person may try again after RetryAfter. Its message is the
// same whether or not the account exists.
type ThrottledError struct {
	RetryAfter time.Duration
}

func (e *ThrottledError) Error() string {
	return "too many failed attempts: try again in " + plural.Count(e.Minutes(), "minute", "minutes")
}

// Minutes is RetryAfter rounded up to whole minutes, at least 1.
func (e *ThrottledError) Minutes() int {
	m := int((e.RetryAfter + time.Minute - 1) / time.Minute)
	return max(m, 1)
}

// Lifetimes of the one-time links.
const (
	InvitationLifetime  = 72 * time.Hour
	ResetLifetime       = time.Hour
	SetPasswordLifetime = 24 * time.Hour
)

// Limits bound failed guesses (passwords, security codes and recovery
// codes) within Window: per account (counted by the email address typed, so
// an unknown address is limited alike) and per client address. A school's
// staff often share one address, so its limit is higher.
type Limits struct {
	Account int
	Address int
	Window  time.Duration
}

// DefaultLimits: at most 10 failures per account and 100 per address in any
// 5 minutes.
var DefaultLimits = Limits{Account: 10, Address: 100, Window: 5 * time.Minute}

// Config is what the service needs to know about the deployment.
type Config struct {
	// BaseURL starts every link in an email, e.g. https://haven.example.org.
	BaseURL string
	// Params for new password hashes; zero: DefaultParams.
	Params Params
	// Limits on failed guesses; zero: DefaultLimits.
	Limits Limits
	// Now is the clock for TOTP codes; nil: time.Now.
	Now func() time.Time
}

// Service carries out the account use cases. Each exported method is one
// transaction, except where its comment says otherwise (signing in counts a
// guess before checking it, so a guess is limited even when many come at once).
type Service struct {
	pool *pgxpool.Pool
	jobs *jobs.Client
	cfg  Config
	// dummyHash is verified against when there is no account, so an unknown
	// email costs the same time as a wrong password.
	dummyHash string
}

// NewService returns a Service on pool. jobs sends email (invitations and
// password resets) in the transaction that creates them; it may be nil for
// the command line, which prints links instead.
func NewService(pool *pgxpool.Pool, jobs *jobs.Client, cfg Config) *Service {
	if cfg.Params == (Params{}) {
		cfg.Params = DefaultParams
	}
	if cfg.Limits == (Limits{}) {
		cfg.Limits = DefaultLimits
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	return &Service{pool: pool, jobs: jobs, cfg: cfg, dummyHash: HashPassword("not a real password, for timing", cfg.Params)}
}

// NeedsSecondFactor reports whether a role needs a second factor whatever
// the school's setting: those who see child-protection records (DSL, head)
// or manage access (admin).
func NeedsSecondFactor(r actor.Role) bool {
	return r == actor.DSL || r == actor.Head || r == actor.Admin
}

// RoleName is a role as people say it: "Staff", "DSL", "Deputy DSL", "Head", "Admin".
func RoleName(r actor.Role, deputy bool) string {
	switch r {
	case actor.Staff:
		return "Staff"
	case actor.DSL:
		if deputy {
			return "Deputy DSL"
		}
		return "DSL"
	case actor.Head:
		return "Head"
	case actor.Admin:
		return "Admin"
	case RoleChair:
		return "Chair of governors"
	}
	return string(r)
}

// needsApproval reports whether giving role to someone who now holds from
// is a two-person action: giving the DSL or head role to someone without it.
func needsApproval(from, to actor.Role) bool {
	return (to == actor.DSL || to == actor.Head) && from != to
}

// NormaliseEmail trims spaces and lower-cases an email address, the form in
// which addresses are stored and compared.
func NormaliseEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// checkEmail returns "" for a plausible email address (already normalised),
// or the message to show.
func checkEmail(email string) string {
	if email == "" {
		return "Enter an email address"
	}
	if len(email) > 254 || strings.IndexFunc(email, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return "Enter an email address in the correct format, like name@example.org"
	}
	a, err := mail.ParseAddress(email)
	at := strings.LastIndexByte(email, '@')
	if err != nil || a.Address != email || at < 1 || !strings.Contains(email[at+1:], ".") || strings.HasSuffix(email, ".") {
		return "Enter an email address in the correct format, like name@example.org"
	}
	return ""
}
