package app

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/auth"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/school"
)

// demoPeople are Demo Academy's logins (DESIGN.md): one of each role.
var demoPeople = []struct {
	email, name string
	role        actor.Role
}{
	{"staff@demo.haven.test", "Sam Taylor", actor.Staff},
	{"dsl@demo.haven.test", "Priya Shah", actor.DSL},
	{"head@demo.haven.test", "Jordan Hughes", actor.Head},
	{"admin@demo.haven.test", "Alex Morgan", actor.Admin},
}

// demoLoginsFile keeps the embedded default's demo logins between runs
// (mode 0600, beside its database), so `make run` can print them each time.
func demoLoginsFile(cfg Config) string { return filepath.Join(cfg.DataDir, "demo-logins.txt") }

// demoSettings are Demo Academy's contacts: fictional numbers from Ofcom's
// drama range (01632 960xxx), never a real service's.
var demoSettings = school.SettingsForm{
	DSLNames:        []string{"Priya Shah", "Jordan Hughes"},
	DSLPhones:       []string{"01632 960001", "01632 960002"},
	FrontDoorName:   "Demo Borough Children's Services front door (MASH)",
	FrontDoorPhone:  "01632 960100",
	OutOfHoursName:  "Demo Borough Emergency Duty Team",
	OutOfHoursPhone: "01632 960200",
}

// seedDemoAccounts gives Demo Academy its four demo people and contacts,
// with random passwords made on first seed, and prints the logins one a
// line as "email  password". With loginsFile, the logins are kept there and
// printed again on every later run; a person whose password is not in the
// file (the file was deleted) gets a new one. The DSL, head and admin set
// up their authenticator app at first sign-in, as real people do.
func seedDemoAccounts(ctx context.Context, pool *pgxpool.Pool, env Env, sc school.School, loginsFile string) error {
	svc := auth.NewService(pool, nil, auth.Config{})
	by := actor.SystemIn(sc.ID)
	by.Source = cliSource("demo")
	kept := readDemoLogins(loginsFile)
	created := false
	var lines []string
	for _, p := range demoPeople {
		id, err := svc.UserIDByEmail(ctx, p.email)
		switch {
		case errors.Is(err, db.ErrNotFound):
			if id, err = svc.CreateUser(ctx, by, auth.NewUser{Email: p.email, Name: p.name, Role: p.role}); err != nil {
				return err
			}
			created = true
		case err != nil:
			return err
		}
		pw, ok := kept[p.email]
		if !ok {
			if loginsFile == "" && !created {
				lines = append(lines, p.email+"  (made by an earlier `haven demo`: its password was printed then)")
				continue
			}
			pw = demoPassword()
			if err := svc.SetPassword(ctx, by, id, pw); err != nil {
				return err
			}
		}
		lines = append(lines, p.email+"  "+pw)
	}
	if created {
		st, err := school.NewService(pool).Settings(ctx, by)
		if err != nil {
			return err
		}
		f := school.FormFrom(st)
		f.DSLNames, f.DSLPhones = demoSettings.DSLNames, demoSettings.DSLPhones
		f.FrontDoorName, f.FrontDoorPhone = demoSettings.FrontDoorName, demoSettings.FrontDoorPhone
		f.OutOfHoursName, f.OutOfHoursPhone = demoSettings.OutOfHoursName, demoSettings.OutOfHoursPhone
		if err := school.NewService(pool).UpdateSettings(ctx, by, f); err != nil {
			return err
		}
	}
	text := strings.Join(lines, "\n") + "\n"
	if loginsFile != "" {
		if err := os.WriteFile(loginsFile, []byte(text), 0o600); err != nil {
			return err
		}
		if err := os.Chmod(loginsFile, 0o600); err != nil {
			return err
		}
	}
	fmt.Fprintf(env.Stdout, "Demo logins for %s (the DSL, head and admin set up an authenticator app at first sign-in):\n%s", sc.Name, indent(text))
	return nil
}

// readDemoLogins reads "email  password" lines; a missing file is none.
func readDemoLogins(path string) map[string]string {
	out := map[string]string{}
	if path == "" {
		return out
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return out
	}
	for line := range bytes.Lines(b) {
		email, pw, ok := strings.Cut(strings.TrimSpace(string(line)), "  ")
		if ok && !strings.HasPrefix(pw, "(") {
			out[email] = strings.TrimSpace(pw)
		}
	}
	return out
}

func indent(text string) string {
	var b strings.Builder
	for line := range strings.Lines(text) {
		b.WriteString("  " + line)
	}
	return b.String()
}

// demoPassword is a random password of 16 letters and digits in four
// groups (about 79 bits): easy to type, never on a common-password list.
func demoPassword() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	var s strings.Builder
	for i, c := range b {
		if i > 0 && i%4 == 0 {
			s.WriteByte('-')
		}
		s.WriteByte(alphabet[int(c)%len(alphabet)])
	}
	return s.String()
}
