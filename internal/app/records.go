package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/records"
	"github.com/havenschools/haven/internal/validate"
)

func exportCmd(ctx context.Context, env Env, args []string) error {
	fs := flags(env, "export")
	slug := fs.String("school", "", "the school's short name")
	format := fs.String("format", "csv", "csv, xlsx or json (docs/export-format.md)")
	reason := fs.String("reason", "", "why the export is needed (recorded and shown to the school's DSL team)")
	from := fs.String("from", "", "only concerns recorded on or after this date, YYYY-MM-DD")
	to := fs.String("to", "", "only concerns recorded on or before this date, YYYY-MM-DD")
	status := fs.String("status", "", "only concerns with this status: submitted, acknowledged, in_progress or closed")
	category := fs.String("category", "", "only concerns with this category key, e.g. cse")
	out := fs.String("out", "", "write to this file (created, never overwritten); default standard output")
	if err := fs.Parse(args); err != nil {
		return err
	}
	r := records.Request{Format: records.Format(*format), Reason: *reason,
		Filter: records.Filter{Status: *status, Category: *category}}
	var err error
	if r.Filter.From, err = flagDate("--from", *from); err != nil {
		return err
	}
	if r.Filter.To, err = flagDate("--to", *to); err != nil {
		return err
	}
	return withAppPool(ctx, env, func(pool *pgxpool.Pool, cfg Config) error {
		sc, err := schoolBySlug(ctx, pool, *slug)
		if err != nil {
			return err
		}
		var w io.Writer = env.Stdout
		if *out != "" {
			f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return err
			}
			defer f.Close()
			w = f
		}
		by := actor.SystemIn(sc.ID)
		by.Source = cliSource("export")
		e, err := records.NewService(pool, nil, cfg.BaseURL).OperatorExport(ctx, by, r, w, func(done, total int) {
			fmt.Fprintf(env.Stderr, "\r%d of %d concerns", done, total)
		})
		fmt.Fprintln(env.Stderr)
		if p, ok := errors.AsType[validate.Problems](err); ok {
			return problemsError(p, map[string]string{"format": "--format", "reason": "--reason", "status": "--status",
				"category": "--category", "to": "--to"})
		}
		if err != nil {
			return err
		}
		if *out != "" {
			fmt.Fprintf(env.Stdout, "Exported %d concerns of %s to %s (%d bytes); recorded as export %s.\n",
				e.RowsDone, sc.Name, *out, e.SizeBytes, e.PublicID)
		}
		return nil
	})
}

// flagDate reads a YYYY-MM-DD flag; empty is the zero time.
func flagDate(name, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %q is not a date like 2026-09-01", name, s)
	}
	return t, nil
}
