package audit

import (
	"fmt"
	"time"

	"github.com/havenschools/haven/internal/actor"
)

// Chain computes audit rows in Go exactly as the database's append trigger
// does (the same canonical encoding and hash), for loading many at once
// with COPY: benchmarks and scale data. It is never how Haven records an
// action — Record is. Rows made by a Chain are stored with the
// audit_events_append trigger disabled (the owner's COPY, in its own
// transaction), and the chain's head is then written to audit_heads; the
// result verifies like any other chain.
type Chain struct {
	r row
}

// NewChain starts a chain with id chainID (a school's id; 0 for the
// deployment chain) at its first row.
func NewChain(chainID int64) *Chain {
	return &Chain{r: row{ChainID: chainID, PrevHash: genesis}}
}

// CopyColumns are the audit_events columns, in the order Append returns
// their values: pass them to pgx's CopyFrom.
var CopyColumns = []string{"chain_id", "seq", "school_id", "occurred_at", "actor_user_id", "actor_role", "action",
	"subject_type", "subject_id", "request_id", "client_addr", "user_agent", "details", "prev_hash", "row_hash"}

// Append makes the chain's next row: e done by by at time at (kept to the
// microsecond, as the database keeps it). by.SchoolID must be the chain's
// id. It refuses what Record refuses.
func (c *Chain) Append(at time.Time, by actor.Actor, e Event) ([]any, error) {
	if by.SchoolID != c.r.ChainID {
		return nil, fmt.Errorf("audit %q: actor of school %d on chain %d", e.Action, by.SchoolID, c.r.ChainID)
	}
	details, err := e.check()
	if err != nil {
		return nil, fmt.Errorf("audit %q: %w", e.Action, err)
	}
	r := &c.r
	r.Seq++
	r.OccurredAt = at.UTC().Truncate(time.Microsecond)
	r.UserID = by.UserID
	r.Role = clean(string(by.Role), maxRole)
	r.Action, r.SubjectType, r.SubjectID = e.Action, e.SubjectType, e.SubjectID
	r.RequestID = clean(by.Source.RequestID, maxRequestID)
	r.ClientAddr = clean(by.Source.ClientIP, maxClientAddr)
	r.UserAgent = clean(by.Source.UserAgent, maxUserAgent)
	r.Details = details
	r.RowHash = r.hash()
	var school, user any // NULL when 0, as Record stores them
	if by.SchoolID != 0 {
		school = by.SchoolID
	}
	if by.UserID != 0 {
		user = by.UserID
	}
	vals := []any{r.ChainID, r.Seq, school, r.OccurredAt, user, r.Role, r.Action, r.SubjectType, r.SubjectID,
		r.RequestID, r.ClientAddr, r.UserAgent, r.Details, r.PrevHash, r.RowHash}
	r.PrevHash = r.RowHash
	return vals, nil
}

// Head is the chain's last seq and hash so far (0 and 32 zero bytes before
// the first row): what audit_heads must hold once the rows are stored.
func (c *Chain) Head() (seq int64, hash []byte) {
	return c.r.Seq, c.r.PrevHash
}
