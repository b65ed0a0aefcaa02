package reliability

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestKillDuringSubmissions kills Haven with SIGKILL several times while
// members of staff submit concerns; a supervisor (the test) starts it
// again each time. Submissions that got no confirmation are sent again with
// the same form, as a person would. Every confirmed submission must be
// stored, none twice.
func TestKillDuringSubmissions(t *testing.T) {
	t.Parallel()
	s := newSite(t, people{staff: env.size.workers})
	l := startLoad(t, s, s.staff, 2*time.Minute)
	for i := range env.size.kills {
		l.waitFor(t, env.size.between+rand.IntN(env.size.between+2), time.Minute)
		time.Sleep(rand.N(40 * time.Millisecond)) // anywhere inside a submission
		pid, confirmed := s.h.pid(), l.acks.len()
		s.h.kill()
		start := time.Now()
		s.h.start()
		t.Logf("kill -9 %d of %d (pid %d, after %d confirmations): ready again in %s",
			i+1, env.size.kills, pid, confirmed, time.Since(start).Round(time.Millisecond))
	}
	l.waitFor(t, 2*env.size.workers, time.Minute) // and it goes on taking concerns
	l.end(t)
	t.Logf("%d attempts failed while Haven was down and were sent again", l.retries.Load())
	s.finish(t, l.acks, 0)
}

// TestPostgresStopsDuringLoad stops PostgreSQL immediately (SIGQUIT, as a
// crash) while staff submit concerns, and starts it again. Meanwhile a
// member of staff who presses "Submit concern" gets a 503 page with what
// they typed (sessions live in PostgreSQL, so this comes from the session
// layer's error path); Haven comes back by itself, without a restart.
func TestPostgresStopsDuringLoad(t *testing.T) {
	s := newSite(t, people{staff: env.size.workers + 1})
	probe := s.signIn(t, s.staff[0])
	l := startLoad(t, s, s.staff[1:], 2*time.Minute)
	sid, err := openForm(probe, time.Now().Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	typed := "Outage check: she said the man from the silver car waits by the bus stop on Fridays."
	form := s.concernForm(sid, typed)
	pid := s.h.pid()
	l.waitFor(t, 5, time.Minute)

	env.killCluster()
	down := time.Now()
	t.Run("while PostgreSQL is down, the form comes back with what was typed", func(t *testing.T) {
		r, err := probe.post("/concerns", form)
		if err != nil {
			t.Fatal(err)
		}
		if r.status != http.StatusServiceUnavailable || !strings.Contains(visible(r.body), typed) ||
			!strings.Contains(r.body, `value="`+sid+`"`) {
			t.Errorf("POST /concerns: %d\n%.3000s", r.status, visible(r.body))
		}
		if r, err := probe.get("/my-concerns"); err != nil || r.status != http.StatusServiceUnavailable {
			t.Errorf("GET /my-concerns: %v %d, want 503", err, r.status)
		}
		if r, err := probe.get("/readyz"); err != nil || r.status != http.StatusServiceUnavailable {
			t.Errorf("GET /readyz: %v %d, want 503", err, r.status)
		}
	})
	time.Sleep(time.Until(down.Add(env.size.outage)))
	restart := time.Now()
	env.startCluster(t)
	up := time.Now()
	if err := s.h.waitReady(time.Minute); err != nil {
		t.Fatalf("Haven did not recover: %v", err)
	}
	t.Logf("PostgreSQL killed, started again %s later, took %s to recover and accept connections; Haven's /readyz 200 again %s after that",
		restart.Sub(down).Round(time.Millisecond), up.Sub(restart).Round(time.Millisecond), time.Since(up).Round(time.Millisecond))
	if s.h.pid() != pid || s.h.starts != 1 {
		t.Errorf("Haven was restarted (pid %d, was %d)", s.h.pid(), pid)
	}

	ref, _, err := submit(probe, form, time.Now().Add(time.Minute))
	if err != nil {
		t.Fatalf("the form sent again after the outage: %v", err)
	}
	l.acks.add(sid, ref)
	l.waitFor(t, 2*env.size.workers, time.Minute)
	l.end(t)
	t.Logf("%d attempts failed during the outage and were sent again", l.retries.Load())
	s.finish(t, l.acks, 0)
}

// TestSIGTERMWithRequestsInFlight sends SIGTERM while submissions are
// being received: they complete, /readyz reports not ready at once, new
// connections are refused once the delay has passed, and Haven exits 0
// within 30 seconds.
func TestSIGTERMWithRequestsInFlight(t *testing.T) {
	const inFlight = 4
	t.Parallel()
	s := newSite(t, people{staff: inFlight, env: []string{"HAVEN_SHUTDOWN_DELAY=1s"}})
	a := newAcks()
	type slow struct {
		sid  string
		conn net.Conn
		rest string
	}
	var reqs []slow
	for i := range inFlight {
		c := s.signIn(t, s.staff[i])
		sid, err := openForm(c, time.Now().Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		body := s.concernForm(sid, fmt.Sprintf("In flight at shutdown %d: a message asking her to meet after school.", i)).Encode()
		conn, rest := startSlowPost(t, c, "/concerns", body)
		reqs = append(reqs, slow{sid, conn, rest})
	}
	time.Sleep(300 * time.Millisecond) // every request is in its handler, waiting for the rest of its body

	s.h.signal(syscall.SIGTERM)
	term := time.Now()
	fresh := func() (response, error) { // a new visitor: a new connection
		c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		res, err := c.Get(s.h.URL() + "/readyz")
		if err != nil {
			return response{}, err
		}
		res.Body.Close()
		return response{status: res.StatusCode}, nil
	}
	// Not ready at once (the signal takes a moment to arrive), while new
	// connections are still taken during HAVEN_SHUTDOWN_DELAY.
	notReady := false
	for time.Since(term) < 500*time.Millisecond && !notReady {
		r, err := fresh()
		if err != nil {
			t.Fatalf("/readyz just after SIGTERM: %v", err)
		}
		notReady = r.status == http.StatusServiceUnavailable
	}
	if !notReady {
		t.Error("/readyz still 200 half a second after SIGTERM, want 503")
	}
	refused := false
	for time.Since(term) < 10*time.Second {
		if _, err := fresh(); err != nil {
			if !errRefused(err) {
				t.Errorf("a new request after shutdown began: %v, want connection refused", err)
			}
			refused = true
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !refused {
		t.Error("new connections were still accepted 10 s after SIGTERM")
	}
	t.Logf("new connections refused %s after SIGTERM", time.Since(term).Round(time.Millisecond))

	for i, r := range reqs {
		res := finishSlowPost(t, r.conn, r.rest)
		m := receiptRE.FindStringSubmatch(res.Header.Get("Location"))
		if res.StatusCode != http.StatusSeeOther || m == nil {
			t.Errorf("request %d in flight at SIGTERM: %d to %q, want 303 to its receipt", i, res.StatusCode, res.Header.Get("Location"))
			continue
		}
		a.add(r.sid, m[1])
	}
	select {
	case <-s.h.exitedCh():
	case <-time.After(30*time.Second - time.Since(term)):
		t.Fatal("Haven had not exited 30 s after SIGTERM")
	}
	st := s.h.exitState()
	if st.ExitCode() != 0 {
		t.Errorf("Haven exited with %v, want 0", st)
	}
	t.Logf("Haven exited %d, %s after SIGTERM", st.ExitCode(), time.Since(term).Round(time.Millisecond))
	s.finish(t, a, 0)
}

// startSlowPost sends a form POST over its own connection with the
// client's cookies, and only the first half of its body: the request is in
// flight until finishSlowPost sends the rest.
func startSlowPost(t *testing.T, c *client, path, body string) (net.Conn, string) {
	t.Helper()
	u, err := url.Parse(c.base + path)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	var cookies []string
	for _, k := range c.http.Jar.Cookies(u) {
		cookies = append(cookies, k.String())
	}
	half := len(body) / 2
	head := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\n"+
		"Content-Length: %d\r\nCookie: %s\r\nOrigin: %s\r\nSec-Fetch-Site: same-origin\r\nConnection: close\r\n\r\n",
		path, u.Host, len(body), strings.Join(cookies, "; "), c.base)
	if _, err := conn.Write([]byte(head + body[:half])); err != nil {
		t.Fatal(err)
	}
	return conn, body[half:]
}

func finishSlowPost(t *testing.T, conn net.Conn, rest string) *http.Response {
	t.Helper()
	if _, err := conn.Write([]byte(rest)); err != nil {
		t.Fatalf("the rest of a request in flight: %v", err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("the response to a request in flight: %v", err)
	}
	res.Body.Close()
	return res
}

// TestIdenticalSubmissionPairs sends each form twice at the same moment
// (a double click, two tabs): every pair makes one concern, and both of its
// requests get the same receipt.
func TestIdenticalSubmissionPairs(t *testing.T) {
	t.Parallel()
	const workers = 4
	metrics := freeAddr(t)
	s := newSite(t, people{staff: workers, env: []string{"HAVEN_METRICS_ADDR=" + metrics}})
	a := newAcks()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, env.size.pairs)
	for w := range workers {
		c := s.signIn(t, s.staff[w])
		wg.Go(func() {
			for {
				n := next.Add(1)
				if n > int64(env.size.pairs) {
					return
				}
				sid, err := openForm(c, time.Now().Add(time.Minute))
				if err != nil {
					errs <- err
					return
				}
				form := s.concernForm(sid, fmt.Sprintf("Pair %d: she has a new phone she will not say who gave her.", n))
				var refs [2]string
				var pair sync.WaitGroup
				start := make(chan struct{})
				for i := range refs {
					pair.Go(func() {
						<-start
						r, err := c.post("/concerns", form)
						if err != nil || r.status != http.StatusSeeOther {
							errs <- fmt.Errorf("pair %d, request %d: %v %d\n%.500s", n, i, err, r.status, visible(r.body))
							return
						}
						if m := receiptRE.FindStringSubmatch(r.location); m != nil {
							refs[i] = m[1]
						}
					})
				}
				close(start)
				pair.Wait()
				if refs[0] == "" || refs[0] != refs[1] {
					errs <- fmt.Errorf("pair %d: receipts %q and %q, want one and the same", n, refs[0], refs[1])
					continue
				}
				a.add(sid, refs[0])
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if a.len() != env.size.pairs {
		t.Errorf("%d pairs confirmed, want %d", a.len(), env.size.pairs)
	}
	s.finish(t, a, 0)

	// The metrics count what is stored, and the verification just run.
	text := scrapeMetrics(t, metrics)
	for _, want := range []string{fmt.Sprintf(`haven_concerns_unacknowledged{band="<15m"} %d`, env.size.pairs),
		`haven_concerns_unacknowledged{band=">24h"} 0`, "haven_audit_verify_last_ok 1"} {
		if !strings.Contains(text, want) {
			t.Errorf("the metrics lack %q", want)
		}
	}
}

func scrapeMetrics(t *testing.T, addr string) string {
	t.Helper()
	res, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var versionRE = regexp.MustCompile(`name="version" value="(\d+)"`)

// TestTwoDSLsChangeOneConcern has two DSLs change the urgency of one
// concern over and over at once, each from the page they last opened.
// Every change either lands (303) or is reported as a conflict (409, with
// what changed) — none is lost or overwritten unseen: the concern's
// version, its events and its audit rows count exactly the changes that
// landed.
func TestTwoDSLsChangeOneConcern(t *testing.T) {
	t.Parallel()
	s := newSite(t, people{staff: 1, dsls: true})
	staff := s.signIn(t, s.staff[0])
	sid, err := openForm(staff, time.Now().Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	ref, _, err := submit(staff, s.concernForm(sid, "One concern, changed by two DSLs at once."), time.Now().Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	a := newAcks()
	a.add(sid, ref)

	var landed, conflicts atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 2*env.size.dslChanges)
	for d, email := range []string{"dsl-a@oakfield.test", "dsl-b@oakfield.test"} {
		c := s.signInDSL(t, email)
		wg.Go(func() {
			for i := range env.size.dslChanges {
				r, err := c.get("/concerns/" + ref + "/decision")
				m := versionRE.FindStringSubmatch(r.body)
				if err != nil || r.status != http.StatusOK || m == nil {
					errs <- fmt.Errorf("DSL %d, change %d: open the page: %v %d", d, i, err, r.status)
					return
				}
				urgency := []string{"high", "low", "medium"}[(i+d)%3]
				r, err = c.post("/concerns/"+ref+"/urgency", url.Values{"version": {m[1]}, "urgency": {urgency}})
				switch {
				case err != nil:
					errs <- fmt.Errorf("DSL %d, change %d: %v", d, i, err)
				case r.status == http.StatusSeeOther && r.location == "/concerns/"+ref:
					landed.Add(1)
				case r.status == http.StatusConflict && strings.Contains(r.body, "What changed since you opened it"):
					conflicts.Add(1)
				default:
					errs <- fmt.Errorf("DSL %d, change %d: %d to %q\n%.500s", d, i, r.status, r.location, visible(r.body))
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	ctx := context.Background()
	var version, events, distinct, audited int
	err = s.owner.QueryRow(ctx, `SELECT c.version,
			(SELECT count(*) FROM concern_events e WHERE e.concern_id = c.id AND e.kind = 'urgency'),
			(SELECT count(DISTINCT e.version) FROM concern_events e WHERE e.concern_id = c.id),
			(SELECT count(*) FROM audit_events a WHERE a.chain_id = c.school_id AND a.action = 'concern.urgency' AND a.subject_id = c.ref)
		FROM concerns c WHERE c.school_id = $1 AND c.ref = $2`, s.school, ref).Scan(&version, &events, &distinct, &audited)
	if err != nil {
		t.Fatal(err)
	}
	n := int(landed.Load())
	if version != 1+n || events != n || distinct != n || audited != n {
		t.Errorf("%d changes landed, but version = %d, urgency events = %d (%d versions), audit rows = %d",
			n, version, events, distinct, audited)
	}
	if total := n + int(conflicts.Load()); total != 2*env.size.dslChanges {
		t.Errorf("%d changes landed and %d conflicts reported: %d, want %d", n, conflicts.Load(), total, 2*env.size.dslChanges)
	}
	if conflicts.Load() == 0 {
		t.Error("no conflict at all: the two DSLs never overlapped, so nothing was tested")
	}
	t.Logf("%d changes attempted: %d landed, %d reported as conflicts (409)", 2*env.size.dslChanges, n, conflicts.Load())
	s.finish(t, a, 0)
}
