package web

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/havenschools/haven/internal/db/dbtest"
)

// sessionSite serves /put (sets a value), /pop (takes it) and /get (reads
// it) behind the session middleware Haven uses, with the given timeouts.
func sessionSite(t *testing.T, pool *pgxpool.Pool, idle, lifetime time.Duration) (*http.Client, string) {
	t.Helper()
	s := &Server{}
	s.sessions = newSessions(Config{SessionIdle: idle, SessionLifetime: lifetime}, pool,
		func(w http.ResponseWriter, r *http.Request, err error) {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		})
	mux := http.NewServeMux()
	mux.HandleFunc("/put", func(w http.ResponseWriter, r *http.Request) {
		s.sessions.Put(r.Context(), sessUserID, int64(42))
		s.sessions.Put(r.Context(), sessSchool, int64(7))
		s.sessions.Put(r.Context(), sessFactor, "totp")
		s.sessions.Put(r.Context(), sessFlash, "Saved")
	})
	mux.HandleFunc("/pop", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, s.sessions.PopString(r.Context(), sessFlash))
	})
	mux.HandleFunc("/get", func(w http.ResponseWriter, r *http.Request) {
		if s.sessions.GetInt64(r.Context(), sessUserID) == 42 {
			io.WriteString(w, "signed in")
		}
	})
	srv := httptest.NewServer(s.loadAndSave(mux))
	t.Cleanup(srv.Close)
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar}, srv.URL
}

func sessionGet(t *testing.T, c *http.Client, url string) string {
	t.Helper()
	res, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, res.StatusCode, b)
	}
	return string(b)
}

type storedSession struct {
	Data   []byte
	Expiry time.Time
}

func storedSessionOf(t *testing.T, pool *pgxpool.Pool) storedSession {
	t.Helper()
	var s storedSession
	if err := pool.QueryRow(context.Background(), `SELECT data, expiry FROM sessions`).Scan(&s.Data, &s.Expiry); err != nil {
		t.Fatal(err)
	}
	return s
}

// With Haven's timeouts, a page that changes nothing in the session does
// not write it; a page that changes it does.
func TestSessionWrittenOnlyWhenChanged(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t)
	c, url := sessionSite(t, d.App, 30*time.Minute, 12*time.Hour)

	sessionGet(t, c, url+"/put")
	first := storedSessionOf(t, d.App)
	for range 5 {
		if got := sessionGet(t, c, url+"/get"); got != "signed in" {
			t.Fatalf("GET /get = %q, want signed in", got)
		}
	}
	if now := storedSessionOf(t, d.App); !now.Expiry.Equal(first.Expiry) {
		t.Errorf("five reads moved the expiry from %v to %v: the session was written", first.Expiry, now.Expiry)
	}
	if got := sessionGet(t, c, url+"/pop"); got != "Saved" {
		t.Fatalf("GET /pop = %q, want the flash", got)
	}
	if now := storedSessionOf(t, d.App); now.Expiry.Equal(first.Expiry) {
		t.Error("taking the flash did not write the session")
	}
	if got := sessionGet(t, c, url+"/pop"); got != "" {
		t.Errorf("the flash came back: %q", got)
	}
}

// The idle timeout still ends a session nobody uses, and still keeps one
// in use alive past it.
func TestSessionIdleTimeout(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t)
	const idle = 2 * time.Second // slack: idle/30
	c, url := sessionSite(t, d.App, idle, time.Hour)

	sessionGet(t, c, url+"/put")
	for end := time.Now().Add(2 * idle); time.Now().Before(end); time.Sleep(idle / 5) {
		if got := sessionGet(t, c, url+"/get"); got != "signed in" {
			t.Fatalf("a session in use ended after %v idle timeout: %q", idle, got)
		}
	}
	time.Sleep(idle + idle/2)
	if got := sessionGet(t, c, url+"/get"); got != "" {
		t.Errorf("after %v without a request the session is still signed in", idle+idle/2)
	}
}

// mustWrite: the same data (whatever order gob wrote the map in) with an
// expiry moved on by less than slack is not written; anything else is.
func TestSessionMustWrite(t *testing.T) {
	t.Parallel()
	st := &sessionStore{codec: scs.GobCodec{}, slack: time.Minute}
	deadline := time.Date(2026, 11, 27, 20, 0, 0, 0, time.UTC)
	values := map[string]any{"user_id": int64(42), "school_id": int64(7), "second_factor": "totp", "epoch": 3}
	data, err := st.codec.Encode(deadline, values)
	if err != nil {
		t.Fatal(err)
	}
	again := data
	for range 50 { // find an encoding whose map order differs
		if again, err = st.codec.Encode(deadline, values); err != nil {
			t.Fatal(err)
		}
		if string(again) != string(data) {
			break
		}
	}
	changed, _ := st.codec.Encode(deadline, map[string]any{"user_id": int64(42), "school_id": int64(8),
		"second_factor": "totp", "epoch": 3})
	later, _ := st.codec.Encode(deadline.Add(time.Hour), values)
	expiry := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	read := sessionRead{token: "t", data: data, expiry: expiry}
	for _, tc := range []struct {
		name   string
		data   []byte
		expiry time.Time
		want   bool
	}{
		{"same bytes, 10 s later", data, expiry.Add(10 * time.Second), false},
		{"same values in another order, 59 s later", again, expiry.Add(59 * time.Second), false},
		{"same data, a minute later", data, expiry.Add(time.Minute), true},
		{"same data, earlier", data, expiry.Add(-time.Second), true},
		{"another school", changed, expiry.Add(time.Second), true},
		{"another deadline", later, expiry.Add(time.Second), true},
		{"unreadable", []byte("x"), expiry.Add(time.Second), true},
	} {
		if got := st.mustWrite(read, tc.data, tc.expiry); got != tc.want {
			t.Errorf("%s: mustWrite = %v, want %v", tc.name, got, tc.want)
		}
	}
}
