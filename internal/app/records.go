package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/allegation"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/jobs"
	"github.com/havenschools/haven/internal/plural"
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
			fmt.Fprintf(env.Stderr, "\r%d of %s", done, plural.Count(total, "concern", "concerns"))
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
			fmt.Fprintf(env.Stdout, "Exported %s of %s to %s (%d bytes); recorded as export %s.\n",
				plural.Count(e.RowsDone, "concern", "concerns"), sc.Name, *out, e.SizeBytes, e.PublicID)
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

const retentionUsage = `Usage: haven retention run [--school SLUG]

Lists, for every school (or one), the records due for a retention review
(children's records on legal hold are skipped, and listed as skipped):
children's records (date of birth plus the school's retention years, 25 by
default) and concerns about adults (their own rules). Once a day per school
with any due it emails the school's DSLs a link to the review queue, as the
daily job does. Concerns about adults whose removal two people have signed
off are removed now (the sign-off removes them at once; this completes one
whose removal failed). Nothing else is deleted: deleting a child's record
takes a DSL's and an admin's sign-off on the Retention page.
`

func retentionCmd(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || isHelp(args[0]) {
		fmt.Fprint(env.Stdout, retentionUsage)
		if len(args) == 0 {
			return errors.New("haven retention: name a subcommand: run")
		}
		return nil
	}
	if args[0] != "run" {
		return fmt.Errorf("haven retention: unknown subcommand %q (run)", args[0])
	}
	fs := subFlags(env, "retention run", "haven retention run [--school SLUG]", "List the records due for a retention review.")
	slug := fs.String("school", "", "only this school (its short name)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	return withAppPool(ctx, env, func(pool *pgxpool.Pool, cfg Config) error {
		var only []int64
		if *slug != "" {
			sc, err := schoolBySlug(ctx, pool, *slug)
			if err != nil {
				return err
			}
			only = []int64{sc.ID}
		}
		jobClient, err := jobs.New(pool, env.Log)
		if err != nil {
			return err
		}
		reviews, err := records.NewService(pool, jobClient, cfg.BaseURL).ReviewRetention(ctx, only)
		if err != nil {
			return err
		}
		now := time.Now()
		for _, r := range reviews {
			by := actor.SystemIn(r.SchoolID)
			by.Source = cliSource("retention run")
			var due []allegation.Due
			var held []string
			removed := 0
			err := db.InSchool(ctx, pool, by, func(tx pgx.Tx) error {
				var err error
				if due, err = allegation.DueForReview(ctx, tx, r.SchoolID, now); err != nil {
					return err
				}
				if held, err = allegation.Held(ctx, tx, r.SchoolID); err != nil {
					return err
				}
				for _, d := range due {
					if d.Ready() {
						if err := allegation.Delete(ctx, tx, by, r.SchoolID, d.ID, now); err != nil {
							return err
						}
						removed++
					}
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("concerns about adults of school %d: %w", r.SchoolID, err)
			}
			fmt.Fprintf(env.Stdout, "School %d: %s and %s due for review", r.SchoolID,
				plural.Count(len(r.Children), "child's record", "children's records"),
				plural.Count(len(due)-removed, "concern about an adult", "concerns about adults"))
			if removed > 0 {
				fmt.Fprintf(env.Stdout, "; %s removed (two sign-offs)", plural.Count(removed, "concern about an adult", "concerns about adults"))
			}
			if len(r.Held) > 0 {
				fmt.Fprintf(env.Stdout, "; %s on legal hold skipped", plural.Count(len(r.Held), "child's record", "children's records"))
			}
			if len(held) > 0 {
				fmt.Fprintf(env.Stdout, "; %s on legal hold skipped", plural.Count(len(held), "concern about an adult", "concerns about adults"))
			}
			if r.Emailed {
				fmt.Fprint(env.Stdout, "; the DSLs were emailed")
			}
			fmt.Fprintln(env.Stdout)
			for _, c := range r.Children {
				fmt.Fprintf(env.Stdout, "  child %d  review date %s  %s\n", c.ChildID, c.ReviewOn.Format(time.DateOnly), c.State.Label())
			}
			for _, c := range r.Held {
				fmt.Fprintf(env.Stdout, "  child %d  review date %s  %s: skipped\n", c.ChildID, c.ReviewOn.Format(time.DateOnly), c.State.Label())
			}
			for _, ref := range held {
				fmt.Fprintf(env.Stdout, "  %s  on legal hold: skipped\n", ref)
			}
			for _, d := range due {
				if !d.Ready() {
					fmt.Fprintf(env.Stdout, "  %s  due %s  %s\n", d.Ref, d.DueOn.Format(time.DateOnly), d.Reason)
				}
			}
		}
		return nil
	})
}
