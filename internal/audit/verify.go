package audit

import (
	"bytes"
	"cmp"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/db"
)

// Options chooses what Verify checks.
type Options struct {
	// ChainIDs limits Verify to these chains (a school's id, or 0 for the
	// deployment chain). Nil: every chain.
	ChainIDs []int64
	// Keys are the public keys checkpoints may be signed with. A checkpoint
	// signed by any other key breaks its chain.
	Keys []ed25519.PublicKey
	// Extra are checkpoints kept off-site (ReadCheckpoints), checked as
	// if they were stored in the database.
	Extra []Checkpoint
	// IgnoreCheckpoints checks the rows and heads only, for when no
	// public key is at hand. A consistent rewrite then goes unnoticed.
	IgnoreCheckpoints bool
}

// Report is what Verify found.
type Report struct {
	Chains      []ChainReport
	Rows        int64 // rows checked, over all chains
	Checkpoints int   // checkpoints checked
	Elapsed     time.Duration
}

// OK reports whether every chain holds.
func (r Report) OK() bool {
	return !slices.ContainsFunc(r.Chains, func(c ChainReport) bool { return !c.OK() })
}

// RowsPerSecond is the verification's throughput.
func (r Report) RowsPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Rows) / r.Elapsed.Seconds()
}

// ChainReport is what Verify found in one chain.
type ChainReport struct {
	ChainID     int64
	School      string // the school's slug; "" for the deployment chain (or a school that is gone)
	Rows        int64  // rows checked
	HeadSeq     int64  // the seq audit_heads names (0: no head)
	Checkpoints int    // checkpoints checked against the chain
	BrokenSeq   int64  // the first sequence number that does not hold; 0 when the chain holds
	Problem     string // what is wrong at BrokenSeq; "" when the chain holds
}

// OK reports whether the chain holds.
func (c ChainReport) OK() bool { return c.Problem == "" }

// Name names the chain for people: "school st-aidans", "the deployment chain".
func (c ChainReport) Name() string {
	switch {
	case c.ChainID == 0:
		return "the deployment chain"
	case c.School != "":
		return "school " + c.School
	}
	return fmt.Sprintf("school id %d", c.ChainID)
}

// Verify checks every chain (or those in opts.ChainIDs): each row's hash
// recomputed in Go from its columns, each row linked to the one before,
// sequence numbers from 1 with no gap, the last row equal to the chain's
// head, and every checkpoint (stored or in opts.Extra) signed by one of
// opts.Keys and equal to the row at its seq — a checkpoint beyond the last
// row means the chain was truncated. Rows are streamed, so memory does not
// grow with the chain. Given a pool, Verify reads in one read-only
// repeatable-read transaction, so appends made meanwhile do not disturb it.
// Run it as the owner role: the app role cannot read the heads. A broken
// chain is reported in the Report, not as an error; the error is for a
// failure to read.
func Verify(ctx context.Context, q db.Querier, opts Options) (Report, error) {
	b, ok := q.(interface {
		BeginTx(context.Context, pgx.TxOptions) (pgx.Tx, error)
	})
	if !ok {
		return verify(ctx, q, opts)
	}
	var rep Report
	err := pgx.BeginTxFunc(ctx, b, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly},
		func(tx pgx.Tx) error {
			var err error
			rep, err = verify(ctx, tx, opts)
			return err
		})
	return rep, err
}

func verify(ctx context.Context, q db.Querier, opts Options) (Report, error) {
	start := time.Now()
	chains, err := chainsToVerify(ctx, q, opts)
	if err != nil {
		return Report{}, err
	}
	rep := Report{Chains: chains}
	for i := range rep.Chains {
		c := &rep.Chains[i]
		if err := verifyChain(ctx, q, c, opts); err != nil {
			return Report{}, fmt.Errorf("verify %s: %w", c.Name(), err)
		}
		rep.Rows += c.Rows
		rep.Checkpoints += c.Checkpoints
	}
	rep.Elapsed = time.Since(start)
	return rep, nil
}

// chainsToVerify lists the chains that have events, a head or checkpoints
// (the events' distinct chain ids by a loose index scan, not a full scan).
func chainsToVerify(ctx context.Context, q db.Querier, opts Options) ([]ChainReport, error) {
	rows, _ := q.Query(ctx, `
		WITH RECURSIVE ev AS (
			(SELECT chain_id FROM audit_events ORDER BY chain_id LIMIT 1)
			UNION ALL
			SELECT (SELECT e.chain_id FROM audit_events e WHERE e.chain_id > ev.chain_id ORDER BY e.chain_id LIMIT 1)
			FROM ev WHERE ev.chain_id IS NOT NULL
		), ids AS (
			SELECT chain_id FROM ev WHERE chain_id IS NOT NULL
			UNION SELECT chain_id FROM audit_heads
			UNION SELECT chain_id FROM audit_checkpoints
			UNION SELECT unnest($1::bigint[])
		)
		SELECT ids.chain_id, coalesce(s.slug, '') FROM ids LEFT JOIN schools s ON s.id = ids.chain_id
		WHERE $2::bigint[] IS NULL OR ids.chain_id = ANY ($2)
		ORDER BY ids.chain_id`, extraChains(opts.Extra), opts.ChainIDs)
	chains, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ChainReport, error) {
		var c ChainReport
		err := r.Scan(&c.ChainID, &c.School)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("list audit chains: %w", err)
	}
	if opts.ChainIDs != nil { // a chosen chain with nothing in it is still reported
		for _, id := range opts.ChainIDs {
			if !slices.ContainsFunc(chains, func(c ChainReport) bool { return c.ChainID == id }) {
				chains = append(chains, ChainReport{ChainID: id})
			}
		}
	}
	return chains, nil
}

func extraChains(cs []Checkpoint) []int64 {
	ids := []int64{}
	for _, c := range cs {
		ids = append(ids, c.ChainID)
	}
	return ids
}

// breakAt records the first problem of a chain: the one at the lowest seq.
func (c *ChainReport) breakAt(seq int64, format string, args ...any) {
	if c.Problem == "" || seq < c.BrokenSeq {
		c.BrokenSeq, c.Problem = seq, fmt.Sprintf(format, args...)
	}
}

func verifyChain(ctx context.Context, q db.Querier, c *ChainReport, opts Options) error {
	var headHash []byte
	err := q.QueryRow(ctx, `SELECT last_seq, last_hash FROM audit_heads WHERE chain_id = $1`, c.ChainID).
		Scan(&c.HeadSeq, &headHash)
	hasHead := err == nil
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("read head: %w", err)
	}
	var cps []Checkpoint
	if !opts.IgnoreCheckpoints {
		if cps, err = checkpointsOf(ctx, q, c.ChainID, opts.Extra); err != nil {
			return err
		}
	}
	c.Checkpoints = len(cps)
	for _, cp := range cps {
		switch {
		case !slices.ContainsFunc(opts.Keys, func(k ed25519.PublicKey) bool { return k.Equal(cp.PublicKey) }):
			c.breakAt(cp.Seq, "the checkpoint of seq %d is signed by key %s, which is not trusted", cp.Seq, KeyID(cp.PublicKey))
		case !cp.Valid():
			c.breakAt(cp.Seq, "the checkpoint of seq %d has a bad signature", cp.Seq)
		}
	}

	rows, _ := q.Query(ctx, `
		SELECT seq, occurred_at, coalesce(actor_user_id, 0), actor_role, action, subject_type, subject_id,
			request_id, client_addr, user_agent, details, prev_hash, row_hash
		FROM audit_events WHERE chain_id = $1 ORDER BY seq`, c.ChainID)
	defer rows.Close()
	r := row{ChainID: c.ChainID}
	prev := genesis
	next := 0 // the next checkpoint to meet, by seq
	for rows.Next() {
		expect := c.Rows + 1
		if c.Problem != "" && expect >= c.BrokenSeq {
			break // nothing later can be the first break
		}
		if err := rows.Scan(&r.Seq, &r.OccurredAt, &r.UserID, &r.Role, &r.Action, &r.SubjectType, &r.SubjectID,
			&r.RequestID, &r.ClientAddr, &r.UserAgent, &r.Details, &r.PrevHash, &r.RowHash); err != nil {
			return fmt.Errorf("read events: %w", err)
		}
		switch {
		case r.Seq > expect:
			c.breakAt(expect, "rows %d to %d are missing", expect, r.Seq-1)
		case r.Seq != expect:
			c.breakAt(expect, "found seq %d where seq %d was expected", r.Seq, expect)
		case !bytes.Equal(r.PrevHash, prev):
			c.breakAt(r.Seq, "prev_hash is not the hash of the row before")
		case !bytes.Equal(r.hash(), r.RowHash):
			c.breakAt(r.Seq, "the row's hash does not match its contents: the row was altered")
		}
		if c.Problem != "" && c.BrokenSeq <= expect {
			break
		}
		for ; next < len(cps) && cps[next].Seq <= r.Seq; next++ {
			if !bytes.Equal(cps[next].Hash, r.RowHash) {
				c.breakAt(r.Seq, "the row's hash differs from the checkpoint signed at %s: the chain was rewritten",
					cps[next].SignedAt.UTC().Format(time.RFC3339))
			}
		}
		prev = bytes.Clone(r.RowHash)
		c.Rows++
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read events: %w", err)
	}
	if c.Problem != "" && c.BrokenSeq <= c.Rows+1 {
		return nil
	}
	last := c.Rows
	switch {
	case !hasHead && last > 0:
		c.breakAt(last, "the chain has no head row")
	case c.HeadSeq > last:
		c.breakAt(last+1, "the head is at seq %d but the rows end at seq %d: the chain was truncated", c.HeadSeq, last)
	case c.HeadSeq < last:
		c.breakAt(c.HeadSeq+1, "rows after the head's seq %d were added behind the trigger", c.HeadSeq)
	case last > 0 && !bytes.Equal(headHash, prev):
		c.breakAt(last, "the head's hash differs from the last row's hash")
	}
	if next < len(cps) {
		c.breakAt(last+1, "a checkpoint signed at %s vouches for seq %d, beyond the last row: the chain was truncated",
			cps[next].SignedAt.UTC().Format(time.RFC3339), cps[next].Seq)
	}
	return nil
}

// checkpointsOf returns the chain's stored checkpoints and those of extra,
// ordered by seq.
func checkpointsOf(ctx context.Context, q db.Querier, chainID int64, extra []Checkpoint) ([]Checkpoint, error) {
	rows, _ := q.Query(ctx, `SELECT seq, row_hash, signed_at, public_key, signature
		FROM audit_checkpoints WHERE chain_id = $1 ORDER BY seq, id`, chainID)
	cps, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Checkpoint, error) {
		c := Checkpoint{ChainID: chainID}
		var pub []byte
		err := r.Scan(&c.Seq, &c.Hash, &c.SignedAt, &pub, &c.Signature)
		c.PublicKey = pub
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("read checkpoints: %w", err)
	}
	for _, c := range extra {
		if c.ChainID == chainID {
			cps = append(cps, c)
		}
	}
	slices.SortStableFunc(cps, func(a, b Checkpoint) int { return cmp.Compare(a.Seq, b.Seq) })
	return cps, nil
}
