// Command haven runs Haven, the safeguarding concern-reporting service for
// schools. Everything it does lives in internal/app; main only wires the
// process (signals, arguments, environment, exit code) to it.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/havenschools/haven/internal/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run runs the command line and returns the process's exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	if err := app.Run(ctx, args, getenv, stdin, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "haven:", err)
		return 1
	}
	return 0
}
