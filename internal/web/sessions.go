package web

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/jackc/pgx/v5/pgxpool"
)

// newSessions returns the session manager: sessions live in Postgres (so
// replicas share them; see loadAndSave, which routes must use rather than
// LoadAndSave), expire after cfg.SessionIdle without use and
// cfg.SessionLifetime in all, and travel in an HttpOnly, SameSite=Lax cookie
// that is Secure with the __Host- prefix when TLS is in front.
func newSessions(cfg Config, pool *pgxpool.Pool, onError func(http.ResponseWriter, *http.Request, error)) *scs.SessionManager {
	sm := scs.New()
	// Written only when changed or when the expiry has moved on (sessionstore.go);
	// expired sessions are deleted by sessionCleanup.
	sm.Store = &sessionStore{pool: pool, codec: sm.Codec, slack: sessionSlack(cfg.SessionIdle)}
	sm.Lifetime = cfg.SessionLifetime
	sm.IdleTimeout = cfg.SessionIdle
	sm.Cookie.Name = "haven_session"
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Path = "/"
	sm.Cookie.Persist = false // a browser session cookie: closing the browser on a shared PC ends it
	if cfg.TrustProxy {
		sm.Cookie.Name = "__Host-haven_session"
		sm.Cookie.Secure = true
	}
	sm.ErrorFunc = onError
	return sm
}

// sessionCleanup deletes expired sessions every interval until Stop. It
// replaces pgxstore's own cleanup goroutine, which sets its stop channel only
// once it runs: a StopCleanup soon after the start races with it (the race
// detector says so) and can leave it running on a closed pool.
type sessionCleanup struct {
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

func startSessionCleanup(pool *pgxpool.Pool, log *slog.Logger, interval time.Duration) *sessionCleanup {
	c := &sessionCleanup{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-c.stop:
				return
			case <-tick.C:
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				_, err := pool.Exec(ctx, "DELETE FROM sessions WHERE expiry < current_timestamp")
				cancel()
				if err != nil {
					log.Warn("delete expired sessions", "err", err)
				}
			}
		}
	}()
	return c
}

// Stop ends the cleanup and waits for it; later calls do nothing.
func (c *sessionCleanup) Stop() {
	c.once.Do(func() { close(c.stop) })
	<-c.done
}
