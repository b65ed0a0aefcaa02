package web

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"reflect"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// sessionStore keeps scs sessions in the sessions table (pgxstore's layout)
// and writes one only when it must.
//
// With an idle timeout, scs commits the session at the end of every
// request, GETs included, to move its expiry on: one more write per page
// view, which alone halved the Safeguarding queue's throughput. The store
// remembers what the request's Find read (loadAndSave gives each request a
// place for it) and skips a commit of the same token with the same data
// whose expiry has moved on by less than slack. A skipped commit leaves the
// stored expiry at most slack behind the last request, so an idle session
// ends at most slack early, never late: the idle timeout is not weakened.
// A session signed out in another tab meanwhile is not written back either.
type sessionStore struct {
	pool  *pgxpool.Pool
	codec scs.Codec
	slack time.Duration
}

// sessionSlack is how far a session's expiry may lag: a minute, or a
// thirtieth of a shorter idle timeout.
func sessionSlack(idle time.Duration) time.Duration {
	return min(time.Minute, idle/30)
}

// sessionRead is what the request's Find read.
type sessionRead struct {
	token  string
	data   []byte
	expiry time.Time
}

type sessionReadKey struct{}

// loadAndSave is scs's LoadAndSave with a place in the request for the
// store to note what it read.
func (s *Server) loadAndSave(next http.Handler) http.Handler {
	h := s.sessions.LoadAndSave(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), sessionReadKey{}, &sessionRead{})))
	})
}

// FindCtx returns the session's data unless it has expired.
func (st *sessionStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	var data []byte
	var expiry time.Time
	err := st.pool.QueryRow(ctx, `SELECT data, expiry FROM sessions WHERE token = $1 AND current_timestamp < expiry`, token).
		Scan(&data, &expiry)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if read, ok := ctx.Value(sessionReadKey{}).(*sessionRead); ok {
		*read = sessionRead{token: token, data: data, expiry: expiry}
	}
	return data, true, nil
}

// CommitCtx stores the session, unless it is what the request read with
// an expiry less than slack later.
func (st *sessionStore) CommitCtx(ctx context.Context, token string, data []byte, expiry time.Time) error {
	read, _ := ctx.Value(sessionReadKey{}).(*sessionRead)
	if read != nil && read.token == token && !st.mustWrite(*read, data, expiry) {
		return nil
	}
	_, err := st.pool.Exec(ctx, `INSERT INTO sessions (token, data, expiry) VALUES ($1, $2, $3)
		ON CONFLICT (token) DO UPDATE SET data = EXCLUDED.data, expiry = EXCLUDED.expiry`, token, data, expiry)
	if err == nil && read != nil {
		*read = sessionRead{token: token, data: data, expiry: expiry}
	}
	return err
}

// mustWrite reports whether a commit of data with expiry must reach the
// database, given what was read: the expiry moved back or by slack or
// more, or the data changed.
func (st *sessionStore) mustWrite(read sessionRead, data []byte, expiry time.Time) bool {
	if moved := expiry.Sub(read.expiry); moved < 0 || moved >= st.slack {
		return true
	}
	if bytes.Equal(read.data, data) {
		return false
	}
	// gob writes a map in no fixed order: compare what the bytes say.
	d1, v1, err1 := st.codec.Decode(read.data)
	d2, v2, err2 := st.codec.Decode(data)
	return err1 != nil || err2 != nil || !d1.Equal(d2) || !reflect.DeepEqual(v1, v2)
}

// DeleteCtx removes the session.
func (st *sessionStore) DeleteCtx(ctx context.Context, token string) error {
	_, err := st.pool.Exec(ctx, `DELETE FROM sessions WHERE token = $1`, token)
	return err
}

// Find, Commit and Delete make a scs.Store; scs calls the Ctx methods.

func (st *sessionStore) Find(token string) ([]byte, bool, error) {
	return st.FindCtx(context.Background(), token)
}

func (st *sessionStore) Commit(token string, data []byte, expiry time.Time) error {
	return st.CommitCtx(context.Background(), token, data, expiry)
}

func (st *sessionStore) Delete(token string) error {
	return st.DeleteCtx(context.Background(), token)
}
