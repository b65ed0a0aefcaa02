// Package app is Haven's wiring: configuration, the database (embedded or
// configured), migrations, the HTTP server and its graceful shutdown, and
// every subcommand of the haven binary.
package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
)

// Env is what a subcommand may use of the process: arguments are passed
// separately so tests can run commands in-process.
type Env struct {
	Getenv func(string) string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Log    *slog.Logger
}

type command struct {
	name, usage, summary string
	run                  func(ctx context.Context, env Env, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "haven serve [-addr host:port]", "run the web server (the default)", serveCmd},
		{"migrate", "haven migrate", "apply database migrations as the owning role, then exit", migrateCmd},
		{"demo", "haven demo [--schools N --concerns M [--seed S]]", "seed the demo school, Demo Academy, into the configured database (and fictional data at scale)", demoCmd},
		{"healthcheck", "haven healthcheck [-url URL] [-timeout 5s]", "exit 0 when the running server is ready (for container and systemd probes)", healthcheckCmd},
		{"audit", "haven audit <verify|checkpoint> [flags]", "verify the audit trail's hash chains, or sign their heads", auditCmd},
		{"school", "haven school create --slug SLUG --name NAME", "create a school with the default settings", schoolCmd},
		{"export", "haven export --school SLUG --reason TEXT [--format csv|xlsx|json] [--from DATE] [--to DATE] [--status S] [--category KEY] [--out FILE]",
			"export a school's concerns with their decisions and actions (recorded, audited)", exportCmd},
		{"retention", "haven retention run [--school SLUG]", "list the records due for a retention review (and email the DSLs)", retentionCmd},
		{"backup", "haven backup --out FILE [--pubkey FILE]", "write the database, the audit key's public half and the last checkpoints to one file", backupCmd},
		{"restore", "haven restore [--pubkey FILE] FILE", "load a backup into an empty database, then verify its audit trail", restoreCmd},
		{"user", "haven user <create|reset-2fa|set-role> [flags]", "create a user, reset a second factor, or set a role (break-glass)", userCmd},
		{"version", "haven version", "print Haven's version", func(_ context.Context, env Env, _ []string) error {
			fmt.Fprintln(env.Stdout, "haven", currentStamp())
			return nil
		}},
	}
}

// Run runs the haven command line: args are the arguments after the program name.
func Run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	env := Env{Getenv: getenv, Stdin: stdin, Stdout: stdout, Stderr: stderr,
		Log: slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: logLevel(getenv("HAVEN_LOG_LEVEL"))}))}
	if len(args) == 0 {
		return serveCmd(ctx, env, nil)
	}
	name := args[0]
	if name == "help" || name == "-h" || name == "-help" || name == "--help" {
		return help(env, args[1:])
	}
	if name == "--version" || name == "-version" {
		name = "version"
	}
	if strings.HasPrefix(name, "-") {
		return serveCmd(ctx, env, args) // flags only: serve
	}
	for _, c := range commands() {
		if c.name == name {
			err := c.run(ctx, env, args[1:])
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			return err
		}
	}
	return fmt.Errorf("unknown command %q (haven help lists them)", name)
}

func help(env Env, args []string) error {
	if len(args) > 0 {
		for _, c := range commands() {
			if c.name == args[0] {
				err := c.run(context.Background(), env, []string{"-h"})
				if errors.Is(err, flag.ErrHelp) {
					return nil
				}
				return err
			}
		}
		return fmt.Errorf("unknown command %q", args[0])
	}
	fmt.Fprintln(env.Stdout, "Haven records safeguarding concerns in schools.\n\nUsage: haven <command> [flags]\n\nCommands:")
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	for _, c := range commands() {
		fmt.Fprintf(tw, "  %s\t%s\n", c.name, c.summary)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, "\nhaven <command> -h describes a command. Configuration comes from the environment: see README.md.")
	return nil
}

// flags returns a FlagSet for a subcommand that prints its usage to env.Stdout on -h.
func flags(env Env, name string) *flag.FlagSet {
	usage, summary := usageOf(name)
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.Stdout, "Usage: %s\n\n%s.\n", usage, summary)
		fs.SetOutput(env.Stdout)
		fs.PrintDefaults()
		fs.SetOutput(env.Stderr)
	}
	return fs
}

func usageOf(name string) (usage, summary string) {
	for _, c := range commands() {
		if c.name == name {
			return c.usage, c.summary
		}
	}
	return name, ""
}

func logLevel(s string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return slog.LevelInfo
	}
	return l
}
