package web

import (
	"net/http"
	"time"

	"github.com/alexedwards/scs/pgxstore"
	"github.com/alexedwards/scs/v2"
	"github.com/jackc/pgx/v5/pgxpool"
)

// newSessions returns the session manager: sessions live in Postgres (so
// replicas share them), expire after cfg.SessionIdle without use and
// cfg.SessionLifetime in all, and travel in an HttpOnly, SameSite=Lax cookie
// that is Secure with the __Host- prefix when TLS is in front.
func newSessions(cfg Config, pool *pgxpool.Pool, onError func(http.ResponseWriter, *http.Request, error)) *scs.SessionManager {
	sm := scs.New()
	sm.Store = pgxstore.NewWithCleanupInterval(pool, 10*time.Minute)
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

func stopSessionCleanup(sm *scs.SessionManager) {
	if st, ok := sm.Store.(*pgxstore.PostgresStore); ok {
		st.StopCleanup()
	}
}
