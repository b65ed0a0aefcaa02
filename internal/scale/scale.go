// Package scale fills a Haven database with fictional data at the size of a
// large trust, a local authority or a national deployment: schools with
// their settings, staff, DSLs, heads and admins, pupils on roll, and years
// of concerns — each with its children and roles, CSE indicators, the DSL's
// acknowledgement, decision, actions and closing, the case events — and
// every school's audit chain, whose hashes are computed as the database
// computes them (audit.Chain), so `haven audit verify` holds.
//
// It is for benchmarks and for trying Haven at scale, never for a database
// with real records. It writes with COPY as the owning role (COPY does not
// go through row-level security) in one transaction, as pg_restore loads a
// dump: for its length the audit chaining trigger and the new-concern
// notification are off (the rows are history, chained in Go; no open queue
// is told of them), and the foreign keys are dropped and then added back,
// which checks every row at once. The same seed and end
// date always give the same data. Generated people cannot sign in: they
// have no password.
package scale

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/havenschools/haven/internal/when"
)

// Options says how much to generate.
type Options struct {
	Schools  int   // schools (at least 1)
	Concerns int   // concerns over all schools
	Seed     int64 // the same seed (and End) gives the same data
	// Prefix starts each school's slug: prefix-0001, prefix-0002, … (default
	// "scale"). Generating refuses a prefix already in use.
	Prefix string
	// End is when the data stops: concerns are recorded in the Years before
	// it (default: the start of today, London time).
	End   time.Time
	Years int // default 3
	// Largest is the first school's share of the concerns, the largest
	// tenant (default 0.05; ignored with one school).
	Largest float64
	// Batch is about how many concerns are planned and copied at a time,
	// which bounds memory (default 20,000; a school is never split).
	Batch int
	// Log receives a line per batch (nil: discarded).
	Log io.Writer
}

// School is one generated school, as the benchmarks need it.
type School struct {
	ID       int64
	Slug     string
	Name     string
	Concerns int
	Open     int // concerns not closed
	// Children is the roll: ids FirstChild … FirstChild+Children-1.
	FirstChild int64
	Children   int
	// Busiest is the child who is the subject of most of the school's
	// concerns, and how many.
	Busiest         int64
	BusiestConcerns int
}

// Result is what Generate wrote.
type Result struct {
	Schools []School
	Rows    map[string]int64 // rows written, by table
	Elapsed time.Duration
}

// Largest is the school with the most concerns.
func (r Result) Largest() School {
	var best School
	for _, s := range r.Schools {
		if s.Concerns > best.Concerns {
			best = s
		}
	}
	return best
}

// Typical is the school whose number of concerns is the median.
func (r Result) Typical() School {
	if len(r.Schools) == 0 {
		return School{}
	}
	sorted := append([]School(nil), r.Schools...)
	for i := 1; i < len(sorted); i++ { // insertion sort: a few hundred schools
		for j := i; j > 0 && sorted[j].Concerns < sorted[j-1].Concerns; j-- {
			sorted[j], sorted[j-1] = sorted[j-1], sorted[j]
		}
	}
	return sorted[len(sorted)/2]
}

// ErrPrefixTaken is returned when schools with the prefix exist already.
var ErrPrefixTaken = errors.New("schools with this prefix exist already: choose another prefix or a fresh database")

// Generate writes the data through pool, which must connect as the role
// that owns Haven's tables (HAVEN_MIGRATE_DATABASE_URL), to a migrated
// database that nothing else is writing to (it reserves blocks of ids from
// the tables' sequences). It then vacuums and analyses the tables it wrote.
func Generate(ctx context.Context, pool *pgxpool.Pool, o Options) (Result, error) {
	start := time.Now()
	if o.Schools < 1 || o.Concerns < 0 {
		return Result{}, errors.New("scale: at least one school and no negative number of concerns")
	}
	if o.Prefix == "" {
		o.Prefix = "scale"
	}
	if o.End.IsZero() {
		now := time.Now().In(when.London())
		o.End = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, when.London())
	}
	if o.Years <= 0 {
		o.Years = 3
	}
	if o.Largest <= 0 {
		o.Largest = 0.05
	}
	if o.Batch <= 0 {
		o.Batch = 20_000
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	var taken bool
	if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schools WHERE slug LIKE $1 || '-%')`, o.Prefix).Scan(&taken); err != nil {
		return Result{}, fmt.Errorf("scale: %w", err)
	}
	if taken {
		return Result{}, fmt.Errorf("scale: prefix %q: %w", o.Prefix, ErrPrefixTaken)
	}

	res := Result{Rows: map[string]int64{}}
	perSchool := shares(o.Seed, o.Schools, o.Concerns, o.Largest)
	// One transaction, as pg_restore loads a dump: the foreign keys are
	// dropped while the rows go in and added back (validated) at the end,
	// so nobody ever sees the tables without them, nor half the data.
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		restore, err := ownerLoad(ctx, tx)
		if err != nil {
			return err
		}
		for first := 0; first < o.Schools; {
			var batch []*schoolPlan
			n := 0
			for first < o.Schools && (len(batch) == 0 || n+perSchool[first] <= o.Batch) {
				batch = append(batch, planSchool(o, first, perSchool[first]))
				n += perSchool[first]
				first++
			}
			t0 := time.Now()
			if err := load(ctx, tx, o, batch, res.Rows); err != nil {
				return fmt.Errorf("schools %s to %s: %w", batch[0].slug, batch[len(batch)-1].slug, err)
			}
			for _, s := range batch {
				res.Schools = append(res.Schools, s.summary())
			}
			fmt.Fprintf(o.Log, "scale: %d schools, %d concerns in %v (%d of %d schools)\n",
				len(batch), n, time.Since(t0).Round(time.Millisecond), first, o.Schools)
		}
		t0 := time.Now()
		if err := restore(); err != nil {
			return err
		}
		fmt.Fprintf(o.Log, "scale: indexes built and foreign keys checked in %v\n", time.Since(t0).Round(time.Millisecond))
		return nil
	})
	if err != nil {
		return Result{}, fmt.Errorf("scale: %w", err)
	}
	t0 := time.Now()
	for _, t := range tables {
		if _, err := pool.Exec(ctx, "VACUUM (ANALYZE) "+pgx.Identifier{t}.Sanitize()); err != nil {
			return Result{}, fmt.Errorf("scale: vacuum %s: %w", t, err)
		}
	}
	fmt.Fprintf(o.Log, "scale: vacuumed and analysed in %v\n", time.Since(t0).Round(time.Millisecond))
	res.Elapsed = time.Since(start)
	return res, nil
}

func (s *schoolPlan) summary() School {
	sum := School{ID: s.id, Slug: s.slug, Name: s.name, Concerns: len(s.concerns), Open: s.open,
		FirstChild: s.firstChild, Children: s.roll}
	per := map[int64]int{}
	for i := range s.concerns {
		if c := s.concerns[i].subject; c != 0 {
			per[c]++
			if per[c] > sum.BusiestConcerns || (per[c] == sum.BusiestConcerns && c < sum.Busiest) {
				sum.Busiest, sum.BusiestConcerns = c, per[c]
			}
		}
	}
	return sum
}

// tables are the tables Generate writes, in the order their rows must go in
// (foreign keys).
var tables = []string{"schools", "school_settings", "concern_categories", "users", "memberships", "children",
	"concerns", "concern_children", "concern_indicators", "concern_decisions", "concern_actions", "concern_events",
	"concern_ref_counters", "audit_events", "audit_heads"}

// load writes one batch of schools in tx.
func load(ctx context.Context, tx pgx.Tx, o Options, batch []*schoolPlan, rows map[string]int64) error {
	var n counts
	for _, s := range batch {
		c := s.counts()
		n.users += c.users
		n.children += c.children
		n.concerns += c.concerns
		n.concernChildren += c.concernChildren
		n.decisions += c.decisions
		n.actions += c.actions
	}
	var next ids
	for _, r := range []struct {
		table string
		n     int
		first *int64
	}{
		{"schools", len(batch), &next.school}, {"users", n.users, &next.user}, {"children", n.children, &next.child},
		{"concerns", n.concerns, &next.concern}, {"concern_children", n.concernChildren, &next.concernChild},
		{"concern_decisions", n.decisions, &next.decision}, {"concern_actions", n.actions, &next.action},
	} {
		var err error
		if *r.first, err = reserve(ctx, tx, r.table, r.n); err != nil {
			return err
		}
	}
	for _, s := range batch {
		s.assign(&next)
	}
	w := &writer{o: o, batch: batch, heads: map[int64][]any{}}
	for _, t := range tables {
		src := w.source(t)
		got, err := tx.CopyFrom(ctx, pgx.Identifier{src.table}, src.columns, src.rows)
		if err != nil {
			return fmt.Errorf("copy %s: %w", t, err)
		}
		rows[t] += got
	}
	return nil
}

func quoted(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = pgx.Identifier{n}.Sanitize()
	}
	return out
}

// reserve takes a block of n ids from table's id sequence and returns the
// first. Nothing else may take ids meanwhile (Generate's documented rule).
func reserve(ctx context.Context, tx pgx.Tx, table string, n int) (int64, error) {
	if n == 0 {
		return 0, nil
	}
	var last int64
	err := tx.QueryRow(ctx, `SELECT setval(pg_get_serial_sequence($1, 'id'), nextval(pg_get_serial_sequence($1, 'id')) + $2 - 1)`,
		table, n).Scan(&last)
	if err != nil {
		return 0, fmt.Errorf("reserve %d ids of %s: %w", n, table, err)
	}
	return last - int64(n) + 1, nil
}

// ownerLoad readies the transaction for the owner's COPY: row-level
// security that is forced on the owner is lifted from the tables written,
// the audit chaining trigger and the new-concern notification are off, and
// so are the tables' foreign keys.
// The returned function puts everything back, still inside the
// transaction, so no other session ever sees the change.
func ownerLoad(ctx context.Context, tx pgx.Tx) (restore func() error, err error) {
	// An owner with BYPASSRLS (as Haven's deployments set it up) needs nothing lifted.
	rows, _ := tx.Query(ctx, `SELECT c.relname FROM pg_class c
		WHERE c.relname = ANY ($1) AND c.relnamespace = current_schema()::regnamespace AND c.relforcerowsecurity
		  AND NOT (SELECT rolbypassrls FROM pg_roles WHERE rolname = current_user)`, tables)
	forced, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("read row-level security: %w", err)
	}
	var undo []string
	for _, t := range forced {
		if _, err := tx.Exec(ctx, "ALTER TABLE "+pgx.Identifier{t}.Sanitize()+" NO FORCE ROW LEVEL SECURITY"); err != nil {
			return nil, err
		}
		undo = append(undo, "ALTER TABLE "+pgx.Identifier{t}.Sanitize()+" FORCE ROW LEVEL SECURITY")
	}
	for _, sql := range []string{
		"ALTER TABLE audit_events DISABLE TRIGGER audit_events_append",
		"ALTER TABLE concerns DISABLE TRIGGER concerns_notify",
	} {
		if _, err := tx.Exec(ctx, sql); err != nil {
			return nil, err
		}
	}
	undo = append(undo, "ALTER TABLE audit_events ENABLE TRIGGER audit_events_append",
		"ALTER TABLE concerns ENABLE TRIGGER concerns_notify")

	// The foreign keys of the tables written, to drop now and add back as
	// they were (adding one checks every row in one query, far faster than
	// a check per row).
	rows, _ = tx.Query(ctx, `SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
		WHERE contype = 'f' AND connamespace = current_schema()::regnamespace
		  AND conrelid IN (SELECT c.oid FROM pg_class c WHERE c.relname = ANY ($1) AND c.relnamespace = current_schema()::regnamespace)
		ORDER BY conrelid, conname`, tables)
	type fk struct{ Table, Name, Def string }
	fks, err := pgx.CollectRows(rows, pgx.RowToStructByPos[fk])
	if err != nil {
		return nil, fmt.Errorf("read foreign keys: %w", err)
	}
	for _, k := range fks {
		if _, err := tx.Exec(ctx, "ALTER TABLE "+k.Table+" DROP CONSTRAINT "+pgx.Identifier{k.Name}.Sanitize()); err != nil {
			return nil, err
		}
	}
	// Likewise the indexes that back no constraint: built once at the end.
	rows, _ = tx.Query(ctx, `SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i
		JOIN pg_class c ON c.oid = i.indrelid
		WHERE c.relname = ANY ($1) AND c.relnamespace = current_schema()::regnamespace
		  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
		ORDER BY 1`, tables)
	type index struct{ Name, Def string }
	indexes, err := pgx.CollectRows(rows, pgx.RowToStructByPos[index])
	if err != nil {
		return nil, fmt.Errorf("read indexes: %w", err)
	}
	var build []string
	for _, ix := range indexes {
		if _, err := tx.Exec(ctx, "DROP INDEX "+ix.Name); err != nil {
			return nil, err
		}
		build = append(build, ix.Def)
	}
	analyze := "ANALYZE " + strings.Join(quoted(tables), ", ") // the checks' plans need the new sizes
	undo = append(append(build, analyze), undo...)
	for _, k := range fks {
		undo = append(undo, "ALTER TABLE "+k.Table+" ADD CONSTRAINT "+pgx.Identifier{k.Name}.Sanitize()+" "+k.Def)
	}
	return func() error {
		for _, sql := range undo {
			if _, err := tx.Exec(ctx, sql); err != nil {
				return err
			}
		}
		return nil
	}, nil
}
