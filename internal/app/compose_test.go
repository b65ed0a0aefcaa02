package app_test

import (
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/havenschools/haven/internal/app"
)

// composeFile is the part of docker-compose.yml the test reads.
type composeFile struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Command     []string          `yaml:"command"`
		Environment map[string]string `yaml:"environment"`
		Volumes     []string          `yaml:"volumes"`
		Profiles    []string          `yaml:"profiles"`
		Healthcheck struct {
			Test []string `yaml:"test"`
		} `yaml:"healthcheck"`
		DependsOn map[string]struct {
			Condition string `yaml:"condition"`
		} `yaml:"depends_on"`
	} `yaml:"services"`
	Volumes map[string]any `yaml:"volumes"`
}

// TestComposeFile checks docker-compose.yml (docs/deployment.md): it parses,
// the database's init script creates the two roles, the migrations run once
// as the owner before Haven starts as the app role, every service has a
// health check, its named volumes are declared, and every variable it gives
// Haven is one Haven reads.
func TestComposeFile(t *testing.T) {
	b, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}

	// What Haven reads: its configuration, and what the command line reads.
	read := map[string]bool{}
	record := func(k string) string { read[k] = true; return "" }
	_, _ = app.LoadConfig(record)
	_ = app.Run(t.Context(), []string{"version"}, record, nil, io.Discard, io.Discard)

	user := regexp.MustCompile(`^postgres://([a-z_]+):\$\{[A-Z_]+\}@db:5432/haven\?sslmode=disable$`)
	roleOf := func(service, env string) string {
		m := user.FindStringSubmatch(c.Services[service].Environment[env])
		if m == nil {
			t.Errorf("%s: %s = %q, want postgres://ROLE:${PASSWORD}@db:5432/haven", service, env, c.Services[service].Environment[env])
			return ""
		}
		return m[1]
	}
	for _, name := range []string{"db", "migrate", "haven", "mailpit"} {
		s, ok := c.Services[name]
		if !ok {
			t.Errorf("no service %s", name)
			continue
		}
		if (name == "db" || name == "mailpit") && len(s.Healthcheck.Test) == 0 {
			t.Errorf("service %s has no health check", name)
		}
		for _, v := range s.Volumes {
			src, _, _ := strings.Cut(v, ":")
			if strings.HasPrefix(src, "./") {
				if _, err := os.Stat("../../" + src); err != nil {
					t.Errorf("service %s mounts %s: %v", name, src, err)
				}
			} else if _, ok := c.Volumes[src]; !ok {
				t.Errorf("service %s uses the volume %s, which is not declared", name, src)
			}
		}
		if name != "migrate" && name != "haven" {
			continue
		}
		if s.Image != "${HAVEN_IMAGE:-localhost/haven:latest}" {
			t.Errorf("service %s runs %q, want make image's localhost/haven:latest", name, s.Image)
		}
		for k := range s.Environment {
			if !read[k] {
				t.Errorf("service %s sets %s, which Haven does not read", name, k)
			}
		}
	}
	if got := c.Services["migrate"].Command; !slices.Equal(got, []string{"migrate"}) {
		t.Errorf("migrate runs %v", got)
	}
	if r := roleOf("migrate", "HAVEN_MIGRATE_DATABASE_URL"); r != "haven_owner" {
		t.Errorf("migrations run as %q, want the owner haven_owner", r)
	}
	if r := roleOf("haven", "DATABASE_URL"); r != "haven_app" {
		t.Errorf("Haven serves as %q, want the app role haven_app", r)
	}
	if _, ok := c.Services["haven"].Environment["HAVEN_MIGRATE_DATABASE_URL"]; ok {
		t.Error("the web server is given the owner's URL: only migrate should have it")
	}
	// Haven's health check is the image's, in exec form (it has no shell).
	if got := c.Services["haven"].Healthcheck.Test; got != nil {
		t.Errorf("the haven service overrides the image's health check with %v", got)
	}
	cf, err := os.ReadFile("../../Containerfile")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(cf), `CMD ["/haven", "healthcheck"]`) {
		t.Error(`the Containerfile has no health check CMD ["/haven", "healthcheck"]`)
	}
	if d := c.Services["haven"].DependsOn["migrate"].Condition; d != "service_completed_successfully" {
		t.Errorf("haven waits for migrate with %q, want service_completed_successfully", d)
	}
	if d := c.Services["migrate"].DependsOn["db"].Condition; d != "service_healthy" {
		t.Errorf("migrate waits for db with %q, want service_healthy", d)
	}
	if p := c.Services["mailpit"].Profiles; !slices.Equal(p, []string{"mail"}) {
		t.Errorf("mailpit's profiles are %v, want it optional (profile mail)", p)
	}

	// The init script creates the roles as docs/deployment.md does.
	init, err := os.ReadFile("../../deploy/compose/initdb/10-haven-roles.sh")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"CREATE ROLE haven_owner LOGIN PASSWORD :'owner_pw' NOSUPERUSER NOCREATEDB NOCREATEROLE BYPASSRLS;",
		"CREATE ROLE haven_app   LOGIN PASSWORD :'app_pw'   NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;",
		"CREATE DATABASE haven OWNER haven_owner;",
	} {
		if !strings.Contains(string(init), want) {
			t.Errorf("the init script does not say %q", want)
		}
	}
}
