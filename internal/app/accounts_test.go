package app_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/app"
	"github.com/havenschools/haven/internal/auth"
	"github.com/havenschools/haven/internal/db/dbtest"
)

// TestBootstrapCommands is the operator's path on a real database: create a
// school, its first admin (by link and by password on standard input), and
// the break-glass repairs.
func TestBootstrapCommands(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t)
	ctx := context.Background()
	vars := map[string]string{"DATABASE_URL": d.AppURL, "HAVEN_MIGRATE_DATABASE_URL": d.OwnerURL,
		"HAVEN_BASE_URL": "https://haven.example.org"}
	run := func(stdin string, args ...string) (string, error) {
		var out bytes.Buffer
		err := app.Run(ctx, args, func(k string) string { return vars[k] }, strings.NewReader(stdin), &out, io.Discard)
		return out.String(), err
	}
	svc := auth.NewService(d.App, nil, auth.Config{})
	src := actor.Source{ClientIP: "192.0.2.1"}

	if out, err := run("", "school", "create", "--slug", "st-aidans", "--name", "St Aidan's Primary"); err != nil || !strings.Contains(out, "Created St Aidan's Primary") {
		t.Fatalf("school create: %v\n%s", err, out)
	}
	if _, err := run("", "school", "create", "--slug", "Bad Slug!", "--name", "X"); err == nil || !strings.Contains(err.Error(), "--slug") {
		t.Errorf("a bad slug: err = %v, want one naming --slug", err)
	}

	t.Run("user create prints a one-time link valid 24 hours", func(t *testing.T) {
		out, err := run("", "user", "create", "--school", "st-aidans", "--email", "Ada@St-Aidans.test", "--name", "Ada Lovelace", "--role", "admin")
		if err != nil {
			t.Fatalf("user create: %v\n%s", err, out)
		}
		m := regexp.MustCompile(`https://haven\.example\.org/set-password/([A-Za-z0-9_-]{43})`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no set-password link in:\n%s", out)
		}
		if err := svc.SetPasswordByToken(ctx, src, "set", m[1], "quiet river stone 88", "quiet river stone 88"); err != nil {
			t.Fatal(err)
		}
		a, err := svc.SignIn(ctx, src, "ada@st-aidans.test", "quiet river stone 88")
		if err != nil || a.Schools[0].Role != actor.Admin || !a.NeedsSecondFactor {
			t.Errorf("SignIn = %+v, %v; want an admin who needs a second factor", a, err)
		}
		if _, err := run("", "user", "create", "--school", "st-aidans", "--email", "ada@st-aidans.test", "--name", "Ada", "--role", "staff"); err == nil {
			t.Error("creating the same person twice did not fail")
		}
	})
	t.Run("user create --password-stdin takes the password as typed", func(t *testing.T) {
		out, err := run(" spaced out password here \n", "user", "create", "--school", "st-aidans", "--email", "dsl@st-aidans.test",
			"--name", "Dee Ess", "--role", "deputy-dsl", "--password-stdin")
		if err != nil || !strings.Contains(out, "Deputy DSL") || strings.Contains(out, "set-password") {
			t.Fatalf("user create: %v\n%s", err, out)
		}
		if _, err := svc.SignIn(ctx, src, "dsl@st-aidans.test", " spaced out password here "); err != nil {
			t.Errorf("sign in with the password as typed: %v", err)
		}
		if _, err := run("password1234\n", "user", "create", "--school", "st-aidans", "--email", "weak@st-aidans.test",
			"--name", "Weak", "--role", "staff", "--password-stdin"); err == nil || !strings.Contains(err.Error(), "too common") {
			t.Errorf("a common password: err = %v", err)
		}
		if _, err := svc.UserIDByEmail(ctx, "weak@st-aidans.test"); err == nil {
			t.Error("the account with a refused password was created")
		}
	})
	t.Run("reset-2fa and set-role, audited as the system", func(t *testing.T) {
		id, _ := svc.UserIDByEmail(ctx, "ada@st-aidans.test")
		en, err := svc.StartEnrolment(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		code, _ := totp.GenerateCode(strings.ReplaceAll(en.Secret, " ", ""), time.Now())
		if _, err := svc.ConfirmEnrolment(ctx, src, id, code); err != nil {
			t.Fatal(err)
		}
		if out, err := run("", "user", "reset-2fa", "--email", "ada@st-aidans.test"); err != nil {
			t.Fatalf("reset-2fa: %v\n%s", err, out)
		}
		if a, _ := svc.Account(ctx, id); a.Enrolled {
			t.Error("still enrolled after reset-2fa")
		}
		if out, err := run("", "user", "set-role", "--school", "st-aidans", "--email", "dsl@st-aidans.test", "--role", "admin"); err != nil {
			t.Fatalf("set-role: %v\n%s", err, out)
		}
		did, _ := svc.UserIDByEmail(ctx, "dsl@st-aidans.test")
		if a, _ := svc.Account(ctx, did); a.Schools[0].Role != actor.Admin {
			t.Errorf("role after set-role = %s", a.Schools[0].Role)
		}
		if _, err := run("", "user", "set-role", "--school", "st-aidans", "--email", "nobody@st-aidans.test", "--role", "admin"); err == nil {
			t.Error("set-role of an unknown email did not fail")
		}
		for _, action := range []string{"auth.mfa_reset", "user.role_change", "user.create"} {
			n := dbtest.Count(t, d.Owner, `audit_events WHERE action = $1 AND actor_role = 'system' AND request_id LIKE 'cli: haven %'`, action)
			if n == 0 {
				t.Errorf("no %s audited as the system from the command line", action)
			}
		}
		if n := dbtest.Count(t, d.Owner, `audit_events WHERE action = 'user.role_change' AND details::jsonb->>'approval' = 'operator'`); n != 1 {
			t.Errorf("break-glass role changes audited = %d, want 1", n)
		}
	})
	t.Run("user create for an account that has a password changes nothing, or sends a reset", func(t *testing.T) {
		if out, err := run("", "school", "create", "--slug", "st-bedes", "--name", "St Bede's"); err != nil {
			t.Fatalf("school create: %v\n%s", err, out)
		}
		id, _ := svc.UserIDByEmail(ctx, "ada@st-aidans.test") // set her password in the first subtest
		tokens := func() int {
			return dbtest.Count(t, d.Owner, `password_tokens WHERE user_id = $1`, id)
		}
		before := tokens()
		out, err := run("", "user", "create", "--school", "st-bedes", "--email", "ada@st-aidans.test", "--name", "Ada", "--role", "staff")
		if err == nil || !strings.Contains(err.Error(), "already has a Haven account with a password: nothing was changed") {
			t.Fatalf("user create of an account with a password: err = %v, want it to say so\n%s", err, out)
		}
		if strings.Contains(out, "set-password") || strings.Contains(err.Error(), "set-password/") {
			t.Errorf("a set-password link was printed for an account with a password:\n%s", out)
		}
		if n := dbtest.Count(t, d.Owner, `memberships m JOIN schools s ON s.id = m.school_id WHERE s.slug = 'st-bedes' AND m.user_id = $1`, id); n != 0 {
			t.Errorf("memberships in the second school = %d, want 0 (nothing changed)", n)
		}
		if got := tokens(); got != before {
			t.Errorf("password tokens = %d, want %d (no link made)", got, before)
		}

		out, err = run("", "user", "create", "--school", "st-bedes", "--email", "ada@st-aidans.test", "--name", "Ada", "--role", "staff", "--send-reset")
		if err != nil || !strings.Contains(out, "password-reset email") {
			t.Fatalf("--send-reset: %v\n%s", err, out)
		}
		if n := dbtest.Count(t, d.Owner, `password_tokens WHERE user_id = $1 AND purpose = 'reset'`, id); n != 1 {
			t.Errorf("reset tokens = %d, want 1", n)
		}
		if n := dbtest.Count(t, d.Owner, `river_job WHERE kind = 'email' AND args->>'subject' = 'Reset your Haven password'`); n != 1 {
			t.Errorf("queued reset emails = %d, want 1", n)
		}
		if n := dbtest.Count(t, d.Owner, `memberships m JOIN schools s ON s.id = m.school_id WHERE s.slug = 'st-bedes' AND m.user_id = $1`, id); n != 0 {
			t.Errorf("memberships in the second school after --send-reset = %d, want 0", n)
		}

		// An account made but never given a password still gets a link (the first one may have expired).
		if out, err := run("", "user", "create", "--school", "st-aidans", "--email", "new@st-aidans.test", "--name", "New Person", "--role", "staff"); err != nil {
			t.Fatalf("user create: %v\n%s", err, out)
		}
		if out, err := run("", "user", "create", "--school", "st-bedes", "--email", "new@st-aidans.test", "--name", "New Person", "--role", "staff"); err != nil || !strings.Contains(out, "/set-password/") {
			t.Errorf("an account with no password yet, in a second school: %v\n%s", err, out)
		}
	})
	if _, err := run("", "user", "frobnicate"); err == nil || !errors.Is(err, err) {
		t.Error("an unknown subcommand did not fail")
	}
}
