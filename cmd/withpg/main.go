// Command withpg runs a command with a private PostgreSQL server: it starts
// (creating on first use) a cluster in -dir, exports its superuser URL as
// HAVEN_TEST_DATABASE_URL, runs the command, and stops the cluster. `make
// test` uses it so the whole test run shares one server.
//
//	go run ./cmd/withpg -dir .data/testpg -- go test ./...
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"github.com/havenschools/haven/internal/devdb"
)

func main() {
	dir := flag.String("dir", ".data/testpg", "cluster folder (kept between runs, so test templates are reused)")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: withpg [-dir DIR] -- command [args...]")
		os.Exit(2)
	}
	os.Exit(run(*dir, flag.Args()))
}

func run(dir string, args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c, err := devdb.Start(ctx, devdb.Options{Dir: dir, Fast: true, MaxConnections: 400, Log: os.Stderr})
	if err != nil {
		fmt.Fprintln(os.Stderr, "withpg:", err)
		return 1
	}
	defer c.Stop()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), "HAVEN_TEST_DATABASE_URL="+c.URL("postgres", "postgres"))
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	err = cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "withpg:", err)
		return 1
	}
	return 0
}
