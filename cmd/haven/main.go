// Command haven runs Haven, the safeguarding concern-reporting service for
// schools. Everything it does lives in internal/app; main only wires the
// process (signals, arguments, environment, exit code) to it.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/havenschools/haven/internal/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := app.Run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "haven:", err)
		os.Exit(1)
	}
}
