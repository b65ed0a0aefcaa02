package audit

import (
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"

	"github.com/havenschools/haven/internal/db"
)

// ExportLatestCheckpoints writes the last signed checkpoint of every chain
// to w, in ExportCheckpoints' form, and returns how many it wrote. `haven
// backup` keeps them beside the dump: a restored database whose chains no
// longer reach these heads fails Verify with them as Options.Extra.
func ExportLatestCheckpoints(ctx context.Context, q db.Querier, w io.Writer) (int, error) {
	rows, _ := q.Query(ctx, `
		SELECT DISTINCT ON (c.chain_id) c.chain_id, coalesce(s.slug, ''), c.seq, c.row_hash, c.signed_at, c.public_key, c.signature
		FROM audit_checkpoints c LEFT JOIN schools s ON s.id = c.chain_id
		ORDER BY c.chain_id, c.seq DESC, c.id DESC`)
	return writeCheckpoints(rows, w)
}

// PublicKeyPEM returns pub as a PEM "PUBLIC KEY" file, the form
// `openssl pkey -pubout` writes and LoadPublicKey reads.
func PublicKeyPEM(pub ed25519.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("audit public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// ParsePublicKeyPEM reads a PEM "PUBLIC KEY" holding an Ed25519 key.
func ParsePublicKeyPEM(b []byte) (ed25519.PublicKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PUBLIC KEY" {
		return nil, fmt.Errorf("audit public key: not a PEM \"PUBLIC KEY\"")
	}
	k, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("audit public key: %w", err)
	}
	ek, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("audit public key: not an Ed25519 key")
	}
	return ek, nil
}
