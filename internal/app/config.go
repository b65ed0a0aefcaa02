package app

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is Haven's configuration, read from the environment (DESIGN.md's
// table). A secret may instead come from the file named by NAME_FILE.
type Config struct {
	DatabaseURL        string        // DATABASE_URL: the app's own role; unset: the embedded default
	MigrateDatabaseURL string        // HAVEN_MIGRATE_DATABASE_URL: the owning role; default DATABASE_URL
	Addr               string        // HAVEN_ADDR: listen address; default 127.0.0.1:8080
	BaseURL            string        // HAVEN_BASE_URL: public URL for links in emails; default http://HAVEN_ADDR
	DataDir            string        // HAVEN_DATA_DIR: embedded Postgres and dev outbox; default ./.data
	SMTPURL            string        // HAVEN_SMTP_URL: outgoing mail; unset: files in DataDir/outbox
	MailFrom           string        // HAVEN_MAIL_FROM: sender; default haven@localhost
	AuditKeyFile       string        // HAVEN_AUDIT_KEY_FILE: Ed25519 key signing audit checkpoints
	MetricsAddr        string        // HAVEN_METRICS_ADDR: Prometheus listener; unset: off
	TrustProxy         bool          // HAVEN_TRUST_PROXY: TLS-terminating proxy in front
	DBMaxConns         int32         // HAVEN_DB_MAX_CONNS: pool size; default db.DefaultMaxConns
	SessionIdle        time.Duration // HAVEN_SESSION_IDLE_TIMEOUT: default 30m
	SessionLifetime    time.Duration // HAVEN_SESSION_LIFETIME: default 12h
	ShutdownDelay      time.Duration // HAVEN_SHUTDOWN_DELAY: not-ready time before shutdown; default 0 (5s behind a load balancer)
	Chromium           string        // HAVEN_CHROMIUM: the Chromium that prints a child's file as PDF; default chromium on the PATH
}

// LoadConfig reads the configuration through getenv and checks it.
func LoadConfig(getenv func(string) string) (Config, error) {
	var problems []string
	str := func(name, def string) string {
		v, err := secret(getenv, name)
		if err != nil {
			problems = append(problems, err.Error())
		}
		if v == "" {
			return def
		}
		return v
	}
	dur := func(name string, def time.Duration) time.Duration {
		v := getenv(name)
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			problems = append(problems, fmt.Sprintf("%s: %q is not a duration like 30m or 12h", name, v))
			return def
		}
		return d
	}
	c := Config{
		DatabaseURL:     str("DATABASE_URL", ""),
		Addr:            str("HAVEN_ADDR", "127.0.0.1:8080"),
		DataDir:         str("HAVEN_DATA_DIR", ".data"),
		SMTPURL:         str("HAVEN_SMTP_URL", ""),
		MailFrom:        str("HAVEN_MAIL_FROM", "haven@localhost"),
		AuditKeyFile:    str("HAVEN_AUDIT_KEY_FILE", ""),
		MetricsAddr:     str("HAVEN_METRICS_ADDR", ""),
		SessionIdle:     dur("HAVEN_SESSION_IDLE_TIMEOUT", 30*time.Minute),
		SessionLifetime: dur("HAVEN_SESSION_LIFETIME", 12*time.Hour),
		ShutdownDelay:   dur("HAVEN_SHUTDOWN_DELAY", 0),
		Chromium:        str("HAVEN_CHROMIUM", ""),
	}
	c.MigrateDatabaseURL = str("HAVEN_MIGRATE_DATABASE_URL", c.DatabaseURL)
	c.BaseURL = strings.TrimRight(str("HAVEN_BASE_URL", "http://"+c.Addr), "/")
	if v := getenv("HAVEN_TRUST_PROXY"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			problems = append(problems, fmt.Sprintf("HAVEN_TRUST_PROXY: %q is not true or false", v))
		}
		c.TrustProxy = b
	}
	if v := getenv("HAVEN_DB_MAX_CONNS"); v != "" {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil || n < 1 {
			problems = append(problems, fmt.Sprintf("HAVEN_DB_MAX_CONNS: %q is not a positive number", v))
		}
		c.DBMaxConns = int32(n)
	}
	if c.SessionIdle > c.SessionLifetime {
		problems = append(problems, "HAVEN_SESSION_IDLE_TIMEOUT is longer than HAVEN_SESSION_LIFETIME")
	}
	if len(problems) > 0 {
		return c, fmt.Errorf("configuration: %s", strings.Join(problems, "; "))
	}
	return c, nil
}

// secret returns the variable name, or the contents of the file named by
// name_FILE (trailing newline trimmed). Setting both is an error.
func secret(getenv func(string) string, name string) (string, error) {
	v, file := getenv(name), getenv(name+"_FILE")
	if file == "" {
		return v, nil
	}
	if v != "" {
		return "", fmt.Errorf("both %s and %s_FILE are set", name, name)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("%s_FILE: %w", name, err)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// Embedded reports whether Haven runs on the embedded development database.
func (c Config) Embedded() bool { return c.DatabaseURL == "" }
