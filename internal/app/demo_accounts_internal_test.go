package app

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/auth"
	"github.com/havenschools/haven/internal/db/dbtest"
	"github.com/havenschools/haven/internal/school"
)

func TestDemoLogins(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t)
	ctx := context.Background()
	sc, err := school.NewService(d.App).Create(ctx, actor.Actor{Role: actor.System}, DemoSlug, "Demo Academy")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "demo-logins.txt")
	seed := func() string {
		var out bytes.Buffer
		env := Env{Stdout: &out, Stderr: io.Discard, Log: slog.New(slog.DiscardHandler)}
		if err := seedDemoAccounts(ctx, d.App, env, sc, file); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	first := seed()
	line := regexp.MustCompile(`(?m)^  (\S+@demo\.haven\.test)  (\S+)$`)
	logins := line.FindAllStringSubmatch(first, -1)
	if len(logins) != 4 {
		t.Fatalf("printed %d logins, want 4:\n%s", len(logins), first)
	}
	svc := auth.NewService(d.App, nil, auth.Config{})
	for _, l := range logins {
		a, err := svc.SignIn(ctx, actor.Source{ClientIP: "192.0.2.1"}, l[1], l[2])
		if err != nil {
			t.Errorf("%s cannot sign in with the printed password: %v", l[1], err)
			continue
		}
		if want := !strings.HasPrefix(l[1], "staff@"); a.NeedsSecondFactor != want {
			t.Errorf("%s: NeedsSecondFactor = %v, want %v", l[1], a.NeedsSecondFactor, want)
		}
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("logins file: %v, mode %v; want 0600", err, fi.Mode().Perm())
	}
	if second := seed(); second != first {
		t.Errorf("a later start printed other logins:\n%s\n---\n%s", first, second)
	}
	st, err := school.NewService(d.App).Settings(ctx, actor.SystemIn(sc.ID))
	if err != nil || len(st.DSLContacts) != 2 || !strings.HasPrefix(st.FrontDoorPhone, "01632 960") {
		t.Errorf("demo settings = %+v, %v", st, err)
	}
	for _, c := range st.DSLContacts {
		if !strings.HasPrefix(c.Phone, "01632 960") {
			t.Errorf("a demo phone number outside Ofcom's drama range: %s", c.Phone)
		}
	}
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	third := seed()
	if third == first || len(line.FindAllStringSubmatch(third, -1)) != 4 {
		t.Errorf("with the file gone, the logins were not renewed:\n%s", third)
	}
}
