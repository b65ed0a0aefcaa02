package db_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/audit"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/db/dbtest"
)

// TestSettingsDoNotLeakBetweenPooledConnections runs many goroutines on
// one small pool (so connections are reused all the time), alternating two
// schools, and checks every row each transaction sees belongs to its own
// school; between them, transactions with no school, transactions that
// fail and plain queries outside a transaction must see nothing. Run
// under the race detector (make test).
func TestSettingsDoNotLeakBetweenPooledConnections(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t)
	ctx := t.Context()

	// Two schools, each with a member, terms and audit events.
	schools := map[int64]int{}   // school → rows it has in each table
	members := map[int64]int64{} // school → its member
	for i, slug := range []string{"north", "south"} {
		school := dbtest.MustSchool(t, d.Owner, slug, slug)
		user := dbtest.MustMember(t, d.Owner, school, slug+"@example.test", slug+"@example.test", actor.DSL).UserID
		n := 2 + i // different counts, so a mix-up shows in the numbers too
		for j := range n {
			if _, err := d.Owner.Exec(ctx, `INSERT INTO school_terms (school_id, name, starts_on, ends_on)
				VALUES ($1, $2, '2026-09-01', '2026-12-18')`, school, fmt.Sprint("Term ", j)); err != nil {
				t.Fatal(err)
			}
			by := actor.Actor{UserID: user, SchoolID: school, Role: actor.DSL}
			if err := db.InSchool(ctx, d.App, by, func(tx pgx.Tx) error {
				return audit.Record(ctx, tx, by, audit.Event{Action: "concern.view", SubjectType: "concern", SubjectID: "C-1"})
			}); err != nil {
				t.Fatal(err)
			}
		}
		schools[school], members[school] = n, user
	}
	ids := make([]int64, 0, len(schools))
	for id := range schools {
		ids = append(ids, id)
	}

	cfg, err := pgxpool.ParseConfig(d.AppURL)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 3
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()

	// schoolIDs returns the school_id of every row of the fenced tables
	// that q sees.
	schoolIDs := func(ctx context.Context, q db.Querier) ([]int64, error) {
		rows, _ := q.Query(ctx, `SELECT school_id FROM school_terms
			UNION ALL SELECT school_id FROM audit_events
			UNION ALL SELECT school_id FROM memberships`)
		return pgx.CollectRows(rows, pgx.RowTo[int64])
	}
	errFailOnPurpose := errors.New("fail on purpose")
	const workers, rounds = 8, 60
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				school := ids[(w+i)%len(ids)]
				by := actor.Actor{UserID: members[school], SchoolID: school, Role: actor.DSL}
				var seen []int64
				err := db.InSchool(ctx, pool, by, func(tx pgx.Tx) error {
					var err error
					seen, err = schoolIDs(ctx, tx)
					return err
				})
				if err != nil {
					errs <- err
					continue
				}
				if want := 2*schools[school] + 1; len(seen) != want { // terms, audit events, one membership
					errs <- fmt.Errorf("school %d saw %d rows, want %d", school, len(seen), want)
				}
				for _, s := range seen {
					if s != school {
						errs <- fmt.Errorf("school %d's transaction saw a row of school %d", school, s)
					}
				}
				switch i % 3 {
				case 0: // no transaction at all
					if rows, err := schoolIDs(ctx, pool); err != nil || len(rows) != 0 {
						errs <- fmt.Errorf("a query outside a transaction saw %v (%v), want nothing", rows, err)
					}
				case 1: // a transaction with no school
					_ = db.InTx(ctx, pool, actor.Actor{}, func(tx pgx.Tx) error {
						if rows, err := schoolIDs(ctx, tx); err != nil || len(rows) != 0 {
							errs <- fmt.Errorf("a transaction with no school saw %v (%v), want nothing", rows, err)
						}
						return nil
					})
				case 2: // a school's transaction that fails: rolled back, settings gone
					err := db.InSchool(ctx, pool, by, func(tx pgx.Tx) error { return errFailOnPurpose })
					if !errors.Is(err, errFailOnPurpose) {
						errs <- fmt.Errorf("a failing transaction: %v", err)
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	n := 0
	for err := range errs {
		if n < 10 {
			t.Error(err)
		}
		n++
	}
	if n > 10 {
		t.Errorf("… and %d more", n-10)
	}
	if st := pool.Stat(); st.TotalConns() > 3 || st.AcquireCount() < workers*rounds*2 {
		t.Errorf("pool: %d connections, %d acquisitions; want at most 3 reused many times", st.TotalConns(), st.AcquireCount())
	}
}
