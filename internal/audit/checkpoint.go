package audit

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/havenschools/haven/internal/db"
)

// Checkpoint is a chain head signed with the operator's Ed25519 key: proof,
// kept in audit_checkpoints and off-site, that the chain had this hash at
// this seq at SignedAt. A chain rewritten afterwards, however consistently,
// no longer has that hash at that seq.
type Checkpoint struct {
	ChainID   int64
	Seq       int64
	Hash      []byte // the row_hash of the row at Seq
	SignedAt  time.Time
	PublicKey ed25519.PublicKey
	Signature []byte
}

// Message returns the bytes that are signed: five lines of text,
//
//	haven-audit-checkpoint/v1
//	chain <chain id>
//	seq <seq>
//	hash <row hash, lower-case hex>
//	time <signed at, UTC, 2006-01-02T15:04:05.000000Z>
//
// each ending in a newline.
func (c Checkpoint) Message() []byte {
	return fmt.Appendf(nil, "haven-audit-checkpoint/v1\nchain %d\nseq %d\nhash %x\ntime %s\n",
		c.ChainID, c.Seq, c.Hash, c.SignedAt.UTC().Format(timeLayout))
}

// Valid reports whether the signature is c's public key's signature of c's message.
func (c Checkpoint) Valid() bool {
	return len(c.PublicKey) == ed25519.PublicKeySize && ed25519.Verify(c.PublicKey, c.Message(), c.Signature)
}

// CheckpointResult counts what SignHeads did.
type CheckpointResult struct {
	Signed    int // chains whose head was signed
	Unchanged int // chains whose head this key had already signed
}

// SignHeads signs the head of every chain with key and stores the
// checkpoints, skipping a chain whose head the same key has already signed.
// Run it as the owner role (the app role cannot read the heads). It is not
// itself audited: the checkpoints are their own append-only record.
func SignHeads(ctx context.Context, q db.Querier, key ed25519.PrivateKey) (CheckpointResult, error) {
	pub := key.Public().(ed25519.PublicKey)
	type head struct {
		ChainID int64
		Seq     int64
		Hash    []byte
	}
	rows, _ := q.Query(ctx, `
		SELECT h.chain_id, h.last_seq, h.last_hash FROM audit_heads h
		WHERE h.last_seq > 0 AND NOT EXISTS (
			SELECT FROM audit_checkpoints c
			WHERE c.chain_id = h.chain_id AND c.seq = h.last_seq AND c.row_hash = h.last_hash AND c.public_key = $1)
		ORDER BY h.chain_id`, []byte(pub))
	heads, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (head, error) {
		var h head
		err := r.Scan(&h.ChainID, &h.Seq, &h.Hash)
		return h, err
	})
	if err != nil {
		return CheckpointResult{}, fmt.Errorf("read audit chain heads: %w", err)
	}
	var total int
	if err := q.QueryRow(ctx, `SELECT count(*) FROM audit_heads WHERE last_seq > 0`).Scan(&total); err != nil {
		return CheckpointResult{}, fmt.Errorf("count audit chains: %w", err)
	}
	now := time.Now().UTC().Truncate(time.Microsecond) // what timestamptz keeps
	for _, h := range heads {
		c := Checkpoint{ChainID: h.ChainID, Seq: h.Seq, Hash: h.Hash, SignedAt: now, PublicKey: pub}
		c.Signature = ed25519.Sign(key, c.Message())
		_, err := q.Exec(ctx, `INSERT INTO audit_checkpoints (chain_id, seq, row_hash, signed_at, public_key, signature)
			VALUES ($1, $2, $3, $4, $5, $6)`, c.ChainID, c.Seq, c.Hash, c.SignedAt, []byte(c.PublicKey), c.Signature)
		if err != nil {
			return CheckpointResult{}, fmt.Errorf("store checkpoint of chain %d: %w", c.ChainID, err)
		}
	}
	return CheckpointResult{Signed: len(heads), Unchanged: total - len(heads)}, nil
}

// exported is one line of an export: a checkpoint as JSON, with the
// school's slug for people reading the file (it is not signed).
type exported struct {
	Chain     int64  `json:"chain"`
	School    string `json:"school,omitempty"`
	Seq       int64  `json:"seq"`
	Hash      string `json:"hash"`       // hex
	SignedAt  string `json:"signed_at"`  // timeLayout
	PublicKey string `json:"public_key"` // hex
	Signature string `json:"signature"`  // hex
}

// ExportCheckpoints writes every stored checkpoint to w, one JSON object a
// line, oldest first, and returns how many it wrote. ReadCheckpoints reads
// the file back, and Verify's Options.Extra checks a database against it.
func ExportCheckpoints(ctx context.Context, q db.Querier, w io.Writer) (int, error) {
	rows, _ := q.Query(ctx, `
		SELECT c.chain_id, coalesce(s.slug, ''), c.seq, c.row_hash, c.signed_at, c.public_key, c.signature
		FROM audit_checkpoints c LEFT JOIN schools s ON s.id = c.chain_id
		ORDER BY c.id`)
	return writeCheckpoints(rows, w)
}

// writeCheckpoints writes the checkpoints rows holds (chain, slug, seq,
// hash, signed at, public key, signature) to w as ExportCheckpoints does.
func writeCheckpoints(rows pgx.Rows, w io.Writer) (int, error) {
	defer rows.Close()
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	n := 0
	for rows.Next() {
		var c Checkpoint
		var slug string
		var pub []byte
		if err := rows.Scan(&c.ChainID, &slug, &c.Seq, &c.Hash, &c.SignedAt, &pub, &c.Signature); err != nil {
			return n, fmt.Errorf("read checkpoints: %w", err)
		}
		err := enc.Encode(exported{
			Chain: c.ChainID, School: slug, Seq: c.Seq, Hash: hex.EncodeToString(c.Hash),
			SignedAt: c.SignedAt.UTC().Format(timeLayout), PublicKey: hex.EncodeToString(pub),
			Signature: hex.EncodeToString(c.Signature),
		})
		if err != nil {
			return n, err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("read checkpoints: %w", err)
	}
	return n, bw.Flush()
}

// ReadCheckpoints reads checkpoints written by ExportCheckpoints.
func ReadCheckpoints(r io.Reader) ([]Checkpoint, error) {
	var out []Checkpoint
	dec := json.NewDecoder(r)
	for line := 1; ; line++ {
		var e exported
		err := dec.Decode(&e)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("checkpoint %d: %w", line, err)
		}
		c := Checkpoint{ChainID: e.Chain, Seq: e.Seq}
		var errs [4]error
		c.Hash, errs[0] = hex.DecodeString(e.Hash)
		c.SignedAt, errs[1] = time.Parse(timeLayout, e.SignedAt)
		var pub []byte
		pub, errs[2] = hex.DecodeString(e.PublicKey)
		c.PublicKey = pub
		c.Signature, errs[3] = hex.DecodeString(e.Signature)
		if err := errors.Join(errs[:]...); err != nil {
			return nil, fmt.Errorf("checkpoint %d: %w", line, err)
		}
		out = append(out, c)
	}
}

// LoadPrivateKey reads an Ed25519 private key from a PEM file holding a
// PKCS #8 "PRIVATE KEY", as `openssl genpkey -algorithm ed25519` writes.
func LoadPrivateKey(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("audit key: %w", err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("audit key %s: not a PEM \"PRIVATE KEY\" file", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("audit key %s: %w", path, err)
	}
	ek, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("audit key %s: not an Ed25519 key", path)
	}
	return ek, nil
}

// LoadPublicKey reads an Ed25519 public key from a PEM file holding a PKIX
// "PUBLIC KEY" (`openssl pkey -in audit.key -pubout`), or derives it from a
// private key file.
func LoadPublicKey(path string) (ed25519.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("audit public key: %w", err)
	}
	blk, _ := pem.Decode(b)
	switch {
	case blk != nil && blk.Type == "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("audit public key %s: %w", path, err)
		}
		ek, ok := k.(ed25519.PublicKey)
		if !ok {
			return nil, fmt.Errorf("audit public key %s: not an Ed25519 key", path)
		}
		return ek, nil
	case blk != nil && blk.Type == "PRIVATE KEY":
		k, err := LoadPrivateKey(path)
		if err != nil {
			return nil, err
		}
		return k.Public().(ed25519.PublicKey), nil
	}
	return nil, fmt.Errorf("audit public key %s: not a PEM \"PUBLIC KEY\" or \"PRIVATE KEY\" file", path)
}

// EnsureKey loads the private key at path, first generating it (a new
// Ed25519 key, readable by its owner only) when there is no file there. The
// development server uses it; production keys are made by the operator.
func EnsureKey(path string) (k ed25519.PrivateKey, created bool, err error) {
	if _, err := os.Stat(path); err == nil {
		k, err := LoadPrivateKey(path)
		return k, false, err
	}
	_, k, err = ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, false, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, fmt.Errorf("audit key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, false, fmt.Errorf("audit key: %w", err)
	}
	if err := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		f.Close()
		return nil, false, fmt.Errorf("audit key: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, false, fmt.Errorf("audit key: %w", err)
	}
	return k, true, nil
}

// KeyID names a public key in messages: the hex of its first 8 bytes.
func KeyID(pub ed25519.PublicKey) string {
	return hex.EncodeToString(pub[:min(8, len(pub))])
}
