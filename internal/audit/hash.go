package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"strconv"
	"time"
)

// hashVersion is the first field of every row's canonical encoding; a
// future encoding gets a new version string.
const hashVersion = "haven-audit/v1"

// timeLayout is how occurred_at enters the hash: UTC, always six fraction
// digits (PostgreSQL keeps microseconds), as the database's
// to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"').
const timeLayout = "2006-01-02T15:04:05.000000Z"

// genesis is the prev_hash of each chain's first row: 32 zero bytes.
var genesis = make([]byte, sha256.Size)

// row is one audit_events row as stored, in the columns the hash covers.
type row struct {
	ChainID     int64
	Seq         int64
	OccurredAt  time.Time
	UserID      int64 // 0: NULL
	Role        string
	Action      string
	SubjectType string
	SubjectID   string
	RequestID   string
	ClientAddr  string
	UserAgent   string
	Details     string
	PrevHash    []byte
	RowHash     []byte
}

// fields returns the row's fields in hash order, as text.
func (r *row) fields() []string {
	user := ""
	if r.UserID != 0 {
		user = strconv.FormatInt(r.UserID, 10)
	}
	return []string{
		hashVersion,
		strconv.FormatInt(r.ChainID, 10),
		strconv.FormatInt(r.Seq, 10),
		r.OccurredAt.UTC().Format(timeLayout),
		user,
		r.Role,
		r.Action,
		r.SubjectType,
		r.SubjectID,
		r.RequestID,
		r.ClientAddr,
		r.UserAgent,
		r.Details,
	}
}

// hash returns SHA-256(prev_hash ‖ canonical(fields)), the row's hash as
// the database's audit_row_hash computes it.
func (r *row) hash() []byte {
	h := sha256.New()
	h.Write(r.PrevHash)
	var buf []byte
	for _, f := range r.fields() {
		buf = appendField(buf[:0], f)
		h.Write(buf)
	}
	return h.Sum(nil)
}

// canonical is the canonical encoding of fields: each field's UTF-8 byte
// length as a 4-byte big-endian unsigned integer, then its bytes. The
// length prefix makes the encoding injective: no two different lists of
// fields encode to the same bytes.
func canonical(fields ...string) []byte {
	n := 0
	for _, f := range fields {
		n += 4 + len(f)
	}
	b := make([]byte, 0, n)
	for _, f := range fields {
		b = appendField(b, f)
	}
	return b
}

func appendField(b []byte, f string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(f)))
	return append(b, f...)
}
