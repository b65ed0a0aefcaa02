package app

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/auth"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/jobs"
	"github.com/havenschools/haven/internal/notify"
	"github.com/havenschools/haven/internal/school"
	"github.com/havenschools/haven/internal/validate"
)

// The operator's commands for schools and accounts: bootstrapping a real
// deployment (a school and its first admin) and the break-glass repairs
// for when the last admin cannot sign in. They connect as the app role
// (DATABASE_URL) and audit as the system, naming the command.

const schoolUsage = `Usage: haven school create --slug SLUG --name NAME

  create  add a school (a tenant) with Haven's default settings

docs/accounts.md shows how to bootstrap a deployment.
`

const userUsage = `Usage: haven user <create|reset-2fa|set-role> [flags]

  create     add a person to a school with a role; prints a one-time link
             (valid 24 hours) to set their password, or reads the password
             from standard input with --password-stdin
  reset-2fa  remove a person's second factor: they set it up again at
             their next sign-in (for a lost phone)
  set-role   give a person a role in a school at once, without the usual
             approval (break-glass, for when no admin can sign in)

All are audited as the system. haven user <subcommand> -h lists its flags;
docs/accounts.md shows how to bootstrap a deployment.
`

func schoolCmd(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || isHelp(args[0]) {
		fmt.Fprint(env.Stdout, schoolUsage)
		if len(args) == 0 {
			return errors.New("haven school: name a subcommand: create")
		}
		return nil
	}
	if args[0] != "create" {
		return fmt.Errorf("haven school: unknown subcommand %q (create)", args[0])
	}
	fs := subFlags(env, "school create", "haven school create --slug SLUG --name NAME",
		"Add a school with Haven's default settings. SLUG is its short name on the command line\n(lower-case letters, digits and hyphens), NAME what people see.")
	slug := fs.String("slug", "", "the school's short name, e.g. st-aidans")
	name := fs.String("name", "", "the school's name, e.g. \"St Aidan's Primary School\"")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	return withAppPool(ctx, env, func(pool *pgxpool.Pool, _ Config) error {
		sc, err := school.NewService(pool).Create(ctx, actor.Actor{Role: actor.System, Source: cliSource("school create")}, *slug, *name)
		if p, ok := errors.AsType[validate.Problems](err); ok {
			return problemsError(p, map[string]string{"slug": "--slug", "name": "--name"})
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "Created %s (%s). Next: haven user create --school %s --email … --name … --role admin\n", sc.Name, sc.Slug, sc.Slug)
		return nil
	})
}

func userCmd(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || isHelp(args[0]) {
		fmt.Fprint(env.Stdout, userUsage)
		if len(args) == 0 {
			return errors.New("haven user: name a subcommand: create, reset-2fa or set-role")
		}
		return nil
	}
	switch args[0] {
	case "create":
		return userCreateCmd(ctx, env, args[1:])
	case "reset-2fa":
		return userReset2FACmd(ctx, env, args[1:])
	case "set-role":
		return userSetRoleCmd(ctx, env, args[1:])
	}
	return fmt.Errorf("haven user: unknown subcommand %q (create, reset-2fa or set-role)", args[0])
}

func isHelp(s string) bool { return s == "-h" || s == "-help" || s == "--help" || s == "help" }

// cliSource marks audit events as coming from a command.
func cliSource(command string) actor.Source {
	return actor.Source{RequestID: "cli: haven " + command, UserAgent: "haven " + Version()}
}

// withAppPool runs fn on a pool as the app role: the configured database,
// or the embedded default (migrated first).
func withAppPool(ctx context.Context, env Env, fn func(*pgxpool.Pool, Config) error) error {
	cfg, err := LoadConfig(env.Getenv)
	if err != nil {
		return err
	}
	pool, _, closeDB, err := openPool(ctx, cfg, env, poolOptions{maxConns: 2})
	if err != nil {
		return err
	}
	defer closeDB()
	return fn(pool, cfg)
}

// schoolBySlug finds a school for a --school flag.
func schoolBySlug(ctx context.Context, pool *pgxpool.Pool, slug string) (school.School, error) {
	if slug == "" {
		return school.School{}, errors.New("--school is required: the school's short name")
	}
	sc, err := school.NewService(pool).BySlug(ctx, slug)
	if errors.Is(err, db.ErrNotFound) {
		return school.School{}, fmt.Errorf("no school has the short name %q", slug)
	}
	return sc, err
}

// problemsError turns form problems into one error naming the flags.
func problemsError(p validate.Problems, flags map[string]string) error {
	var parts []string
	for _, pr := range p.InOrder("slug", "name", "email", "role", "password") {
		flag := flags[pr.Field]
		if flag == "" {
			flag = pr.Field
		}
		parts = append(parts, flag+": "+pr.Message)
	}
	return errors.New(strings.Join(parts, "; "))
}

func parseRole(s string) (actor.Role, bool, error) {
	switch s {
	case "staff", "dsl", "head", "admin":
		return actor.Role(s), false, nil
	case "deputy-dsl", "deputy":
		return actor.DSL, true, nil
	}
	return "", false, fmt.Errorf("--role must be staff, dsl, deputy-dsl, head or admin, not %q", s)
}

func userCreateCmd(ctx context.Context, env Env, args []string) error {
	fs := subFlags(env, "user create",
		"haven user create --school SLUG --email EMAIL --name NAME --role ROLE [--password-stdin] [--send-reset]",
		"Add a person to a school with a role (staff, dsl, deputy-dsl, head or admin) and print a\n"+
			"one-time link, valid 24 hours, where they set their password. Links start with HAVEN_BASE_URL.\n"+
			"With --password-stdin, read the password from the first line of standard input instead.\n"+
			"An account that already has a password is left as it is: the command says so and changes\n"+
			"nothing (haven user set-role gives it a role here); with --send-reset it also emails them a\n"+
			"password-reset link, sent by the running Haven server.\n"+
			"DSLs, heads and admins set up their authenticator app when they first sign in.")
	slug := fs.String("school", "", "the school's short name")
	email := fs.String("email", "", "the person's email address (they sign in with it)")
	name := fs.String("name", "", "the person's full name")
	roleFlag := fs.String("role", "", "staff, dsl, deputy-dsl, head or admin")
	stdin := fs.Bool("password-stdin", false, "read the password from standard input rather than printing a link")
	sendReset := fs.Bool("send-reset", false, "if the account already has a password, email them a password-reset link")
	if err := fs.Parse(args); err != nil {
		return err
	}
	role, deputy, err := parseRole(*roleFlag)
	if err != nil {
		return err
	}
	var password string
	if *stdin {
		line, err := bufio.NewReader(env.Stdin).ReadString('\n')
		if err != nil && line == "" {
			return errors.New("--password-stdin: no password on standard input")
		}
		password = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r") // the line ending only: the password is as typed
	}
	return withAppPool(ctx, env, func(pool *pgxpool.Pool, cfg Config) error {
		sc, err := schoolBySlug(ctx, pool, *slug)
		if err != nil {
			return err
		}
		svc := auth.NewService(pool, nil, auth.Config{BaseURL: cfg.BaseURL})
		by := actor.SystemIn(sc.ID)
		by.Source = cliSource("user create")
		if *stdin {
			if msg := auth.CheckNewPassword(password, *name, *email, sc.Name); msg != "" {
				return errors.New("the password on standard input: " + msg)
			}
		}
		switch has, err := svc.HasPassword(ctx, *email); {
		case err != nil:
			return err
		case has:
			return existingAccount(ctx, env, pool, cfg, *email, sc, *sendReset)
		}
		id, err := svc.CreateUser(ctx, by, auth.NewUser{Email: *email, Name: *name, Role: role, Deputy: deputy})
		if p, ok := errors.AsType[validate.Problems](err); ok {
			return problemsError(p, map[string]string{"email": "--email", "name": "--name", "role": "--role"})
		}
		if errors.Is(err, auth.ErrAlreadyMember) {
			return fmt.Errorf("%s already has an account in %s (haven user set-role changes its role)", auth.NormaliseEmail(*email), sc.Name)
		}
		if err != nil {
			return err
		}
		who := fmt.Sprintf("%s (%s) in %s", auth.NormaliseEmail(*email), auth.RoleName(role, deputy), sc.Name)
		if *stdin {
			if err := svc.SetPassword(ctx, by, id, password); err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "Created %s, with the password given.\n", who)
			return nil
		}
		link, err := svc.SetPasswordLink(ctx, by, id)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "Created %s.\nSend them this link to set their password (it works once, for 24 hours):\n\n  %s\n\n", who, link)
		return nil
	})
}

// existingAccount answers user create for an account that already has a
// password: nothing was changed, and no set-password link is printed (it
// would let whoever holds it take over an account someone uses). With
// sendReset, the person is emailed a password-reset link, as if they had
// asked on the sign-in page.
func existingAccount(ctx context.Context, env Env, pool *pgxpool.Pool, cfg Config, email string, sc school.School, sendReset bool) error {
	email = auth.NormaliseEmail(email)
	if !sendReset {
		return fmt.Errorf("%s already has a Haven account with a password: nothing was changed "+
			"(haven user set-role gives that account a role in %s; add --send-reset to email them a password reset)", email, sc.Name)
	}
	jc, err := jobs.New(pool, env.Log, func(w *river.Workers) { notify.AddWorkers(w, nil) })
	if err != nil {
		return err
	}
	err = auth.NewService(pool, jc, auth.Config{BaseURL: cfg.BaseURL}).RequestPasswordReset(ctx, cliSource("user create"), email)
	if err != nil {
		return fmt.Errorf("send a password reset to %s: %w", email, err)
	}
	fmt.Fprintf(env.Stdout, "%s already has a Haven account with a password: nothing else was changed.\n"+
		"A password-reset email (a link valid 1 hour) is queued for them; the Haven server sends it.\n", email)
	return nil
}

func userReset2FACmd(ctx context.Context, env Env, args []string) error {
	fs := subFlags(env, "user reset-2fa", "haven user reset-2fa --email EMAIL",
		"Remove a person's second factor and recovery codes, and sign them out everywhere: they set\n"+
			"up their authenticator app again at their next sign-in. Audited in each of their schools.")
	email := fs.String("email", "", "the person's email address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return withAppPool(ctx, env, func(pool *pgxpool.Pool, cfg Config) error {
		svc := auth.NewService(pool, nil, auth.Config{BaseURL: cfg.BaseURL})
		err := svc.OperatorResetSecondFactor(ctx, cliSource("user reset-2fa"), *email)
		if errors.Is(err, db.ErrNotFound) {
			return fmt.Errorf("no account has the email address %q", *email)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "Reset the second factor of %s: they set it up again when they next sign in.\n", auth.NormaliseEmail(*email))
		return nil
	})
}

func userSetRoleCmd(ctx context.Context, env Env, args []string) error {
	fs := subFlags(env, "user set-role", "haven user set-role --school SLUG --email EMAIL --role ROLE",
		"Give an existing account a role in a school at once (adding or reactivating its membership),\n"+
			"without the approval the web asks for: break-glass, for when no admin can sign in. The\n"+
			"person is signed out everywhere. Audited as the system, with the old and new role.")
	slug := fs.String("school", "", "the school's short name")
	email := fs.String("email", "", "the person's email address")
	roleFlag := fs.String("role", "", "staff, dsl, deputy-dsl, head or admin")
	if err := fs.Parse(args); err != nil {
		return err
	}
	role, deputy, err := parseRole(*roleFlag)
	if err != nil {
		return err
	}
	return withAppPool(ctx, env, func(pool *pgxpool.Pool, cfg Config) error {
		sc, err := schoolBySlug(ctx, pool, *slug)
		if err != nil {
			return err
		}
		by := actor.SystemIn(sc.ID)
		by.Source = cliSource("user set-role")
		err = auth.NewService(pool, nil, auth.Config{BaseURL: cfg.BaseURL}).OperatorSetRole(ctx, by, *email, role, deputy)
		if errors.Is(err, db.ErrNotFound) {
			return fmt.Errorf("no account has the email address %q (haven user create adds one)", *email)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "%s is now %s in %s.\n", auth.NormaliseEmail(*email), auth.RoleName(role, deputy), sc.Name)
		return nil
	})
}
