package bench

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/havenschools/haven/internal/actor"
	"github.com/havenschools/haven/internal/concern"
	"github.com/havenschools/haven/internal/db"
	"github.com/havenschools/haven/internal/paths"
)

// Bare is the baseline Haven is measured against: net/http and a pgx pool
// (as the app role, under the same row-level security) doing the SQL at
// the heart of each page and nothing else — no sessions, no sign-in, no
// middleware, no templates, no audit of reads, no counts. Who is asking
// comes in the query string.
//
//	POST /concerns?school=&user=&child=&witness=  one transaction of the shape of a submission:
//	     the reference, the concern, its two children, three indicators, the DSLs' email jobs
//	     and the escalation job, the audit row
//	GET  /queue?school=&user=                     the queue's first page: concern.QueueSelect
//	GET  /chronology?school=&user=&child=         a child's concerns: concern.ChronologySelect
type Bare struct {
	URL  string
	pool *pgxpool.Pool
	srv  *http.Server
	done chan error
}

// StartBare serves the baseline on a free loopback port, on a pool of
// maxConns connections to appURL.
func StartBare(ctx context.Context, appURL string, maxConns int32) (*Bare, error) {
	pool, err := db.Open(ctx, appURL, maxConns)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		pool.Close()
		return nil, err
	}
	b := &Bare{URL: "http://" + ln.Addr().String(), pool: pool, done: make(chan error, 1)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /concerns", b.submit)
	mux.HandleFunc("GET /queue", b.queue)
	mux.HandleFunc("GET /chronology", b.chronology)
	b.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { b.done <- b.srv.Serve(ln) }()
	return b, nil
}

// Stop shuts the server down and closes its pool.
func (b *Bare) Stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := b.srv.Shutdown(ctx)
	<-b.done
	b.pool.Close()
	return err
}

func who(r *http.Request, role actor.Role) actor.Actor {
	q := r.URL.Query()
	school, _ := strconv.ParseInt(q.Get("school"), 10, 64)
	user, _ := strconv.ParseInt(q.Get("user"), 10, 64)
	return actor.Actor{SchoolID: school, UserID: user, Role: role}
}

func fail(w http.ResponseWriter, err error) {
	http.Error(w, err.Error(), http.StatusInternalServerError)
}

func (b *Bare) submit(w http.ResponseWriter, r *http.Request) {
	by := who(r, actor.Staff)
	child, _ := strconv.ParseInt(r.URL.Query().Get("child"), 10, 64)
	witness, _ := strconv.ParseInt(r.URL.Query().Get("witness"), 10, 64)
	now := time.Now()
	var ref string
	err := db.InSchool(r.Context(), b.pool, by, func(tx pgx.Tx) error {
		var n int
		if err := tx.QueryRow(r.Context(), `INSERT INTO concern_ref_counters (school_id, year, last_number) VALUES ($1, $2, 1)
			ON CONFLICT (school_id, year) DO UPDATE SET last_number = concern_ref_counters.last_number + 1
			RETURNING last_number`, by.SchoolID, now.Year()).Scan(&n); err != nil {
			return err
		}
		ref = fmt.Sprintf("C-%04d-%06d", now.Year(), n)
		var id int64
		if err := tx.QueryRow(r.Context(), `INSERT INTO concerns (school_id, ref, submission_id, recorded_by, happened_on,
				seen_on, location, account, childs_words, told_dsl, in_danger, categories)
			VALUES ($1, $2, gen_random_uuid(), $3, current_date, current_date, $4, $5, $6, 'not_yet', false, $7)
			RETURNING id`, by.SchoolID, ref, by.UserID, submission.location, submission.account, submission.words,
			submission.categories).Scan(&id); err != nil {
			return err
		}
		var subjectRow int64
		if err := tx.QueryRow(r.Context(), `INSERT INTO concern_children (school_id, concern_id, position, child_id, role)
			VALUES ($1, $2, 0, $3, 'subject'), ($1, $2, 1, $4, 'witness') RETURNING id`,
			by.SchoolID, id, child, witness).Scan(&subjectRow); err != nil {
			return err
		}
		if _, err := tx.Exec(r.Context(), `INSERT INTO concern_indicators (school_id, concern_id, concern_child_id, child_id, code, recorded_by)
			SELECT $1, $2, $3, $4, code, $5 FROM unnest($6::text[]) AS code`,
			by.SchoolID, id, subjectRow, child, by.UserID, submission.indicators); err != nil {
			return err
		}
		if _, err := tx.Exec(r.Context(), `INSERT INTO river_job (kind, queue, args, scheduled_at)
			SELECT 'email', 'email', jsonb_build_object('to', u.email, 'subject', 'New safeguarding concern', 'text', $3::text), now()
			FROM memberships m JOIN users u ON u.id = m.user_id
			WHERE m.school_id = $1 AND m.role = 'dsl' AND m.deactivated_at IS NULL
			UNION ALL
			SELECT 'concern_escalation', 'default', jsonb_build_object('school_id', $1::bigint, 'concern_id', $2::bigint, 'round', 1),
				now() + interval '1 day'`, by.SchoolID, id, "A new safeguarding concern: "+ref); err != nil {
			return err
		}
		_, err := tx.Exec(r.Context(), `INSERT INTO audit_events (school_id, actor_user_id, actor_role, action, subject_type,
				subject_id, details)
			VALUES ($1, $2, 'staff', 'concern.submit', 'concern', $3, '{"children":2}')`, by.SchoolID, by.UserID, ref)
		return err
	})
	if err != nil {
		fail(w, err)
		return
	}
	http.Redirect(w, r, paths.ConcernSubmitted(ref), http.StatusSeeOther)
}

func (b *Bare) queue(w http.ResponseWriter, r *http.Request) {
	by := who(r, actor.DSL)
	sql, args, _ := concern.QueueSelect(by, concern.QueueFilter{}, time.Now(), concern.QueueDefaultLimit)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	err := db.InSchool(r.Context(), b.pool, by, func(tx pgx.Tx) error {
		rows, _ := tx.Query(r.Context(), sql, args)
		defer rows.Close()
		fmt.Fprint(w, "<!doctype html><title>Safeguarding queue</title><h1>Safeguarding queue</h1><ul>")
		for rows.Next() {
			v, err := rows.Values()
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "<li>%s: %s (%v, %v)</li>", html.EscapeString(fmt.Sprint(v[2])), html.EscapeString(fmt.Sprint(v[3])),
				v[9], v[10])
		}
		fmt.Fprint(w, "</ul>")
		return rows.Err()
	})
	if err != nil {
		fail(w, err)
	}
}

func (b *Bare) chronology(w http.ResponseWriter, r *http.Request) {
	by := who(r, actor.DSL)
	child, _ := strconv.ParseInt(r.URL.Query().Get("child"), 10, 64)
	sql, args := concern.ChronologySelect(by.SchoolID, by.UserID, child)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	err := db.InSchool(r.Context(), b.pool, by, func(tx pgx.Tx) error {
		rows, _ := tx.Query(r.Context(), sql, args...)
		defer rows.Close()
		fmt.Fprint(w, "<!doctype html><title>Chronology</title><h1>Chronology</h1><ol>")
		for rows.Next() {
			v, err := rows.Values()
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "<li>%s (%s): %s</li>", html.EscapeString(fmt.Sprint(v[2])), html.EscapeString(fmt.Sprint(v[3])),
				html.EscapeString(fmt.Sprint(v[9])))
		}
		fmt.Fprint(w, "</ol>")
		return rows.Err()
	})
	if errors.Is(err, db.ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		fail(w, err)
	}
}

// submission is what every benchmark submission says, in both stacks.
var submission = struct {
	location, account, words string
	categories, indicators   []string
}{
	location: "The school gate",
	account: "She was collected from the school gate by an adult man who is not on her contact list. " +
		"Her friend said he buys her things and she has a new phone.",
	words:      "He's just a friend, he buys me stuff",
	categories: []string{"cse", "online_safety"},
	indicators: []string{"cars_unknown_adults", "older_groups", "unexplained_money_gifts"},
}
