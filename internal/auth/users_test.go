package auth

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/validate"
)

func TestInvitation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, DefaultLimits)
	ctx := context.Background()
	admin := e.member(t, "admin@brookfield.test", actor.Admin)

	t.Run("bad forms are problems", func(t *testing.T) {
		_, err := e.svc.Invite(ctx, admin, Invite{Email: "not an email", Name: "", Role: "owner"})
		p, ok := errors.AsType[validate.Problems](err)
		if !ok || p["email"] == "" || p["name"] == "" || p["role"] == "" {
			t.Errorf("err = %v, want problems on email, name and role", err)
		}
	})
	t.Run("only admins invite", func(t *testing.T) {
		staff := e.member(t, "staff@brookfield.test", actor.Staff)
		if _, err := e.svc.Invite(ctx, staff, Invite{Email: "x@brookfield.test", Name: "X", Role: actor.Staff}); !errors.Is(err, ErrForbidden) {
			t.Errorf("err = %v, want ErrForbidden", err)
		}
	})
	var token string
	t.Run("an invitation emails a one-time link, stored only as a hash", func(t *testing.T) {
		awaiting, err := e.svc.Invite(ctx, admin, Invite{Email: "Jo.Bloggs@Brookfield.test", Name: "Jo Bloggs", Role: actor.Staff})
		if err != nil || awaiting {
			t.Fatalf("Invite = %v, %v", awaiting, err)
		}
		text := e.emailTo(t, "jo.bloggs@brookfield.test")
		token = linkIn(t, text, "/invitations/")
		if strings.Contains(strings.ToLower(text), "password:") {
			t.Errorf("the email seems to carry a password: %q", text)
		}
		if n := e.count(t, "invitations WHERE token_hash = $1", hashToken(token)); n != 1 {
			t.Errorf("invitations with the token's hash = %d, want 1", n)
		}
		if n := e.count(t, "invitations WHERE encode(token_hash, 'escape') LIKE '%' || $1 || '%'", token[:10]); n != 0 {
			t.Error("the token is stored in clear")
		}
		if n := e.count(t, "audit_events WHERE action = 'user.invite' AND school_id = $1", e.school); n != 1 {
			t.Errorf("invitations audited = %d", n)
		}
	})
	t.Run("the link shows the invitation", func(t *testing.T) {
		v, err := e.svc.InvitationByToken(ctx, token)
		if err != nil || v.Email != "jo.bloggs@brookfield.test" || v.SchoolName != "Brookfield Primary" || v.HasAccount {
			t.Errorf("InvitationByToken = %+v, %v", v, err)
		}
		if _, err := e.svc.InvitationByToken(ctx, token+"x"); !errors.Is(err, ErrLinkInvalid) {
			t.Errorf("a wrong token: err = %v, want ErrLinkInvalid", err)
		}
	})
	t.Run("a common password or a mismatch is refused", func(t *testing.T) {
		err := e.svc.AcceptInvitation(ctx, src, token, "password1234", "password1234")
		if p, ok := errors.AsType[validate.Problems](err); !ok || p["password"] == "" {
			t.Errorf("err = %v, want a password problem", err)
		}
		err = e.svc.AcceptInvitation(ctx, src, token, testPassword, testPassword+"x")
		if p, ok := errors.AsType[validate.Problems](err); !ok || p["confirm"] == "" {
			t.Errorf("err = %v, want a confirm problem", err)
		}
	})
	t.Run("accepting sets the password and the membership, once", func(t *testing.T) {
		if err := e.svc.AcceptInvitation(ctx, src, token, testPassword, testPassword); err != nil {
			t.Fatal(err)
		}
		a, err := e.svc.SignIn(ctx, src, "jo.bloggs@brookfield.test", testPassword)
		if err != nil || len(a.Schools) != 1 || a.Schools[0].Role != actor.Staff {
			t.Fatalf("SignIn = %+v, %v", a, err)
		}
		if err := e.svc.AcceptInvitation(ctx, src, token, testPassword, testPassword); !errors.Is(err, ErrLinkInvalid) {
			t.Errorf("second use: err = %v, want ErrLinkInvalid", err)
		}
	})
	t.Run("inviting a member again is a problem", func(t *testing.T) {
		_, err := e.svc.Invite(ctx, admin, Invite{Email: "jo.bloggs@brookfield.test", Name: "Jo", Role: actor.Staff})
		if p, ok := errors.AsType[validate.Problems](err); !ok || p["email"] == "" {
			t.Errorf("err = %v, want an email problem", err)
		}
	})
	t.Run("a link expires after 72 hours", func(t *testing.T) {
		if _, err := e.svc.Invite(ctx, admin, Invite{Email: "late@brookfield.test", Name: "Late", Role: actor.Staff}); err != nil {
			t.Fatal(err)
		}
		tok := linkIn(t, e.emailTo(t, "late@brookfield.test"), "/invitations/")
		var hours float64
		if err := e.d.Owner.QueryRow(ctx, `SELECT extract(epoch FROM expires_at - sent_at) / 3600 FROM invitations WHERE token_hash = $1`,
			hashToken(tok)).Scan(&hours); err != nil || hours != 72 {
			t.Errorf("lifetime = %v hours (%v), want 72", hours, err)
		}
		if _, err := e.d.Owner.Exec(ctx, `UPDATE invitations SET expires_at = now() - interval '1 second' WHERE token_hash = $1`, hashToken(tok)); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.AcceptInvitation(ctx, src, tok, testPassword, testPassword); !errors.Is(err, ErrLinkInvalid) {
			t.Errorf("err = %v, want ErrLinkInvalid", err)
		}
	})
	t.Run("someone with an account elsewhere joins with their own password", func(t *testing.T) {
		other := e.newSchool(t, "other-school", "Other School")
		e.memberOf(t, other, "visitor@other.test", actor.Staff)
		if _, err := e.svc.Invite(ctx, admin, Invite{Email: "visitor@other.test", Name: "Visitor", Role: actor.Staff}); err != nil {
			t.Fatal(err)
		}
		tok := linkIn(t, e.emailTo(t, "visitor@other.test"), "/invitations/")
		v, err := e.svc.InvitationByToken(ctx, tok)
		if err != nil || !v.HasAccount {
			t.Fatalf("InvitationByToken = %+v, %v; want HasAccount", v, err)
		}
		err = e.svc.AcceptInvitation(ctx, src, tok, "not my password", "")
		if p, ok := errors.AsType[validate.Problems](err); !ok || p["password"] == "" {
			t.Errorf("wrong password: err = %v, want a password problem", err)
		}
		if err := e.svc.AcceptInvitation(ctx, src, tok, testPassword, ""); err != nil {
			t.Fatal(err)
		}
		a, err := e.svc.SignIn(ctx, src, "visitor@other.test", testPassword)
		if err != nil || len(a.Schools) != 2 {
			t.Errorf("schools = %+v, %v; want two", a.Schools, err)
		}
	})
}

func TestRoleApproval(t *testing.T) {
	t.Parallel()
	e := newEnv(t, DefaultLimits)
	ctx := context.Background()
	admin := e.member(t, "admin@brookfield.test", actor.Admin)
	first := e.member(t, "first@brookfield.test", actor.Staff)

	t.Run("the school's first DSL needs no approval, since nobody could give it", func(t *testing.T) {
		pending, err := e.svc.ChangeRole(ctx, admin, first.UserID, actor.DSL, false)
		if err != nil || pending {
			t.Fatalf("ChangeRole = %v, %v; want applied", pending, err)
		}
		m, _ := e.svc.Member(ctx, admin, first.UserID)
		if m.Role != actor.DSL {
			t.Errorf("role = %s, want dsl", m.Role)
		}
		if n := e.count(t, `audit_events WHERE action = 'user.role_change' AND details::jsonb->>'approval' = 'first_dsl_or_head'`); n != 1 {
			t.Errorf("unapproved first grant audited %d times, want 1", n)
		}
	})
	dsl := first
	dsl.Role = actor.DSL
	staff := e.member(t, "staff@brookfield.test", actor.Staff)
	var requestID int64
	t.Run("later, giving the DSL role waits for approval", func(t *testing.T) {
		pending, err := e.svc.ChangeRole(ctx, admin, staff.UserID, actor.DSL, true)
		if err != nil || !pending {
			t.Fatalf("ChangeRole = %v, %v; want pending", pending, err)
		}
		m, _ := e.svc.Member(ctx, admin, staff.UserID)
		if m.Role != actor.Staff || m.PendingRole != actor.DSL || !m.PendingDeputy {
			t.Errorf("member = %+v, want staff with deputy DSL pending", m)
		}
		reqs, err := e.svc.RoleRequests(ctx, dsl)
		if err != nil || len(reqs) != 1 || reqs[0].MadeOrAboutSelf {
			t.Fatalf("RoleRequests = %+v, %v", reqs, err)
		}
		requestID = reqs[0].ID
	})
	t.Run("an admin cannot approve it", func(t *testing.T) {
		if err := e.svc.DecideRoleRequest(ctx, admin, requestID, true); !errors.Is(err, ErrForbidden) {
			t.Errorf("err = %v, want ErrForbidden", err)
		}
	})
	t.Run("a DSL approves it: the role applies and the person's sessions end", func(t *testing.T) {
		before, _ := e.svc.Account(ctx, staff.UserID)
		if err := e.svc.DecideRoleRequest(ctx, dsl, requestID, true); err != nil {
			t.Fatal(err)
		}
		after, _ := e.svc.Account(ctx, staff.UserID)
		if m, _ := after.In(e.school); m.Role != actor.DSL || !m.Deputy || after.Epoch == before.Epoch {
			t.Errorf("after approval: %+v, epoch %d → %d", m, before.Epoch, after.Epoch)
		}
		if err := e.svc.DecideRoleRequest(ctx, dsl, requestID, true); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("deciding twice: err = %v, want db.ErrNotFound", err)
		}
		if n := audits(t, e, "user.role_approve"); n != 1 {
			t.Errorf("approvals audited = %d", n)
		}
	})
	t.Run("nobody approves a request about themselves, including the head role for a DSL", func(t *testing.T) {
		pending, err := e.svc.ChangeRole(ctx, admin, dsl.UserID, actor.Head, false)
		if err != nil || !pending {
			t.Fatalf("ChangeRole = %v, %v", pending, err)
		}
		reqs, _ := e.svc.RoleRequests(ctx, dsl)
		if len(reqs) != 1 || !reqs[0].MadeOrAboutSelf {
			t.Fatalf("requests = %+v", reqs)
		}
		if err := e.svc.DecideRoleRequest(ctx, dsl, reqs[0].ID, true); !errors.Is(err, ErrOwnRequest) {
			t.Errorf("err = %v, want ErrOwnRequest", err)
		}
		deputy := staff
		deputy.Role = actor.DSL
		if err := e.svc.DecideRoleRequest(ctx, deputy, reqs[0].ID, false); err != nil {
			t.Errorf("another DSL rejecting: %v", err)
		}
		if m, _ := e.svc.Member(ctx, admin, dsl.UserID); m.Role != actor.DSL || m.PendingRole != "" {
			t.Errorf("after rejection: %+v", m)
		}
	})
	t.Run("an admin giving themselves the DSL role needs a DSL too", func(t *testing.T) {
		pending, err := e.svc.ChangeRole(ctx, admin, admin.UserID, actor.DSL, false)
		if !errors.Is(err, ErrLastAdmin) {
			t.Fatalf("the only admin stepping down: %v, %v; want ErrLastAdmin", pending, err)
		}
		admin2 := e.member(t, "admin2@brookfield.test", actor.Admin)
		if pending, err = e.svc.ChangeRole(ctx, admin2, admin2.UserID, actor.DSL, false); err != nil || !pending {
			t.Fatalf("ChangeRole = %v, %v; want pending", pending, err)
		}
	})
	t.Run("a DSL or head invitation is sent only once approved", func(t *testing.T) {
		awaiting, err := e.svc.Invite(ctx, admin, Invite{Email: "newhead@brookfield.test", Name: "New Head", Role: actor.Head})
		if err != nil || !awaiting {
			t.Fatalf("Invite = %v, %v; want awaiting", awaiting, err)
		}
		if n := e.count(t, "river_job WHERE args->>'to' = 'newhead@brookfield.test'"); n != 0 {
			t.Fatalf("%d emails sent before approval", n)
		}
		reqs, _ := e.svc.RoleRequests(ctx, dsl)
		var id int64
		for _, r := range reqs {
			if r.Invitation && r.Email == "newhead@brookfield.test" {
				id = r.ID
			}
		}
		if err := e.svc.DecideRoleRequest(ctx, dsl, id, true); err != nil {
			t.Fatal(err)
		}
		tok := linkIn(t, e.emailTo(t, "newhead@brookfield.test"), "/invitations/")
		if err := e.svc.AcceptInvitation(ctx, src, tok, testPassword, testPassword); err != nil {
			t.Fatal(err)
		}
		a, err := e.svc.SignIn(ctx, src, "newhead@brookfield.test", testPassword)
		if err != nil || a.Schools[0].Role != actor.Head {
			t.Errorf("SignIn = %+v, %v; want head", a, err)
		}
	})
}

func TestDeactivate(t *testing.T) {
	t.Parallel()
	e := newEnv(t, DefaultLimits)
	ctx := context.Background()
	admin := e.member(t, "admin@brookfield.test", actor.Admin)
	staff := e.member(t, "staff@brookfield.test", actor.Staff)

	before, _ := e.svc.Account(ctx, staff.UserID)
	if err := e.svc.SetActive(ctx, admin, staff.UserID, false); err != nil {
		t.Fatal(err)
	}
	after, _ := e.svc.Account(ctx, staff.UserID)
	if after.Epoch == before.Epoch || len(after.Schools) != 0 {
		t.Errorf("after deactivation: epoch %d → %d, schools %v", before.Epoch, after.Epoch, after.Schools)
	}
	if _, err := e.svc.SignIn(ctx, src, "staff@brookfield.test", testPassword); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("sign-in of a deactivated person: err = %v, want ErrBadCredentials", err)
	}
	if n := audits(t, e, "user.deactivate"); n != 1 {
		t.Errorf("deactivations audited = %d", n)
	}
	if err := e.svc.SetActive(ctx, admin, admin.UserID, false); !errors.Is(err, ErrForbidden) {
		t.Errorf("deactivating oneself: err = %v, want ErrForbidden", err)
	}
	if err := e.svc.SetActive(ctx, admin, staff.UserID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SignIn(ctx, src, "staff@brookfield.test", testPassword); err != nil {
		t.Errorf("after reactivation: %v", err)
	}
	other := e.newSchool(t, "elsewhere", "Elsewhere")
	stranger := e.memberOf(t, other, "stranger@elsewhere.test", actor.Staff)
	if err := e.svc.SetActive(ctx, admin, stranger.UserID, false); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("another school's member: err = %v, want db.ErrNotFound", err)
	}
}

func TestPasswordReset(t *testing.T) {
	t.Parallel()
	e := newEnv(t, DefaultLimits)
	ctx := context.Background()
	staff := e.member(t, "staff@brookfield.test", actor.Staff)

	if err := e.svc.RequestPasswordReset(ctx, src, "nobody@brookfield.test"); err != nil {
		t.Fatalf("unknown email: %v", err)
	}
	if n := e.count(t, "river_job WHERE kind = 'email'"); n != 0 {
		t.Errorf("%d emails for an unknown address", n)
	}
	if err := e.svc.RequestPasswordReset(ctx, src, "Staff@Brookfield.test"); err != nil {
		t.Fatal(err)
	}
	tok := linkIn(t, e.emailTo(t, "staff@brookfield.test"), "/reset-password/")
	if _, err := e.svc.PasswordLinkByToken(ctx, "set", tok); !errors.Is(err, ErrLinkInvalid) {
		t.Errorf("a reset link used as a set-password link: err = %v", err)
	}
	before, _ := e.svc.Account(ctx, staff.UserID)
	const newPassword = "violet kettle harbour nine"
	if err := e.svc.SetPasswordByToken(ctx, src, "reset", tok, newPassword, newPassword); err != nil {
		t.Fatal(err)
	}
	after, _ := e.svc.Account(ctx, staff.UserID)
	if after.Epoch == before.Epoch {
		t.Error("a reset did not end the person's sessions")
	}
	if _, err := e.svc.SignIn(ctx, src, "staff@brookfield.test", testPassword); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("old password: err = %v", err)
	}
	if _, err := e.svc.SignIn(ctx, src, "staff@brookfield.test", newPassword); err != nil {
		t.Errorf("new password: %v", err)
	}
	if err := e.svc.SetPasswordByToken(ctx, src, "reset", tok, testPassword, testPassword); !errors.Is(err, ErrLinkInvalid) {
		t.Errorf("second use: err = %v, want ErrLinkInvalid", err)
	}

	t.Run("a reset link lasts an hour", func(t *testing.T) {
		if err := e.svc.RequestPasswordReset(ctx, src, "staff@brookfield.test"); err != nil {
			t.Fatal(err)
		}
		tok := linkIn(t, e.emailTo(t, "staff@brookfield.test"), "/reset-password/")
		var mins float64
		if err := e.d.Owner.QueryRow(ctx, `SELECT extract(epoch FROM expires_at - created_at) / 60 FROM password_tokens WHERE token_hash = $1`,
			hashToken(tok)).Scan(&mins); err != nil || mins != 60 {
			t.Errorf("lifetime = %v minutes (%v), want 60", mins, err)
		}
		if _, err := e.d.Owner.Exec(ctx, `UPDATE password_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1`, hashToken(tok)); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.PasswordLinkByToken(ctx, "reset", tok); !errors.Is(err, ErrLinkInvalid) {
			t.Errorf("expired: err = %v, want ErrLinkInvalid", err)
		}
	})
	t.Run("changing one's password needs the current one", func(t *testing.T) {
		staff.Role = actor.Staff
		_, err := e.svc.ChangePassword(ctx, staff, "wrong current", "fresh meadow lantern 7", "fresh meadow lantern 7")
		if p, ok := errors.AsType[validate.Problems](err); !ok || p["current_password"] == "" {
			t.Errorf("err = %v, want a current_password problem", err)
		}
		epoch, err := e.svc.ChangePassword(ctx, staff, newPassword, "fresh meadow lantern 7", "fresh meadow lantern 7")
		if err != nil {
			t.Fatal(err)
		}
		a, _ := e.svc.Account(ctx, staff.UserID)
		if a.Epoch != epoch {
			t.Errorf("epoch = %d, want the returned %d", a.Epoch, epoch)
		}
	})
	t.Run("an operator's set-password link lasts 24 hours", func(t *testing.T) {
		link, err := e.svc.SetPasswordLink(ctx, actor.SystemIn(e.school), staff.UserID)
		if err != nil {
			t.Fatal(err)
		}
		tok := linkIn(t, link, "/set-password/")
		var hours float64
		if err := e.d.Owner.QueryRow(ctx, `SELECT extract(epoch FROM expires_at - created_at) / 3600 FROM password_tokens WHERE token_hash = $1`,
			hashToken(tok)).Scan(&hours); err != nil || hours != 24 {
			t.Errorf("lifetime = %v hours (%v), want 24", hours, err)
		}
		if err := e.svc.SetPasswordByToken(ctx, src, "set", tok, "quiet river stone 88", "quiet river stone 88"); err != nil {
			t.Error(err)
		}
	})
}
